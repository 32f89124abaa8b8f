"""A bundle whose large tables are Dask DataFrames: validated partition by partition, references as distributed joins.

:meth:`SalesData.from_dask <salesmetrics.SalesData.from_dask>` and :func:`salesmetrics.read_parquet` build a
:class:`DaskSalesData`. The large tables (leads, opportunities, stage_history, subscriptions, activities) stay Dask
frames; the small ones (accounts, reps, targets, fx_rates, spend, surveys) are read into a pandas :class:`SalesData`.
Validation is the pandas bundle's, run where the data is:

1. before anything is read, each frame's columns and types (its ``_meta``): a missing required column, or a column
   whose type can never be read as its kind (a date in ``amount``), fails with the pandas message;
2. one pass over the partitions, on the workers: each partition is coerced and checked against the same pandera
   schema (:func:`._checks._validate_table`) and against the small tables (owners in reps, accounts, currencies
   with rates); ids repeated across partitions are found by shuffling the ids by id;
3. references between large tables (an activity's lead, a stage row's deal) are distributed anti-joins: the
   referencing ids left-joined to the referenced table's kept ids, the unmatched ones counted.

Rows are numbered as in pandas: the position in the whole table (partition offsets added). With
``on_invalid="quarantine"`` the rows set aside are written, with ``row`` and ``reason``, to a Parquet folder per
table (``quarantine=<folder>``), not kept in memory; the bundle's frames drop them lazily. Needs the ``dask`` extra;
nothing outside this module and :mod:`salesmetrics.scale` imports Dask.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import find_stack_level
from .._compat import TEXT
from ..errors import DataQualityWarning, InputValidationError, import_optional
from ..periods import check_timezone
from ._checks import _reference_checks, _structural_failures, _validate_table
from ._lookups import ABSENT_ATTR, SETTINGS_ATTR, infer_as_of
from ._messages import TABLE_NAMES, _concat, _failures, _fix, _format_message, quarantine_columns, reasons_by_row

__all__ = ["BIG_TABLES", "DaskSalesData", "Pieces", "check_frame", "from_dask", "is_dask"]

if TYPE_CHECKING:  # pragma: no cover
    from ._bundle import SalesData

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
    ``small`` is None: a bare frame) apart, as failures and as unresolved rows with their ids (a row that fails its own
    checks is set aside by quarantine before pandas checks its references), its latest dates."""
    if not len(part):
        return {"n": 0, "failures": _concat([]), "references": _concat([]), "unresolved": [], "top": {}, "filled": {}}
    coerced, failures = _validate_table(table, part, tz, currency, dayfirst=dayfirst)
    if small is None:
        return {"n": len(part), "failures": failures, "references": _concat([]), "unresolved": [], "top": _latest(coerced),
                "filled": _filled(part, table)}
    frames = {table: coerced, **small}
    rows = {name: np.arange(len(f)) for name, f in frames.items()}
    more, unresolved = _reference_checks(frames, rows, currency, strict=strict)
    more = more[more["table"] == table] if len(more) else more
    found = [(u.column, u.references, np.flatnonzero(u.mask), coerced[u.column].to_numpy(object)[u.mask])
             for u in unresolved if u.table == table]
    return {"n": len(part), "failures": failures, "references": more, "unresolved": found, "top": _latest(coerced),
            "filled": _filled(part, table)}


def _filled(part: pd.DataFrame, table: str) -> dict[str, bool]:
    """Whether each canonical column holds a value in this partition (an all-empty column conform filled in is absent)."""
    kinds = _kinds(table)
    return {str(c): bool(part[c].notna().any()) for c in part.columns if c in kinds}


def _latest(coerced: pd.DataFrame) -> dict[str, pd.Series]:
    """Each date column's latest values (the whole table's latest six are among the partitions' latest six)."""
    return {str(c): coerced[c].dropna().nlargest(_TOP).reset_index(drop=True) for c in coerced.columns
            if pd.api.types.is_datetime64_any_dtype(coerced[c].dtype)}


