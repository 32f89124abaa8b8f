"""The public API's rule for metrics (issue #16), checked on every public metric.

The first parameter is ``data`` (a SalesData or the one table the metric needs), positional-only; other
tables are keywords; every metric that reads time takes ``as_of``. The 0.1 names of the first parameter
(``win_rate(opportunities=...)``) still work for one minor version, with a FutureWarning.
"""

from __future__ import annotations

import inspect
import warnings

import pandas as pd
import pytest

import salesmetrics as sm

# every public function that computes from a bundle; the others in __all__ are helpers (periods, intervals, partials,
# readers, loaders) with their own first parameter
METRICS = ["win_rate", "close_rate", "deal_size", "sales_cycle", "sales_velocity", "pipeline_coverage", "mrr",
           "mrr_movements", "mrr_bridge", "retention", "cohort_retention", "funnel", "lead_quality", "lead_journeys",
           "stage_durations", "bottlenecks", "response_sla", "compare_definitions", "cac", "cac_payback", "ltv",
           "unit_economics", "scorecard", "plan_funnel", "diagnose", "sales_decline", "rep_turnover", "role_clarity", "reorg_impact",
           "market_response", "customer_satisfaction", "report"]
NOT_METRICS = {"attainment", "cohort_triangle", "conform", "kaplan_meier", "last_complete_period", "load_sample",
               "make_company", "parse_period", "period_range", "qualify", "read_dir", "read_parquet", "partial", "combine", "on_dask", "read_hubspot", "read_salesforce", "read_stripe", "to_csv", "to_excel", "to_period", "wilson_interval",
               "team_view"}
# metrics with no reporting period, and why (the rest take freq, default "Q", None = all time)
NO_FREQ = {
    "mrr_movements": "one row per account and month in which its MRR moved: monthly by definition",
    "lead_journeys": "one row per lead",
    "lead_quality": "a ranking of groups over every lead up to as_of (shrinkage is fitted across groups)",
    "stage_durations": "a distribution over every stage transition up to as_of",
    "compare_definitions": "an explicit start= / end= window",
    "report": "quarter= names the quarter the deck reviews",
    "reorg_impact": "before= and after= windows around the reorg date",
}


def test_every_public_function_is_classified():
    functions = {n for n in sm.__all__ if inspect.isfunction(getattr(sm, n))}
    assert functions == set(METRICS) | NOT_METRICS, functions ^ (set(METRICS) | NOT_METRICS)


@pytest.mark.parametrize("name", METRICS)
def test_data_comes_first_and_positionally(name):
    params = list(inspect.signature(getattr(sm, name)).parameters.values())
    assert params[0].name == "data" and params[0].kind is inspect.Parameter.POSITIONAL_ONLY
    later_tables = [p.name for p in params[1:] if p.name in sm.data.TABLE_NAMES]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:] if p.name in later_tables), later_tables


@pytest.mark.parametrize("name", METRICS)
def test_every_metric_takes_as_of(name):
    assert "as_of" in inspect.signature(getattr(sm, name)).parameters


