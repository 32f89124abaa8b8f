"""The lead funnel and the opportunity stages: journeys, conversion, lead quality, stage times, bottlenecks.

Definitions follow the metric definitions (docs/metrics.md, "Lead funnel and SLA", "Pipeline"):

- A funnel is an ordered list of stage time-stamp columns on one row per
  entity. An entity has reached a stage if that stage *or any later one* has a
  time stamp (stages can be skipped); a skipped stage is entered at the first
  later time stamp.
- Cohort conversion (the default, and the correct probability): of the
  entities that reached stage k in period P, the share that reached stage k+1,
  optionally within a window. An entity not converted yet whose window has not
  passed by ``as_of`` is pending: not a failure; it leaves the denominator and
  flags its cohort incomplete.
- Period conversion: entries into k+1 in P / entries into k in P, an
  operational volume ratio that can exceed 1 (so it carries no interval).
- Lead quality: conversion per group with a Wilson interval and an
  empirical-Bayes (beta-binomial) shrunk rate, so a source with 3 of 65 is not
  ranked on noise.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ._api import data_first, find_stack_level
from .data import SETTINGS_ATTR, Inputs, frame_settings, group_codes, group_labels, resolve
from .errors import DataQualityWarning, MissingDataError
from .periods import as_timestamp, period_ordinals
from .pipeline import _DAY_NS, _NAT, Cells, _ns, cells_frame, cohort_finish, cohort_sums, parse_window
from .stats import beta_binomial_prior, group_quantiles, ratio, wilson_interval

if TYPE_CHECKING:  # pragma: no cover
    from .data import SalesData

__all__ = ["LEAD_STAGES", "bottlenecks", "funnel", "lead_journeys", "lead_quality", "stage_durations"]

LEAD_STAGES = ["created_at", "mql_at", "sql_at", "opportunity_created_at", "won_at"]
"""The lead funnel's stages in :func:`lead_journeys` output."""



@data_first("data")
def lead_journeys(data: SalesData, /, *, as_of: Any = None) -> pd.DataFrame:
    """One row per lead with every funnel time stamp: lead → MQL → SQL → opportunity → won.

    The opportunity is the lead's ``opportunity_id``, or else the earliest
    opportunity whose ``lead_id`` is the lead. An opportunity that several leads
    point to is attributed once, to the earliest created of them (a
    :class:`~salesmetrics.errors.DataQualityWarning` says how many leads lost
    it), so a won deal is never counted twice. ``segment`` is the lead's own, or
    else its account's. The frame keeps the bundle's time zone, currency, fiscal
    year and ``as_of`` in ``attrs`` (:data:`~salesmetrics.data.SETTINGS_ATTR`), so
    :func:`funnel` and :func:`lead_quality` on it cut the bundle's periods, and the
    stage columns the export did not have (left out of the default funnel).

    Nothing after ``as_of`` counts: leads created later are left out, and a stage
    reached later (an MQL, an opportunity, a win) has not been reached yet (NaT;
    an opportunity created later is not linked yet).

    Parameters
    ----------
    data : SalesData
        Needs leads; opportunities and accounts when present.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.

    Returns
    -------
    pandas.DataFrame
        ``lead_id``, ``source``, ``owner_id``, ``account_id``, ``segment``,
        ``created_at``, ``mql_at``, ``sql_at``, ``disqualified_at``,
        ``opportunity_id``, ``opportunity_created_at``, ``won_at``, ``lost_at``.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> j = lead_journeys(sm.load_sample())
    >>> list(j.columns[:6])
    ['lead_id', 'source', 'owner_id', 'account_id', 'segment', 'created_at']
    """
    inputs = resolve(data, "leads")
    leads = inputs.require("leads", "lead_journeys")
    opps = inputs.get("opportunities")
    out = leads[["lead_id", "source", "owner_id", "account_id", "segment", "created_at", "mql_at", "sql_at", "disqualified_at", "opportunity_id"]].copy()
    accounts = inputs.get("accounts")
    if accounts is not None and "segment" in accounts.columns:
        seg = accounts.drop_duplicates("account_id").set_index("account_id")["segment"]
        out["segment"] = out["segment"].fillna(pd.Series(seg.reindex(out["account_id"]).to_numpy(), index=out.index))
    aware = pd.DatetimeTZDtype("ns", inputs.timezone)
    nat = pd.Series(pd.NaT, index=out.index, dtype=aware)
    out["opportunity_created_at"], out["won_at"], out["lost_at"] = nat, nat.copy(), nat.copy()
    if opps is not None and len(opps):
        by_lead = opps.dropna(subset=["lead_id"]).sort_values("created_at", kind="stable").drop_duplicates("lead_id")
        fallback = by_lead.set_index("lead_id")["opportunity_id"].reindex(out["lead_id"]).to_numpy()
        out["opportunity_id"] = out["opportunity_id"].fillna(pd.Series(fallback, index=out.index))
        # one opportunity, one lead: the earliest created lead that points to it keeps it
        linked = out["opportunity_id"].notna().to_numpy()
        order = np.lexsort((np.arange(len(out)), _ns(out["created_at"])))
        first = np.zeros(len(out), dtype=bool)
        first[order] = ~pd.Series(out["opportunity_id"].to_numpy()[order]).duplicated().to_numpy()
        shared = linked & ~first
        if shared.any():
            warnings.warn(f"lead_journeys: {int(shared.sum())} lead(s) point to an opportunity an earlier lead already has "
                          f"(e.g. lead {out['lead_id'].iloc[int(np.flatnonzero(shared)[0])]!r}); each opportunity is "
                          "attributed once, to its earliest lead, and the others count as not converted to an opportunity.",
                          DataQualityWarning, stacklevel=find_stack_level())
        o = opps.set_index("opportunity_id")
        o = o[~o.index.duplicated()]
        pick = o.reindex(out["opportunity_id"].where(~shared))
        closed = pd.Series(pick["closed_at"].array, index=out.index).astype(aware)
        status = pd.Series(pick["status"].to_numpy(), index=out.index)
        out["opportunity_created_at"] = pd.Series(pick["created_at"].array, index=out.index).astype(aware)
        out["won_at"] = closed.where(status == "won")
        out["lost_at"] = closed.where(status == "lost")
    now = inputs.as_of_timestamp(as_of) if as_of is not None or inputs.as_of is not None else None
    if now is not None:
        out = out[~(out["created_at"] > now)]
        out.loc[out["opportunity_created_at"] > now, "opportunity_id"] = None
        for column in ("mql_at", "sql_at", "disqualified_at", "opportunity_created_at", "won_at", "lost_at"):
            out[column] = out[column].where(~(out[column] > now))
    out = out.reset_index(drop=True)
    absent = [c for c in ("mql_at", "sql_at", "disqualified_at") if not inputs.has_column("leads", c)]
    if opps is None:
        absent += ["opportunity_created_at", "won_at", "lost_at"]
    out.attrs[SETTINGS_ATTR] = {"timezone": inputs.timezone, "currency": inputs.currency,
                                "fiscal_year_start": inputs.fiscal_year_start, "as_of": now, "absent": absent}
    return out


