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

# every public function that computes from a bundle; the others in __all__ are helpers (periods, intervals,
# readers, loaders) with their own first parameter
METRICS = ["win_rate", "close_rate", "deal_size", "sales_cycle", "sales_velocity", "pipeline_coverage", "mrr",
           "mrr_movements", "mrr_bridge", "retention", "cohort_retention", "funnel", "lead_quality", "lead_journeys",
           "stage_durations", "bottlenecks", "response_sla", "compare_definitions", "cac", "cac_payback", "ltv",
           "unit_economics", "scorecard", "plan_funnel", "diagnose", "sales_decline", "rep_turnover", "role_clarity",
           "market_response", "customer_satisfaction", "report"]
NOT_METRICS = {"attainment", "cohort_triangle", "conform", "kaplan_meier", "last_complete_period", "load_sample",
               "make_company", "parse_period", "period_range", "qualify", "read_dir", "to_period", "wilson_interval"}
# reads no time stamps itself (lead_journeys lays them out; funnel and friends cut them) or works on one date
NO_AS_OF = {"lead_journeys", "plan_funnel", "pipeline_coverage"}


def test_every_public_function_is_classified():
    functions = {n for n in sm.__all__ if inspect.isfunction(getattr(sm, n))}
    assert functions == set(METRICS) | NOT_METRICS, functions ^ (set(METRICS) | NOT_METRICS)


@pytest.mark.parametrize("name", METRICS)
def test_data_comes_first_and_positionally(name):
    params = list(inspect.signature(getattr(sm, name)).parameters.values())
    assert params[0].name == "data" and params[0].kind is inspect.Parameter.POSITIONAL_ONLY
    later_tables = [p.name for p in params[1:] if p.name in sm.data.TABLE_NAMES]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:] if p.name in later_tables) or name in (
        "response_sla", "pipeline_coverage"), later_tables  # their second table stays positional for 0.1 callers


@pytest.mark.parametrize("name", [m for m in METRICS if m not in NO_AS_OF])
def test_time_based_metrics_take_as_of(name):
    assert "as_of" in inspect.signature(getattr(sm, name)).parameters


def test_the_old_first_keyword_still_works_with_a_future_warning():
    data = sm.load_sample()
    with pytest.warns(FutureWarning, match=r"win_rate\(opportunities=\.\.\.\) is deprecated"):
        old = sm.win_rate(opportunities=data)
    assert old.equals(sm.win_rate(data))
    with pytest.warns(FutureWarning, match=r"cac\(data=\.\.\.\) is deprecated"):
        sm.cac(data=data)
    with pytest.raises(TypeError, match="got its data twice"):
        sm.mrr_bridge(data, subscriptions=data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        sm.mrr_bridge(data)  # the new spelling warns about nothing


def test_durations_have_one_spelling():
    """'90D' / a Timedelta / days for fixed lengths; '6M' / '1Y' for calendar months; plain numbers are days.
    Where a plain number meant months in 0.1 (ltv's window), it still does, with a FutureWarning."""
    from salesmetrics.periods import duration

    assert duration("90D") == duration(90) == pd.Timedelta(days=90)
    assert duration("6M", unit="months") == 6 and duration("1Y", unit="months") == 12
    with pytest.raises(ValueError, match="calendar months"):
        sm.funnel(pd.DataFrame({"a": [pd.Timestamp("2025-01-01")], "b": [pd.NaT]}), ["a", "b"], window="3M")
    data = sm.load_sample()
    new = sm.ltv(data, window="3M", warn=False)
    with pytest.warns(FutureWarning, match="window=3: plain numbers will mean days"):
        old = sm.ltv(data, window=3, warn=False)
    pd.testing.assert_frame_equal(new, old)
    with pytest.raises(ValueError, match="calendar months"):
        sm.ltv(data, window="90D")
