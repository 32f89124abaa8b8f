"""Shared look-ups: ids matched across tables, what a metric call works on, and group labels for ``by=``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ._bundle import SalesData

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
    from ..schemas import column_kinds

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
    from ._bundle import SalesData
    from ._reading import conform

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
