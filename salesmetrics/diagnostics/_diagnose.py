"""All five signs at once: :func:`diagnose`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._api import data_first
from .._signs import SIGNS
from ..data import Inputs, can_group, group_labels, resolve
from ..i18n import text
from ._common import (
    Assessment,
    _column_gaps,
    _findings,
    _gap_sentence,
    _not_assessed,
    _sign_name,
)
from ._customer_satisfaction import customer_satisfaction
from ._declining_sales import sales_decline
from ._market_response import market_response
from ._rep_turnover import rep_turnover
from ._unclear_roles import role_clarity

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData
    from ..org import OrgDesign


_PARTS: dict[str, tuple[Callable[..., Assessment], tuple[str, ...]]] = {
    "declining_sales": (sales_decline, ("opportunities",)),
    "rep_turnover": (rep_turnover, ("reps",)),
    "unclear_roles": (role_clarity, ("activities", "reps")),
    "market_response": (market_response, ("leads",)),
    "customer_satisfaction": (customer_satisfaction, ("surveys",)),
}


@data_first("data")
def diagnose(
    data: SalesData,
    /,
    *,
    as_of: Any = None,
    freq: str | None = "Q",
    org: str | OrgDesign = "process",
    thresholds: Mapping[str, Mapping[str, Any]] | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Do we need to reorganise, and where? The five signs, each with evidence and a recommendation.

    Runs :func:`sales_decline`, :func:`rep_turnover`, :func:`role_clarity`, :func:`market_response` and
    :func:`customer_satisfaction` with their documented defaults, or with ``thresholds`` per sign
    (``{"rep_turnover": {"min_rate": 0.3}}``: any keyword of that function).

    Every sign is accounted for: a sign with a ``warning`` or ``critical`` row was found; a sign that
    could not be assessed has an ``info`` row (``metric`` "not_assessed" when a table or a column it
    needs is missing — rep turnover without ``reps.terminated_at`` is unknown, not 0% — or
    "insufficient_data" when the data is too thin) whose evidence says why and what to add; a sign with
    no row at all was assessed and showed no sign (:func:`~salesmetrics.formatting.sign_overview` and
    the deck read it so). A sign assessed only in part has an ``info`` row with ``metric``
    "partly_assessed" saying which part and why (its ``by`` breakdown when the rows cannot be grouped
    so — the company is still assessed —, or the SLA consequence of a lead-working team's departures
    when there are no leads to measure it on); a part that cannot be measured inside a finding (the
    churn link of a CSAT finding) is said in that finding's evidence. No part is dropped silently, and
    the same data gives the same findings and severities in every language.

    Parameters
    ----------
    data : SalesData
        The bundle; a sign whose tables or columns are missing is reported as not assessed.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts, and only periods complete by then are compared.
    freq : {"Q", "M", "Y"} or None, default "Q"
        The periods each sign compares: months, quarters or (fiscal) years. None: all time — no sign
        is assessed, since each compares periods (one ``info`` row per sign, metric "not_assessed",
        says so).
    org : {"process", "functional", "assigned"} or OrgDesign, default "process"
        The design the unclear-roles sign reads (see :func:`role_clarity`).
    thresholds : mapping, optional
        Per sign, keywords of its function (``{"rep_turnover": {"min_rate": 0.3}}``).
    lang : {"en", "ko"}, default "en"
        Language of the evidence and recommendations (the same findings in every language).

    Returns
    -------
    pandas.DataFrame
        One row per finding, most severe first: ``sign``, ``severity`` (critical, warning, info),
        ``scope_type`` (company, segment, team, region, role), ``scope``, ``metric``, ``value``,
        ``baseline``, ``period``, ``evidence`` (one sentence with the numbers), ``recommendation``.
        A finding's scope is never "(missing)" or "(unknown)" (rows without a group, or whose account
        or owner is not in the export). ``attrs["needs"]``: for each sign not (fully) assessed, what
        to add ("the reps table", "reps.terminated_at"), which every surface names after "not assessed".

    Examples
    --------
    >>> import salesmetrics as sm
    >>> found = sm.diagnose(sm.load_sample())
    >>> sorted(found.loc[found["severity"] != "info", "sign"].unique())
    ['customer_satisfaction', 'declining_sales', 'market_response', 'rep_turnover', 'unclear_roles']
    """
    from ..org import _design

    _design(org, data, as_of)  # an unknown design is an error here too, whether or not unclear_roles can be assessed
    unknown = sorted(set(thresholds or {}) - set(SIGNS))
    if unknown:
        raise ValueError(f"thresholds has unknown signs {unknown}; the signs are {', '.join(SIGNS)}.")
    tables = data.tables if hasattr(data, "tables") else {}
    inputs = resolve(data, "opportunities") if tables else None
    parts = []
    for sign, (fn, needs) in _PARTS.items():
        missing = [t for t in needs if tables.get(t) is None]
        gaps = _column_gaps(inputs, sign) if inputs is not None else []  # of the tables present: all that is to add, at once
        if missing or gaps:
            why = [text("ev.not_assessed", lang, sign=_sign_name(sign, lang), tables=" / ".join(missing))] if missing else []
            why += [_gap_sentence(sign, *gap, lang=lang) for gap in gaps]
            parts.append(_findings([_not_assessed(sign, sentence, lang) for sentence in why]))
            continue
        assert inputs is not None
        kwargs: dict[str, Any] = {"as_of": as_of, "freq": freq, "lang": lang}
        if sign == "unclear_roles":
            kwargs["org"] = org
        kwargs.update((thresholds or {}).get(sign, {}))
        by = kwargs.get("by", _DEFAULT_BY.get(sign))
        reason = _by_problem(inputs, needs[0], by, lang) if by is not None else None
        if reason is None and by is not None and not _any_group(inputs, needs[0], by):  # the column is there, but empty
            reason = text("why.by_empty", lang, table=needs[0], by=by)
        partly = None
        if reason is not None:
            if sign in ("declining_sales", "customer_satisfaction"):
                kwargs["by"] = None  # the company as a whole is still assessed; the breakdown is not, and that is said
                partly = _findings([_not_assessed(sign, text("ev.partly_assessed", lang, sign=_sign_name(sign, lang), by=by, why=reason),
                                                  lang, "partly_assessed")])
            else:
                parts.append(_findings([_not_assessed(sign, text("ev.not_assessed_data", lang, sign=_sign_name(sign, lang), why=reason),
                                                      lang, "insufficient_data")]))
                continue
        found = fn(data, **kwargs).findings
        # "assessed for the company as a whole" only when the company was in fact assessed
        if partly is not None and (found.empty or not found["metric"].isin(["not_assessed", "insufficient_data"]).all()):
            parts.append(partly)
        parts.append(found)
    rows: list[dict[str, Any]] = [{str(k): v for k, v in row.items()} for part in parts for row in part.to_dict("records")]
    out = _findings(rows)
    out.attrs["needs"] = _needs(tables, inputs, out, lang)
    return out


