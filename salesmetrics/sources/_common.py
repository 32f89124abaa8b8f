"""What the CRM and billing readers share.

- :func:`read_source`: a source is a folder of exports (CSV, TSV, gzip or Parquet, one file per object) or a
  mapping of object names to DataFrames or lists of records (an API client's or a warehouse query's output);
  object names match whatever their spelling (``Opportunity.csv``, ``opportunity``, ``OPPORTUNITY.csv.gz``).
- :class:`Mapper`: finds a vendor's field whatever its spelling (``StageName``, ``stage_name``, ``Stage Name``
  all read as ``stagename``), drops deleted rows and counts them, collects every missing required field into
  one error, and records where each canonical column came from: ``SalesData.provenance``.
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import find_stack_level
from .._compat import flags, is_arrow_text
from ..errors import DataQualityWarning, MissingDataError

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData

NOT_AVAILABLE = "not available"
"""``provenance.source`` of a canonical column the export could not supply."""

_SUFFIXES = (".csv.gz", ".csv", ".tsv.gz", ".tsv", ".txt", ".parquet")
_DELETED = ("isdeleted", "fivetrandeleted", "airbytedeleted", "deleted", "archived", "hsarchived")
"""Flags of rows deleted in the source (Salesforce IsDeleted, Fivetran/Airbyte soft deletes, HubSpot archived)."""


def norm(name: Any) -> str:
    """A field or object name reduced to lower-case letters and digits: ``StageName``, ``stage_name`` and
    ``Stage Name`` all read ``stagename``.

    Examples
    --------
    >>> norm("StageName"), norm("stage_name"), norm("_fivetran_deleted"), norm("Close Date")
    ('stagename', 'stagename', 'fivetrandeleted', 'closedate')
    """
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _records(value: Any, name: str, vendor: str) -> pd.DataFrame:
    if isinstance(value, pd.DataFrame):
        return value
    if hasattr(value, "to_pandas") and not isinstance(value, (list, tuple, dict)):  # pyarrow / polars
        return value.to_pandas()
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping)):
        rows = [dict(r) if isinstance(r, Mapping) else r for r in value]
        if rows and not all(isinstance(r, Mapping) for r in rows):
            raise TypeError(f"{vendor}: source[{name!r}] must be a DataFrame or a list of records (dicts); got a list of "
                            f"{type(next(r for r in rows if not isinstance(r, Mapping))).__name__}.")
        return pd.DataFrame(rows)
    raise TypeError(f"{vendor}: source[{name!r}] must be a DataFrame or a list of records (dicts), not {type(value).__name__}.")


def _read_file(entry: Path, root: Path) -> pd.DataFrame:
    from ..data._reading import _read_table, _regular_file

    return _read_table(_regular_file(entry, root), shown=str(entry))[0]


def read_source(source: Any, objects: Mapping[str, tuple[str, ...]], vendor: str) -> dict[str, pd.DataFrame]:
    """The vendor objects in ``source``, by their key in ``objects``.

    Parameters
    ----------
    source : str, Path or mapping
        A folder of exports (one file per object, CSV/TSV/Parquet, optionally gzip) or a mapping of object
        names to DataFrames or lists of records.
    objects : mapping
        Object key -> the names it goes by, compared after :func:`norm` (``("opportunity", "opportunities")``).
    vendor : str
        The reader's name, for messages ("read_salesforce").

    Returns
    -------
    dict of str to pandas.DataFrame
        Only the objects found. CSV cells are text (the canonical coercion reads them).

    Examples
    --------
    >>> import pandas as pd
    >>> found = read_source({"Opportunity": pd.DataFrame({"Id": ["006A"]})}, {"opportunity": ("opportunity",)}, "read_x")
    >>> list(found), list(found["opportunity"].columns)
    (['opportunity'], ['Id'])
    """
    names = {norm(n): key for key, aliases in objects.items() for n in (key, *aliases)}
    found: dict[str, pd.DataFrame] = {}
    origin: dict[str, str] = {}
    unknown: list[str] = []
    items: list[tuple[str, Callable[[], pd.DataFrame]]] = []
    if isinstance(source, Mapping):
        items = [(str(k), functools.partial(_records, v, str(k), vendor)) for k, v in source.items()]
    else:
        folder = Path(os.fspath(source))
        if not folder.is_dir():
            raise FileNotFoundError(f"{vendor}: {folder} is not a folder; pass the folder of exports or a dict of DataFrames.")
        root = folder.resolve()
        for entry in sorted(folder.iterdir()):
            low = entry.name.lower()
            suffix = next((s for s in _SUFFIXES if low.endswith(s)), None)
            if entry.name.startswith(".") or suffix is None:
                continue
            stem = entry.name[: -len(suffix)]
            items.append((stem, functools.partial(_read_file, entry, root)))
    for name, load in items:
        key = names.get(norm(name))
        if key is None:
            unknown.append(name)
            continue
        if key in found:
            raise ValueError(f"{vendor}: {origin[key]!r} and {name!r} both hold the {key} object; keep one of them.")
        found[key], origin[key] = load(), name
    if unknown and isinstance(source, Mapping):
        warnings.warn(f"{vendor} ignored {', '.join(map(repr, unknown))}: not an object it reads "
                      f"({', '.join(objects)}).", DataQualityWarning, stacklevel=find_stack_level())
    return found


def true_flags(values: pd.Series) -> np.ndarray:
    """Where ``values`` reads as true: booleans, or true / t / yes / y / 1 in any case (read once per distinct
    spelling); missing and anything else is False.

    Examples
    --------
    >>> true_flags(pd.Series(["true", "FALSE", " Yes", None, "1"])).tolist()
    [True, False, True, False, True]
    """
    from ..data._coerce import _coerce_bool

    flag = _coerce_bool(values)[0]
    return flag.to_numpy(dtype=bool) if flag.dtype == bool else flags(flag)


def take_rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows of ``frame`` where ``keep``, index reset: Arrow-backed text with Arrow's filter (it releases the GIL,
    so columns run on a few threads), other columns with numpy; several times faster than ``frame.loc[keep]`` on
    millions of rows of text.

    Examples
    --------
    >>> import numpy as np
    >>> take_rows(pd.DataFrame({"id": ["a", "b", "c"], "n": [1, 2, 3]}), np.array([True, False, True])).to_dict("list")
    {'id': ['a', 'c'], 'n': [1, 3]}
    """
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.compute as pc

    mask = pa.array(keep)

    def one(column: Any) -> Any:
        values = frame[column]
        if is_arrow_text(values.dtype):
            return pd.array(pc.filter(pa.array(values.array), mask), dtype=values.dtype)
        return values.array[keep]

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        columns = list(pool.map(one, frame.columns))
    return pd.DataFrame(dict(zip(range(len(columns)), columns, strict=True))).set_axis(frame.columns, axis=1)


