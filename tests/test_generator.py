"""The sample-company generator: reproducible, consistent end to end, and the planted signs are there.

The planted signs are checked with plain pandas here (the library's own metric functions come in later
issues), each against the "healthy" company generated with the same seed, which must not show them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.datasets import SAMPLE_SETTINGS, make_company

TZ = "America/New_York"
LAST4 = pd.period_range("2024Q4", "2025Q3", freq="Q")


def _q(s: pd.Series) -> pd.Series:
    return s.dt.tz_localize(None).dt.to_period("Q")


def test_same_seed_same_frames_and_other_seed_differs():
    a = make_company(seed=3, accounts=400, months=24)
    b = make_company(seed=3, accounts=400, months=24)
    c = make_company(seed=4, accounts=400, months=24)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    pd.testing.assert_frame_equal(a.planted, b.planted)
    assert not a.tables["opportunities"].equals(c.tables["opportunities"])


def test_shipped_sample_is_the_generator_output(sample, company):
    """data/sample is make_company(**SAMPLE_SETTINGS), written to CSV and read back without loss."""
    regenerated = company.to_sales_data()
    assert sorted(sample.tables) == sorted(regenerated.tables)
    for name in sample.tables:
        pd.testing.assert_frame_equal(sample.tables[name], regenerated.tables[name], check_like=False)


def test_sample_validates_with_nothing_quarantined(sample):
    assert isinstance(sample, sm.SalesData)
    assert sample.quarantine == {}
    assert len(sample.tables) == 11
    assert len(sample.accounts) == SAMPLE_SETTINGS["accounts"]
    assert sample.timezone == TZ and sample.currency == "USD"
    assert str(sample.as_of.date()) == "2025-09-30"


@pytest.mark.parametrize("scenario", ["reorg", "healthy"])
def test_generator_output_is_internally_consistent(scenario):
    co = make_company(seed=11, accounts=600, months=24, scenario=scenario)
    data = co.to_sales_data()  # validates every table and every reference
    assert data.quarantine == {}
    leads, opps, subs, acts, reps, hist = (data.leads, data.opportunities, data.subscriptions, data.activities, data.reps, data.stage_history)
    # leads -> opportunities, both ways
    linked = leads.dropna(subset=["opportunity_id"]).set_index("opportunity_id")["lead_id"]
    back = opps.dropna(subset=["lead_id"]).set_index("opportunity_id")["lead_id"]
    pd.testing.assert_series_equal(linked.sort_index(), back.reindex(linked.index).sort_index(), check_names=False)
    # funnel order: created <= mql <= sql <= opportunity created
    assert (leads["mql_at"].dropna() >= leads.loc[leads["mql_at"].notna(), "created_at"]).all()
    sqls = leads.dropna(subset=["sql_at"])
    assert (sqls["sql_at"] >= sqls["mql_at"]).all()
    from_leads = opps.merge(leads[["lead_id", "sql_at"]], on="lead_id")
    assert (from_leads["created_at"] >= from_leads["sql_at"]).all()
    # every won deal becomes revenue: the account has a subscription starting the day after the close
    won = opps[opps["status"] == "won"]
    starts = subs.groupby("account_id")["start_date"].apply(set)
    close_days = won["closed_at"].dt.tz_localize(None).dt.normalize() + pd.Timedelta(days=1)
    has_sub = [d in starts.get(a, set()) for a, d in zip(won["account_id"], close_days, strict=True)]
    assert np.mean(has_sub) > 0.97  # a second win on an already-won account in the same day is the only exception
    # stage history: each deal's first stage is entered at creation, its closing stage at the close
    first = hist.sort_values("entered_at").groupby("opportunity_id").first()
    assert (first["entered_at"] == opps.set_index("opportunity_id").loc[first.index, "created_at"]).all()
    closing = hist[hist["stage"].isin(["Closed Won", "Closed Lost"])].set_index("opportunity_id")
    assert (closing["entered_at"] == opps.set_index("opportunity_id").loc[closing.index, "closed_at"]).all()
    # nobody works before being hired or after leaving
    r = acts.merge(reps[["rep_id", "hired_at", "terminated_at"]], left_on="owner_id", right_on="rep_id")
    assert len(r) == len(acts)
    assert (r["occurred_at"] >= r["hired_at"]).all()
    assert ((r["occurred_at"] < r["terminated_at"]) | r["terminated_at"].isna()).all()
    # other currencies convert: every EUR row has a rate
    assert set(subs["currency"]) <= {"USD", "EUR"} and set(data.fx_rates["currency"]) == {"EUR"}
    assert subs["start_date"].min() >= data.fx_rates["date"].min()
    # zero-amount pilots, several subscriptions on one account, and ongoing ones all occur
    assert (subs["amount"] == 0).any() and subs["account_id"].duplicated().any() and subs["end_date"].isna().any()
    assert {1, 3, 12} <= set(subs["billing_months"])


# ---------------------------------------------------------------------------------------------------------
# the planted signs, measured by hand on the sample ("reorg") and on the healthy twin
# ---------------------------------------------------------------------------------------------------------


def _segment_bookings(co, segment: str) -> pd.Series:
    t = co.tables
    opps = t["opportunities"].merge(t["accounts"][["account_id", "segment"]], on="account_id")
    won = opps[(opps["status"] == "won") & (opps["type"] == "new_business") & (opps["segment"] == segment)].copy()
    won["currency"] = won["currency"].fillna("USD").astype(str)
    fx = t["fx_rates"].sort_values("date").astype({"currency": str})
    won["day"] = won["closed_at"].dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
    won = pd.merge_asof(won.sort_values("day"), fx.rename(columns={"date": "day"}), on="day", by="currency", direction="backward")
    usd = won["amount"] * won["rate"].where(won["currency"] == "EUR", 1.0)
    return usd.groupby(_q(won["closed_at"])).sum()


def _win_rate(co, segment: str) -> pd.Series:
    t = co.tables
    o = t["opportunities"].merge(t["accounts"][["account_id", "segment"]], on="account_id")
    o = o[(o["status"] != "open") & (o["type"] == "new_business") & (o["segment"] == segment)]
    return (o["status"] == "won").groupby(_q(o["closed_at"])).mean()


def test_planted_declining_sales(company, healthy):
    bookings = _segment_bookings(company, "Mid-Market")
    window = bookings.reindex(pd.period_range("2024Q3", "2025Q3", freq="Q"))
    assert (window.diff().dropna() < 0).all(), window  # four quarter-on-quarter falls in a row
    rate = _win_rate(company, "Mid-Market")
    assert rate.reindex(LAST4).mean() < 0.6 * rate[rate.index < LAST4[0]].mean()
    # the driver is the win rate, not volume: Mid-Market opportunities created hold up
    t = company.tables
    o = t["opportunities"].merge(t["accounts"][["account_id", "segment"]], on="account_id")
    created = o[(o["segment"] == "Mid-Market") & (o["type"] == "new_business")].groupby(_q(o["created_at"])).size()
    assert created.reindex(LAST4[:-1]).mean() >= 0.8 * created.reindex(pd.period_range("2023Q4", "2024Q3", freq="Q")).mean()
    healthy_b = _segment_bookings(healthy, "Mid-Market").reindex(pd.period_range("2024Q3", "2025Q3", freq="Q"))
    assert not (healthy_b.diff().dropna() < 0).all()
    row = company.planted.set_index("sign").loc["declining_sales"]
    assert row["scope"] == "Mid-Market" and row["periods"] == "2024Q4–2025Q3"


def _attrition_by_team(co) -> pd.Series:
    """Departures in the last four quarters / average head count (quarter-end snapshots)."""
    reps = co.tables["reps"]
    start, end = pd.Timestamp("2024-10-01", tz=TZ), pd.Timestamp("2025-10-01", tz=TZ)
    left = reps["terminated_at"].between(start, end, inclusive="left")
    snaps = [pd.Timestamp(d, tz=TZ) for d in ("2024-10-01", "2025-01-01", "2025-04-01", "2025-07-01", "2025-09-30")]
    heads = pd.concat([((reps["hired_at"] <= s) & (reps["terminated_at"].isna() | (reps["terminated_at"] > s))).groupby(reps["team"]).sum()
                       for s in snaps], axis=1).mean(axis=1)
    is_sdr = reps["team"] == "SDR"
    return pd.Series({"SDR": left[is_sdr].sum() / heads["SDR"], "rest": left[~is_sdr].sum() / heads.drop("SDR").sum()})


def test_planted_rep_turnover(company, healthy):
    a = _attrition_by_team(company)
    assert a["SDR"] >= 3 * a["rest"] and a["SDR"] >= 0.5, a
    h = _attrition_by_team(healthy)
    assert h["SDR"] < 3 * max(h["rest"], 0.05), h


def _am_on_new_business(co) -> pd.Series:
    t = co.tables
    acts = t["activities"].merge(t["reps"][["rep_id", "role"]], left_on="owner_id", right_on="rep_id")
    opps = t["opportunities"].merge(t["accounts"][["account_id", "segment"]], on="account_id")
    ent_nb = opps.loc[(opps["segment"] == "Enterprise") & (opps["type"] == "new_business"), "opportunity_id"]
    hit = acts[(acts["role"] == "AM") & acts["opportunity_id"].isin(ent_nb)]
    return hit.groupby(_q(hit["occurred_at"])).size()


def test_planted_unclear_roles(company, healthy):
    by_q = _am_on_new_business(company)
    assert by_q.reindex(pd.PeriodIndex(["2025Q2", "2025Q3"], freq="Q")).min() >= 20
    assert by_q[by_q.index < pd.Period("2025Q2", "Q")].sum() == 0
    assert _am_on_new_business(healthy).sum() == 0


def _sla_by_quarter(co) -> pd.Series:
    """Share of MQLs touched by a person within 24 wall-clock hours of mql_at."""
    t = co.tables
    leads = t["leads"].dropna(subset=["mql_at"])
    acts = t["activities"]
    acts = acts[~acts["automated"] & acts["lead_id"].notna()].merge(leads[["lead_id", "mql_at"]], on="lead_id")
    first = acts[acts["occurred_at"] >= acts["mql_at"]].groupby("lead_id")["occurred_at"].min()
    hours = (first.reindex(leads["lead_id"]).to_numpy() - leads["mql_at"].to_numpy()) / pd.Timedelta(hours=1)
    met = pd.Series(hours <= 24, index=leads.index)
    return met.groupby(_q(leads["mql_at"])).mean()


def test_planted_sla_decline_follows_the_sdr_shrink(company, healthy):
    sla = _sla_by_quarter(company)
    before = sla[sla.index < LAST4[0]].mean()
    assert sla[pd.Period("2025Q3", "Q")] < before - 0.3
    h = _sla_by_quarter(healthy)
    assert h[pd.Period("2025Q3", "Q")] > h[h.index < LAST4[0]].mean() - 0.15


def test_planted_market_response(company, healthy):
    leads = company.tables["leads"]
    dn = leads[leads["segment"] == "Digital Native"]
    counts = dn.groupby(_q(dn["created_at"])).size().reindex(LAST4)
    assert (counts.diff().dropna() > 0).all(), counts
    conv = leads["sql_at"].notna().groupby([leads["segment"] == "Digital Native", _q(leads["created_at"])]).mean()
    assert conv[True].reindex(LAST4[-2:]).mean() < 0.3 * conv[False].reindex(LAST4[-2:]).mean()
    assert dn["owner_id"].isna().mean() > 0.4
    assert (healthy.tables["leads"]["segment"] != "Digital Native").all()


def test_planted_customer_satisfaction(company, healthy):
    t = company.tables
    sv = t["surveys"][t["surveys"]["kind"] == "csat"].merge(t["accounts"][["account_id", "region"]], on="account_id")
    by = sv.groupby([_q(sv["responded_at"]), sv["region"] == "APAC"])["score"].mean().unstack()
    assert by.loc[pd.Period("2025Q3", "Q"), True] < by.loc[pd.Period("2025Q3", "Q"), False] - 1.0
    assert abs(by.loc[pd.Period("2024Q2", "Q"), True] - by.loc[pd.Period("2024Q2", "Q"), False]) < 0.5
    # a low answer (CSAT <= 2) is followed by churn within 180 days more often than the other answers
    subs = t["subscriptions"][t["subscriptions"]["amount"] > 0]
    ends = subs.groupby("account_id")["end_date"]
    churn_day = ends.max().where(ends.apply(lambda s: s.notna().all()))
    day = sv["responded_at"].dt.tz_localize(None)
    churn = sv["account_id"].map(churn_day)
    soon = (churn > day) & (churn <= day + pd.Timedelta(days=180))
    seen = day < pd.Timestamp("2025-04-01")  # the 180 days after the answer are in the data
    low, rest = soon[seen & (sv["score"] <= 2)].mean(), soon[seen & (sv["score"] > 2)].mean()
    assert low > 1.8 * rest, (low, rest)
    hs = healthy.tables["surveys"].merge(healthy.tables["accounts"][["account_id", "region"]], on="account_id")
    hs = hs[(hs["kind"] == "csat") & (_q(hs["responded_at"]) == pd.Period("2025Q3", "Q"))]
    assert abs(hs.loc[hs["region"] == "APAC", "score"].mean() - hs.loc[hs["region"] != "APAC", "score"].mean()) < 0.5


def test_manifest_lists_the_planted_signs(company, healthy):
    assert set(company.planted["sign"]) == {"declining_sales", "rep_turnover", "unclear_roles", "market_response", "customer_satisfaction"}
    assert list(company.planted.columns) == ["sign", "scope_type", "scope", "metric", "periods", "description"]
    assert healthy.planted.empty


def test_generator_arguments_are_checked():
    with pytest.raises(ValueError, match="scenario"):
        make_company(scenario="chaos")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="months"):
        make_company(months=6)
    with pytest.raises(ValueError, match="first day of a month"):
        make_company(start="2024-01-15")


def test_generator_scales_linearly_in_rows():
    small = make_company(seed=5, accounts=1_000, months=24)
    large = make_company(seed=5, accounts=4_000, months=24)
    ratio = sum(map(len, large.tables.values())) / sum(map(len, small.tables.values()))
    assert 3.0 < ratio < 5.0


def test_documented_sample_sizes_are_true(sample):
    """The README and load_sample's docstring quote the sample's sizes; keep them honest."""
    from pathlib import Path

    from salesmetrics.datasets import load_sample

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").replace("\n", " ")
    doc = " ".join((load_sample.__doc__ or "").split())
    total = sum(len(df) for df in sample.tables.values())
    for text in (readme, doc):
        for table in ("leads", "opportunities", "subscriptions", "activities"):
            assert f"{len(sample.tables[table]):,} {table}" in text, (table, len(sample.tables[table]))
        assert f"{total:,} rows" in text


def test_shipped_raw_crm_export_is_the_generator_output(company):
    """data/sample/raw (notebook 05's fictional CRM export) is crm_export() of the sample company, byte for byte."""
    from salesmetrics.datasets import sample_dir
    from salesmetrics.datasets.raw import crm_export

    for name, frame in crm_export(company).items():
        shipped = (sample_dir() / "raw" / name).read_text(encoding="utf-8")
        assert shipped == frame.to_csv(index=False, lineterminator="\n"), name
    deals = crm_export(company)["Deals.csv"]
    assert (deals["Pipeline stage"] == "On hold").sum() == 1
    assert (pd.to_datetime(deals["Won/Lost date"]) < pd.to_datetime(deals["Deal created"])).sum() == 2
