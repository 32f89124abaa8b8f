"""Coercion to canonical types: whole columns at a time, one failure per cell that cannot be cast.

A bad value becomes a named failure (table, column, check, row, value, fix), never a library exception:

- **Dates.** Values outside 1678–2261 (pandas' nanosecond range, with a margin for time zones) are
  ``date_out_of_range``, whether text (``9999-12-31``), Python datetimes or typed columns of another
  unit; text that is no date at all (``-1``, ``0``, ``someday``) is ``timestamp``/``date``.
  Numeric day-month dates (``03/04/2025``, ``3.4.2025``, ``03-04-2025``, with or without a time) are
  read in ONE order per column: ``dayfirst`` when given, else the order the values prove (a first
  field above 12 proves day-first, a second field above 12 month-first). Values against the column's
  order are ``date_order_mixed``; when no value settles the order, the ones that read differently
  either way are ``date_order_ambiguous``. ISO 8601 values are never affected.
- **Numbers.** ``inf``, ``-inf``, ``Infinity`` (text or float) are ``not_finite``. The spellings that
  :func:`pandas.read_csv` reads as missing (``nan``, ``NaN``, ``NA``, ``N/A``, ``null``, ``None``, ...)
  are missing in a number column too, so a frame gives the same result as its CSV. Money beyond
  2**53 cents (about 90 trillion), where cents are no longer exact in a float, is ``amount_too_large``.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._compat import PANDAS_3, TEXT, flags, is_arrow_text
from ._messages import _STATUS_SYNONYMS, _failures, _fix

# a UTC offset at the end of an ISO time stamp: Z, +09:00, +0900, or hours only (-04) right after a time
_OFFSET_RE = r"(?:[zZ]|[+-]\d{2}:?\d{2}|\d\d:\d\d[+-]\d{2}|UTC|GMT)$"  # no look-behind: RE2 (Arrow) has none
_THOUSANDS_RE = r"^[-+]?[$€£₩¥]?\s?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"
_SYMBOL_RE = r"^[-+]?[$€£₩¥]\s?\d+(?:\.\d+)?$"
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}

# What pandas.read_csv reads as missing by default: the same text in a number column is missing here.
_NA_TEXT = ["#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
            "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
# Columns that hold money: beyond this many units, cents are no longer exact in a float64.
_MONEY = {("opportunities", "amount"), ("subscriptions", "amount"), ("spend", "amount"), ("targets", "target")}
_MAX_AMOUNT = 2**53 / 100
_MAX_INT = 2**53

# Dates: [1678-01-01, 2262-01-01) keeps every value (and any time-zone shift of it) in datetime64[ns].
_DATE_LOW = np.datetime64("1678-01-01")
_DATE_HIGH = np.datetime64("2262-01-01")
_NAT = np.datetime64("NaT", "ns")
_DM_RE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})((?:[T ].*)?)$"  # day and month in either order, then year
_BARE_NUMBER_RE = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"  # "-1", "0", "1.5e3": a number, not a date
_LONGEST_DATE = 64  # longer text is not a date; it is not handed to the per-value parser


def _as_text(s: pd.Series) -> pd.Series:
    """Strings with surrounding blanks stripped; empty strings become missing."""
    fast = _as_text_arrow(s)
    if fast is not None:
        return fast
    if pd.api.types.is_float_dtype(s.dtype):
        finite = s.dropna().to_numpy(dtype="float64")
        # whole numbers read as ids ("1001", not "1001.0"), as long as Int64 holds them exactly
        if len(finite) and bool(np.all(np.abs(finite) < _MAX_INT)) and bool(np.all(np.mod(finite, 1) == 0)):
            s = s.astype("Int64")
    if not (pd.api.types.is_string_dtype(s.dtype) and s.dtype != object):
        s = s.astype(TEXT)
    s = s.str.strip()
    return s.mask(s == "")


_PLAIN = {"string", "empty", "integer", "floating", "mixed-integer-float", "boolean", "datetime", "date", "datetime64"}


def _plain_objects(s: pd.Series) -> pd.Series:
    """An object column with bytes decoded and signalling Decimal NaNs (which break ``pd.isna``) as NaN.

    One C-level type scan for the usual columns; values are visited one by one only in columns that
    hold bytes, Decimals or a mixture.
    """
    if s.dtype != object or pd.api.types.infer_dtype(s, skipna=True) in _PLAIN:
        return s
    return s.map(_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, decimal.Decimal) and value.is_snan():
        return np.nan
    return value


def _coerce_number(s: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Read numbers; return the values (float64) and masks of unreadable and of infinite cells."""
    no = np.zeros(len(s), dtype=bool)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("float64"), no, no
    if pd.api.types.is_numeric_dtype(s.dtype):
        values = s.astype("float64")
        return values, no, np.isinf(values.to_numpy())
    fast = _plain_numbers(s)
    if fast is not None:
        return fast
    text = _as_text(s)
    grouped = flags(text.str.match(_THOUSANDS_RE))
    if grouped.any():
        text = text.mask(grouped, text.str.replace(r"[,$€£₩¥\s]", "", regex=True))
    symbol = flags(text.str.match(_SYMBOL_RE))  # "$900.00", "₩ 1200": a currency sign, no grouping
    if symbol.any():
        text = text.mask(symbol, text.str.replace(r"[$€£₩¥\s]", "", regex=True))
    out = pd.to_numeric(text, errors="coerce").astype("float64")
    unread = text.notna() & out.isna()
    if unread.any():
        unread &= ~text.isin(_NA_TEXT)  # "nan", "NA", "null": missing, as read_csv would have read them
    return out, np.asarray(unread, dtype=bool), np.isinf(out.to_numpy())