@dataclass
class Mapper:
    """Builds canonical tables from a vendor's objects and records where each column came from.

    ``take`` finds a field by any of its spellings; a required field that is missing is collected (with
    the option that can supply it) and :meth:`check` raises one error naming them all.

    Examples
    --------
    >>> import pandas as pd
    >>> m = Mapper("read_x")
    >>> deals = pd.DataFrame({"Id": ["1", "2"], "stage_name": ["Won", "Open"], "IsDeleted": ["false", "true"]})
    >>> deals = m.drop_deleted(deals, "Deal")
    >>> m.take(deals, "Deal", "opportunities", "stage", ("StageName",)).tolist(), m.dropped
    (['Won'], {'Deal': 1})
    >>> m.provenance().loc[0, ["table", "column", "source"]].tolist()
    ['opportunities', 'stage', 'Deal.stage_name']
    """

    vendor: str
    records: list[tuple[str, str, str]] = field(default_factory=list)
    missing: list[tuple[str, str, str]] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def find(frame: pd.DataFrame, *aliases: str) -> str | None:
        """The column of ``frame`` spelled like one of ``aliases`` (in their order), or None."""
        by: dict[str, Any] = {}
        for column in frame.columns:
            by.setdefault(norm(column), column)
        for alias in aliases:
            if norm(alias) in by:
                return str(by[norm(alias)])
        return None

    def take(self, frame: pd.DataFrame, obj: str, table: str, column: str, aliases: tuple[str, ...], *,
             required: bool = False, option: str = "") -> pd.Series | None:
        """The source field for ``table.column`` (recorded as ``obj.<field>``), or None (recorded "not available";
        when ``required``, collected for :meth:`check` with ``option``, the argument that can supply it)."""
        found = self.find(frame, *aliases)
        if found is None:
            if required:  # named as the API spells it, and as an export labels it where that differs
                label = next((a for a in aliases[1:] if " " in a), None)
                self.missing.append((obj, f"{aliases[0]} (\"{label}\")" if label else aliases[0], option))
            self.record(table, column, NOT_AVAILABLE)
            return None
        self.record(table, column, f"{obj}.{found}")
        return frame[found]

    def record(self, table: str, column: str, source: str) -> None:
        """Say where ``table.column`` came from (a field, a rule in words, or "not available")."""
        self.records = [r for r in self.records if r[:2] != (table, column)]
        self.records.append((table, column, source))

    def complete(self, tables: Iterable[str]) -> None:
        """Record every canonical column of ``tables`` (the reader's, read or not) that the mapping did not, as "not
        available", and order the records as the tables and their schemas are. A lead-to-deal link the export gives
        one way round (a deal's contact) is said on the other side too, not reported as missing."""
        from ..schemas import column_kinds

        tables = list(tables)
        columns = {t: list(column_kinds(t)) for t in tables}
        done = {(t, c): src for t, c, src in self.records}
        for one, other in ((("leads", "opportunity_id"), ("opportunities", "lead_id")),
                           (("opportunities", "lead_id"), ("leads", "opportunity_id"))):
            if done.get(one, NOT_AVAILABLE) == NOT_AVAILABLE and done.get(other, NOT_AVAILABLE) != NOT_AVAILABLE:
                self.record(*one, f"linked the other way: {other[0]}.{other[1]} ({done[other]})")
        done = {(t, c): src for t, c, src in self.records}
        for table in tables:
            for column in columns[table]:
                if (table, column) not in done:
                    self.record(table, column, NOT_AVAILABLE)
        order = {t: i for i, t in enumerate(tables)}
        self.records.sort(key=lambda r: (order.get(r[0], len(order)),
                                         columns[r[0]].index(r[1]) if r[0] in columns and r[1] in columns[r[0]] else 999))

    def require(self, obj: str, field_name: str, option: str = "") -> None:
        """Collect a missing required object or field for :meth:`check`."""
        self.missing.append((obj, field_name, option))

    def drop_deleted(self, frame: pd.DataFrame, obj: str) -> pd.DataFrame:
        """``frame`` without the rows its deletion flags mark (IsDeleted, _fivetran_deleted, archived), counted."""
        frame, gone = self.deleted(frame, obj)
        return take_rows(frame, ~gone) if gone.any() else frame

    def deleted(self, frame: pd.DataFrame, obj: str) -> tuple[pd.DataFrame, np.ndarray]:
        """``frame`` without its deletion flag columns, and the rows they mark (counted as dropped): for a reader that
        drops them later, in one filter with rows it leaves out for other reasons."""
        flags = [c for c in frame.columns if norm(c) in _DELETED]
        gone = np.zeros(len(frame), dtype=bool)
        for column in flags:
            gone |= true_flags(frame[column])
        if gone.any():
            self.dropped[obj] = self.dropped.get(obj, 0) + int(gone.sum())
        return (frame.drop(columns=flags) if flags else frame), gone

    def check(self) -> None:
        """Raise one MissingDataError naming every missing required object or field and what supplies it."""
        if not self.missing:
            return
        missing = list(dict.fromkeys(self.missing))
        lines = [f"  {obj}.{name}" + (f": or pass {option}" if option else "") if name else f"  {obj}" + (f": {option}" if option else "")
                 for obj, name, option in missing]
        options = any(option for _obj, _name, option in missing)
        raise MissingDataError(f"{self.vendor}: the export lacks {len(lines)} required field(s):\n" + "\n".join(lines)
                               + "\nAdd them to the export (any spelling: Created Date, CreatedDate and created_date are the same"
                               + (" field), or pass the options named." if options else " field)."))

    def provenance(self) -> pd.DataFrame:
        """Every canonical column the reader filled or could not: ``table``, ``column``, ``source``, ``disables``."""
        rows = [(t, c, s, ", ".join(disabled_by(t, c)) if s == NOT_AVAILABLE else "") for t, c, s in self.records]
        return pd.DataFrame(rows, columns=["table", "column", "source", "disables"])

    def bundle(self, tables: Mapping[str, pd.DataFrame], **settings: Any) -> SalesData:
        """The validated bundle, with ``provenance`` (and, in its attrs, the deleted rows dropped per object)."""
        from ..data import SalesData

        given: dict[str, Any] = {k: v for k, v in tables.items() if v is not None}
        data = SalesData(**given, **settings)
        report = self.provenance()
        for table in [t for t in {r[0] for r in self.records} if tables.get(t) is None]:
            report.loc[report["table"] == table, ["source", "disables"]] = [NOT_AVAILABLE, ", ".join(disabled_by(table, None))]
        for i, (table, column, source) in enumerate(report[["table", "column", "source"]].itertuples(index=False, name=None)):
            # read from a field empty in every row: as good as not available. Not for dates and links, which may
            # rightly be empty everywhere (nobody left, no lead converted yet)
            frame = given.get(table)
            if (source != NOT_AVAILABLE and not column.endswith(("_at", "_date")) and column not in _MAY_BE_EMPTY
                    and frame is not None and len(frame) and column in frame and frame[column].isna().all()):
                report.loc[i, ["source", "disables"]] = [f"{source} (empty in every row)", ", ".join(disabled_by(table, column))]
        report.attrs.update(vendor=self.vendor, dropped=dict(self.dropped))
        data.provenance = report
        if self.dropped:
            warnings.warn(f"{self.vendor} dropped rows deleted in the source: "
                          + ", ".join(f"{obj} {n:,}" for obj, n in self.dropped.items()) + " (provenance.attrs['dropped']).",
                          DataQualityWarning, stacklevel=find_stack_level())
        return data


