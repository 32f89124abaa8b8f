"""Coercion to canonical types: whole columns at a time, one failure per cell that cannot be cast."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._messages import _STATUS_SYNONYMS, _failures, _fix

_OFFSET_RE = r"(?:[zZ]|[+-]\d{2}:?\d{2}|UTC|GMT)$"  # a UTC offset at the end of an ISO time stamp
_THOUSANDS_RE = r"^[-+]?[$€£₩¥]?\s?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"
_SYMBOL_RE = r"^[-+]?[$€£₩¥]\s?\d+(?:\.\d+)?$"
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


def _as_text(s: pd.Series) -> pd.Series:
    """Strings with surrounding blanks stripped; empty strings become missing."""
    if pd.api.types.is_float_dtype(s.dtype):
        finite = s.dropna()
        if len(finite) and bool(np.all(np.mod(finite.to_numpy(), 1) == 0)):
            s = s.astype("Int64")
    if not (pd.api.types.is_string_dtype(s.dtype) and s.dtype != object):
        s = s.astype("str")
    s = s.str.strip()
    return s.mask(s == "")


def _coerce_number(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("float64"), np.zeros(len(s), dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64"), np.zeros(len(s), dtype=bool)
    text = _as_text(s)
    grouped = text.str.match(_THOUSANDS_RE).fillna(False).astype(bool)
    if grouped.any():
        text = text.mask(grouped, text.str.replace(r"[,$€£₩¥\s]", "", regex=True))
    symbol = text.str.match(_SYMBOL_RE).fillna(False).astype(bool)  # "$900.00", "₩ 1200": a currency sign, no grouping
    if symbol.any():
        text = text.mask(symbol, text.str.replace(r"[$€£₩¥\s]", "", regex=True))
    out = pd.to_numeric(text, errors="coerce").astype("float64")
    return out, np.asarray(text.notna() & out.isna())


def _coerce_bool(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
        return s.astype(bool), np.zeros(len(s), dtype=bool)
    text = _as_text(s).str.lower()
    out = pd.Series(np.nan, index=s.index, dtype=object)
    out[text.isin(_TRUE)] = True
    out[text.isin(_FALSE)] = False
    bad = np.asarray(text.notna() & out.isna())
    return out, bad


def _coerce_time(s: pd.Series, tz: str, *, aware: bool) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse to datetime64[ns, tz] (``aware``) or naive midnight dates; return values, bad and mixed masks.

    Values with a UTC offset are converted to ``tz``; values without one are read in ``tz``.
    Works on whole columns: each kind of value is parsed by one vectorised call.
    """
    n = len(s)
    no = np.zeros(n, dtype=bool)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        local = s.dt.tz_convert(tz).dt.as_unit("ns")
        return (local if aware else local.dt.tz_localize(None).dt.normalize()), no, no
    if pd.api.types.is_datetime64_dtype(s.dtype):
        naive = s.dt.as_unit("ns")
        return (_localize(naive, tz) if aware else naive.dt.normalize()), no, no
    if s.dtype == object and not s.dropna().map(lambda x: isinstance(x, str)).all():
        # Python datetimes (maybe with strings) in an object column: which ones carry a zone?
        text = s
        notna = s.notna().to_numpy()
        has_tz = s.map(lambda x: getattr(x, "tzinfo", None) is not None, na_action="ignore").fillna(False).to_numpy(bool)
    else:
        text = _as_text(s)
        notna = text.notna().to_numpy()
        has_tz = text.str.contains(_OFFSET_RE, regex=True).fillna(False).to_numpy(bool)
    naive_mask = notna & ~has_tz
    # aware target: UTC nanoseconds; date target: local wall-clock nanoseconds
    values = np.full(n, np.iinfo("int64").min, dtype="int64")
    if has_tz.any():
        parsed = _parse(text if has_tz.all() else text[has_tz], utc=True)
        if not aware:
            parsed = parsed.dt.tz_convert(tz)
        values[has_tz] = parsed.dt.tz_localize(None).to_numpy("datetime64[ns]").view("int64")
    if naive_mask.any():
        parsed = _parse(text if naive_mask.all() else text[naive_mask], utc=False)
        if aware:
            parsed = _localize(parsed, tz).dt.tz_convert("UTC").dt.tz_localize(None)
        values[naive_mask] = parsed.to_numpy("datetime64[ns]").view("int64")
    stamps = values.view("datetime64[ns]")
    if aware:
        out = pd.Series(pd.DatetimeIndex(stamps).tz_localize("UTC").tz_convert(tz), index=s.index)
    else:
        out = pd.Series(stamps, index=s.index).dt.normalize()
    bad = notna & np.isnat(stamps)
    n_aware, n_naive = int(has_tz.sum()), int(naive_mask.sum())
    mixed = no
    if n_aware and n_naive:
        mixed = has_tz if n_aware < n_naive else naive_mask
    return out, bad, mixed


def _localize(s: pd.Series, tz: str) -> pd.Series:
    """Read naive wall-clock times in ``tz``; ambiguous ones as the first (daylight) instant."""
    return s.dt.as_unit("ns").dt.tz_localize(tz, ambiguous=np.ones(len(s), dtype=bool), nonexistent="shift_forward")


def _parse(text: pd.Series, *, utc: bool) -> pd.Series:
    if not len(text):
        return pd.Series([], index=text.index, dtype="datetime64[ns, UTC]" if utc else "datetime64[ns]")
    out = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=utc)
    retry = out.isna() & text.notna()
    if retry.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed", utc=utc)
    return out.dt.as_unit("ns")


def _coerce_table(table: str, df: pd.DataFrame, tz: str, currency: str) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Cast each canonical column to its kind and fill defaults; report cells that cannot be cast."""
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
        original = out[column]
        if kind == "str":
            values = _as_text(original)
            if column in LOWERCASE.get(table, ()):
                values = values.str.lower().str.replace(r"[\s\-]+", "_", regex=True)
                if column == "status":
                    values = values.replace(_STATUS_SYNONYMS)
            bad = np.zeros(len(out), dtype=bool)
            check = "str"
        elif kind in ("float", "int"):
            values, bad = _coerce_number(original)
            check = "number"
            if kind == "int":
                fractional = np.asarray(values.notna() & (values % 1 != 0))
                bad_int = fractional & ~bad
                if bad_int.any():
                    failures.append(
                        _failures(table, column, "integer", rows[bad_int], original[bad_int], _fix("integer", table, column))
                    )
                    values = values.mask(bad_int)
        elif kind == "bool":
            values, bad = _coerce_bool(original)
            check = "boolean"
        else:
            values, bad, mixed = _coerce_time(original, tz, aware=kind == "timestamp")
            check = "timestamp" if kind == "timestamp" else "date"
            if mixed.any():
                failures.append(
                    _failures(table, column, "timezone_mixed", rows[mixed], original[mixed], _fix("timezone_mixed", table, column, tz=tz))
                )
        if bad.any():
            failures.append(_failures(table, column, check, rows[bad], original[bad], _fix(check, table, column)))
        if column in defaults:
            values = values.fillna(defaults[column])  # type: ignore[call-overload,arg-type]
        if kind == "int":
            values = values.astype("int64") if not values.isna().any() else values.astype("Int64")
        elif kind == "bool":
            values = values.astype(bool) if not values.isna().any() else values.astype("boolean")
        elif kind == "str":
            values = values.astype("str")
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
    return pd.Series(np.nan, index=range(n), dtype="str")
