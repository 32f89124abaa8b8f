"""Numbers that stay right on real data (issue #15): censoring-aware funnels and close rates, nothing after
``as_of``, lead definitions compared the right way, settings carried by derived frames, small bundles."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesmetrics as sm
from salesmetrics.stats import censored_rate, wilson_interval


def ts(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC") if text else pd.NaT


# ----------------------------------------------------------------------------------------------------------
# 1. censoring-aware cohort conversion
# ----------------------------------------------------------------------------------------------------------


def test_censored_rate_by_hand_with_greenwood_interval():
    """Six MQLs, window 10 days. Days to SQL: 2 and 5 (events); one censored on day 3 (as_of came), three
    followed the whole 10 days without converting.

    Kaplan–Meier by hand (product-limit, Kaplan & Meier 1958): day 2: 6 at risk, 1 event, S = 5/6; day 3: one
    censored; day 5: 4 at risk, 1 event, S = 5/6 · 3/4 = 0.625. Rate = 1 − S = 0.375 (the naive share 2/6 = 0.333
    counts the censored lead as a failure; dropping it gives 2/5 = 0.4).
    Greenwood: Var = S² (1/(6·5) + 1/(4·3)) = 0.390625 · 0.116667 = 0.045573; effective n = S(1 − S)/Var
    = 0.234375 / 0.045573 = 5.1429; the interval is Wilson's at 0.375 · 5.1429 of 5.1429.
    """
    r = censored_rate(np.zeros(6, "int64"), np.array([2, 5, 3, 10, 10, 10]), np.array([1, 1, 0, 0, 0, 0], bool), 1)
    assert r["rate"][0] == pytest.approx(0.375)
    assert r["n_effective"][0] == pytest.approx(0.234375 / (0.390625 * (1 / 30 + 1 / 12)))
    low, high = wilson_interval(0.375 * r["n_effective"][0], r["n_effective"][0])
    assert (r["rate_low"][0], r["rate_high"][0]) == pytest.approx((float(low), float(high)))


def test_complete_cohort_is_exactly_converted_over_entered_with_wilson_interval():
    """No one censored before the end: 3 of 10 converted -> exactly 0.3, and the interval is Wilson(3, 10)."""
    r = censored_rate(np.zeros(10, "int64"), np.array([1, 2, 3] + [9] * 7), np.array([True] * 3 + [False] * 7), 1)
    assert r["rate"][0] == 0.3
    low, high = wilson_interval(3, 10)
    assert (r["rate_low"][0], r["rate_high"][0]) == (float(low), float(high))


def test_recent_cohort_is_not_inflated():
    """Ten MQLs on 2025-09-25, one SQL the next day; read on 2025-09-30 with a 30-day window.

    The old rule dropped the nine pending leads and read 1/1 = 100%. Now all ten are followed for 5 days:
    1 of 10 at risk converted on day 1, S = 0.9, so the rate is 0.1 for the 5 days followed, flagged incomplete.
    """
    frame = pd.DataFrame({"mql_at": [ts("2025-09-25")] * 10, "sql_at": [ts("2025-09-26")] + [pd.NaT] * 9})
    f = sm.funnel(frame, ["mql_at", "sql_at"], window=30, as_of="2025-09-30", freq=None)
    row = f.iloc[0]
    assert (row["entered"], row["converted"], row["pending"]) == (10, 1, 9)
    assert row["rate"] == pytest.approx(0.1) and row["followed_days"] == 5.0 and row["incomplete"]


def test_funnel_on_complete_quarters_equals_the_exact_count():
    """On the sample, quarters whose 30-day windows have all elapsed: rate == converted / entered, exactly."""
    data = sm.load_sample()
    f = sm.funnel(data, ["mql_at", "sql_at"], freq="Q", window=30)
    done = f[~f["incomplete"]]
    assert len(done) >= 8
    assert (done["rate"].to_numpy() == (done["converted"] / done["entered"]).to_numpy()).all()
    low, high = wilson_interval(done["converted"], done["entered"])
    assert np.allclose(done["rate_low"], low) and np.allclose(done["rate_high"], high)
    # the last quarter is censored: its rate is an estimate, not the inflated 97.5% that dropping pending leads gave
    last = f.iloc[-1]
    assert last["incomplete"] and last["rate"] < done["rate"].max()


def test_close_rate_censors_open_deals_and_never_exceeds_one():
    """Window 30 days, as_of 2025-04-01: a won in 27 days; b lost (a known failure); c won after 121 days
    (a failure within the window); d open 12 days (censored on day 12). On day 27, three deals are at risk and
    one is won: rate = 1/3 (plain share 1/4). Read on 2025-07-01, d's window has passed: 1/4 exactly."""
    opps = pd.DataFrame({"opportunity_id": list("abcd"), "created_at": ["2025-01-05", "2025-01-10", "2025-02-01", "2025-03-20"],
                         "status": ["won", "lost", "won", "open"], "closed_at": ["2025-02-01", "2025-03-01", "2025-06-01", None]})
    early = sm.close_rate(opps, window=30, as_of="2025-04-01").iloc[0]
    assert early["close_rate"] == pytest.approx(1 / 3) and early["pending"] == 1 and early["incomplete"]
    late = sm.close_rate(opps, window=30, as_of="2025-07-01").iloc[0]
    assert late["close_rate"] == 0.25 and late["pending"] == 0 and not late["incomplete"]
    data = sm.load_sample()
    for window in (None, 30, "90D"):
        r = sm.close_rate(data, window=window)
        assert (r["close_rate"].dropna() <= 1).all()


