"""The marketing–sales SLA: lead definitions as data, response-time compliance, targets and attainment.

Definitions follow METRICS.md ("Lead funnel and SLA"):

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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .data import index_in, resolve
from .errors import DefinitionWarning
from .periods import BusinessCalendar, parse_period
from .pipeline import _NAT, Cells, _ns, group_labels
from .stats import group_quantiles, ratio, wilson_interval

if TYPE_CHECKING:  # pragma: no cover
    from .data import SalesData

__all__ = ["attainment", "qualify", "response_sla"]

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
            return result.fillna(False).astype(bool) & (series.notna() | (op == "isna"))
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
    does not meet it gets no time stamp. Compare funnels under today's and a
    proposed definition by running :func:`~salesmetrics.funnel` on both.

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
    if isinstance(leads, pd.DataFrame):
        frame = leads.copy()
    else:
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
    if at not in frame.columns:
        raise ValueError(f"at={at!r} is not a column of the leads.")
    meets = _evaluate(frame, rule).to_numpy()
    current = frame[stage] if stage in frame.columns else pd.Series(pd.NaT, index=frame.index, dtype=frame[at].dtype)
    frame[stage] = current.where(current.notna(), frame[at]).where(meets)
    frame.attrs["qualified"] = int(meets.sum())
    return frame


_SHIFT = 32  # codes in the high bits, seconds since the earliest touch in the low 32 bits (136 years)


def _first_after(sorted_keys: np.ndarray, query_code: np.ndarray, query_time: np.ndarray) -> np.ndarray:
    """For each query, the earliest time >= query_time among keys with the same code (seconds; -1 if none).

    ``sorted_keys`` are ``code << 32 | seconds``, sorted: one int64 sort and one searchsorted, no per-row Python.
    """
    out = np.full(len(query_code), -1, dtype="int64")
    if not len(sorted_keys) or not len(query_code):
        return out
    query = (query_code.astype("int64") << _SHIFT) + np.maximum(query_time, 0)
    order = np.argsort(query)  # sorted queries walk the keys in order: far fewer cache misses
    pos = np.empty(len(query), dtype="int64")
    pos[order] = np.searchsorted(sorted_keys, query[order], side="left")
    ok = (query_code >= 0) & (pos < len(sorted_keys))
    found = sorted_keys[np.where(ok, pos, 0)]
    ok &= (found >> _SHIFT) == query_code
    out[ok] = found[ok] & ((1 << _SHIFT) - 1)
    return out


def response_sla(
    leads: SalesData | pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    start: str = "mql_at",
    within: Any = "24h",
    calendar: BusinessCalendar | None = None,
    by: str | None = None,
    freq: str | None = None,
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

    Parameters
    ----------
    leads : SalesData or pandas.DataFrame
        A bundle (leads, activities, reps), or a leads table with ``activities=``.
    within : str or Timedelta, default "24h"
    calendar : BusinessCalendar, optional
    by : str, optional
        A column of leads or of accounts (source, owner_id, segment, ...).
    freq : {"M", "Q", "Y"} or None
        Period of the SLA start; None gives one row.
    detail : bool, default False
        Return one row per lead instead of the aggregate.

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
    >>> d = response_sla(leads, acts, reps=reps, calendar=cal, detail=True, as_of="2025-06-20")
    >>> d[["response_hours", "status"]].round(3).values.tolist()
    [[0.833, 'met']]
    """
    if isinstance(leads, pd.DataFrame):
        inputs = resolve(leads, "leads", activities=activities, reps=reps)
    else:
        inputs = resolve(leads, "leads", activities=activities, reps=reps)
    lead_table = inputs.require("leads", "response_sla")
    acts = inputs.require("activities", "response_sla")
    rep_table = inputs.get("reps")
    if start not in lead_table.columns:
        raise ValueError(f"start={start!r} is not a column of leads.")
    window = pd.Timedelta(within)
    now = inputs.as_of_timestamp(as_of)
    now_ns = now.value

    # leads on the clock
    s_ns = _ns(lead_table[start])
    on_clock = (s_ns != _NAT) & (s_ns <= now_ns)
    lead_idx = np.flatnonzero(on_clock)
    t_act = _ns(acts["occurred_at"])
    valid = t_act != _NAT
    base = int(min(t_act[valid].min(), s_ns[lead_idx].min())) if valid.any() and len(lead_idx) else 0
    sec_act = (t_act - base) // 1_000_000_000
    s_sec = (s_ns[lead_idx] - base + 999_999_999) // 1_000_000_000  # touches at or after the start (to the second)
    if rep_table is None:
        warnings.warn("response_sla: no reps table, so every activity owner counts as a rep; pass reps= to leave "
                      "non-reps out.", DefinitionWarning, stacklevel=2)
    # Which lead (or account) each activity is on: the look-ups the bundle's reference checks already did
    # (Inputs.positions), so on a validated SalesData no id is hashed again; bare frames hash here, once.
    lead_rank = np.full(len(lead_table), -1, dtype="int64")
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
        on_lead_pos = lead_job.result()
        is_rep = np.ones(len(acts), dtype=bool) if rep_job is None else rep_job.result() >= 0
        act_account, lead_account = (account_jobs[0].result(), account_jobs[1].result()[lead_idx]) if by_account else (None, None)
    lead_codes = np.where(on_lead_pos >= 0, lead_rank[on_lead_pos], -1)
    touch = ~acts["automated"].to_numpy(bool) & valid & (t_act <= now_ns) & is_rep  # human, by a rep, not after as_of

    # each clocked lead is its own key: a filtered minimum, no sort
    use = touch & (lead_codes >= 0)
    c, t = lead_codes[use], sec_act[use]
    keep = t >= s_sec[c]
    first = np.full(len(lead_idx), np.iinfo("int64").max, dtype="int64")
    np.minimum.at(first, c[keep], t[keep])
    both = np.where(first == np.iinfo("int64").max, -1, first)
    if act_account is not None and lead_account is not None:
        # several leads share an account: sort (account, time) once, then one search per lead
        use = touch & (act_account >= 0)
        keys = (act_account[use].astype("int64") << _SHIFT) + sec_act[use]
        keys.sort()
        on_account = _first_after(keys, lead_account.astype("int64"), s_sec)
        both = np.where(both < 0, on_account, np.where(on_account < 0, both, np.minimum(both, on_account)))
    touched = both >= 0
    first_ns = np.where(touched, both * 1_000_000_000 + base, _NAT)

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

    if detail:
        out = pd.DataFrame({"lead_id": lead_table["lead_id"].iloc[lead_idx].to_numpy(), start: start_ts,
                            "first_touch_at": first_ts, "response": response, "response_hours": hours, "status": status})
        if by is not None:
            labels = group_labels(inputs, lead_table, by)
            assert labels is not None
            out.insert(1, by, labels.iloc[lead_idx].to_numpy())
        out.attrs.update(within=str(window), calendar=repr(calendar) if calendar else "wall-clock")
        return out

    labels = group_labels(inputs, lead_table.iloc[lead_idx].reset_index(drop=True), by)
    cells = Cells(start_ts, labels, freq, inputs.fiscal_year_start, by, len(lead_idx))
    everyone = np.ones(len(lead_idx), dtype=bool)
    n, n_met, n_breached, n_pending = cells.count(everyone), cells.count(met), cells.count(breached), cells.count(pending)
    low, high = wilson_interval(n_met, n_met + n_breached)
    sel = touched & (cells.cell >= 0)
    q = group_quantiles(cells.cell[sel], hours[sel], cells.size, (0.5, 0.9))
    out = cells.frame({"leads": n, "met": n_met, "breached": n_breached, "pending": n_pending,
                       "compliance": ratio(n_met, n_met + n_breached), "compliance_low": low, "compliance_high": high,
                       "median_response_hours": q[0.5], "p90_response_hours": q[0.9]})
    out.attrs.update(within=str(window), calendar=repr(calendar) if calendar else "wall-clock", freq=freq)
    return out


