"""Metrics on data past one machine: Dask computes the partials, salesmetrics combines them.

:func:`on_dask` runs :func:`salesmetrics.partial` on every partition of a Dask DataFrame (on the workers, in
parallel) and :func:`salesmetrics.combine` on the small partials that come back. Opportunity metrics need no
shuffle: a deal is one row, so any partitioning works; the MRR bridge's subscriptions are shuffled by account. Needs the ``dask`` extra
(``pip install "salesmetrics[dask]"``); nothing else in salesmetrics imports Dask.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .errors import import_optional
from .partials import _metric, combine, partial

__all__ = ["on_dask"]


def on_dask(metric: str, frame: Any, /, *, as_of: Any, **options: Any) -> pd.DataFrame:
    """``metric`` on a Dask DataFrame: a partial per partition on the workers, combined here.

    Parameters
    ----------
    metric : {"win_rate", "deal_size", "sales_cycle", "close_rate", "mrr_bridge", "retention", "funnel"}
        The metric, by its function's name (:func:`salesmetrics.partial` lists what splits).
    frame : dask.dataframe.DataFrame
        The metric's table (opportunities; subscriptions for the MRR bridge), partitioned any way: it is shuffled
        by account first where a metric needs an account's rows together.
    as_of : date-like
        Required, the same for every partition (the data's latest event, computed once beforehand if need be).
    **options
        The metric's options. Small tables it joins (``accounts``, ``fx_rates``) are pandas frames, sent to every
        worker.

    Returns
    -------
    pandas.DataFrame
        What the metric returns on the whole table in pandas.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> opps = pd.DataFrame({"opportunity_id": list("abcd"), "created_at": ["2025-01-05"] * 4,
    ...     "status": ["won", "lost", "won", "open"], "closed_at": ["2025-02-01", "2025-03-01", "2025-04-02", None]})
    >>> frame = dd.from_pandas(opps, npartitions=3)
    >>> on_dask("win_rate", frame, as_of="2025-06-30").equals(__import__("salesmetrics").win_rate(opps, as_of="2025-06-30"))
    True
    """
    dask = import_optional("dask", "dask")
    spec, _ = _metric(metric, options)  # an unknown metric or option fails here, before any work is sent
    if as_of is None:
        raise ValueError(f"on_dask({metric!r}): pass as_of, the whole data's, the same for every partition.")
    if spec.others:
        raise ValueError(f"on_dask({metric!r}): it reads {spec.table} and {', '.join(spec.others)}, and on_dask takes one "
                         f"frame; compute sm.partial({metric!r}, bundle_piece, as_of=...) on bundles of whole accounts "
                         "(dask.delayed over them) and sm.combine the results.")
    _check_columns(metric, spec.table, frame)
    if spec.key is not None:  # an entity's rows in one partition (the subscriptions of an account): Dask shuffles
        frame = frame.shuffle(on=spec.key)
    parts = [dask.delayed(partial)(metric, piece, as_of=as_of, **options) for piece in frame.to_delayed()]
    return combine(metric, dask.compute(*parts), **options)


def _check_columns(metric: str, table: str, frame: Any) -> None:
    """Fail before any partition is read when the frame lacks a column the metric's table requires."""
    from .errors import MissingDataError
    from .schemas import column_kinds

    missing = [c for c, (_kind, required) in column_kinds(table).items() if required and c not in frame.columns]
    if missing:
        raise MissingDataError(f"{metric}: the {table} frame lacks the required column(s) {', '.join(missing)}; "
                               f"it has {', '.join(map(str, frame.columns))}. Rename or add them before computing.")
