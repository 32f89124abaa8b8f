"""Org designs, scorecards and the reverse-funnel plan."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.org import KPIS, OrgDesign, Team


def test_designs_follow_the_seed_article():
    """docs/metrics.md: functional = marketing (leads, lead conversion, CAC), sales (revenue, deal size, close rate,
    win rate), product (retention, MRR/ARR), support (retention, cycle length); process = marketing (same),
    sales (revenue, deal size, close rate, win rate, cycle length, lead conversions), customer success
    (retention, MRR/ARR, LTV)."""
    f = OrgDesign.functional().kpi_owners().groupby("team")["kpi"].apply(list).to_dict()
    assert f["Marketing"] == ["mqls", "lead_conversion", "cac"]
    assert f["Sales"] == ["bookings", "deal_size", "close_rate", "win_rate"]
    assert f["Product"] == ["logo_churn_rate", "mrr", "arr"] and f["Support"] == ["logo_churn_rate", "sales_cycle_days"]
    p = OrgDesign.process().kpi_owners().groupby("team")["kpi"].apply(list).to_dict()
    assert p["Sales"] == ["bookings", "deal_size", "close_rate", "win_rate", "sales_cycle_days", "lead_conversions"]
    assert p["Customer Success"] == ["logo_churn_rate", "nrr", "mrr", "arr", "ltv"]
    assert OrgDesign.process().role_stages()["SDR"] == ("mql_at", "sql_at")
    with pytest.raises(ValueError, match="unknown KPIs"):
        OrgDesign("mine", (Team("A", ("AE",), ("happiness",)),))


def test_scorecard_values_equal_the_metric_functions(sample):
    card = sm.scorecard(sample, org="process")
    assert len(card) == len(OrgDesign.process().kpi_owners()) and not card.duplicated(["team", "kpi"]).any()
    q3, q2 = pd.Period("2025Q3", "Q"), pd.Period("2025Q2", "Q")
    row = card.set_index(["team", "kpi"])
    win = sm.win_rate(sample).set_index("period")["win_rate"]
    assert row.loc[("Sales", "win_rate"), "value"] == win[q3]
    assert row.loc[("Sales", "win_rate"), "change"] == pytest.approx(win[q3] - win[q2])
    o = sample.opportunities  # bookings are new business (as sales_decline counts them): expansion is in MRR
    new_business = sm.deal_size(o[o["type"].isna() | (o["type"] == "new_business")], fx_rates=sample.fx_rates)
    assert row.loc[("Sales", "bookings"), "value"] == new_business.set_index("period").loc[q3, "total"]
    assert row.loc[("Customer Success", "nrr"), "value"] == sm.retention(sample).set_index("period").loc[q3, "nrr"]
    assert row.loc[("Customer Success", "mrr"), "value"] == sm.mrr_bridge(sample, freq="Q").set_index("period").loc[q3, "ending_mrr"]
    mq = sm.funnel(sm.lead_journeys(sample), ["created_at", "mql_at"], freq="Q", method="period").set_index("period")
    assert row.loc[("Marketing", "mqls"), "value"] == mq.loc[q3, "converted"]


def test_scorecard_targets_and_attainment(sample):
    """Sample targets: bookings (company), win_rate (scope 'New Business', a rep team inside Sales), MQLs per month
    (scope 'Marketing', summed over the quarter), logo churn 3% (lower is better: attainment = target / value)."""
    row = sm.scorecard(sample).set_index(["team", "kpi"])
    t = sample.targets
    months = ["2025-07", "2025-08", "2025-09"]
    assert row.loc[("Marketing", "mqls"), "target"] == t[(t["metric"] == "mqls") & t["period"].isin(months)]["target"].sum()
    assert row.loc[("Sales", "win_rate"), "target"] == 0.30
    churn = row.loc[("Customer Success", "logo_churn_rate")]
    assert churn["attainment"] == pytest.approx(0.03 / churn["value"])
    assert np.isnan(row.loc[("Sales", "deal_size"), "target"])  # no target set: no attainment
    card = sm.scorecard(sample, org="functional", as_of="2025-06-30")
    assert set(card["team"]) == {"Marketing", "Sales", "Product", "Support"} and (card["period"].astype(str) == "2025Q2").all()


def test_scorecard_reports_kpis_it_cannot_compute(sample):
    bare = sm.SalesData(opportunities=sample.opportunities, accounts=sample.accounts, fx_rates=sample.fx_rates, timezone=sample.timezone)
    card = sm.scorecard(bare).set_index(["team", "kpi"])
    assert card.loc[("Sales", "win_rate"), "value"] > 0
    assert np.isnan(card.loc[("Customer Success", "mrr"), "value"]) and "subscriptions" in card.loc[("Customer Success", "mrr"), "note"]


def test_plan_funnel_works_back_from_bookings(sample):
    """deals = ⌈target ÷ deal size⌉; each earlier stage = ⌈the later stage ÷ its measured rate⌉; people = ⌈monthly work ÷
    the work one rep in post handles a month⌉ (whole numbers: a plan cannot hire 11.4 SDRs)."""
    plan = sm.plan_funnel(sample, target_bookings=1_500_000, period="2025Q4").set_index("item")
    v = plan["value"]
    a = plan.reset_index().query("kpi != ''").set_index("kpi")["value"]  # the assumptions, by KPI
    assert v["won deals needed"] == np.ceil(1_500_000 / a["deal_size"])
    assert v["opportunities needed"] == np.ceil(v["won deals needed"] / a["funnel_won"])
    assert v["SQLs needed"] == np.ceil(v["opportunities needed"] / a["funnel_opportunity"])
    assert v["MQLs needed"] == np.ceil(v["SQLs needed"] / a["funnel_sql"])
    assert v["leads needed"] == np.ceil(v["MQLs needed"] / a["funnel_mql"])
    assert plan.loc["MQLs needed", "per_month"] == np.ceil(v["MQLs needed"] / 3)
    assert v["SDR headcount"] == np.ceil(np.ceil(v["MQLs needed"] / 3) / a["mqls_per_sdr"])
    assert v["AE headcount"] == np.ceil(np.ceil(v["opportunities needed"] / 3) / a["opportunities_per_ae"])
    assert "per SDR in post a month" in plan.loc["SDR headcount", "basis"]
    needed = plan.loc[[i for i in plan.index if i.endswith("needed") or i.endswith("headcount")], "value"]
    assert all(float(x).is_integer() and x > 0 for x in needed)


def test_plan_funnel_assumptions_are_the_kpis(sample):
    """One definition per number: each assumption is its KPI over the four quarters before the period (Σnum / Σden),
    measured at the period's start; the mean deal is the new-business mean deal, as the deck's plan and the scorecard
    use (expansion deals are not new bookings)."""
    plan = sm.plan_funnel(sample, target_bookings=1_500_000, period="2025Q4")
    a = plan[plan["kpi"] != ""].set_index("kpi")["value"]
    o = sample.opportunities
    start, end = pd.Timestamp("2024-10-01", tz=sample.timezone), pd.Timestamp("2025-10-01", tz=sample.timezone)
    won = o[(o["status"] == "won") & (o["closed_at"] >= start) & (o["closed_at"] < end)
            & (o["type"].isna() | (o["type"] == "new_business"))]
    amount = sm.deal_size(won, freq=None, fx_rates=sample.fx_rates)["mean"].item()  # reporting currency
    assert a["deal_size"] == pytest.approx(amount)
    measured = pd.Timestamp("2025-10-01", tz=sample.timezone) - pd.Timedelta(1)
    for kpi in ("funnel_won", "funnel_sql", "mqls_per_sdr"):
        table = KPIS[kpi].table(sample, "Q", measured)
        rows = table[(table["period"] >= pd.Period("2024Q4", "Q")) & (table["period"] <= pd.Period("2025Q3", "Q"))]
        assert a[kpi] == pytest.approx(rows["num"].sum() / rows["den"].sum()), kpi


def test_plan_funnel_without_leads_or_roles_says_what_to_add(sample):
    tables = {k: v for k, v in sample.tables.items() if k != "leads"}
    tables["reps"] = tables["reps"].drop(columns=["role"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bare = sm.SalesData(**tables, timezone=sample.timezone, currency=sample.currency)
    plan = sm.plan_funnel(bare, target_bookings=1_500_000, period="2025Q4").set_index("item")
    assert plan.loc["won deals needed", "value"] > 0
    assert plan.loc["opportunities needed", "kpi"] == "" and "close_rate" in set(plan["kpi"])  # the deal closing ratio instead
    assert np.isnan(plan.loc["SQLs needed", "value"]) and "add leads" in plan.loc["SQLs needed", "basis"]
    assert np.isnan(plan.loc["AE headcount", "value"]) and "add reps.role" in plan.loc["AE headcount", "basis"]
    with pytest.warns(FutureWarning, match="capacity"):
        sm.plan_funnel(sample, target_bookings=1e6, period="2025Q4", capacity={"SDR": ("mql_at", "MQLs")})


def test_plan_funnel_without_amounts_names_the_root_cause_on_every_row(sample):
    """No deal amounts (as in the Olist export): no deal count can be worked out, and every stage says why, not
    "an earlier stage is missing"; the deal-size assumption says it is not available rather than "assumed: NaN"."""
    tables = dict(sample.tables)
    tables["opportunities"] = tables["opportunities"].drop(columns=["amount"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bare = sm.SalesData(**tables, timezone=sample.timezone, currency=sample.currency)
    plan = sm.plan_funnel(bare, target_bookings=1e6, period="2025Q4").set_index("item")
    stages = ["won deals needed", "opportunities needed", "SQLs needed", "MQLs needed", "leads needed"]
    assert plan.loc[stages, "value"].isna().all()
    assert set(plan.loc[stages, "basis"]) == {"not available: add opportunities.amount"}
    deal = plan[plan["kpi"] == "deal_size"]
    assert np.isnan(deal["value"].item()) and deal["basis"].item() == "not available: add opportunities.amount"
    assert "won by 2025-09-30" in plan.loc["median lead-to-win days", "basis"]  # measured when the quarter began
