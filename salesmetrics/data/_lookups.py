"""Shared look-ups: ids matched across tables, what a metric call works on, and group labels for ``by=``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import find_stack_level
from .._compat import is_arrow_text
from .._kernels import few_text_codes, in_pieces, text_codes
from ..periods import as_timestamp

if TYPE_CHECKING:  # pragma: no cover
    from typing import TypeAlias

    import polars as pl
    import pyarrow as pa


    TableLike: TypeAlias = pd.DataFrame | pa.Table | pl.DataFrame
    """A table as the entry points accept it (see :func:`as_pandas`)."""

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
        arr = values.array._pa_array if is_arrow_text(values.dtype) else pa.array(values.array)  # no copy of Arrow text
        key_set = pa.array(keys.array)

        def part(piece: Any) -> np.ndarray:
            found = pc.index_in(piece, value_set=key_set)
            return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype="int64")

        pieces = in_pieces(arr, part)  # Arrow's kernels release the GIL: a slice per core
        return np.concatenate(pieces) if len(pieces) != 1 else pieces[0]
    except (TypeError, ValueError, NotImplementedError, pa.ArrowException):  # pragma: no cover - odd dtypes
        return np.asarray(pd.Index(keys).get_indexer(pd.Index(values)), dtype="int64")


class _ColumnToken:
    """What a column's data is now, holding it alive so that a cached look-up can tell when it changed.

    Arrow arrays are immutable: an edit to an Arrow-backed column (pandas' string dtype) swaps in new
    arrays, so the token compares their buffer addresses. A numpy-backed column is identified by its data
    pointer; pandas copies on write, so an edit moves the data. Either way the token keeps the original
    arrays referenced, so their memory (and identity) cannot be recycled by a later column: a stale
    look-up can never be mistaken for a fresh one (replacing a table twice with a shuffled copy used to
    reuse the freed address).
    """

    __slots__ = ("_held", "_key")

    def __init__(self, series: pd.Series) -> None:
        values = series.array
        if isinstance(values.dtype, pd.ArrowDtype) or getattr(values.dtype, "storage", None) == "pyarrow":
            import pyarrow as pa

            arr = pa.array(values)
            chunks = tuple(arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr])
            self._held: tuple[Any, ...] = chunks
            self._key: tuple[Any, ...] = (len(series), str(values.dtype),
                                          *((c.offset, *(b.address if b is not None else 0 for b in c.buffers())) for c in chunks))
        else:
            data = np.asarray(values)
            self._held = (data,)
            self._key = (len(series), str(values.dtype), data.__array_interface__["data"][0], data.strides)

    def __eq__(self, other: object) -> bool:
        # both tokens hold their arrays alive, so equal addresses mean the very same data
        return isinstance(other, _ColumnToken) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)


def _column_token(series: pd.Series) -> _ColumnToken:
    """A token of ``series``' data; equal tokens mean unchanged data (see :class:`_ColumnToken`)."""
    return _ColumnToken(series)


# Columns whose latest value says how far the data reaches (see :func:`infer_as_of`). Events are every
# ``*_at`` time stamp plus the dates of things that have begun; ``end_date`` and exchange-rate dates are
# often scheduled or published ahead, so they only count when nothing else dates the bundle.
_EVENT_DATES: dict[str, tuple[str, ...]] = {"subscriptions": ("start_date",), "spend": ("month",)}
_SECONDARY_DATES: dict[str, tuple[str, ...]] = {"subscriptions": ("end_date",), "fx_rates": ("date",)}
_OUTLIER_GAP = np.timedelta64(366, "D").astype("timedelta64[ns]").astype("int64")


class AsOf:
    """The bundle's default ``as_of``: when, which column set it, and the values left out as typos.

    Attributes
    ----------
    value : pandas.Timestamp or None
        The latest event, aware in the bundle's zone (None when nothing is dated).
    source : str
        ``"table.column"`` that holds it, ``"given"`` when passed, or ``""``.
    outliers : list of tuple
        ``(table, column, row, value)`` of far-future values (more than a year after every other
        event) that were not allowed to move ``as_of``.
    """

    __slots__ = ("outliers", "source", "value")

    def __init__(self, value: pd.Timestamp | None, source: str, outliers: list[tuple[str, str, int, pd.Timestamp]]) -> None:
        self.value, self.source, self.outliers = value, source, outliers


def infer_as_of(tables: dict[str, pd.DataFrame], timezone: str, *, k: int = 6) -> AsOf:
    """The latest event in any table: every ``*_at`` time stamp (not ``expected_*_at``: a date planned, such as an open
    deal's expected close), subscription starts and spend months.

    Subscription end dates and exchange-rate dates count only when no other column dates the data (a
    contract's end may be scheduled, a rate published ahead). Calendar dates are read as midnight in
    ``timezone``. A value more than a year after every other event (a 2260 typo) does not move
    ``as_of``: it is listed in ``outliers`` (at most ``k - 1`` per column), and the caller warns.
    Vectorised: a partial sort of each column, no per-row Python.

    Examples
    --------
    >>> import pandas as pd
    >>> subs = pd.DataFrame({"start_date": pd.to_datetime(["2019-01-01", "2020-01-01", "2260-01-01"]),
    ...                      "end_date": pd.to_datetime(["2020-02-01", None, None])})
    >>> found = infer_as_of({"subscriptions": subs}, "UTC")
    >>> str(found.value), found.source, [(t, c, r) for t, c, r, _ in found.outliers]
    ('2020-01-01 00:00:00+00:00', 'subscriptions.start_date', [('subscriptions', 'start_date', 2)])
    """
    def columns(kinds: dict[str, tuple[str, ...]] | None) -> list[tuple[str, str, np.ndarray]]:
        out = []
        for table, df in tables.items():
            names = ([c for c in df.columns if str(c).endswith("_at") and not str(c).startswith("expected_")  # a plan, not an event
                      and isinstance(df[c].dtype, pd.DatetimeTZDtype)]
                     if kinds is None else [c for c in kinds.get(table, ()) if c in df.columns])
            for column in names:
                series = df[column]
                if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(series.dtype):
                    # UTC instants (aware) or wall-clock (naive), no copy; NaT is the smallest int64, so it never wins
                    out.append((str(table), str(column), np.asarray(series.dt.as_unit("ns").array.asi8)))
        return out

    def top(cols: list[tuple[str, str, np.ndarray]], count: int) -> list[tuple[int, str, str, int]]:
        found: list[tuple[int, str, str, int]] = []
        for table, column, ns in cols:
            if not len(ns):
                continue
            if count == 1:
                pick = np.array([ns.argmax()])
            else:
                pick = np.argpartition(ns, len(ns) - count)[-count:] if len(ns) > count else np.arange(len(ns))
            found += [(int(ns[i]), table, column, int(i)) for i in pick if ns[i] != np.iinfo("int64").min]
        return found

    def localise(found: list[tuple[int, str, str, int]]) -> list[tuple[int, str, str, int]]:
        out = []
        for ns, table, column, row in found:  # a handful of values
            if not isinstance(tables[table][column].dtype, pd.DatetimeTZDtype):
                ns = pd.Timestamp(ns).tz_localize(timezone, ambiguous=True, nonexistent="shift_forward").value
            out.append((ns, table, column, row))
        return sorted(out, reverse=True)

    cols = columns(None) + columns(_EVENT_DATES)
    candidates = localise(top(cols, 1))  # each column's latest value: one pass over the data
    if not candidates:
        cols = columns(_SECONDARY_DATES)
        candidates = localise(top(cols, 1))
    if not candidates:
        return AsOf(None, "", [])
    if len(candidates) == 1 or candidates[0][0] - candidates[1][0] > _OUTLIER_GAP:
        candidates = localise(top(cols, k))  # a value far ahead of the rest: look closer (rare)
    outliers = []
    per_column: dict[tuple[str, str], int] = {}
    while len(candidates) > 1 and candidates[0][0] - candidates[1][0] > _OUTLIER_GAP:
        ns, table, column, row = candidates.pop(0)
        per_column[(table, column)] = per_column.get((table, column), 0) + 1
        outliers.append((table, column, row, pd.Timestamp(ns, tz="UTC").tz_convert(timezone)))
        if per_column[(table, column)] >= k - 1:
            break  # many "outliers" in one column: they are the data, not a typo
    ns, table, column, _row = candidates[0]
    return AsOf(pd.Timestamp(ns, tz="UTC").tz_convert(timezone), f"{table}.{column}", outliers)


class Inputs:
    """The tables and bundle settings one metric call works on (see :func:`resolve`)."""

    def __init__(self, tables: dict[str, pd.DataFrame], timezone: str, currency: str | Callable[[], str], fiscal_year_start: int,
                 as_of: pd.Timestamp | Callable[[], pd.Timestamp | None] | None, positions: dict[Any, Any] | None = None,
                 absent: dict[str, frozenset[str]] | None = None) -> None:
        self.tables = tables
        self.timezone = timezone
        self._currency = currency
        self.fiscal_year_start = fiscal_year_start
        self._as_of = as_of
        self._positions = {} if positions is None else positions
        self.absent = {} if absent is None else absent
        self.uniform_currency: set[str] = set()
        """Tables whose every amount is known to be in :attr:`currency` (the bare table it was read from)."""

    @property
    def currency(self) -> str:
        """The reporting currency: the bundle's; for a bare table, its one currency (else USD), found the first
        time it is asked (a metric that reports no money never scans the currency column)."""
        if callable(self._currency):
            self._currency = self._currency()
        return self._currency

    @property
    def as_of(self) -> pd.Timestamp | None:
        """The bundle's ``as_of``; for bare frames the data's latest time stamp, found the first time it is asked
        (a metric given ``as_of=`` never scans the time stamps for it)."""
        if callable(self._as_of):
            self._as_of = self._as_of()
        return self._as_of

    def has_column(self, table: str, column: str) -> bool:
        """Whether ``table`` is here and its export had ``column`` (validation fills absent optional columns).

        Examples
        --------
        >>> import pandas as pd
        >>> inputs = Inputs({"reps": pd.DataFrame({"rep_id": ["r1"], "terminated_at": [pd.NaT]})}, "UTC", "USD", 1, None,
        ...                 absent={"reps": frozenset({"terminated_at"})})
        >>> inputs.has_column("reps", "rep_id"), inputs.has_column("reps", "terminated_at")
        (True, False)
        """
        df = self.tables.get(table)
        return df is not None and column in df.columns and column not in self.absent.get(table, frozenset())

    def missing_columns(self, table: str, *columns: str) -> list[str]:
        """Which of ``columns`` the export of ``table`` did not have (all of them when the table is absent)."""
        return [c for c in columns if not self.has_column(table, c)]

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
        from ..schemas import KEYS

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
            from ..errors import MissingDataError

            raise MissingDataError(f"{purpose} needs the {name} table; pass a SalesData that has it: "
                                   f"sm.SalesData(..., {name}=<DataFrame>).")
        return df

    def as_of_timestamp(self, as_of: Any = None) -> pd.Timestamp:
        """``as_of`` as an aware time stamp in the bundle's zone; ``None`` means the data's latest time stamp."""
        if as_of is None:
            if self.as_of is None:
                raise ValueError("as_of cannot be inferred from empty data; pass as_of='YYYY-MM-DD'.")
            return self.as_of
        return as_timestamp(as_of, self.timezone)


FRAME_KINDS = "a pandas DataFrame, a pyarrow Table or a polars DataFrame"
"""What every entry point (SalesData, conform, the metric functions) accepts as a table."""


def as_pandas(df: Any, what: str) -> pd.DataFrame:
    """``df`` as a pandas DataFrame: converted once, at the boundary, when it is a pyarrow Table or a polars DataFrame.

    Anything with a ``to_pandas()`` that returns a DataFrame is accepted (pyarrow and polars both have one;
    polars' needs pyarrow, a dependency of salesmetrics). ``what`` names the argument in the error.

    Examples
    --------
    >>> import pyarrow as pa
    >>> as_pandas(pa.table({"account_id": ["a1", "a2"]}), "accounts")["account_id"].tolist()
    ['a1', 'a2']
    >>> as_pandas({"account_id": ["a1"]}, "accounts")
    Traceback (most recent call last):
    ...
    TypeError: accounts must be a pandas DataFrame, a pyarrow Table or a polars DataFrame, got dict.
    """
    if isinstance(df, pd.DataFrame):
        return df
    convert = getattr(df, "to_pandas", None)
    if callable(convert) and not isinstance(df, pd.Series):
        out = convert()
        if isinstance(out, pd.DataFrame):
            return out
    hint = " (call .collect() on a polars LazyFrame first)" if type(df).__name__ == "LazyFrame" else ""
    raise TypeError(f"{what} must be {FRAME_KINDS}, got {type(df).__name__}{hint}.")


SETTINGS_ATTR = "salesmetrics.settings"
"""Key of ``DataFrame.attrs`` where a frame derived from a bundle (e.g. :func:`~salesmetrics.lead_journeys`) keeps
the bundle's ``timezone``, ``currency``, ``fiscal_year_start`` and ``as_of``, so metrics on it cut the same periods."""


def frame_settings(frame: pd.DataFrame) -> dict[str, Any]:
    """The bundle settings a derived frame carries (empty for a plain frame)."""
    found = frame.attrs.get(SETTINGS_ATTR)
    return dict(found) if isinstance(found, dict) else {}


ABSENT_ATTR = "salesmetrics.absent"
"""Key of ``DataFrame.attrs`` where :func:`~salesmetrics.conform` lists the canonical columns it filled in."""


def _absent_in(df: pd.DataFrame, table: str) -> frozenset[str]:
    """Canonical columns of ``table`` the export did not have (validation fills them in; metrics must not trust them)."""
    from ..schemas import column_kinds

    declared = [c for c in df.attrs.get(ABSENT_ATTR, ()) if c in df.columns and df[c].isna().all()]  # filled in, still empty
    return frozenset(c for c in column_kinds(table) if c not in df.columns) | frozenset(declared)


MISSING_GROUP = "(missing)"
"""The group of rows whose ``by`` value is missing, so that groups always sum to the total."""

UNKNOWN_GROUP = "(unknown)"
"""The group of rows whose account or owner is not in the export (an unresolved reference)."""

NO_GROUP = (MISSING_GROUP, UNKNOWN_GROUP)
"""Labels that are not a real group: diagnostics never name them as a finding's scope."""

# by= reaches these tables through a reference of the row: prefix -> (column of the row, table)
_THROUGH = {"account": ("account_id", "accounts"), "owner": ("owner_id", "reps")}


def _by_source(inputs: Inputs, frame: pd.DataFrame, by: str) -> tuple[str | None, str]:
    """Where ``by`` lives: ``(None, by)`` for a column of ``frame``, else ``("account"|"owner", column)``."""
    prefix, dot, rest = by.partition(".")
    if dot and prefix in _THROUGH:
        key, table = _THROUGH[prefix]
        ref = inputs.get(table)
        if key not in frame.columns:
            raise ValueError(f"by={by!r} looks the {table} table up through {key}, which this table does not have.")
        if ref is None:
            raise ValueError(f"by={by!r} needs the {table} table; pass a SalesData that has it: "
                             f"sm.SalesData(..., {table}=<DataFrame>).")
        if rest not in ref.columns:
            raise ValueError(f"by={by!r}: {table} has no column {rest!r}; its columns are {sorted(map(str, ref.columns))}.")
        return prefix, rest
    reachable = [p for p, (key, table) in _THROUGH.items()  # a column the export did not have is not a candidate
                 if key in frame.columns and inputs.get(table) is not None and by in inputs.tables[table].columns
                 and by not in inputs.absent.get(table, frozenset())]
    if not reachable:  # only filled-in columns: still reach them, so the "empty in every row" warning can say so
        reachable = [p for p, (key, table) in _THROUGH.items()
                     if key in frame.columns and inputs.get(table) is not None and by in inputs.tables[table].columns][:1]
    if by in frame.columns:
        if len(reachable) == 1 and len(frame) and not frame[by].notna().any():
            return reachable[0], by  # the row's own column is empty (not exported): the account's or owner's speaks
        return None, by
    if len(reachable) > 1:
        raise ValueError(f"by={by!r} is a column of both accounts and reps; choose one: by='account.{by}' (the row's "
                         f"account) or by='owner.{by}' (the row's owner).")
    if reachable:
        return reachable[0], by
    options = sorted(map(str, frame.columns))
    for key, table in _THROUGH.values():
        if key in frame.columns and inputs.get(table) is not None:
            options += [c for c in map(str, inputs.tables[table].columns) if c not in options]
    needs = [(key, table) for key, table in _THROUGH.values() if key in frame.columns and inputs.get(table) is None]
    if needs:
        tables = " or ".join(f"the {table} table (through {key})" for key, table in needs)
        passes = ", ".join(f"{table}=<DataFrame>" for _, table in needs)
        raise ValueError(f"by={by!r} is not a column of this table; looking it up needs {tables}: pass a SalesData "
                         f"that has it: sm.SalesData(..., {passes}). Columns here: {options}.")
    raise ValueError(f"by={by!r} is not a column of this table or of the tables it refers to; choose one of {options}.")


def can_group(inputs: Inputs, frame: pd.DataFrame, by: str | None) -> bool:
    """Whether ``by`` can label ``frame``'s rows (its own column, or its account's or owner's), without raising.

    Examples
    --------
    >>> import pandas as pd
    >>> inputs = Inputs({}, "UTC", "USD", 1, None)
    >>> can_group(inputs, pd.DataFrame({"account_id": ["a"]}), "segment"), can_group(inputs, pd.DataFrame({"segment": ["x"]}), "segment")
    (False, True)
    """
    if by is None or by in frame.columns:
        return True
    prefix, dot, rest = by.partition(".")
    if dot and prefix in _THROUGH:
        key, table = _THROUGH[prefix]
        return key in frame.columns and inputs.get(table) is not None and rest in inputs.tables[table].columns
    return any(key in frame.columns and inputs.get(table) is not None and by in inputs.tables[table].columns
               for key, table in _THROUGH.values())


def group_labels(inputs: Inputs, frame: pd.DataFrame, by: str | None, at: pd.Series | None = None) -> pd.Series | None:
    """Labels for ``by=``: a column of ``frame``, else of the row's account or owner.

    ``by`` names a column of ``frame``; else a column of accounts (joined on ``account_id``) or of reps
    (joined on ``owner_id``: ``team``, ``manager_id``, ``region``, ``role`` or any extra column).
    When both tables have it, spell which: ``"account.region"`` or ``"owner.region"``. Rows whose value
    is empty go to ``"(missing)"``; rows whose account or owner is not in the export go to
    ``"(unknown)"``, so groups always sum to the total. A column that is empty in every row warns.

    With an ``assignments`` table, the owner's ``team``, ``role`` and ``manager_id`` are the ones in force at each
    row's time: ``at`` (the time the metric dates the row by), else the row's own event time (a deal's close, or
    its creation while open; a lead's MQL, else its creation; an activity's time). A rep without assignment rows
    keeps reps' value; a time no assignment of the rep covers takes the latest one before it, or the first one
    (with a warning).

    Examples
    --------
    >>> import pandas as pd
    >>> inputs = Inputs({"accounts": pd.DataFrame({"account_id": ["a"], "segment": ["SMB"]}),
    ...                  "reps": pd.DataFrame({"rep_id": ["r1"], "team": ["East"]})}, "UTC", "USD", 1, None)
    >>> deals = pd.DataFrame({"account_id": ["a", "zz", None], "owner_id": ["r1", "r1", "r9"]})
    >>> group_labels(inputs, deals, "segment").tolist()
    ['SMB', '(unknown)', '(missing)']
    >>> group_labels(inputs, deals, "team").tolist()
    ['East', 'East', '(unknown)']
    """
    if by is None:
        return None
    through, column = _by_source(inputs, frame, by)
    if through is None:
        source = frame[column]
        where, absent = f"this table's {column!r} column", False
    else:
        key, table = _THROUGH[through]
        source = inputs.tables[table][column]
        where, absent = f"{table}.{column}", column in inputs.absent.get(table, frozenset())
    if len(frame) and not source.notna().any():
        import warnings

        from ..errors import DataQualityWarning

        why = "your export has no such column, so " if absent else ""
        warnings.warn(f"by={by!r}: {where} is empty in every row; {why}every row falls in {MISSING_GROUP!r}.",
                      DataQualityWarning, stacklevel=find_stack_level())
    if through is None:
        if pd.api.types.is_string_dtype(source.dtype) and source.dtype != object:
            return source.fillna(MISSING_GROUP)  # stays a (pyarrow) string column: factorizing it is fast
        return source.astype(object).where(source.notna(), MISSING_GROUP)
    from ..schemas import KEYS

    if through == "owner" and column in _ASSIGNED and inputs.has_column("assignments", column):
        return _assigned_labels(inputs, frame, column, at)
    # through a reference: codes of the referenced table's (small) column, gathered by the row's position there,
    # so millions of rows cost one id look-up and one integer gather (a categorical, not millions of strings)
    ref_codes, uniques = pd.factorize(source.reset_index(drop=True))
    categories = list(uniques)
    missing = _category(categories, MISSING_GROUP)
    unknown = _category(categories, UNKNOWN_GROUP)
    pos = index_in(frame[key], inputs.tables[table][KEYS[table]])
    found = pos >= 0
    codes = np.full(len(frame), missing, dtype="int64")
    picked = ref_codes[pos[found]] if len(ref_codes) else np.empty(0, dtype="int64")
    codes[found] = np.where(picked >= 0, picked, missing)
    codes[frame[key].notna().to_numpy() & ~found] = unknown
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(categories)), index=frame.index)


