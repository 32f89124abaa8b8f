"""Unit economics: the sBG model against Fader & Hardie (2007), ChartMogul's LTV, hand-computed CAC and payback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.economics import ShiftedBetaGeometric, cac, cac_payback, ltv, unit_economics

# Fader & Hardie (2007), "How to Project Customer Retention", Journal of Interactive Marketing 21(1), 76-90,
# Table 1: customers alive at the start of years 0-12 of two cohorts of 1,000 (docs/metrics.md quotes them).
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


@pytest.mark.parametrize(("data", "alpha", "beta", "ll"), [
    # Published maximum-likelihood estimates and log-likelihoods, fitted on years 0-7 (section 4 of the paper):
    # regular alpha = 0.704, beta = 1.182, LL = -1680.3; high end alpha = 0.668, beta = 3.806, LL = -1611.2.
    (REGULAR, 0.704, 1.182, -1680.3),
    (HIGH_END, 0.668, 3.806, -1611.2),
])
def test_sbg_fit_matches_the_published_estimates(data, alpha, beta, ll):
    m = ShiftedBetaGeometric().fit(data[:8])
    assert round(m.alpha, 3) == alpha and round(m.beta, 3) == beta
    assert round(m.log_likelihood, 1) == ll


def test_sbg_projects_years_8_to_12():
    """High end, years 8-12: 0.460, 0.436, 0.414, 0.395, 0.378 of the cohort, the paper's projection as reproduced
    by jdmaturen/shifted_beta_geometric_py (README); the observed values are 0.468 ... 0.394. The regular segment's
    projection must equal the paper's product of retention rates r(t) = (beta+t-1)/(alpha+beta+t-1) (its eq. 8),
    and stays within 3% of what was observed (the paper's point: the sBG projects well)."""
    high = ShiftedBetaGeometric().fit(HIGH_END[:8])
    assert np.round(high.survival(np.arange(8, 13)), 3).tolist() == [0.460, 0.436, 0.414, 0.395, 0.378]
    reg = ShiftedBetaGeometric().fit(REGULAR[:8])
    product = np.cumprod(reg.retention_rate(np.arange(1, 13)))
    np.testing.assert_allclose(reg.survival(np.arange(1, 13)), product, rtol=1e-10)
    observed = np.array(REGULAR[8:]) / 1000
    assert np.all(np.abs(reg.survival(np.arange(8, 13)) / observed - 1) < 0.03)
    # churn probabilities and survival add up: S(t-1) - S(t) = P(T = t)
    np.testing.assert_allclose(reg.survival(np.arange(0, 12)) - reg.survival(np.arange(1, 13)),
                               reg.churn_probability(np.arange(1, 13)), rtol=1e-10)


def test_sbg_derl_matches_the_worked_figure_and_the_series_it_sums():
    """DERL of a high-end customer after 7 renewals at d = 10%: 7.530 (jdmaturen/shifted_beta_geometric_py README,
    reproducing Fader & Hardie's worked figure). The hypergeometric closed form must also equal the discounted sum it
    stands for, sum over t >= n of S(t)/S(n-1) / (1+d)^(t-n), for several n."""
    m = ShiftedBetaGeometric().fit(HIGH_END[:8])
    assert round(m.derl(0.10, renewals=7), 3) == 7.530
    t = np.arange(0, 5_000)  # 1.1 ** 5000 is still finite; the terms beyond are below 1e-200
    for renewals in (0, 3, 7):
        n = renewals + 1
        series = (m.survival(n + t) / m.survival(n - 1) / 1.1 ** t).sum()
        assert m.derl(0.10, renewals) == pytest.approx(series, rel=1e-8)


def test_sbg_input_errors_say_what_to_pass():
    with pytest.raises(ValueError, match="must not increase: period 2"):
        ShiftedBetaGeometric().fit([100, 80, 90])
    with pytest.raises(ValueError, match="positive first count"):
        ShiftedBetaGeometric().fit([0, 0])
    with pytest.raises(ValueError, match="at least two"):
        ShiftedBetaGeometric().fit([100])
    with pytest.raises(ValueError, match="not fitted"):
        ShiftedBetaGeometric().survival(3)


def test_sbg_from_subscriptions_counts_continuous_customers():
    """Cohort 2025-01 of four accounts: a leaves in March, b stays, c leaves in May, d leaves in February and comes back
    in April (it counts as lost: the sBG follows one unbroken lifetime). e starts in February (another cohort)."""
    subs = pd.DataFrame({
        "subscription_id": ["a", "b", "c", "d1", "d2", "e"], "account_id": list("abcdde"),
        "start_date": ["2025-01-05", "2025-01-20", "2025-01-09", "2025-01-02", "2025-04-01", "2025-02-01"],
        "end_date": ["2025-03-01", None, "2025-05-01", "2025-02-01", None, None], "amount": 100})
    survivors = ShiftedBetaGeometric.from_subscriptions(subs, cohort="2025-01", as_of="2025-06-30")
    # age 0: a b c d; end Feb: a b c (d lost in Feb); end Mar: b c; end Apr: b c; end May: b; end Jun: b
    assert survivors.tolist() == [4, 3, 2, 2, 1, 1]
    m = ShiftedBetaGeometric().fit(survivors)
    assert m.alpha is not None and m.alpha > 0
    with pytest.raises(ValueError, match="no account's first active month"):
        ShiftedBetaGeometric.from_subscriptions(subs, cohort="2024-01", as_of="2025-06-30")


def _flat_subs(n: int, leaving: list[str]) -> pd.DataFrame:
    ends = leaving + [None] * (n - len(leaving))
    return pd.DataFrame({"subscription_id": [str(i) for i in range(n)], "account_id": [str(i) for i in range(n)],
                         "start_date": "2024-01-01", "amount": 100, "end_date": ends})


def test_ltv_chartmogul_worked_example_and_margin():
    """ChartMogul: ARPA $100, 5% monthly churn, no margin: LTV = 100 / 0.05 = $2,000; at 80% margin $1,600."""
    subs = _flat_subs(20, ["2025-06-01"])
    row = ltv(subs, window="1M", as_of="2025-06-30", warn=False).iloc[-1]
    assert (row["arpa"], row["monthly_logo_churn"], row["ltv"]) == (100.0, 0.05, pytest.approx(2000.0))
    assert ltv(subs, window="1M", gross_margin=0.8, as_of="2025-06-30", warn=False).iloc[-1]["ltv"] == pytest.approx(1600.0)


def test_ltv_trailing_window_and_zero_churn():
    """Twenty accounts; one leaves in May (1/20) and one in June (1/19). window=2 at 2025Q2: mean(1/20, 1/19), ARPA 100
    (18 accounts at $100). Earlier quarters have no churn at all: NaN LTV with a DefinitionWarning, never inf."""
    subs = _flat_subs(20, ["2025-05-01", "2025-06-01"])
    with pytest.warns(sm.DefinitionWarning, match="churn is 0"):
        table = ltv(subs, window="2M", as_of="2025-06-30")
    last = table.iloc[-1]
    churn = (1 / 20 + 1 / 19) / 2
    assert last["monthly_logo_churn"] == pytest.approx(churn) and last["ltv"] == pytest.approx(100 / churn)
    assert table["ltv"].iloc[:-1].isna().all() and not np.isinf(table["ltv"]).any()


def test_ltv_sbg_fits_a_mixed_base_and_counts_lifetime_over_the_horizon():
    """600 accounts from January 2022: a third churn fast (geometric, 30% a month), the rest rarely (1% a month).
    The sBG fitted to their lifetimes finds the heterogeneity (alpha < 1), reproduces the share still paying after
    12 and 24 months (computed here from the simulated lifetimes) within 3 points, and its lifetime is the sum of
    its survival over the 120-month horizon (the sBG mean is infinite when alpha < 1)."""
    rng = np.random.default_rng(3)
    n = 600
    fast = rng.random(n) < 1 / 3
    months = np.where(fast, rng.geometric(0.3, n), rng.geometric(0.01, n))
    start = pd.Timestamp("2022-01-01")
    end = [None if m > 40 else (start + pd.DateOffset(months=int(m))).strftime("%Y-%m-%d") for m in months]
    subs = pd.DataFrame({"subscription_id": [str(i) for i in range(n)], "account_id": [str(i) for i in range(n)],
                         "start_date": start.strftime("%Y-%m-%d"), "amount": 100, "end_date": end})
    row = ltv(subs, window="6M", method="sbg", horizon="120M", as_of="2024-12-31", warn=False).iloc[-1]
    model = ShiftedBetaGeometric(alpha=row["alpha"], beta=row["beta"])
    assert row["alpha"] < 1
    for age in (12, 24):
        assert abs(float(model.survival(age)) - (months > age).mean()) < 0.03
    assert row["expected_lifetime_months"] == pytest.approx(float(model.survival(np.arange(120)).sum()))
    assert row["ltv"] == pytest.approx(row["arpa"] * row["expected_lifetime_months"])


def _cac_bundle(spend_months=("2025-01", "2025-02", "2025-03", "2025-04")) -> sm.SalesData:
    """Spend: web 1000/2000/3000/4000 a month, events 500 a month, salaries (no channel) 10 000 a month.
    New accounts: Jan a (web), Feb b, c (web) and d (events), Mar e (web), Apr f (referral: no spend line).
    MRR: a 100, b 200, c 400, d 300, e 500, f 600."""
    amounts = {"2025-01": 1000, "2025-02": 2000, "2025-03": 3000, "2025-04": 4000}
    rows = []
    for m in spend_months:
        rows += [(f"{m}-01", amounts[m], "web"), (f"{m}-01", 500, "events"), (f"{m}-01", 10_000, None)]
    spend = pd.DataFrame(rows, columns=["month", "amount", "channel"])
    accounts = pd.DataFrame({"account_id": list("abcdef")})
    starts = ["2025-01-10", "2025-02-03", "2025-02-20", "2025-02-25", "2025-03-15", "2025-04-02"]
    subs = pd.DataFrame({"subscription_id": list("abcdef"), "account_id": list("abcdef"), "start_date": starts,
                         "amount": [100, 200, 400, 300, 500, 600]})
    opps = pd.DataFrame({"opportunity_id": [f"o{x}" for x in "abcdef"], "account_id": list("abcdef"),
                         "created_at": "2024-12-01", "closed_at": starts, "status": "won", "amount": 1000,
                         "type": "new_business", "source": ["web", "web", "web", "events", "web", "referral"]})
    return sm.SalesData(spend=spend, accounts=accounts, subscriptions=subs, opportunities=opps)


def test_cac_by_channel_hand_computed():
    data = _cac_bundle()
    t = cac(data, freq="M", as_of="2025-04-30").set_index(["period", "channel"])
    feb = pd.Period("2025-02", "M")
    # February: web 2000 / 2 = 1000; events 500 / 1 = 500; unattributed salaries 10 000 with no customer -> NaN
    assert t.loc[(feb, "web"), "cac"] == 1000 and t.loc[(feb, "events"), "cac"] == 500
    assert t.loc[(feb, "(missing)"), "spend"] == 10_000 and np.isnan(t.loc[(feb, "(missing)"), "cac"])
    # April: referral has no spend line in a month the table covers: it cost nothing
    assert t.loc[(pd.Period("2025-04", "M"), "referral"), "cac"] == 0
    # channels sum to the company total
    total = cac(data, freq="M", by=None, as_of="2025-04-30").set_index("period")
    assert total.loc[feb, "spend"] == t.xs(feb)["spend"].sum() == 12_500
    assert total.loc[feb, "cac"] == 12_500 / 3
    # quarter: Q1 spend 6000 + 1500 + 30 000 over 5 customers
    q = cac(data, freq="Q", by=None, as_of="2025-04-30").set_index("period")
    assert q.loc[pd.Period("2025Q1", "Q"), "cac"] == 37_500 / 5


def test_cac_lagged_spend_and_missing_months():
    """lag 1: March's customers are charged February's spend. A month missing from spend is NaN, never 0."""
    data = _cac_bundle()
    lagged = cac(data, freq="M", by=None, lag_months=1, as_of="2025-04-30").set_index("period")
    # January needs December, before the spend table starts: not in the table at all
    assert pd.Period("2025-01", "M") not in lagged.index
    assert lagged.loc[pd.Period("2025-03", "M"), "cac"] == (2000 + 500 + 10_000) / 1
    assert lagged.loc[pd.Period("2025-04", "M"), "cac"] == (3000 + 500 + 10_000) / 1
    gap = _cac_bundle(spend_months=("2025-01", "2025-02", "2025-04"))
    with pytest.warns(sm.DataQualityWarning, match="no rows for some months"):
        t = cac(gap, freq="M", by=None, as_of="2025-04-30").set_index("period")
    assert np.isnan(t.loc[pd.Period("2025-03", "M"), "spend"]) and np.isnan(t.loc[pd.Period("2025-03", "M"), "cac"])
    assert t.loc[pd.Period("2025-04", "M"), "spend"] == 14_500
    with pytest.warns(sm.DataQualityWarning):
        t = cac(gap, freq="M", by=None, lag_months=1, as_of="2025-04-30").set_index("period")
    assert np.isnan(t.loc[pd.Period("2025-04", "M"), "cac"]) and t.loc[pd.Period("2025-03", "M"), "cac"] == 12_500


def test_cac_on_opportunities_and_payback():
    data = _cac_bundle()
    opp = cac(data, freq="M", by="channel", new_customers="opportunities", as_of="2025-04-30").set_index(["period", "channel"])
    assert opp.loc[(pd.Period("2025-02", "M"), "web"), "new_customers"] == 2
    # payback, February, all channels: CAC 12 500 / 3; new MRR (200 + 400 + 300) / 3 = 300; margin 0.75
    pb = cac_payback(data, gross_margin=0.75, freq="M", by=None, as_of="2025-04-30").set_index("period")
    feb = pb.loc[pd.Period("2025-02", "M")]
    assert feb["avg_new_mrr"] == 300 and feb["payback_months"] == pytest.approx((12_500 / 3) / (300 * 0.75))
    with pytest.raises(ValueError, match="gross_margin"):
        cac_payback(data, gross_margin=80)


def test_unit_economics_on_the_sample(sample):
    ue = unit_economics(sample, gross_margin=0.8, as_of="2025-09-30")
    assert ue["period"].min() == pd.Period("2022Q4", "Q")  # the first quarter the spend table covers
    np.testing.assert_allclose(ue["ltv_cac"], ue["ltv"] / ue["cac"])
    direct = cac(sample, by=None, as_of="2025-09-30").set_index("period")["cac"]
    np.testing.assert_allclose(ue.set_index("period")["cac"], direct.reindex(ue["period"]))
    # by channel, every quarter's channels add up to the total spend
    by_channel = cac(sample, as_of="2025-09-30").groupby("period")["spend"].sum()
    np.testing.assert_allclose(by_channel.reindex(ue["period"]), ue["spend"])
