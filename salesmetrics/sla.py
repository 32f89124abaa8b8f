"""The marketing–sales SLA: lead definitions as data, response-time compliance, targets and attainment.

Definitions follow the metric definitions (docs/metrics.md, "Lead funnel and SLA"):

- MQL / SQL rules are declarative criteria (score ≥ x, segment in the ICP,
  all-of / any-of) that set ``mql_at`` / ``sql_at``, so a team can see its funnel
  under a proposed definition. Rules are plain data (dicts and lists); nothing
  is ever evaluated as code.
- Response SLA: the clock starts at ``mql_at`` (or another stage); the first
  touch is the earliest non-automated activity by a rep on the lead, or on its
  account, at or after the start. Response time is business time under a
  :class:`~salesmetrics.BusinessCalendar` (wall-clock time without one).
  Status: met (touched within the window), breached (touched late, or not
  touched and the window has passed by ``as_of``), pending (window still open).
  Compliance = met / (met + breached).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._api import data_first, find_stack_level
from ._compat import flags
from ._kernels import in_ranges
from .data import SETTINGS_ATTR, Inputs, index_in, resolve
from .errors import DefinitionWarning, MissingDataError
from .periods import BusinessCalendar, duration, parse_period
from .pipeline import _NAT, Cells, _ns, group_labels
from .stats import group_quantiles, ratio, wilson_interval

if TYPE_CHECKING:  # pragma: no cover
    from .data import SalesData

__all__ = ["attainment", "compare_definitions", "qualify", "response_sla"]

Rule = Mapping[str, Any] | Sequence[Any]

_OPS = {
    ">=": lambda s, v: s >= v,
    ">": lambda s, v: s > v,
    "<=": lambda s, v: s <= v,
    "<": lambda s, v: s < v,
    "==": lambda s, v: s == v,
    "!=": lambda s, v: s != v,
    "in": lambda s, v: s.isin(list(v)),
    "not in": lambda s, v: ~s.isin(list(v)),
    "notna": lambda s, v: s.notna(),
    "isna": lambda s, v: s.isna(),
}


def _evaluate(frame: pd.DataFrame, rule: Rule, path: str = "rule") -> pd.Series:
    """A boolean Series for ``rule`` (see :func:`qualify`); missing values never satisfy a comparison."""
    if isinstance(rule, Mapping):
        keys = set(rule)
        if keys == {"all"} or keys == {"any"}:
            (kind, parts), = rule.items()
            if not isinstance(parts, Sequence) or isinstance(parts, str) or not parts:
                raise ValueError(f"{path}.{kind} must be a non-empty list of rules.")
            masks = [_evaluate(frame, p, f"{path}.{kind}[{i}]") for i, p in enumerate(parts)]
            out = masks[0]
            for m in masks[1:]:
                out = (out & m) if kind == "all" else (out | m)
            return out
        if keys == {"not"}:
            return ~_evaluate(frame, rule["not"], f"{path}.not")
        if "column" in keys:
            column = rule["column"]
            if column not in frame.columns:
                raise ValueError(f"{path} refers to column {column!r}, which the leads do not have; columns: {list(frame.columns)}.")
            op = rule.get("op", "in" if "in" in rule else "==")
            if "in" in rule:
                op, value = "in", rule["in"]
            elif "not in" in rule:
                op, value = "not in", rule["not in"]
            else:
                value = rule.get("value")
            if op not in _OPS:
                raise ValueError(f"{path} has op {op!r}; use one of {sorted(_OPS)}.")
            if op not in ("notna", "isna") and "value" not in rule and op not in ("in", "not in"):
                raise ValueError(f"{path} needs a 'value' for op {op!r}.")
            series = frame[column]
            result = _OPS[op](series, value)
            return flags(result) & (series.notna() | (op == "isna"))
        raise ValueError(f"{path} is not a rule: use {{'column', 'op', 'value'}}, {{'column', 'in'}}, {{'all': [...]}}, "
                         f"{{'any': [...]}} or {{'not': rule}}; got keys {sorted(keys)}.")
    if isinstance(rule, Sequence) and not isinstance(rule, str):
        return _evaluate(frame, {"all": list(rule)}, path)
    raise ValueError(f"{path} must be a dict or a list of dicts (rules are data, never code strings); got {type(rule).__name__}.")


def qualify(
    leads: SalesData | pd.DataFrame,
    rule: Rule,
    *,
    stage: str = "mql_at",
    at: str = "created_at",
) -> pd.DataFrame:
    """Set a stage time stamp from a declarative lead definition.

    A lead that meets ``rule`` keeps its existing ``stage`` time stamp, or gets
    the value of ``at`` (default its creation time) when it has none; a lead that
    does not meet it gets no time stamp. To compare today's and a proposed
    definition, use :func:`compare_definitions` (a lead that fails a definition
    has not reached that stage *or any later one*; a funnel on this frame would
    still count its later stages as reached).

    Parameters
    ----------
    leads : SalesData or pandas.DataFrame
        With a SalesData, account columns (segment, industry, region, ...) that
        the leads lack are joined in, so rules can use them.
    rule : dict or list of dicts
        ``{"column": "score", "op": ">=", "value": 60}``; ``{"column": "segment",
        "in": ["Mid-Market", "Enterprise"]}``; ``{"all": [...]}``, ``{"any": [...]}``,
        ``{"not": rule}``; a list means all of its rules. Ops: ``>= > <= < == !=
        in, not in, notna, isna``. Missing values never meet a comparison.
    stage : str, default "mql_at"
    at : str, default "created_at"

    Returns
    -------
    pandas.DataFrame
        The leads with ``stage`` set; ``attrs["qualified"]`` counts the leads that meet the rule.

    Examples
    --------
    >>> import pandas as pd
    >>> leads = pd.DataFrame({"lead_id": ["a", "b", "c"], "score": [80, 45, None],
    ...                       "segment": ["Enterprise", "SMB", "Enterprise"],
    ...                       "created_at": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"])})
    >>> icp = {"all": [{"column": "score", "op": ">=", "value": 40},
    ...                {"column": "segment", "in": ["Mid-Market", "Enterprise"]}]}
    >>> qualify(leads, icp)["mql_at"].notna().tolist()
    [True, False, False]
    """
    frame = _rule_frame(leads)
    if at not in frame.columns:
        raise ValueError(f"at={at!r} is not a column of the leads.")
    meets = _evaluate(frame, rule).to_numpy()
    current = frame[stage] if stage in frame.columns else pd.Series(pd.NaT, index=frame.index, dtype=frame[at].dtype)
    frame[stage] = current.where(current.notna(), frame[at]).where(meets)
    frame.attrs["qualified"] = int(meets.sum())
    return frame


_EXACT = 2**53  # integers below this are exact in a float64


def _first_after(touch_code: np.ndarray, touch_ns: np.ndarray, query_code: np.ndarray, query_ns: np.ndarray,
                 n_codes: int) -> np.ndarray:
    """For each query, the earliest touch time >= the query time among touches with the same code (-1 if none).

    Times are int64 nanoseconds since a common base (>= 0); codes run 0..n_codes-1 (a query code of -1 finds
    nothing; touch codes must be >= 0). The comparison is exact to the nanosecond: a touch 0.3 s after the
    start in the same second counts, a touch 0.2 s before it does not.

    Filtered minima drop the touches that cannot be anyone's first, then one sort and one searchsorted, no
    per-row Python. Each (code, time) is a complex number, which numpy sorts and searches lexicographically:
    real part ``code * R + time // unit``, imaginary part ``time % unit``, where ``unit`` is 2**30 ns (about a
    second), or a larger power of two when ``n_codes`` times the span would not fit the 53 bits a float64
    holds exactly. Both parts are exact integers, so the keys order as (code, nanosecond) do and the time
    found is the touch's own, to the nanosecond.

    Examples
    --------
    Code 0 has touches at 5 and 2_000_000_000 ns; code 1 at 7 ns. A query at 1 ns on code 0 finds 5; at 6 ns
    it finds the touch two seconds later; code 1 at 8 ns finds nothing:

    >>> _first_after(np.array([0, 0, 1]), np.array([5, 2_000_000_000, 7]),
    ...              np.array([0, 0, 1, -1]), np.array([1, 6, 8, 0]), 2).tolist()
    [5, 2000000000, -1, -1]
    """
    out = np.full(len(query_code), -1, dtype="int64")
    ok = query_code >= 0
    if not len(touch_code) or not ok.any():
        return out
    # Most touches cannot be anyone's first: keep those between a code's earliest start and its first touch at
    # or after its latest start (a code with one start keeps only that touch). Filtered minima, no sort.
    never = np.iinfo("int64").max
    qc, qt = query_code[ok], query_ns[ok]
    earliest, latest, after_latest = np.full(n_codes, never), np.full(n_codes, -1), np.full(n_codes, never)
    np.minimum.at(earliest, qc, qt)
    np.maximum.at(latest, qc, qt)
    late = touch_ns >= latest[touch_code]  # no start on the code: latest is -1, and earliest rules the touch out
    np.minimum.at(after_latest, touch_code[late], touch_ns[late])
    keep = np.flatnonzero((touch_ns >= earliest[touch_code]) & (touch_ns <= after_latest[touch_code]))
    touch_code, touch_ns = touch_code[keep], touch_ns[keep]
    if not len(touch_code):
        return out

    span = int(max(touch_ns.max(), qt.max())) + 1
    rows = _EXACT // max(n_codes, 1)  # distinct units one code may span (>= 2**22: codes are int32-sized)
    unit = max(1 << 30, 1 << (-(-span // (rows - 1)) - 1).bit_length())  # a power of two: shifts, not divisions
    shift = unit.bit_length() - 1
    per_code = (span >> shift) + 1

    def keys(code: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        whole = code.astype("int64") * per_code + (t >> shift)
        k = np.empty(len(code), dtype="complex128")
        k.real = whole
        k.imag = t & (unit - 1)
        return k, whole

    sorted_keys = keys(touch_code, touch_ns)[0]
    sorted_keys.sort()
    query, whole = keys(qc, qt)
    order = np.argsort(whole)  # sorted queries walk the keys in order: far fewer cache misses
    pos = np.empty(len(query), dtype="int64")
    pos[order] = np.searchsorted(sorted_keys, query[order], side="left")
    hit = pos < len(sorted_keys)
    found = sorted_keys[np.where(hit, pos, 0)]
    found_whole = found.real.astype("int64")
    hit &= found_whole // per_code == qc
    found_ns = ((found_whole % per_code) << shift) + found.imag.astype("int64")
    out[np.flatnonzero(ok)[hit]] = found_ns[hit]
    return out


@data_first("leads", was_positional=("activities",))
def response_sla(
    data: SalesData | pd.DataFrame,
    /,
    *,
    activities: pd.DataFrame | None = None,
    start: str = "mql_at",
    within: Any = "24h",
    calendar: BusinessCalendar | None = None,
    by: str | None = None,
    freq: str | None = "Q",
    as_of: Any = None,
    detail: bool = False,
    reps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """First-response SLA: was every lead touched by a rep within the promised time?

    The clock starts at ``start``. The first touch is the earliest activity at or
    after the start (and at or before ``as_of``) that is not automated, whose
    owner is a rep (in the reps table), and that is logged on the lead or on the
    lead's account. Response time is business time under ``calendar`` (time zone,
    working hours, weekdays, holidays), or wall-clock time without one;
    ``within`` is measured the same way (24h under a 09–18 calendar is almost
    three working days).

    Times are compared exactly, to the nanosecond, never rounded to whole
    seconds: a touch 0.2 s after an MQL stamped 10:00:00.700 counts (response
    0.2 s), one at 10:00:00.500 does not. ``first_touch_at`` is the touch's own
    time stamp.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame
        A bundle (leads, activities, reps), or a leads table with ``activities=``.
    activities : pandas.DataFrame, optional
        The activities table, needed with a bare leads table; given with a bundle, it replaces
        the bundle's.
    start : str, default "mql_at"
        The leads column whose time stamp starts the clock (``"created_at"``, ``"sql_at"``, ...);
        leads without one are not on the clock.
    within : str, Timedelta or number, default "24h"
        The promised response time (``"24h"``, ``"2D"``, a Timedelta; a plain number is days, as
        everywhere in salesmetrics), measured in business time under ``calendar``.
    calendar : BusinessCalendar, optional
    by : str, optional
        A column of leads or of accounts (source, owner_id, segment, ...).
    freq : {"Q", "M", "Y"} or None, default "Q"
        Period of the SLA start; None (all time) gives one row.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts (a lead not touched by then is pending,
        or breached when its window has passed).
    detail : bool, default False
        Return one row per lead instead of the aggregate.
    reps : pandas.DataFrame, optional
        The reps table, with a bare leads table: only activities owned by a rep count. Without
        one every activity owner counts as a rep, with a DefinitionWarning.

    Returns
    -------
    pandas.DataFrame
        Aggregate: (``period``), (``by``), ``leads``, ``met``, ``breached``, ``pending``,
        ``compliance``, ``compliance_low``, ``compliance_high``, ``median_response_hours``,
        ``p90_response_hours`` (over touched leads). Detail: ``lead_id``, the start,
        ``first_touch_at``, ``response`` (Timedelta), ``response_hours``, ``status``.

    Examples
    --------
    A lead becomes an MQL on Friday 17:30 in Seoul and is called on Monday 09:20. Under a
    09:00–18:00 weekday calendar that is 30 min on Friday + 20 min on Monday = 50 minutes:

    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> seoul = "Asia/Seoul"
    >>> leads = pd.DataFrame({"lead_id": ["l1"], "created_at": [pd.Timestamp("2025-06-13 17:00", tz=seoul)],
    ...                       "mql_at": [pd.Timestamp("2025-06-13 17:30", tz=seoul)]})
    >>> acts = pd.DataFrame({"activity_id": ["x"], "owner_id": ["r1"], "lead_id": ["l1"],
    ...                      "occurred_at": [pd.Timestamp("2025-06-16 09:20", tz=seoul)]})
    >>> reps = pd.DataFrame({"rep_id": ["r1"], "team": ["SDR"], "role": ["SDR"], "hired_at": ["2024-01-01"]})
    >>> cal = sm.BusinessCalendar(seoul, start="09:00", end="18:00")
    >>> d = response_sla(leads, activities=acts, reps=reps, calendar=cal, detail=True, as_of="2025-06-20")
    >>> d[["response_hours", "status"]].round(3).values.tolist()
    [[0.833, 'met']]
    """
    r = _responses(data, activities=activities, start=start, within=within, calendar=calendar, as_of=as_of, reps=reps)
    if detail:
        out = pd.DataFrame({"lead_id": r.leads["lead_id"].iloc[r.lead_idx].to_numpy(), start: r.start_ts,
                            "first_touch_at": r.first_ts, "response": r.response, "response_hours": r.hours, "status": r.status})
        if by is not None:
            labels = group_labels(r.inputs, r.leads, by)
            assert labels is not None
            out.insert(1, by, labels.iloc[r.lead_idx].to_numpy())
        out.attrs.update(within=str(r.window), calendar=repr(calendar) if calendar else "wall-clock")
        return out
    cells, sums = _sla_sums(r, by, freq)
    out = cells.frame(_sla_finish(sums, cells.size))
    out.attrs.update(within=str(r.window), calendar=repr(calendar) if calendar else "wall-clock", freq=freq)
    return out


@dataclass(frozen=True)
class _Responses:
    """Each lead on the clock: its start, first touch, response and status (met, breached, pending)."""

    inputs: Inputs
    leads: pd.DataFrame
    lead_idx: np.ndarray  # positions in ``leads`` of the leads on the clock
    start_ts: pd.Series
    first_ts: pd.Series
    response: pd.Series
    hours: np.ndarray
    touched: np.ndarray
    met: np.ndarray
    breached: np.ndarray
    pending: np.ndarray
    status: np.ndarray
    window: pd.Timedelta


def _responses(data: SalesData | pd.DataFrame, *, activities: pd.DataFrame | None, start: str, within: Any,
               calendar: BusinessCalendar | None, as_of: Any, reps: pd.DataFrame | None) -> _Responses:
    """The per-lead part of :func:`response_sla`."""
    if isinstance(data, pd.DataFrame):
        inputs = resolve(data, "leads", activities=activities, reps=reps)
    else:
        inputs = resolve(data, "leads", activities=activities, reps=reps)
    lead_table = inputs.require("leads", "response_sla")
    acts = inputs.require("activities", "response_sla")
    rep_table = inputs.get("reps")
    if start not in lead_table.columns:
        raise ValueError(f"start={start!r} is not a column of leads.")
    window = duration(within, name="within")
    assert isinstance(window, pd.Timedelta)  # unit="time": always a Timedelta
    now = inputs.as_of_timestamp(as_of)
    now_ns = now.value

    # leads on the clock
    s_ns = _ns(lead_table[start])
    on_clock = (s_ns != _NAT) & (s_ns <= now_ns)
    lead_idx = np.flatnonzero(on_clock)
    t_act = _ns(acts["occurred_at"])
    s_clock = s_ns[lead_idx]  # times stay exact int64 nanoseconds throughout: a touch 0.3 s after the start counts
    if rep_table is None:
        warnings.warn("response_sla: no reps table, so every activity owner counts as a rep; pass reps= to leave "
                      "non-reps out.", DefinitionWarning, stacklevel=find_stack_level())
    # Which lead (or account) each activity is on: the look-ups the bundle's reference checks already did
    # (Inputs.positions), so on a validated SalesData no id is hashed again; bare frames hash here, once.
    lead_rank = np.full(len(lead_table) + 1, -1, dtype="int64")  # the last -1 answers position -1 (on no lead)
    lead_rank[lead_idx] = np.arange(len(lead_idx))
    by_account = "account_id" in lead_table.columns and "account_id" in acts.columns
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:  # uncached look-ups release the GIL: two at a time
        lead_job = pool.submit(inputs.positions, "activities", "lead_id", "leads")
        rep_job = pool.submit(inputs.positions, "activities", "owner_id", "reps") if rep_table is not None else None
        if by_account and inputs.get("accounts") is not None:
            account_jobs = (pool.submit(inputs.positions, "activities", "account_id", "accounts"),
                            pool.submit(inputs.positions, "leads", "account_id", "accounts"))
        elif by_account:  # no accounts table: number the clocked leads' accounts here
            wanted = pd.Series(pd.unique(lead_table["account_id"].iloc[lead_idx].dropna()))
            account_jobs = (pool.submit(index_in, acts["account_id"], wanted),
                            pool.submit(index_in, lead_table["account_id"], wanted))
        on_lead = lead_job.result()
        rep_pos = None if rep_job is None else rep_job.result()
        act_account, lead_account = (account_jobs[0].result(), account_jobs[1].result()[lead_idx]) if by_account else (None, None)
    automated = acts["automated"].to_numpy(bool)

    def touches(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The touches of rows lo..hi (human, by a rep, not after as_of): (clocked lead, time) of those on a clocked
        lead at or after its start, and the positions of those on an account."""
        t = t_act[lo:hi]
        touch = ~automated[lo:hi] & (t != _NAT) & (t <= now_ns)
        if rep_pos is not None:
            touch &= rep_pos[lo:hi] >= 0
        lead = lead_rank[on_lead[lo:hi]]
        use = np.flatnonzero(touch & (lead >= 0))  # positions, then gathers: faster than boolean masks
        c, tt = lead[use], t[use]
        keep = tt >= s_clock[c]
        on_account = np.flatnonzero(touch & (act_account[lo:hi] >= 0)) + lo if act_account is not None else None
        return c[keep], tt[keep], on_account

    # one pass over a range of activities at a time, on every core: each activity's flags and look-ups once
    parts = in_ranges(len(acts), touches)
    c, t = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    # each clocked lead is its own key: a filtered minimum, no sort
    never = np.iinfo("int64").max
    first_ns = np.full(len(lead_idx), never, dtype="int64")
    np.minimum.at(first_ns, c, t)
    if act_account is not None and lead_account is not None:
        # several leads share an account: sort (account, time) once, then one search per lead (_first_after)
        use = np.concatenate([p[2] for p in parts])
        codes, t = act_account[use], t_act[use]
        if len(codes) and len(lead_idx):
            base = int(min(t.min(), s_clock.min()))  # nanoseconds since the earliest time: never negative
            n_codes = int(max(codes.max(), lead_account.max())) + 1
            on_account = _first_after(codes, t - base, lead_account, s_clock - base, n_codes)
            first_ns = np.where(on_account >= 0, np.minimum(first_ns, on_account + base), first_ns)
    touched = first_ns != never
    first_ns = np.where(touched, first_ns, _NAT)

    start_ts = lead_table[start].iloc[lead_idx].reset_index(drop=True)
    tz = inputs.timezone
    first_ts = pd.Series(pd.DatetimeIndex(first_ns.view("datetime64[ns]")).tz_localize("UTC").tz_convert(tz))
    now_series = pd.Series(pd.DatetimeIndex(np.full(len(lead_idx), now_ns).view("datetime64[ns]")).tz_localize("UTC").tz_convert(tz))
    if calendar is None:
        response = first_ts - start_ts
        elapsed = now_series - start_ts
    else:
        response = calendar.business_time(start_ts, first_ts)
        elapsed = calendar.business_time(start_ts, now_series)
    met = touched & (response <= window).to_numpy()
    breached = (touched & ~met) | (~touched & (elapsed > window).to_numpy())
    pending = ~touched & ~breached
    status = np.where(met, "met", np.where(breached, "breached", "pending"))
    hours = response.dt.total_seconds().to_numpy() / 3600

    return _Responses(inputs, lead_table, lead_idx, start_ts, first_ts, response, hours, touched, met, breached, pending, status,
                      window)


