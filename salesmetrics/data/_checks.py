"""Checks: each table against its pandera schema, then references across tables, then warnings."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import DataQualityWarning
from ._coerce import _coerce_table
from ._lookups import index_in
from ._messages import _concat, _failures, _fix, _suggest

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
    from ..schemas import column_kinds

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

    from ..schemas import CHECK_COLUMNS, table_schema

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
    from ..schemas import OPPORTUNITY_STATUSES, OPPORTUNITY_TYPES, SURVEY_RANGES

    allowed = {
        ("opportunities", "status"): OPPORTUNITY_STATUSES,
        ("opportunities", "type"): OPPORTUNITY_TYPES,
        ("surveys", "kind"): tuple(SURVEY_RANGES),
    }.get((table, column), ())
    return ", ".join(allowed)


def _reference_failures(frames: Mapping[str, pd.DataFrame], currency: str, skip: Mapping[str, set[int]],
                        positions: dict[tuple[str, str, str], np.ndarray] | None = None) -> pd.DataFrame:
    """Cross-table checks on the rows not already failed; rows are positions (``_row``).

    ``positions``, when given, receives each reference's look-up (row -> position in the referenced
    table, -1 for none), so metrics on the bundle never hash the same ids again.
    """
    from ..schemas import KEYS, REFERENCES

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