LOWER_IS_BETTER = {"logo_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate", "cac", "cac_payback_months",
                   "median_days", "sales_cycle_days", "median_response_hours", "p90_response_hours"}
"""Metrics where a value below target is good: attainment is target / actual for them."""


def attainment(
    actuals: pd.DataFrame,
    targets: SalesData | pd.DataFrame,
    *,
    metric: str | None = None,
    value: str | None = None,
    scope: str = "company",
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
    scope : str, default "company"
        The targets' scope when the table has no ``by`` column.
    by : str, optional
        A column of ``actuals`` whose values are the scopes (a team, a rep_id).

    Returns
    -------
    pandas.DataFrame
        The actuals with ``target`` and ``attainment`` (actual / target, or target /
        actual for metrics where lower is better, e.g. churn); rows without a target
        keep NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> wr = pd.DataFrame({"period": pd.PeriodIndex(["2025Q1", "2025Q2"], freq="Q"), "win_rate": [0.24, 0.33]})
    >>> t = pd.DataFrame({"period": ["2025Q1", "2025Q2"], "metric": ["win_rate"] * 2, "target": [0.30, 0.30]})
    >>> attainment(wr, t, metric="win_rate")[["win_rate", "target", "attainment"]].round(2).values.tolist()
    [[0.24, 0.3, 0.8], [0.33, 0.3, 1.1]]
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
    metrics = out["metric"] if long else pd.Series(metric, index=out.index)
    if by is not None:
        scopes = out[by].astype(str)
    elif "scope" in out.columns and long:
        scopes = out["scope"].astype(str)
    else:
        scopes = pd.Series(scope, index=out.index)
    key = periods.astype(str) + "|" + periods.map(lambda p: p.freqstr) + "|" + metrics.astype(str) + "|" + scopes
    lookup = keys.drop_duplicates("_key").set_index("_key")["target"]
    out["target"] = lookup.reindex(key.to_numpy()).to_numpy()
    actual = out[value].to_numpy(float)
    lower = metrics.isin(list(LOWER_IS_BETTER)).to_numpy()
    out["attainment"] = np.where(lower, ratio(out["target"], actual), ratio(actual, out["target"]))
    return out