_ASSIGNED = ("team", "role", "manager_id")  # the reps' columns an assignment sets for its interval
_EVENT_TIMES = ("closed_at", "mql_at", "occurred_at", "responded_at", "entered_at", "created_at")  # first present wins


def event_time(frame: pd.DataFrame) -> pd.Series:
    """When each row happened, for the assignment in force: the first of ``closed_at``, ``mql_at``, ``occurred_at``,
    ``responded_at``, ``entered_at``, ``created_at`` that the row has (a deal's close, else its creation).

    Examples
    --------
    >>> import pandas as pd
    >>> deals = pd.DataFrame({"created_at": pd.to_datetime(["2025-01-01", "2025-02-01"], utc=True),
    ...                       "closed_at": pd.to_datetime(["2025-03-01", None], utc=True)})
    >>> event_time(deals).dt.strftime("%Y-%m-%d").tolist()
    ['2025-03-01', '2025-02-01']
    """
    found = [frame[c] for c in _EVENT_TIMES if c in frame.columns and isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    if not found:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    out = found[0]
    for more in found[1:]:
        out = out.fillna(more)
    return out


def _assigned_labels(inputs: Inputs, frame: pd.DataFrame, column: str, at: pd.Series | None) -> pd.Series:
    """``column`` of the owner's assignment in force at each row's time (see :func:`group_labels`)."""
    from ..schemas import KEYS

    reps, plan = inputs.tables["reps"], inputs.tables["assignments"]
    when = event_time(frame) if at is None else at
    stamps = pd.Series(when.to_numpy(), index=frame.index)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):  # calendar days in the bundle's zone, as assignments are dated
        stamps = stamps.dt.tz_convert(inputs.timezone).dt.tz_localize(None)
    t = stamps.to_numpy("datetime64[ns]")
    owner = frame["owner_id"]
    categories: list[Any] = list(pd.unique(pd.concat([reps[column].dropna(), plan[column].dropna()]).astype(object)))
    missing, unknown = _category(categories, MISSING_GROUP), _category(categories, UNKNOWN_GROUP)
    index = pd.Index(categories)
    # reps' own value (the current one) for a rep without assignments, an unknown owner, or a row with no time
    pos = index_in(owner, reps[KEYS["reps"]])
    current = np.full(len(frame), missing, dtype="int64")
    have = pos >= 0
    current_value = reps[column].iloc[pos[have]]
    current[have] = np.where(current_value.notna().to_numpy(), index.get_indexer(current_value.astype(object)), missing)
    current[owner.notna().to_numpy() & ~have] = unknown
    rep_of_plan = index_in(owner, plan["rep_id"].drop_duplicates())  # does the owner have any assignment?
    dated = (rep_of_plan >= 0) & ~np.isnat(t)
    codes = current.copy()
    if dated.any():
        keys, _ = pd.factorize(pd.concat([owner[dated], plan["rep_id"]], ignore_index=True))
        left = pd.DataFrame({"t": t[dated], "rep": keys[: int(dated.sum())], "row": np.flatnonzero(dated)}).sort_values("t", kind="stable")
        right = pd.DataFrame({"start": plan["start_date"].to_numpy("datetime64[ns]"), "rep": keys[int(dated.sum()):],
                              "j": np.arange(len(plan))}).sort_values("start", kind="stable")
        hit = pd.merge_asof(left, right, left_on="t", right_on="start", by="rep", direction="backward")
        first = pd.merge_asof(left, right, left_on="t", right_on="start", by="rep", direction="forward")
        j = hit["j"].to_numpy(dtype=float)
        before_first = np.isnan(j)
        j = np.where(before_first, first["j"].to_numpy(dtype=float), j).astype("int64")  # before the first: the first
        end = plan["end_date"].to_numpy("datetime64[ns]")[j]
        outside = before_first | (~np.isnat(end) & (hit["t"].to_numpy("datetime64[ns]") >= end))
        value = plan[column].iloc[j]
        codes[hit["row"].to_numpy("int64")] = np.where(value.notna().to_numpy(), index.get_indexer(value.astype(object)), missing)
        if outside.any():
            import warnings

            from ..errors import DataQualityWarning

            warnings.warn(f"by={column!r}: {int(outside.sum()):,} row(s) fall at a time no assignment of their owner covers "
                          "(before the first, after the last, or between two); each takes the owner's latest assignment "
                          "before it (or the first one). Extend the assignments to cover them (end_date is exclusive: the "
                          "next assignment starts on it).", DataQualityWarning, stacklevel=find_stack_level())
    return pd.Series(pd.Categorical.from_codes(codes, categories=index), index=frame.index)