def test_without_a_window_close_rate_and_funnel_are_exact_shares():
    """docs/metrics.md: close rate = won / all opportunities created (open ones count in the denominator);
    only a window brings censoring. Same four deals, no window, as_of 2025-04-01: a is won, c's win comes
    after as_of, d is open: 1 of 4 (Kaplan-Meier would have given 1/3)."""
    opps = pd.DataFrame({"opportunity_id": list("abcd"), "created_at": ["2025-01-05", "2025-01-10", "2025-02-01", "2025-03-20"],
                         "status": ["won", "lost", "won", "open"], "closed_at": ["2025-02-01", "2025-03-01", "2025-06-01", None]})
    row = sm.close_rate(opps, freq=None, as_of="2025-04-01").iloc[0]
    assert (row["won"], row["created"], row["close_rate"]) == (1, 4, 0.25) and row["incomplete"]
    data = sm.load_sample()
    for table in (sm.close_rate(data, freq="Q"), sm.close_rate(data, freq=None, by="segment")):
        assert np.allclose(table["close_rate"], table["won"] / table["created"])
    f = sm.funnel(data, freq="Q", as_of="2025-08-15")
    assert np.allclose(f["rate"], f["converted"] / f["entered"])
    assert f["incomplete"].any()  # recent cohorts are still flagged, and the interval is Wilson's
    low, high = sm.wilson_interval(f["converted"], f["entered"])
    assert np.allclose(f["rate_low"], low) and np.allclose(f["rate_high"], high)


# ----------------------------------------------------------------------------------------------------------
# 2. nothing after as_of counts
# ----------------------------------------------------------------------------------------------------------


def test_funnel_as_of_cuts_entities_and_conversions():
    data = sm.load_sample()
    f = sm.funnel(data, ["mql_at", "sql_at"], freq="Q", as_of="2025-06-30")
    assert str(f["period"].max()) == "2025Q2"  # no 2025Q3 cohort before it exists
    j = sm.lead_journeys(data)
    cut = pd.Timestamp("2025-06-30", tz=data.timezone)
    q2 = f[f["period"].astype(str) == "2025Q2"].iloc[0]
    mql = j["mql_at"].where(j["mql_at"] <= cut).fillna(j["sql_at"].where(j["sql_at"] <= cut))
    in_q2 = (mql >= pd.Timestamp("2025-04-01", tz=data.timezone)) & (mql <= cut)
    assert q2["entered"] == in_q2.sum()
    assert q2["converted"] == (in_q2 & (j["sql_at"] <= cut)).sum()