def _needs(tables: Mapping[str, Any], inputs: Inputs | None, found: pd.DataFrame, lang: str = "en") -> dict[str, list[str]]:
    """For each sign not (fully) assessed, what the bundle lacks for it: tables ("the reps table") and columns
    ("reps.terminated_at", "opportunities.amount", "leads.segment"). Every surface names them after
    "not assessed: add" (``formatting.sign_overview`` reads them from ``found.attrs["needs"]``)."""
    out: dict[str, list[str]] = {}
    for sign, (_fn, needs) in _PARTS.items():
        missing = [text("deck.the_table", lang, table=t) for t in needs if tables.get(t) is None]
        if inputs is not None:
            missing += [f"{table}.{column}" for table, column, _empty in _column_gaps(inputs, sign)]
        mine = found[found["sign"] == sign]
        unassessed = len(mine) > 0 and (mine["severity"] == "info").all()
        partly = bool((mine["metric"] == "partly_assessed").any())
        if not missing and (unassessed or partly) and inputs is not None:
            if sign == "declining_sales" and unassessed and not _has_won_amounts(inputs):
                missing.append("opportunities.amount")
            by = _DEFAULT_BY.get(sign)
            if by is not None and (_by_problem(inputs, needs[0], by, lang) is not None or not _any_group(inputs, needs[0], by)):
                missing.append(_BY_COLUMN[sign])  # the breakdown (or, for market response, the sign) needs it
        if missing:
            out[sign] = missing
    return out


def _any_group(inputs: Inputs, table: str, by: str) -> bool:
    """Whether any row of ``table`` has a ``by`` group (its own column, or its account's or owner's)."""
    import warnings

    frame = inputs.get(table)
    if frame is None:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty column warns; here it is the answer
        labels = group_labels(inputs, frame, by)
    return labels is not None and bool((~labels.isin(["(missing)", "(unknown)"])).any())


def _has_won_amounts(inputs: Inputs) -> bool:
    """Whether any won deal has an amount (declining sales measures new-business bookings)."""
    opps = inputs.get("opportunities")
    if opps is None or not inputs.has_column("opportunities", "amount"):
        return False
    return bool(opps.loc[opps["status"] == "won", "amount"].notna().any())


_DEFAULT_BY = {"declining_sales": "segment", "market_response": "segment", "customer_satisfaction": "region"}
"""The ``by=`` each grouped sign uses by default (see its function)."""
_BY_COLUMN = {"declining_sales": "accounts.segment", "market_response": "leads.segment", "customer_satisfaction": "accounts.region"}
"""Where an export usually gives each sign's default group (a deal's segment is its account's)."""


def _by_problem(inputs: Inputs, table: str, by: str, lang: str = "en") -> str | None:
    """Why rows of ``table`` cannot be grouped by ``by`` (a phrase for the evidence), or None when they can."""
    frame = inputs.get(table)
    if frame is None or not can_group(inputs, frame, by):
        return text("why.by", lang, table=table, by=by)
    try:
        group_labels(inputs, frame.iloc[:0], by)
    except ValueError as err:  # e.g. both accounts and reps have the column: reported with the library's reason, not dropped
        return text("why.by_error", lang, table=table, by=by, error=str(err))
    return None