def _sla_sums(r: _Responses, by: str | None, freq: str | None) -> tuple[Cells, dict[str, Any]]:
    """response_sla's additive part: per cell, the leads on the clock, met, breached and pending, and (``values``)
    the response hours of those touched, which the median and p90 need."""
    labels = group_labels(r.inputs, r.leads.iloc[r.lead_idx].reset_index(drop=True), by)
    cells = Cells(r.start_ts, labels, freq, r.inputs.fiscal_year_start, by, len(r.lead_idx))
    everyone = np.ones(len(r.lead_idx), dtype=bool)
    sel = r.touched & (cells.cell >= 0)
    return cells, {"leads": cells.count(everyone), "met": cells.count(r.met), "breached": cells.count(r.breached),
                   "pending": cells.count(r.pending), "values": (cells.cell[sel], r.hours[sel])}


def _sla_finish(sums: dict[str, Any], size: int) -> dict[str, Any]:
    """response_sla's columns from its sums."""
    n_met, n_breached = sums["met"], sums["breached"]
    low, high = wilson_interval(n_met, n_met + n_breached)
    cell, hours = sums["values"][:2]
    q = group_quantiles(np.asarray(cell, dtype="int64"), np.asarray(hours, dtype=float), size, (0.5, 0.9))
    return {"leads": sums["leads"], "met": n_met, "breached": n_breached, "pending": sums["pending"],
            "compliance": ratio(n_met, n_met + n_breached), "compliance_low": low, "compliance_high": high,
            "median_response_hours": q[0.5], "p90_response_hours": q[0.9]}


