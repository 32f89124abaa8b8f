"""Shared statistics against published values."""

from __future__ import annotations

import numpy as np
import pytest

from salesmetrics.stats import beta_binomial_prior, group_quantiles, kaplan_meier, km_summary, ratio, wilson_interval


def test_wilson_matches_newcombe_1998():
    """Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score, no continuity
    correction): 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605; 0/20 -> 0-0.1611; 1/29 -> 0.0061-0.1718."""
    low, high = wilson_interval([81, 15, 0, 1], [263, 148, 20, 29])
    assert np.round(low, 4).tolist() == [0.2553, 0.0624, 0.0, 0.0061]
    assert np.round(high, 4).tolist() == [0.3662, 0.1605, 0.1611, 0.1718]


def test_zero_denominators_give_nan_not_errors():
    low, high = wilson_interval([0], [0])
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert np.isnan(ratio(1, 0)) and ratio(0, 5) == 0


FREIREICH_6MP = (
    [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35],
    [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0],
)


def test_kaplan_meier_matches_the_textbook_6mp_example():
    """Freireich et al. (1963) 6-MP arm, weeks in remission (0 = censored), the worked Kaplan-Meier example of
    Kleinbaum & Klein, Survival Analysis (3rd ed., ch. 2) and Klein & Moeschberger (Table 4.1A):
    S(6)=0.857, S(7)=0.807, S(10)=0.753, S(13)=0.690, S(16)=0.627, S(22)=0.538, S(23)=0.448; median 23 weeks."""
    t, e = FREIREICH_6MP
    km = kaplan_meier(t, np.array(e, dtype=bool))
    steps = km[km["events"] > 0]
    assert steps["time"].tolist() == [6, 7, 10, 13, 16, 22, 23]
    assert np.round(steps["survival"], 3).tolist() == [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]
    assert steps["at_risk"].tolist() == [21, 17, 15, 12, 11, 7, 6]
    s = km_summary(np.zeros(21, dtype="int64"), np.array(t, float), np.array(e, bool), 1)
    assert s["median"][0] == 23 and s["p25"][0] == 13 and np.isnan(s["p75"][0])
    # restricted mean to 35 weeks: 23.29 (Klein & Moeschberger report 23.29 for this arm)
    assert round(float(s["mean"][0]), 2) == 23.29


def test_kaplan_meier_by_group_keeps_groups_apart():
    """A curve that drops to zero in one group must not leak into the next group's running product."""
    km = kaplan_meier([1, 2, 1, 2, 3], [True, True, True, False, True], groups=["a", "a", "b", "b", "b"])
    a = km[km["group"] == "a"]["survival"].tolist()
    b = km[km["group"] == "b"]["survival"].tolist()
    assert a == [0.5, 0.0] and b == [pytest.approx(2 / 3), pytest.approx(2 / 3), 0.0]


def test_group_quantiles_match_numpy():
    rng = np.random.default_rng(3)
    cell = rng.integers(0, 5, 1000)
    values = rng.normal(size=1000)
    q = group_quantiles(cell, values, 6, (0.25, 0.5, 0.75))
    for c in range(5):
        assert q[0.5][c] == pytest.approx(np.median(values[cell == c]))
        assert q[0.25][c] == pytest.approx(np.quantile(values[cell == c], 0.25))
    assert np.isnan(q[0.5][5])


def test_beta_binomial_prior_recovers_a_known_prior():
    """Groups drawn from Beta(20, 80) (mean 0.2, concentration 100): the fitted prior is close."""
    rng = np.random.default_rng(0)
    p = rng.beta(20, 80, 400)
    n = rng.integers(50, 500, 400)
    k = rng.binomial(n, p)
    a, b = beta_binomial_prior(k, n)
    assert a / (a + b) == pytest.approx(0.2, abs=0.01)
    assert 60 < a + b < 160


def test_wilson_bounds_are_exact_at_no_success_and_all_successes():
    """With k = 0 the lower bound is 0 exactly (Wilson 1927: centre = half when p = 0), and with k = n the upper is 1;
    floating point used to leave 2e-19 (seen on the Telco export's retention)."""
    from salesmetrics.stats import wilson_interval

    low, high = wilson_interval([0, 0, 5, 1366], [1366, 6181, 5, 1366])
    assert low[0] == 0.0 and low[1] == 0.0 and high[2] == 1.0 and high[3] == 1.0
    assert 0 < high[0] < 0.003  # 1.96² / (1366 + 1.96²) = 0.00280
