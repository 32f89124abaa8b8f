"""Partial results that combine exactly: a metric computed on pieces of the data, then summed.

A metric here is computed in two steps. :func:`partial` runs the first on the rows of a set of whole entities (the
deals of some accounts, say) and returns a plain DataFrame of *sums* per cell (period × group): counts, totals, and
where a quantile needs them the values themselves. :func:`combine` adds the partials of every piece and finishes:
rates, Wilson intervals, means and medians are computed only then, by the same code the pandas function runs, so
the result equals ``metric(whole data)`` (counts exactly; amounts to the cent: sums of floats may differ in the last
bit when added in another order).

Two rules make the pieces add up:

- ``as_of`` is given, the same for every piece (the whole bundle's ``data.as_of``), never found per piece;
- an entity's rows are in one piece. Opportunity metrics need nothing more than whole deals (one row each), so any
  split of the opportunities table works; the subscription metrics need an account's subscriptions in one piece
  (whether a customer is new or back, and its cohort, depend on its earlier months).

A partial is a plain frame (``freq``, ``period``, the group, the sums), so any engine can carry it: Dask's
``map_partitions``, Spark's ``groupBy(...).applyInPandas``, a loop over files. Metrics: ``win_rate`` (both
weights), ``deal_size``, ``sales_cycle`` (both methods: the Kaplan–Meier estimate from the pieces' durations) and
``close_rate`` (with or without a window: the censoring-aware rate from the pieces' follow-up times); and
``mrr_bridge``, ``retention``, ``mrr_movements`` and ``cohort_retention``, whose pieces must hold whole accounts
(integer cents per month and group, so exact in any order; the movements are the pieces' rows, concatenated and
sorted; a cohort is carried as its first month, so the pieces' months and cohorts line up); and
``funnel`` (both methods; a piece holds whole journeys: a bundle's leads with their deals, or rows of
:func:`~salesmetrics.lead_journeys`); ``response_sla`` (a piece is a bundle holding an account's leads and every
activity on them or on the account; leads without an account with their own activities).

Examples
--------
>>> import pandas as pd
>>> import salesmetrics as sm
>>> opps = pd.DataFrame({"opportunity_id": list("abcd"), "created_at": ["2025-01-05"] * 4,
...     "status": ["won", "lost", "won", "won"], "closed_at": ["2025-02-01", "2025-03-01", "2025-04-02", "2025-05-02"],
...     "amount": [100, 300, 50, 70]})
>>> parts = [sm.partial("deal_size", piece, as_of="2025-06-30") for piece in (opps.iloc[:2], opps.iloc[2:])]
>>> combined = sm.combine("deal_size", parts)
>>> combined.equals(sm.deal_size(opps, as_of="2025-06-30"))
True
>>> print(combined.to_string(index=False))
period  won  total  mean  median
2025Q1    1  100.0 100.0   100.0
2025Q2    2  120.0  60.0    60.0
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._compat import concat
from .data._lookups import NO_GROUP

if TYPE_CHECKING:  # pragma: no cover
    from .data import SalesData

__all__ = ["combine", "partial"]

_GROUP = "group"
# the partial's columns that are not sums: what a row is, where it goes, and a value a quantile needs with its count
_LAYOUT = ("kind", "as_of", "fiscal", "meta", "freq", "step", "period", _GROUP, "value", "whole", "event", "count")
_LABELS = ("kind", "as_of", "meta", "freq", _GROUP)  # text repeated on every row (stored as categories)
_NO_PERIOD = np.iinfo("int64").min
_SETTINGS = "_piece"  # in ``meta``: the piece's reporting currency and the metric's plain options (checked by combine)  # a row that only says a group exists (a piece may hold no dated row of it)


@dataclass(frozen=True)
class Layout:
    """Where the combined sums sit: ``size`` cells, period-major over ``periods`` (None: all time) and ``groups``; the
    ``as_of`` every piece used (in the bundle's zone), the bundle's fiscal year; and the metric's options."""

    size: int
    periods: pd.PeriodIndex | None
    groups: pd.Index
    as_of: pd.Timestamp
    fiscal_year_start: int
    options: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_groups(self) -> int:
        return len(self.groups)


@dataclass(frozen=True)
class _Metric:
    public: Callable[..., pd.DataFrame]  # the pandas function: its keyword options and their defaults are the partial's
    sums: Callable[..., Any]  # (data, as_of=..., **options) -> (inputs, cells, sums)
    finish: Callable[[dict[str, Any], Layout], Any]  # (sums, layout) -> the result's columns (cells) or the result
    table: str = "opportunities"  # the table it reads
    key: str | None = None  # the entity whose rows must share a piece (None: a row is an entity)
    others: tuple[str, ...] = ()  # further tables it reads besides ``table`` (so one frame cannot hold its input)
    values: Mapping[str, str] = field(default_factory=dict)  # sums that are (cell, value[, event]) arrays: "float" or "int" values
    maxima: tuple[str, ...] = ()  # sums combined by their maximum (-1: none), not their sum
    # sums that are rows of the result itself, each an entity in a period: a dict of arrays ``period``, ``group`` (the
    # entity) and integer fields, carried row by row (kind = the sum's name) and concatenated by combine
    records: tuple[str, ...] = ()

    @property
    def defaults(self) -> dict[str, Any]:
        """The public function's keyword options (but as_of) and their defaults."""
        params = list(inspect.signature(self.public).parameters.values())[1:]  # after the data
        return {p.name: p.default for p in params if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                and p.name != "as_of"}


def _metrics() -> dict[str, _Metric]:
    import salesmetrics.funnels as f  # the modules, not the package's __init__ (which hands Dask data to scale, above this)
    import salesmetrics.pipeline as p
    import salesmetrics.revenue as r
    import salesmetrics.sla as sla

    return {
        "win_rate": _Metric(p.win_rate, p._win_rate_sums, lambda s, at: p._win_rate_finish(s, weight=at.options["weight"])),
        "deal_size": _Metric(p.deal_size, p._deal_size_sums, lambda s, at: p._deal_size_finish(s, at.size), values={"values": "float"}),
        "sales_cycle": _Metric(p.sales_cycle, p._sales_cycle_sums,
                               lambda s, at: p._sales_cycle_finish(s, at.size, method=at.options["method"]),
                               values={"values": "float"}),
        "close_rate": _Metric(p.close_rate, p._close_rate_sums,
                              lambda s, at: p._close_rate_finish(s, at.size, at.periods, at.n_groups, window=at.options["window"],
                                                                 as_of=at.as_of),
                              values={"values": "int", "progress": "int"}, maxima=("longest", "horizon")),
        "mrr_bridge": _Metric(r.mrr_bridge, r._bridge_sums,
                              lambda s, at: r._bridge_finish(s, at.periods, at.groups, at.options["by"], at.options["freq"],
                                                             at.fiscal_year_start, at.options["arr"]),
                              table="subscriptions", key="account_id"),
        "retention": _Metric(r.retention, r._retention_sums,
                             lambda s, at: r._retention_finish(s, at.periods, at.groups, at.options["by"], at.options["freq"],
                                                               at.fiscal_year_start),
                             table="subscriptions", key="account_id"),
        "mrr_movements": _Metric(r.mrr_movements, r._movements_sums, lambda s, at: r._movements_finish(s["movements"]),
                                 table="subscriptions", key="account_id", records=("movements",)),
        "cohort_retention": _Metric(r.cohort_retention, r._cohort_sums,
                                    lambda s, at: r._cohort_combined(s, at.periods, at.groups, at.options["basis"],
                                                                     at.options["freq"], at.fiscal_year_start),
                                    table="subscriptions", key="account_id"),
        "response_sla": _Metric(sla.response_sla, sla._response_sla_sums, lambda s, at: sla._sla_finish(s, at.size),
                                table="leads", others=("activities",), values={"values": "float"}),
        "funnel": _Metric(f.funnel, f._funnel_sums,
                          lambda s, at: f._funnel_finish(s, at.periods, at.groups, by=at.options["by"], freq=at.options["freq"],
                                                         method=at.options["method"], window=at.options["window"]),
                          table="leads", values={"values": "int", "progress": "int"}, maxima=("longest", "horizon")),
    }


def _metric(name: str, options: dict[str, Any]) -> tuple[_Metric, dict[str, Any]]:
    """The metric, and its options with the defaults filled in."""
    known = _metrics()
    if name not in known:
        raise ValueError(f"partial/combine: no metric {name!r}; these split into partials: {', '.join(known)}.")
    spec = known[name]
    defaults = spec.defaults
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise TypeError(f"{name}: unknown option(s) {', '.join(unknown)}; it takes {', '.join(defaults)} (and as_of).")
    return spec, {**defaults, **options}


def partial(metric: str, data: SalesData | pd.DataFrame, /, *, as_of: Any, **options: Any) -> pd.DataFrame:
    """The additive part of ``metric`` on one piece of the data: sums per cell, for :func:`combine`.

    Parameters
    ----------
    metric : {"win_rate", "deal_size", "sales_cycle", "close_rate", "mrr_bridge", "retention", "mrr_movements", "cohort_retention", "funnel", "response_sla"}
        The metric, by its function's name.
    data : SalesData or pandas.DataFrame
        One piece: a bundle, or an opportunities table, holding whole entities (see the module's rules).
    as_of : date-like
        Required: the whole data's ``as_of``, the same for every piece. A piece's own latest event would date each
        piece differently.
    **options
        The metric's options (``freq``, ``by``, ``weight``, ...), the same for every piece and for :func:`combine`.

    Returns
    -------
    pandas.DataFrame
        ``kind`` ("cell": sums; "group": a group the piece holds, which may have no dated row; "movements": a row
        of ``mrr_movements`` itself, its account as ``group``; "piece": the one row of a piece with nothing to add,
        which still carries its settings; otherwise a value a quantile or a censored rate needs: ``value`` (or
        ``whole``, for integers such as nanoseconds), ``event`` for a duration that ended, and its ``count``),
        ``as_of`` (checked: every piece must use the same), ``freq`` (the pandas period alias, or "" for all time),
        ``period`` (the period's ordinal; the int64 minimum on a "group" row), ``group`` (the ``by`` label, or "all";
        for ``cohort_retention``, the cohort's first month, "2025-01"), then the metric's sums.

    Raises
    ------
    ValueError
        Without ``as_of``, or for a metric that does not split.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b"], "created_at": ["2025-01-05", "2025-01-06"],
    ...                      "status": ["won", "lost"], "closed_at": ["2025-02-01", "2025-02-03"]})
    >>> part = partial("win_rate", opps, as_of="2025-03-31")
    >>> print(part[["kind", "freq", "period", "group", "won", "lost"]].to_string(index=False))
     kind  freq               period group  won  lost
     cell Q-DEC                  220   all    1     1
    group Q-DEC -9223372036854775808   all    0     0

    Period 220 is 2025Q1 (``pd.Period(ordinal=220, freq="Q-DEC")``); the second row says the group exists.
    """
    spec, options = _metric(metric, options)
    if as_of is None:
        raise ValueError(f"partial({metric!r}): pass as_of, the whole data's (data.as_of), the same for every piece: each "
                         "piece's own latest event would date the pieces differently.")
    inputs, cells, sums = spec.sums(data, as_of=as_of, **options)
    stamp, fiscal = str(inputs.as_of_timestamp(as_of)), int(inputs.fiscal_year_start)
    alias = str(cells.periods.freqstr) if cells.periods is not None else ""
    meta = json.dumps({**sums.get("meta", {}), _SETTINGS: {"currency": str(inputs.currency), "options": _plain(options)}},
                      sort_keys=True)
    n_groups, n_steps = len(cells.groups), int(getattr(cells, "n_steps", 1))
    per_step = cells.n_periods * n_groups  # cells of one step (a funnel has several steps on one grid)
    period = np.tile(np.repeat(np.asarray(cells.periods.asi8, dtype="int64"), n_groups) if cells.periods is not None
                     else np.zeros(per_step, dtype="int64"), n_steps)
    group = np.tile(np.asarray(cells.groups, dtype=object), cells.n_periods * n_steps)
    step = np.repeat(np.arange(n_steps, dtype="int64"), per_step)
    added = {k: np.asarray(v) for k, v in sums.items() if k not in spec.values and k not in spec.records and k not in ("as_of", "meta")}
    fields = {k: np.asarray(v) for name in spec.records for k, v in sums[name].items() if k not in ("period", _GROUP)}

    def rows(kind: str, at: np.ndarray, groups: np.ndarray, own: Any = None, **extra: Any) -> pd.DataFrame:
        n = len(groups)
        here = {k: v if kind == "cell" else np.full(n, -1 if k in spec.maxima else 0, dtype=v.dtype) for k, v in added.items()}
        here.update({k: np.asarray(own[k], dtype=v.dtype) if own is not None else np.zeros(n, dtype=v.dtype) for k, v in fields.items()})
        return pd.DataFrame({"kind": kind, "as_of": stamp, "fiscal": fiscal, "meta": meta, "freq": alias,
                             "step": extra.get("step", np.zeros(n, dtype="int64")), "period": at, _GROUP: groups, **here,
                             "value": extra.get("value", np.zeros(n)), "whole": extra.get("whole", np.zeros(n, dtype="int64")),
                             "event": extra.get("event", np.zeros(n, dtype=bool)),
                             "count": extra.get("count", np.zeros(n, dtype="int64"))})

    frames = [rows("cell", period, group, step=step),  # a group with no dated row in this piece still exists in the whole
              rows("group", np.full(n_groups, _NO_PERIOD, dtype="int64"), np.asarray(cells.groups, dtype=object))]
    for name, kind in spec.values.items():  # quantiles need the values: one row per (cell, value, event), with its count
        if name not in sums:
            continue
        cell, value, *event = sums[name]
        column = "whole" if kind == "int" else "value"
        found = pd.DataFrame({"cell": np.asarray(cell, dtype="int64"),
                              column: np.asarray(value, dtype="int64" if kind == "int" else float),
                              "event": np.asarray(event[0], dtype=bool) if event else np.zeros(len(cell), dtype=bool)})
        found = found.value_counts(sort=False).reset_index(name="count")
        cell_of = found["cell"].to_numpy("int64")
        frames.append(rows(name, period[cell_of], group[cell_of], step=step[cell_of], **{column: found[column].to_numpy()},
                           event=found["event"].to_numpy(bool), count=found["count"].to_numpy("int64")))
    for name in spec.records:  # the result's own rows: the period's ordinal, the entity as the group, the fields
        record = sums[name]
        frames.append(rows(name, np.asarray(record["period"], dtype="int64"), np.asarray(record[_GROUP], dtype=object), own=record))
    out = pd.concat(frames, ignore_index=True)
    if not len(out):  # nothing in this piece (no subscription, say): one row still carries its as_of and settings
        out = rows("piece", np.full(1, _NO_PERIOD, dtype="int64"), np.array([""], dtype=object))
    # the labels repeat on every row (a value row carries its settings): categories hold each once. A partial of
    # 40,000 response times is 3.6 MB instead of 13 MB, and an engine gathering hundreds of them keeps the difference
    return out.astype(dict.fromkeys(_LABELS, "category"))


def combine(metric: str, partials: Iterable[pd.DataFrame], /, **options: Any) -> pd.DataFrame:
    """``metric`` from the :func:`partial` results of every piece: the sums added, then finished.

    Parameters
    ----------
    metric : {"win_rate", "deal_size", "sales_cycle", "close_rate", "mrr_bridge", "retention", "mrr_movements", "cohort_retention", "funnel", "response_sla"}
        The metric the partials were computed for.
    partials : iterable of pandas.DataFrame
        The partials (in any order; one frame holding several of them concatenated is fine).
    **options
        The options the partials were computed with, the same (``freq``, ``by``, ``weight``, ``basis``, ...: the
        finish reads them: the subscription metrics' partials are laid out by month, whatever the ``freq``).

    Returns
    -------
    pandas.DataFrame
        What ``metric(whole data, as_of=..., **options)`` returns.

    Examples
    --------
    >>> import pandas as pd
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c"], "created_at": ["2025-01-05"] * 3,
    ...     "status": ["won", "lost", "won"], "closed_at": ["2025-02-01", "2025-02-03", "2025-05-01"]})
    >>> parts = [partial("win_rate", opps.iloc[[i]], as_of="2025-06-30") for i in range(3)]
    >>> print(combine("win_rate", parts)[["period", "won", "lost", "win_rate"]].to_string(index=False))
    period  won  lost  win_rate
    2025Q1    1     1       0.5
    2025Q2    1     0       1.0
    """
    given = dict(options)
    spec, options = _metric(metric, options)
    frames = list(partials)
    if not frames:
        raise ValueError(f"combine({metric!r}): no partials.")
    parts = concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    settings = [json.loads(str(m)).get(_SETTINGS, {}) for m in pd.unique(parts["meta"])]
    currencies = sorted({str(x.get("currency")) for x in settings})
    if len(currencies) > 1:
        raise ValueError(f"combine({metric!r}): the pieces were read in different reporting currencies ({', '.join(currencies)}): a "
                         "bare piece whose rows share one currency takes it as its reporting one. Compute every piece as a "
                         "bundle with the same currency, e.g. sm.partial(metric, sm.SalesData(subscriptions=piece, "
                         "currency='USD', fx_rates=rates), as_of=...).")
    used = settings[0].get("options", {}) if settings else {}
    clash = {k: (v, used[k]) for k, v in _plain(given).items() if k in used and v != used[k]}
    if clash:
        raise ValueError(f"combine({metric!r}): " + "; ".join(f"{k}={a!r} here, but the partials were computed with {k}={b!r}"
                                                              for k, (a, b) in clash.items())
                         + ". Pass combine the partials' options, or leave them out (combine reads them from the partials).")
    options = {**options, **{k: v for k, v in used.items() if k not in given}}  # the partials' options unless given
    for column, what in (("freq", "periods (freq)"), ("fiscal", "fiscal years"), ("as_of", "as_of"), ("meta", "settings")):
        seen = set(parts[column].astype(str))
        if len(seen) > 1:
            raise ValueError(f"combine({metric!r}): the partials were computed with different {what} ({', '.join(sorted(seen))}); "
                             "compute every piece with the same options and the whole data's as_of.")
    alias, as_of, fiscal = str(parts["freq"].iloc[0]), pd.Timestamp(str(parts["as_of"].iloc[0])), int(parts["fiscal"].iloc[0])
    grouped = parts[~parts["kind"].isin(["piece", *spec.records])]  # a record's group is its entity, not a cell's group
    groups = pd.Index(sorted(pd.unique(grouped[_GROUP]), key=lambda g: (g in NO_GROUP, str(g))), dtype=object)
    cells = parts[parts["kind"] == "cell"]
    if alias:
        dated = cells["period"].to_numpy("int64")
        lo, hi = (int(dated.min()), int(dated.max())) if len(dated) else (0, -1)
        periods: pd.PeriodIndex | None = pd.PeriodIndex(pd.period_range(pd.Period(ordinal=lo, freq=alias), periods=hi - lo + 1,
                                                                          freq=alias)) if hi >= lo else pd.PeriodIndex([], freq=alias)
        n_periods = hi - lo + 1 if hi >= lo else 0
    else:
        periods, lo, n_periods = None, 0, 1
    per_step = n_periods * len(groups)
    n_steps = int(cells["step"].max()) + 1 if len(cells) else 1
    size = n_steps * per_step

    def where(rows: pd.DataFrame) -> np.ndarray:
        return (rows["step"].to_numpy("int64") * per_step + (rows["period"].to_numpy("int64") - lo) * len(groups)
                + groups.get_indexer(rows[_GROUP]))

    at = where(cells)
    sums: dict[str, Any] = {}
    for column in [c for c in cells.columns if c not in _LAYOUT]:
        if column in spec.maxima:
            top = np.full(size, -1, dtype="int64")
            np.maximum.at(top, at, cells[column].to_numpy("int64"))
            sums[column] = top
            continue
        total = np.bincount(at, weights=cells[column].to_numpy(float), minlength=size)
        sums[column] = total.astype("int64") if cells[column].dtype.kind in "iub" else total  # counts stay counts
    for name, kind in spec.values.items():
        rows = parts[parts["kind"] == name]
        count = rows["count"].to_numpy("int64")
        value = rows["whole"].to_numpy("int64") if kind == "int" else rows["value"].to_numpy(float)
        sums[name] = (np.repeat(where(rows), count), np.repeat(value, count), np.repeat(rows["event"].to_numpy(bool), count))
    for name in spec.records:  # every piece's rows, in the partials' order (the finish sorts them)
        sums[name] = parts[parts["kind"] == name].reset_index(drop=True)
    sums["meta"] = json.loads(str(parts["meta"].iloc[0]))
    layout = Layout(size=size, periods=periods, groups=groups, as_of=as_of, fiscal_year_start=fiscal, options=options,
                    meta=sums["meta"])
    done = spec.finish(sums, layout)
    return done if isinstance(done, pd.DataFrame) else _frame(periods, groups, options.get("by"), done)


def _plain(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options that are plain values (text, numbers, flags, None): the ones a partial records and combine checks;
    tables and objects (``accounts=``, a calendar) stay out."""
    return {k: v for k, v in options.items() if v is None or isinstance(v, (str, int, float, bool))}


def _frame(periods: pd.PeriodIndex | None, groups: pd.Index, by: str | None, columns: dict[str, Any]) -> pd.DataFrame:
    from .pipeline import cells_frame

    return cells_frame(periods, groups if by is not None else pd.Index(["all"]), by, columns)