def _coerce_bool(s: pd.Series, *, spelled: bool = True) -> tuple[pd.Series, np.ndarray]:
    fast = _bools_by_spelling(s, lambda words: _coerce_bool(words, spelled=False)) if spelled else None
    if fast is not None:
        return fast
    if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
        return s.astype(bool), np.zeros(len(s), dtype=bool)
    text = _as_text(s).str.lower()
    out = pd.Series(np.nan, index=s.index, dtype=object)
    out[text.isin(_TRUE)] = True
    out[text.isin(_FALSE)] = False
    bad = np.asarray(text.notna() & out.isna())
    return out, bad


# ----------------------------------------------------------------------------------------------------------
# time
# ----------------------------------------------------------------------------------------------------------


def _coerce_time(
    s: pd.Series, tz: str, *, aware: bool, dayfirst: bool | None = None
) -> tuple[pd.Series, dict[str, np.ndarray], dict[str, Any]]:
    """Parse to datetime64[ns, tz] (``aware``) or naive midnight dates.

    Values with a UTC offset are converted to ``tz``; values without one are read in ``tz``.
    Works on whole columns: each kind of value is parsed by one vectorised call; only text that
    is not ISO 8601 goes on to the day-month reading and then to pandas' per-value parser.

    Returns the values, a mask per failure (``"bad"`` for unreadable, ``"timezone_mixed"``,
    ``"date_out_of_range"``, ``"date_order_ambiguous"``, ``"date_order_mixed"``), and what the
    day-month reading found (``order``: True day-first, False month-first, None unsettled;
    ``given``; ``n_day``/``n_month``: values that can only be read one way).

    Examples
    --------
    >>> s = pd.Series(["25/04/2025", "03/04/2025", "2025-07-01", "9999-12-31", "-1"])
    >>> values, issues, order = _coerce_time(s, "UTC", aware=False)
    >>> [str(v.date()) if pd.notna(v) else None for v in values]
    ['2025-04-25', '2025-04-03', '2025-07-01', None, None]
    >>> {k: np.flatnonzero(m).tolist() for k, m in issues.items() if m.any()}
    {'bad': [4], 'date_out_of_range': [3]}
    >>> order["order"]  # 25/04 can only be day-first, so 03/04 is 3 April
    True
    """
    fast = _iso_column(s, tz, aware=aware, dayfirst=dayfirst)
    if fast is not None:
        return fast
    n = len(s)
    no = np.zeros(n, dtype=bool)
    order: dict[str, Any] = {"order": dayfirst, "given": dayfirst is not None, "n_day": 0, "n_month": 0}
    if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s.dtype):
        utc = isinstance(s.dtype, pd.DatetimeTZDtype)  # typed input: UTC instants, or wall-clock times
        stamps, outside = _in_range(_numpy(s))
        values = _to_target(stamps, utc=utc, aware=aware, tz=tz)
        issues = {"bad": no, "timezone_mixed": no, "date_out_of_range": outside}
        return _finish(values, s.index, aware=aware, tz=tz), issues, order
    text, has_tz = _time_text(s)
    notna = text.notna().to_numpy()
    values = np.full(n, _NAT)
    outside = no.copy()
    retry = no.copy()
    for group, utc in ((notna & has_tz, True), (notna & ~has_tz, False)):
        if group.any():
            stamps, out = _in_range(_numpy(_to_datetime(text if group.all() else text[group], utc=utc, mixed=False)))
            values[group] = _to_target(stamps, utc=utc, aware=aware, tz=tz)
            outside[group] = out
            retry[group] = np.isnat(stamps) & ~out
    ambiguous, against = no, no
    if retry.any():
        ambiguous, against, order = _parse_rest(text, retry, has_tz, values, outside, aware=aware, tz=tz, dayfirst=dayfirst)
    if outside.any():  # "-1" or "03/04" read as year -1 or 1: text with no four-digit year is no date at all
        dated = flags(text[outside].astype(TEXT).str.contains(r"\d{4}", regex=True))
        outside[np.flatnonzero(outside)[~dated]] = False
    bad = notna & np.isnat(values) & ~outside & ~ambiguous & ~against
    n_aware, n_naive = int((notna & has_tz).sum()), int((notna & ~has_tz).sum())
    mixed = no
    if n_aware and n_naive:
        mixed = (notna & has_tz) if n_aware < n_naive else (notna & ~has_tz)
    issues = {"bad": bad, "timezone_mixed": mixed, "date_out_of_range": outside,
              "date_order_ambiguous": ambiguous, "date_order_mixed": against}
    return _finish(values, s.index, aware=aware, tz=tz), issues, order


