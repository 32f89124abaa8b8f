"""Reorg diagnostics: every planted sign is found on the reorg company and none on the healthy one, at two
sizes and ten seeds; each part's arithmetic on hand-made fixtures."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.datasets import make_company
from salesmetrics.diagnostics import FINDING_COLUMNS, RECOMMENDATIONS, SIGNS

SEEDS = range(10)
SIZES = {"bundled": 2_000, "10x": 20_000}


def _scope(value: str) -> frozenset[str]:
    """A pair of roles is one scope whichever comes first ("AM,AE" is "AE,AM")."""
    return frozenset(value.split(","))


def _diagnosed(seed: int, accounts: int, scenario: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    co = make_company(seed=seed, accounts=accounts, months=36, scenario=scenario)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = co.to_sales_data()
    return co.planted, sm.diagnose(data)


@pytest.mark.parametrize("size", list(SIZES))
def test_every_planted_sign_is_found_with_its_scope(size):
    """Recall 100%: ten seeds, each planted (sign, scope type, scope) found at warning or critical."""
    missed = []
    for seed in SEEDS:
        planted, found = _diagnosed(seed, SIZES[size], "reorg")
        alarms = found[found["severity"].isin(["warning", "critical"])]
        got = {(r.sign, r.scope_type, _scope(r.scope)) for r in alarms.itertuples()}
        for r in planted.itertuples():
            if (r.sign, r.scope_type, _scope(r.scope)) not in got:
                missed.append((seed, r.sign, r.scope))
    assert not missed, f"planted signs not found: {missed}"


@pytest.mark.parametrize("size", list(SIZES))
def test_no_false_alarm_on_the_healthy_company(size):
    """Zero false alarms: ten healthy companies, no warning or critical finding at all."""
    alarms = []
    for seed in SEEDS:
        _, found = _diagnosed(seed, SIZES[size], "healthy")
        bad = found[found["severity"].isin(["warning", "critical"])]
        alarms += [(seed, r.sign, r.scope, r.evidence) for r in bad.itertuples()]
    assert not alarms, alarms


def test_findings_on_the_sample_carry_numbers_and_advice(sample):
    found = sm.diagnose(sample)
    assert list(found.columns) == FINDING_COLUMNS
    assert set(found["sign"]) == set(SIGNS)
    assert found["severity"].iloc[0] == "critical"  # most severe first
    for r in found.itertuples():
        assert any(ch.isdigit() for ch in r.evidence) and r.evidence.endswith(".")
        assert r.recommendation == RECOMMENDATIONS[r.sign]
    decline = found[(found["sign"] == "declining_sales") & (found["scope"] == "Mid-Market")].iloc[0]
    assert "driver is the wins-per-new-deal ratio" in decline["evidence"]  # the planted decline is the win rate's alone


def test_thresholds_are_parameters(sample):
    strict = sm.diagnose(sample, thresholds={"rep_turnover": {"min_rate": 5.0}})
    turnover = strict[(strict["sign"] == "rep_turnover") & (strict["severity"] != "info")]
    # attrition is no longer flagged; the SLA drop after the SDR departures is assessed on its own and stays (issue #15)
    assert turnover["metric"].tolist() == ["sla_compliance"]
    with pytest.raises(ValueError, match="unknown signs"):
        sm.diagnose(sample, thresholds={"turnover": {}})


def test_a_sign_that_cannot_be_assessed_says_so(sample):
    tables = {k: v for k, v in sample.tables.items() if k != "surveys"}
    data = sm.SalesData(**tables, timezone=sample.timezone, currency=sample.currency)
    found = sm.diagnose(data)
    info = found[found["sign"] == "customer_satisfaction"]
    assert info["severity"].tolist() == ["info"] and "no surveys table" in info["evidence"].iloc[0]


# ---------------------------------------------------------------------------------------------------------
# the parts, by hand
# ---------------------------------------------------------------------------------------------------------


def _deals(per_quarter: list[tuple[int, int, float]], tz: str = "UTC") -> pd.DataFrame:
    """(created, won, amount of each won deal) per quarter from 2024Q1; each deal closes in the quarter it opens."""
    rows = []
    for q, (created, won, amount) in enumerate(per_quarter):
        start = pd.Period("2024Q1", "Q") + q
        for i in range(created):
            day = start.start_time + pd.Timedelta(days=1 + i % 60)
            status = "won" if i < won else "lost"
            rows.append({"opportunity_id": f"o{q}-{i}", "created_at": day, "closed_at": day + pd.Timedelta(days=5),
                         "status": status, "amount": amount, "type": "new_business", "account_id": "a1"})
    return pd.DataFrame(rows)


def test_sales_decline_decomposes_exactly_and_names_the_driver():
    """Six quarters at 40 deals created, 16 won at $10k; then the close ratio falls: 12, 8, 4 won.
    Bookings 160k x6, then 120k, 80k, 40k: three declines, -75%; created and deal size did not move."""
    opps = _deals([(40, 16, 10_000)] * 6 + [(40, 12, 10_000), (40, 8, 10_000), (40, 4, 10_000)])
    data = sm.SalesData(opportunities=opps, accounts=pd.DataFrame({"account_id": ["a1"]}))
    table, findings = sm.sales_decline(data, by=None, as_of="2026-03-31")
    company = table[table["scope"] == "company"]
    np.testing.assert_allclose(company["opportunities"] * company["wins_per_new_deal"] * company["avg_deal"], company["bookings"])
    assert company["bookings"].tolist()[-3:] == [120_000, 80_000, 40_000]
    (f,) = findings.itertuples()
    assert (f.severity, f.scope, f.period) == ("critical", "company", "2026Q1")
    assert "fell 3 quarters running" in f.evidence and "-75%" in f.evidence and "driver is the wins-per-new-deal ratio (40% → 15%)" in f.evidence
    # a quarter in progress is not a decline: as of mid-quarter, the last complete quarter is the one before
    table, findings = sm.sales_decline(data, by=None, as_of="2026-02-15")
    assert findings["period"].tolist() == ["2025Q4"]


def test_sales_decline_ignores_a_small_dip():
    opps = _deals([(40, 16, 10_000)] * 6 + [(40, 15, 10_000), (40, 14, 10_000)])
    data = sm.SalesData(opportunities=opps, accounts=pd.DataFrame({"account_id": ["a1"]}))
    assert sm.sales_decline(data, by=None, as_of="2025-12-31").findings.empty  # -12.5%: two declines, too small


def test_rep_turnover_hand_computed():
    """SDR: 4 in post all year, 3 leave in 2025 (average headcount (4+4+...)/12 months); AE: 20 reps, none leave.
    SDR attrition = 3 / avg headcount x 12/12; the rest's rate is 0, so 3 departures are far above it."""
    hired = "2020-01-01"
    reps = pd.DataFrame({
        "rep_id": [f"s{i}" for i in range(4)] + [f"a{i}" for i in range(20)],
        "team": ["SDR"] * 4 + ["New Business"] * 20, "role": ["SDR"] * 4 + ["AE"] * 20, "hired_at": hired,
        "terminated_at": ["2025-03-15", "2025-06-15", "2025-09-15", None] + [None] * 20})
    data = sm.SalesData(reps=reps)
    table, findings = sm.rep_turnover(data, as_of="2025-12-31")
    sdr = table[(table["scope_type"] == "team") & (table["scope"] == "SDR")].iloc[0]
    # month starts Jan..Dec: 4 in post Jan-Mar, 3 Apr-Jun, 2 Jul-Sep, 1 Oct-Dec -> mean 2.5
    assert sdr["avg_headcount"] == 2.5 and sdr["departures"] == 3 and sdr["attrition"] == pytest.approx(3 / 2.5)
    assert (sdr["headcount_start"], sdr["headcount_end"]) == (4, 1)
    assert sdr["median_tenure_months"] == pytest.approx((pd.Timestamp("2025-06-15") - pd.Timestamp(hired)).days / 30.44)
    (f,) = findings[findings["metric"] == "attrition"].itertuples()
    assert (f.scope, f.severity) == ("SDR", "critical")
    assert "3 reps left in 2025Q1–2025Q4 (average headcount 2.5), 120% a year against 0%" in f.evidence


