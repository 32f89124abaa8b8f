"""Issue #15: what the diagnostics mean, on hand-computed fixtures.

1. The satisfaction → churn link is time-aligned: per CSAT response at least h months before as_of,
   did the account churn within h months after it (docs/metrics.md, "Customer satisfaction").
2. Nothing inside ``diagnose`` swallows an error: the link is computed with the bundle's currency and
   fx rates, so the Korean twin of the sample gets the same severities as the English one; what cannot
   be measured is said in the evidence.
3. The SLA drop after SDR departures is assessed on its own, whether attrition is flagged or not.
4. ``report()`` builds the deck from one month of data and from one row per table.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.datasets import make_company
from salesmetrics.datasets.generator import CSAT_REGION, KO_REGIONS, KO_SEGMENTS, KO_TEAMS
from salesmetrics.stats import relative_risk

# ---------------------------------------------------------------------------------------------------------
# 1. the time-aligned churn link, by hand
# ---------------------------------------------------------------------------------------------------------

AS_OF = "2025-12-31"  # horizon 6 months: responses from 2025-06-30 or earlier are followed up


def _churn_fixture(currency: str = "USD") -> sm.SalesData:
    """30 customers on $100 a month since 2024-01-01 answer CSAT on 2025-03-10 (month R = March, so the
    follow-up is the month-ends of March to August 2025):

    - L0..L9 score 2 (low). L0, L1, L2 churn on 2025-05-15 (MRR 0 at the end of May: inside). L3 churns
      on 2025-10-15 (October: after its 6 months, not counted). L0 answers again on 2025-04-10 with a 1
      (follow-up April–September; its May churn counts again: one account, two responses).
      Low: 11 responses, 4 followed by churn (L0 twice, L1, L2).
    - R0..R19 score 4. R0 churns on 2025-07-01 (last active day June 30, MRR 0 at the end of July:
      inside); R1 on 2025-09-10 (September: outside). Rest: 20 responses, 1 followed by churn.
    - Left out: R2..R6 score 1 on 2025-11-20 (too recent to have 6 months before as_of: the bias the
      issue is about); R7 scores 1 on 2026-01-05 (after as_of); P0, never a customer, scores 1 in March.

    RR = (4/11) / (1/20) = 0.3636 / 0.05 = 80/11 = 7.27; Katz SE = sqrt(1/4 - 1/11 + 1/1 - 1/20) = 1.0531,
    so 7.27 · exp(±1.96 · 1.0531) = (0.92, 57.3).

    With ``currency="KRW"`` the same company reports in won, half the customers paying in EUR through
    fx_rates: churn does not depend on the currency, so the link is the same.
    """
    low = [f"L{i}" for i in range(10)]
    rest = [f"R{i}" for i in range(20)]
    ends = {"L0": "2025-05-15", "L1": "2025-05-15", "L2": "2025-05-15", "L3": "2025-10-15", "R0": "2025-07-01", "R1": "2025-09-10"}
    customers = low + rest
    subs = pd.DataFrame({"subscription_id": [f"s-{a}" for a in customers], "account_id": customers, "start_date": "2024-01-01",
                         "end_date": [ends.get(a) for a in customers], "amount": 100.0})
    if currency != "USD":
        subs["currency"] = np.where(np.arange(len(subs)) % 2 == 0, "EUR", currency)
        subs["amount"] = np.where(subs["currency"] == "EUR", 90.0, 135_000.0)
    responses = ([(a, "2025-03-10", 2) for a in low] + [("L0", "2025-04-10", 1)] + [(a, "2025-03-10", 4) for a in rest]
                 + [(f"R{i}", "2025-11-20", 1) for i in range(2, 7)] + [("R7", "2026-01-05", 1), ("P0", "2025-03-10", 1)])
    surveys = pd.DataFrame(responses, columns=["account_id", "responded_at", "score"]).assign(kind="csat")
    accounts = pd.DataFrame({"account_id": [*customers, "P0"], "region": "APAC"})
    tables = {"accounts": accounts, "subscriptions": subs, "surveys": surveys}
    if currency != "USD":
        tables["fx_rates"] = pd.DataFrame({"currency": ["EUR"], "date": ["2023-01-01"], "rate": [1_500.0]})
    return sm.SalesData(**tables, currency=currency)


def test_the_churn_link_is_per_response_and_time_aligned():
    table, _ = sm.customer_satisfaction(_churn_fixture(), as_of=AS_OF)
    link = table.attrs["churn_relative_risk"]
    company = link["company"]
    assert (company["low_churned"], company["low_responses"], company["rest_churned"], company["rest_responses"]) == (4, 11, 1, 20)
    assert company["rr"] == pytest.approx(80 / 11)
    assert (company["low"], company["high"]) == pytest.approx((0.923, 57.3), rel=1e-3)
    rr, low, high = relative_risk(4, 11, 1, 20)  # the one helper, not a second implementation
    assert (company["rr"], company["low"], company["high"]) == pytest.approx((rr.item(), low.item(), high.item()))
    assert link["APAC"] == company and company["horizon_months"] == 6 and table.attrs["churn_link_note"] is None


def test_the_horizon_is_a_parameter():
    """With 3 months, March answers are followed over March–May and April's over April–June: L0 (twice), L1,
    L2 churned in May (4 of 11 low); R0's July churn is now outside (0 of 20): no ratio (a zero arm), and
    the responses of 2025-09-30 or earlier are eligible, which still leaves out November's."""
    table, _ = sm.customer_satisfaction(_churn_fixture(), as_of=AS_OF, horizon="3M")
    company = table.attrs["churn_relative_risk"]["company"]
    assert (company["low_churned"], company["low_responses"], company["rest_churned"], company["rest_responses"]) == (4, 11, 0, 20)
    assert np.isnan(company["rr"]) and company["horizon_months"] == 3
    with pytest.raises(ValueError, match="horizon"):
        sm.customer_satisfaction(_churn_fixture(), as_of=AS_OF, horizon="0M")
    with pytest.raises(ValueError, match="calendar months"):
        sm.customer_satisfaction(_churn_fixture(), as_of=AS_OF, horizon="90D")
    # the 0.1 spelling still works, with a FutureWarning, and gives the same link
    with pytest.warns(FutureWarning, match="horizon_months=.*deprecated"):
        old, _ = sm.customer_satisfaction(_churn_fixture(), as_of=AS_OF, horizon_months=3)
    assert pd.Series(old.attrs["churn_relative_risk"]["company"]).equals(pd.Series(company))  # NaN rr in both


