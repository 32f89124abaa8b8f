"""The SalesData bundle: validated canonical tables, read from files or frames.

Validation happens here, once, at the boundary. Each table is coerced to its
canonical types (ids to strings, amounts to numbers, time stamps to the
bundle's time zone), checked against its pandera schema lazily (every failure
is collected), then checked against the other tables (an opportunity's
``account_id`` must be an account, ...). Failures either raise one
:class:`~salesmetrics.errors.InputValidationError` listing all of them, or,
with ``on_invalid="quarantine"``, move the offending rows, with their reasons,
to ``data.quarantine``. No row is ever dropped silently.
"""

from __future__ import annotations

import difflib
import json
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import FAILURE_COLUMNS, DataQualityWarning, InputValidationError

__all__ = ["SalesData", "conform", "read_dir"]

TABLE_NAMES = (
    "accounts",
    "reps",
    "leads",
    "opportunities",
    "stage_history",
    "subscriptions",
    "activities",
    "spend",
    "surveys",
    "targets",
    "fx_rates",
)

# The column that dates each table, for summaries.
_DATE_COLUMN = {
    "accounts": "created_at",
    "reps": "hired_at",
    "leads": "created_at",
    "opportunities": "created_at",
    "stage_history": "entered_at",
    "subscriptions": "start_date",
    "activities": "occurred_at",
    "spend": "month",
    "surveys": "responded_at",
    "targets": "period",
    "fx_rates": "date",
}

_STATUS_SYNONYMS = {"closed_won": "won", "closedwon": "won", "closed_lost": "lost", "closedlost": "lost"}

OnInvalid = Literal["raise", "quarantine"]

# ----------------------------------------------------------------------------------------------------------
# fix hints
# ----------------------------------------------------------------------------------------------------------

_FIX = {
    "empty_table": "the table has no rows; leave it out or check the export",
    "unique": "ids must be unique; remove or merge the duplicate rows (every copy is reported)",
    "allowed_values": "allowed values are {allowed}; map other spellings with conform(df, table, values={{'{column}': {{...}}}})",
    "not_negative": "amounts must be zero or more; record refunds and credits as lower amounts, not negative rows",
    "positive": "values must be greater than zero",
    "missing_value": "every row needs a {column}; fill it in or leave the row out",
    "format": "values do not have the expected format ({pattern_hint})",
    "number": "could not read these as numbers; remove text, or use '.' as the decimal separator",
    "integer": "must be a whole number (1, 3, 12, ...)",
    "boolean": "must be true/false (also accepted: yes/no, 1/0)",
    "timestamp": "could not read these as date-times; use ISO 8601 such as 2025-07-01 09:30 or 2025-07-01T09:30:00+09:00",
    "date": "could not read these as dates; use ISO 8601 such as 2025-07-01",
    "timezone_mixed": "some values carry a UTC offset and some do not; give all of them an offset, or none (they are then read in the bundle's time zone {tz!r})",
    "dtype": "values have the wrong type; pass them through conform() first",
    "closed_at_set_iff_closed": "closed_at must be set when status is won or lost, and empty when status is open",
    "closed_not_before_created": "closed_at is before created_at; check that the export's date columns are not swapped or mis-parsed",
    "end_after_start": "end_date must be after start_date (end_date is exclusive: a one-day plan ends the next day); leave it empty for an ongoing subscription",
    "terminated_not_before_hired": "terminated_at is before hired_at; check the HR export",
    "linked_to_lead_opportunity_or_account": "every activity needs a lead_id, an opportunity_id or an account_id",
    "score_in_range_for_kind": "CSAT scores are 1–5 and NPS scores 0–10; check the score and kind columns",
    "one_target_per_period_metric_scope": "keep one target per period, metric and scope; remove the duplicates",
    "one_rate_per_currency_and_date": "keep one rate per currency and date; remove the duplicates",
    "foreign_key": "these ids are not in {ref}; add the missing {ref} rows, fix the ids, or leave the cell empty",
    "missing_fx_rate": "no fx_rates for this currency; add rows (currency, date, rate to {currency}) to fx_rates",
    "unknown_scope": "scope must be 'company', a team in reps.team or a rep_id in reps",
}
_PATTERN_HINT = {
    "currency": "ISO 4217 codes such as USD, EUR, KRW",
    "period": "periods such as 2025Q3, 2025-07 or 2025",
}


def _fix(check: str, table: str, column: str, **extra: Any) -> str:
    template = _FIX.get(check, "")
    pattern_hint = _PATTERN_HINT.get(column, "")
    try:
        return template.format(table=table, column=column, pattern_hint=pattern_hint, **extra)
    except (KeyError, IndexError):
        return template


def _failures(table: str, column: str, check: str, rows: Any, values: Any, fix: str) -> pd.DataFrame:
    rows_arr = np.asarray(rows)
    return pd.DataFrame(
        {
            "table": table,
            "column": column,
            "check": check,
            "row": pd.array(rows_arr, dtype="Int64") if len(rows_arr) else pd.array([], dtype="Int64"),
            "value": pd.Series(np.asarray(values, dtype=object), dtype=object),
            "fix": fix,
        }
    )


def _empty_failures() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": pd.Series(dtype="str"),
            "column": pd.Series(dtype="str"),
            "check": pd.Series(dtype="str"),
            "row": pd.Series(dtype="Int64"),
            "value": pd.Series(dtype=object),
            "fix": pd.Series(dtype="str"),
        }
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty_failures()
    return pd.concat(frames, ignore_index=True)[FAILURE_COLUMNS]


