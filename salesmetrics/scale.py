"""Metrics on data past one machine: Dask computes the partials, salesmetrics combines them.

A metric given a Dask DataFrame, or a :class:`~salesmetrics.data._dask.DaskSalesData` (from
:meth:`SalesData.from_dask <salesmetrics.SalesData.from_dask>` or :func:`salesmetrics.read_parquet`), runs here:
the data is validated partition by partition (a bare frame first becomes a bundle, so bad input gets the pandas
messages with rows numbered in the whole table), the rows an entity needs together are brought into one partition
(Dask shuffles them: subscriptions by account; for the response SLA, leads and the activities on them or on their
account by account), :func:`salesmetrics.partial` runs on every partition on the workers, and
:func:`salesmetrics.combine` adds the small partials here. The result is pandas, equal to the pandas function's on
the whole data. Needs the ``dask`` extra (``pip install "salesmetrics[dask]"``); nothing else in salesmetrics
imports Dask.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._api import find_stack_level
from ._compat import TEXT
from .data._dask import DaskSalesData, Pieces, from_dask, is_dask
from .errors import MissingDataError, import_optional
from .partials import _metric, _metrics, combine, partial

__all__ = ["dispatch", "on_dask"]


def on_dask(metric: str, frame: Any, /, *, as_of: Any, **options: Any) -> pd.DataFrame:
    """``metric`` on a Dask DataFrame (or a DaskSalesData): a partial per partition on the workers, combined here.

    ``sm.win_rate(dask_frame, as_of=...)`` and the other metrics that split call this; call it directly to name the
    metric by string.

    Parameters
    ----------
    metric : {"win_rate", "deal_size", "sales_cycle", "close_rate", "mrr_bridge", "mrr_movements", "retention", "cohort_retention", "funnel", "response_sla"}
        The metric, by its function's name (:func:`salesmetrics.partial` lists what splits).
    frame : dask.dataframe.DataFrame or DaskSalesData
        The metric's table (opportunities; subscriptions for the revenue metrics; leads for the funnel and the
        response SLA), partitioned any way; or a bundle. A bare frame is validated first, as a bundle of it and the
        tables in ``options`` (the pandas messages, rows numbered in the whole table).
    as_of : date-like
        Required with a bare frame, the same for every partition; a bundle's ``as_of`` (the whole data's latest
        event, found in its validation pass) is the default for a bundle.
    **options
        The metric's options. Tables it joins (``accounts``, ``fx_rates``, ``reps``) are pandas frames, sent to
        every worker; ``activities`` for the response SLA is a Dask frame.

    Returns
    -------
    pandas.DataFrame
        What the metric returns on the whole data in pandas.

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
    spec, _ = _metric(metric, {k: v for k, v in options.items()})  # an unknown metric or option fails here, before any work
    if isinstance(frame, DaskSalesData):
        return _on_bundle(metric, frame, as_of, options)
    if as_of is None:
        raise ValueError(f"on_dask({metric!r}): pass as_of, the whole data's, the same for every partition (or build a "
                         "bundle with SalesData.from_dask, which finds it in its validation pass).")
    if not is_dask(frame):
        raise TypeError(f"on_dask({metric!r}): expected a Dask DataFrame or a DaskSalesData, got {type(frame).__name__}.")
    tables = {spec.table: frame}
    for name in spec.others:  # the other large tables it reads (the response SLA's activities)
        given = options.pop(name, None)
        if given is None:
            raise MissingDataError(f"{metric} on Dask needs {name}=: a Dask frame of the {name}, partitioned any way.")
        tables[name] = given
    for name in ("accounts", "reps", "fx_rates"):  # small tables: into the bundle, so every piece has them whole
        if name in spec.defaults and options.get(name) is not None:
            tables[name] = options.pop(name)
    from .data import SalesData

    bundle = from_dask(SalesData, **tables, **_settings(tables), as_of=as_of, _bare=True)  # each table checked as pandas checks bare frames
    return _on_bundle(metric, bundle, as_of, options)