def _time_text(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The column as text (or datetime objects, kept as they are) and which values carry a UTC offset."""
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
        # Python datetimes (maybe with strings or numbers) in an object column
        present = s.notna().to_numpy()
        is_dt = flags(s.map(lambda x: isinstance(x, _dt.date | np.datetime64), na_action="ignore"))
        has_tz = is_dt & flags(s.map(lambda x: getattr(x, "tzinfo", None) is not None, na_action="ignore"))
        text = s.copy()
        others = present & ~is_dt
        if others.any():
            as_text = _as_text(s[others])
            text[others] = as_text.to_numpy(object)
            has_tz[others] = flags(as_text.str.contains(_OFFSET_RE, regex=True))
        return text, has_tz
    text = _as_text(s)
    return text, flags(text.str.contains(_OFFSET_RE, regex=True))


def _parse_rest(
    text: pd.Series, retry: np.ndarray, has_tz: np.ndarray, values: np.ndarray, outside: np.ndarray,
    *, aware: bool, tz: str, dayfirst: bool | None,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Parse what ISO 8601 could not, into ``values`` and ``outside`` (in place).

    Numeric day-month dates are rewritten as ISO in one order for the whole column; other text
    (month names, ...) goes to pandas' per-value parser. Bare numbers and very long text are left
    unread. Returns the masks of ambiguous and of against-the-order rows, and the order found.
    """
    n = len(text)
    rest = text[retry].astype(TEXT)
    skip = flags(rest.str.fullmatch(_BARE_NUMBER_RE)) | np.asarray(rest.str.len() > _LONGEST_DATE, dtype=bool)
    candidates = rest.copy()
    ambiguous, against = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    order: dict[str, Any] = {"order": dayfirst, "given": dayfirst is not None, "n_day": 0, "n_month": 0}
    parts = rest.str.extract(_DM_RE)
    dm = parts[0].notna().to_numpy() & ~skip
    if dm.any():
        p = parts[dm]
        a, b = p[0].astype("int64").to_numpy(), p[1].astype("int64").to_numpy()
        day_first, amb, bad_order, order = _day_order(a, b, dayfirst)
        year = p[2].astype("int64").to_numpy()
        short = (p[2].str.len() == 2).to_numpy()
        year = np.where(short, np.where(year < 69, 2000 + year, 1900 + year), year)  # strptime's %y: 69-99 are 19xx
        day, month = np.where(day_first, a, b), np.where(day_first, b, a)
        iso = (
            pd.Series(year, index=p.index).astype(TEXT).str.zfill(4) + "-"
            + pd.Series(month, index=p.index).astype(TEXT).str.zfill(2) + "-"
            + pd.Series(day, index=p.index).astype(TEXT).str.zfill(2) + p[3].astype(TEXT)
        )
        candidates[dm] = iso.to_numpy()
        positions = np.flatnonzero(retry)[dm]
        ambiguous[positions[amb]] = True
        against[positions[bad_order]] = True
        skip[np.flatnonzero(dm)[amb | bad_order]] = True
    todo = np.zeros(n, dtype=bool)
    todo[np.flatnonzero(retry)[~skip]] = True
    sub_tz = has_tz[retry][~skip]
    candidates = candidates[~skip]
    for group, utc in ((sub_tz, True), (~sub_tz, False)):
        if not group.any():
            continue
        where = np.flatnonzero(todo)[group]
        part = candidates[group]
        stamps, out = _in_range(_numpy(_to_datetime(part, utc=utc, mixed=False)))
        again = np.isnat(stamps) & ~out
        if again.any():  # month names, times like "9:30 PM", ...: pandas' per-value parser
            stamps, out = stamps.copy(), out.copy()
            stamps[again], out[again] = _in_range(_numpy(_to_datetime(part[again], utc=utc, mixed=True)))
        values[where] = _to_target(stamps, utc=utc, aware=aware, tz=tz)
        outside[where] = out
    return ambiguous, against, order


def _day_order(a: np.ndarray, b: np.ndarray, dayfirst: bool | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """One order for a column of day-month dates (``a``, ``b`` the first two fields).

    Returns per row whether to read it day-first, the rows no value settles (ambiguous), the rows
    against the order (mixed), and the order found.
    """
    only_day = (a > 12) & (b <= 12)
    only_month = (b > 12) & (a <= 12)
    unsettled = (a <= 12) & (b <= 12) & (a != b)
    n_day, n_month = int(only_day.sum()), int(only_month.sum())
    none = np.zeros(len(a), dtype=bool)
    first: bool | None
    if dayfirst is not None:
        first = bool(dayfirst)
        ambiguous, against = none, (only_month if first else only_day)
    elif n_day > n_month:
        first, ambiguous, against = True, none, only_month
    elif n_month > n_day:
        first, ambiguous, against = False, none, only_day
    else:  # no evidence, or as much for one order as for the other
        first, ambiguous, against = None, unsettled, only_day | only_month
    rows = np.full(len(a), True if first is None else first)  # unsettled order: only a == b rows are read
    info = {"order": first, "given": dayfirst is not None, "n_day": n_day, "n_month": n_month}
    return rows, ambiguous, against, info


def _to_datetime(text: pd.Series, *, utc: bool, mixed: bool) -> pd.Series:
    """pandas.to_datetime with errors as NaT, in whatever unit pandas picks (range is checked later)."""
    if not len(text):
        return pd.Series([], index=text.index, dtype="datetime64[ns, UTC]" if utc else "datetime64[ns]")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = pd.to_datetime(text, errors="coerce", format="mixed" if mixed else "ISO8601", utc=utc)
        if pd.api.types.is_datetime64_any_dtype(out.dtype):
            return out if PANDAS_3 else _out_of_bounds(text, out, utc=utc)
    except (ValueError, TypeError, OverflowError):  # mixed zones in naive text ("... EST"), odd objects
        pass
    return _to_datetime_each(text, utc=utc, mixed=mixed)


def _out_of_bounds(text: pd.Series, out: pd.Series, *, utc: bool) -> pd.Series:
    """pandas 2 parses only into nanoseconds, so a date outside 1677-2262 comes back NaT where pandas 3 keeps it (in
    a coarser unit) for the range check to name; read such values with numpy, in microseconds, as pandas 3 would."""
    lost = out.isna().to_numpy() & text.notna().to_numpy()
    if lost.any() and (text.dtype != object or pd.api.types.infer_dtype(text[lost], skipna=True) == "string"):
        # only text shaped like an ISO date with its year can be one out of range: the rest stays unread, in one pass
        lost &= flags(text.astype(TEXT).str.match(r"^\s*[+-]?\d{4,}-?\d{2}-?\d{2}"))
    if not lost.any():
        return out
    found = np.full(len(text), np.datetime64("NaT", "us"))
    for i in np.flatnonzero(lost):
        value = text.iloc[i]
        try:
            if isinstance(value, str):
                body, shift = value.strip(), np.timedelta64(0, "m")
                offset = re.search(r"(?:([+-])(\d{2}):?(\d{2})|[zZ])$", body) if utc else None
                if offset:  # an ISO offset: the instant in UTC
                    body = body[: offset.start()]
                    if offset.group(1):
                        minutes = int(offset.group(2)) * 60 + int(offset.group(3))
                        shift = np.timedelta64(minutes if offset.group(1) == "+" else -minutes, "m")
                stamp = np.datetime64(body.replace(" ", "T")[:26], "us") - shift
            elif getattr(value, "tzinfo", None) is None and isinstance(value, _dt.date | np.datetime64):
                stamp = np.datetime64(value).astype("datetime64[us]")
            else:
                continue
        except ValueError:  # not ISO text: it stays unread, as pandas 3 leaves it
            continue
        if stamp < _DATE_LOW or stamp >= _DATE_HIGH:  # only what nanoseconds cannot hold; the rest pandas refused
            found[i] = stamp
    if np.isnat(found).all():
        return out
    base = out.dt.tz_convert("UTC").dt.tz_localize(None) if utc else out
    merged = pd.Series(np.where(lost, found, base.to_numpy("datetime64[us]")), index=text.index, dtype="datetime64[us]")
    return merged.dt.tz_localize("UTC") if utc else merged


def _to_datetime_each(text: pd.Series, *, utc: bool, mixed: bool) -> pd.Series:
    """Value by value, for the rare column pandas cannot parse as a whole; what fails is NaT."""
    fmt = "mixed" if mixed else "ISO8601"
    out = []
    stamp: Any
    for value in text:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                stamp = pd.to_datetime(pd.Series([value], dtype=object), errors="coerce", format=fmt, utc=utc).iloc[0]
        except (ValueError, TypeError, OverflowError):
            stamp = pd.NaT
        if not utc and getattr(stamp, "tzinfo", None) is not None:
            stamp = pd.NaT  # a zone name the offset pattern does not know: not read silently
        out.append(np.datetime64("NaT", "us") if pd.isna(stamp) else _stamp64(stamp))
    arr = np.array(out, dtype="datetime64[us]") if out else np.array([], dtype="datetime64[us]")
    parsed = pd.Series(arr, index=text.index)
    return parsed.dt.tz_localize("UTC") if utc else parsed


def _stamp64(stamp: pd.Timestamp) -> np.datetime64:
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_datetime64()


def _numpy(s: pd.Series) -> np.ndarray:
    """The values as numpy datetime64 in their own unit: UTC instants if aware, wall-clock times if not."""
    index = pd.DatetimeIndex(s)
    return index.asi8.view(f"datetime64[{index.unit}]")


def _in_range(stamps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[ns] with values outside [1678, 2262) set to NaT, and the mask of those values."""
    outside = (stamps < _DATE_LOW) | (stamps >= _DATE_HIGH)  # NaT compares False
    if outside.any():
        stamps = np.where(outside, np.datetime64("NaT"), stamps)
    return stamps.astype("datetime64[ns]", copy=False), outside


def _to_target(stamps: np.ndarray, *, utc: bool, aware: bool, tz: str) -> np.ndarray:
    """datetime64[ns]: UTC instants for an aware target, wall-clock times in ``tz`` for a date."""
    if aware == utc:
        return stamps
    index = pd.DatetimeIndex(stamps)
    if aware:  # wall-clock in tz -> UTC
        localized = index.tz_localize(tz, ambiguous=np.ones(len(index), dtype=bool), nonexistent="shift_forward")
        return localized.asi8.view("datetime64[ns]") if localized.unit == "ns" else localized.as_unit("ns").asi8.view("datetime64[ns]")
    wall = index.tz_localize("UTC").tz_convert(tz).tz_localize(None)  # UTC -> wall-clock in tz
    return wall.as_unit("ns").to_numpy()


def _finish(values: np.ndarray, index: pd.Index, *, aware: bool, tz: str) -> pd.Series:
    if aware:
        return pd.Series(pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(tz), index=index)
    return pd.Series(values, index=index).dt.normalize()


def _localize(s: pd.Series, tz: str) -> pd.Series:
    """Read naive wall-clock times in ``tz``; ambiguous ones as the first (daylight) instant."""
    return s.dt.as_unit("ns").dt.tz_localize(tz, ambiguous=np.ones(len(s), dtype=bool), nonexistent="shift_forward")


def _time_fix(check: str, table: str, column: str, tz: str, order: dict[str, Any]) -> str:
    if check != "date_order_mixed":
        return _fix(check, table, column, tz=tz)
    if order["given"]:
        given = bool(order["order"])
        return _fix("date_order_against_dayfirst", table, column, given=given, other=not given,
                    read="day-first" if given else "month-first", only="month-first (12/31/2025)" if given else "day-first (31/12/2025)")
    if order["order"] is None:
        read = "neither order has more values, so none is read"
    else:
        read = f"so the column is read {'day-first' if order['order'] else 'month-first'}"
    return _fix("date_order_mixed", table, column, n_day=order["n_day"], n_month=order["n_month"], read=read)


# ----------------------------------------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------------------------------------


def _coerce_table(
    table: str, df: pd.DataFrame, tz: str, currency: str, *, dayfirst: bool | None = None
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Cast each canonical column to its kind and fill defaults; report cells that cannot be cast.

    ``dayfirst`` fixes the order of numeric day-month dates (``03/04/2025``) in every date column;
    None reads it from the values (see the module docstring).
    """
    from ..schemas import DEFAULTS, LOWERCASE, column_kinds

    out = df.copy()
    failures: list[pd.DataFrame] = []
    rows = np.arange(len(out))
    defaults = dict(DEFAULTS.get(table, {}))
    kinds = column_kinds(table)
    if "currency" in kinds:
        defaults["currency"] = currency
    for column, (kind, _required) in kinds.items():
        if column not in out.columns:
            out[column] = _missing_column(kind, len(out), defaults.get(column), tz)
            continue
        original = _plain_objects(out[column])
        if kind == "str":
            values = _as_text(original)
            if column in LOWERCASE.get(table, ()):
                values = _codes(values, column)
            bad = np.zeros(len(out), dtype=bool)
            check = "str"
        elif kind in ("float", "int"):
            values, bad, infinite = _coerce_number(original)
            check = "number"
            if infinite.any():
                failures.append(_failures(table, column, "not_finite", rows[infinite], original[infinite], _fix("not_finite", table, column)))
                values = values.mask(infinite)
            if (table, column) in _MONEY:
                too_large = np.asarray(values.abs() > _MAX_AMOUNT, dtype=bool)
                if too_large.any():
                    failures.append(
                        _failures(table, column, "amount_too_large", rows[too_large], original[too_large], _fix("amount_too_large", table, column))
                    )
                    values = values.mask(too_large)
            if kind == "int":
                whole = np.asarray(values.notna() & ((values % 1 != 0) | (values.abs() >= _MAX_INT)), dtype=bool)
                bad_int = whole & ~bad
                if bad_int.any():
                    failures.append(
                        _failures(table, column, "integer", rows[bad_int], original[bad_int], _fix("integer", table, column))
                    )
                    values = values.mask(bad_int)
        elif kind == "bool":
            values, bad = _coerce_bool(original)
            check = "boolean"
        else:
            values, issues, order = _coerce_time(original, tz, aware=kind == "timestamp", dayfirst=dayfirst)
            bad = issues["bad"]
            check = "timestamp" if kind == "timestamp" else "date"
            for name in ("timezone_mixed", "date_out_of_range", "date_order_ambiguous", "date_order_mixed"):
                mask = issues.get(name)
                if mask is not None and mask.any():
                    failures.append(_failures(table, column, name, rows[mask], original[mask], _time_fix(name, table, column, tz, order)))
        if bad.any():
            failures.append(_failures(table, column, check, rows[bad], original[bad], _fix(check, table, column)))
        if column in defaults:
            if values.dtype == object:  # filled without fillna's object downcasting (a warning on pandas 2)
                filled = values.to_numpy(object).copy()
                filled[values.isna().to_numpy()] = defaults[column]
                values = pd.Series(filled, index=values.index, dtype=object)
            else:
                values = values.fillna(defaults[column])  # type: ignore[call-overload,arg-type]
        if kind == "int":
            values = values.astype("int64") if not values.isna().any() else values.astype("Int64")
        elif kind == "bool":
            values = values.astype(bool) if not values.isna().any() else values.astype("boolean")
        elif kind == "str":
            values = values.astype(TEXT)
        out[column] = values
    return out, failures


def _missing_column(kind: str, n: int, default: object, tz: str) -> pd.Series:
    if default is not None:
        dtype = {"int": "int64", "bool": "bool", "float": "float64", "str": "str"}[kind]
        return pd.Series([default] * n, dtype=dtype)
    if kind == "timestamp":
        return pd.Series(pd.NaT, index=range(n), dtype=pd.DatetimeTZDtype("ns", tz))
    if kind == "date":
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if kind in ("float", "int"):
        return pd.Series(np.nan, index=range(n), dtype="float64")
    return pd.Series(np.nan, index=range(n), dtype=TEXT)


# -- fast paths: clean Arrow-backed columns in one vectorised call; anything else takes the general reading above

def _arrow_text(s: pd.Series) -> Any:
    """The column's Arrow string data (no copy) when it has pandas' Arrow-backed ``str`` dtype, else None."""
    if is_arrow_text(s.dtype):
        import pyarrow as pa

        return pa.array(s.array)
    return None


def _as_text_arrow(s: pd.Series) -> pd.Series | None:
    """_as_text for an Arrow-backed str column: the same kernel as ``.str.strip()``, empty text to missing."""
    arr = _arrow_text(s)
    if arr is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(arr)
    empty = pc.equal(trimmed, "")
    if pc.any(empty).as_py():
        trimmed = pc.if_else(empty, pa.scalar(None, trimmed.type), trimmed)
    return pd.Series(trimmed, index=s.index, dtype=s.dtype)


def _plain_numbers(s: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray] | None:
    """Every cell a plain number or missing: one strict Arrow cast (blanks, grouping, currency signs and
    words fail it, and _coerce_number's own reading runs). Arrow and pandas agree to the bit (fast_float)."""
    arr = _arrow_text(s)
    if arr is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        parsed = pc.cast(arr, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    values = parsed.to_numpy(zero_copy_only=False) + 0.0  # missing -> NaN; "+ 0.0" reads "-0" as 0.0, as pandas does
    if int(np.isnan(values).sum()) != parsed.null_count:
        return None  # "nan" written out: the reading below decides what it is
    return pd.Series(values, index=s.index), np.zeros(len(values), dtype=bool), np.isinf(values)


def _bools_by_spelling(s: pd.Series, read: Any) -> tuple[pd.Series, np.ndarray] | None:
    """``read`` (the existing reading) applied once per distinct spelling, then gathered to the rows."""
    arr = _arrow_text(s)
    if arr is None or not len(arr):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(arr)
    enc = enc.combine_chunks() if isinstance(enc, pa.ChunkedArray) else enc
    if len(enc.dictionary) > 64:
        return None
    flags, bad_d = read(pd.Series(enc.dictionary.to_pylist(), dtype=TEXT))
    flags = flags.to_numpy(dtype=object)
    idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype("int64")  # -1: a missing cell
    known = np.append(pd.notna(flags), False)[idx]  # index -1 reads the appended "missing" slot
    truth = np.append(np.where(pd.notna(flags), flags, False).astype(bool), False)[idx]
    bad = np.append(np.asarray(bad_d, dtype=bool), False)[idx]
    if known.all():
        return pd.Series(truth, index=s.index), bad
    out = np.full(len(idx), np.nan, dtype=object)
    out[known] = truth[known].tolist()
    return pd.Series(out, index=s.index), bad


def _iso_column(s: pd.Series, tz: str, *, aware: bool, dayfirst: bool | None) -> Any:
    """Every value ISO 8601 with a UTC offset, or every value without one: one Arrow cast for the column.

    Arrow's parser is strict (no blanks, no 24:00 or 30 February, an offset exactly when the target type
    has a zone), so what it accepts pandas' ISO8601 reading gives the same; anything else fails the whole
    cast and _coerce_time's own reading runs. Values outside [1678, 2262) also go there, to be named.
    """
    arr = _arrow_text(s)
    if arr is None or not len(arr):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    for utc in (True, False):
        try:
            parsed = pc.cast(arr, pa.timestamp("ns", "UTC" if utc else None))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        ns = pc.fill_null(parsed.cast(pa.int64()), np.iinfo("int64").min).to_numpy(zero_copy_only=False)
        stamps = ns.view("datetime64[ns]")
        present = stamps[~np.isnat(stamps)]
        if len(present) and (present.min() < _DATE_LOW or present.max() >= _DATE_HIGH):
            return None
        values = _to_target(stamps, utc=utc, aware=aware, tz=tz)
        no = np.zeros(len(stamps), dtype=bool)
        issues = {"bad": no, "timezone_mixed": no, "date_out_of_range": no, "date_order_ambiguous": no, "date_order_mixed": no}
        order = {"order": dayfirst, "given": dayfirst is not None, "n_day": 0, "n_month": 0}
        return _finish(values, s.index, aware=aware, tz=tz), issues, order
    return None


def _codes(values: pd.Series, column: str) -> pd.Series:
    """Lower case, blanks and hyphens as '_', status synonyms: once per distinct value, then gathered
    (the pattern has \\s, so pandas runs it in Python, value by value)."""
    codes, uniques = pd.factorize(values)
    mapped = pd.Series(uniques, dtype=TEXT).str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    if column == "status":
        mapped = mapped.replace(_STATUS_SYNONYMS)
    return pd.Series(pd.array(mapped.to_numpy(object), dtype=TEXT).take(codes, allow_fill=True), index=values.index)