@pytest.mark.parametrize("name", [m for m in METRICS if m not in NO_FREQ])
def test_freq_has_one_default_and_none_means_all_time(name, sample):
    param = inspect.signature(getattr(sm, name)).parameters["freq"]
    assert param.default == "Q" and param.kind is inspect.Parameter.KEYWORD_ONLY
    needs = {"plan_funnel": {"target_bookings": 1e6, "period": "2025Q3"}}.get(name, {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # data-quality warnings of the sample are not the point here
        quarterly = getattr(sm, name)(sample, as_of="2025-06-30", **needs)
        whole = getattr(sm, name)(sample, freq=None, as_of="2025-06-30", **needs)
    if name == "diagnose":  # the detectors compare periods, so all time is "not assessed", never "no sign"
        assert len(whole) == 5 and (whole["metric"] == "not_assessed").all(), whole
    elif isinstance(quarterly, pd.DataFrame):
        label = {"cohort_retention": "cohort"}.get(name, "period")
        assert label in quarterly.columns or name == "plan_funnel"
        # all time has no period column (pipeline_coverage keeps each target's own period, scorecard says "all time")
        assert label not in whole.columns or name in ("pipeline_coverage", "scorecard")
        assert len(whole) <= len(quarterly) or name == "pipeline_coverage"
    else:  # an Assessment
        assert len(whole.findings) == 1 and whole.findings["metric"].item() == "not_assessed"
        assert list(whole.table.columns) == list(quarterly.table.columns) and whole.table.empty


def test_no_metric_outside_the_period_rule():
    assert set(NO_FREQ) == {m for m in METRICS if "freq" not in inspect.signature(getattr(sm, m)).parameters}


def test_helpers_share_the_default():
    from salesmetrics.periods import last_complete_period, period_range, to_period

    for fn in (to_period, period_range, last_complete_period):
        assert inspect.signature(fn).parameters["freq"].default == "Q"


def test_a_second_table_passed_positionally_still_works_with_a_future_warning(sample):
    leads, acts, reps = sample.leads, sample.activities, sample.reps
    new = sm.response_sla(leads, activities=acts, reps=reps, freq=None)
    with pytest.warns(FutureWarning, match=r"response_sla\(data, activities\) is deprecated"):
        old = sm.response_sla(leads, acts, reps=reps, freq=None)
    pd.testing.assert_frame_equal(new, old)
    with pytest.raises(TypeError, match="got activities twice"):
        sm.response_sla(leads, acts, activities=acts)
    with pytest.warns(FutureWarning, match="targets"):
        sm.pipeline_coverage(sample.opportunities, sample.targets, fx_rates=sample.fx_rates)


def test_revenue_all_time_adds_up(sample):
    """freq=None is one period from the first month to as_of: the movements of every month, summed."""
    monthly = sm.mrr_bridge(sample, freq="M", as_of="2025-06-30")
    whole = sm.mrr_bridge(sample, freq=None, as_of="2025-06-30").iloc[0]
    assert whole["starting_mrr"] == 0
    for col in ("new", "expansion", "contraction", "churn", "reactivation"):
        assert whole[col] == pytest.approx(monthly[col].sum())
    assert whole["ending_mrr"] == pytest.approx(monthly["ending_mrr"].iloc[-1])
    snapshot = sm.mrr(sample, freq=None, as_of="2025-06-30")
    assert snapshot["mrr"].sum() == pytest.approx(whole["ending_mrr"]) and snapshot["account_id"].is_unique
    logo = sm.cohort_retention(sample, freq=None, as_of="2025-06-30").iloc[0]
    assert (logo["numerator"], logo["denominator"]) == (whole["ending_customers"], monthly["new_customers"].sum())


def test_economics_all_time_is_the_monthly_sums(sample):
    monthly = sm.cac(sample, freq="M", by=None, lag="1M", as_of="2025-06-30")
    whole = sm.cac(sample, freq=None, by=None, lag="1M", as_of="2025-06-30").iloc[0]
    assert whole["spend"] == pytest.approx(monthly["spend"].sum())
    assert whole["new_customers"] == monthly["new_customers"].sum()
    assert whole["cac"] == pytest.approx(monthly["spend"].sum() / monthly["new_customers"].sum())
    ltv_now = sm.ltv(sample, freq=None, as_of="2025-06-30", warn=False).iloc[0]
    assert ltv_now["ltv"] == pytest.approx(sm.ltv(sample, freq="M", as_of="2025-06-30", warn=False)["ltv"].iloc[-1])
    with pytest.warns(FutureWarning, match="lag_months"):
        old = sm.cac(sample, freq="M", by=None, lag_months=1, as_of="2025-06-30")
    pd.testing.assert_frame_equal(old, monthly)


def test_the_old_first_keyword_still_works_with_a_future_warning():
    data = sm.load_sample()
    with pytest.warns(FutureWarning, match=r"win_rate\(opportunities=\.\.\.\) is deprecated"):
        old = sm.win_rate(opportunities=data)
    assert old.equals(sm.win_rate(data))
    with pytest.warns(FutureWarning, match=r"cac\(data=\.\.\.\) is deprecated"):
        sm.cac(data=data)
    with pytest.raises(TypeError, match="got its data twice"):
        sm.mrr_bridge(data, subscriptions=data, freq="M")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        sm.mrr_bridge(data, freq="M")  # the new spelling warns about nothing


def test_durations_have_one_spelling():
    """'90D' / a Timedelta / days for fixed lengths; '6M' / '1Y' for calendar months; plain numbers are days.
    Where a plain number meant months in 0.1 (ltv's window), it still does, with a FutureWarning."""
    from salesmetrics.periods import duration

    assert duration("90D") == duration(90) == pd.Timedelta(days=90)
    assert duration("6M", unit="months") == 6 and duration("1Y", unit="months") == 12
    with pytest.raises(ValueError, match="calendar months"):
        sm.funnel(pd.DataFrame({"a": [pd.Timestamp("2025-01-01")], "b": [pd.NaT]}), ["a", "b"], window="3M", freq=None)
    data = sm.load_sample()
    new = sm.ltv(data, window="3M", warn=False)
    with pytest.warns(FutureWarning, match="window=3: plain numbers will mean days"):
        old = sm.ltv(data, window=3, warn=False)
    pd.testing.assert_frame_equal(new, old)
    with pytest.raises(ValueError, match="calendar months"):
        sm.ltv(data, window="90D")


def test_a_plain_number_is_days_for_the_sla_promise_too(sample):
    """0.1 read ``within=1`` as one nanosecond (pandas' default unit); the rule says days."""
    one = sm.response_sla(sample, within=1, freq=None, as_of="2025-06-30")
    pd.testing.assert_frame_equal(one, sm.response_sla(sample, within="1D", freq=None, as_of="2025-06-30"))
    assert one["compliance"].item() > 0.5  # one nanosecond would have made nearly every lead a breach


def test_a_cohort_longer_than_freq_is_refused_not_cut_to_its_last_month(sample):
    from salesmetrics import ShiftedBetaGeometric

    with pytest.raises(ValueError, match="pass freq='Q'"):
        ShiftedBetaGeometric.from_subscriptions(sample, cohort="2023Q1")
    quarter = ShiftedBetaGeometric.from_subscriptions(sample, cohort="2023Q1", freq="Q")
    months = [ShiftedBetaGeometric.from_subscriptions(sample, cohort=f"2023-0{m}").iloc[0] for m in (1, 2, 3)]
    assert quarter.iloc[0] == sum(months)  # the quarter's cohort is its three months' accounts


def test_all_time_outputs_work_with_their_charts_or_say_why_not(sample):
    from salesmetrics import interactive, plot

    bridge = sm.mrr_bridge(sample, freq=None, as_of="2025-06-30")
    assert plot.mrr_bridge(bridge).get_title(loc="left") == "MRR bridge, all time"
    assert interactive.mrr_bridge(bridge, lang="ko").layout.title.text.endswith("전체 기간")
    whole = sm.cohort_retention(sample, freq=None, as_of="2025-06-30")
    for call in (lambda: sm.cohort_triangle(whole), lambda: plot.cohort_heatmap(whole)):
        with pytest.raises(ValueError, match="one all-time figure"):
            call()
    assert "NaN" in sm.retention(sample, freq=None, as_of="2025-06-30").attrs["note"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        billing = sm.SalesData(subscriptions=sample.subscriptions, accounts=sample.accounts, fx_rates=sample.fx_rates)  # no spend
        row = sm.unit_economics(billing, freq=None, as_of="2025-06-30")
    assert len(row) == 1 and row["ltv"].notna().all() and row["cac"].isna().all()


def test_bad_dates_durations_and_designs_are_named_errors(sample):
    with pytest.raises(ValueError, match=r"as_of='not a date' is not a date; write it as YYYY-MM-DD"):
        sm.win_rate(sample, as_of="not a date")
    for call in (lambda: sm.close_rate(sample, window=-5), lambda: sm.funnel(sample, window="-90D")):
        with pytest.raises(ValueError, match="negative"):
            call()
    with pytest.raises(ValueError, match=r"pass lag='1M', not 1"):
        sm.cac(sample, lag=1)
    with pytest.raises(ValueError, match="org must be"):
        sm.diagnose(sample, org="matrix")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "90d" is read like "90D", without pandas' deprecation of the lower-case unit
        lower = sm.funnel(sample, window="90d", freq=None, as_of="2025-06-30")
    pd.testing.assert_frame_equal(lower, sm.funnel(sample, window="90D", freq=None, as_of="2025-06-30"), check_like=True)


def test_warnings_point_at_the_callers_line(sample):
    """Metrics are wrapped and call each other; their warnings still name the user's file, not the library's."""
    with pytest.warns(Warning) as caught:
        sm.ltv(sm.SalesData(subscriptions=sample.subscriptions, fx_rates=sample.fx_rates), window=3, as_of="2025-06-30")
    assert caught and all(w.filename == __file__ for w in caught), {w.filename for w in caught}


def test_amount_weighted_win_rate_warns_when_lost_deals_carry_no_amount():
    """Maven's export sets close_value 0 on every lost deal: the amount-weighted rate would read 100%."""
    opps = pd.DataFrame({"opportunity_id": list("abcd"), "created_at": ["2025-01-02"] * 4, "status": ["won", "lost", "lost", "won"],
                         "closed_at": ["2025-02-01"] * 4, "amount": [100.0, 0.0, None, 50.0]})
    with pytest.warns(sm.errors.DataQualityWarning, match="none of the 2 lost deals carries an amount"):
        rate = sm.win_rate(opps, weight="amount", freq=None)["win_rate"].item()
    assert rate == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sm.win_rate(opps.assign(amount=[100.0, 50.0, None, 50.0]), weight="amount", freq=None)["win_rate"].item() == 0.75