def _response_sla_sums(data: SalesData | pd.DataFrame, *, activities: pd.DataFrame | None, start: str, within: Any,
                       calendar: BusinessCalendar | None, by: str | None, freq: str | None, as_of: Any, detail: bool,
                       reps: pd.DataFrame | None) -> tuple[Inputs, Cells, dict[str, Any]]:
    """:func:`response_sla` as a partial (:func:`salesmetrics.partial`)."""
    if detail:
        raise ValueError("partial('response_sla'): detail=True lists leads; it has no sums to combine.")
    r = _responses(data, activities=activities, start=start, within=within, calendar=calendar, as_of=as_of, reps=reps)
    cells, sums = _sla_sums(r, by, freq)
    return r.inputs, cells, sums


LOWER_IS_BETTER = {"logo_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate", "cac", "cac_payback_months",
                   "median_days", "sales_cycle_days", "median_response_hours", "p90_response_hours"}
"""Metrics where a value below target is good: attainment is target / actual for them."""


def _default_scope(metric: str, targets: pd.DataFrame) -> str:
    """The targets' scope for ``metric`` when none is given: "company" if set (or if the metric has no targets), else its only one."""
    have = sorted(targets.loc[targets["metric"].astype(str) == metric, "scope"].dropna().astype(str).unique().tolist())
    if not have or "company" in have:
        return "company"
    if len(have) == 1:
        return have[0]
    raise ValueError(f"the {metric!r} targets are set for several scopes, none of them 'company': {have}; pass scope= one of "
                     f"them (scope={have[0]!r}), or by='<column of actuals holding the scopes>'.")


