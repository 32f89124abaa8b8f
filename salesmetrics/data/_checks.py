"""Checks: each table against its pandera schema, then references across tables, then warnings."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from .._api import find_stack_level
from ..errors import DataQualityWarning
from ..formatting import shorten
from ._coerce import _arrow_text, _coerce_table
from ._lookups import index_in
from ._messages import _concat, _failures, _fix, _listing, _suggest, _unicode_collisions, unicode_hint

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
            hint = _suggest(column, [c for c in present if c not in column_kinds(table)])  # not another canonical column
            fix = (
                f"pass columns={{{hint!r}: {column!r}}} to read_dir or conform"
                if hint
                else f"add a {column!r} column, or rename yours with columns={{'<your name>': {column!r}}}; columns present: {_listing(present)}"
            )
            failures.append(_failures(table, column, "missing_column", [pd.NA], [hint], fix))
    if len(df) == 0:
        failures.append(_failures(table, "*", "empty_table", [pd.NA], [None], _fix("empty_table", table, "*")))
    for f in failures:
        f["row"] = pd.array([pd.NA] * len(f), dtype="Int64")
    return failures


def _validate_table(
    table: str, df: pd.DataFrame, tz: str, currency: str, *, dayfirst: bool | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coerce and check one table. Returns the coerced frame and its failures (rows = positions).

    ``dayfirst`` fixes the order of numeric day-month dates (03/04/2025); None reads it from the values.
    """
    import pandera.pandas as pa

    from ..schemas import CHECK_COLUMNS, KEYS

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{table} must be a pandas DataFrame, got {type(df).__name__}.")
    structural = _structural_failures(table, df)
    if structural:
        return df, _concat(structural)
    if df.columns.duplicated().any():
        dup = [str(c) for c in df.columns[df.columns.duplicated()]]
        return df, _failures(table, dup[0], "duplicate_column", [pd.NA], [dup[0]], "rename or drop the repeated columns")
    coerced, failures = _coerce_table(table, df.reset_index(drop=True), tz, currency, dayfirst=dayfirst)
    if table in KEYS:
        failures.extend(_unicode_failures(table, KEYS[table], coerced))
    already: dict[str, np.ndarray] = {}  # rows each column already failed in coercion
    for f in failures:
        col = str(f["column"].iloc[0])
        already[col] = np.union1d(already.get(col, np.array([], dtype="int64")), f["row"].to_numpy("int64"))
    try:
        _schema_for(table, tz, coerced).validate(coerced, lazy=True)
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
            if table == "assignments" and check in _SPAN_CHECKS:  # name the rep and the span, as the employment check does
                values = pd.Series(_spans(coerced.iloc[idx]))
            fix = _fix(check, table, column, allowed=_allowed(table, column))
            failures.append(_failures(table, column, check, idx, values, fix))
    return coerced, _concat(failures)


def _unicode_failures(table: str, column: str, coerced: pd.DataFrame) -> list[pd.DataFrame]:
    """Ids that differ as given but are one id after NFC normalisation ("José" typed twice, NFC and NFD)."""
    rows = _unicode_collisions(coerced[column])
    if not len(rows):
        return []
    return [_failures(table, column, "unicode_normalisation", rows, coerced[column].iloc[rows], _fix("unicode_normalisation", table, column))]


def _allowed(table: str, column: str) -> str:
    from ..schemas import OPPORTUNITY_STATUSES, OPPORTUNITY_TYPES, SURVEY_RANGES

    allowed = {
        ("opportunities", "status"): OPPORTUNITY_STATUSES,
        ("opportunities", "type"): OPPORTUNITY_TYPES,
        ("surveys", "kind"): tuple(SURVEY_RANGES),
    }.get((table, column), ())
    return ", ".join(allowed)


