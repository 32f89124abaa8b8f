"""Reporting periods (months, fiscal quarters and years) and business time.

This is the one place where salesmetrics turns timestamps into periods and
measures working time. Every metric that groups by ``freq`` calls
:func:`to_period`; every response-time measure calls
:meth:`BusinessCalendar.business_time`.

Fiscal years follow the pandas convention for anchored periods: a fiscal year
is named after the calendar year in which it *ends*. With
``fiscal_year_start=7`` the months July 2025 – June 2026 form fiscal year 2026
and July–September 2025 is ``2026Q1``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._api import find_stack_level

__all__ = [
    "BusinessCalendar",
    "as_timestamp",
    "check_timezone",
    "duration",
    "freq_alias",
    "parse_period",
    "period_bounds",
    "period_ordinals",
    "period_range",
    "to_period",
]

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def freq_alias(freq: str, fiscal_year_start: int = 1) -> str:
    """Return the pandas period alias for ``freq`` under a fiscal calendar.

    Parameters
    ----------
    freq : {"M", "Q", "Y"}
        Month, quarter or year (case-insensitive).
    fiscal_year_start : int, default 1
        Month number (1–12) in which the fiscal year starts.

    Returns
    -------
    str
        ``"M"``, or an anchored alias such as ``"Q-JUN"`` / ``"Y-JUN"``.

    Examples
    --------
    >>> freq_alias("Q", fiscal_year_start=7)
    'Q-JUN'
    >>> freq_alias("y")
    'Y-DEC'
    """
    if not isinstance(fiscal_year_start, (int, np.integer)) or not 1 <= fiscal_year_start <= 12:
        raise ValueError(
            f"fiscal_year_start must be a month number 1–12, got {fiscal_year_start!r}; "
            "pass e.g. fiscal_year_start=4 for a year starting in April."
        )
    key = str(freq).upper()
    if key == "M":
        return "M"
    if key not in ("Q", "Y"):
        raise ValueError(f"freq must be 'M', 'Q' or 'Y', got {freq!r}.")
    end_month = _MONTHS[(int(fiscal_year_start) - 2) % 12]
    return f"{key}-{end_month}"


def _local_naive(values: Any) -> pd.DatetimeIndex:
    """Wall-clock times of ``values`` (aware ones in their own zone), tz dropped."""
    idx = pd.DatetimeIndex(values)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return idx


def to_period(values: Any, freq: str = "Q", *, fiscal_year_start: int = 1) -> pd.PeriodIndex:
    """Map timestamps to reporting periods.

    Time-zone-aware timestamps are assigned by their own wall-clock time, so
    a deal closed at 23:30 on 31 March in Seoul belongs to March, whatever
    UTC says. (Tables in a :class:`~salesmetrics.SalesData` are already in
    the bundle's time zone.)

    Parameters
    ----------
    values : array-like of datetime
        Timestamps or dates.
    freq : {"Q", "M", "Y"}, default "Q"
        Month, quarter or year (the library's one default, as in every metric).
    fiscal_year_start : int, default 1
        Month in which the fiscal year starts.

    Returns
    -------
    pandas.PeriodIndex

    Examples
    --------
    >>> import pandas as pd
    >>> ts = pd.to_datetime(["2025-03-31 23:30"]).tz_localize("Asia/Seoul")
    >>> to_period(ts, "Q").astype(str).tolist()
    ['2025Q1']
    >>> to_period(ts, "Q", fiscal_year_start=4).astype(str).tolist()
    ['2025Q4']
    """
    return _local_naive(values).to_period(freq_alias(freq, fiscal_year_start))


def datetime_array(values: Any) -> Any:
    """``values`` as a pandas DatetimeArray, without a copy when they are a datetime Series or index already
    (``pandas.DatetimeIndex(series)`` copies the column).

    Parameters
    ----------
    values : array-like of datetime
        A datetime Series or index (used as it is), or anything :class:`pandas.DatetimeIndex` reads.

    Returns
    -------
    pandas.arrays.DatetimeArray

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(pd.to_datetime(["2025-01-01"], utc=True))
    >>> np.shares_memory(datetime_array(s).asi8, s.array.asi8)
    True
    """
    if isinstance(values, (pd.Series, pd.Index)) and isinstance(values.array, pd.arrays.DatetimeArray):
        return values.array
    return pd.DatetimeIndex(values).array


def period_ordinals(values: Any, freq: str, *, fiscal_year_start: int = 1) -> np.ndarray:
    """Period ordinals (as in ``pandas.Period.ordinal``) of many time stamps, fast; NaT gives int64 min.

    Same periods as :func:`to_period` (local wall-clock time), found by a binary search of each time stamp among the
    instants the periods start (local midnights, in the values' own zone and unit): no conversion of the values
    to wall-clock time and no copy of them, so tens of millions of rows cost one vectorised pass.

    Parameters
    ----------
    values : array-like of datetime
        Timestamps or dates; aware ones are read in their own wall-clock time, missing ones give int64 min.
    freq : {"M", "Q", "Y"}
        Month, quarter or year (case-insensitive).
    fiscal_year_start : int, default 1
        Month in which the fiscal year starts.

    Examples
    --------
    >>> import pandas as pd
    >>> ords = period_ordinals(pd.to_datetime(["2025-08-01", None]), "Q")
    >>> str(pd.Period(ordinal=int(ords[0]), freq="Q")), int(ords[1]) == np.iinfo("int64").min
    ('2025Q3', True)
    """
    idx = datetime_array(values)
    stamps = np.asarray(idx.asi8)  # UTC instants (aware) or wall-clock (naive), in the values' unit, no copy
    nat = np.iinfo("int64").min
    valid = stamps != nat
    if not valid.any():
        return np.full(len(stamps), nat, dtype="int64")
    latest = int(stamps.max())  # NaT is the smallest int64: it never wins
    earliest = int(stamps.min()) if valid.all() else int(stamps[valid].min())
    alias = freq_alias(freq, fiscal_year_start)
    ends = pd.DatetimeIndex(np.array([earliest, latest], dtype=f"datetime64[{idx.unit}]"))
    if idx.tz is not None:
        ends = ends.tz_localize("UTC").tz_convert(idx.tz).tz_localize(None)
    first, last = ends.to_period(alias)
    periods = pd.period_range(first, last, freq=alias)
    starts = pd.DatetimeIndex(periods.start_time)
    if idx.tz is not None:
        # a local midnight the clocks skip starts its day at the first instant that exists; a repeated one, at its first
        starts = starts.tz_localize(idx.tz, ambiguous=np.ones(len(starts), dtype=bool), nonexistent="shift_forward")
    bounds = np.asarray(starts.as_unit(idx.unit).asi8)
    # Where does each stamp fall among the bounds? A binary search per row is slow on unsorted rows, so: the bound
    # in force at the start of the stamp's slot, from a small table, then one step on if the next bound falls later
    # in that slot. A slot is 2**k units from the first bound, under a day (a shift, not a division), so it holds at
    # most one bound: periods last 28+ days.
    shift = int(pd.Timedelta(days=1) / pd.Timedelta(1, unit=idx.unit)).bit_length() - 1
    slots = stamps - bounds[0]
    slots >>= shift
    if not valid.all():
        slots[~valid] = 0
    starts_at = bounds[0] + (np.arange(int(slots.max()) + 1, dtype="int64") << shift)
    table = np.searchsorted(bounds, starts_at, side="right") - 1
    following = np.append(bounds, np.iinfo("int64").max)[table + 1]  # the next bound; in the slot or after it
    found = table[slots]
    found += stamps >= following[slots]
    found += first.ordinal
    if not valid.all():
        found[~valid] = nat
    return found


def period_range(start: Any, end: Any, freq: str = "Q", *, fiscal_year_start: int = 1) -> pd.PeriodIndex:
    """All periods from the one holding ``start`` to the one holding ``end``.

    Parameters
    ----------
    start, end : date-like
        The first and the last instant to cover; both ends are included.
    freq : {"Q", "M", "Y"}, default "Q"
        Month, quarter or year.
    fiscal_year_start : int, default 1
        Month in which the fiscal year starts.

    Examples
    --------
    >>> period_range("2025-01-15", "2025-07-01", "Q").astype(str).tolist()
    ['2025Q1', '2025Q2', '2025Q3']
    """
    first, last = to_period([pd.Timestamp(start), pd.Timestamp(end)], freq, fiscal_year_start=fiscal_year_start)
    return pd.period_range(first, last, freq=first.freq)


def last_complete_period(as_of: Any, freq: str = "Q", *, fiscal_year_start: int = 1) -> pd.Period:
    """The last period that has ended by ``as_of``: the one holding it when ``as_of`` falls on its last day, else the one before.

    Read in ``as_of``'s own wall-clock time, like :func:`to_period`. Trend tests and reports use it so that a
    quarter still in progress never looks like a decline.

    Parameters
    ----------
    as_of : date-like
        The moment of reading; naive or aware (read in its own wall-clock time).
    freq : {"Q", "M", "Y"}, default "Q"
        Month, quarter or year.
    fiscal_year_start : int, default 1
        Month in which the fiscal year starts.

    Examples
    --------
    >>> last_complete_period("2025-09-30 18:00"), last_complete_period("2025-09-15")
    (Period('2025Q3', 'Q-DEC'), Period('2025Q2', 'Q-DEC'))
    """
    local = _local_naive([as_timestamp(as_of)])[0]
    current = local.to_period(freq_alias(freq, fiscal_year_start))
    return current if local.normalize() >= current.end_time.normalize() else current - 1


def period_bounds(periods: Any, tz: str | None = None) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Half-open bounds ``[start, end)`` of each period, optionally localised.

    Parameters
    ----------
    periods : pandas.PeriodIndex or array-like of Period
    tz : str, optional
        Time zone to localise the bounds in (the bundle's time zone).

    Returns
    -------
    (start, end) : tuple of pandas.DatetimeIndex

    Examples
    --------
    >>> import pandas as pd
    >>> s, e = period_bounds(pd.PeriodIndex(["2025Q3"], freq="Q"), tz="UTC")
    >>> str(s[0]), str(e[0])
    ('2025-07-01 00:00:00+00:00', '2025-10-01 00:00:00+00:00')
    """
    pidx = pd.PeriodIndex(periods)
    start = pidx.start_time.normalize()
    end = (pidx + 1).start_time.normalize()
    if tz is not None:
        start = start.tz_localize(tz, ambiguous=np.ones(len(start), dtype=bool), nonexistent="shift_forward")
        end = end.tz_localize(tz, ambiguous=np.ones(len(end), dtype=bool), nonexistent="shift_forward")
    return pd.DatetimeIndex(start), pd.DatetimeIndex(end)


_PERIOD_PATTERNS = [
    (re.compile(r"^(?:FY)?(\d{4})\s*-?\s*Q([1-4])$", re.I), "Q"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "M"),
    (re.compile(r"^(?:FY)?(\d{4})$", re.I), "Y"),
]


def parse_period(text: str, *, fiscal_year_start: int = 1) -> pd.Period:
    """Parse a target period label: ``2025Q3``, ``2025-07`` or ``2025``.

    Quarters and years are read as fiscal periods when ``fiscal_year_start``
    is not 1 (``2026Q1`` with a July start is July–September 2025).

    Parameters
    ----------
    text : str
        ``"2025Q3"`` (also ``"FY2025Q3"``, ``"2025-Q3"``), ``"2025-07"`` or ``"2025"`` (also ``"FY2025"``);
        surrounding spaces are ignored.
    fiscal_year_start : int, default 1
        Month in which the fiscal year starts.

    Examples
    --------
    >>> parse_period("2025Q3")
    Period('2025Q3', 'Q-DEC')
    >>> parse_period("2025-07")
    Period('2025-07', 'M')
    >>> parse_period("FY2026", fiscal_year_start=7)
    Period('2026', 'Y-JUN')
    """
    label = str(text).strip()
    for pattern, kind in _PERIOD_PATTERNS:
        m = pattern.match(label)
        if m is None:
            continue
        alias = freq_alias(kind, fiscal_year_start)
        if kind == "Q":
            return pd.Period(year=int(m.group(1)), quarter=int(m.group(2)), freq=alias)
        if kind == "M":
            month = int(m.group(2))
            if not 1 <= month <= 12:
                break
            return pd.Period(year=int(m.group(1)), month=month, freq=alias)
        return pd.Period(year=int(m.group(1)), freq=alias)
    raise ValueError(
        f"cannot read {text!r} as a period; write quarters as '2025Q3', months as '2025-07' "
        "and years as '2025'."
    )


def _parse_clock(value: str | dt.time | int | float) -> int:
    """Seconds after midnight of a clock time; '24:00' is allowed as an end."""
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, (int, float, np.integer, np.floating)):
        seconds = round(float(value) * 3600)
    else:
        m = re.match(r"^\s*(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*$", str(value))
        if m is None:
            raise ValueError(f"cannot read {value!r} as a clock time; write it as 'HH:MM', e.g. '09:00'.")
        seconds = int(m.group(1)) * 3600 + int(m.group(2) or 0) * 60 + int(m.group(3) or 0)
    if not 0 <= seconds <= 24 * 3600:
        raise ValueError(f"clock time {value!r} is outside 00:00–24:00.")
    return seconds


@dataclass(frozen=True)
class BusinessCalendar:
    """Working time: a time zone, daily working hours, working weekdays, holidays.

    Business time between two instants is the real elapsed time that falls
    inside working hours on working days, counted in the calendar's own time
    zone, so it is right across weekends, holidays and daylight-saving changes
    (a 00:00–24:00 calendar counts 23 hours on a spring-forward day).

    Parameters
    ----------
    tz : str, default "UTC"
        IANA time zone in which working hours are read.
    start, end : str or datetime.time, default "09:00" and "18:00"
        Daily working hours ``[start, end)``; ``end`` may be ``"24:00"``.
        Overnight shifts (end before start) are not supported.
    weekmask : str, default "Mon Tue Wed Thu Fri"
        Working weekdays, as numpy's ``busday`` functions read them
        (``"Mon Tue Wed Thu Fri"`` or ``"1111100"``).
    holidays : sequence of date-like, default ()
        Extra non-working dates (local dates in ``tz``); they add to the country's.
    country : str, optional
        ISO country code ("KR", "US", "DE", ...): its public holidays, lunar ones and substitute days
        included (Seollal, Chuseok), come from the maintained ``holidays`` package for every year the
        computation spans.
    subdiv : str, optional
        A state or province of ``country`` with holidays of its own ("CA" for California).

    Examples
    --------
    >>> import pandas as pd
    >>> cal = BusinessCalendar("America/New_York", start="09:00", end="17:00")
    >>> a = pd.Series(pd.to_datetime(["2025-03-07 16:00"]).tz_localize("America/New_York"))
    >>> b = pd.Series(pd.to_datetime(["2025-03-10 10:00"]).tz_localize("America/New_York"))
    >>> cal.business_time(a, b).iloc[0]   # Friday 16:00 -> Monday 10:00
    Timedelta('0 days 02:00:00')

    Chuseok 2025 (5–7 October, and 8 October in lieu) and Hangul Day (9 October) stop the clock in Seoul:

    >>> seoul = BusinessCalendar("Asia/Seoul", country="KR")
    >>> a = pd.Series(pd.to_datetime(["2025-10-02 17:00"]).tz_localize("Asia/Seoul"))
    >>> b = pd.Series(pd.to_datetime(["2025-10-10 10:00"]).tz_localize("Asia/Seoul"))
    >>> seoul.business_time(a, b).iloc[0]   # 1 h on Thursday 2 Oct, 1 h on Friday 10 Oct (3 Oct is a holiday)
    Timedelta('0 days 02:00:00')
    """

    tz: str = "UTC"
    start: str | dt.time = "09:00"
    end: str | dt.time = "18:00"
    weekmask: str = "Mon Tue Wed Thu Fri"
    holidays: Sequence[Any] = field(default_factory=tuple)
    country: str | None = None
    subdiv: str | None = None

    def __post_init__(self) -> None:
        open_s, close_s = _parse_clock(self.start), _parse_clock(self.end)
        if close_s <= open_s:
            raise ValueError(
                f"working hours must end after they start, got {self.start!r}–{self.end!r}; "
                "overnight shifts are not supported."
            )
        try:
            np.is_busday(np.datetime64("2025-01-01"), weekmask=self.weekmask)
        except ValueError as exc:
            raise ValueError(f"weekmask {self.weekmask!r} is not valid: write e.g. 'Mon Tue Wed Thu Fri'.") from exc
        pd.Timestamp("2025-01-01").tz_localize(self.tz)  # fails early on an unknown zone
        object.__setattr__(self, "_open_s", open_s)
        object.__setattr__(self, "_close_s", close_s)
        object.__setattr__(self, "_holidays", _as_days(self.holidays))
        if self.country is not None:
            self._country_holidays(2000, 2000)  # an unknown country fails here, with the fix
        logging.getLogger("salesmetrics.periods").info(
            "business calendar: %s, %s–%s on %s, holidays of %s%s", self.tz, self.start, self.end, self.weekmask,
            self.country + (f"-{self.subdiv}" if self.subdiv else "") if self.country else "no country",
            f" and {len(self.holidays)} date(s) given" if len(self.holidays) else "")

    # -- internals -------------------------------------------------------------------------------------
    def _instants(self, values: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """UTC nanoseconds, local day numbers and a NaT mask for ``values``."""
        idx = pd.DatetimeIndex(values)
        if idx.tz is None:
            idx = idx.tz_localize(self.tz, ambiguous=np.ones(len(idx), dtype=bool), nonexistent="shift_forward")
        else:
            idx = idx.tz_convert(self.tz)
        idx = idx.as_unit("ns")
        nat = np.asarray(idx.isna())
        utc_ns = idx.asi8.copy()
        local_days = idx.tz_localize(None).normalize().asi8 // 86_400_000_000_000
        return utc_ns, np.asarray(local_days), nat

    def _country_holidays(self, first_year: int, last_year: int) -> np.ndarray:
        """The country's public holidays for the years given (the ``holidays`` package), as numpy days."""
        if self.country is None:
            return np.array([], dtype="datetime64[D]")
        from .errors import import_optional

        _hol = import_optional("holidays", "holidays")  # only country= needs it: an extra, with the pip install to run
        try:
            found = _hol.country_holidays(self.country, subdiv=self.subdiv, years=range(first_year, last_year + 1))
        except NotImplementedError as exc:
            raise ValueError(f"no public-holiday calendar for country={self.country!r} (subdiv={self.subdiv!r}); use an ISO "
                             f"code such as 'KR', 'US' or 'DE', or pass holidays=[...] yourself.") from exc
        return np.asarray(sorted(found), dtype="datetime64[D]")

    def _day_grid(self, first_day: int, last_day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per local day in [first_day, last_day]: opening instant, open ns, cumulative ns before."""
        days = np.arange(first_day, last_day + 1, dtype="int64")
        dates = days.astype("datetime64[D]")
        off = self._holidays  # type: ignore[attr-defined]
        if self.country is not None and len(days):
            years = dates[[0, -1]].astype("datetime64[Y]").astype(int) + 1970
            off = np.union1d(off, self._country_holidays(int(years[0]), int(years[1])))
        busy = np.is_busday(dates, weekmask=self.weekmask, holidays=off)
        base = pd.DatetimeIndex(dates.astype("datetime64[ns]"))
        n = len(base)
        opens = (base + pd.Timedelta(seconds=self._open_s)).tz_localize(  # type: ignore[attr-defined]
            self.tz, ambiguous=np.ones(n, dtype=bool), nonexistent="shift_forward"
        )
        closes = (base + pd.Timedelta(seconds=self._close_s)).tz_localize(  # type: ignore[attr-defined]
            self.tz, ambiguous=np.ones(n, dtype=bool), nonexistent="shift_forward"
        )
        open_ns = opens.as_unit("ns").asi8
        dur = np.where(busy, closes.as_unit("ns").asi8 - open_ns, 0)
        cum = np.concatenate([[0], np.cumsum(dur)[:-1]])
        return open_ns, dur, cum

    def _cumulative(self, utc_ns: np.ndarray, days: np.ndarray, valid: np.ndarray, first_day: int, grid: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
        open_ns, dur, cum = grid
        pos = np.where(valid, days - first_day, 0)
        inside = np.clip(utc_ns - open_ns[pos], 0, dur[pos])
        return cum[pos] + inside

    # -- public ----------------------------------------------------------------------------------------
    def business_time(self, start: Any, end: Any) -> pd.Series:
        """Business time from each ``start`` to the matching ``end``.

        Parameters
        ----------
        start, end : array-like of datetime, same length
            Aware timestamps (any zone) or naive ones, read in the calendar's
            time zone. Missing values give ``NaT``.

        Returns
        -------
        pandas.Series of timedelta64[ns]
            Negative when ``end`` is before ``start``. Indexed like ``start``
            when it is a Series.

        Examples
        --------
        >>> import pandas as pd
        >>> cal = BusinessCalendar("UTC", start="09:00", end="17:00", holidays=["2025-12-25"])
        >>> s = pd.to_datetime(["2025-12-24 16:00", "2025-12-24 16:00"])
        >>> e = pd.to_datetime(["2025-12-26 10:00", None])
        >>> cal.business_time(s, e).tolist()
        [Timedelta('0 days 02:00:00'), NaT]
        """
        if len(start) != len(end):
            raise ValueError(f"start and end must have the same length, got {len(start)} and {len(end)}.")
        s_ns, s_day, s_nat = self._instants(start)
        e_ns, e_day, e_nat = self._instants(end)
        valid = ~(s_nat | e_nat)
        index = start.index if isinstance(start, pd.Series) else None
        out = np.full(len(s_ns), np.iinfo("int64").min, dtype="int64")
        if valid.any():
            first = int(min(s_day[valid].min(), e_day[valid].min()))
            last = int(max(s_day[valid].max(), e_day[valid].max()))
            grid = self._day_grid(first, last)
            b_start = self._cumulative(s_ns, s_day, valid, first, grid)
            b_end = self._cumulative(e_ns, e_day, valid, first, grid)
            out = np.where(valid, b_end - b_start, out)
        return pd.Series(out.view("timedelta64[ns]"), index=index, name="business_time")


def _as_days(values: Iterable[Any]) -> np.ndarray:
    items = list(values)
    if not items:
        return np.array([], dtype="datetime64[D]")
    return np.asarray(pd.DatetimeIndex([pd.Timestamp(v) for v in items]).tz_localize(None).normalize(), dtype="datetime64[D]")


_MONTHS_SPELLED = re.compile(r"^\s*(\d+)\s*(M|MS|month|months|Y|year|years)\s*$", re.I)


def check_timezone(zone: Any, *, name: str = "timezone") -> str:
    """``zone`` if it is a time zone pandas can use (an IANA name such as "America/New_York"), else a ValueError
    saying what to pass.

    Parameters
    ----------
    zone : str
        The time zone to check.
    name : str, default "timezone"
        The argument's name, for the message.

    Returns
    -------
    str
        ``zone``.

    Raises
    ------
    ValueError
        When ``zone`` is not a time zone.

    Examples
    --------
    >>> check_timezone("Asia/Seoul")
    'Asia/Seoul'
    >>> check_timezone("New York")
    Traceback (most recent call last):
    ...
    ValueError: timezone='New York' is not a time zone; use an IANA name such as 'UTC', 'America/New_York' or 'Asia/Seoul'.
    """
    try:
        pd.Timestamp("2025-01-01").tz_localize(zone)
    except (KeyError, ValueError, TypeError, OSError, AttributeError) as err:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"{name}={zone!r} is not a time zone; use an IANA name such as 'UTC', 'America/New_York' or "
                         "'Asia/Seoul'.") from err
    return str(zone)


def as_timestamp(value: Any, tz: str | None = None, *, name: str = "as_of") -> pd.Timestamp:
    """Read a date or time stamp given by the user (``as_of``, ``start``), in the bundle's zone when ``tz`` is given.

    A naive value is read as wall-clock time in ``tz``; an aware one is converted to it. Text that is
    not a date is a ``ValueError`` that names the parameter and the format, not a parser error.

    Parameters
    ----------
    value : str, datetime or Timestamp
        The date (``"2025-09-30"``) or time stamp.
    tz : str, optional
        Time zone to localise or convert to; None keeps the value as it is.
    name : str, default "as_of"
        The parameter's name, for the error message.

    Returns
    -------
    pandas.Timestamp

    Examples
    --------
    >>> as_timestamp("2025-09-30", "Asia/Seoul")
    Timestamp('2025-09-30 00:00:00+0900', tz='Asia/Seoul')
    >>> as_timestamp("end of Q3")
    Traceback (most recent call last):
    ...
    ValueError: as_of='end of Q3' is not a date; write it as YYYY-MM-DD (or a Timestamp).
    """
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}={value!r} is not a date; write it as YYYY-MM-DD (or a Timestamp).") from err
    if ts is pd.NaT:
        raise ValueError(f"{name}={value!r} is not a date; write it as YYYY-MM-DD (or a Timestamp).")
    if tz is None:
        return ts
    return ts.tz_convert(tz) if ts.tz is not None else ts.tz_localize(tz)


def duration(value: Any, *, name: str = "duration", unit: Literal["time", "months"] = "time",
             legacy_months: bool = False, minimum: int = 1) -> pd.Timedelta | int:
    """Read a duration in the library's one spelling: ``"90D"``, ``"12h"``, ``"6M"``, ``"1Y"``, a Timedelta, or days.

    A plain number means days everywhere. ``unit="time"`` (funnel windows, SLA promises) gives a
    :class:`pandas.Timedelta`; ``unit="months"`` (LTV churn windows, survey horizons: calendar months)
    gives a whole number of months, from ``"6M"`` or ``"1Y"``. ``legacy_months=True`` is for a parameter
    that took plain numbers as months in 0.1: such a number still means months there, with a
    FutureWarning, until 0.3.

    Parameters
    ----------
    value : str, pandas.Timedelta or number
        The duration: ``"90D"``, ``"12h"``, a Timedelta or a number of days with ``unit="time"``; ``"6M"``
        or ``"1Y"`` with ``unit="months"``.
    name : str, default "duration"
        The parameter's name, used in error and warning messages.
    unit : {"time", "months"}, default "time"
        Return a :class:`pandas.Timedelta` (``"time"``) or a whole number of calendar months (``"months"``).
    legacy_months : bool, default False
        With ``unit="months"``, read a plain whole number as months (with a FutureWarning) instead of
        refusing it.
    minimum : int, default 1
        The fewest months accepted with ``unit="months"``; not checked with ``unit="time"``.

    Examples
    --------
    >>> duration("90D"), duration(30), duration("6M", unit="months"), duration("2Y", unit="months")
    (Timedelta('90 days 00:00:00'), Timedelta('30 days 00:00:00'), 6, 24)
    >>> duration("6M")
    Traceback (most recent call last):
    ...
    ValueError: duration='6M' is in calendar months, which have no fixed length; give it in days (e.g. '180D') or hours.
    """
    import warnings

    if isinstance(value, bool):
        raise TypeError(f"{name} must be a duration such as '90D' or '6M', got {value!r}.")
    if unit == "months":
        if isinstance(value, (int, np.integer)) or (isinstance(value, (float, np.floating)) and float(value).is_integer()):
            if legacy_months:
                warnings.warn(f"{name}={value!r}: plain numbers will mean days, as everywhere else in salesmetrics; pass "
                              f"{name}='{int(value)}M' (this one is still read as {int(value)} months until 0.3).",
                              FutureWarning, stacklevel=find_stack_level())
                months = int(value)
            else:
                raise ValueError(f"{name} is counted in calendar months: pass {name}='{int(value)}M', not {value!r}.")
        elif isinstance(value, str) and (m := _MONTHS_SPELLED.match(value)):
            months = int(m.group(1)) * (12 if m.group(2).upper().startswith("Y") else 1)
        else:
            raise ValueError(f"{name} is counted in calendar months: pass e.g. {name}='6M' or '1Y', got {value!r}.")
        if months < minimum:
            raise ValueError(f"{name} must be at least {minimum} month{'s' if minimum != 1 else ''}, got {value!r}.")
        return months
    if isinstance(value, (int, float, np.integer, np.floating)):
        if not value >= 0:
            raise ValueError(f"{name} must be a non-negative number of days, got {value!r}.")
        return pd.Timedelta(days=float(value))
    if isinstance(value, str) and _MONTHS_SPELLED.match(value):
        raise ValueError(f"{name}={value!r} is in calendar months, which have no fixed length; give it in days (e.g. "
                         f"'{int(_MONTHS_SPELLED.match(value).group(1)) * 30}D') or hours.")  # type: ignore[union-attr]
    if isinstance(value, str):  # "90d" and "90D" alike (pandas deprecates the lower-case day unit)
        value = re.sub(r"(?<=\d)\s*d(ays?)?\b", "D", value.strip())
    try:
        found = pd.Timedelta(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a duration such as '90D', '12h' or a Timedelta, got {value!r}.") from err
    if found < pd.Timedelta(0):
        raise ValueError(f"{name} must not be negative, got {value!r}.")
    return found