def _coerced(part: pd.DataFrame, table: str, tz: str, currency: str, dayfirst: bool | None, drop: Mapping[int, np.ndarray],
             partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """A partition coerced to canonical types, without the rows set aside (``drop``: local positions per partition)."""
    from ._coerce import _coerce_table

    number = int(partition_info["number"]) if partition_info else 0
    out, _ = _coerce_table(table, part.reset_index(drop=True), tz, currency, dayfirst=dayfirst)
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
        """The piece as a SalesData: its tables and the small ones were checked by the bundle's validation pass, so
        nothing is checked again (and no warning the whole bundle gave is repeated per piece)."""
        given = {name: frame.drop(columns=[c for c in frame.columns if str(c).startswith("_sm_")]).reset_index(drop=True)
                 for name, frame in tables.items()}
        return type(self.small)._checked({**self.small.tables, **given}, timezone=self.timezone, currency=self.currency,
                                  fiscal_year_start=self.fiscal_year_start, as_of=self.as_of, absent=self.absent)


class DaskSalesData:
    """A bundle of canonical tables whose large ones are Dask DataFrames, validated partition by partition.

    Built by :meth:`SalesData.from_dask` or :func:`salesmetrics.read_parquet`, not directly. The metrics that split
    into partials (:func:`salesmetrics.partial`) take it as they take a :class:`SalesData`, and return pandas.

    Parameters
    ----------
    frames : dict of str to dask.dataframe.DataFrame
        The large tables, coerced lazily, the rows set aside left out.
    small : SalesData
        The small tables, validated in pandas.
    timezone, currency, fiscal_year_start
        The bundle's settings.
    as_of : pandas.Timestamp or None
        Given, or the latest event found in the validation pass; ``as_of_source`` says which column set it.
    as_of_source : str
        ``"table.column"`` or ``"given"``.
    absent : dict of str to frozenset
        Per large table, the canonical columns the export did not have.
    failure_cases, unresolved : pandas.DataFrame
        What validation found (see Attributes).
    quarantine : dict of str to str
        Per table, the folder of the rows set aside.
    rows, quarantined : dict of str to int
        Rows kept and set aside per large table.
    bare : bool, default False
        The frames are a metric's bare tables (no reference across tables checked, as pandas checks bare frames).

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

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> import salesmetrics as sm
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c"], "created_at": ["2025-01-05", "2025-01-06", "2025-01-07"],
    ...                      "status": ["won", "lost", "open"], "closed_at": ["2025-02-01", "2025-02-03", None]})
    >>> data = sm.SalesData.from_dask(opportunities=dd.from_pandas(opps, npartitions=2))
    >>> data.rows, data.has_column("opportunities", "amount")
    ({'opportunities': 3}, False)
    >>> print(data.summary().reset_index().to_string(index=False))
            table  rows  quarantined storage
    opportunities     3            0    dask
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
        """Whether ``table`` is present and its export had ``column`` (as :meth:`SalesData.has_column`).

        Parameters
        ----------
        table : str
            A canonical table name.
        column : str
            A canonical column of it.

        Examples
        --------
        >>> import pandas as pd
        >>> import dask.dataframe as dd
        >>> import salesmetrics as sm
        >>> subs = pd.DataFrame({"subscription_id": ["s1"], "account_id": ["a"], "start_date": ["2025-01-01"], "amount": [10]})
        >>> data = sm.SalesData.from_dask(subscriptions=dd.from_pandas(subs, npartitions=1))
        >>> data.has_column("subscriptions", "amount"), data.has_column("subscriptions", "end_date")
        (True, False)
        """
        return table in self.tables and column not in self.absent_columns.get(table, frozenset())

    def pieces(self) -> Pieces:
        """What a worker needs to make a piece's pandas bundle (the small tables and the settings; no Dask graph).

        Examples
        --------
        >>> import pandas as pd
        >>> import dask.dataframe as dd
        >>> import salesmetrics as sm
        >>> subs = pd.DataFrame({"subscription_id": ["s1"], "account_id": ["a"], "start_date": ["2025-01-01"], "amount": [10]})
        >>> data = sm.SalesData.from_dask(subscriptions=dd.from_pandas(subs, npartitions=1), as_of="2025-03-31")
        >>> piece = data.pieces().bundle({"subscriptions": data.subscriptions.compute()})
        >>> type(piece).__name__, len(piece.subscriptions), str(piece.as_of.date())
        ('SalesData', 1, '2025-03-31')
        """
        return Pieces(self.small, self.timezone, self.currency, self.fiscal_year_start, self.as_of, self.absent_columns,
                      bare=self.bare)

    def summary(self) -> pd.DataFrame:
        """Rows kept and set aside per table (the large ones counted in the validation pass).

        Returns
        -------
        pandas.DataFrame
            Indexed by table: ``rows``, ``quarantined``, ``storage`` ("dask" or "pandas").

        Examples
        --------
        >>> import pandas as pd
        >>> import dask.dataframe as dd
        >>> import salesmetrics as sm
        >>> subs = pd.DataFrame({"subscription_id": ["s1"], "account_id": ["a"], "start_date": ["2025-01-01"], "amount": [10]})
        >>> accounts = pd.DataFrame({"account_id": ["a"]})
        >>> data = sm.SalesData.from_dask(subscriptions=dd.from_pandas(subs, npartitions=1), accounts=accounts)
        >>> print(data.summary().reset_index().to_string(index=False))
                table  rows  quarantined storage
             accounts     1            0  pandas
        subscriptions     1            0    dask
        """
        out = self.small.summary()[["rows", "quarantined"]].copy() if self.small.tables else pd.DataFrame(columns=["rows", "quarantined"])
        out["storage"] = "pandas"
        for name in self.frames:
            out.loc[name, ["rows", "quarantined", "storage"]] = (self.rows[name], self.quarantined.get(name, 0), "dask")
        out = out.reindex([t for t in TABLE_NAMES if t in out.index])
        out.index.name = "table"
        return out

    def __repr__(self) -> str:
        parts = [f"{n}: {self.rows[n]:,} rows (dask, {self.frames[n].npartitions} partitions)" for n in self.frames]
        parts += [f"{n}: {len(f):,} rows" for n, f in self.small.tables.items()]
        return f"DaskSalesData({'; '.join(parts)}; as_of {self.as_of})"


def from_dask(bundle: type[SalesData], /, *, timezone: str = "UTC", currency: str = "USD", fiscal_year_start: int = 1, on_invalid: str = "raise",
              references: str = "keep", as_of: Any = None, dayfirst: bool | None = None, quarantine: str | None = None,
              _bare: bool = False, **tables: Any) -> DaskSalesData:
    """See :meth:`SalesData.from_dask` (``bundle`` is that class: the small tables become one). ``_bare``: the tables
    are a metric's bare frames (each checked on its own, no reference across tables, as the pandas path checks bare
    frames)."""
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
    small_given = {n: (_computed(t) if is_dask(t) else t) for n, t in tables.items() if t is not None and n not in BIG_TABLES}
    small = bundle(**small_given, timezone=timezone, currency=currency, fiscal_year_start=fiscal_year_start,
                      on_invalid=on_invalid, references=references, as_of=as_of, dayfirst=dayfirst)  # type: ignore[arg-type]
    strict = references == "strict"
    refs_small = small.tables

    # 1. every partition, on the workers: coerce, schema checks, references to the small tables, latest dates;
    #    and ids repeated across partitions (the raw ids shuffled by id, each partition's repeats kept)
    from ..schemas import KEYS

    jobs = {name: [dask.delayed(_check_partition)(p, name, timezone, currency, dayfirst, None if _bare else refs_small, strict)
                   for p in frame.to_delayed()] for name, frame in big.items()}
    repeats = {name: frame[[KEYS[name]]].dropna().shuffle(on=KEYS[name])  # an id's copies meet in one partition (P2P spills)
               .map_partitions(_repeated, KEYS[name], meta=frame[[KEYS[name]]]._meta)
               for name, frame in big.items() if name in KEYS}
    (checked,) = dask.compute(jobs)
    (repeated,) = dask.compute(repeats)  # the id columns alone (Parquet reads just them)

    offsets = {name: np.concatenate([[0], np.cumsum([r["n"] for r in results])]).astype("int64") for name, results in checked.items()}
    found: list[tuple[pd.DataFrame, int]] = [(small.failure_cases, 0)]  # (failures, the round pandas finds them in)
    refs: list[pd.DataFrame] = []
    asked: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = {}  # references not found: rows (whole table), ids
    for name, results in checked.items():
        for i, r in enumerate(results):
            found += [(_moved(r["failures"], offsets[name][i]), 0)] if len(r["failures"]) else []
            refs += [_moved(r["references"], offsets[name][i])] if len(r["references"]) else []
            for column, ref, rows, values in r["unresolved"]:
                had = asked.get((name, column, ref), (np.array([], dtype="int64"), np.array([], dtype=object)))
                asked[(name, column, ref)] = (np.concatenate([had[0], rows + offsets[name][i]]), np.concatenate([had[1], values]))
    for name, counts in repeated.items():  # repeated across partitions: every copy is reported, as in pandas
        if len(counts):
            column = KEYS[name]
            (hits,) = dask.compute([dask.delayed(_rows_of)(p, column, set(counts[column])) for p in big[name].to_delayed()])
            rows = np.concatenate([h.index.to_numpy("int64") + offsets[name][i] for i, h in enumerate(hits)])
            found.append((_failures(name, column, "unique", rows, pd.concat(hits), _fix("unique", name, column)), 0))
    own = _ordered(found)
    # references to the small tables, checked per partition on every row: pandas checks them on the rows kept, so
    # under quarantine a row that failed its own checks is neither a reference failure nor unresolved
    first = _concat(refs)
    kept = on_invalid == "quarantine"
    if kept and len(first):
        first = first[~_failed(first, own)]
    found.append((first, 1))

    # 2. references between large tables: distributed anti-joins on the kept rows (all rows when the bundle raises, as
    #    pandas checks them), on the id columns alone (coerced as validation coerces them; a Parquet source reads just
    #    those columns); with quarantine and references="strict", a row referring to a row set aside goes too, round
    #    after round, as in pandas
    from ..schemas import REFERENCES

    pairs = [] if _bare else [(t, c, r) for t, c, r in REFERENCES if t in big and r in big]
    failures = _ordered(found)
    if on_invalid == "raise" and len(failures) and not (strict and pairs):
        raise InputValidationError(_format_message(failures), failures)
    drop = _bad_rows(own, offsets) if kept else {}
    step = 1
    while True:
        misses: dict[tuple[str, str, str], pd.DataFrame] = {}
        if pairs:
            lost = {}
            for table, column, ref in pairs:
                key = KEYS[ref]
                have = (big[ref][[key]].map_partitions(_ids, key, drop.get(ref, {}), offsets[ref], meta=_ids_meta(key))[[key]]
                        .drop_duplicates(split_out=big[ref].npartitions).assign(_sm_hit=True))
                wanted = big[table][[column]].map_partitions(_ids, column, drop.get(table, {}), offsets[table], meta=_ids_meta(column))
                lost[(table, column, ref)] = wanted.merge(have, how="left", left_on=column, right_on=key)
            (misses,) = dask.compute({k: v[v["_sm_hit"].isna()][[k[1], "_sm_row"]] for k, v in lost.items()})
        more = _concat([_failures(table, column, "foreign_key", miss["_sm_row"].to_numpy("int64"), miss[column],
                                  _fix("foreign_key", table, column, ref=f"{ref}.{KEYS[ref]}"))
                        for (table, column, ref), miss in misses.items() if strict and len(miss)])
        if not len(more) and (step > 1 or not len(first)):
            break
        found.append((more, step))
        failures = _ordered(found)
        if not kept:
            break
        drop, step = _bad_rows(failures, offsets), step + 1  # check again on what is kept
    if on_invalid == "raise" and len(failures):
        raise InputValidationError(_format_message(failures), failures)
    drop = _bad_rows(failures, offsets)
    clean = {name: frame.map_partitions(_coerced, name, timezone, currency, dayfirst, drop.get(name, {}),
                                        meta=_meta(name, frame, timezone, currency, dayfirst))
             for name, frame in big.items()}

    # 3. the rows set aside: to Parquet, per table
    written: dict[str, str] = {}
    if len(failures) and quarantine:
        written = _write_quarantine(big, failures, offsets, str(quarantine), dask)
    counts = {name: int(offsets[name][-1]) for name in big}
    set_aside = {name: len(set(failures.loc[failures["table"] == name, "row"].dropna().astype("int64"))) for name in big}
    frames = clean
    filled = {name: {c: any(r["filled"].get(c, False) for r in results) for c in map(str, big[name].columns)}
              for name, results in checked.items()}
    absent = {name: frozenset(c for c in _kinds(name) if c not in big[name].columns)
              | frozenset(c for c in big[name]._meta.attrs.get(ABSENT_ATTR, ()) if c in big[name].columns and not filled[name].get(c))
              for name in big}  # not exported: not in the frame, or filled in by conform and still empty (a Parquet round trip)

    from ._checks import Unresolved, _unresolved_frame

    unresolved = [(t, c, r, rows, values) for (t, c, r), (rows, values) in asked.items()]
    unresolved += [(t, c, f"{r}.{KEYS[r]}", miss["_sm_row"].to_numpy("int64"), miss[c].to_numpy(object))
                   for (t, c, r), miss in misses.items() if not strict and len(miss)]
    objects = []
    for table, column, ref, rows, values in sorted(unresolved, key=lambda u: _reference_rank(u[0], u[1])):
        keep = ~np.isin(rows, failures.loc[failures["table"] == table, "row"].dropna().to_numpy("int64"))  # on the rows kept
        if not keep.any():
            continue
        u = Unresolved.__new__(Unresolved)
        u.table, u.column, u.references, u.hint = table, column, ref, ""
        u.mask = keep[keep]
        listed = pd.unique(values[keep][np.argsort(rows[keep], kind="stable")])  # the ids in row order, as pandas lists them
        u.distinct, u.examples = len(listed), [str(v) for v in listed[:3]]
        objects.append(u)
    for u in objects:
        warnings.warn(u.message(), DataQualityWarning, stacklevel=find_stack_level())
    for name in big:
        if set_aside[name] > 0.05 * counts[name]:
            warnings.warn(f"quarantine set aside {set_aside[name]:,} of {counts[name]:,} {name} rows (more than 5%); figures from "
                          f"it cover only the rows kept. The rows and their reasons are in {written.get(name)}.",
                          DataQualityWarning, stacklevel=find_stack_level())
    both = [f for f in (small.unresolved, _unresolved_frame(objects)) if len(f)]  # the small tables' own too, in pandas' order
    unresolved_frame = pd.concat(both, ignore_index=True) if both else _unresolved_frame([])
    order = np.argsort([_reference_rank(t, c) for t, c in zip(unresolved_frame["table"], unresolved_frame["column"], strict=True)],
                       kind="stable")

    stamp, source = (small.as_of, small.as_of_source) if as_of is not None else _as_of(checked, small, timezone)
    return DaskSalesData(frames, small, timezone=timezone, currency=currency, fiscal_year_start=int(fiscal_year_start),
                         as_of=stamp, as_of_source=source, absent=absent,
                         failure_cases=failures.sort_values(["table", "row"], kind="stable").reset_index(drop=True),
                         unresolved=unresolved_frame.iloc[order].reset_index(drop=True), quarantine=written,
                         rows={n: counts[n] - set_aside[n] for n in big}, quarantined=set_aside, bare=_bare)


def _computed(frame: Any) -> pd.DataFrame:
    """A small Dask table in pandas, with the attributes its source carries (what conform filled in)."""
    out = frame.compute()
    out.attrs.update(frame._meta.attrs)
    return out


def _kinds(table: str) -> dict[str, tuple[str, bool]]:
    from ..schemas import column_kinds

    return column_kinds(table)


def _moved(failures: pd.DataFrame, offset: int) -> pd.DataFrame:
    """A partition's failures with their rows numbered in the whole table."""
    return failures.assign(row=failures["row"].astype("Int64") + int(offset))


