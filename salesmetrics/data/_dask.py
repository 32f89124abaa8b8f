"""A bundle whose large tables are Dask DataFrames: validated partition by partition, references as distributed joins.

:meth:`SalesData.from_dask <salesmetrics.SalesData.from_dask>` and :func:`salesmetrics.read_parquet` build a
:class:`DaskSalesData`. The large tables (leads, opportunities, stage_history, subscriptions, activities) stay Dask
frames; the small ones (accounts, reps, targets, fx_rates, spend, surveys) are read into a pandas :class:`SalesData`.
Validation is the pandas bundle's, run where the data is:

1. before anything is read, each frame's columns and types (its ``_meta``): a missing required column, or a column
   whose type can never be read as its kind (a date in ``amount``), fails with the pandas message;
2. one pass over the partitions, on the workers: each partition is coerced and checked against the same pandera
   schema (:func:`._checks._validate_table`) and against the small tables (owners in reps, accounts, currencies
   with rates); ids repeated across partitions are found by a distributed ``value_counts``;
3. references between large tables (an activity's lead, a stage row's deal) are distributed anti-joins: the
   referencing ids left-joined to the referenced table's kept ids, the unmatched ones counted.

Rows are numbered as in pandas: the position in the whole table (partition offsets added). With
``on_invalid="quarantine"`` the rows set aside are written, with ``row`` and ``reason``, to a Parquet folder per
table (``quarantine=<folder>``), not kept in memory; the bundle's frames drop them lazily. Needs the ``dask`` extra;
nothing outside this module and :mod:`salesmetrics.scale` imports Dask.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._api import find_stack_level
from ..errors import DataQualityWarning, InputValidationError, import_optional
from ..periods import check_timezone
from ._bundle import SalesData
from ._checks import _reference_checks, _structural_failures, _validate_table
from ._lookups import ABSENT_ATTR, SETTINGS_ATTR, infer_as_of
from ._messages import TABLE_NAMES, _concat, _failures, _fix, _format_message, quarantine_columns, reasons_by_row

__all__ = ["BIG_TABLES", "DaskSalesData", "Pieces", "check_frame", "from_dask", "is_dask", "read_parquet"]

BIG_TABLES = ("leads", "opportunities", "stage_history", "subscriptions", "activities")
"""Tables a DaskSalesData keeps as Dask frames; the others are small and read into pandas."""

# canonical kind -> numpy dtype kinds that can never be read as it (checked on the frame's meta, before any read)
_NEVER = {"float": "mM", "int": "mM", "bool": "mM", "timestamp": "bm", "date": "bm", "str": ""}
_CHECK = {"float": "number", "int": "number", "bool": "boolean", "timestamp": "timestamp", "date": "date"}
_TOP = 6  # latest values kept per date column and partition: infer_as_of looks at the top six of a column


def is_dask(obj: Any) -> bool:
    """Whether ``obj`` is a Dask DataFrame (without importing Dask when nobody has).

    Examples
    --------
    >>> import pandas as pd
    >>> is_dask(pd.DataFrame())
    False
    """
    import sys

    dask = sys.modules.get("dask")
    return dask is not None and hasattr(obj, "columns") and bool(dask.is_dask_collection(obj))


def check_frame(table: str, frame: Any) -> None:
    """Fail before any partition is read when ``frame`` lacks a required column of ``table`` or holds a column whose
    type can never be read as its kind; the messages are the pandas bundle's.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> opps = dd.from_pandas(pd.DataFrame({"opportunity_id": ["a"], "created_at": [True], "amount": [100]}), npartitions=1)
    >>> check_frame("opportunities", opps)
    Traceback (most recent call last):
    ...
    salesmetrics.errors.InputValidationError: 2 problem(s) found in 1 table(s):
      opportunities.status [missing_column]. Fix: add a 'status' column, or rename yours with columns={'<your name>': 'status'}; columns present: ['opportunity_id', 'created_at', 'amount'].
      opportunities.created_at [timestamp]. Fix: the column's type is bool, which cannot be read as timestamp: could not read these as date-times; use ISO 8601 such as 2025-07-01 09:30 or 2025-07-01T09:30:00+09:00.
    """
    from ..schemas import column_kinds

    meta = frame._meta if hasattr(frame, "_meta") else frame
    found = [f for f in _structural_failures(table, meta) if not (f["check"] == "empty_table").any()]
    for column, (kind, _required) in column_kinds(table).items():
        if column in meta.columns and meta[column].dtype.kind in _NEVER[kind]:
            check, dtype = _CHECK[kind], meta[column].dtype
            fix = f"the column's type is {dtype}, which cannot be read as {check}: {_fix(check, table, column)}"
            f = _failures(table, column, check, [pd.NA], [str(dtype)], fix)
            f["row"] = pd.array([pd.NA], dtype="Int64")
            found.append(f)
    if found:
        failures = _concat(found)
        raise InputValidationError(_format_message(failures, quarantine_hint=False), failures)


# ------------------------------------------------------------------------------------------------------------------
# the work on one partition (runs on a worker)
# ------------------------------------------------------------------------------------------------------------------

def _check_partition(part: pd.DataFrame, table: str, tz: str, currency: str, dayfirst: bool | None,
                     small: Mapping[str, pd.DataFrame] | None, strict: bool) -> dict[str, Any]:
    """One partition: its length, its failures (rows local), its references to the small tables (none checked when
    ``small`` is None: a bare frame), its latest dates."""
    if not len(part):
        return {"n": 0, "failures": _concat([]), "unresolved": [], "top": {}}
    coerced, failures = _validate_table(table, part, tz, currency, dayfirst=dayfirst)
    if small is None:
        return {"n": len(part), "failures": failures, "unresolved": [], "top": _latest(coerced)}
    frames = {table: coerced, **small}
    rows = {name: np.arange(len(f)) for name, f in frames.items()}
    more, unresolved = _reference_checks(frames, rows, currency, strict=strict)
    more = more[more["table"] == table] if len(more) else more
    found = [(u.column, u.references, np.flatnonzero(u.mask), pd.unique(coerced[u.column].to_numpy(object)[u.mask]))
             for u in unresolved if u.table == table]
    return {"n": len(part), "failures": _concat([failures, more]), "unresolved": found, "top": _latest(coerced)}


def _latest(coerced: pd.DataFrame) -> dict[str, pd.Series]:
    """Each date column's latest values (the whole table's latest six are among the partitions' latest six)."""
    return {str(c): coerced[c].dropna().nlargest(_TOP).reset_index(drop=True) for c in coerced.columns
            if pd.api.types.is_datetime64_any_dtype(coerced[c].dtype)}


