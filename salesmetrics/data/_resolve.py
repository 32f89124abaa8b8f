"""``resolve``: the tables and settings one metric call works on, from a SalesData or from bare frames.

It sits above the bundle and the readers (it builds on both), so that the look-ups below them never import
them back.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from .._kernels import single_value
from ._bundle import SalesData
from ._lookups import FRAME_KINDS, Inputs, _absent_in, as_pandas, frame_settings, infer_as_of
from ._reading import conform

__all__ = ["resolve"]


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
    if isinstance(data, SalesData):
        tables = dict(data.tables)
        absent = dict(data.absent_columns)
        for name, df in others.items():
            if df is not None:
                df = as_pandas(df, name)
                absent[name] = _absent_in(df, name)
                tables[name] = df if _is_canonical(df, name) else conform(df, name, timezone=data.timezone, currency=data.currency)
        return Inputs(tables, data.timezone, data.currency, data.fiscal_year_start, data.as_of,
                      data.__dict__.setdefault("_positions", {}), absent)
    if not isinstance(data, pd.DataFrame):
        try:
            data = as_pandas(data, table)
        except TypeError:
            raise TypeError(f"expected a SalesData or {FRAME_KINDS} of {table}, got {type(data).__name__}.") from None
    frames = {table: data, **{k: as_pandas(v, k) for k, v in others.items() if v is not None}}
    timezone = "UTC"
    for df in frames.values():
        zones = [getattr(df[c].dtype, "tz", None) for c in df.columns if isinstance(df[c].dtype, pd.DatetimeTZDtype)]
        if zones:
            timezone = str(zones[0])
            break
    carried = frame_settings(data)  # a frame derived from a bundle keeps the bundle's settings
    timezone = carried.get("timezone", timezone)
    canonical = {name: _is_canonical(df, name) for name, df in frames.items()}
    uniform: set[str] = set()

    def one_currency() -> str:  # the table's one currency, else USD: one pass over the column, when first needed
        only = single_value(data["currency"]) if "currency" in data.columns else None
        if only is not None and canonical[table]:
            uniform.add(table)  # the amounts are in it already: no second pass to convert them
        return only if only is not None else "USD"

    currency: str | Callable[[], str] = carried.get("currency", one_currency)
    if not all(canonical.values()):  # conforming a raw export needs the currency now
        currency = currency if isinstance(currency, str) else currency()
    absent = {name: _absent_in(df, name) for name, df in frames.items()}
    tables = {name: df if canonical[name] else conform(df, name, timezone=timezone, currency=str(currency)) for name, df in frames.items()}
    as_of = carried.get("as_of")
    inputs = Inputs(tables, timezone, currency, int(carried.get("fiscal_year_start", 1)),
                    as_of if as_of is not None else lambda: infer_as_of(tables, timezone).value, absent=absent)
    inputs.uniform_currency = uniform
    return inputs