def dispatch(name: str, data: Any, kwargs: dict[str, Any]) -> pd.DataFrame:
    """A metric called on Dask data (by :func:`salesmetrics._api.data_first`): :func:`on_dask` when it splits, else
    an error saying what to do."""
    if name not in _metrics():
        raise TypeError(f"{name} takes pandas tables; on Dask data these metrics run: {', '.join(_metrics())}. For {name}, "
                        "compute the table first (frame.compute()) when it fits in memory.")
    kwargs = dict(kwargs)
    as_of = kwargs.pop("as_of", None)
    return on_dask(name, data, as_of=as_of, **kwargs)


def _settings(tables: Mapping[str, Any]) -> dict[str, Any]:
    """A bare frame's settings as the pandas path reads them: the zone of its first aware column; the currency of
    its ``currency`` column when it holds one code (one small distributed pass)."""
    settings: dict[str, Any] = {}
    for frame in tables.values():
        meta = frame._meta if is_dask(frame) else frame
        zones = [str(meta[c].dtype.tz) for c in meta.columns if isinstance(meta[c].dtype, pd.DatetimeTZDtype)]
        if zones:
            settings["timezone"] = zones[0]
            break
    first = next(iter(tables.values()))
    if "currency" in first.columns:
        codes = first["currency"].dropna().unique()
        codes = codes.compute() if is_dask(first) else codes
        if len(codes) == 1:
            settings["currency"] = str(codes[0])
    return settings


def _on_bundle(metric: str, data: DaskSalesData, as_of: Any, options: dict[str, Any]) -> pd.DataFrame:
    dask = import_optional("dask", "dask")
    spec, _ = _metric(metric, options)
    as_of = data.as_of if as_of is None else as_of
    if as_of is None:
        raise ValueError(f"{metric}: nothing in the bundle is dated; pass as_of.")
    if metric == "funnel" and "opportunities" in data.frames:
        raise ValueError("funnel on a DaskSalesData: a lead's journey joins it to its deals across the whole data (a deal that "
                         "several leads point to counts once), which does not split by partition. Pass sm.funnel a Dask frame "
                         "of journeys instead (one row per lead with its stage time stamps, as sm.lead_journeys gives), or a "
                         "bundle without opportunities for the lead stages alone.")
    missing = [t for t in (spec.table, *spec.others) if t not in data.frames and getattr(data.small, t, None) is None]
    if missing:
        raise MissingDataError(f"{metric} needs the {' and '.join(missing)} table(s); the bundle has {', '.join(data.tables) or 'none'}.")
    small = {n: o for n, o in options.items() if isinstance(o, pd.DataFrame)}
    for name, table in small.items():
        if is_dask(table):
            raise TypeError(f"{metric}: pass {name}= as a pandas frame (it is sent to every worker) or put it in the bundle.")
    frames = {t: data.frames[t] for t in (spec.table, *spec.others) if t in data.frames}
    if spec.others:
        pieces = _linked_pieces(frames[spec.table], frames[spec.others[0]], spec.table, spec.others[0])
    elif spec.key is not None:  # an entity's rows in one partition (the subscriptions of an account): Dask shuffles
        pieces = [{spec.table: p} for p in frames[spec.table].shuffle(on=spec.key).to_delayed()]
    else:
        pieces = [{spec.table: p} for p in frames[spec.table].to_delayed()]
    maker = data.pieces()
    done = _gather([dask.delayed(_partial_of_piece)(metric, maker, piece, as_of, options) for piece in pieces])
    _warn_once(metric, [w for _, w in done], len(done))
    parts = [p for p, _ in done if p is not None]
    if not parts:
        raise MissingDataError(f"{metric}: the {spec.table} table has no rows.")
    return combine(metric, parts, **{k: v for k, v in options.items() if k not in small})