def test_role_clarity_out_of_lane_share():
    """An AM logs 1 call on a new-business deal and 9 on customers in 2025Q2: out-of-lane share 10%."""
    reps = pd.DataFrame({"rep_id": ["am", "ae"], "team": ["Account Management", "New Business"], "role": ["AM", "AE"],
                         "hired_at": "2020-01-01"})
    accounts = pd.DataFrame({"account_id": ["c", "p"]})
    subs = pd.DataFrame({"subscription_id": ["s"], "account_id": ["c"], "start_date": "2023-01-01", "amount": 100})
    opps = pd.DataFrame({"opportunity_id": ["nb"], "account_id": ["p"], "created_at": "2025-04-01", "status": "open",
                         "type": "new_business", "owner_id": "ae"})
    acts = pd.DataFrame({"activity_id": [str(i) for i in range(11)], "owner_id": ["am"] * 10 + ["ae"],
                         "occurred_at": pd.date_range("2025-04-02", periods=11, freq="D").astype(str),
                         "opportunity_id": ["nb"] + [None] * 9 + ["nb"], "account_id": ["p"] + ["c"] * 9 + ["p"]})
    data = sm.SalesData(reps=reps, accounts=accounts, subscriptions=subs, opportunities=opps, activities=acts)
    table, _ = sm.role_clarity(data, as_of="2025-06-30")
    share = table[(table["metric"] == "out_of_lane_share") & (table["scope"] == "AM") & (table["period"] == pd.Period("2025Q2", "Q"))]
    assert (share["numerator"].item(), share["denominator"].item(), share["value"].item()) == (1, 10, 0.1)
    ae = table[(table["metric"] == "out_of_lane_share") & (table["scope"] == "AE") & (table["period"] == pd.Period("2025Q2", "Q"))]
    assert ae["value"].item() == 0