def _coerced(part: pd.DataFrame, table: str, tz: str, currency: str, dayfirst: bool | None, drop: Mapping[int, np.ndarray],
             offsets: np.ndarray, row: bool, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """A partition coerced to canonical types, without the rows set aside (``drop``: local positions per partition),
    with ``_sm_row`` (the row's position in the whole table) when ``row``."""
    from ._coerce import _coerce_table

    number = int(partition_info["number"]) if partition_info else 0
    out, _ = _coerce_table(table, part.reset_index(drop=True), tz, currency, dayfirst=dayfirst)
    if row:
        out["_sm_row"] = np.arange(len(out), dtype="int64") + (int(offsets[number]) if len(offsets) > number else 0)
    gone = drop.get(number)
    if gone is not None and len(gone):
        out = out.drop(index=pd.Index(gone))
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------------------
# the bundle
# ------------------------------------------------------------------------------------------------------------------

class Pieces:
    """Makes the pandas bundle of one piece: pieces of the large tables (already coerced and checked) with the small
    tables and the settings, for :func:`salesmetrics.partial`. Small enough to send to every worker."""

    def __init__(self, small: SalesData, timezone: str, currency: str, fiscal_year_start: int, as_of: pd.Timestamp | None,
                 absent: Mapping[str, frozenset[str]], bare: bool = False) -> None:
        self.small, self.timezone, self.currency, self.fiscal_year_start = small, timezone, currency, fiscal_year_start
        self.as_of, self.absent, self.bare = as_of, dict(absent), bare

    def frames(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """The piece's tables as bare frames that carry the settings (as a frame derived from a bundle does): for a
        metric given bare frames, whose pandas path checks no reference across tables."""
        out = {}
        for name, frame in tables.items():
            frame = frame.drop(columns=[c for c in frame.columns if str(c).startswith("_sm_")]).reset_index(drop=True)
            frame.attrs[ABSENT_ATTR] = tuple(sorted(self.absent.get(name, ())))
            frame.attrs[SETTINGS_ATTR] = {"timezone": self.timezone, "currency": self.currency,
                                          "fiscal_year_start": self.fiscal_year_start, "as_of": self.as_of}
            out[name] = frame
        return out

    def bundle(self, tables: Mapping[str, pd.DataFrame]) -> SalesData:
        """The piece as a SalesData. Warnings the whole bundle already gave (unresolved references, quality) are not
        repeated per piece."""
        given = {}
        for name, frame in tables.items():
            frame = frame.drop(columns=[c for c in frame.columns if str(c).startswith("_sm_")])
            frame.attrs[ABSENT_ATTR] = tuple(sorted(self.absent.get(name, ())))
            given[name] = frame
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            return SalesData(**given, **self.small.tables, timezone=self.timezone, currency=self.currency,  # type: ignore[arg-type]
                             fiscal_year_start=self.fiscal_year_start, as_of=self.as_of)


class DaskSalesData:
    """A bundle of canonical tables whose large ones are Dask DataFrames, validated partition by partition.

    Built by :meth:`SalesData.from_dask` or :func:`salesmetrics.read_parquet`, not directly. The metrics that split
    into partials (:func:`salesmetrics.partial`) take it as they take a :class:`SalesData`, and return pandas.

    Attributes
    ----------
    opportunities, leads, subscriptions, activities, stage_history : dask.dataframe.DataFrame or None
        The large tables, coerced to canonical types, rows set aside left out (computed lazily, partition by
        partition).
    small : SalesData
        The small tables (accounts, reps, targets, fx_rates, spend, surveys), validated in pandas.
    failure_cases : pandas.DataFrame
        Every failure found (table, column, check, row, value, fix); rows are positions in the whole table.
    unresolved : pandas.DataFrame
        References to ids the export does not hold (table, column, references, rows, distinct, examples).
    quarantine : dict of str to str
        Per table with rows set aside, the Parquet folder holding them (with ``row`` and ``reason``).
    rows, quarantined : dict of str to int
        Rows kept and rows set aside per large table.
    """

    def __init__(self, frames: dict[str, Any], small: SalesData, *, timezone: str, currency: str, fiscal_year_start: int,
                 as_of: pd.Timestamp | None, as_of_source: str, absent: dict[str, frozenset[str]], failure_cases: pd.DataFrame,
                 unresolved: pd.DataFrame, quarantine: dict[str, str], rows: dict[str, int], quarantined: dict[str, int],
                 bare: bool = False) -> None:
        self.frames, self.bare = frames, bare
        self.small = small
        self.timezone, self.currency, self.fiscal_year_start = timezone, currency, fiscal_year_start
        self.as_of, self.as_of_source = as_of, as_of_source
        self.absent_columns = {**small.absent_columns, **absent}
        self.failure_cases, self.unresolved, self.quarantine = failure_cases, unresolved, quarantine
        self.rows, self.quarantined = rows, quarantined

    def __getattr__(self, name: str) -> Any:
        if name in TABLE_NAMES:
            frames = self.__dict__.get("frames", {})
            return frames[name] if name in frames else getattr(self.__dict__["small"], name)
        raise AttributeError(name)

    @property
    def tables(self) -> dict[str, Any]:
        """The tables present, by canonical name: Dask frames for the large ones, pandas for the small."""
        return {**self.small.tables, **self.frames}

    def has_column(self, table: str, column: str) -> bool:
        """Whether ``table`` is present and its export had ``column`` (as :meth:`SalesData.has_column`)."""
        return table in self.tables and column not in self.absent_columns.get(table, frozenset())

    def pieces(self) -> Pieces:
        """What a worker needs to make a piece's pandas bundle (the small tables and the settings; no Dask graph)."""
        return Pieces(self.small, self.timezone, self.currency, self.fiscal_year_start, self.as_of, self.absent_columns,
                      bare=self.bare)

    def summary(self) -> pd.DataFrame:
        """Rows kept and set aside per table (the large ones counted in the validation pass).

        Returns
        -------
        pandas.DataFrame
            Indexed by table: ``rows``, ``quarantined``, ``storage`` ("dask" or "pandas").
        """
        out = self.small.summary()[["rows", "quarantined"]].copy() if self.small.tables else pd.DataFrame(columns=["rows", "quarantined"])
        out["storage"] = "pandas"
        for name in self.frames:
            out.loc[name, ["rows", "quarantined", "storage"]] = (self.rows[name], self.quarantined.get(name, 0), "dask")
        return out.reindex([t for t in TABLE_NAMES if t in out.index])

    def __repr__(self) -> str:
        parts = [f"{n}: {self.rows[n]:,} rows (dask, {self.frames[n].npartitions} partitions)" for n in self.frames]
        parts += [f"{n}: {len(f):,} rows" for n, f in self.small.tables.items()]
        return f"DaskSalesData({'; '.join(parts)}; as_of {self.as_of})"


def from_dask(*, timezone: str = "UTC", currency: str = "USD", fiscal_year_start: int = 1, on_invalid: str = "raise",
              references: str = "keep", as_of: Any = None, dayfirst: bool | None = None, quarantine: str | None = None,
              _bare: bool = False, **tables: Any) -> DaskSalesData:
    """See :meth:`SalesData.from_dask`. ``_bare``: the tables are a metric's bare frames (each checked on its own, no
    reference across tables, as the pandas path checks bare frames)."""
    dd = import_optional("dask.dataframe", "dask")
    dask = import_optional("dask", "dask")
    if on_invalid not in ("raise", "quarantine"):
        raise ValueError(f"on_invalid must be 'raise' or 'quarantine', got {on_invalid!r}.")
    if on_invalid == "quarantine" and not quarantine:
        raise ValueError("from_dask(on_invalid='quarantine') writes the rows set aside to Parquet: pass quarantine='<folder>' "
                         "(a local path or a URL such as s3://bucket/quarantine/).")
    unknown = sorted(set(tables) - set(TABLE_NAMES))
    if unknown:
        raise TypeError(f"from_dask: unknown table(s) {', '.join(unknown)}; tables are {', '.join(TABLE_NAMES)}.")
    check_timezone(timezone)
    big = {n: (t if is_dask(t) else dd.from_pandas(t, npartitions=1)) for n, t in tables.items() if t is not None and n in BIG_TABLES}
    for name, frame in big.items():  # before anything is read
        check_frame(name, frame)
    small_given = {n: (t.compute() if is_dask(t) else t) for n, t in tables.items() if t is not None and n not in BIG_TABLES}
    small = SalesData(**small_given, timezone=timezone, currency=currency, fiscal_year_start=fiscal_year_start,
                      on_invalid=on_invalid, references=references, as_of=as_of, dayfirst=dayfirst)  # type: ignore[arg-type]
    strict = references == "strict"
    refs_small = small.tables

    # 1. every partition, on the workers: coerce, schema checks, references to the small tables, latest dates;
    #    and ids repeated across partitions (a distributed value_counts of the raw ids)
    from ..schemas import KEYS

    jobs = {name: [dask.delayed(_check_partition)(p, name, timezone, currency, dayfirst, None if _bare else refs_small, strict)
                   for p in frame.to_delayed()] for name, frame in big.items()}
    repeats = {name: frame[KEYS[name]].dropna().value_counts().loc[lambda s: s > 1] for name, frame in big.items() if name in KEYS}
    (checked,) = dask.compute(jobs)
    (repeated,) = dask.compute(repeats)  # the id columns alone (Parquet reads just them)

    offsets = {name: np.concatenate([[0], np.cumsum([r["n"] for r in results])]).astype("int64") for name, results in checked.items()}
    found: list[pd.DataFrame] = []
    unresolved: list[tuple[str, str, str, int, set[Any]]] = []
    for name, results in checked.items():
        for i, r in enumerate(results):
            f = r["failures"]
            if len(f):
                f = f.copy()
                f["row"] = pd.array(f["row"].astype("Int64") + int(offsets[name][i]), dtype="Int64")
                found.append(f)
        for column, ref in {(c, r) for res in results for c, r, _, _ in res["unresolved"]}:
            hits = [(len(rows), set(values)) for res in results for c, r, rows, values in res["unresolved"] if (c, r) == (column, ref)]
            unresolved.append((name, column, ref, sum(h[0] for h in hits), set().union(*(h[1] for h in hits))))
    for name, counts in repeated.items():  # repeated across partitions: every copy is reported, as in pandas
        if len(counts):
            column = KEYS[name]
            keys = set(counts.index)
            hits = dask.compute([dask.delayed(_rows_of)(p, column, keys) for p in big[name].to_delayed()])[0]
            rows = np.concatenate([h + offsets[name][i] for i, h in enumerate(hits)]) if hits else np.array([], dtype="int64")
            values = pd.concat([big[name][column].partitions[i].compute().iloc[h] for i, h in enumerate(hits) if len(h)])
            found.append(_failures(name, column, "unique", rows, values, _fix("unique", name, column)))
    failures = _concat(found)
    if len(failures):  # one failure per (table, column, check, row): a repeat inside a partition is found twice
        failures = failures.drop_duplicates(["table", "column", "check", "row"]).reset_index(drop=True)
    if on_invalid == "raise" and len(failures):
        raise InputValidationError(_format_message(failures), failures)

    # 2. references between large tables: distributed anti-joins on the kept rows
    drop = _bad_rows(failures, offsets)
    clean = {name: frame.map_partitions(_coerced, name, timezone, currency, dayfirst, drop.get(name, {}), offsets[name], True,
                                        meta=_meta(name, frame, timezone, currency, dayfirst))
             for name, frame in big.items()}
    from ..schemas import REFERENCES

    pairs = [] if _bare else [(t, c, r) for t, c, r in REFERENCES if t in big and r in big]
    while pairs:
        lost = {}
        for table, column, ref in pairs:
            key = KEYS[ref]
            have = clean[ref][[key]].dropna().drop_duplicates().assign(_sm_hit=True)
            asked = clean[table][[column, "_sm_row"]].dropna(subset=[column])
            lost[(table, column, ref)] = asked.merge(have, how="left", left_on=column, right_on=key)
        misses = dask.compute({k: v[v["_sm_hit"].isna()][[k[1], "_sm_row"]] for k, v in lost.items()})[0]
        more = []
        for (table, column, ref), miss in misses.items():
            if not len(miss):
                continue
            if strict:
                more.append(_failures(table, column, "foreign_key", miss["_sm_row"].to_numpy("int64"), miss[column],
                                      _fix("foreign_key", table, column, ref=f"{ref}.{KEYS[ref]}")))
            else:
                unresolved.append((table, column, f"{ref}.{KEYS[ref]}", len(miss), set(pd.unique(miss[column].to_numpy(object)))))
        if not more:
            break
        added = _concat(more)
        failures = _concat([failures, added])
        if on_invalid == "raise":
            raise InputValidationError(_format_message(failures), failures)
        drop = _bad_rows(failures, offsets)
        clean = {name: frame.map_partitions(_coerced, name, timezone, currency, dayfirst, drop.get(name, {}), offsets[name], True,
                                            meta=_meta(name, frame, timezone, currency, dayfirst))
                 for name, frame in big.items()}
        unresolved = [u for u in unresolved if u[0] not in big or u[2].split(".")[0] not in big]  # found again next round

    # 3. the rows set aside: to Parquet, per table
    written: dict[str, str] = {}
    if len(failures) and quarantine:
        written = _write_quarantine(big, failures, offsets, str(quarantine), dask)
    counts = {name: int(offsets[name][-1]) for name in big}
    set_aside = {name: len(set(failures.loc[failures["table"] == name, "row"].dropna().astype("int64"))) for name in big}
    frames = {name: frame.drop(columns="_sm_row") for name, frame in clean.items()}
    absent = {name: frozenset(c for c in _kinds(name) if c not in big[name].columns) for name in big}

    from ._bundle import _unresolved_frame
    from ._checks import Unresolved

    objects = []
    for table, column, ref, n, values in unresolved:
        u = Unresolved.__new__(Unresolved)
        u.table, u.column, u.references, u.hint = table, column, ref, ""
        u.mask = np.ones(n, dtype=bool)
        u.distinct, u.examples = len(values), [str(v) for v in sorted(values, key=str)[:3]]
        objects.append(u)
    for u in objects:
        warnings.warn(u.message(), DataQualityWarning, stacklevel=find_stack_level())
    for name in big:
        if set_aside[name] > 0.05 * counts[name]:
            warnings.warn(f"quarantine set aside {set_aside[name]:,} of {counts[name]:,} {name} rows (more than 5%); figures from "
                          f"it cover only the rows kept. The rows and their reasons are in {written.get(name)}.",
                          DataQualityWarning, stacklevel=find_stack_level())

    stamp, source = (small.as_of, small.as_of_source) if as_of is not None else _as_of(checked, small, timezone)
    return DaskSalesData(frames, small, timezone=timezone, currency=currency, fiscal_year_start=int(fiscal_year_start),
                         as_of=stamp, as_of_source=source, absent=absent,
                         failure_cases=failures.sort_values(["table", "row"], kind="stable").reset_index(drop=True),
                         unresolved=_unresolved_frame(objects), quarantine=written,
                         rows={n: counts[n] - set_aside[n] for n in big}, quarantined=set_aside, bare=_bare)


def _kinds(table: str) -> dict[str, tuple[str, bool]]:
    from ..schemas import column_kinds

    return column_kinds(table)


def _rows_of(part: pd.DataFrame, column: str, keys: set[Any]) -> np.ndarray:
    """Local positions of the rows whose ``column`` is one of ``keys``."""
    return np.flatnonzero(part[column].isin(list(keys)).to_numpy())


def _meta(table: str, frame: Any, tz: str, currency: str, dayfirst: bool | None) -> pd.DataFrame:
    """The coerced partitions' columns and types, from the frame's meta (no data read)."""
    from ._coerce import _coerce_table

    out, _ = _coerce_table(table, frame._meta.reset_index(drop=True), tz, currency, dayfirst=dayfirst)
    out["_sm_row"] = np.array([], dtype="int64")
    return out


def _bad_rows(failures: pd.DataFrame, offsets: Mapping[str, np.ndarray]) -> dict[str, dict[int, np.ndarray]]:
    """Per table and partition, the local positions of the rows that failed."""
    out: dict[str, dict[int, np.ndarray]] = {}
    for name, bounds in offsets.items():
        rows = np.unique(failures.loc[failures["table"] == name, "row"].dropna().to_numpy("int64"))
        if not len(rows):
            continue
        part = np.searchsorted(bounds, rows, side="right") - 1
        out[name] = {int(p): rows[part == p] - bounds[p] for p in np.unique(part)}
    return out


def _as_of(checked: Mapping[str, list[dict[str, Any]]], small: SalesData, timezone: str) -> tuple[pd.Timestamp | None, str]:
    """The whole data's latest event, from each partition's latest values per date column and the small tables."""
    tables: dict[str, pd.DataFrame] = dict(small.tables)
    for name, results in checked.items():
        columns: dict[str, list[pd.Series]] = {}
        for r in results:
            for column, values in r["top"].items():
                columns.setdefault(column, []).append(values)
        if columns:
            tops = {c: pd.concat(v, ignore_index=True) for c, v in columns.items()}
            tables[name] = pd.DataFrame(dict(tops))
    found = infer_as_of(tables, timezone)
    for table, column, _row, value in found.outliers:
        warnings.warn(f"{table}.{column} holds {value:%Y-%m-%d}, more than a year after every other event; as_of was not moved "
                      f"there (it is {found.value:%Y-%m-%d %H:%M}, from {found.source}). Fix the date if it is a typo, or pass "
                      "as_of= to choose the reporting date.", DataQualityWarning, stacklevel=find_stack_level())
    return found.value, found.source


def _write_quarantine(big: Mapping[str, Any], failures: pd.DataFrame, offsets: Mapping[str, np.ndarray], folder: str,
                      dask: Any) -> dict[str, str]:
    """Write each table's rows set aside, as given, with their row and reason, to ``folder/<table>/part.<i>.parquet``."""
    import fsspec

    reasons_all = {name: reasons_by_row(failures[failures["table"] == name]) for name in big}
    jobs, written = [], {}
    for name, frame in big.items():
        reasons = reasons_all[name]
        if not len(reasons):
            continue
        target = f"{folder.rstrip('/')}/{name}"
        fs, path = fsspec.core.url_to_fs(target)
        fs.makedirs(path, exist_ok=True)
        bounds = offsets[name]
        rows = reasons.index.to_numpy("int64")
        part = np.searchsorted(bounds, rows, side="right") - 1
        for p in np.unique(part):
            local = rows[part == p] - bounds[p]
            jobs.append(dask.delayed(_write_part)(frame.partitions[int(p)].to_delayed()[0], local, rows[part == p],
                                                  reasons.loc[rows[part == p]].to_numpy(object), f"{target}/part.{int(p)}.parquet"))
        written[name] = target
    dask.compute(*jobs)
    return written


def _write_part(part: pd.DataFrame, local: np.ndarray, rows: np.ndarray, reasons: np.ndarray, path: str) -> int:
    out = part.reset_index(drop=True).iloc[local].copy()
    row_name, reason_name = quarantine_columns(out.columns)
    out.insert(0, row_name, rows)
    out[reason_name] = reasons
    for column in out.columns:  # as given: mixed cells (a date in a number column) written as text
        if out[column].dtype == object:
            out[column] = out[column].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    out.to_parquet(path, index=False)
    return len(out)


def read_parquet(path: str | os.PathLike[str], /, *, tables: list[str] | None = None, storage_options: dict[str, Any] | None = None,
                 **settings: Any) -> DaskSalesData:
    """A folder of Parquet tables as a :class:`DaskSalesData`: ``<table>.parquet`` or ``<table>/`` per canonical table.

    Parameters
    ----------
    path : str or path-like
        A local folder or a URL (``s3://bucket/crm/``, with the matching fsspec package installed).
    tables : list of str, optional
        The tables to read; default every canonical table found.
    storage_options : dict, optional
        Passed to fsspec (credentials, endpoint).
    **settings
        :meth:`SalesData.from_dask`'s settings: ``timezone``, ``currency``, ``fiscal_year_start``, ``on_invalid``,
        ``quarantine``, ``references``, ``as_of``, ``dayfirst``.

    Returns
    -------
    DaskSalesData

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> import salesmetrics as sm
    >>> folder = tempfile.mkdtemp()
    >>> pd.DataFrame({"opportunity_id": ["a", "b"], "created_at": ["2025-01-05", "2025-01-06"], "status": ["won", "lost"],
    ...               "closed_at": ["2025-02-01", "2025-02-03"]}).to_parquet(f"{folder}/opportunities.parquet")
    >>> data = sm.read_parquet(folder)
    >>> data.rows, str(data.as_of.date())
    ({'opportunities': 2}, '2025-02-03')
    >>> print(sm.win_rate(data)[["period", "won", "lost", "win_rate"]].to_string(index=False))
    period  won  lost  win_rate
    2025Q1    1     1       0.5
    """
    dd = import_optional("dask.dataframe", "dask")
    import fsspec

    root = os.fspath(path)
    fs, base = fsspec.core.url_to_fs(root, **(storage_options or {}))
    wanted = list(tables) if tables is not None else list(TABLE_NAMES)
    unknown = sorted(set(wanted) - set(TABLE_NAMES))
    if unknown:
        raise ValueError(f"read_parquet: unknown table(s) {', '.join(unknown)}; tables are {', '.join(TABLE_NAMES)}.")
    found: dict[str, Any] = {}
    for name in wanted:
        for candidate in (f"{name}.parquet", name):
            location = f"{base.rstrip('/')}/{candidate}"
            if fs.exists(location):
                url = f"{root.rstrip('/')}/{candidate}"
                found[name] = dd.read_parquet(url, storage_options=storage_options)
                break
        else:
            if tables is not None:
                raise FileNotFoundError(f"read_parquet: no {name}.parquet or {name}/ in {root}.")
    if not found:
        present = sorted(fs.ls(base, detail=False)) if fs.exists(base) else []
        raise FileNotFoundError(f"read_parquet: no canonical table in {root} (looked for <table>.parquet or <table>/ for "
                                f"{', '.join(TABLE_NAMES)}); it holds {', '.join(os.path.basename(p) for p in present[:20]) or 'nothing'}.")
    return from_dask(**found, **settings)