def _ordinal_span(ords: list[np.ndarray]) -> tuple[int, int] | None:
    """The (first, last) period ordinal in several arrays of them (int64 min: none); None when there is none."""
    lows, highs = [], []
    for o in ords:
        valid = o != _NAT
        if valid.any():
            lows.append(int(np.min(o, where=valid, initial=np.iinfo("int64").max)))
            highs.append(int(o.max()))
    return (min(lows), max(highs)) if lows else None


def _stage_ns(frame: pd.DataFrame, stages: list[str]) -> tuple[list[np.ndarray], Any]:
    """Each stage column as int64 ns (NaT = int64 min), and the columns' time zone (None when naive)."""
    missing = [s for s in stages if s not in frame.columns]
    if missing:
        raise ValueError(f"funnel stages {missing} are not columns of the frame; columns: {list(frame.columns)}.")
    zones = {str(getattr(frame[s].dtype, "tz", "")) for s in stages if isinstance(frame[s].dtype, pd.DatetimeTZDtype)}
    cols = []
    for s in stages:
        col = frame[s]
        if not pd.api.types.is_datetime64_any_dtype(col.dtype):
            # a raw export: read the text (ISO dates, or whatever pandas can parse), naive = wall-clock time
            parsed = pd.to_datetime(col, errors="coerce", format="mixed")
            bad = col.notna() & parsed.isna()
            if bad.any():
                raise ValueError(f"funnel stage column {s!r} has values that are not dates, e.g. {col[bad].iloc[:3].tolist()}; "
                                 "clean them or convert the column with pandas.to_datetime.")
            col = parsed
        if zones and not isinstance(col.dtype, pd.DatetimeTZDtype):
            raise ValueError(f"funnel stage column {s!r} has no time zone while {sorted(zones)} do; give all stage columns "
                             "the same kind of time stamps (all aware or all naive).")
        cols.append(_ns(col))
    zone = next((getattr(frame[s].dtype, "tz", None) for s in stages if isinstance(frame[s].dtype, pd.DatetimeTZDtype)), None)
    return cols, zone


def _instant(as_of: Any, zone: Any) -> int:
    """``as_of`` as int64 ns on the stage columns' clock (UTC when aware, wall-clock when naive)."""
    ts = as_timestamp(as_of)
    if zone is None:
        return (ts.tz_localize(None) if ts.tz is not None else ts).as_unit("ns").value
    return (ts.tz_convert("UTC") if ts.tz is not None else ts.tz_localize(zone)).as_unit("ns").value


def _effective(cols: list[np.ndarray], stages: list[str], now: int) -> np.ndarray:
    """(k, n) int64 ns: when each entity entered stage k by ``now`` (its own stamp, else the next later one)."""
    eff = np.vstack(cols) if cols else np.empty((0, 0), dtype="int64")
    eff = np.where(eff > now, _NAT, eff)  # after as_of it has not happened yet
    for k in range(len(stages) - 2, -1, -1):
        eff[k] = np.where(eff[k] == _NAT, eff[k + 1], eff[k])
    backwards = [(stages[k], stages[k + 1], int(((eff[k + 1] < eff[k]) & (eff[k + 1] != _NAT)).sum())) for k in range(len(stages) - 1)]
    for early, late, n in backwards:
        if n:
            warnings.warn(f"funnel: {n} row(s) reach {late} before {early}; they count as converted at once. "
                          "Check the export's dates.", DataQualityWarning, stacklevel=find_stack_level())
    return eff