def test_nothing_after_as_of_counts_and_too_recent_answers_say_so():
    """As of 2025-08-31 the cutoff is 2025-02-28: every answer is too recent for 6 months of follow-up."""
    table, _ = sm.customer_satisfaction(_churn_fixture(), as_of="2025-08-31")
    assert table.attrs["churn_relative_risk"] == {}
    assert "no CSAT response is from 2025-02-28 or earlier" in table.attrs["churn_link_note"]
    assert "6 months" in table.attrs["churn_link_note"]


def test_the_link_is_the_same_in_another_reporting_currency():
    """Issue #15 item 2: the link used to call mrr() on a bare table and lost the bundle's currency."""
    usd = sm.customer_satisfaction(_churn_fixture(), as_of=AS_OF).table.attrs["churn_relative_risk"]
    krw = sm.customer_satisfaction(_churn_fixture("KRW"), as_of=AS_OF).table.attrs["churn_relative_risk"]
    assert krw == usd


def test_the_sample_finding_states_the_horizon_and_the_counts(sample):
    _, findings = sm.customer_satisfaction(sample)
    apac = findings[findings["scope"] == CSAT_REGION].iloc[0]
    assert apac["severity"] == "critical"
    assert "churned within 6 months" in apac["evidence"] and "low responses against" in apac["evidence"]
    _, three = sm.customer_satisfaction(sample, horizon="3M")
    assert "within 3 months" in three.loc[three["scope"] == CSAT_REGION, "evidence"].iloc[0]


# the planted company: low CSAT raises the churn hazard at each renewal (generator._make_revenue), and APAC's
# satisfaction drifts down over the last four quarters. Measured before the fix (all-time mean CSAT against
# "churned by as_of"), APAC's relative risk was below 1 on every case below (0.28-0.92); time-aligned it is
# 1.6-3.4 (2,000 accounts, seeds 0-3: 1.56, 1.73, 2.23, 2.44; 5,000: 3.41, 1.64, 2.62, 3.27; seeds 101/202/303
# at 5,000: 2.88, 1.81, 2.81).
PLANTED = [(accounts, seed) for accounts in (2_000, 5_000) for seed in (0, 1, 2, 3)] + [(5_000, s) for s in (101, 202, 303)]