def _repeated(part: pd.DataFrame, column: str) -> pd.DataFrame:
    """The ids a partition holds more than once (after a shuffle by id: every id's copies are in one partition)."""
    ids = part[column]
    return ids[ids.duplicated(keep=False)].drop_duplicates().to_frame()


def _rows_of(part: pd.DataFrame, column: str, keys: set[Any]) -> pd.Series:
    """The ids of ``column`` that are one of ``keys``, indexed by their local positions."""
    ids = part[column].reset_index(drop=True)
    return ids[ids.isin(list(keys)).to_numpy()]


_REFERENCE_CHECKS = ("foreign_key", "missing_fx_rate", "unknown_scope")


def _reference_rank(table: str, column: str) -> int:
    """Where pandas checks the reference of ``table.column``: in REFERENCES' order, then currencies, then scopes."""
    from ..schemas import REFERENCES

    ranks = {(t, c): i for i, (t, c, _) in enumerate(REFERENCES)}
    extra = {("opportunities", "currency"): 0, ("subscriptions", "currency"): 1, ("targets", "scope"): 2}
    return ranks.get((table, column), len(REFERENCES) + extra.get((table, column), 3))


@functools.cache
def _check_order(table: str) -> dict[tuple[str, str], int]:
    """(column, check) in the order pandas' validation of ``table`` lists them: each column's casts (in the
    column order of :func:`._coerce._coerce_table`), repeated Unicode ids, then pandera's failure cases (the table's
    checks first, then each column's: missing values, uniqueness, type, its checks)."""
    from ..schemas import CHECK_COLUMNS, KEYS, column_kinds, table_schema
    from ._checks import _check_name

    casts = ("not_finite", "amount_too_large", "integer", "timezone_mixed", "date_out_of_range", "date_order_ambiguous",
             "date_order_mixed")
    order = [(column, check) for column, (kind, _) in column_kinds(table).items() for check in (*casts, _CHECK.get(kind, "str"))]
    order += [(KEYS[table], "unicode_normalisation")] if table in KEYS else []
    schema = table_schema(table, "UTC")
    order += [(CHECK_COLUMNS.get(_check_name(c.name), ""), _check_name(c.name)) for c in schema.checks]
    order += [(str(name), check) for name, col in schema.columns.items()
              for check in ("missing_value", "unique", "dtype", *(_check_name(c.name) for c in col.checks))]
    return {key: i for i, key in enumerate(dict.fromkeys(order))}