class Unresolved:
    """References to rows the export does not hold, found by :func:`_reference_checks` (kept, not failed)."""

    __slots__ = ("column", "distinct", "examples", "hint", "mask", "references", "table")

    def __init__(self, table: str, column: str, references: str, mask: np.ndarray, values: pd.Series, hint: str) -> None:
        self.table, self.column, self.references, self.mask, self.hint = table, column, references, mask, hint
        missing = values[mask]
        uniques = pd.unique(missing.to_numpy(object))
        self.distinct = len(uniques)
        self.examples = [str(v) for v in uniques[:3]]

    @property
    def rows(self) -> int:
        return int(self.mask.sum())

    def message(self) -> str:
        shown = ", ".join(repr(shorten(v, 40)) for v in self.examples) + (", ..." if self.distinct > len(self.examples) else "")
        if self.column == "scope":
            what = "name a scope that is not 'company', a team in reps.team or a rep_id in reps"
            then = "they are kept, and scorecards match no team or rep to them"
            fix = "fix the scope, add the team or rep to reps, or pass references='strict' to refuse them"
        else:
            what = f"refer to {self.distinct:,} id(s) not in {self.references}"
            then = (f"they are kept, and grouped by an attribute of {self.references.split('.')[0]} (a team, a region) "
                    "they fall in '(unknown)'")
            fix = f"add the missing {self.references.split('.')[0]} rows, or pass references='strict' to refuse them"
        return f"{self.table}.{self.column}: {self.rows:,} row(s) {what} (e.g. {shown}); {then}. Fix: {fix}.{self.hint}"


def _unresolved_frame(found: list[Unresolved]) -> pd.DataFrame:
    """The unresolved references as a frame: table, column, references, rows, distinct, examples."""
    return pd.DataFrame(
        {
            "table": [u.table for u in found],
            "column": [u.column for u in found],
            "references": [u.references for u in found],
            "rows": pd.array([u.rows for u in found], dtype="int64"),
            "distinct": pd.array([u.distinct for u in found], dtype="int64"),
            "examples": [", ".join(u.examples) for u in found],
        }
    )


def _reference_checks(frames: Mapping[str, pd.DataFrame], rows: Mapping[str, np.ndarray], currency: str, *,
                      strict: bool, positions: dict[tuple[str, str, str], np.ndarray] | None = None,
                      set_aside: Mapping[str, pd.DataFrame] | None = None,
                      ) -> tuple[pd.DataFrame, list[Unresolved]]:
    """Cross-table checks on the rows kept so far; ``rows[table]`` maps them to input positions.

    A reference to an id the export does not hold (an owner who is not in reps, a manager who is
    not a rep, an account outside the accounts export) is *unresolved*: returned as an
    :class:`Unresolved` and kept, unless ``strict``, where it is a ``foreign_key`` failure. A
    currency without exchange rates is always a failure: no amount in it can be converted.
    ``positions``, when given, receives each reference's look-up (row -> position in the
    referenced table, -1 for none), so metrics on the bundle never hash the same ids again.
    """
    from ..schemas import KEYS, REFERENCES
    out: list[pd.DataFrame] = []
    unresolved: list[Unresolved] = []
    found = _reference_positions(frames, [(t, c, r) for t, c, r in REFERENCES if t in frames and r in frames])
    for table, column, ref in REFERENCES:
        if table not in frames or ref not in frames:
            continue
        df, keys = frames[table], frames[ref][KEYS[ref]]
        values = df[column]
        pos = found[(table, column, ref)]
        if positions is not None:
            positions[(table, column, ref)] = pos
        bad = values.notna().to_numpy() & (pos < 0)
        if not bad.any():
            continue
        if strict:
            fix = _fix("foreign_key", table, column, ref=f"{ref}.{KEYS[ref]}")
            out.append(_failures(table, column, "foreign_key", rows[table][bad], values[bad], fix))
        else:
            hint = unicode_hint(values[bad], keys)
            held = (set_aside or {}).get(ref)
            if held is not None and len(held):  # the id is in the export, on a row quarantine set aside: say so
                n = int(values[bad].drop_duplicates().isin(held[KEYS[ref]]).sum())
                if n:
                    hint = (f"{hint} " if hint else "") + (f"{n:,} of these id(s) are in the export but on {ref} rows set aside by "
                                                           f"quarantine (see quarantine['{ref}']).")
            unresolved.append(Unresolved(table, column, f"{ref}.{KEYS[ref]}", bad, values, f" {hint}" if hint else ""))
    for table in ("opportunities", "subscriptions"):
        if table not in frames:
            continue
        df = frames[table]
        known = {currency}
        if "fx_rates" in frames:
            known |= set(frames["fx_rates"]["currency"].dropna())
        bad = (df["currency"].notna() & ~df["currency"].isin(list(known))).to_numpy()
        if bad.any():
            out.append(_failures(table, "currency", "missing_fx_rate", rows[table][bad], df.loc[bad, "currency"],
                                 _fix("missing_fx_rate", table, "currency", currency=currency)))
    if "assignments" in frames and "reps" in frames:
        out.extend(_outside_employment(frames["assignments"], frames["reps"], found[("assignments", "rep_id", "reps")],
                                       rows["assignments"]))
    if "targets" in frames and "reps" in frames:
        df, reps = frames["targets"], frames["reps"]
        teams = [reps["team"]] + ([frames["assignments"]["team"]] if "assignments" in frames else [])  # a team of the past
        allowed = pd.concat([pd.Series(["company"]), *(t.dropna().astype(str) for t in teams), reps["rep_id"].dropna().astype(str)])
        bad = ~df["scope"].isin(allowed).to_numpy()
        if bad.any():
            if strict:
                out.append(_failures("targets", "scope", "unknown_scope", rows["targets"][bad], df.loc[bad, "scope"],
                                     _fix("unknown_scope", "targets", "scope")))
            else:
                unresolved.append(Unresolved("targets", "scope", "reps", bad, df["scope"], ""))
    return _concat(out), unresolved