@pytest.mark.parametrize(("accounts", "seed"), PLANTED)
def test_low_satisfaction_is_followed_by_more_churn_in_the_planted_region(accounts, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = make_company(seed=seed, accounts=accounts).to_sales_data()
    link = sm.customer_satisfaction(data).table.attrs["churn_relative_risk"][CSAT_REGION]
    assert link["rr"] > 1, link
    assert link["low_responses"] >= 10 and link["rest_responses"] >= 200


# ---------------------------------------------------------------------------------------------------------
# 2. the same data gives the same severities in English and Korean; what is not measured is said
# ---------------------------------------------------------------------------------------------------------

_BACK = {ko: en for mapping in (KO_SEGMENTS, KO_REGIONS, KO_TEAMS) for en, ko in mapping.items()}


def _severities(found: pd.DataFrame) -> dict[tuple[str, str, str, str], str]:
    return {(r.sign, r.scope_type, ",".join(sorted(_BACK.get(s, s) for s in r.scope.split(","))), r.metric): r.severity
            for r in found.itertuples()}


def test_the_korean_twin_of_the_sample_gets_the_same_severities(sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        korean = make_company(seed=7, locale="ko").to_sales_data()
    assert (korean.currency, sample.currency) == ("KRW", "USD")
    en, ko = sm.diagnose(sample), sm.diagnose(korean, lang="ko")
    assert _severities(ko) == _severities(en)
    assert _severities(en)[("customer_satisfaction", "region", CSAT_REGION, "csat")] == "critical"
    satisfaction = ko.loc[ko["sign"] == "customer_satisfaction", "evidence"].iloc[0]
    assert "6개월 안에" in satisfaction and "95% 신뢰구간" in satisfaction


def test_a_grouping_that_cannot_be_made_is_said_not_dropped():
    """Surveys without an accounts table cannot be grouped by region: the company is assessed, and an info
    row says the regions were not."""
    data = _churn_fixture()
    bare = sm.SalesData(surveys=data.surveys, subscriptions=data.subscriptions)
    found = sm.diagnose(bare, as_of=AS_OF)
    mine = found[found["sign"] == "customer_satisfaction"]
    assert mine["metric"].tolist() == ["partly_assessed"] and mine["severity"].tolist() == ["info"]
    assert "not per region" in mine["evidence"].iloc[0]
    ko = sm.diagnose(bare, as_of=AS_OF, lang="ko")
    assert ko.loc[ko["sign"] == "customer_satisfaction", "metric"].tolist() == ["partly_assessed"]


def test_an_ambiguous_grouping_is_said_with_the_reason():
    """Deals reach a region through their account and through their owner: by="region" cannot choose, so
    declining sales is assessed for the company and the info row gives the library's reason."""
    months = pd.date_range("2023-01-10", periods=27, freq="MS") + pd.Timedelta(days=9)
    opps = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(len(months))], "created_at": months.strftime("%Y-%m-%d"),
                         "status": "won", "closed_at": (months + pd.Timedelta(days=5)).strftime("%Y-%m-%d"), "amount": 1000.0,
                         "account_id": "a1", "owner_id": "r1"})
    data = sm.SalesData(opportunities=opps, accounts=pd.DataFrame({"account_id": ["a1"], "region": ["EMEA"]}),
                        reps=pd.DataFrame({"rep_id": ["r1"], "team": ["East"], "region": ["APAC"]}))
    found = sm.diagnose(data, as_of="2025-03-31", thresholds={"declining_sales": {"by": "region"}})
    partly = found[(found["sign"] == "declining_sales") & (found["metric"] == "partly_assessed")]
    assert len(partly) == 1 and "not per region" in partly["evidence"].iloc[0] and "by='account.region'" in partly["evidence"].iloc[0]
    # without amounts the company cannot be assessed either: then it is not called "assessed for the company"
    bare = sm.SalesData(opportunities=opps.drop(columns="amount"), accounts=data.accounts, reps=data.reps)
    found = sm.diagnose(bare, as_of="2025-03-31", thresholds={"declining_sales": {"by": "region"}})
    mine = found[found["sign"] == "declining_sales"]
    assert len(mine) and not (mine["metric"] == "partly_assessed").any()