def attainment(
    actuals: pd.DataFrame,
    targets: SalesData | pd.DataFrame,
    *,
    metric: str | None = None,
    value: str | None = None,
    scope: str | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Join a metric table to its targets by period, metric and scope, and compute attainment.

    Parameters
    ----------
    actuals : pandas.DataFrame
        Either a wide metric table with a ``period`` column (the output of
        :func:`~salesmetrics.win_rate`, :func:`~salesmetrics.response_sla`, ...)
        and ``metric`` naming the target metric, or a long table with ``period``,
        ``metric`` and ``value`` columns (and optionally ``scope``).
    targets : SalesData or pandas.DataFrame
    metric : str, optional
        The target metric for a wide table (e.g. "win_rate").
    value : str, optional
        The column holding the actual value; default: the column named like ``metric``.
    scope : str, optional
        The targets' scope when there is no ``by`` column (and, for a long table,
        no ``scope`` column). Default: "company" where the targets set the metric
        for the company, else the metric's one scope (the sample company sets its
        win-rate target for "New Business" only); a metric whose targets name
        several scopes, none of them "company", needs ``scope=`` or ``by=``
        (a ValueError names the scopes). The scope used is in ``attrs["scope"]``
        (for a long table, a dict from metric to scope).
    by : str, optional
        A column of ``actuals`` whose values are the scopes (a team, a rep_id).

    Returns
    -------
    pandas.DataFrame
        The actuals with ``target`` and ``attainment`` (actual / target, or target /
        actual for metrics where lower is better, e.g. churn); rows without a target
        keep NaN. Periods may be pandas Periods or labels such as "2025Q1"
        (a metric table read back from a CSV file).

    Examples
    --------
    >>> import pandas as pd
    >>> wr = pd.DataFrame({"period": pd.PeriodIndex(["2025Q1", "2025Q2"], freq="Q"), "win_rate": [0.24, 0.33]})
    >>> t = pd.DataFrame({"period": ["2025Q1", "2025Q2"], "metric": ["win_rate"] * 2, "target": [0.30, 0.30]})
    >>> attainment(wr, t, metric="win_rate")[["win_rate", "target", "attainment"]].round(2).values.tolist()
    [[0.24, 0.3, 0.8], [0.33, 0.3, 1.1]]

    The output of a metric function joins as it is. The sample company sets its
    win-rate targets (30% a quarter) for the "New Business" team, so that is the scope used:

    >>> import salesmetrics as sm
    >>> d = sm.load_sample()
    >>> a = attainment(sm.win_rate(d), d, metric="win_rate")
    >>> a.attrs["scope"], int(a["target"].notna().sum()), float(a["target"].iloc[0])
    ('New Business', 12, 0.3)
    """
    if isinstance(targets, pd.DataFrame):
        tgt = resolve(targets, "targets").require("targets", "attainment")
        fys = 1
    else:
        inputs = resolve(targets, "targets")
        tgt = inputs.require("targets", "attainment")
        fys = inputs.fiscal_year_start
    if "period" not in actuals.columns:
        raise ValueError("actuals need a 'period' column (call the metric function with freq='M', 'Q' or 'Y').")
    long = metric is None
    if long:
        if not {"metric", "value"} <= set(actuals.columns):
            raise ValueError("pass metric='...' for a wide metric table, or give actuals 'metric' and 'value' columns.")
        value = "value"
    else:
        value = value or metric
        if value not in actuals.columns:
            raise ValueError(f"actuals have no column {value!r}; pass value='<column>'.")
    keys = pd.DataFrame({
        "_period": [parse_period(p, fiscal_year_start=fys) for p in tgt["period"]],
        "_metric": tgt["metric"].to_numpy(),
        "_scope": tgt["scope"].to_numpy(),
        "target": tgt["target"].to_numpy(float),
    })
    keys["_key"] = keys["_period"].astype(str) + "|" + keys["_period"].map(lambda p: p.freqstr) + "|" + keys["_metric"] + "|" + keys["_scope"]
    out = actuals.copy()
    periods = pd.Series(out["period"])
    if not isinstance(periods.dtype, pd.PeriodDtype):  # labels such as "2025Q1": read them as the targets' are
        periods = pd.Series([parse_period(p, fiscal_year_start=fys) for p in periods], index=out.index, dtype=object)
    metrics = out["metric"] if long else pd.Series(metric, index=out.index)
    if by is not None:
        scopes = out[by].astype(str)
    elif "scope" in out.columns and long:
        scopes = out["scope"].astype(str)
    elif scope is not None:
        scopes = pd.Series(scope, index=out.index)
        out.attrs["scope"] = scope
    else:
        chosen = {m: _default_scope(str(m), tgt) for m in pd.unique(metrics)}
        scopes = metrics.map(chosen).astype(str)
        out.attrs["scope"] = chosen[metric] if not long else chosen
    key = periods.astype(str) + "|" + periods.map(lambda p: p.freqstr) + "|" + metrics.astype(str) + "|" + scopes
    lookup = keys.drop_duplicates("_key").set_index("_key")["target"]
    out["target"] = lookup.reindex(key.to_numpy()).to_numpy()
    actual = out[value].to_numpy(float)
    lower = metrics.isin(list(LOWER_IS_BETTER)).to_numpy()
    out["attainment"] = np.where(lower, ratio(out["target"], actual), ratio(actual, out["target"]))
    return out


def _rule_frame(leads: SalesData | pd.DataFrame) -> pd.DataFrame:
    """The leads a rule is evaluated on: with a SalesData, account columns the leads lack are joined in."""
    if isinstance(leads, pd.DataFrame):
        return leads.copy()
    inputs = resolve(leads, "leads")
    frame = inputs.require("leads", "qualify").copy()
    accounts = inputs.get("accounts")
    if accounts is not None and "account_id" in frame.columns:
        extra = [c for c in accounts.columns if c not in frame.columns]
        if extra:
            lookup = accounts.drop_duplicates("account_id").set_index("account_id")[extra]
            joined = lookup.reindex(frame["account_id"])
            for c in extra:
                frame[c] = joined[c].to_numpy()
    return frame


@data_first("data")
def compare_definitions(
    data: SalesData,
    /,
    current: Rule | None,
    proposed: Rule,
    *,
    stage: str = "mql_at",
    outcome: str = "won_at",
    start: Any = None,
    end: Any = None,
    as_of: Any = None,
    role: str = "SDR",
) -> pd.DataFrame:
    """Compare two definitions of a funnel stage: leads qualified, outcomes captured and lost, precision, recall, workload.

    Under a definition, a lead that fails it has *not reached that stage or any later one*, whatever
    happened in reality (docs/metrics.md, "Lead definitions"): a won lead that fails a stricter MQL rule is a
    win the rule would have lost, not a win of its MQLs. Per definition:

    - ``qualified``: leads that meet it;
    - ``outcomes``: those of them that reached ``outcome`` (e.g. won) by ``as_of``; ``all_outcomes`` counts
      every lead that did, and ``outcomes_lost`` = all_outcomes − outcomes;
    - ``precision`` = outcomes / qualified and ``recall`` = outcomes / all_outcomes, each with a 95%
      Wilson interval;
    - ``per_rep_week``: qualified leads per ``role`` rep (average headcount over the leads' period) per
      week: the workload the definition implies.

    Leads are those created from ``start`` to ``end`` (default: the first lead to the last one created
    by ``as_of``); the workload is spread over the same span. Recent leads
    have had less time to reach the outcome under both definitions alike; choose ``end`` a sales cycle
    before ``as_of`` to compare mature cohorts.

    Parameters
    ----------
    data : SalesData
        With leads (and opportunities, for wins); reps with ``role`` for the workload.
    current, proposed : rule or None
        Declarative rules as in :func:`qualify`; ``None`` means the definition in force, read from
        the data (a lead qualified if it has ``stage`` or any later stage's time stamp).
    stage : str, default "mql_at"
        The stage being defined (a column of :func:`~salesmetrics.lead_journeys`).
    outcome : str, default "won_at"
    start, end : date-like, optional
        Leads created in [start, end].
    as_of : date-like, optional
        Default: the bundle's. Nothing after it counts (leads created later, outcomes reached later).
    role : str, default "SDR"
        The reps who work the qualified leads.

    Returns
    -------
    pandas.DataFrame
        One row per definition (``current``, ``proposed``): ``definition``, ``qualified``, ``outcomes``,
        ``all_outcomes``, ``outcomes_lost``, ``precision``, ``precision_low``, ``precision_high``,
        ``recall``, ``recall_low``, ``recall_high``, ``reps``, ``weeks``, ``per_rep_week``.
        ``attrs["workload"]`` says how the headcount was measured, or why it could not be.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> data = sm.load_sample()
    >>> strict = {"all": [{"column": "score", "op": ">=", "value": 60},
    ...                   {"column": "segment", "in": ["Mid-Market", "Enterprise"]}]}
    >>> c = compare_definitions(data, None, strict)
    >>> bool(c.loc[1, "precision"] > c.loc[0, "precision"]), bool(c.loc[1, "recall"] < c.loc[0, "recall"])
    (True, True)
    """
    from .funnels import LEAD_STAGES, lead_journeys

    if stage not in LEAD_STAGES or outcome not in LEAD_STAGES or LEAD_STAGES.index(outcome) <= LEAD_STAGES.index(stage):
        raise ValueError(f"stage and outcome must be lead stages in funnel order {LEAD_STAGES}, the outcome after the "
                         f"stage; got stage={stage!r}, outcome={outcome!r}.")
    inputs = resolve(data, "leads")
    journeys = lead_journeys(data)
    if (current is None or proposed is None) and stage in journeys.attrs.get(SETTINGS_ATTR, {}).get("absent", ()):
        raise MissingDataError(f"compare_definitions: the leads export has no {stage} column, so the definition in force "
                         f"cannot be read from the data; pass it as a rule instead of None.")
    now = inputs.as_of_timestamp(as_of)
    created = journeys["created_at"]
    lo = created.min() if start is None else inputs.as_of_timestamp(start)
    hi = min(created[created <= now].max(), now) if end is None else min(inputs.as_of_timestamp(end), now)
    chosen = ((created >= lo) & (created <= hi)).to_numpy()
    by_then = {s: (journeys[s].notna() & (journeys[s] <= now)).to_numpy() for s in LEAD_STAGES}
    later = LEAD_STAGES[LEAD_STAGES.index(stage):]
    reached_stage = np.logical_or.reduce([by_then[s] for s in later])
    won = by_then[outcome] & chosen
    frame = _rule_frame(data)
    # journeys and leads are in the same order (lead_journeys keeps the leads' rows)
    rows = []
    for name, rule in (("current", current), ("proposed", proposed)):
        meets = reached_stage if rule is None else _evaluate(frame, rule).to_numpy()
        qualified = chosen & meets
        rows.append({"definition": name, "qualified": int(qualified.sum()), "outcomes": int((qualified & won).sum()),
                     "all_outcomes": int(won.sum())})
    out = pd.DataFrame(rows)
    out["outcomes_lost"] = out["all_outcomes"] - out["outcomes"]
    out["precision"] = ratio(out["outcomes"], out["qualified"])
    out["precision_low"], out["precision_high"] = wilson_interval(out["outcomes"], out["qualified"])
    out["recall"] = ratio(out["outcomes"], out["all_outcomes"])
    out["recall_low"], out["recall_high"] = wilson_interval(out["outcomes"], out["all_outcomes"])
    weeks = max((hi - lo) / pd.Timedelta(days=7), 0.0) if chosen.any() else np.nan
    reps = inputs.get("reps")
    if reps is None or not inputs.has_column("reps", "role"):
        headcount, basis = np.nan, f"not measured: the reps table {'is missing' if reps is None else 'has no role column'}"
    else:
        # average headcount over [lo, hi]: each rep's days in post (and, with assignments, in the role) inside the
        # period / the period's days; a rep without assignments counts in reps.role
        start_ns, stop_ns = pd.Timestamp(lo).value, pd.Timestamp(hi).value
        plan = inputs.get("assignments") if inputs.has_column("assignments", "role") else None
        planned = reps["rep_id"].isin(plan["rep_id"]).to_numpy() if plan is not None else np.zeros(len(reps), bool)
        mine = reps[(reps["role"] == role).to_numpy() & ~planned]
        spans = [(mine, np.full(len(mine), start_ns), np.full(len(mine), stop_ns))]
        if plan is not None:
            held = plan[plan["role"] == role]
            own = reps.iloc[index_in(held["rep_id"], reps["rep_id"])]  # validation: every assignment's rep is in reps
            local = pd.DatetimeIndex(held["start_date"]).tz_localize(inputs.timezone)
            until = pd.DatetimeIndex(held["end_date"]).tz_localize(inputs.timezone)
            spans.append((own, local.as_unit("ns").asi8, np.where(until.isna(), stop_ns, until.as_unit("ns").asi8)))
        days = 0.0
        for who, first, last in spans:
            hired = _ns(who["hired_at"]) if inputs.has_column("reps", "hired_at") else np.full(len(who), _NAT)
            left = _ns(who["terminated_at"]) if inputs.has_column("reps", "terminated_at") else np.full(len(who), _NAT)
            begin = np.maximum.reduce([np.where(hired == _NAT, start_ns, hired), first, np.full(len(who), start_ns)])
            stop = np.minimum.reduce([np.where(left == _NAT, stop_ns, left), last, np.full(len(who), stop_ns)])
            days += float(np.clip(stop - begin, 0, None).sum() / 86_400e9)
        n_reps = len(mine) + (int(plan.loc[plan["role"] == role, "rep_id"].nunique()) if plan is not None else 0)
        span = (hi - lo).total_seconds() / 86_400
        headcount = float(days / span) if span > 0 else float(n_reps)
        missing = [c for c in ("hired_at", "terminated_at") if not inputs.has_column("reps", c)]
        basis = (f"average {role} headcount {headcount:.1f} over {lo:%Y-%m-%d} – {hi:%Y-%m-%d}"
                 + (" (by the role each rep held, from the assignments)" if plan is not None else "")
                 + (f" (the reps table has no {' or '.join(missing)}: every {role} counted for the whole period)" if missing else ""))
        if n_reps == 0:
            roles = pd.concat([reps["role"]] + ([plan["role"]] if plan is not None else [])).dropna().unique().tolist()
            headcount, basis = np.nan, f"not measured: no rep has role {role!r}; roles are {sorted(roles)}"
    out["reps"] = headcount
    out["weeks"] = weeks
    out["per_rep_week"] = ratio(out["qualified"], np.asarray(weeks) * headcount) if np.isfinite(headcount) else np.nan
    out.attrs.update(stage=stage, outcome=outcome, as_of=now, start=lo, end=hi, workload=basis)
    return out
