"""Sign 3, unclear roles: :func:`role_clarity`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import data_first
from ..data import Inputs, resolve
from ..formatting import format_p, label, shorten
from ..i18n import text
from ..periods import freq_alias
from ..stats import proportion_drop_p, ratio
from ._common import (
    _OPEN_LEAD_DAYS,
    Assessment,
    _all_time,
    _finding,
    _findings,
    _not_assessed,
    _ordinals,
    _periods,
    _require_columns,
    _sign_name,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData
    from ..org import OrgDesign


_STAGE_LANES = {
    "created_at": ("lead",), "mql_at": ("lead",), "sql_at": ("lead", "prospect"),
    "opportunity_created_at": ("new_business", "prospect"), "won_at": ("new_business", "prospect"),
    "expansion": ("expansion", "customer"), "renewal": ("renewal", "customer"), "retention": ("customer",),
}
"""Funnel stage owned by a role → the kinds of work it covers (the 'lanes' of activities)."""


def _lanes(inputs: Inputs, acts: pd.DataFrame) -> np.ndarray:
    """Each activity's lane: lead, new_business, expansion, renewal (by the deal's type), customer or prospect."""
    lane = np.full(len(acts), "prospect", dtype=object)
    opps = inputs.get("opportunities")
    has_opp = acts["opportunity_id"].notna().to_numpy()
    if opps is not None and has_opp.any():
        pos = inputs.positions("activities", "opportunity_id", "opportunities")
        kind = opps["type"].fillna("new_business").to_numpy(object) if "type" in opps.columns else np.full(len(opps), "new_business", object)
        ok = has_opp & (pos >= 0)
        lane[ok] = kind[pos[ok]]
    on_lead = ~has_opp & acts["lead_id"].notna().to_numpy()
    lane[on_lead] = "lead"
    account_only = ~has_opp & ~on_lead & acts["account_id"].notna().to_numpy()
    subs = inputs.get("subscriptions")
    if subs is not None and account_only.any():
        paid = subs[subs["amount"] > 0]
        first = paid.groupby("account_id")["start_date"].min()
        when = acts.loc[account_only, "occurred_at"].dt.tz_localize(None).to_numpy("datetime64[ns]")
        began = first.reindex(acts.loc[account_only, "account_id"]).to_numpy("datetime64[ns]")
        customer = ~np.isnat(began) & (began <= when)
        idx = np.flatnonzero(account_only)
        lane[idx[customer]] = "customer"
    return lane


_COLUMNS = ["period", "scope_type", "scope", "metric", "value", "numerator", "denominator"]
"""The columns of :func:`role_clarity`'s table."""