def _frame_and_settings(data: SalesData | pd.DataFrame, what: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The journeys of a bundle (or the frame given) and the bundle settings it carries."""
    from .data import SalesData

    if isinstance(data, SalesData):
        frame = lead_journeys(data)
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise TypeError(f"{what} takes a SalesData or a one-row-per-entity DataFrame, got {type(data).__name__}.")
    return frame, frame_settings(frame)


@data_first("data")
def funnel(
    data: SalesData | pd.DataFrame,
    /,
    stages: list[str] | None = None,
    *,
    by: str | None = None,
    freq: str | None = "Q",
    method: Literal["cohort", "period"] = "cohort",
    window: Any = None,
    as_of: Any = None,
    fiscal_year_start: int | None = None,
    dropped: list[str] | None = None,
) -> pd.DataFrame:
    """Stage-to-stage conversion on any one-row-per-entity frame with ordered stage time stamps.

    Nothing after ``as_of`` counts: an entity entered a stage only if it did so by
    ``as_of``, and converted only if it reached the next stage by then.

    **Cohort conversion** (the default): of the entities that reached stage k in
    each period, the share that reach stage k+1 by ``as_of``: ``converted / entered``
    exactly, with a Wilson interval. With a ``window`` the rate is the share that
    convert within it, estimated by Kaplan–Meier on the time from k to k+1 so that
    entities whose window is still open are *censored*, neither successes nor
    failures (docs/metrics.md, "Lead funnel"). Each entity is followed until it
    converts, until its window ends, or until ``as_of``. ``rate`` is the estimated probability of converting
    within ``followed_days``: the window, or the cohort's longest follow-up when
    that is shorter (its rate is for that shorter time). An entity that dropped
    out by ``as_of`` (``dropped``: disqualified, lost) without converting is a
    known failure, not in progress. For a complete cohort the rate equals
    ``converted / entered`` exactly. ``pending`` counts the entities in progress
    whose window is still open at ``as_of``; without a window, those followed for
    less than the slowest conversion observed at that stage (they could still
    convert as others did). A cohort is ``incomplete`` when some are pending,
    when it was followed for less than the window, or when its period has not
    ended by ``as_of`` (more entities may enter it).
    With a window the interval is Wilson's at the Kaplan–Meier effective sample size
    (:func:`~salesmetrics.stats.censored_rate`).

    **Period conversion** (``method="period"``): entries into k+1 in the period /
    entries into k in the period, a volume ratio that can exceed 1 (no interval).

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A SalesData (its :func:`lead_journeys` are used), the output of
        :func:`lead_journeys`, or any export with one row per entity. Stage
        columns may be aware or naive time stamps, or text dates (parsed; naive
        values are taken as wall-clock times).
    stages : list of str, optional
        Time-stamp columns in funnel order; default ``LEAD_STAGES``, without the
        stages a bundle's export did not have (a funnel through a stage nobody
        recorded would count every later lead as having reached it). Naming such
        a stage is an error.
    by : str, optional
        A column of the frame (source, segment, owner_id, ...).
    freq : {"Q", "M", "Y"} or None, default "Q"
        Cohort (or entry) period; None gives one row per stage for all time.
    method : {"cohort", "period"}, default "cohort"
    window : days or Timedelta-like, optional
        Cohort method: conversion must happen within the window after entering the stage.
    as_of : date-like, optional
        Default: the bundle's (also carried by :func:`lead_journeys` output), else the
        latest time stamp in the stage columns.
    fiscal_year_start : int, optional
        Default: the bundle's, else 1 (calendar years).
    dropped : list of str, optional
        Time-stamp columns meaning the entity left the funnel for good. Default: those of
        ``disqualified_at`` and ``lost_at`` the frame has (as :func:`lead_journeys` output does);
        ``[]`` for none.

    Returns
    -------
    pandas.DataFrame
        (``period``), (``by``), ``stage``, ``next_stage``, ``entered``, ``converted``,
        ``pending``, ``followed_days``, ``rate``, ``rate_low``, ``rate_high``, ``incomplete``.

    Examples
    --------
    Four leads: two become MQLs, one skips straight to SQL, and one of the
    three that reached MQL becomes an SQL within 7 days:

    >>> import pandas as pd
    >>> t = lambda s: pd.Timestamp(s, tz="UTC") if s else pd.NaT
    >>> leads = pd.DataFrame({"created_at": [t("2025-01-01"), t("2025-01-02"), t("2025-01-03"), t("2025-01-04")],
    ...                       "mql_at": [t("2025-01-02"), t("2025-01-03"), None, None],
    ...                       "sql_at": [t("2025-01-05"), None, t("2025-01-04"), None]})
    >>> f = funnel(leads, ["created_at", "mql_at", "sql_at"], window=7, as_of="2025-03-01")
    >>> print(f[["stage", "next_stage", "entered", "converted", "rate"]].to_string(index=False))
         stage next_stage  entered  converted     rate
    created_at     mql_at        4          3 0.750000
        mql_at     sql_at        3          2 0.666667

    Read on 2025-01-06 instead, the second lead (an MQL on 2025-01-03, no SQL
    yet) has been followed 3 of its 7 days: it is censored, neither success nor
    failure. MQL → SQL by hand: on day 0 the third lead converts (1 of 3 at
    risk, S = 2/3); on day 3 the first converts (1 of 2 at risk, the censored lead
    still counts then), S = 2/3 · 1/2, so the rate is 1 − 1/3 = 2/3, where
    dropping the pending lead would read 2 of 2 = 100%:

    >>> f = funnel(leads, ["created_at", "mql_at", "sql_at"], window=7, as_of="2025-01-06")
    >>> print(f[["stage", "entered", "converted", "pending", "followed_days", "rate", "incomplete"]].round(3).to_string(index=False))
         stage  entered  converted  pending  followed_days  rate  incomplete
    created_at        4          3        1            5.0 0.750        True
        mql_at        3          2        1            4.0 0.667        True
    """
    _inputs, grid, sums = _funnel_sums(data, stages, by=by, freq=freq, method=method, window=window, as_of=as_of,
                                       fiscal_year_start=fiscal_year_start, dropped=dropped)
    return _funnel_finish(sums, grid.periods, grid.groups, by=by, freq=freq, method=method, window=window)


@dataclass(frozen=True)
class _StepGrid:
    """Cells of several funnel steps on one grid: step-major, then period, then group (as partials lay out sums)."""

    periods: pd.PeriodIndex | None
    groups: pd.Index
    n_steps: int

    @property
    def n_periods(self) -> int:
        return 1 if self.periods is None else len(self.periods)

    @property
    def size(self) -> int:
        return self.n_steps * self.n_periods * len(self.groups)


def _funnel_sums(data: SalesData | pd.DataFrame, stages: list[str] | None = None, *, by: str | None, freq: str | None,
                 method: str, window: Any, as_of: Any, fiscal_year_start: int | None,
                 dropped: list[str] | None) -> tuple[Inputs, _StepGrid, dict[str, Any]]:
    """funnel's additive part: per step (stage to next stage), on one grid of periods and groups, the counts (and, for
    cohorts, :func:`~salesmetrics.pipeline.cohort_sums`); ``meta`` holds the stages and the as_of used."""
    if method not in ("cohort", "period"):
        raise ValueError(f"method must be 'cohort' or 'period', got {method!r}.")
    frame, settings = _frame_and_settings(data, "funnel")
    absent = list(settings.get("absent", ()))
    if stages is None:
        stages = [s for s in LEAD_STAGES if s not in absent]
    elif unknown := [s for s in stages if s in absent]:
        raise MissingDataError(f"funnel: the export has no {', '.join(unknown)} column(s), so no entity can be seen reaching "
                         f"{'that stage' if len(unknown) == 1 else 'those stages'}; leave {'it' if len(unknown) == 1 else 'them'} "
                         "out of stages=, or map the column when loading the data.")
    stages = list(stages)
    if len(stages) < 2:
        raise ValueError(f"a funnel needs at least two stages; got {stages}.")
    drop_cols = [c for c in ("disqualified_at", "lost_at") if c in frame.columns and c not in absent] if dropped is None else list(dropped)
    fiscal = int(settings.get("fiscal_year_start", 1) if fiscal_year_start is None else fiscal_year_start)
    cols, zone = _stage_ns(frame, stages)
    if as_of is None:
        as_of = settings.get("as_of")
    if as_of is None:
        stamped = [c[c != _NAT] for c in cols]
        now = max((int(c.max()) for c in stamped if len(c)), default=0)
    else:
        now = _instant(as_of, zone)
    eff = _effective(cols, stages, now)
    gone_cols, _ = _stage_ns(frame, drop_cols) if drop_cols else ([], None)
    gone = np.zeros(len(frame), dtype=bool)  # dropped out for good by as_of
    for g in gone_cols:
        gone |= (g != _NAT) & (g <= now)
    win = parse_window(window)
    inputs = Inputs({}, "UTC", "USD", fiscal, None)
    labels = group_labels(inputs, frame, by)
    # naive stage columns are wall-clock times: periods are cut on them as they are

    def stamps(ns: np.ndarray) -> pd.Series:
        """Entry times as time stamps in the frame's own zone, so periods are cut in local time."""
        idx = pd.DatetimeIndex(ns.view("datetime64[ns]"))
        return pd.Series(idx.tz_localize("UTC").tz_convert(zone) if zone is not None else idx)

    # every stage on one grid of periods and groups: each stage's period ordinals and the group codes, computed once
    ords = [period_ordinals(stamps(row), freq, fiscal_year_start=fiscal) for row in eff] if freq is not None else None
    span = _ordinal_span(ords) if ords is not None else None
    grouped = group_codes(labels) if labels is not None else None
    steps: list[dict[str, Any]] = []
    grid: Cells | None = None
    for k in range(len(stages) - 1):
        t0, t1 = eff[k], eff[k + 1]
        entered = t0 != _NAT
        reached = t1 != _NAT
        if method == "period":
            # entries into k and into k+1 counted on one grid of periods and groups
            both = None if ords is None else np.concatenate([ords[k], ords[k + 1]])
            both_grouped = None if grouped is None else (np.concatenate([grouped[0], grouped[0]]), grouped[1])
            grid = Cells(None, None, freq, fiscal, by, 2 * len(frame), span, ordinals=both, grouped=both_grouped)
            none = np.zeros(len(frame), dtype=bool)
            steps.append({"entered": grid.count(np.concatenate([entered, none])), "success": grid.count(np.concatenate([none, reached]))})
        else:
            grid = Cells(None, None, freq, fiscal, by, len(frame), span, ordinals=None if ords is None else ords[k], grouped=grouped)
            lag = np.where(entered & reached, np.maximum(t1 - t0, 0), 0)
            success = entered & reached & ((lag <= win.value) if win is not None else True)
            steps.append(cohort_sums(grid, entered, lag, success, entered & ~success & (gone | reached),
                                     np.where(entered, now - t0, 0), win))
    assert grid is not None
    as_of_ts = pd.Timestamp(now, tz="UTC").tz_convert(zone) if zone is not None else pd.Timestamp(now)
    sums: dict[str, Any] = {}
    for key in steps[0]:  # step-major: step k's cells follow step k-1's
        if isinstance(steps[0][key], tuple):
            sums[key] = tuple(np.concatenate([np.asarray(st[key][i]) + (k * grid.size if i == 0 else 0) for k, st in enumerate(steps)])
                              for i in range(len(steps[0][key])))
        else:
            sums[key] = np.concatenate([st[key] for st in steps])
    sums["meta"] = {"stages": list(stages), "as_of": str(as_of_ts), "zone": str(zone) if zone is not None else None,
                    "fiscal_year_start": fiscal}
    return inputs, _StepGrid(grid.periods, grid.groups, len(stages) - 1), sums