_ALSO: dict[tuple[str, str], tuple[str, ...]] = {
    ("opportunities", "type"): ("new-business bookings and deal size (every deal counts as new business)",),
    ("opportunities", "owner_id"): ("win rate and cycle by team or rep", "rep capacity"),
    ("opportunities", "closed_at"): ("win rate", "sales cycle"),
    ("opportunities", "lead_id"): ("lead-to-deal funnel links",),
    ("leads", "opportunity_id"): ("lead-to-deal funnel links",),
    ("leads", "source"): ("lead quality by source",),
    ("leads", "owner_id"): ("unowned-lead share (market response)",),
    ("accounts", "segment"): ("declining sales and market response by segment",),
    ("activities", "lead_id"): ("first-contact SLA",),
    ("reps", "hired_at"): ("rep tenure (everyone counts as in post since the start)",),
    ("subscriptions", "end_date"): ("churn (no subscription ends)",),
    **{("stage_history", c): ("time in stage and stage-to-stage conversion (stage_durations, bottlenecks)",)
       for c in ("opportunity_id", "stage", "entered_at")},
}


_MAY_BE_EMPTY = frozenset({"lead_id", "opportunity_id", "account_id", "manager_id", "automated", "product"})


def disabled_by(table: str, column: str | None) -> list[str]:
    """What the library cannot compute without ``table.column`` (``column`` None: without the table): KPIs, the
    five signs, and a few analyses by name.

    Examples
    --------
    >>> disabled_by("reps", "terminated_at")
    ['sign: rep turnover']
    >>> disabled_by("leads", "sql_at")[:2]
    ['lead conversions (MQL to SQL)', 'their MQLs that became SQLs']
    """
    from .._signs import SIGNS
    from ..diagnostics import _NEEDS_COLUMNS, _PARTS
    from ..org import KPIS

    need = table if column is None else f"{table}.{column}"
    out = [k.label for k in KPIS.values() if need in k.needs]
    names = {s: s.replace("_", " ") for s in SIGNS}
    if column is None:
        out += [f"sign: {names[s]}" for s, (_fn, tables) in _PARTS.items() if table in tables]
    else:
        out += [f"sign: {names[s]}" for s, pairs in _NEEDS_COLUMNS.items() if (table, column) in pairs]
        out += list(_ALSO.get((table, column), ()))
    return list(dict.fromkeys(out))