def _truncated(data: sm.SalesData, as_of: pd.Timestamp) -> sm.SalesData:
    """The bundle as it stood at ``as_of``: later rows removed, later closes and stage stamps undone."""
    opps = data.opportunities
    opps = opps[opps["created_at"] <= as_of].copy()
    later = opps["closed_at"] > as_of
    opps.loc[later, "status"] = "open"
    opps.loc[later, "closed_at"] = pd.NaT
    leads = data.leads
    leads = leads[leads["created_at"] <= as_of].copy()
    for c in ("mql_at", "sql_at", "disqualified_at"):
        leads[c] = leads[c].where(leads[c] <= as_of)
    leads["opportunity_id"] = leads["opportunity_id"].where(leads["opportunity_id"].isin(opps["opportunity_id"]))
    hist = data.stage_history
    hist = hist[hist["entered_at"] <= as_of]
    return sm.SalesData(opportunities=opps, leads=leads, stage_history=hist, accounts=data.accounts, reps=data.reps, fx_rates=data.fx_rates,
                        timezone=data.timezone, as_of=as_of)


@pytest.fixture(scope="module")
def sample() -> sm.SalesData:
    return sm.load_sample()


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.integers(min_value=200, max_value=1000))
def test_property_no_metric_counts_an_event_after_as_of(sample, day):
    """For any as_of, each metric on the full data equals the same metric on the data as it stood at as_of."""
    as_of = pd.Timestamp("2022-10-01", tz=sample.timezone) + pd.Timedelta(days=day, hours=13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        then = _truncated(sample, as_of)
    checks = [
        (lambda d, **k: sm.win_rate(d, **k), ["won", "lost", "win_rate"]),
        (lambda d, **k: sm.deal_size(d, **k), ["won", "total"]),
        (lambda d, **k: sm.close_rate(d, window=60, **k), ["created", "won", "pending", "close_rate"]),
        (lambda d, **k: sm.sales_cycle(d, freq="Q", **k), ["n", "median_days"]),
        (lambda d, **k: sm.funnel(d, freq="Q", window=30, **k), ["entered", "converted", "pending", "rate"]),
        (lambda d, **k: sm.lead_quality(d, **k), ["leads", "converted", "rate"]),
        (lambda d, **k: sm.stage_durations(d, **k), ["entries", "exited", "converted", "median_days"]),
    ]
    for metric, columns in checks:
        now = metric(sample, as_of=as_of)[columns].reset_index(drop=True)
        past = metric(then, as_of=as_of)[columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(now, past, check_dtype=False)


def test_bottlenecks_ignore_stage_moves_after_as_of(sample):
    early = sm.bottlenecks(sample, as_of="2024-12-31")
    assert str(early["period"].max()) == "2024Q4"


# ----------------------------------------------------------------------------------------------------------
# 3. lead definitions compared the right way
# ----------------------------------------------------------------------------------------------------------


def _definitions_bundle() -> sm.SalesData:
    """Ten leads created 2025-01-01..10, scores 90, 80, ..., 10 and 5. Today every lead but l9 is an MQL; l9 skipped
    straight to a won deal. Won: l0, l1, l4, l6 and l9 (five wins). Two SDRs; one leaves on 2025-01-08."""
    n = 10
    leads = pd.DataFrame({
        "lead_id": [f"l{i}" for i in range(n)],
        "created_at": [ts(f"2025-01-{i + 1:02d}") for i in range(n)],
        "mql_at": [ts(f"2025-01-{i + 1:02d}") for i in range(n - 1)] + [pd.NaT],
        "score": [90, 80, 70, 65, 50, 40, 30, 20, 10, 5],
        "opportunity_id": ["o0", "o1", None, None, "o4", None, "o6", None, None, "o9"],
    })
    opps = pd.DataFrame({"opportunity_id": ["o0", "o1", "o4", "o6", "o9"], "created_at": [ts("2025-01-11")] * 5,
                         "status": ["won"] * 5, "closed_at": [ts("2025-01-12")] * 5, "lead_id": ["l0", "l1", "l4", "l6", "l9"],
                         "amount": [100.0] * 5})
    reps = pd.DataFrame({"rep_id": ["s1", "s2", "a1"], "team": ["SDR", "SDR", "AE"], "role": ["SDR", "SDR", "AE"],
                         "hired_at": [ts("2024-01-01")] * 3, "terminated_at": [pd.NaT, ts("2025-01-08"), pd.NaT]})
    return sm.SalesData(leads=leads, opportunities=opps, reps=reps, as_of="2025-02-01")


def test_compare_definitions_precision_recall_and_workload_by_hand():
    """Current (as recorded): all 10 leads reached MQL (l9 through its win): 5 wins of 10 -> precision 0.5,
    recall 5/5 = 1. Proposed, score >= 45: l0..l4 qualify; their wins l0, l1, l4 -> precision 3/5 = 0.6,
    recall 3/5 = 0.6, 2 wins lost. Wilson(3, 5) by hand: centre (0.6 + 1.96²/10) / (1 + 1.96²/5) = 0.5566,
    half-width 1.96 sqrt(0.24/5 + 1.96²/100) / 1.7683 = 0.3258 -> (0.2307, 0.8824).
    Workload over 2025-01-01..15 (2 weeks): SDRs in post 14 + 7 days / 14 = 1.5 on average -> current
    10 / (2 · 1.5) = 3.33 leads per SDR a week, proposed 5 / 3 = 1.67."""
    data = _definitions_bundle()
    c = sm.compare_definitions(data, None, {"column": "score", "op": ">=", "value": 45}, start="2025-01-01", end="2025-01-15")
    cur, new = c.iloc[0], c.iloc[1]
    assert (cur["qualified"], cur["outcomes"], cur["all_outcomes"], cur["outcomes_lost"]) == (10, 5, 5, 0)
    assert (cur["precision"], cur["recall"]) == (0.5, 1.0)
    assert (new["qualified"], new["outcomes"], new["outcomes_lost"]) == (5, 3, 2)
    assert (new["precision"], new["recall"]) == (0.6, 0.6)
    assert (new["precision_low"], new["precision_high"]) == pytest.approx((0.2307, 0.8824), abs=1e-4)
    assert cur["reps"] == pytest.approx(1.5) and cur["weeks"] == 2.0
    assert cur["per_rep_week"] == pytest.approx(10 / 3) and new["per_rep_week"] == pytest.approx(5 / 3)


def test_compare_definitions_workload_counts_the_role_each_rep_held():
    """With assignments, an SDR-day is a day in the SDR role. Over 2025-01-01..15 (14 days): s1 is an SDR
    throughout (14 days); s2 has no assignment, so reps.role counts, until leaving on 8 January (7 days); a1, an
    AE today, was an SDR until 5 January (4 days). (14 + 7 + 4) / 14 = 1.7857 SDRs on average, against 1.5 from
    reps.role alone (the test above)."""
    base = _definitions_bundle()
    plan = pd.DataFrame({"rep_id": ["s1", "a1", "a1"], "team": ["SDR", "SDR", "AE"], "role": ["SDR", "SDR", "AE"],
                         "start_date": ["2024-01-01", "2024-01-01", "2025-01-05"], "end_date": [None, "2025-01-05", None]})
    data = sm.SalesData(**{**base.tables, "assignments": plan}, as_of="2025-02-01")
    c = sm.compare_definitions(data, None, {"column": "score", "op": ">=", "value": 45}, start="2025-01-01", end="2025-01-15")
    assert c.loc[0, "reps"] == pytest.approx(25 / 14)
    assert "by the role each rep held" in c.attrs["workload"]
    ae = sm.compare_definitions(data, None, {"column": "score", "op": ">=", "value": 45}, start="2025-01-01",
                                end="2025-01-15", role="AE")
    assert ae.loc[0, "reps"] == pytest.approx(10 / 14)  # a1 an AE from 5 January: 10 of 14 days


def test_compare_definitions_on_the_sample_a_stricter_rule_loses_wins():
    """The notebook's proposed rule: its MQLs win more often (precision up) but it would have lost most wins."""
    data = sm.load_sample()
    strict = {"all": [{"column": "score", "op": ">=", "value": 60}, {"column": "segment", "in": ["Mid-Market", "Enterprise"]}]}
    c = sm.compare_definitions(data, None, strict).set_index("definition")
    assert c.loc["proposed", "precision"] > c.loc["current", "precision"]
    assert c.loc["proposed", "recall"] < 0.5 < c.loc["current", "recall"]
    assert c.loc["proposed", "outcomes"] + c.loc["proposed", "outcomes_lost"] == c.loc["current", "all_outcomes"]
    assert c.loc["proposed", "per_rep_week"] < c.loc["current", "per_rep_week"]


# ----------------------------------------------------------------------------------------------------------
# 4. settings carried by derived frames
# ----------------------------------------------------------------------------------------------------------


def test_fiscal_year_and_as_of_travel_with_lead_journeys():
    base = sm.load_sample()
    data = sm.SalesData(**base.tables, timezone=base.timezone, fiscal_year_start=7, as_of="2025-06-30")
    j = sm.lead_journeys(data)
    from salesmetrics.data import SETTINGS_ATTR

    assert j.attrs[SETTINGS_ATTR]["fiscal_year_start"] == 7
    from_bundle = sm.funnel(data, ["mql_at", "sql_at"], freq="Q")
    from_frame = sm.funnel(j, ["mql_at", "sql_at"], freq="Q")
    from_slice = sm.funnel(j[j["source"].notna()], ["mql_at", "sql_at"], freq="Q")  # a filtered frame keeps them too
    wins = sm.win_rate(data, freq="Q")
    assert from_bundle["period"].dtype == wins["period"].dtype  # fiscal quarters, as win_rate cuts them
    pd.testing.assert_frame_equal(from_bundle, from_frame)
    assert from_slice["period"].dtype == wins["period"].dtype
    assert from_bundle["period"].max() == wins["period"].max()  # and cut at the bundle's as_of
    card = sm.scorecard(data, freq="Q")
    mqls = card[(card["kpi"] == "mqls")]
    assert mqls["value"].notna().any()
    quality = sm.lead_quality(data)
    assert quality["leads"].sum() == (j["created_at"] <= pd.Timestamp("2025-06-30", tz=data.timezone)).sum()


# ----------------------------------------------------------------------------------------------------------
# 7 and 8: small bundles, shared opportunities
# ----------------------------------------------------------------------------------------------------------


def test_a_bundle_without_wins_still_has_aware_time_stamps():
    leads = pd.DataFrame({"lead_id": ["l1", "l2"], "created_at": [ts("2025-01-01"), ts("2025-01-02")],
                          "mql_at": [ts("2025-01-02"), pd.NaT], "opportunity_id": ["o1", None]})
    opps = pd.DataFrame({"opportunity_id": ["o1"], "created_at": [ts("2025-01-05")], "status": ["open"]})
    data = sm.SalesData(leads=leads, opportunities=opps, as_of="2025-02-01")
    j = sm.lead_journeys(data)
    assert isinstance(j["won_at"].dtype, pd.DatetimeTZDtype) and isinstance(j["opportunity_created_at"].dtype, pd.DatetimeTZDtype)
    f = sm.funnel(data, freq=None)
    assert f.loc[f["next_stage"] == "won_at", "converted"].item() == 0
    no_opps = sm.SalesData(leads=leads.drop(columns="opportunity_id"), as_of="2025-02-01")
    assert isinstance(sm.lead_journeys(no_opps)["won_at"].dtype, pd.DatetimeTZDtype)


def test_two_leads_on_one_opportunity_count_one_win():
    """l1 (created first) and l2 both point to o1, which was won: the win is l1's; l2 did not reach an opportunity."""
    leads = pd.DataFrame({"lead_id": ["l2", "l1"], "created_at": [ts("2025-01-03"), ts("2025-01-01")],
                          "opportunity_id": ["o1", "o1"]})
    opps = pd.DataFrame({"opportunity_id": ["o1"], "created_at": [ts("2025-01-05")], "status": ["won"],
                         "closed_at": [ts("2025-01-20")]})
    data = sm.SalesData(leads=leads, opportunities=opps, as_of="2025-02-01")
    with pytest.warns(sm.DataQualityWarning, match="1 lead\\(s\\) point to an opportunity an earlier lead"):
        j = sm.lead_journeys(data)
    assert j.set_index("lead_id")["won_at"].notna().to_dict() == {"l2": False, "l1": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        f = sm.funnel(data, ["created_at", "won_at"], freq=None)
    assert (f["entered"].item(), f["converted"].item()) == (2, 1)


def test_sales_velocity_for_all_time():
    data = sm.load_sample()
    v = sm.sales_velocity(data, freq=None)
    assert len(v) == 1 and "period" not in v.columns
    w = sm.win_rate(data, freq=None)["win_rate"].item()
    assert v["win_rate"].item() == w
    expected = v["open_opportunities"] * v["win_rate"] * v["mean_deal_size"] / v["median_cycle_days"]
    assert v["velocity_per_day"].item() == pytest.approx(expected.item())


# ----------------------------------------------------------------------------------------------------------
# found by a new analyst on real exports
# ----------------------------------------------------------------------------------------------------------


def test_disqualified_leads_are_known_failures_not_in_progress():
    """Ten MQLs on 2025-03-01; one SQL on day 10; nine disqualified by day 12. Read on 2025-03-15 with a 30-day window:
    the nine are failures (not pending), so the rate is 1/10 = 0.1 exactly (treating them as in progress read 0.2);
    followed 14 of 30 days, the cohort is incomplete."""
    frame = pd.DataFrame({"mql_at": [ts("2025-03-01")] * 10, "sql_at": [ts("2025-03-11")] + [pd.NaT] * 9,
                          "disqualified_at": [pd.NaT] + [ts("2025-03-13")] * 9})
    row = sm.funnel(frame, ["mql_at", "sql_at"], window=30, as_of="2025-03-15", freq=None).iloc[0]
    assert (row["converted"], row["pending"], row["rate"], row["followed_days"]) == (1, 0, 0.1, 14.0) and row["incomplete"]
    ignored = sm.funnel(frame, ["mql_at", "sql_at"], window=30, as_of="2025-03-15", dropped=[], freq=None).iloc[0]
    assert ignored["pending"] == 9 and ignored["rate"] == pytest.approx(0.1)  # same events, but 9 censored on day 14
    later = sm.funnel(frame, ["mql_at", "sql_at"], window=30, as_of="2025-03-12", freq=None).iloc[0]  # before the disqualifications
    assert later["pending"] == 9


def test_a_cohort_whose_period_has_not_ended_is_incomplete():
    """Quarter 2025Q1 read on 2025-02-15: more MQLs may still enter it, whatever its follow-up."""
    frame = pd.DataFrame({"mql_at": [ts("2025-01-02")] * 2, "sql_at": [ts("2025-01-03"), ts("2025-01-04")]})
    f = sm.funnel(frame, ["mql_at", "sql_at"], freq="Q", window=7, as_of="2025-02-15")
    assert f["rate"].item() == 1.0 and f["pending"].item() == 0 and f["incomplete"].item()
    assert not sm.funnel(frame, ["mql_at", "sql_at"], freq="Q", window=7, as_of="2025-04-01")["incomplete"].item()


def test_stages_the_export_lacks_are_left_out_or_refused():
    """Leads without an sql_at column: the default funnel skips SQL instead of counting every opportunity as an SQL."""
    leads = pd.DataFrame({"lead_id": ["l1", "l2", "l3"], "created_at": [ts("2025-01-01")] * 3,
                          "mql_at": [ts("2025-01-02"), ts("2025-01-02"), pd.NaT], "opportunity_id": ["o1", None, None]})
    opps = pd.DataFrame({"opportunity_id": ["o1"], "created_at": [ts("2025-01-10")], "status": ["won"],
                         "closed_at": [ts("2025-01-20")], "amount": [10.0]})
    data = sm.SalesData(leads=leads, opportunities=opps, as_of="2025-06-30")
    f = sm.funnel(data, freq=None)
    assert f["stage"].tolist() == ["created_at", "mql_at", "opportunity_created_at"]
    with pytest.raises(ValueError, match="no sql_at column"):
        sm.funnel(data, ["mql_at", "sql_at"], freq=None)
    with pytest.raises(ValueError, match="no sql_at column"):
        sm.compare_definitions(data, None, {"column": "lead_id", "in": ["l1"]}, stage="sql_at")
    card = sm.scorecard(data, freq="Q", as_of="2025-03-31")
    row = card[card["kpi"] == "lead_conversions"].iloc[0]
    assert np.isnan(row["value"]) and np.isnan(row["previous"]) and row["note"] == "not available: add leads.sql_at"


def test_scorecard_at_an_earlier_as_of_uses_only_what_was_known(sample):
    """The scorecard's deal closing ratio at 2024-06-30 is close_rate at that date, not the final count."""
    card = sm.scorecard(sample, freq="Q", as_of="2024-06-30")
    value = card.loc[card["kpi"] == "close_rate", "value"].iloc[0]
    then = sm.close_rate(sample, as_of="2024-06-30")
    assert value == then.loc[then["period"].astype(str) == "2024Q2", "close_rate"].item()
    final = sm.close_rate(sample)
    assert value != final.loc[final["period"].astype(str) == "2024Q2", "close_rate"].item()


def test_a_sign_not_assessed_is_not_also_called_partly_assessed():
    """Won deals without amounts and no segment anywhere (Olist-like): declining sales cannot be assessed at all,
    so the findings must not also say it was assessed for the company as a whole; the plan page says what it needs."""
    months = pd.date_range("2024-01-15", periods=18, freq="MS", tz="UTC")
    opps = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(len(months))], "created_at": months, "status": "won",
                         "closed_at": months + pd.Timedelta(days=3)})
    leads = pd.DataFrame({"lead_id": [f"l{i}" for i in range(len(months))], "created_at": months - pd.Timedelta(days=20),
                          "mql_at": months - pd.Timedelta(days=19), "opportunity_id": opps["opportunity_id"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = sm.SalesData(opportunities=opps, leads=leads)
        found = sm.diagnose(data)
    mine = found[found["sign"] == "declining_sales"]
    assert len(mine) and not (mine["metric"] == "partly_assessed").any()
    assert mine["evidence"].str.contains("Cannot assess").all()
    from salesmetrics.reports.deck import review

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        slides = review(data)
    plan = [s for s in slides if "plan" in s.title.lower()]
    assert plan and all("nan" not in " ".join(s.bullets) + s.title for s in plan)
    assert any("amount" in " ".join(s.bullets) for s in plan)