@data_first("data")
def role_clarity(
    data: SalesData,
    /,
    *,
    org: str | OrgDesign = "process",
    freq: str | None = "Q",
    as_of: Any = None,
    recent_periods: int = 2,
    baseline_periods: int = 4,
    min_share: float = 0.03,
    min_ratio: float = 2.0,
    alpha: float = 0.001,
    lang: str = "en",
) -> Assessment:
    """Who works in whose lane: out-of-lane share per role, overlap, orphaned work and handoff latency.

    Each activity falls in a lane — lead, prospect, new_business, expansion, renewal or customer — and
    the org design's role → stages map says which lanes each role owns (an AE owns new business, an AM
    expansion and renewal). Out-of-lane share = a role's activities in lanes it does not own / all its
    activities. A role is flagged when its share over the last ``recent_periods`` is at least
    ``min_share``, at least ``min_ratio`` times its own share over the ``baseline_periods`` before, and
    the rise is significant (two-proportion z-test at ``alpha``). The finding's scope names the role
    and the owners of the lanes it entered (``"AM,AE"``); two roles in each other's lanes are one
    finding, critical.

    Needs ``reps.role`` with values (a ValueError names the column and the fix otherwise; :func:`diagnose`
    reports the sign as not assessed). When no one whose role the design gives lanes to worked in the
    window (roles named otherwise, say), an ``info`` finding says so: pass an :class:`OrgDesign` that
    names your roles. Without ``reps.terminated_at`` every rep counts as active for the orphan rate.

    Parameters
    ----------
    data : SalesData
        The bundle; the tables this sign needs are named above.
    org : {"process", "functional", "assigned"} or OrgDesign, default "process"
        The design whose role → lanes map says who owns which work ("assigned": the design in force at
        ``as_of``, from the assignments, see :meth:`~salesmetrics.OrgDesign.at`).
    freq : {"Q", "M", "Y"} or None, default "Q"
        The periods compared: months, quarters or (fiscal) years. None: all time — not assessed, since
        the sign compares periods (one ``info`` finding, metric "not_assessed", says so; the table has
        its usual columns and no rows).
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts, and only periods complete by then are compared.
    recent_periods : int, default 2
        Complete periods whose out-of-lane share is assessed.
    baseline_periods : int, default 4
        Periods before them that the share is compared with.
    min_share : float, default 0.03
        The lowest recent out-of-lane share that is flagged.
    min_ratio : float, default 2.0
        How many times its own baseline share a role's recent share must be.
    alpha : float, default 0.001
        Significance level of the two-proportion z-test.
    lang : {"en", "ko"}, default "en"
        Language of the evidence and recommendations (the same findings in every language).

    Returns
    -------
    Assessment
        ``table``: long format, ``period``, ``scope_type``, ``scope``, ``metric``, ``value``,
        ``numerator``, ``denominator`` with metrics ``out_of_lane_share`` (per role),
        ``overlap_rate`` (deals worked by two or more reps of the same role, per role), and at company
        level ``orphan_rate`` (open leads and deals whose owner has left or is missing) and
        ``handoff_hours`` (median hours from SQL to the first AE touch).

    Examples
    --------
    >>> import salesmetrics as sm
    >>> table, findings = sm.role_clarity(sm.load_sample())
    >>> findings["scope"].tolist()
    ['AM,AE']
    """
    from ..org import _design

    inputs = resolve(data, "activities")
    acts = inputs.require("activities", "role_clarity")
    reps = inputs.require("reps", "role_clarity")
    _require_columns(inputs, "unclear_roles", "role_clarity")
    design = _design(org, data, as_of)
    if freq is None:  # all time is one period: no recent share to compare with a baseline
        return _all_time("unclear_roles", "role_clarity", _COLUMNS, lang, org=design.name)
    now, last = _periods(inputs, as_of, freq)
    alias = freq_alias(freq, inputs.fiscal_year_start)
    owned = {role: {lane for st in stages for lane in _STAGE_LANES.get(st, ())} for role, stages in design.role_stages().items()}
    owners_of: dict[str, list[str]] = {}
    for owner, owner_lanes in owned.items():
        for one in owner_lanes:
            owners_of.setdefault(one, []).append(owner)
    human = ~acts["automated"].to_numpy(bool) & (acts["occurred_at"] <= now).to_numpy()
    if inputs.has_column("assignments", "role"):  # the role each owner held when the work was done
        from ..data import group_labels
        from ..data._lookups import NO_GROUP

        held = group_labels(inputs, acts, "role", at=acts["occurred_at"])
        assert held is not None
        role = held.astype(object).to_numpy().copy()
        role[np.isin(role.astype(str), list(NO_GROUP))] = None
    else:
        rep_pos = inputs.positions("activities", "owner_id", "reps")
        role = np.full(len(acts), None, dtype=object)
        known = rep_pos >= 0
        role[known] = reps["role"].to_numpy(object)[rep_pos[known]]
    lane = _lanes(inputs, acts)
    period = _ordinals(acts["occurred_at"], inputs, freq)
    first = last.ordinal - recent_periods - baseline_periods + 1
    rows: list[tuple[Any, ...]] = []
    findings: list[dict[str, Any]] = []
    intrusions: dict[str, tuple[float, float, float, list[str], list[str]]] = {}
    for r, lanes in owned.items():
        if not lanes:
            continue
        m = human & (role == r) & (period >= first) & (period <= last.ordinal)
        out = m & ~np.isin(lane, list(lanes))
        per_n = np.bincount(period[m] - first, minlength=recent_periods + baseline_periods)
        per_x = np.bincount(period[out] - first, minlength=recent_periods + baseline_periods)
        for i in range(len(per_n)):
            rows.append((pd.Period(ordinal=first + i, freq=alias), "role", r, "out_of_lane_share", ratio(per_x[i], per_n[i]).item(),
                         int(per_x[i]), int(per_n[i])))
        xb, nb = per_x[:baseline_periods].sum(), per_n[:baseline_periods].sum()
        xr, nr = per_x[baseline_periods:].sum(), per_n[baseline_periods:].sum()
        share_r, share_b = ratio(xr, nr).item(), ratio(xb, nb).item()
        p = proportion_drop_p(xb, nb, xr, nr)  # the baseline share lower than the recent one
        if nr > 0 and share_r >= min_share and (nb == 0 or share_r >= min_ratio * share_b) and p < alpha:
            recent_lanes = pd.Series(lane[out & (period > last.ordinal - recent_periods)]).value_counts()
            into = [o for ln in recent_lanes.index for o in owners_of.get(ln, []) if o != r]
            into = list(dict.fromkeys(into)) or ["(no owner)"]
            intrusions[r] = (share_r, share_b, p, into, [str(x) for x in recent_lanes.index[:2]])
    laned = [r for r, lanes in owned.items() if lanes]
    if not (human & np.isin(role, laned) & (period >= first) & (period <= last.ordinal)).any():
        # nobody whose role the design gives lanes to worked in the window: out-of-lane work cannot be measured
        here = [shorten(r, 24) for r in sorted(map(str, pd.unique(reps["role"].dropna())))]
        why = text("why.roles.lanes", lang, window=f"{pd.Period(ordinal=first, freq=alias)}–{last}", org=design.name,
                   roles=", ".join(laned), here=", ".join(here[:6]) + (", …" if len(here) > 6 else "") or "–")
        findings.append(_not_assessed("unclear_roles", text("ev.not_assessed_data", lang, sign=_sign_name("unclear_roles", lang), why=why),
                                      lang, "insufficient_data"))
    done: set[str] = set()
    for r, (share_r, share_b, p, into, lanes_in) in sorted(intrusions.items(), key=lambda kv: -kv[1][0]):
        if r in done:
            continue
        mutual = [o for o in into if o in intrusions and r in intrusions[o][3]]
        scope = ",".join([r, *into[:1]]) if not mutual else ",".join([r, mutual[0]])
        done.update([r, *mutual])
        evidence = text("ev.roles", lang, role=r, share=f"{share_r:.0%}", lanes=", ".join(label("lane", x, lang) for x in lanes_in),
                        window=f"{last - recent_periods + 1}–{last}", before=f"{share_b:.0%}", p=format_p(p))
        if mutual:
            o = mutual[0]
            evidence += text("ev.roles.mutual", lang, other=o, other_share=f"{intrusions[o][0]:.0%}", other_before=f"{intrusions[o][1]:.0%}")
        else:
            owners = [text("ev.no_owner", lang) if o == "(no owner)" else o for o in into[:2]]
            evidence += text("ev.roles.single", lang, owners=", ".join(owners))
        findings.append(_finding("unclear_roles", "critical" if mutual else "warning", "role", scope, "out_of_lane_share",
                                 share_r, share_b, last, evidence, lang))
    rows += _overlap_rows(inputs, acts, role, human, period, first, last, alias)
    rows += _orphan_rows(inputs, reps, role, now, last)
    table = pd.DataFrame(rows, columns=_COLUMNS)
    table.attrs.update(org=design.name, freq=freq)
    return Assessment(table, _findings(findings))


