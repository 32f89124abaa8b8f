"""Org designs, scorecards and the reverse-funnel plan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.org import OrgDesign, Team


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
    """deals = target / mean deal; each earlier stage = the later stage / its measured cohort rate."""
    plan = sm.plan_funnel(sample, target_bookings=1_500_000, period="2025Q4").set_index("item")
    v = plan["value"]
    assert v["won deals needed"] == pytest.approx(1_500_000 / v["mean deal size"])
    assert v["opportunities needed"] == pytest.approx(v["won deals needed"] / v["rate won_at"])
    assert v["leads needed"] == pytest.approx(v["MQLs needed"] / v["rate mql_at"])
    assert plan.loc["MQLs needed", "per_month"] == pytest.approx(v["MQLs needed"] / 3)
    assert v["SDR headcount"] > 0 and "per SDR a month" in plan.loc["SDR headcount", "basis"]


def test_plan_funnel_deal_size_is_the_deal_size_kpi(sample):
    """One definition per number: the plan's mean deal is the new-business mean deal of the four quarters before,
    as the deck's plan and the scorecard use (expansion deals are not new bookings)."""
    plan = sm.plan_funnel(sample, target_bookings=1_500_000, period="2025Q4").set_index("item")
    o = sample.opportunities
    start, end = pd.Timestamp("2024-10-01", tz=sample.timezone), pd.Timestamp("2025-10-01", tz=sample.timezone)
    won = o[(o["status"] == "won") & (o["closed_at"] >= start) & (o["closed_at"] < end)
            & (o["type"].isna() | (o["type"] == "new_business"))]
    amount = sm.deal_size(won, freq=None, fx_rates=sample.fx_rates)["mean"].item()  # reporting currency
    assert plan.loc["mean deal size", "value"] == pytest.approx(amount)
    assert "new-business" in plan.loc["mean deal size", "basis"]
