"""Money: conversion to the reporting currency (and, later, formatting). One place for both.

Amounts in other currencies convert at the rate of a reference date (for
subscriptions, the service-start date), so exchange-rate swings never show up
as MRR movements.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ._api import find_stack_level
from ._kernels import single_value
from .errors import DataQualityWarning, MissingDataError

__all__ = ["to_reporting"]


def in_reporting(currencies: pd.Series, reporting_currency: str) -> bool:
    """Whether every amount is in the reporting currency already (or names none): one pass over the column, no
    conversion, so a single-currency table of millions of rows costs milliseconds.

    Parameters
    ----------
    currencies : pandas.Series
        Each amount's currency code.
    reporting_currency : str
        The code amounts are reported in.

    Returns
    -------
    bool

    Examples
    --------
    >>> import pandas as pd
    >>> in_reporting(pd.Series(["USD", None]), "USD"), in_reporting(pd.Series(["USD", "EUR"]), "USD")
    (True, False)
    """
    return currencies.first_valid_index() is None or single_value(currencies) == reporting_currency


def to_reporting(
    amounts: Any,
    currencies: Any,
    dates: Any,
    fx_rates: pd.DataFrame | None,
    reporting_currency: str,
) -> np.ndarray:
    """Convert amounts to the reporting currency at each row's reference date.

    The rate used is the latest ``fx_rates`` row for the currency on or
    before the date; a date before a currency's first rate uses that first
    rate, with a :class:`~salesmetrics.DataQualityWarning`. Rows already in the
    reporting currency (or with no currency) are unchanged.

    Parameters
    ----------
    amounts : array-like of float
    currencies : array-like of str
    dates : array-like of datetime (naive calendar dates or aware time stamps)
    fx_rates : pandas.DataFrame or None
        Canonical fx_rates table (currency, date, rate to the reporting currency).
    reporting_currency : str

    Returns
    -------
    numpy.ndarray of float

    Raises
    ------
    ValueError
        When a currency other than the reporting one has no rates at all.

    Examples
    --------
    >>> import pandas as pd
    >>> fx = pd.DataFrame({"currency": ["EUR", "EUR"], "date": pd.to_datetime(["2025-01-01", "2025-02-01"]),
    ...                    "rate": [1.10, 1.05]})
    >>> to_reporting([100, 100, 100], ["EUR", "EUR", "USD"], pd.to_datetime(["2025-01-15", "2025-02-01", "2025-02-01"]),
    ...              fx, "USD").round(2).tolist()
    [110.0, 105.0, 100.0]
    """
    amount = np.asarray(amounts, dtype=float)
    codes = currencies if isinstance(currencies, pd.Series) else pd.Series(np.asarray(currencies, dtype=object))
    if in_reporting(codes, reporting_currency):
        return amount
    cur = codes.astype(object).fillna(reporting_currency).astype(str).to_numpy()
    foreign = cur != reporting_currency
    if not foreign.any():
        return amount
    day = pd.DatetimeIndex(dates)
    if day.tz is not None:
        day = day.tz_localize(None)
    day_ns = np.asarray(day.normalize().as_unit("ns").asi8)
    rate = np.ones(len(amount))
    missing = sorted(set(cur[foreign]) - (set(fx_rates["currency"].dropna()) if fx_rates is not None else set()))
    if missing:
        raise MissingDataError(
            f"no fx_rates for {', '.join(missing)}; add rows (currency, date, rate to {reporting_currency}) to fx_rates "
            "or pass a SalesData that has them."
        )
    assert fx_rates is not None
    early = 0
    for code in np.unique(cur[foreign]):
        rows = np.flatnonzero(cur == code)
        table = fx_rates[fx_rates["currency"] == code].sort_values("date")
        when = np.asarray(pd.DatetimeIndex(table["date"]).as_unit("ns").asi8)
        pos = np.searchsorted(when, day_ns[rows], side="right") - 1
        early += int((pos < 0).sum())
        rate[rows] = table["rate"].to_numpy(float)[np.maximum(pos, 0)]
    if early:
        warnings.warn(
            f"{early} amount(s) are dated before their currency's first fx rate; the first rate was used. "
            "Add earlier rows to fx_rates for exact conversion.",
            DataQualityWarning,
            stacklevel=find_stack_level(),
        )
    return amount * rate