def _ordered(found: list[tuple[pd.DataFrame, int]]) -> pd.DataFrame:
    """Failures found partition by partition, in the order the pandas bundle lists them (its message groups them in
    that order): each table's own checks (tables in canonical order, checks as its validation runs them), then the
    references round by round (in REFERENCES' order); rows ascending; one failure per (table, column, check, row)."""
    frames = [f.assign(_sm_step=step) for f, step in found if len(f)]
    if not frames:
        return _concat([])
    out = pd.concat(frames, ignore_index=True)
    keys = pd.MultiIndex.from_frame(out[["table", "column", "check"]].astype(str))
    codes, uniques = pd.factorize(keys)
    step = np.array([(1 if k in _REFERENCE_CHECKS else 0) for _, _, k in uniques])[codes]
    rank = np.array([_reference_rank(t, c) if k in _REFERENCE_CHECKS
                     else TABLE_NAMES.index(t) * 10_000 + _check_order(t).get((c, k), 9_999) if t in TABLE_NAMES else 10**9
                     for t, c, k in uniques], dtype="int64")[codes]
    out = out.assign(_sm_step=np.maximum(out["_sm_step"].to_numpy(), step), _sm_rank=rank,
                     _sm_row=out["row"].astype("Float64").fillna(-1).to_numpy("float64"))
    out = out.sort_values(["_sm_step", "_sm_rank", "_sm_row"], kind="stable")
    return _concat([out.drop_duplicates(["table", "column", "check", "row"])])