def _gather(tasks: list[Any]) -> list[Any]:
    """The tasks' results, in order. On a distributed cluster each result is fetched as soon as it is done and then
    released on its worker: a partial of a response SLA holds its pieces' response times, and hundreds of them left
    on the workers until the last one finishes outgrew 1.5 GiB workers on 50 M activities."""
    dask = import_optional("dask", "dask")
    chosen = dask.config.get("scheduler", None)
    try:
        from distributed import as_completed, get_client

        client = get_client()
        if chosen not in (None, "dask.distributed", "distributed") and chosen is not client.get:
            raise ValueError(chosen)  # the caller chose another scheduler (dask.config.set(scheduler="threads")): use it
    except (ImportError, ValueError):  # no distributed scheduler: Dask's own gathers at the end (memory is the machine's)
        return list(dask.compute(*tasks))
    futures = client.compute(tasks)
    places: dict[Any, list[int]] = {}
    for i, future in enumerate(futures):
        places.setdefault(future.key, []).append(i)
    found: list[Any] = [None] * len(futures)
    done = as_completed(futures, with_results=True)
    del futures  # as_completed holds each future until it yields it; then nothing does and the worker forgets the result
    for future, result in done:
        for i in places[future.key]:
            found[i] = result
    return found


def _partial_of_piece(metric: str, maker: Pieces, tables: dict[str, pd.DataFrame], as_of: Any,
                      options: dict[str, Any]) -> tuple[pd.DataFrame | None, list[tuple[type[Warning], str]]]:
    """On a worker: the piece's partial, and the warnings it gave (they are raised again on the client, where the
    user's filters and notebooks see them; a worker's own would only reach its log)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        part = _piece_partial(metric, maker, tables, as_of, options)
    return part, [(w.category, str(w.message)) for w in caught]


def _warn_once(metric: str, found: list[list[tuple[type[Warning], str]]], pieces: int) -> None:
    """Each warning the pieces gave, once, in its own class (so filters work). Counts in a message are one piece's;
    the message says so, and in how many pieces it arose."""
    seen: dict[tuple[type[Warning], str], tuple[str, int]] = {}
    for piece in found:
        for category, message in dict.fromkeys(piece):
            key = (category, re.sub(r"\d[\d,.]*", "#", message))
            first, n = seen.get(key, (message, 0))
            seen[key] = (first, n + 1)
    for (category, _), (message, n) in seen.items():
        where = f" [{metric} on Dask: in {n} of {pieces} partition(s); counts in this message are one partition's]" if pieces > 1 else ""
        warnings.warn(message + where, category, stacklevel=find_stack_level())


def _piece_partial(metric: str, maker: Pieces, tables: dict[str, pd.DataFrame], as_of: Any,
                   options: dict[str, Any]) -> pd.DataFrame | None:
    """The piece's bundle (or, for bare frames, the frames and the small tables as options), then its partial; None
    for a piece without rows of the metric's table (a shuffle may leave a partition empty)."""
    spec, _ = _metric(metric, options)
    if not len(tables[spec.table]):
        return None
    tables = {n: t if len(t) or n == spec.table else _no_activity(t, as_of, maker.timezone) for n, t in tables.items()}
    if not maker.bare:
        return partial(metric, maker.bundle(tables), as_of=as_of, **options)
    frames = maker.frames(tables)
    main = frames.pop(spec.table)
    small = {n: t for n, t in maker.small.tables.items() if n in spec.defaults and options.get(n) is None}
    return partial(metric, main, as_of=as_of, **frames, **small, **options)


# ------------------------------------------------------------------------------------------------------------------
# leads with the activities on them or on their account, in the same partition
# ------------------------------------------------------------------------------------------------------------------

_KEY, _LEAD_KEY, _PIECE = "_sm_key", "_sm_lead_key", "_sm_piece"
_ACTIVITY_COLUMNS = ("activity_id", "owner_id", "occurred_at", "lead_id", "account_id", "automated")