# ---------------------------------------------------------------------------------------------------------
# 3. the SLA consequence of SDR departures, on its own
# ---------------------------------------------------------------------------------------------------------


def _sla_fixture(recent_met: int = 10, leaving: tuple[str | None, ...] = ("2025-06-15",)) -> sm.SalesData:
    """An SDR team of 10 and an AE team of 10, as of 2025-12-31 (window 2025Q1–2025Q4).

    ``leaving``: when SDRs s1, s2, ... left (one by default: 1 departure, below min_departures = 3, so
    attrition is not flagged). Leads, all owned by s0 (in post throughout): 20 MQLs in the middle of each
    quarter 2024Q3..2025Q4, each touched by s0 one hour after it became an MQL (met) or 48 hours after
    (breached, 24-hour SLA). The four baseline quarters 2024Q3–2025Q2: 19 met of 20 each, 76 of 80 = 95%.
    The last two, 2025Q3–2025Q4: ``recent_met`` of 20 each; by default 10, so 20 of 40 = 50%.
    z = (0.50 - 0.95) / sqrt(0.8 · 0.2 · (1/40 + 1/80)) = -5.81, p ≈ 3e-9 < 0.001, a fall of 45 points.
    """
    sdr = [f"s{i}" for i in range(10)]
    ae = [f"a{i}" for i in range(10)]
    left = [*leaving, *[None] * (10 - len(leaving) - 1)]
    reps = pd.DataFrame({"rep_id": sdr + ae, "team": ["SDR"] * 10 + ["New Business"] * 10, "role": ["SDR"] * 10 + ["AE"] * 10,
                         "hired_at": "2020-01-01", "terminated_at": [None, *left] + [None] * 10})
    leads, acts = [], []
    for q, quarter in enumerate(pd.period_range("2024Q3", "2025Q4", freq="Q")):
        met = 19 if q < 4 else recent_met
        for i in range(20):
            mql = quarter.start_time + pd.Timedelta(days=20 + i, hours=10)
            lead = f"l{q}-{i}"
            leads.append({"lead_id": lead, "created_at": mql, "mql_at": mql, "owner_id": "s0"})
            acts.append({"activity_id": f"x{q}-{i}", "owner_id": "s0", "lead_id": lead,
                         "occurred_at": mql + pd.Timedelta(hours=1 if i < met else 48)})
    return sm.SalesData(reps=reps, leads=pd.DataFrame(leads), activities=pd.DataFrame(acts))


def test_the_sla_drop_after_sdr_departures_is_found_without_an_attrition_flag():
    table, findings = sm.rep_turnover(_sla_fixture(), as_of="2025-12-31")
    sdr = table[(table["scope_type"] == "team") & (table["scope"] == "SDR")].iloc[0]
    assert sdr["departures"] == 1  # below min_departures = 3: attrition is not flagged
    assert "attrition" not in set(findings["metric"])
    (f,) = findings.itertuples()
    assert (f.sign, f.severity, f.scope, f.metric) == ("rep_turnover", "warning", "SDR", "sla_compliance")
    assert (f.value, f.baseline) == pytest.approx((20 / 40, 76 / 80))
    assert "With 1 of its reps gone in 2025Q1–2025Q4" in f.evidence
    assert "fell from 95% (2024Q3–2025Q2) to 50% (2025Q3–2025Q4)" in f.evidence
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)  # the leads have no segment (market response's concern)
        found = sm.diagnose(_sla_fixture(), as_of="2025-12-31")
    assert found.loc[found["sign"] == "rep_turnover", "metric"].tolist() == ["sla_compliance"]


def test_no_sla_finding_when_it_held_or_nobody_left():
    """19 of 20 met in the last two quarters too (95% against 95%): no finding; and a team that lost no
    one is not blamed for an SLA drop."""
    assert sm.rep_turnover(_sla_fixture(recent_met=19), as_of="2025-12-31").findings.empty
    assert sm.rep_turnover(_sla_fixture(leaving=()), as_of="2025-12-31").findings.empty