def _failed(f: pd.DataFrame, failures: pd.DataFrame) -> np.ndarray:
    """Which rows of ``f`` (table, row) are rows that already failed in ``failures``."""
    out = np.zeros(len(f), dtype=bool)
    for table in pd.unique(f["table"]):
        at = (f["table"] == table).to_numpy()
        out[at] = np.isin(f["row"].to_numpy("int64")[at], failures.loc[failures["table"] == table, "row"].dropna().to_numpy("int64"))
    return out


def _meta(table: str, frame: Any, tz: str, currency: str, dayfirst: bool | None) -> pd.DataFrame:
    """The coerced partitions' columns and types, from the frame's meta (no data read)."""
    from ._coerce import _coerce_table

    out, _ = _coerce_table(table, frame._meta.reset_index(drop=True), tz, currency, dayfirst=dayfirst)
    return out


def _ids(part: pd.DataFrame, column: str, drop: Mapping[int, np.ndarray], offsets: np.ndarray,
         partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """A partition's ids in ``column``, coerced as validation coerces ids, with their rows in the whole table; the
    rows set aside and the empty ids left out."""
    from ._coerce import _as_text, _plain_objects

    number = int(partition_info["number"]) if partition_info else 0
    ids = _as_text(_plain_objects(part[column].reset_index(drop=True))).astype(TEXT)
    out = pd.DataFrame({column: ids, "_sm_row": np.arange(len(ids), dtype="int64") + int(offsets[number])})
    gone = drop.get(number)
    if gone is not None and len(gone):
        out = out.drop(index=pd.Index(gone))
    return out[out[column].notna()].reset_index(drop=True)


def _ids_meta(column: str) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series([], dtype=TEXT), "_sm_row": np.array([], dtype="int64")})


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