def _funnel_finish(sums: dict[str, Any], periods: pd.PeriodIndex | None, groups: pd.Index, *, by: str | None,
                   freq: str | None, method: str, window: Any) -> pd.DataFrame:
    """funnel's frame from its sums (the whole data's, or the pieces' added up)."""
    meta = sums["meta"]
    stages, as_of_ts = meta["stages"], pd.Timestamp(meta["as_of"])
    if meta.get("zone"):  # the zone by name (the text keeps only its offset)
        as_of_ts = as_of_ts.tz_convert(meta["zone"])
    win = parse_window(window)
    n_groups = len(groups)
    n_periods = 1 if periods is None else len(periods)
    size = n_periods * n_groups
    now_local = as_of_ts.tz_localize(None) if as_of_ts.tz is not None else as_of_ts
    parts = []
    for k in range(len(stages) - 1):
        cut = slice(k * size, (k + 1) * size)
        if method == "period":
            n_in, n_out = sums["entered"][cut], sums["success"][cut]
            block = cells_frame(periods, groups, by, {"entered": n_in, "converted": n_out, "pending": np.zeros_like(n_in),
                                                      "followed_days": np.nan, "rate": ratio(n_out, n_in), "rate_low": np.nan,
                                                      "rate_high": np.nan, "incomplete": np.zeros(len(n_in), dtype=bool)})
        else:
            step: dict[str, Any] = {}
            for key, value in sums.items():
                if key == "meta":
                    continue
                if isinstance(value, tuple):  # (cell, ...) of every step: this step's, cells from 0
                    mine = (np.asarray(value[0]) >= cut.start) & (np.asarray(value[0]) < cut.stop)
                    step[key] = (np.asarray(value[0])[mine] - cut.start, *(np.asarray(v)[mine] for v in value[1:]))
                else:
                    step[key] = np.asarray(value)[cut]
            c = cohort_finish(step, size, periods, n_groups, win, now_local)
            block = cells_frame(periods, groups, by, {"entered": c["entered"], "converted": c["success"], "pending": c["pending"],
                                                      "followed_days": c["followed_days"], "rate": c["rate"], "rate_low": c["rate_low"],
                                                      "rate_high": c["rate_high"], "incomplete": c["incomplete"]})
        keys_end = len(block.columns) - 8  # period and by columns come first
        block.insert(keys_end, "stage", stages[k])
        block.insert(keys_end + 1, "next_stage", stages[k + 1])
        block["_k"] = k
        parts.append(block)
    out = pd.concat(parts, ignore_index=True)
    keys = (["period"] if freq is not None else []) + ([by] if by is not None else [])
    out = out.sort_values([*keys, "_k"], kind="stable").drop(columns="_k").reset_index(drop=True)
    out.attrs.update(method=method, freq=freq, window=str(win) if win is not None else None, as_of=as_of_ts,
                     fiscal_year_start=meta["fiscal_year_start"])
    return out