def _overlap_rows(inputs: Inputs, acts: pd.DataFrame, role: np.ndarray, human: np.ndarray, period: np.ndarray, first: int,
                  last: pd.Period, alias: str) -> list[tuple[Any, ...]]:
    """Per role and period: deals worked by two or more reps of that role / deals it worked."""
    m = human & acts["opportunity_id"].notna().to_numpy() & (period >= first) & (period <= last.ordinal) & (role != None)  # noqa: E711
    frame = pd.DataFrame({"p": period[m], "role": role[m], "deal": acts["opportunity_id"].to_numpy(object)[m],
                          "rep": acts["owner_id"].to_numpy(object)[m]})
    reps_per = frame.drop_duplicates().groupby(["p", "role", "deal"]).size()
    shared = (reps_per >= 2).groupby(level=["p", "role"]).agg(["sum", "size"])
    p_level, r_level = shared.index.get_level_values(0), shared.index.get_level_values(1)
    return [(pd.Period(ordinal=int(p), freq=alias), "role", str(r), "overlap_rate", ratio(s, n).item(), int(s), int(n))
            for p, r, s, n in zip(p_level, r_level, shared["sum"], shared["size"], strict=True)]


def _orphan_rows(inputs: Inputs, reps: pd.DataFrame, role: np.ndarray, now: pd.Timestamp, last: pd.Period) -> list[tuple[Any, ...]]:
    """Open work owned by no active rep, and the hand-off latency: SQL to an AE's first touch, where ``role`` is
    the role each activity's owner held when it happened (see :func:`role_clarity`)."""
    rows: list[tuple[Any, ...]] = []
    active = set(reps.loc[reps["terminated_at"].isna() | (reps["terminated_at"] > now), "rep_id"])
    leads, opps = inputs.get("leads"), inputs.get("opportunities")
    n_open = n_orphan = 0
    if leads is not None:
        open_lead = (leads["opportunity_id"].isna() & leads["disqualified_at"].isna() & (leads["created_at"] <= now)
                     & (leads["created_at"] > now - pd.Timedelta(days=_OPEN_LEAD_DAYS)))
        n_open += int(open_lead.sum())
        n_orphan += int((open_lead & ~leads["owner_id"].isin(list(active))).sum())
    if opps is not None:
        open_deal = (opps["created_at"] <= now) & ((opps["status"] == "open") | (opps["closed_at"] > now))
        n_open += int(open_deal.sum())
        n_orphan += int((open_deal & ~opps["owner_id"].isin(list(active))).sum())
    rows.append((last, "company", "company", "orphan_rate", ratio(n_orphan, n_open).item(), n_orphan, n_open))
    acts = inputs.get("activities")
    if leads is not None and acts is not None and opps is not None:
        sql = leads.dropna(subset=["sql_at", "opportunity_id"])
        sql = sql[sql["sql_at"] <= now]  # nothing after as_of counts
        touches = acts[(role == "AE") & acts["opportunity_id"].isin(sql["opportunity_id"]).to_numpy()
                       & (acts["occurred_at"] <= now).to_numpy()]
        first_touch = touches.groupby("opportunity_id")["occurred_at"].min()
        hours = (first_touch.reindex(sql["opportunity_id"]).to_numpy() - sql["sql_at"].to_numpy()) / pd.Timedelta(hours=1)
        hours = hours[~np.isnan(hours.astype(float))].astype(float)
        rows.append((last, "company", "company", "handoff_hours", float(np.median(hours)) if len(hours) else np.nan,
                     np.nan, len(hours)))
    return rows