def test_customer_satisfaction_nps_csat_and_relative_risk(sample):
    """NPS of scores 10, 9, 8, 6, 0 = 2/5 promoters - 2/5 detractors = 0; CSAT 5, 4, 2: mean 3.67, share >= 4 2/3."""
    surveys = pd.DataFrame({"account_id": "a", "responded_at": "2025-05-01",
                            "kind": ["nps"] * 5 + ["csat"] * 3, "score": [10, 9, 8, 6, 0, 5, 4, 2]})
    data = sm.SalesData(surveys=surveys, accounts=pd.DataFrame({"account_id": ["a"], "region": ["EMEA"]}))
    table, findings = sm.customer_satisfaction(data, as_of="2025-06-30")
    row = table[table["region"] == "EMEA"].iloc[0]
    assert row["nps"] == 0 and row["csat"] == pytest.approx(11 / 3) and row["csat_4plus"] == pytest.approx(2 / 3)
    assert findings.empty
    # on the sample the churn link is reported with its interval
    link = sm.customer_satisfaction(sample).table.attrs["churn_relative_risk"]["company"]
    assert link["low"] <= link["rr"] <= link["high"] and link["low_responses"] > 0 and link["horizon_months"] == 6


def test_market_response_mix_sums_to_one(sample):
    table, findings = sm.market_response(sample)
    sums = table.groupby("period")["lead_share"].sum()
    # the groups are all segments but the "(missing)" one, so the shares sum to at most 1
    assert (sums <= 1 + 1e-9).all() and (sums > 0.95).all()
    (f,) = findings.itertuples()
    assert (f.scope, f.metric) == ("Digital Native", "lead_conversion") and f.value < 0.5 * f.baseline


def test_decline_groups_add_up_to_the_company_and_missing_is_never_a_finding(sample):
    """Deals whose account has no segment form "(missing)" in the table, so segments sum to the company; such a
    group is never a finding's scope. The decomposition's ratio is named for what it is (wins per new deal)."""
    opps = sample.opportunities.copy()
    accounts = sample.accounts.copy()
    accounts.loc[accounts.index[:300], "segment"] = None
    data = sm.SalesData(opportunities=opps, accounts=accounts, fx_rates=sample.fx_rates)
    table, findings = sm.sales_decline(data)
    company = table[table["scope_type"] == "company"].set_index("period")
    groups = table[table["scope_type"] == "segment"].groupby("period")[["opportunities", "won", "bookings"]].sum()
    assert "(missing)" in set(table["scope"])
    np.testing.assert_allclose(groups.to_numpy(float), company[["opportunities", "won", "bookings"]].to_numpy(float))
    assert "(missing)" not in set(findings["scope"]) and "wins_per_new_deal" in table.columns