@data_first("data")
def lead_quality(
    data: SalesData | pd.DataFrame,
    /,
    *,
    by: str = "source",
    to: str = "won_at",
    start: str | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Conversion per group (source, owner, segment, ...), with intervals and empirical-Bayes shrinkage, ranked.

    The shrunk rate is the posterior mean (k + α) / (n + α + β) under a Beta(α, β)
    prior fitted to all groups by maximum marginal likelihood (beta-binomial),
    so small groups are pulled towards the overall rate and are not ranked on noise.

    Nothing after ``as_of`` counts: a lead created later is not in it, and a conversion later is not one.
    A lead has reached a stage of ``LEAD_STAGES`` when it has that stage's time stamp or a later one's
    (stages can be skipped), as in :func:`funnel`. This is eventual conversion as observed at ``as_of``:
    recent leads have had less time, so compare groups of the same age, or use :func:`funnel` with ``by=``
    and a window for a censoring-aware rate.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A SalesData (its :func:`lead_journeys`) or one row per lead (e.g. :func:`lead_journeys` output).
    by : str, default "source"
    to : str, default "won_at"
        The stage that counts as converted.
    start : str, optional
        Count only rows that reached this stage (e.g. ``"mql_at"``); default all rows.
    as_of : date-like, optional
        Default: the bundle's (carried by :func:`lead_journeys` output), else nothing is cut.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``by``, ``leads``, ``converted``, ``rate``, ``rate_low``, ``rate_high``,
        ``shrunk_rate``, ``prior_mean``; sorted by ``shrunk_rate`` (best first).

    Examples
    --------
    Five sources of 100 leads each convert 10–20%; a sixth converted 2 of its 2 leads:

    >>> import pandas as pd
    >>> wins = {"a": 20, "b": 10, "c": 15, "d": 12, "e": 18}
    >>> j = pd.DataFrame({"source": [s for s in wins for _ in range(100)] + ["tiny", "tiny"],
    ...                   "won_at": [1.0 if i < k else None for k in wins.values() for i in range(100)] + [1.0, 1.0]})
    >>> q = lead_quality(j)
    >>> q["source"].tolist()[0], q.loc[q["source"] == "tiny", "rate"].item()   # 2 of 2 is not ranked best
    ('a', 1.0)
    """
    journeys, settings = _frame_and_settings(data, "lead_quality")
    if by not in journeys.columns or to not in journeys.columns:
        raise ValueError(f"lead_quality needs columns {by!r} and {to!r}; the frame has {list(journeys.columns)}.")
    stages = [c for c in (start, to) if c is not None]
    if all(c in LEAD_STAGES for c in stages):  # skipped stages count as reached, as in funnel
        stages = [c for c in LEAD_STAGES[LEAD_STAGES.index(stages[0]):] if c in journeys.columns]
    if "created_at" in journeys.columns and "created_at" not in stages:
        stages = ["created_at", *stages]
    cols, zone = _stage_ns(journeys, stages)
    as_of = settings.get("as_of") if as_of is None else as_of
    now = _instant(as_of, zone) if as_of is not None else np.iinfo("int64").max
    eff = _effective(cols, stages, now)
    row = dict(zip(stages, eff, strict=True))
    keep = np.ones(len(journeys), dtype=bool) if "created_at" not in row else row["created_at"] != _NAT
    if start is not None:
        keep &= row[start] != _NAT
    rows = journeys[keep]
    labels = group_labels(Inputs({}, "UTC", "USD", 1, None), rows, by)
    assert labels is not None
    converted = row[to][keep] != _NAT
    g = pd.DataFrame({"group": labels.to_numpy(), "converted": converted}).groupby("group", sort=True)["converted"]
    n = g.size()
    k = g.sum()
    alpha, beta = beta_binomial_prior(k.to_numpy(), n.to_numpy())
    low, high = wilson_interval(k.to_numpy(), n.to_numpy())
    out = pd.DataFrame({by: n.index.to_numpy(dtype=object), "leads": n.to_numpy(), "converted": k.to_numpy().astype("int64"),
                        "rate": ratio(k.to_numpy(), n.to_numpy()), "rate_low": low, "rate_high": high,
                        "shrunk_rate": (k.to_numpy() + alpha) / (n.to_numpy() + alpha + beta),
                        "prior_mean": alpha / (alpha + beta)})
    out = out.sort_values(["shrunk_rate", "leads"], ascending=[False, False], kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out.attrs.update(alpha=alpha, beta=beta, to=to)
    return out


# ----------------------------------------------------------------------------------------------------------
# opportunity stages
# ----------------------------------------------------------------------------------------------------------

_LOST = re.compile(r"lost|disqualif|dead", re.I)
_CLOSED = re.compile(r"won|lost|closed", re.I)


def _history(data: SalesData | pd.DataFrame, by: str | None, stages: list[str] | None,
             as_of: Any) -> tuple[Inputs, pd.DataFrame, list[str]]:
    """The stage history up to ``as_of`` (later entries have not happened yet), sorted by deal and time."""
    inputs = resolve(data, "stage_history")
    hist = inputs.require("stage_history", "stage durations")
    now = inputs.as_of_timestamp(as_of) if as_of is not None or inputs.as_of is not None else None
    if now is not None:
        hist = hist[~(hist["entered_at"] > now)]
    hist = hist.sort_values(["opportunity_id", "entered_at"], kind="stable").reset_index(drop=True)
    if by is not None and by not in hist.columns:
        opps = inputs.get("opportunities")
        if opps is not None and (by in opps.columns or by not in hist.columns):
            cols = ["opportunity_id", "account_id"] + ([by] if by in opps.columns and by != "account_id" else [])
            hist = hist.merge(opps[cols].drop_duplicates("opportunity_id"), on="opportunity_id", how="left")
    if stages is None:
        position = hist.groupby("opportunity_id").cumcount()
        med = position.groupby(hist["stage"]).median()
        closed = med.index.to_series().str.contains(_CLOSED.pattern, case=False, regex=True)
        stages = list(med[~closed].sort_values(kind="stable").index) + sorted(med[closed].index, key=lambda s: bool(_LOST.search(s)))
    return inputs, hist, stages


def _entries(hist: pd.DataFrame, stages: list[str]) -> dict[str, np.ndarray]:
    """Per stage entry: the next entry's time in the same deal, and whether that next move goes forward."""
    opp_codes, _ = pd.factorize(hist["opportunity_id"])
    t = _ns(hist["entered_at"])
    n = len(hist)
    same_next = np.zeros(n, dtype=bool)
    same_next[:-1] = opp_codes[1:] == opp_codes[:-1]
    nxt = np.full(n, _NAT, dtype="int64")
    nxt[:-1] = np.where(same_next[:-1], t[1:], _NAT)
    order = pd.Index(stages).get_indexer(pd.Index(hist["stage"]))  # -1 for stages not in the list
    forward = np.where(pd.Series(hist["stage"]).str.contains(_LOST.pattern, case=False, regex=True).to_numpy(), -1, order)
    # an entry converts when the deal's very next move is to a stage further along (not a lost stage)
    later = np.full(n, -1, dtype="int64")
    later[:-1] = np.where(same_next[:-1], forward[1:], -1)
    return {"t": t, "next": nxt, "order": order, "converted": later > order}


@data_first("stage_history")
def stage_durations(
    data: SalesData | pd.DataFrame,
    /,
    *,
    stages: list[str] | None = None,
    by: str | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Time spent in each stage and conversion onward, from stage_history.

    Each entry into a stage lasts until the deal's next entry (into any stage);
    re-entries (a lost deal reopened, a step back) are entries of their own. An
    entry *converts* when the deal moves on to a stage further along
    ``stages`` with its very next move (lost-like stages never count as progress;
    a step back is not progress either). Entries still open
    (the deal's latest) have no duration yet: ``in_stage`` counts them, and
    they leave the conversion denominator.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle, or a stage_history table (raw exports are conformed first).
    stages : list of str, optional
        Stage order. Default: open stages by their typical position in a deal's
        history, then won, then lost stages.
    by : str, optional
        A column of stage_history, of the opportunities, or of the deals' accounts
        (``"segment"``, ``"region"``; ``"account.region"`` when a name is in several tables).
    as_of : date-like, optional
        Entries after it have not happened yet (a deal that moved on later is still in
        its stage). Default: the bundle's ``as_of``.

    Returns
    -------
    pandas.DataFrame
        (``by``), ``stage``, ``entries``, ``exited``, ``in_stage``, ``converted``,
        ``conversion``, ``conversion_low``, ``conversion_high``, ``median_days``,
        ``mean_days``, ``p75_days``.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"opportunity_id": ["a", "a", "a", "b", "b"],
    ...     "stage": ["Discovery", "Proposal", "Closed Won", "Discovery", "Closed Lost"],
    ...     "entered_at": pd.to_datetime(["2025-01-01", "2025-01-11", "2025-01-31", "2025-01-01", "2025-01-05"], utc=True)})
    >>> print(stage_durations(h)[["stage", "entries", "converted", "conversion", "median_days"]].to_string(index=False))
          stage  entries  converted  conversion  median_days
      Discovery        2          1         0.5          7.0
       Proposal        1          1         1.0         20.0
     Closed Won        1          0         NaN          NaN
    Closed Lost        1          0         NaN          NaN
    """
    inputs, hist, order = _history(data, by, stages, as_of)
    e = _entries(hist, order)
    known = e["order"] >= 0
    exited = e["next"] != _NAT
    days = np.where(exited, (e["next"] - e["t"]) / _DAY_NS, np.nan)
    labels = group_labels(inputs, hist, by)
    stage_codes = np.where(known, e["order"], 0)
    n_groups = 1
    group = np.zeros(len(hist), dtype="int64")
    groups = pd.Index(["all"])
    if labels is not None:
        group, groups = group_codes(labels)
        n_groups = len(groups)
    cell = np.where(known, group * len(order) + stage_codes, -1)
    size = n_groups * len(order)
    sel = cell >= 0

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(cell[sel & mask], minlength=size)

    entries, n_exit, n_conv = count(np.ones(len(hist), bool)), count(exited), count(e["converted"] & exited)
    q = group_quantiles(cell[sel & exited], days[sel & exited], size, (0.5, 0.75))
    total_days = np.bincount(cell[sel & exited], weights=days[sel & exited], minlength=size)
    low, high = wilson_interval(n_conv, n_exit)
    terminal = np.tile(pd.Series(order).str.contains(_CLOSED.pattern, case=False, regex=True).to_numpy(), n_groups)
    cols: dict[str, Any] = {}
    if by is not None:
        cols[by] = np.repeat(np.asarray(groups, dtype=object), len(order))
    cols.update({
        "stage": np.tile(np.asarray(order, dtype=object), n_groups),
        "entries": entries, "exited": n_exit, "in_stage": entries - n_exit, "converted": n_conv,
        "conversion": np.where(terminal, np.nan, ratio(n_conv, n_exit)),
        "conversion_low": np.where(terminal, np.nan, low), "conversion_high": np.where(terminal, np.nan, high),
        "median_days": q[0.5], "mean_days": ratio(total_days, n_exit), "p75_days": q[0.75],
    })
    out = pd.DataFrame(cols)
    return out[out["entries"] > 0].reset_index(drop=True)


@data_first("stage_history")
def bottlenecks(
    data: SalesData | pd.DataFrame,
    /,
    *,
    stages: list[str] | None = None,
    by: str | None = None,
    freq: str = "Q",
    baseline_periods: int = 4,
    tolerance: float = 0.2,
    min_entries: int = 10,
    as_of: Any = None,
) -> pd.DataFrame:
    """Flag stages whose conversion or time-in-stage is markedly worse than their own past or than other groups.

    For each period (of stage entry), stage and group: conversion onward (with
    a Wilson interval) and median days in stage, beside two baselines —

    - the same stage's trailing baseline: pooled conversion and the median of
      the median days over the previous ``baseline_periods`` periods;
    - with ``by``: the other groups' pooled conversion in the same period.

    A stage is flagged ``slow_conversion`` when its conversion is below
    baseline × (1 − ``tolerance``) *and* its Wilson upper bound is below the
    baseline (so noise alone does not flag it); ``slow_duration`` when its median
    days exceed baseline × (1 + ``tolerance``); ``behind_others`` likewise against the
    other groups. Cells with fewer than ``min_entries`` exits are never flagged.
    Stage entries after ``as_of`` (default: the bundle's) have not happened yet.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle, or a stage_history table (raw exports are conformed first).
    stages : list of str, optional
        Stage order. Default: open stages by their typical position in a deal's
        history, then won, then lost stages; won and lost stages are left out of the table.
    by : str, optional
        A column of stage_history, of the bundle's opportunities or of their accounts
        (segment, region, source, ...); adds the ``behind_others`` comparison.
    freq : {"Q", "M", "Y"} or None, default "Q"
        The period of stage entry; None (all time) is one period of every entry up to
        ``as_of``, with no earlier periods for a trailing baseline, so only ``behind_others``
        (with ``by``) can flag.
    baseline_periods : int, default 4
        How many previous periods form the trailing baseline.
    tolerance : float, default 0.2
        How much worse than a baseline flags: conversion below baseline × (1 − tolerance),
        median days above baseline × (1 + tolerance).
    min_entries : int, default 10
        Cells with fewer exits are never flagged.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.

    Returns
    -------
    pandas.DataFrame
        ``period``, (``by``), ``stage``, ``exited``, ``converted``, ``conversion``,
        ``conversion_low``, ``conversion_high``, ``baseline_conversion``,
        ``median_days``, ``baseline_median_days``, (``others_conversion``),
        ``slow_conversion``, ``slow_duration``, (``behind_others``), ``bottleneck``, ``reason``.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> b = bottlenecks(sm.load_sample(), by="segment")
    >>> bool(b["bottleneck"].any())
    True
    """
    inputs, hist, order = _history(data, by, stages, as_of)
    e = _entries(hist, order)
    open_stage = ~pd.Series(order).str.contains(_CLOSED.pattern, case=False, regex=True).to_numpy()
    known = (e["order"] >= 0)
    known[known] &= open_stage[e["order"][known]]
    exited = (e["next"] != _NAT) & known
    days = np.where(exited, (e["next"] - e["t"]) / _DAY_NS, np.nan)
    labels = group_labels(inputs, hist, by)
    cells = Cells(hist["entered_at"], labels, freq, inputs.fiscal_year_start, by, len(hist))
    n_stage = len(order)
    cell = np.where(exited & (cells.cell >= 0), cells.cell * n_stage + np.maximum(e["order"], 0), -1)
    size = cells.size * n_stage
    sel = cell >= 0
    n_exit = np.bincount(cell[sel], minlength=size).reshape(cells.n_periods, cells.n_groups, n_stage)
    n_conv = np.bincount(cell[sel & e["converted"]], minlength=size).reshape(cells.n_periods, cells.n_groups, n_stage)
    med = group_quantiles(cell[sel], days[sel], size, (0.5,))[0.5].reshape(cells.n_periods, cells.n_groups, n_stage)
    # trailing baselines over the previous periods (same group and stage)
    cum_exit = np.cumsum(n_exit, axis=0)
    cum_conv = np.cumsum(n_conv, axis=0)
    lag = baseline_periods

    def trailing(cum: np.ndarray) -> np.ndarray:
        prev = np.concatenate([np.zeros((1, *cum.shape[1:]), dtype=cum.dtype), cum[:-1]])
        older = np.concatenate([np.zeros((lag + 1, *cum.shape[1:]), dtype=cum.dtype), cum[:-lag - 1]]) if cum.shape[0] > lag + 1\
            else np.zeros_like(cum)
        return prev - older[: cum.shape[0]]

    base_exit, base_conv = trailing(cum_exit), trailing(cum_conv)
    baseline = ratio(base_conv, base_exit)
    base_days = np.full(med.shape, np.nan)
    for p in range(1, cells.n_periods):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN, as intended
            base_days[p] = np.nanmedian(med[max(0, p - lag):p], axis=0)
    conversion = ratio(n_conv, n_exit)
    low, high = wilson_interval(n_conv, n_exit)
    enough = n_exit >= min_entries
    slow_conv = enough & (conversion < baseline * (1 - tolerance)) & (high < baseline)
    slow_days = enough & (med > base_days * (1 + tolerance))
    frame: dict[str, Any] = {
        "exited": n_exit, "converted": n_conv, "conversion": conversion, "conversion_low": low, "conversion_high": high,
        "baseline_conversion": baseline, "median_days": med, "baseline_median_days": base_days,
    }
    flags = slow_conv | slow_days
    if by is not None:
        others_exit = n_exit.sum(axis=1, keepdims=True) - n_exit
        others_conv = n_conv.sum(axis=1, keepdims=True) - n_conv
        others = ratio(others_conv, others_exit)
        behind = enough & (conversion < others * (1 - tolerance)) & (high < others)
        frame["others_conversion"] = others
        frame["behind_others"] = behind
        flags = flags | behind
    frame["slow_conversion"], frame["slow_duration"], frame["bottleneck"] = slow_conv, slow_days, flags
    cols: dict[str, Any] = {}
    idx_p, idx_g, idx_s = np.meshgrid(np.arange(cells.n_periods), np.arange(cells.n_groups), np.arange(n_stage), indexing="ij")
    if cells.periods is not None:
        cols["period"] = cells.periods[idx_p.reshape(-1)]
    if by is not None:
        cols[by] = np.asarray(cells.groups, dtype=object)[idx_g.reshape(-1)]
    cols["stage"] = np.asarray(order, dtype=object)[idx_s.reshape(-1)]
    for name, values in frame.items():
        cols[name] = np.asarray(values).reshape(-1)
    out = pd.DataFrame(cols)
    out = out[np.tile(open_stage, cells.n_periods * cells.n_groups) & (out["exited"] > 0)].reset_index(drop=True)
    reasons = []
    for r in out.itertuples(index=False):
        parts = []
        if r.slow_conversion:
            parts.append(f"conversion {r.conversion:.0%} vs {r.baseline_conversion:.0%} over the previous {lag} periods")
        if r.slow_duration:
            parts.append(f"median {r.median_days:.0f} days in stage vs {r.baseline_median_days:.0f}")
        if by is not None and r.behind_others:
            parts.append(f"conversion {r.conversion:.0%} vs {r.others_conversion:.0%} in the other groups")
        reasons.append("; ".join(parts))
    out["reason"] = reasons
    out.attrs.update(freq=freq, baseline_periods=lag, tolerance=tolerance)
    return out