def _normalise_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _suggest(column: str, present: list[str]) -> str | None:
    norm = {_normalise_name(c): c for c in present}
    target = _normalise_name(column)
    if target in norm:
        return norm[target]
    # "Close Date" for closed_at, "Deal ID" for opportunity_id: compare words as well as letters
    match = difflib.get_close_matches(target, list(norm), n=1, cutoff=0.6)
    return norm[match[0]] if match else None


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _format_message(failures: pd.DataFrame, *, quarantine_hint: bool = True) -> str:
    n_rows = failures.dropna(subset=["row"]).groupby("table")["row"].nunique().sum()
    groups = failures.groupby(["table", "column", "check"], sort=False, dropna=False)
    lines = [
        f"{groups.ngroups} problem(s) found in {failures['table'].nunique()} table(s)"
        + (f", {int(n_rows)} row(s) affected" if n_rows else "")
        + ":"
    ]
    for i, ((table, column, check), g) in enumerate(groups):
        if i == 25:
            lines.append(f"  ... and {groups.ngroups - 25} more; see err.failure_cases")
            break
        rows = g["row"].dropna()
        where = ""
        if len(rows):
            shown = ", ".join(str(int(r)) for r in rows.iloc[:5])
            where = f" {len(rows)} row(s) (rows {shown}{', ...' if len(rows) > 5 else ''})"
            shown_values = list(dict.fromkeys("(empty)" if _is_missing(v) else repr(str(v)) for v in g["value"]))
            where += f", e.g. {', '.join(shown_values[:3])}"
        lines.append(f"  {table}.{column} [{check}]:{where}. Fix: {g['fix'].iloc[0]}.")
    if quarantine_hint and n_rows:
        lines.append(
            "Fix the input and load it again, or pass on_invalid='quarantine' to keep the valid rows "
            "and set the others aside in data.quarantine."
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------
# coercion: canonical types, one failure per bad cell
# ----------------------------------------------------------------------------------------------------------

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
    from .schemas import DEFAULTS, LOWERCASE, column_kinds

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


# ----------------------------------------------------------------------------------------------------------
# per-table validation
# ----------------------------------------------------------------------------------------------------------

_PANDERA_CHECKS = [
    ("field_uniqueness", "unique"),
    ("isin", "allowed_values"),
    ("greater_than_or_equal_to", "not_negative"),
    ("greater_than", "positive"),
    ("str_matches", "format"),
    ("not_nullable", "missing_value"),
    ("dtype", "dtype"),
]


def _check_name(raw: str) -> str:
    for prefix, name in _PANDERA_CHECKS:
        if raw.startswith(prefix):
            return name
    return raw


def _structural_failures(table: str, df: pd.DataFrame) -> list[pd.DataFrame]:
    from .schemas import column_kinds

    failures = []
    present = [str(c) for c in df.columns]
    for column, (_kind, required) in column_kinds(table).items():
        if required and column not in df.columns:
            hint = _suggest(column, present)
            fix = (
                f"pass columns={{{hint!r}: {column!r}}} to read_dir or conform"
                if hint
                else f"add a {column!r} column, or rename yours with columns={{'<your name>': {column!r}}}; columns present: {present[:12]}"
            )
            failures.append(_failures(table, column, "missing_column", [pd.NA], [hint], fix))
    if len(df) == 0:
        failures.append(_failures(table, "*", "empty_table", [pd.NA], [None], _fix("empty_table", table, "*")))
    for f in failures:
        f["row"] = pd.array([pd.NA] * len(f), dtype="Int64")
    return failures


def _validate_table(table: str, df: pd.DataFrame, tz: str, currency: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coerce and check one table. Returns the coerced frame and its failures (rows = positions)."""
    import pandera.pandas as pa

    from .schemas import CHECK_COLUMNS, table_schema

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{table} must be a pandas DataFrame, got {type(df).__name__}.")
    structural = _structural_failures(table, df)
    if structural:
        return df, _concat(structural)
    if df.columns.duplicated().any():
        dup = [str(c) for c in df.columns[df.columns.duplicated()]]
        return df, _failures(table, dup[0], "duplicate_column", [pd.NA], [dup[0]], "rename or drop the repeated columns")
    coerced, failures = _coerce_table(table, df.reset_index(drop=True), tz, currency)
    already: dict[str, np.ndarray] = {}  # rows each column already failed in coercion
    for f in failures:
        col = str(f["column"].iloc[0])
        already[col] = np.union1d(already.get(col, np.array([], dtype="int64")), f["row"].to_numpy("int64"))
    try:
        table_schema(table, tz).validate(coerced, lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        fc = fc[fc["index"].notna()].copy()
        fc["check_name"] = fc["check"].astype(str).map(_check_name)
        fc["col"] = fc["column"].astype(object)
        table_checks = fc["check_name"].isin(list(CHECK_COLUMNS))
        fc.loc[table_checks, "col"] = fc.loc[table_checks, "check_name"].map(CHECK_COLUMNS)
        fc = fc.drop_duplicates(["check_name", "col", "index"])
        for (check, column), g in fc.groupby(["check_name", "col"], sort=False):
            idx = g["index"].astype("int64").to_numpy()
            keep = ~np.isin(idx, already.get(str(column), np.array([], dtype="int64")))
            if not keep.any():
                continue
            idx = idx[keep]
            value_col = column if column in coerced.columns else None
            values = coerced[value_col].iloc[idx] if value_col else g["failure_case"].iloc[np.flatnonzero(keep)]
            fix = _fix(check, table, column, allowed=_allowed(table, column))
            failures.append(_failures(table, column, check, idx, values, fix))
    return coerced, _concat(failures)


def _allowed(table: str, column: str) -> str:
    from .schemas import OPPORTUNITY_STATUSES, OPPORTUNITY_TYPES, SURVEY_RANGES

    allowed = {
        ("opportunities", "status"): OPPORTUNITY_STATUSES,
        ("opportunities", "type"): OPPORTUNITY_TYPES,
        ("surveys", "kind"): tuple(SURVEY_RANGES),
    }.get((table, column), ())
    return ", ".join(allowed)


def index_in(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Position of each value in ``keys`` (-1 when absent or missing): one vectorised hash look-up.

    The one place where ids are matched across tables; it uses pyarrow's hash table when it can
    (several times faster than pandas on strings).

    Examples
    --------
    >>> import pandas as pd
    >>> index_in(pd.Series(["b", None, "z", "a"]), pd.Series(["a", "b"])).tolist()
    [1, -1, -1, 0]
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is a dependency of pandas' string dtype, but be safe
        return np.asarray(pd.Index(keys).get_indexer(pd.Index(values)), dtype="int64")
    try:
        arr, key_set = pa.array(values.array), pa.array(keys.array)

        def part(piece: Any) -> np.ndarray:
            found = pc.index_in(piece, value_set=key_set)
            return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype="int64")

        if len(arr) < 4_000_000:
            return part(arr)
        from concurrent.futures import ThreadPoolExecutor

        half = len(arr) // 2  # Arrow's kernels release the GIL: two halves run on two cores
        with ThreadPoolExecutor(max_workers=2) as pool:
            return np.concatenate(list(pool.map(part, (arr.slice(0, half), arr.slice(half)))))
    except (TypeError, ValueError, NotImplementedError, pa.ArrowException):  # pragma: no cover - odd dtypes
        return np.asarray(pd.Index(keys).get_indexer(pd.Index(values)), dtype="int64")


def _column_token(series: pd.Series) -> tuple[Any, ...]:
    """What a column's data is now (length, dtype, buffer addresses), so cached look-ups go stale on change.

    Arrow arrays are immutable, so any edit to an Arrow-backed column gives new buffers; a numpy-backed
    column is identified by its data pointer.
    """
    values = series.array
    if isinstance(values.dtype, pd.ArrowDtype) or getattr(values.dtype, "storage", None) == "pyarrow":
        import pyarrow as pa

        arr = pa.array(values)
        chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
        return (len(series), str(values.dtype), *((c.offset, *(b.address if b is not None else 0 for b in c.buffers())) for c in chunks))
    data = np.asarray(values)
    return (len(series), str(values.dtype), data.__array_interface__["data"][0], data.strides)


def _reference_failures(frames: Mapping[str, pd.DataFrame], currency: str, skip: Mapping[str, set[int]],
                        positions: dict[tuple[str, str, str], np.ndarray] | None = None) -> pd.DataFrame:
    """Cross-table checks on the rows not already failed; rows are positions (``_row``).

    ``positions``, when given, receives each reference's look-up (row -> position in the referenced
    table, -1 for none), so metrics on the bundle never hash the same ids again.
    """
    from .schemas import KEYS, REFERENCES

    out = []
    for table, column, ref in REFERENCES:
        if table not in frames or ref not in frames:
            continue
        df = frames[table]
        values = df[column]
        pos = index_in(values, frames[ref][KEYS[ref]])
        if positions is not None:
            positions[(table, column, ref)] = pos
        bad = values.notna().to_numpy() & (pos < 0)
        if bad.any():
            fix = _fix("foreign_key", table, column, ref=f"{ref}.{KEYS[ref]}")
            out.append(_failures(table, column, "foreign_key", df.loc[bad, "_row"], values[bad], fix))
    for table in ("opportunities", "subscriptions"):
        if table not in frames:
            continue
        df = frames[table]
        known = {currency}
        if "fx_rates" in frames:
            known |= set(frames["fx_rates"]["currency"].dropna())
        bad = (df["currency"].notna() & ~df["currency"].isin(list(known))).to_numpy()
        if bad.any():
            out.append(
                _failures(table, "currency", "missing_fx_rate", df.loc[bad, "_row"], df.loc[bad, "currency"], _fix("missing_fx_rate", table, "currency", currency=currency))
            )
    if "targets" in frames and "reps" in frames:
        df, reps = frames["targets"], frames["reps"]
        allowed = {"company"} | set(reps["team"].dropna()) | set(reps["rep_id"].dropna())
        bad = ~df["scope"].isin(list(allowed)).to_numpy()
        if bad.any():
            out.append(_failures("targets", "scope", "unknown_scope", df.loc[bad, "_row"], df.loc[bad, "scope"], _fix("unknown_scope", "targets", "scope")))
    result = _concat(out)
    if len(result) and skip:
        seen = np.zeros(len(result), dtype=bool)
        for t, rows in skip.items():
            mine = (result["table"] == t).to_numpy()
            seen[mine] = np.isin(result.loc[mine, "row"].to_numpy("int64"), np.fromiter(rows, dtype="int64", count=len(rows)))
        result = result[~seen]
    return result.reset_index(drop=True)


def _quality_warnings(tables: Mapping[str, pd.DataFrame]) -> None:
    """Warn (DataQualityWarning) about valid but suspicious data."""
    leads = tables.get("leads")
    if leads is not None:
        checks = [("mql_at", "created_at"), ("sql_at", "created_at"), ("sql_at", "mql_at")]
        for later, earlier in checks:
            n = int((leads[later] < leads[earlier]).sum())
            if n:
                warnings.warn(
                    f"leads: {n} row(s) have {later} before {earlier}; funnel timings for them will be "
                    f"negative. Check the export, or set {later} to the later time.",
                    DataQualityWarning,
                    stacklevel=4,
                )
    opps = tables.get("opportunities")
    if opps is not None:
        n = int(((opps["status"] == "won") & opps["amount"].isna()).sum())
        if n:
            warnings.warn(
                f"opportunities: {n} won deal(s) have no amount; deal-size and bookings figures leave them out.",
                DataQualityWarning,
                stacklevel=4,
            )


# ----------------------------------------------------------------------------------------------------------
# the bundle
# ----------------------------------------------------------------------------------------------------------


class SalesData:
    """A validated bundle of canonical sales tables.

    Every table is optional; metric functions say which ones they need. Each
    given table is coerced to canonical types and checked lazily (every
    failure is collected), then references across tables are checked.

    Parameters
    ----------
    accounts, reps, leads, opportunities, stage_history, subscriptions, activities, spend, surveys, targets, fx_rates : pandas.DataFrame, optional
        Canonical tables (see DESIGN.md for columns). Extra columns pass through.
    timezone : str, default "UTC"
        The reporting time zone: naive time stamps are read in it, aware ones
        are converted to it, and periods are cut in it.
    currency : str, default "USD"
        Reporting currency; rows in other currencies need ``fx_rates``.
    fiscal_year_start : int, default 1
        Month in which the fiscal year starts.
    on_invalid : {"raise", "quarantine"}, default "raise"
        ``"raise"``: any invalid row raises InputValidationError listing all
        failures. ``"quarantine"``: invalid rows (and rows that reference them)
        move to ``quarantine``; the rest is kept. Missing required columns and
        empty tables always raise.

    Attributes
    ----------
    quarantine : dict of str to pandas.DataFrame
        Per table, the rows set aside, as given, with ``row`` (0-based
        position in the input) and ``reason``.
    failure_cases : pandas.DataFrame
        Every failure found (table, column, check, row, value, fix).

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> opps = pd.DataFrame({
    ...     "opportunity_id": ["o1", "o2", "o3"],
    ...     "created_at": ["2025-01-05", "2025-02-01", "2025-03-01"],
    ...     "status": ["won", "lost", "won"],
    ...     "closed_at": ["2025-02-10", "2025-03-01", "2025-02-01"],  # o3 closes before it opens
    ...     "amount": [1200, 800, 500],
    ... })
    >>> data = sm.SalesData(opportunities=opps, timezone="Asia/Seoul", on_invalid="quarantine")
    >>> len(data.opportunities), data.quarantine["opportunities"]["reason"].tolist()
    (2, ['closed_at: closed_not_before_created'])
    >>> str(data.opportunities["closed_at"].dtype)
    'datetime64[ns, Asia/Seoul]'
    """

    accounts: pd.DataFrame | None
    reps: pd.DataFrame | None
    leads: pd.DataFrame | None
    opportunities: pd.DataFrame | None
    stage_history: pd.DataFrame | None
    subscriptions: pd.DataFrame | None
    activities: pd.DataFrame | None
    spend: pd.DataFrame | None
    surveys: pd.DataFrame | None
    targets: pd.DataFrame | None
    fx_rates: pd.DataFrame | None

    def __init__(
        self,
        *,
        accounts: pd.DataFrame | None = None,
        reps: pd.DataFrame | None = None,
        leads: pd.DataFrame | None = None,
        opportunities: pd.DataFrame | None = None,
        stage_history: pd.DataFrame | None = None,
        subscriptions: pd.DataFrame | None = None,
        activities: pd.DataFrame | None = None,
        spend: pd.DataFrame | None = None,
        surveys: pd.DataFrame | None = None,
        targets: pd.DataFrame | None = None,
        fx_rates: pd.DataFrame | None = None,
        timezone: str = "UTC",
        currency: str = "USD",
        fiscal_year_start: int = 1,
        on_invalid: OnInvalid = "raise",
    ) -> None:
        from .periods import freq_alias

        if on_invalid not in ("raise", "quarantine"):
            raise ValueError(f"on_invalid must be 'raise' or 'quarantine', got {on_invalid!r}.")
        if not re.fullmatch(r"[A-Z]{3}", str(currency)):
            raise ValueError(f"currency must be an ISO 4217 code such as 'USD', got {currency!r}.")
        pd.Timestamp("2025-01-01").tz_localize(timezone)  # unknown zones fail here, before any work
        freq_alias("Q", fiscal_year_start)  # validates the month
        self.timezone = str(timezone)
        self.currency = str(currency)
        self.fiscal_year_start = int(fiscal_year_start)
        given = {
            "accounts": accounts,
            "reps": reps,
            "leads": leads,
            "opportunities": opportunities,
            "stage_history": stage_history,
            "subscriptions": subscriptions,
            "activities": activities,
            "spend": spend,
            "surveys": surveys,
            "targets": targets,
            "fx_rates": fx_rates,
        }
        inputs = {name: df for name, df in given.items() if df is not None}
        coerced: dict[str, pd.DataFrame] = {}
        found: list[pd.DataFrame] = []
        for name, df in inputs.items():
            frame, fails = _validate_table(name, df, self.timezone, self.currency)
            coerced[name] = frame
            found.append(fails)
        failures = _concat(found)
        structural = failures[failures["row"].isna()]
        if len(structural):
            raise InputValidationError(_format_message(failures, quarantine_hint=False), failures)

        for frame in coerced.values():
            frame["_row"] = np.arange(len(frame))
        bad: dict[str, set[int]] = {str(t): set(g["row"].astype(int)) for t, g in failures.groupby("table")}
        positions: dict[tuple[str, str, str], np.ndarray] = {}
        if on_invalid == "raise":
            failures = _concat([failures, _reference_failures(coerced, self.currency, {}, positions)])
            if len(failures):
                raise InputValidationError(_format_message(failures), failures)
        else:
            # Quarantine until stable: a row that references a quarantined row is quarantined too.
            while True:
                kept = {t: f[~f["_row"].isin(list(bad.get(t, set())))] for t, f in coerced.items()}
                positions.clear()
                more = _reference_failures(kept, self.currency, bad, positions)
                if not len(more):
                    break  # the look-ups of this last pass are on exactly the rows kept
                failures = _concat([failures, more])
                for t, g in more.groupby("table"):
                    bad.setdefault(str(t), set()).update(int(r) for r in g["row"])

        self.failure_cases = failures.sort_values(["table", "row"], kind="stable").reset_index(drop=True)
        self.quarantine: dict[str, pd.DataFrame] = {}
        for name in TABLE_NAMES:
            if name not in coerced:
                setattr(self, name, None)
                continue
            frame = coerced[name]
            rows = bad.get(name, set())
            mask = frame["_row"].isin(list(rows)).to_numpy()
            setattr(self, name, frame.loc[~mask].drop(columns="_row").reset_index(drop=True))
            if mask.any():
                self.quarantine[name] = self._quarantined(name, inputs[name], np.flatnonzero(mask))
        # id look-ups done by the reference checks, kept for the metrics (see Inputs.positions)
        self._positions: dict[tuple[str, str, str], tuple[tuple[Any, ...], np.ndarray]] = {}
        for (table, column, ref), pos in positions.items():
            self._remember(table, column, ref, pos)
        _quality_warnings({n: getattr(self, n) for n in TABLE_NAMES if getattr(self, n) is not None})

    def _remember(self, table: str, column: str, ref: str, pos: np.ndarray) -> None:
        from .schemas import KEYS

        frame, keys = getattr(self, table), getattr(self, ref)
        if frame is None or keys is None or len(pos) != len(frame):
            return
        token = (_column_token(frame[column]), _column_token(keys[KEYS[ref]]))
        small = pos.astype("int32") if len(keys) < 2**31 else pos
        self.__dict__.setdefault("_positions", {})[(table, column, ref)] = (token, small)

    def _quarantined(self, table: str, original: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
        f = self.failure_cases[self.failure_cases["table"] == table]
        reasons = (
            (f["column"].astype(str) + ": " + f["check"].astype(str))
            .groupby(f["row"].astype(int).to_numpy())
            .agg(lambda s: "; ".join(dict.fromkeys(s)))
        )
        out = original.reset_index(drop=True).iloc[rows].copy()
        out.insert(0, "row", rows)
        out["reason"] = reasons.reindex(rows).to_numpy()
        return out.reset_index(drop=True)

    # -- conveniences -------------------------------------------------------------------------------------
    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by canonical name."""
        return {n: getattr(self, n) for n in TABLE_NAMES if getattr(self, n) is not None}

    @property
    def as_of(self) -> pd.Timestamp | None:
        """Latest event time stamp (any ``*_at`` column) in the bundle; the default ``as_of``."""
        latest = [
            df[c].max()
            for df in self.tables.values()
            for c in df.columns
            if str(c).endswith("_at") and isinstance(df[c].dtype, pd.DatetimeTZDtype) and df[c].notna().any()
        ]
        return max(latest) if latest else None

    def require(self, *tables: str) -> tuple[pd.DataFrame, ...]:
        """Return the named tables, or raise a ValueError naming the ones missing.

        Examples
        --------
        >>> import salesmetrics as sm
        >>> sm.SalesData().require("opportunities")
        Traceback (most recent call last):
        ...
        ValueError: this needs the opportunities table; pass SalesData(opportunities=...) or add opportunities.csv to the data folder.
        """
        missing = [t for t in tables if getattr(self, t, None) is None]
        if missing:
            names = ", ".join(missing)
            raise ValueError(
                f"this needs the {names} table{'s' if len(missing) > 1 else ''}; pass "
                f"SalesData({missing[0]}=...) or add {missing[0]}.csv to the data folder."
            )
        return tuple(getattr(self, t) for t in tables)

    def summary(self) -> pd.DataFrame:
        """Rows per table, date range, and quarantined rows.

        Returns
        -------
        pandas.DataFrame
            Indexed by table: ``rows``, ``quarantined``, ``date_column``,
            ``first``, ``last``.

        Examples
        --------
        >>> import pandas as pd
        >>> import salesmetrics as sm
        >>> accts = pd.DataFrame({"account_id": ["a", "b"], "created_at": ["2025-01-01", "2025-03-01"]})
        >>> sm.SalesData(accounts=accts).summary()[["rows", "quarantined"]]
                  rows  quarantined
        table
        accounts     2            0
        """
        records = []
        for name, df in self.tables.items():
            column = _DATE_COLUMN[name]
            values = df[column].dropna()
            if name == "targets":
                from .periods import parse_period

                starts = [parse_period(p, fiscal_year_start=self.fiscal_year_start) for p in values.unique()]
                values = pd.Series([p.start_time for p in starts] + [p.end_time.normalize() for p in starts], dtype="datetime64[ns]")
            first = values.min() if len(values) else None
            last = values.max() if len(values) else None
            records.append(
                {
                    "table": name,
                    "rows": len(df),
                    "quarantined": len(self.quarantine.get(name, ())),
                    "date_column": column,
                    "first": str(first.date() if hasattr(first, "date") else first) if first is not None else "",
                    "last": str(last.date() if hasattr(last, "date") else last) if last is not None else "",
                }
            )
        out = pd.DataFrame.from_records(records, columns=["table", "rows", "quarantined", "date_column", "first", "last"])
        return out.set_index("table")

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}={len(df):,}" for n, df in self.tables.items())
        q = sum(len(v) for v in self.quarantine.values())
        extra = f", quarantined={q:,}" if q else ""
        return f"SalesData({parts}; timezone={self.timezone!r}, currency={self.currency!r}, fiscal_year_start={self.fiscal_year_start}{extra})"