def test_an_sla_that_cannot_be_checked_is_said():
    """Without leads and activities the SLA cannot be measured: said in the attrition finding when there
    is one (5 of the 10 SDRs left in the first five months, none of the AEs: flagged), and as an info row
    of its own when there is none (1 left)."""
    flagged = _sla_fixture(leaving=("2025-01-15", "2025-02-15", "2025-03-15", "2025-04-15", "2025-05-15"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)  # reps alone: as_of is inferred from hire dates, and says so
        reps_only, one_left = sm.SalesData(reps=flagged.reps), sm.SalesData(reps=_sla_fixture().reps)
    (f,) = sm.rep_turnover(reps_only, as_of="2025-12-31").findings.itertuples()
    assert f.metric == "attrition" and "could not be checked: the bundle has no leads / activities table" in f.evidence
    (g,) = sm.rep_turnover(one_left, as_of="2025-12-31").findings.itertuples()
    assert (g.severity, g.scope, g.metric) == ("info", "SDR", "partly_assessed") and "no leads / activities" in g.evidence


# ---------------------------------------------------------------------------------------------------------
# 4. the deck from very little data
# ---------------------------------------------------------------------------------------------------------


def _one_row_per_table() -> sm.SalesData:
    """One account, rep, lead, deal, stage, subscription, activity, spend month, survey and target."""
    return sm.SalesData(
        accounts=pd.DataFrame({"account_id": ["a1"], "name": ["Acme"], "segment": ["SMB"], "region": ["EMEA"]}),
        reps=pd.DataFrame({"rep_id": ["r1"], "team": ["SDR"], "role": ["SDR"], "hired_at": ["2024-01-01"], "terminated_at": [None]}),
        leads=pd.DataFrame({"lead_id": ["l1"], "created_at": ["2025-01-02 09:00"], "owner_id": ["r1"], "account_id": ["a1"],
                            "mql_at": ["2025-01-02 12:00"], "opportunity_id": ["o1"]}),
        opportunities=pd.DataFrame({"opportunity_id": ["o1"], "created_at": ["2025-01-10"], "status": ["won"], "closed_at": ["2025-02-20"],
                                    "amount": ["12000"], "account_id": ["a1"], "owner_id": ["r1"], "lead_id": ["l1"], "type": ["new_business"]}),
        stage_history=pd.DataFrame({"opportunity_id": ["o1"], "stage": ["Closed Won"], "entered_at": ["2025-02-20"]}),
        subscriptions=pd.DataFrame({"subscription_id": ["s1"], "account_id": ["a1"], "start_date": ["2025-02-21"], "amount": ["1000"]}),
        activities=pd.DataFrame({"activity_id": ["x1"], "owner_id": ["r1"], "occurred_at": ["2025-01-02 13:00"], "lead_id": ["l1"]}),
        spend=pd.DataFrame({"month": ["2025-01-01"], "amount": ["1500"], "channel": ["paid_search"], "category": ["marketing"]}),
        surveys=pd.DataFrame({"account_id": ["a1"], "responded_at": ["2025-03-01"], "kind": ["csat"], "score": ["4"]}),
        targets=pd.DataFrame({"period": ["2025Q1"], "metric": ["bookings"], "target": ["50000"], "scope": ["company"]}),
    )


def _one_month() -> sm.SalesData:
    """Everything in January 2025: 6 accounts, an SDR and an AE, 12 leads, 4 deals (2 won), 2 subscriptions,
    activities, one spend month and 6 survey answers. as_of is 2025-01-30: no quarter is complete."""
    days = [f"2025-01-{d:02d}" for d in range(5, 29, 2)]
    accounts = pd.DataFrame({"account_id": [f"a{i}" for i in range(6)], "segment": ["SMB", "Enterprise"] * 3, "region": "EMEA"})
    leads = pd.DataFrame({"lead_id": [f"l{i}" for i in range(12)], "created_at": [f"{d} 09:00" for d in days],
                          "mql_at": [f"{d} 11:00" for d in days], "owner_id": "r1", "account_id": [f"a{i % 6}" for i in range(12)],
                          "opportunity_id": [f"o{i}" if i < 4 else None for i in range(12)]})
    opps = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(4)], "created_at": days[:4], "status": ["won", "won", "lost", "open"],
                         "closed_at": ["2025-01-20", "2025-01-22", "2025-01-25", None], "amount": [12_000, 8_000, 5_000, 9_000],
                         "account_id": [f"a{i}" for i in range(4)], "owner_id": "r2", "lead_id": [f"l{i}" for i in range(4)],
                         "type": "new_business"})
    return sm.SalesData(
        accounts=accounts,
        reps=pd.DataFrame({"rep_id": ["r1", "r2"], "team": ["SDR", "New Business"], "role": ["SDR", "AE"], "hired_at": "2024-01-01",
                           "terminated_at": [None, None]}),
        leads=leads, opportunities=opps,
        stage_history=pd.DataFrame({"opportunity_id": ["o0", "o1"], "stage": "Closed Won", "entered_at": ["2025-01-20", "2025-01-22"]}),
        subscriptions=pd.DataFrame({"subscription_id": ["s0", "s1"], "account_id": ["a0", "a1"], "start_date": ["2025-01-21", "2025-01-23"],
                                    "amount": [1_000, 700]}),
        activities=pd.DataFrame({"activity_id": [f"x{i}" for i in range(12)], "owner_id": "r1", "lead_id": [f"l{i}" for i in range(12)],
                                 "occurred_at": [f"{d} 13:00" for d in days]}),
        spend=pd.DataFrame({"month": ["2025-01-01"], "amount": [3_000], "channel": ["events"], "category": ["marketing"]}),
        surveys=pd.DataFrame({"account_id": ["a0", "a1"] * 3, "responded_at": ["2025-01-28", "2025-01-29", "2025-01-30"] * 2,
                              "kind": "csat", "score": [4, 5, 3, 4, 5, 2]}),
        targets=pd.DataFrame({"period": ["2025-01"], "metric": ["bookings"], "target": [25_000], "scope": ["company"]}),
    )