_SPAN_CHECKS = frozenset({"assignment_ends_after_start", "one_assignment_at_a_time"})


def _day(v: Any) -> str:
    return "open" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"


def _spans(assignments: pd.DataFrame) -> list[str]:
    """Each assignment as ``"<rep> <start>–<end>"``, so an error names the rep and can be fixed without a look-up."""
    return [f"{rep} {_day(a)}–{_day(b)}" for rep, a, b in
            zip(assignments["rep_id"].to_numpy(), assignments["start_date"].to_numpy(), assignments["end_date"].to_numpy(), strict=True)]


def _outside_employment(assignments: pd.DataFrame, reps: pd.DataFrame, pos: np.ndarray, rows: np.ndarray) -> list[pd.DataFrame]:
    """Assignments that start before the rep's hire date or after the day they left, or end (exclusive) after the
    day after it. Dates are compared as calendar days in the bundle's zone; an open end for a rep who left runs
    until they left (exports rarely close it); a rep with no dates, or not in reps, is not checked."""
    found = pos >= 0
    where = np.flatnonzero(found)

    def day(column: str) -> np.ndarray:
        out = np.full(len(assignments), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
        if column in reps:
            stamps = reps[column].iloc[pos[found]]
            out[where] = stamps.dt.tz_localize(None).dt.normalize().to_numpy("datetime64[ns]")
        return out

    hired, left = day("hired_at"), day("terminated_at")
    start = assignments["start_date"].to_numpy("datetime64[ns]")
    end = assignments["end_date"].to_numpy("datetime64[ns]")
    after_end = left + np.timedelta64(1, "D")
    bad = (~np.isnat(hired) & (start < hired)) | (~np.isnat(left) & ((start >= after_end) | (~np.isnat(end) & (end > after_end))))
    if not bad.any():
        return []

    # the value names the rep and both spans, so the row can be found and fixed without a look-up
    said = [f"{span} (employed {_day(h)}–{_day(x)})" for span, h, x in
            zip(_spans(assignments[bad]), hired[bad], left[bad], strict=True)]
    return [_failures("assignments", "start_date", "assignment_outside_employment", rows[bad], said,
                      _fix("assignment_outside_employment", "assignments", "start_date"))]


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
                    stacklevel=find_stack_level(),
                )
    opps = tables.get("opportunities")
    if opps is not None:
        n = int(((opps["status"] == "won") & opps["amount"].isna()).sum())
        if n:
            warnings.warn(
                f"opportunities: {n} won deal(s) have no amount; deal-size and bookings figures leave them out.",
                DataQualityWarning,
                stacklevel=find_stack_level(),
            )
        if only_won(opps):
            warnings.warn(
                f"opportunities: all {len(opps):,} deals are won (no lost or open deal in the export), so the win rate "
                "reads 100% by construction and the close rate nearly so; export the lost and open deals too for them to mean anything.",
                DataQualityWarning,
                stacklevel=find_stack_level(),
            )