# ----------------------------------------------------------------------------------------------------------
# reading and conforming foreign exports
# ----------------------------------------------------------------------------------------------------------


def _rename(df: pd.DataFrame, table: str, columns: Mapping[str, str] | None) -> pd.DataFrame:
    if not columns:
        return df
    missing = [c for c in columns if c not in df.columns]
    if missing:
        present = [str(c) for c in df.columns]
        fails = _concat(
            [
                _failures(table, str(c), "missing_column", [pd.NA], [_suggest(str(c), present)], f"columns= names {c!r}, which is not in the {table} table; columns present: {present[:12]}")
                for c in missing
            ]
        )
        raise InputValidationError(_format_message(fails, quarantine_hint=False), fails)
    return df.rename(columns=dict(columns))


def _map_values(df: pd.DataFrame, values: Mapping[str, Mapping[Any, Any]] | None) -> pd.DataFrame:
    if not values:
        return df
    df = df.copy()
    for column, mapping in values.items():
        if column not in df.columns:
            raise ValueError(f"values= names column {column!r}, which is not in the table; columns: {list(df.columns)[:12]}")
        df[column] = df[column].replace(dict(mapping))
    return df


def conform(
    df: pd.DataFrame,
    table: str,
    *,
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[Any, Any]] | None = None,
    timezone: str = "UTC",
    currency: str = "USD",
) -> pd.DataFrame:
    """Rename, recode and coerce a foreign export into a canonical table.

    Parameters
    ----------
    df : pandas.DataFrame
        The export as read (all columns may be strings).
    table : str
        Canonical table name, e.g. ``"opportunities"``.
    columns : mapping, optional
        ``{their column: canonical column}``.
    values : mapping, optional
        ``{canonical column: {their value: canonical value}}``, applied after
        renaming, e.g. ``{"status": {"Closed Won": "won"}}``.
    timezone, currency : str
        Time zone for naive time stamps; currency for rows without one.

    Returns
    -------
    pandas.DataFrame
        The canonical table, validated on its own (references to other
        tables are checked when it goes into a :class:`SalesData`).

    Raises
    ------
    InputValidationError
        Listing every failure, with a fix for each.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Deal": ["D-1"], "Opened": ["2025-07-01"], "Stage": ["Closed Won"],
    ...                     "Close Date": ["2025-08-15"], "Value": ["$12,000"]})
    >>> opps = conform(raw, "opportunities", columns={"Deal": "opportunity_id", "Opened": "created_at",
    ...                "Stage": "status", "Close Date": "closed_at", "Value": "amount"})
    >>> opps.loc[0, "status"], float(opps.loc[0, "amount"])
    ('won', 12000.0)
    """
    if table not in TABLE_NAMES:
        raise ValueError(f"unknown table {table!r}; canonical tables are {', '.join(TABLE_NAMES)}.")
    frame = _map_values(_rename(df, table, columns), values)
    coerced, failures = _validate_table(table, frame, timezone, currency)
    if len(failures):
        raise InputValidationError(_format_message(failures, quarantine_hint=False), failures)
    return coerced


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    try:
        import pyarrow  # noqa: F401

        return pd.read_csv(path, dtype=str, keep_default_na=True, engine="pyarrow")
    except ImportError:  # pragma: no cover - pyarrow is a dependency; the C engine is the fallback
        return pd.read_csv(path, dtype=str, keep_default_na=True)