@pytest.mark.parametrize("quarter", [None, "2025Q1"], ids=["default_quarter", "the_quarter_in_progress"])
@pytest.mark.parametrize("build", [_one_month, _one_row_per_table], ids=["one_month", "one_row_per_table"])
def test_report_builds_the_deck_from_very_little_data(build, quarter, tmp_path):
    """Before: IndexError in decline_drivers (and the cohort chart) on an empty table. Now every page is
    there; a chart with nothing to draw is left out and its page says so."""
    from pptx import Presentation

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = build()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # thin data warns (DefinitionWarning, DataQualityWarning): said, and tested elsewhere
        pptx, page = sm.report(data, quarter=quarter, out=[tmp_path / "review.pptx", tmp_path / "review.html"])
    titles = [s.shapes.title.text for s in Presentation(str(pptx)).slides]
    assert titles[0].startswith("Quarterly sales review") and "Sign 1: Declining sales" in titles and "Data quality" in titles
    assert titles[-1].startswith("Glossary: the KPIs in this review")  # the deck ends with what each KPI means
    html = page.read_text(encoding="utf-8")
    # a chart with nothing to draw is left out and said so; a sign not assessed draws none, and its page says why
    assert "Sign 1: Declining sales" in html and ("left out: the data has nothing for them yet" in html or "too few complete quarters" in html)
    found = sm.diagnose(data)
    decline = found[found["sign"] == "declining_sales"]
    assert decline["metric"].tolist() == ["insufficient_data"]  # no complete quarter: not assessed, said why
    assert "too few complete quarters" in decline["evidence"].iloc[0]


def test_decline_drivers_with_no_complete_period_draws_a_note():
    """sales_decline on one month of data has no complete quarter: an empty table, which both chart
    backends draw as an empty chart saying what it needs, instead of an IndexError."""
    from salesmetrics import interactive as splot
    from salesmetrics import plot

    table = sm.sales_decline(_one_month()).table
    assert table.empty
    ax = plot.decline_drivers(table)
    assert "at least one complete quarter" in " ".join(t.get_text() for t in ax.texts)
    fig = splot.decline_drivers(table)
    assert "at least one complete quarter" in fig.layout.annotations[0].text