def only_won(opps: pd.DataFrame | None) -> bool:
    """Whether an opportunities table holds won deals only (20 or more): its win rate and close rate read 100% by
    construction. The one rule the load-time warning and the deck's notes share.

    Examples
    --------
    >>> only_won(pd.DataFrame({"status": ["won"] * 20})), only_won(pd.DataFrame({"status": ["won"] * 19 + ["lost"]}))
    (True, False)
    """
    return opps is not None and len(opps) >= 20 and bool((opps["status"] == "won").all())


# -- fast paths (see _validate_table and _reference_checks)

def _no_repeats(s: pd.Series) -> bool:
    """No id twice (two missing ids count as a repeat, as in pandas' duplicated)."""
    arr = _arrow_text(s)
    if arr is None:
        return bool(s.is_unique)
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if arr.null_count == 0 and len(arr) > 1 and pc.all(pc.less(arr.slice(0, len(arr) - 1), arr.slice(1))).as_py():
        return True  # exported in id order: strictly increasing ids are unique, no hashing
    return len(pc.unique(arr)) == len(arr)


@cache
def _schema_without_unique(table: str, tz: str) -> tuple[Any, tuple[str, ...]]:
    from ..schemas import table_schema

    schema = table_schema(table, tz)
    unique = tuple(name for name, col in schema.columns.items() if col.unique)
    return (schema.update_columns({n: {"unique": False} for n in unique}) if unique else schema), unique


def _schema_for(table: str, tz: str, coerced: pd.DataFrame) -> Any:
    """The table's schema without pandera's unique checks (pandas hashes every id: 0.3-0.6 s for the 2.4 M
    activity ids) when Arrow finds no repeat; the full schema, which reports every copy, when it does."""
    from ..schemas import table_schema

    schema, unique = _schema_without_unique(table, tz)
    if all(_no_repeats(coerced[c]) for c in unique if c in coerced.columns):
        return schema
    return table_schema(table, tz)


def _reference_positions(frames: Any, todo: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], np.ndarray]:
    """index_in for every reference: one look-up per referenced table (its id hash built once, not once
    per referencing column), the tables on two threads (Arrow's kernels release the GIL)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..schemas import KEYS

    groups: dict[str, list[tuple[str, str, str]]] = {}
    for item in todo:
        groups.setdefault(item[2], []).append(item)

    def one(ref: str) -> dict[tuple[str, str, str], np.ndarray]:
        items, keys = groups[ref], frames[ref][KEYS[ref]]
        key_arr = _arrow_text(keys)
        arrays = [_arrow_text(frames[t][c]) for t, c, _ in items]
        if key_arr is None or any(a is None or a.type != key_arr.type for a in arrays):
            return {x: index_in(frames[x[0]][x[1]], keys) for x in items}
        chunks = [ch for a in arrays for ch in (a.chunks if isinstance(a, pa.ChunkedArray) else [a])]
        found = pc.index_in(pa.chunked_array(chunks, type=key_arr.type), value_set=key_arr)
        pos = np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype="int64")
        bounds = np.cumsum([0] + [len(a) for a in arrays])
        return {x: pos[bounds[i]:bounds[i + 1]] for i, x in enumerate(items)}

    order = sorted(groups, key=lambda r: -sum(len(frames[t]) for t, _, _ in groups[r]))
    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(one, order))
    return {k: v for part in parts for k, v in part.items()}