def read_dir(
    path: str | Path,
    *,
    columns: Mapping[str, Any] | None = None,
    timezone: str | None = None,
    currency: str | None = None,
    fiscal_year_start: int | None = None,
    on_invalid: OnInvalid = "raise",
) -> SalesData:
    """Load a folder of CSV or Parquet files named after the canonical tables.

    ``opportunities.csv`` (or ``.csv.gz`` / ``.parquet``) becomes the
    opportunities table, and so on. CSV cells are read as text and coerced,
    so ids keep leading zeros. A ``bundle.json`` in the folder may set
    ``timezone``, ``currency`` and ``fiscal_year_start``; arguments win over it.

    Parameters
    ----------
    path : str or Path
    columns : mapping, optional
        Either ``{table: {their column: canonical}}`` or one flat
        ``{their column: canonical}`` applied to every table that has it.
    timezone, currency, fiscal_year_start, on_invalid
        As for :class:`SalesData` (defaults: bundle.json, else UTC, USD, 1).

    Returns
    -------
    SalesData

    Examples
    --------
    >>> import salesmetrics as sm
    >>> from salesmetrics.datasets import sample_dir
    >>> data = sm.read_dir(sample_dir())
    >>> data.currency, data.timezone
    ('USD', 'America/New_York')
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder; pass the folder that holds accounts.csv, opportunities.csv, ...")
    meta: dict[str, Any] = {}
    if (folder / "bundle.json").exists():
        meta = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    frames: dict[str, pd.DataFrame] = {}
    ignored = []
    for file in sorted(folder.iterdir()):
        if file.is_dir() or file.name.startswith(".") or file.suffix.lower() in (".json", ".md", ".txt"):
            continue  # bundle settings and documentation
        name = file.name
        for suffix in (".csv.gz", ".csv", ".parquet"):
            if name.endswith(suffix):
                stem = name[: -len(suffix)]
                break
        else:
            ignored.append(name)
            continue
        if stem not in TABLE_NAMES:
            ignored.append(name)
            continue
        if stem in frames:
            raise ValueError(f"{folder} holds more than one file for the {stem} table; keep one of them.")
        frames[stem] = _read_table(file)
    if not frames:
        raise FileNotFoundError(f"no table files in {folder}; expected files such as opportunities.csv (tables: {', '.join(TABLE_NAMES)}).")
    if ignored:
        warnings.warn(
            f"read_dir ignored {', '.join(ignored)}: not named after a canonical table ({', '.join(TABLE_NAMES)}). "
            "Rename the file, or load it with conform().",
            DataQualityWarning,
            stacklevel=2,
        )
    if columns:
        nested = all(isinstance(v, Mapping) for v in columns.values())
        for table, df in frames.items():
            mapping = columns.get(table, {}) if nested else {k: v for k, v in columns.items() if k in df.columns}
            frames[table] = _rename(df, table, mapping)
    return SalesData(
        **frames,
        timezone=timezone or meta.get("timezone", "UTC"),
        currency=currency or meta.get("currency", "USD"),
        fiscal_year_start=fiscal_year_start or int(meta.get("fiscal_year_start", 1)),
        on_invalid=on_invalid,
    )


# ----------------------------------------------------------------------------------------------------------
# what metric functions receive: a SalesData, or bare canonical frames
# ----------------------------------------------------------------------------------------------------------


class Inputs:
    """The tables and bundle settings one metric call works on (see :func:`resolve`)."""

    def __init__(self, tables: dict[str, pd.DataFrame], timezone: str, currency: str, fiscal_year_start: int,
                 as_of: pd.Timestamp | None, positions: dict[Any, Any] | None = None) -> None:
        self.tables = tables
        self.timezone = timezone
        self.currency = currency
        self.fiscal_year_start = fiscal_year_start
        self.as_of = as_of
        self._positions = {} if positions is None else positions

    def positions(self, table: str, column: str, ref: str) -> np.ndarray:
        """For each row of ``table``, the position of its ``column`` value among ``ref``'s ids (-1: none).

        On a validated SalesData the reference checks already did this look-up, so it is reused (and
        kept for later calls when computed here); it is recomputed when either column has changed since.

        Examples
        --------
        >>> import pandas as pd
        >>> inputs = Inputs({"leads": pd.DataFrame({"lead_id": ["l1", "l2"]}),
        ...                  "activities": pd.DataFrame({"lead_id": ["l2", None, "l9"]})}, "UTC", "USD", 1, None)
        >>> inputs.positions("activities", "lead_id", "leads").tolist()
        [1, -1, -1]
        """
        from .schemas import KEYS

        frame, keys = self.require(table, "positions"), self.require(ref, "positions")
        token = (_column_token(frame[column]), _column_token(keys[KEYS[ref]]))
        cached = self._positions.get((table, column, ref))
        if cached is not None and cached[0] == token:
            return np.asarray(cached[1])
        pos = index_in(frame[column], keys[KEYS[ref]])
        self._positions[(table, column, ref)] = (token, pos.astype("int32") if len(keys) < 2**31 else pos)
        return pos

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def require(self, name: str, purpose: str) -> pd.DataFrame:
        df = self.tables.get(name)
        if df is None:
            raise ValueError(f"{purpose} needs the {name} table; pass a SalesData that has it, or {name}=<DataFrame>.")
        return df

    def as_of_timestamp(self, as_of: Any = None) -> pd.Timestamp:
        """``as_of`` as an aware time stamp in the bundle's zone; ``None`` means the data's latest time stamp."""
        if as_of is None:
            if self.as_of is None:
                raise ValueError("as_of cannot be inferred from empty data; pass as_of='YYYY-MM-DD'.")
            return self.as_of
        ts = pd.Timestamp(as_of)
        return ts.tz_convert(self.timezone) if ts.tz is not None else ts.tz_localize(self.timezone)


def _is_canonical(df: pd.DataFrame, table: str) -> bool:
    from .schemas import column_kinds

    for column, (kind, _required) in column_kinds(table).items():
        if column not in df.columns:
            return False
        dtype = df[column].dtype
        ok = {
            "timestamp": isinstance(dtype, pd.DatetimeTZDtype),
            "date": pd.api.types.is_datetime64_dtype(dtype) and not isinstance(dtype, pd.DatetimeTZDtype),
            "float": pd.api.types.is_float_dtype(dtype),
            "int": pd.api.types.is_integer_dtype(dtype),
            "bool": pd.api.types.is_bool_dtype(dtype),
            "str": pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype),
        }[kind]
        if not ok:
            return False
    return True


def resolve(data: SalesData | pd.DataFrame, table: str, **others: pd.DataFrame | None) -> Inputs:
    """Tables for a metric function from a SalesData or from bare frames.

    A SalesData is used as it is (it was validated when built). A bare frame
    is used as it is when it already has canonical columns and types, and is
    otherwise passed through :func:`conform` first (so a raw export works, and
    bad input still gets a clear error). ``others`` name further tables
    (``accounts=``, ``fx_rates=``) that override or add to the bundle's.

    Examples
    --------
    >>> import pandas as pd
    >>> subs = pd.DataFrame({"subscription_id": ["s1"], "account_id": ["a"], "start_date": ["2025-01-01"], "amount": ["120"]})
    >>> inputs = resolve(subs, "subscriptions")
    >>> str(inputs.tables["subscriptions"]["start_date"].dtype), inputs.currency
    ('datetime64[ns]', 'USD')
    """
    if isinstance(data, SalesData):
        tables = dict(data.tables)
        for name, df in others.items():
            if df is not None:
                tables[name] = df if _is_canonical(df, name) else conform(df, name, timezone=data.timezone, currency=data.currency)
        return Inputs(tables, data.timezone, data.currency, data.fiscal_year_start, data.as_of,
                      data.__dict__.setdefault("_positions", {}))
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"expected a SalesData or a pandas DataFrame of {table}, got {type(data).__name__}.")
    frames = {table: data, **{k: v for k, v in others.items() if v is not None}}
    timezone = "UTC"
    for df in frames.values():
        zones = [getattr(df[c].dtype, "tz", None) for c in df.columns if isinstance(df[c].dtype, pd.DatetimeTZDtype)]
        if zones:
            timezone = str(zones[0])
            break
    currency = "USD"
    if "currency" in data.columns:
        codes = data["currency"].dropna().unique()
        if len(codes) == 1:
            currency = str(codes[0])
    tables = {name: df if _is_canonical(df, name) else conform(df, name, timezone=timezone, currency=currency) for name, df in frames.items()}
    latest = []
    for df in tables.values():
        for c in df.columns:
            if isinstance(df[c].dtype, pd.DatetimeTZDtype) and str(c).endswith("_at") and df[c].notna().any():
                latest.append(df[c].max())
            elif c in ("start_date", "end_date") and df[c].notna().any():
                latest.append(pd.Timestamp(df[c].max()).tz_localize(timezone))
    return Inputs(tables, timezone, currency, 1, max(latest) if latest else None)


MISSING_GROUP = "(missing)"
"""The group of rows whose ``by`` value is missing, so that groups always sum to the total."""


def group_labels(inputs: Inputs, frame: pd.DataFrame, by: str | None) -> pd.Series | None:
    """Labels for ``by=``: a column of ``frame``, else of accounts joined on ``account_id``; missing -> "(missing)".

    Examples
    --------
    >>> import pandas as pd
    >>> inputs = Inputs({"accounts": pd.DataFrame({"account_id": ["a"], "segment": ["SMB"]})}, "UTC", "USD", 1, None)
    >>> group_labels(inputs, pd.DataFrame({"account_id": ["a", "b"]}), "segment").tolist()
    ['SMB', '(missing)']
    """
    if by is None:
        return None
    if by in frame.columns:
        labels = frame[by]
    else:
        accounts = inputs.get("accounts")
        if accounts is None or "account_id" not in frame.columns:
            raise ValueError(f"by={by!r} is not a column of this table, and looking it up needs the accounts table; "
                             "pass a SalesData with accounts, or accounts=<DataFrame>.")
        if by not in accounts.columns:
            options = sorted(set(frame.columns) | set(accounts.columns))
            raise ValueError(f"by={by!r} is not a column of this table or of accounts; choose one of {options}.")
        lookup = accounts.drop_duplicates("account_id").set_index("account_id")[by]
        labels = pd.Series(lookup.reindex(frame["account_id"]).to_numpy(), index=frame.index)
    if pd.api.types.is_string_dtype(labels.dtype) and labels.dtype != object:
        return labels.fillna(MISSING_GROUP)  # stays a (pyarrow) string column: factorizing it is fast
    return labels.astype(object).where(labels.notna(), MISSING_GROUP)


def group_codes(labels: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes for group labels, groups sorted by name with "(missing)" last."""
    codes, uniques = pd.factorize(labels)
    order = sorted(range(len(uniques)), key=lambda i: (uniques[i] == MISSING_GROUP, str(uniques[i])))
    remap = np.empty(len(uniques), dtype="int64")
    remap[order] = np.arange(len(uniques))
    return remap[codes], pd.Index(np.asarray(uniques, dtype=object)[order])
