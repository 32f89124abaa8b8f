"""Periods with fiscal years, and business time across weekends, holidays and DST."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesmetrics.periods import BusinessCalendar, freq_alias, parse_period, period_bounds, period_range, to_period


def test_freq_aliases():
    assert freq_alias("M") == "M"
    assert freq_alias("Q") == "Q-DEC"
    assert freq_alias("q", fiscal_year_start=4) == "Q-MAR"
    assert freq_alias("Y", fiscal_year_start=7) == "Y-JUN"
    with pytest.raises(ValueError, match="freq must be"):
        freq_alias("W")
    with pytest.raises(ValueError, match="fiscal_year_start"):
        freq_alias("Q", fiscal_year_start=0)


def test_fiscal_quarters_are_named_after_the_year_they_end():
    ts = pd.to_datetime(["2025-06-30", "2025-07-01", "2025-12-31", "2026-06-30"]).tz_localize("UTC")
    assert to_period(ts, "Q", fiscal_year_start=7).astype(str).tolist() == ["2025Q4", "2026Q1", "2026Q2", "2026Q4"]
    assert to_period(ts, "Y", fiscal_year_start=7).astype(str).tolist() == ["2025", "2026", "2026", "2026"]
    assert to_period(ts, "M").astype(str).tolist() == ["2025-06", "2025-07", "2025-12", "2026-06"]


def test_periods_follow_local_wall_time():
    # 2025-03-31 20:00 in New York is already April in UTC; the period is March
    ts = pd.Series(pd.to_datetime(["2025-03-31 20:00"]).tz_localize("America/New_York"))
    assert str(to_period(ts, "M")[0]) == "2025-03"


def test_period_range_and_bounds_across_dst():
    assert period_range("2025-02-10", "2025-05-01", "M").astype(str).tolist() == ["2025-02", "2025-03", "2025-04", "2025-05"]
    start, end = period_bounds(pd.PeriodIndex(["2025-03"], freq="M"), tz="America/New_York")
    # March 2025 in New York: 31 days minus the hour lost on 9 March
    assert (end[0] - start[0]) == pd.Timedelta(days=31) - pd.Timedelta(hours=1)


def test_parse_period():
    assert parse_period("2025Q3") == pd.Period("2025Q3", freq="Q-DEC")
    assert parse_period("2025-07") == pd.Period("2025-07", freq="M")
    assert parse_period("2025") == pd.Period("2025", freq="Y-DEC")
    assert parse_period("2026Q1", fiscal_year_start=7).start_time == pd.Timestamp("2025-07-01")
    for bad in ("Q3 2025", "2025-13", "soon"):
        with pytest.raises(ValueError, match="cannot read"):
            parse_period(bad)


NY = "America/New_York"


def _ts(*values: str, tz: str = NY) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)).tz_localize(tz))


def test_business_time_skips_weekends_and_holidays():
    cal = BusinessCalendar(NY, start="09:00", end="17:00", holidays=["2025-07-04"])
    # Thu 3 Jul 16:00 -> Mon 7 Jul 10:00: 1 h Thursday, Friday is a holiday, weekend, 1 h Monday
    assert cal.business_time(_ts("2025-07-03 16:00"), _ts("2025-07-07 10:00")).iloc[0] == pd.Timedelta(hours=2)
    # both ends outside hours on the same night count nothing; a full week counts 5 x 8 h
    assert cal.business_time(_ts("2025-07-08 18:00"), _ts("2025-07-09 08:00")).iloc[0] == pd.Timedelta(0)
    assert cal.business_time(_ts("2025-07-14 00:00"), _ts("2025-07-21 00:00")).iloc[0] == pd.Timedelta(hours=40)


def test_business_time_across_dst_changes():
    always = BusinessCalendar(NY, start="00:00", end="24:00", weekmask="1111111")
    # spring forward (9 Mar 2025) has 23 real hours; fall back (2 Nov 2025) has 25
    assert always.business_time(_ts("2025-03-08 12:00"), _ts("2025-03-09 12:00")).iloc[0] == pd.Timedelta(hours=23)
    assert always.business_time(_ts("2025-11-01 12:00"), _ts("2025-11-02 12:00")).iloc[0] == pd.Timedelta(hours=25)
    office = BusinessCalendar(NY, start="09:00", end="17:00")
    # Friday 16:00 EST -> Monday 10:00 EDT is 2 working hours, not 1 or 3
    assert office.business_time(_ts("2025-03-07 16:00"), _ts("2025-03-10 10:00")).iloc[0] == pd.Timedelta(hours=2)
    # UTC inputs are read in the calendar's zone: 21:00 UTC on Fri 7 Mar is 16:00 in New York
    utc = pd.Series(pd.to_datetime(["2025-03-07 21:00"]).tz_localize("UTC"))
    assert office.business_time(utc, _ts("2025-03-10 10:00")).iloc[0] == pd.Timedelta(hours=2)


def test_business_time_missing_negative_and_naive():
    cal = BusinessCalendar("Asia/Seoul", start="09:00", end="18:00")
    start = pd.Series(pd.to_datetime(["2025-06-02 10:00", "2025-06-02 10:00", None]), index=[10, 11, 12])
    end = pd.Series(pd.to_datetime(["2025-06-02 12:30", "2025-06-02 09:30", "2025-06-03 00:00"]), index=[10, 11, 12])
    out = cal.business_time(start, end)
    assert out.index.tolist() == [10, 11, 12]
    assert out.iloc[0] == pd.Timedelta(hours=2.5)
    assert out.iloc[1] == pd.Timedelta(minutes=-30)
    assert pd.isna(out.iloc[2])
    with pytest.raises(ValueError, match="same length"):
        cal.business_time(start, end.iloc[:2])


def test_calendar_arguments_are_checked():
    with pytest.raises(ValueError, match="overnight"):
        BusinessCalendar("UTC", start="22:00", end="06:00")
    with pytest.raises(ValueError, match="clock time"):
        BusinessCalendar("UTC", start="nine")
    with pytest.raises(ValueError, match="weekmask"):
        BusinessCalendar("UTC", weekmask="Funday")


def _reference_minutes(cal: BusinessCalendar, a: pd.Timestamp, b: pd.Timestamp, holidays: set) -> int:
    """Brute force: count the minutes in [a, b) that fall in working hours, minute by minute."""
    lo, hi = (a, b) if a <= b else (b, a)
    if lo == hi:  # pandas 2.2's date_range(x, x, inclusive="left") still holds x
        return 0
    minutes = pd.date_range(lo, hi, freq="min", inclusive="left")
    local = minutes.tz_convert(cal.tz)
    clock = local.hour * 60 + local.minute
    ok = (clock >= 9 * 60) & (clock < 17 * 60) & (local.day_of_week < 5) & ~pd.Index(local.date).isin(holidays)
    n = int(ok.sum())
    return n if a <= b else -n


@settings(max_examples=60, deadline=None)
@given(
    a=st.integers(0, 24 * 60 * 20),
    b=st.integers(0, 24 * 60 * 20),
)
def test_property_business_time_matches_minute_by_minute_count(a, b):
    # a three-week window around the spring DST change, with a holiday on Monday 10 March
    base = pd.Timestamp("2025-02-28 00:00", tz="UTC")
    holidays = {pd.Timestamp("2025-03-10").date()}
    cal = BusinessCalendar(NY, start="09:00", end="17:00", holidays=list(holidays))
    ta, tb = base + pd.Timedelta(minutes=a), base + pd.Timedelta(minutes=b)
    got = cal.business_time(pd.Series([ta]), pd.Series([tb])).iloc[0]
    assert got == pd.Timedelta(minutes=_reference_minutes(cal, ta, tb, holidays))


def test_business_time_is_vectorised_over_many_rows():
    rng = np.random.default_rng(0)
    n = 50_000
    start = pd.Series(pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 600 * 24 * 60, n), unit="min"))
    end = start + pd.to_timedelta(rng.integers(0, 30 * 24 * 60, n), unit="min")
    out = BusinessCalendar(NY).business_time(start, end)
    assert len(out) == n and (out >= pd.Timedelta(0)).all()
    # additivity: business(a, c) == business(a, b) + business(b, c)
    mid = start + (end - start) / 2
    cal = BusinessCalendar(NY)
    assert (cal.business_time(start, end) == cal.business_time(start, mid) + cal.business_time(mid, end)).all()