def labels_over_time(inputs: Inputs, reps: pd.DataFrame, column: str, times: pd.Series) -> np.ndarray:
    """Each rep's ``column`` ("team", "role", "manager_id") at each of ``times``: a (reps x times) array of text, ""
    where unknown. With assignments, the one in force at that time (see :func:`group_labels`); else reps' own.

    Examples
    --------
    >>> import pandas as pd
    >>> reps = pd.DataFrame({"rep_id": ["r1"], "role": ["SDR"]})
    >>> plan = pd.DataFrame({"rep_id": ["r1", "r1"], "role": ["SDR", "AE"],
    ...                      "start_date": pd.to_datetime(["2024-01-01", "2025-01-01"]), "end_date": pd.to_datetime(["2025-01-01", None])})
    >>> inputs = Inputs({"reps": reps, "assignments": plan}, "UTC", "USD", 1, None)
    >>> labels_over_time(inputs, reps, "role", pd.Series(pd.to_datetime(["2024-06-01", "2025-06-01"], utc=True))).tolist()
    [['SDR', 'AE']]
    """
    import warnings

    own = reps[column].astype(object).where(reps[column].notna(), "").to_numpy() if column in reps else np.full(len(reps), "", dtype=object)
    if not inputs.has_column("assignments", column):
        return np.repeat(own[:, None], len(times), axis=1)
    grid = pd.DataFrame({"owner_id": np.repeat(reps["rep_id"].to_numpy(), len(times))})
    utc = pd.DatetimeIndex(times).tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]")
    at = pd.Series(pd.DatetimeIndex(np.tile(utc, len(reps))).tz_localize("UTC"))
    with warnings.catch_warnings():  # a time before a rep's first assignment takes the first: the metrics say so once
        warnings.simplefilter("ignore")
        found = group_labels(inputs, grid, column, at=at)
    assert found is not None
    values = found.to_numpy(object)
    text = np.where(pd.isna(values) | np.isin(values.astype(str), list(NO_GROUP)), "", values.astype(str))
    return text.reshape(len(reps), len(times))


def _category(categories: list[Any], label: str) -> int:
    """Position of ``label`` among ``categories``, appending it when absent."""
    if label not in categories:
        categories.append(label)
    return categories.index(label)


def group_codes(labels: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes for group labels, groups sorted by name with "(missing)" and "(unknown)" last."""
    def key(label: Any) -> tuple[bool, str]:
        return label in NO_GROUP, str(label)

    few = few_text_codes(labels, key=key)
    if few is not None:  # a long column of a few labels: codes in sorted order already
        return few[0].astype("int64"), pd.Index(few[1])
    codes, uniques = text_codes(labels)
    order = sorted(range(len(uniques)), key=lambda i: key(uniques[i]))
    remap = np.full(len(uniques) + 1, -1, dtype="int64")  # a missing label (code -1) is in no group
    remap[order] = np.arange(len(uniques))
    return remap[codes], pd.Index(np.asarray(uniques, dtype=object)[order])