def _bucket(keys: pd.Series, n: int) -> np.ndarray:
    """A piece number per key: the same in every process (pandas' fixed-key hash), so equal keys meet."""
    return (pd.util.hash_array(keys.to_numpy(object)) % np.uint64(n)).astype("int64")


def _lead_pieces(part: pd.DataFrame, n: int) -> pd.DataFrame:
    """A lead's piece: its account's (every lead and activity of the account meet), else its own."""
    own = "\x1flead:" + part["lead_id"].astype(str)
    key = part["account_id"].astype(object).where(part["account_id"].notna(), own) if "account_id" in part else own
    out = part.copy()
    out[_KEY], out[_PIECE] = key.astype(TEXT), _bucket(key, n)
    return out


def _activity_pieces(part: pd.DataFrame, n: int) -> pd.DataFrame:
    """An activity goes to its account's piece and to its lead's (once when they are the same): the first touch is a
    minimum, so a copy where it is not needed changes nothing."""
    account = part["account_id"] if "account_id" in part else pd.Series(pd.NA, index=part.index, dtype=object)
    lead = part[_LEAD_KEY]
    on_account = part[account.notna().to_numpy()].assign(**{_PIECE: _bucket(account[account.notna()], n)})
    other = (lead.notna() & (lead.astype(object) != account.astype(object))).to_numpy()
    on_lead = part[other].assign(**{_PIECE: _bucket(lead[other], n)})
    return pd.concat([on_account, on_lead]).drop(columns=_LEAD_KEY)


def _no_lead_key(part: pd.DataFrame) -> pd.DataFrame:
    """Activities on no lead: no lead key."""
    return part.assign(**{_LEAD_KEY: pd.Series(pd.NA, index=part.index, dtype=TEXT)})


def _linked_pieces(leads: Any, activities: Any, lead_table: str, act_table: str) -> list[dict[str, Any]]:
    n = max(leads.npartitions, activities.npartitions)
    keyed = leads.map_partitions(_lead_pieces, n, meta=_lead_pieces(leads._meta, n))
    link = keyed[["lead_id", _KEY]].rename(columns={_KEY: _LEAD_KEY})
    activities = activities[[c for c in _ACTIVITY_COLUMNS if c in activities.columns]]  # what the first touch reads
    # only the activities on a lead are joined to it: the others (on an account alone) would all hash to one partition
    dd = import_optional("dask.dataframe", "dask")
    on_lead = activities[activities["lead_id"].notnull()].merge(link, on="lead_id", how="left")
    off_lead = activities[activities["lead_id"].isnull()]
    off_lead = off_lead.map_partitions(_no_lead_key, meta=_no_lead_key(off_lead._meta))
    acts = dd.concat([on_lead, off_lead[list(on_lead.columns)]])
    acts = acts.map_partitions(_activity_pieces, n, meta=_activity_pieces(acts._meta, n))
    lead_parts = keyed.shuffle(on=_PIECE, npartitions=n).to_delayed()
    act_parts = acts.shuffle(on=_PIECE, npartitions=n).to_delayed()
    dask = import_optional("dask", "dask")
    return [{lead_table: lp, act_table: dask.delayed(_dedupe)(ap)} for lp, ap in zip(lead_parts, act_parts, strict=True)]


def _no_activity(acts: pd.DataFrame, as_of: Any, timezone: str) -> pd.DataFrame:
    """A piece's activities when it has none: one automated activity on no lead (a bundle refuses an empty table, and
    an automated activity is never a first touch), so the piece's leads are all untouched, as they are."""
    from .periods import as_timestamp

    row = acts.iloc[:0].reindex([0])  # the columns and their types, one empty row
    row["activity_id"], row["account_id"], row["automated"] = "\x1fnone", "\x1fnone", True
    row["occurred_at"] = as_timestamp(as_of, timezone)
    return row


def _dedupe(acts: pd.DataFrame) -> pd.DataFrame:
    """An activity copied to two pieces that hashed to one partition is there twice: keep it once."""
    return acts.drop_duplicates(subset=["activity_id"]) if "activity_id" in acts else acts
