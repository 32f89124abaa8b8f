"""Salesforce: Data Loader or report exports, Fivetran/Airbyte tables, or API results, into a validated SalesData.

One object per file or per key (``Opportunity.csv``, ``opportunity``, ``opportunity_history``...); field names in
any spelling (``StageName``, ``stage_name``). Every step works on whole columns: value look-ups (types, stages,
roles, statuses) are made once per distinct value and gathered back to the rows.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import find_stack_level
from .._compat import TEXT, concat, flags, is_arrow_text
from ..data._coerce import _coerce_bool, _coerce_number, _coerce_time, _localize
from ..data._lookups import index_in
from ..data._messages import OnInvalid, _concat, _failures, _format_message
from ..errors import DataQualityWarning, InputValidationError, MissingDataError
from ..periods import check_timezone
from ._common import NOT_AVAILABLE, Mapper, norm, read_source, take_rows, true_flags

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData

__all__ = ["read_salesforce"]

VENDOR = "read_salesforce"

OBJECTS: dict[str, tuple[str, ...]] = {
    "Opportunity": ("Opportunities",),
    "OpportunityHistory": ("OpportunityHistories",),
    "OpportunityFieldHistory": ("OpportunityFieldHistories",),
    "Lead": ("Leads",),
    "LeadHistory": ("LeadHistories",),
    "Account": ("Accounts",),
    "Contact": ("Contacts",),
    "User": ("Users",),
    "UserRole": ("UserRoles",),
    "Task": ("Tasks",),
    "Event": ("Events",),
    "DatedConversionRate": ("DatedConversionRates",),
    "CurrencyType": ("CurrencyTypes",),
}
"""The Salesforce objects read, by API name (file and key names compare with :func:`norm`, so ``opportunity_history``
and ``OpportunityHistory.csv`` are the same object)."""

TYPES: dict[str, str] = {
    "New Business": "new_business", "New Customer": "new_business",
    "Existing Customer - Upgrade": "expansion", "Upsell": "expansion", "Expansion": "expansion",
    "Renewal": "renewal", "Existing Customer - Replacement": "renewal",
}
"""Opportunity.Type -> canonical type (compared with :func:`norm`; the canonical names themselves also read)."""

STAGES: dict[str, str] = {
    "Prospecting": "open", "Qualification": "open", "Needs Analysis": "open", "Value Proposition": "open",
    "Id. Decision Makers": "open", "Perception Analysis": "open", "Proposal/Price Quote": "open",
    "Negotiation/Review": "open", "Closed Won": "won", "Closed Lost": "lost",
}
"""StageName -> status, used only when the export has no IsClosed/IsWon (Salesforce's default sales process)."""

ROLES: tuple[tuple[str, str], ...] = (
    (r"\b(?:sdr|bdr)s?\b|sales development|business development", "SDR"),
    (r"\baes?\b|account executive", "AE"),
    (r"\bams?\b|account manag", "AM"),
    (r"\bcsms?\b|customer success", "CSM"),
    (r"marketing|\bmkt\b", "MKT"),
    (r"\bses?\b|sales engineer|solutions? (?:engineer|consultant)|pre-?sales", "SE"),
    (r"operations|\bops\b", "OPS"),
)
"""UserRole.Name patterns (case-insensitive, first match wins) -> canonical role; other role names are kept as named."""

_NO_TEAM = "(no team)"
_TERMINATED = ("DeactivatedDate", "DeactivationDate", "Deactivated_Date__c", "Deactivation_Date__c",
               "TerminationDate", "Termination_Date__c")
_PREFIX = {"lead": "00Q", "opportunity": "006", "account": "001", "contact": "003", "queue": "00G"}


def read_salesforce(
    source: Any,
    *,
    timezone: str = "UTC",
    currency: str | None = None,
    fiscal_year_start: int = 1,
    on_invalid: OnInvalid = "raise",
    as_of: Any = None,
    dayfirst: bool | None = None,
    mql_field: str | None = None,
    sql_field: str | None = None,
    disqualified_field: str | None = None,
    mql_statuses: Sequence[str] = ("Marketing Qualified", "Marketing Qualified Lead", "MQL"),
    sql_statuses: Sequence[str] = ("Sales Qualified", "Sales Qualified Lead", "SQL"),
    disqualified_statuses: Sequence[str] = ("Unqualified", "Disqualified", "Closed - Not Converted"),
    automated_types: Sequence[str] = ("ListEmail", "MassEmail", "AutomatedEmail"),
    stages: Mapping[str, str] | None = None,
    types: Mapping[str, str] | None = None,
    roles: Mapping[str, str] | None = None,
    team_field: str | None = None,
    segment_field: str | None = None,
    region_field: str | None = None,
    terminated_field: str | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> SalesData:
    """Read a Salesforce export into a validated :class:`~salesmetrics.SalesData`, saying where every column came from.

    ``source`` holds one table per Salesforce object: Opportunity, OpportunityHistory or OpportunityFieldHistory,
    Lead, LeadHistory, Account, Contact, User, UserRole, Task, Event, DatedConversionRate, CurrencyType; all are
    optional. Object and field names are compared without case or underscores, so a Data Loader export
    (``StageName``, ``IsWon``) and a Fivetran or Airbyte sync (``stage_name``, ``is_won``, ``_fivetran_deleted``)
    both read. Rows deleted in Salesforce (``IsDeleted``, ``_fivetran_deleted``) are dropped and counted
    (``data.provenance.attrs["dropped"]``, and a warning). Ids are written in their 18-character form, so a
    report's 15-character ids join a Data Loader export's.

    How the objects map (``data.provenance`` has the same, column by column, with what a missing field disables):

    - **Opportunity** -> opportunities. ``status`` is open / won / lost from IsClosed and IsWon, never from stage
      names (only an export without them reads StageName, through ``stages=``). CloseDate is a date: a closed
      deal's ``closed_at`` is midnight of it in ``timezone``, except that a deal closed on the day it was created
      (CloseDate midnight before CreatedDate) closes at its creation time rather than being quarantined. An open
      deal's CloseDate is its expected date: the extra column ``expected_close_at`` (midnight too; a plan, so it
      never sets ``as_of``), never ``closed_at``. Type is recoded (New Business / New Customer -> new_business; Existing Customer - Upgrade,
      Upsell, Expansion -> expansion; Renewal, Existing Customer - Replacement -> renewal; others through
      ``types=``). ``lead_id`` is the lead converted into the deal (Lead.ConvertedOpportunityId).
    - **OpportunityHistory** (a row per change, stage repeated) or **OpportunityFieldHistory** (Field =
      StageName) -> stage_history, one row per stage entered. A field history does not log the stage a deal was
      created in: it is the first change's old value (or the current stage), entered at CreatedDate.
    - **Lead** -> leads. ``mql_at``/``sql_at``/``disqualified_at`` come from the fields named (``mql_field=``,
      ...; ``sql_field="ConvertedDate"`` is a common choice), else from LeadHistory: the first time Status became
      one of ``mql_statuses`` (``sql_statuses``, ``disqualified_statuses``), a lead created in such a status
      counting from CreatedDate; else they are not available. Leads owned by a queue (OwnerId 00G...) keep that
      owner, who is not a rep.
    - **Account** -> accounts (segment from ``segment_field``, else Segment__c or Type; region from
      ``region_field``, else Region__c or BillingCountry).
    - **User** + **UserRole** -> reps. ``role`` from the role's name (SDR/BDR, Account Executive, Account Manager,
      CSM, Marketing, Sales Engineer, Operations; ``roles=`` maps names exactly; other names are kept as the
      role). ``team`` from ``team_field``, else Department or Division, else the role's name; users without one
      are in "(no team)". ``hired_at`` is the user record's creation. ``terminated_at``, for inactive users only,
      from ``terminated_field`` or a deactivation-date field when the export has one; otherwise it is not
      available and no date is made up (a warning counts the inactive users).
    - **Task** and **Event** -> activities. WhoId and WhatId are resolved by id prefix (00Q lead, 006
      opportunity, 001 account) or by the ids loaded; a contact (003) reads as the lead converted into it
      (Lead.ConvertedContactId) and its account (Contact.AccountId). ``account_id`` falls back on the record's
      AccountId, then on the opportunity's account. The time is CompletedDateTime or CreatedDate for a task,
      StartDateTime for an event (ActivityDate only when there is no time stamp). Types in ``automated_types``
      (Type or TaskSubtype) are ``automated``. Open tasks, and events after the export (its latest record, or
      ``as_of``), have not happened: they are left out, counted in ``provenance.attrs["left_out"]``, with a warning.
    - **DatedConversionRate** (or **CurrencyType**) -> fx_rates: one unit of each currency is
      1 / ConversionRate in the corporate currency, which must be the reporting ``currency``.

    Parameters
    ----------
    source : str, Path or mapping
        A folder of exports (CSV, TSV, Parquet, optionally gzip; one file per object) or a mapping of object
        names to DataFrames or lists of records (from simple-salesforce, a warehouse query, ...).
    timezone : str, default "UTC"
        The reporting time zone. Naive times (report exports) are read in it; Salesforce's own ``...Z`` times are UTC
        and converted to it.
    currency : str, optional
        The reporting currency; default the corporate currency (CurrencyType.IsCorporate), else USD.
    fiscal_year_start, on_invalid, as_of, dayfirst
        As for :class:`~salesmetrics.SalesData`.
    mql_field, sql_field, disqualified_field : str, optional
        Lead fields holding those dates (``"MQL_Date__c"``); any spelling.
    mql_statuses, sql_statuses, disqualified_statuses : sequence of str
        Lead statuses that mark each step, for reading LeadHistory.
    automated_types : sequence of str
        Task Type or TaskSubtype values logged by automation rather than by a person.
    stages : mapping, optional
        ``{StageName: "open" | "won" | "lost"}``, added to Salesforce's default stages; used only when the export has
        no IsClosed/IsWon.
    types : mapping, optional
        ``{Opportunity.Type value: "new_business" | "expansion" | "renewal"}``, added to the defaults above.
    roles : mapping, optional
        ``{UserRole.Name: role}``, before the name patterns.
    team_field, segment_field, region_field, terminated_field : str, optional
        The User field holding the team, the Account fields holding segment and region, and the User field holding
        the deactivation date.
    fx_rates : pandas.DataFrame, optional
        A canonical fx_rates table (currency, date, rate) for currencies the export has no rates for.

    Returns
    -------
    SalesData
        Validated, with ``provenance``: table, column, source (``Object.Field``, a rule, or "not available") and
        what a missing column ``disables``.

    Raises
    ------
    MissingDataError
        Once, listing every required field the export lacks and the option that can supply it.
    InputValidationError
        For Type, StageName or currency values nothing maps (naming the option that does; with
        ``on_invalid="quarantine"`` their rows are set aside instead), and for whatever fails validation.

    Examples
    --------
    >>> import pandas as pd
    >>> export = {
    ...     "Opportunity": pd.DataFrame({
    ...         "Id": ["006A", "006B", "006C"], "OwnerId": ["005X", "005X", "005X"], "StageName": ["Closed Won", "Closed Lost", "Proposal"],
    ...         "IsClosed": ["true", "true", "false"], "IsWon": ["true", "false", "false"], "Amount": ["1200", "800", "500"],
    ...         "CreatedDate": ["2025-01-06T15:00:00.000Z", "2025-02-03T09:30:00.000Z", "2025-03-01T10:00:00.000Z"],
    ...         "CloseDate": ["2025-02-14", "2025-02-03", "2025-06-30"], "Type": ["New Customer", "Upsell", None]}),
    ...     "User": pd.DataFrame({"Id": ["005X"], "Name": ["Ann Lee"], "Department": ["East"], "IsActive": ["true"],
    ...                           "CreatedDate": ["2024-01-02T09:00:00.000Z"]}),
    ... }
    >>> data = read_salesforce(export, timezone="America/New_York")
    >>> data.opportunities[["opportunity_id", "status", "type", "closed_at"]]
      opportunity_id status          type                 closed_at
    0           006A    won  new_business 2025-02-14 00:00:00-05:00
    1           006B   lost     expansion 2025-02-03 04:30:00-05:00
    2           006C   open           NaN                       NaT
    >>> str(data.opportunities.loc[2, "expected_close_at"].date())
    '2025-06-30'
    >>> p = data.provenance.set_index(["table", "column"])
    >>> p.loc[("opportunities", "status"), "source"]
    'Opportunity.IsClosed + Opportunity.IsWon (open, won, lost)'
    >>> p.loc[("reps", "terminated_at"), ["source", "disables"]].tolist()
    ['not available', 'sign: rep turnover']
    """
    check_timezone(timezone)  # before any reading
    m = Mapper(VENDOR)
    objs: dict[str, pd.DataFrame] = {}
    gone: dict[str, np.ndarray] = {}  # Task and Event: nothing looks them up, so deleted rows go in the final filter
    for name, frame in read_source(source, OBJECTS, VENDOR).items():
        frame = _id18(frame)  # a report's 15-character ids join a Data Loader export's 18
        if name in _WHEN:
            objs[name], gone[name] = m.deleted(frame, name)
        else:
            objs[name] = m.drop_deleted(frame, name)
    if not objs:
        raise MissingDataError(f"{VENDOR}: no Salesforce object in the source; it reads {', '.join(OBJECTS)} (files or keys "
                               "named so, in any spelling: Opportunity.csv, opportunity, OPPORTUNITY.csv.gz).")
    reporting, fx = _fx_rates(m, objs, currency, fx_rates)
    problems: list[pd.DataFrame] = []
    left_out: dict[str, int] = {}
    ctx = _Context(m, objs, timezone, dayfirst, problems, gone)
    tables: dict[str, pd.DataFrame | None] = {
        "accounts": _accounts(ctx, segment_field, region_field),
        "reps": _reps(ctx, roles or {}, team_field, terminated_field),
        "leads": _leads(ctx, (mql_field, sql_field, disqualified_field), (mql_statuses, sql_statuses, disqualified_statuses)),
    }
    tables["opportunities"] = _opportunities(ctx, {**STAGES, **(stages or {})}, {**TYPES, **(types or {})}, reporting, fx)
    tables["stage_history"] = _stage_history(ctx, tables["opportunities"])
    tables["activities"] = _activities(ctx, tables, automated_types, as_of, left_out)
    tables["fx_rates"] = fx
    m.check()
    m.complete(list(tables))
    unread = {(t, c) for t, c, source in m.records if source == NOT_AVAILABLE}  # left out, so has_column() says so
    tables = {t: f.drop(columns=[c for c in f.columns if (t, c) in unread]) if f is not None else None for t, f in tables.items()}
    if problems:
        failures = _concat(problems)
        if on_invalid == "raise":
            raise InputValidationError(_format_message(failures, quarantine_hint=True), failures)
        warnings.warn(f"{VENDOR}: values nothing maps, their rows are set aside: {_format_message(failures)}",
                      DataQualityWarning, stacklevel=find_stack_level())
    objs.clear()  # the raw objects are no longer needed: free them before validation copies the tables
    data = m.bundle({k: v for k, v in tables.items() if v is not None}, timezone=timezone, currency=reporting,
                    fiscal_year_start=fiscal_year_start, on_invalid=on_invalid, as_of=as_of, dayfirst=dayfirst)
    if data.provenance is not None:
        data.provenance.attrs["left_out"] = left_out
    return data


# ----------------------------------------------------------------------------------------------------------
# small column helpers (vectorised; value look-ups once per distinct value)
# ----------------------------------------------------------------------------------------------------------


class _Context:
    """What every object's mapping needs: the mapper, the objects, the time settings, the value problems found, and
    the deleted rows not yet dropped."""

    def __init__(self, m: Mapper, objs: dict[str, pd.DataFrame], tz: str, dayfirst: bool | None,
                 problems: list[pd.DataFrame], gone: dict[str, np.ndarray] | None = None) -> None:
        self.m, self.objs, self.tz, self.dayfirst, self.problems = m, objs, tz, dayfirst, problems
        self.gone = gone or {}  # rows deleted in Salesforce, of the objects that drop them at the end

    def time(self, s: pd.Series, *, date: bool = False) -> tuple[pd.Series, pd.Series]:
        """Parsed time stamps (a ``date`` at midnight in the time zone; NaT where unreadable), and the column to
        hand on: the same, with unreadable cells as given so that validation names them."""
        values, issues, _ = _coerce_time(s, self.tz, aware=not date, dayfirst=self.dayfirst)
        if date:
            values = _localize(values, self.tz)
        bad = np.logical_or.reduce([np.asarray(v, dtype=bool) for v in issues.values()])
        return values, (values.astype(object).where(~bad, s) if bad.any() else values)

    def recode(self, values: pd.Series, mapping: Mapping[str, str], table: str, column: str, option: str,
               choices: str) -> pd.Series:
        """``values`` through ``mapping`` (keys compared with :func:`norm`); a value it lacks is a problem naming
        ``option``, kept as given so that ``on_invalid="quarantine"`` sets its rows aside."""
        keys = {norm(k): v for k, v in mapping.items()}
        codes, uniques = pd.factorize(values)
        found = [keys.get(norm(u)) for u in uniques]
        unknown = np.array([f is None for f in found] + [False])[codes]
        out = _gather(codes, [str(f) if f is not None else str(u) for f, u in zip(found, uniques, strict=True)], values.index)
        if unknown.any():
            first = str(values[unknown].iloc[0])
            fix = f"map it with {option}={{{first!r}: ...}} ({choices})"
            self.problems.append(_failures(table, column, f"unknown {option[:-1] if option.endswith('s') else option}",
                                           np.flatnonzero(unknown), values[unknown], fix))
        return out


def _is_one_of(values: pd.Series, choices: Sequence[str]) -> np.ndarray:
    """Whether each value is one of ``choices`` (compared with :func:`norm`)."""
    wanted = {norm(c) for c in choices}
    codes, uniques = pd.factorize(values)
    return np.array([norm(u) in wanted for u in uniques] + [False])[codes]


_SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)


def _id18(frame: pd.DataFrame) -> pd.DataFrame:
    """Salesforce's 15-character ids (a report export's; case-sensitive) in every ``...Id`` field, as the 18-character
    form the API and Data Loader write, so that a report and a Data Loader export of the same org join.

    The suffix is Salesforce's check: per chunk of 5 characters, a bit per capital letter (the first character the
    lowest bit), read as one of A-Z0-5. A column is looked at only when a sample of it holds 15-character ids.

    Examples
    --------
    >>> _id18(pd.DataFrame({"Id": ["a0D30000001n7Pi", "0019000000B98deAAB", None]}))["Id"].tolist()
    ['a0D30000001n7PiEAI', '0019000000B98deAAB', nan]
    """
    for column in frame.columns:
        values = frame[column]
        if not norm(column).endswith("id") or not pd.api.types.is_string_dtype(values.dtype):
            continue
        sample = values.iloc[:: max(1, len(values) // 1000)].dropna()
        if not sample.astype(TEXT).str.fullmatch("[A-Za-z0-9]{15}").any():
            continue
        short = flags(values.astype(TEXT).str.fullmatch("[A-Za-z0-9]{15}"))
        raw = np.frombuffer(values[short].astype(TEXT).str.cat().encode("ascii"), dtype=np.uint8).reshape(-1, 15)
        capital = ((raw >= ord("A")) & (raw <= ord("Z"))).reshape(-1, 3, 5)
        suffix = _SUFFIX[(capital * np.array([1, 2, 4, 8, 16])).sum(axis=2)]
        full = np.ascontiguousarray(np.concatenate([raw, suffix], axis=1)).view("S18").ravel().astype("U18")
        out = values.to_numpy(dtype=object)
        out[short] = full  # numpy's fixed-width text: no per-id Python
        frame = frame.assign(**{column: pd.Series(out, index=values.index, dtype=TEXT)})
    return frame


def _ids(s: pd.Series) -> pd.Series:
    """Ids as text (an API client may hand numbers)."""
    return s if is_arrow_text(s.dtype) else s.astype(TEXT)


def _arrow(s: pd.Series) -> Any:
    """The column as an Arrow string array (no copy for pandas' Arrow-backed ``str``)."""
    import pyarrow as pa

    return pa.array(_ids(s).array)


def _missing(index: pd.Index) -> pd.Series:
    """An all-missing ``str`` column (Arrow nulls: no per-row work)."""
    import pyarrow as pa

    return pd.Series(pd.array(pa.nulls(len(index), pa.large_string()), dtype=TEXT), index=index)


def _keep(s: pd.Series, mask: np.ndarray, otherwise: pd.Series | None = None) -> pd.Series:
    """``s`` where ``mask`` and present, else ``otherwise`` (default missing): ``Series.where`` without its cost on
    Arrow strings, and no copy when nothing is replaced."""
    import pyarrow as pa
    import pyarrow.compute as pc

    present = s.notna().to_numpy()
    kept = mask & present
    if not kept.any():
        return _missing(s.index) if otherwise is None else _ids(otherwise)
    if (kept == present).all() and (otherwise is None or not otherwise.notna().to_numpy()[~kept].any()):
        return _ids(s)
    values = _arrow(s)
    other = pa.scalar(None, values.type) if otherwise is None else _arrow(otherwise).cast(values.type)
    return pd.Series(pd.array(pc.if_else(pa.array(kept), values, other), dtype=TEXT), index=s.index)


def _gather(codes: np.ndarray, labels: Sequence[str], index: pd.Index) -> pd.Series:
    """``labels[code]`` per row (-1: missing), as a ``str`` column built by Arrow."""
    import pyarrow as pa

    found = pa.DictionaryArray.from_arrays(pa.array(codes.astype("int32"), mask=codes < 0), pa.array(list(labels), pa.string()))
    return pd.Series(pd.array(found.cast(pa.string()), dtype=TEXT), index=index)


def _first_of(*columns: Any) -> pd.Series:
    """Per row, the first id present (Arrow's coalesce); a callable gets the rows still missing and returns their column."""
    import pyarrow.compute as pc

    out: pd.Series = columns[0]
    for column in columns[1:]:
        missing = out.isna().to_numpy()
        if not missing.any():
            break
        found = column(missing) if callable(column) else column
        if found.notna().to_numpy()[missing].any():
            out = pd.Series(pd.array(pc.coalesce(_arrow(out), _arrow(found)), dtype=TEXT), index=out.index)
    return out


def _lookup(keys: pd.Series, mapping: pd.Series) -> pd.Series:
    """``mapping[key]`` for each key (missing where absent; the first of repeated keys): one hash look-up of the keys
    present."""
    present = keys.notna().to_numpy()
    if not len(mapping) or not present.any():
        text = not len(mapping) or pd.api.types.is_string_dtype(mapping.dtype)
        return _missing(keys.index) if text else pd.Series(np.nan, index=keys.index, dtype=mapping.dtype)
    pos = np.full(len(keys), -1, dtype="int64")
    pos[present] = index_in(keys[present], mapping.index.to_series())
    return pd.Series(mapping.array.take(pos, allow_fill=True), index=keys.index)


def _by(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` indexed by ``keys`` (for :func:`_lookup`), without copying or hashing."""
    return pd.Series(values.array, index=pd.Index(keys.array))


def _first(m: Mapper, frame: pd.DataFrame, *aliases: str | None) -> str | None:
    """The first of ``aliases`` (None skipped) that ``frame`` has."""
    return m.find(frame, *[a for a in aliases if a])


# ----------------------------------------------------------------------------------------------------------
# objects
# ----------------------------------------------------------------------------------------------------------


def _accounts(ctx: _Context, segment_field: str | None, region_field: str | None) -> pd.DataFrame | None:
    acc = ctx.objs.get("Account")
    if acc is None:
        return None
    m, out = ctx.m, pd.DataFrame(index=acc.index)
    out["account_id"] = m.take(acc, "Account", "accounts", "account_id", ("Id", "Account ID"), required=True)
    for column, field in (("name", "Name"), ("industry", "Industry"), ("created_at", "CreatedDate")):
        out[column] = m.take(acc, "Account", "accounts", column, (field,))
    for column, option, given, defaults in (("segment", "segment_field", segment_field, ("Segment__c", "Segment", "Type")),
                                            ("region", "region_field", region_field, ("Region__c", "Region", "BillingCountry"))):
        out[column] = m.take(acc, "Account", "accounts", column, (given,) if given else defaults, required=given is not None,
                             option=f"{option}=")
    return out


def _reps(ctx: _Context, roles: Mapping[str, str], team_field: str | None, terminated_field: str | None) -> pd.DataFrame | None:
    users = ctx.objs.get("User")
    if users is None:
        return None
    m = ctx.m
    rep_id = m.take(users, "User", "reps", "rep_id", ("Id", "User ID"), required=True)
    if rep_id is None:
        return None
    queue = flags(_ids(rep_id).str.startswith(_PREFIX["queue"]))
    users, rep_id = users.loc[~queue].reset_index(drop=True), rep_id.loc[~queue].reset_index(drop=True)
    out = pd.DataFrame({"rep_id": rep_id})
    out["name"] = m.take(users, "User", "reps", "name", ("Name",))
    out["manager_id"] = m.take(users, "User", "reps", "manager_id", ("ManagerId",))
    hired = m.take(users, "User", "reps", "hired_at", ("CreatedDate",))
    out["hired_at"] = hired
    if hired is not None:
        m.record("reps", "hired_at", f"User.{m.find(users, 'CreatedDate')} (the user record's creation, taken as the hire date)")
    role_name = _role_names(ctx, users)
    if role_name is not None:
        out["role"] = _roles(role_name, roles)
        m.record("reps", "role", f"UserRole.Name of User.{m.find(users, 'UserRoleId')} (SDR/BDR, Account Executive, Account "
                                 "Manager, CSM, Marketing, Sales Engineer, Operations; other names as named; roles= maps)")
    team_col = _first(m, users, team_field) if team_field else _first(m, users, "Department", "Division")
    if team_field and team_col is None:
        m.require("User", team_field, "team_field= naming a field the export has")
    if team_col is not None:
        team, where = users[team_col], f"User.{team_col}"
    elif role_name is not None:
        team, where = role_name, "UserRole.Name (no Department or Division; team_field= names another User field)"
    else:
        m.require("User", "Department", "team_field=, or the UserRole object")
        team, where = pd.Series(np.nan, index=users.index, dtype=TEXT), NOT_AVAILABLE
    blank = int(team.isna().sum())
    out["team"] = team.fillna(_NO_TEAM)
    m.record("reps", "team", where + (f"; {blank} user(s) without one are in {_NO_TEAM!r}" if blank else ""))
    _terminated(ctx, users, out, terminated_field)
    return out


def _role_names(ctx: _Context, users: pd.DataFrame) -> pd.Series | None:
    """Each user's UserRole.Name (via User.UserRoleId), or None without the UserRole object."""
    m, role = ctx.m, ctx.objs.get("UserRole")
    role_id = m.find(users, "UserRoleId")
    if role is None or role_id is None:
        return None
    key, name = m.find(role, "Id"), m.find(role, "Name")
    if key is None or name is None:
        m.require("UserRole", "Id" if key is None else "Name")
        return None
    names = role.drop_duplicates(key).set_index(key)[name]
    return _lookup(_ids(users[role_id]), names)


def _roles(names: pd.Series, roles: Mapping[str, str]) -> pd.Series:
    exact = {norm(k): v for k, v in roles.items()}
    codes, uniques = pd.factorize(names)
    found = []
    for u in uniques:  # once per role name
        hit = exact.get(norm(u)) or next((r for pattern, r in ROLES if re.search(pattern, str(u), re.IGNORECASE)), None)
        found.append(hit or str(u))
    return _gather(codes, found, names.index)


def _terminated(ctx: _Context, users: pd.DataFrame, out: pd.DataFrame, terminated_field: str | None) -> None:
    m = ctx.m
    active = m.find(users, "IsActive")
    column = _first(m, users, terminated_field) if terminated_field else _first(m, users, *_TERMINATED)
    if terminated_field and column is None:
        m.require("User", terminated_field, "terminated_field= naming a field the export has")
        return
    inactive = ~true_flags(users[active]) if active is not None else np.zeros(len(users), dtype=bool)
    if column is not None and active is not None:
        out["terminated_at"] = users[column].where(inactive)
        undated = int((inactive & users[column].isna()).sum())
        m.record("reps", "terminated_at", f"User.{column} of inactive users (User.{active} false)"
                 + (f"; {undated} inactive user(s) have no date and are left without one" if undated else ""))
        return
    m.record("reps", "terminated_at", NOT_AVAILABLE)
    if int(inactive.sum()):
        warnings.warn(f"{VENDOR}: {int(inactive.sum())} user(s) are inactive but the export has no deactivation date, so "
                      "reps.terminated_at is empty (no date is made up) and rep turnover cannot be assessed; pass "
                      "terminated_field= naming the User field that holds it.", DataQualityWarning, stacklevel=find_stack_level())


def _leads(ctx: _Context, fields: tuple[str | None, ...], statuses: tuple[Sequence[str], ...]) -> pd.DataFrame | None:
    lead = ctx.objs.get("Lead")
    if lead is None:
        return None
    m, out = ctx.m, pd.DataFrame(index=lead.index)
    lead_id = m.take(lead, "Lead", "leads", "lead_id", ("Id", "Lead ID"), required=True)
    created = m.take(lead, "Lead", "leads", "created_at", ("CreatedDate",), required=True)
    if lead_id is None or created is None:
        return None
    out["lead_id"] = _ids(lead_id)
    created_v, out["created_at"] = ctx.time(created)
    out["source"] = m.take(lead, "Lead", "leads", "source", ("LeadSource",))
    owner = m.take(lead, "Lead", "leads", "owner_id", ("OwnerId",))
    if owner is not None:
        queues = int(_ids(owner).str.startswith(_PREFIX["queue"]).sum())
        out["owner_id"] = owner
        if queues:
            m.record("leads", "owner_id", f"Lead.{m.find(lead, 'OwnerId')} ({queues} lead(s) owned by a queue, 00G...: kept, "
                                          "not a rep, so counted as unowned)")
    out["account_id"] = m.take(lead, "Lead", "leads", "account_id", ("ConvertedAccountId",))
    out["opportunity_id"] = m.take(lead, "Lead", "leads", "opportunity_id", ("ConvertedOpportunityId",))
    entries = _lead_statuses(ctx, lead, out["lead_id"], created_v)
    for column, field, wanted in zip(("mql_at", "sql_at", "disqualified_at"), fields, statuses, strict=True):
        if field:
            out[column] = m.take(lead, "Lead", "leads", column, (field,), required=True, option=f"{column[:-3]}_field=")
        elif entries is not None:
            hit = entries[_is_one_of(entries["value"], wanted)]
            out[column] = _lookup(out["lead_id"], hit.groupby("id")["at"].min())
            m.record("leads", column, f"LeadHistory: first time Status became {' / '.join(wanted)} ({column[:-3]}_statuses=; "
                                      f"a lead created in one: its CreatedDate); or pass {column[:-3]}_field=")
        else:
            m.record("leads", column, NOT_AVAILABLE)
    return out


def _lead_statuses(ctx: _Context, lead: pd.DataFrame, lead_id: pd.Series, created: pd.Series) -> pd.DataFrame | None:
    """Every status each lead entered, with when (id, value, at), from LeadHistory; None without it."""
    history = ctx.objs.get("LeadHistory")
    if history is None:
        return None
    m = ctx.m
    cols = {k: m.find(history, *a) for k, a in (("id", ("LeadId",)), ("field", ("Field",)), ("old", ("OldValue",)),
                                                 ("new", ("NewValue",)), ("at", ("CreatedDate",)))}
    for key, name in (("id", "LeadId"), ("field", "Field"), ("new", "NewValue"), ("at", "CreatedDate")):
        if cols[key] is None:
            m.require("LeadHistory", name)
    if any(cols[k] is None for k in ("id", "field", "new", "at")):
        return None
    rows = history.loc[_is_one_of(history[str(cols["field"])], ("Status",))]
    at, _ = ctx.time(rows[str(cols["at"])])
    old = rows[cols["old"]] if cols["old"] else pd.Series(np.nan, index=rows.index)
    status = m.find(lead, "Status")
    current = lead[status] if status else pd.Series(np.nan, index=lead.index)
    return _entries(lead_id, created, current, _ids(rows[str(cols["id"])]), old, rows[str(cols["new"])], at)


def _entries(entity: pd.Series, created: pd.Series, current: pd.Series, changed: pd.Series, old: pd.Series,
             new: pd.Series, at: pd.Series) -> pd.DataFrame:
    """(id, value, at) from a field history: each change's new value at its time, and each record's value at
    creation (a field history does not log it): the first change's old value, or the current value when it never
    changed."""
    changes = _frame(id=changed, old=old, value=new, at=at).sort_values(["id", "at"], kind="stable")
    first_old = changes.drop_duplicates("id").set_index("id")["old"]
    seen = entity.isin(first_old.index).to_numpy()
    initial = np.where(seen, _lookup(entity, first_old).to_numpy(dtype=object), current.to_numpy(dtype=object))
    start = _frame(id=entity, value=pd.Series(initial), at=created)
    return pd.concat([start.dropna(subset=["value"]), changes[["id", "value", "at"]]], ignore_index=True)


def _frame(**columns: pd.Series) -> pd.DataFrame:
    """A frame of the columns, by position (their indexes dropped)."""
    return pd.DataFrame({k: v.reset_index(drop=True) for k, v in columns.items()})


def _opportunities(ctx: _Context, stages: Mapping[str, str], types: Mapping[str, str], reporting: str,
                   fx: pd.DataFrame | None) -> pd.DataFrame | None:
    opp = ctx.objs.get("Opportunity")
    if opp is None:
        return None
    m, T, OBJ = ctx.m, "opportunities", "Opportunity"
    out = pd.DataFrame(index=opp.index)
    opp_id = m.take(opp, OBJ, T, "opportunity_id", ("Id", "Opportunity ID"), required=True)  # a report's labels too
    created = m.take(opp, OBJ, T, "created_at", ("CreatedDate",), required=True)
    close = m.take(opp, OBJ, T, "closed_at", ("CloseDate",), required=True)
    stage = m.take(opp, OBJ, T, "stage", ("StageName", "Stage"))
    is_closed, is_won = m.find(opp, "IsClosed", "Closed"), m.find(opp, "IsWon", "Won")
    if (is_closed is None or is_won is None) and stage is None:
        m.require(OBJ, "IsClosed and IsWon", "the StageName field with stages={stage: 'open'|'won'|'lost'}")
    if opp_id is None or created is None or close is None or ((is_closed is None or is_won is None) and stage is None):
        return None
    out["opportunity_id"] = _ids(opp_id)
    created_v, out["created_at"] = ctx.time(created)
    if is_closed is not None and is_won is not None:
        closed, won = true_flags(opp[is_closed]), true_flags(opp[is_won])
        status = _gather(np.where(closed, np.where(won, 1, 2), 0), ["open", "won", "lost"], opp.index)
        # a flag that is neither true nor false, or a deal won but not closed, is no status: kept as given (so that
        # on_invalid="quarantine" sets the row aside) and named
        for field in (is_closed, is_won):
            if (unread := _coerce_bool(opp[field])[1] | opp[field].isna().to_numpy()).any():
                ctx.problems.append(_failures(T, "status", f"{OBJ}.{field} neither true nor false", np.flatnonzero(unread),
                                              opp[field][unread].fillna("(empty)"), f"export {field} as true or false"))
                status = status.where(~unread, opp[field].astype(TEXT).fillna("(empty)"))
        if (odd := won & ~closed).any():
            ctx.problems.append(_failures(T, "status", f"{OBJ}.{is_won} true but {is_closed} false", np.flatnonzero(odd),
                                          opp[is_closed][odd], "a won deal is closed: check the export (both flags as Salesforce "
                                          "sets them)"))
            status = status.where(~odd, "won, not closed")
        out["status"] = status
        m.record(T, "status", f"{OBJ}.{is_closed} + {OBJ}.{is_won} (open, won, lost)")
    elif is_closed is not None:  # open or closed from IsClosed; won or lost from the stage of a closed deal
        assert stage is not None
        closed = true_flags(opp[is_closed])
        open_stages = {**{str(v): "open" for v in pd.unique(stage[~closed].dropna())}, **stages}  # an open deal's stage says nothing
        recoded = ctx.recode(stage, open_stages, T, "status", "stages", "'won' or 'lost', or add Opportunity.IsWon to the export")
        out["status"] = recoded.where(closed, "open")
        m.record(T, "status", f"{OBJ}.{is_closed} (open or closed) + {OBJ}.{m.find(opp, 'StageName')} through stages= "
                              "(won or lost: the export has no IsWon)")
    else:
        assert stage is not None
        out["status"] = ctx.recode(stage, stages, T, "status", "stages",
                                   "'open', 'won' or 'lost', or add Opportunity.IsClosed and Opportunity.IsWon to the export")
        m.record(T, "status", f"{OBJ}.{m.find(opp, 'StageName')} through stages= (the export has no IsClosed/IsWon)")
    done = out["status"].isin(["won", "lost"]).to_numpy()
    close_v, close_out = ctx.time(close, date=True)
    early = done & (close_v < created_v).to_numpy()
    same_day = early.copy()
    same_day[early] = (created_v[early].dt.normalize() == close_v[early]).to_numpy()
    closed_at = close_out.where(done)
    if same_day.any():
        closed_at[same_day] = created_v[same_day]
    out["closed_at"] = closed_at
    out["expected_close_at"] = close_v.where(~done)
    m.record(T, "closed_at", f"{OBJ}.{m.find(opp, 'CloseDate')} of closed deals (a date: midnight in the time zone)"
             + (f"; {int(same_day.sum())} deal(s) closed the day they were created, after midnight: their creation time"
                if same_day.any() else ""))
    m.record(T, "expected_close_at", f"{OBJ}.{m.find(opp, 'CloseDate')} of open deals (the expected close date, midnight in the time zone)")
    for column, aliases in (("amount", ("Amount",)), ("account_id", ("AccountId",)), ("owner_id", ("OwnerId",)),
                            ("source", ("LeadSource",))):
        out[column] = m.take(opp, OBJ, T, column, aliases)
    out["stage"] = stage
    kind = m.take(opp, OBJ, T, "type", ("Type",))
    if kind is not None:
        out["type"] = ctx.recode(kind, types, T, "type", "types", "'new_business', 'expansion' or 'renewal'")
        m.record(T, "type", f"{OBJ}.{m.find(opp, 'Type')} (New Business, New Customer -> new_business; Existing Customer - "
                            "Upgrade, Upsell, Expansion -> expansion; Renewal, Existing Customer - Replacement -> renewal; types=)")
    money = m.take(opp, OBJ, T, "currency", ("CurrencyIsoCode",))
    if money is None:  # a single-currency org exports no CurrencyIsoCode: every amount is in the org's currency
        m.record(T, "currency", f"currency={reporting!r} for every deal (the export has no CurrencyIsoCode: a single-currency org)")
    else:
        out["currency"] = money
        known = {reporting, *(fx["currency"].dropna().astype(str) if fx is not None else ())}
        unknown = (money.notna() & ~money.isin(list(known))).to_numpy()
        if unknown.any():
            ctx.problems.append(_failures(T, "currency", "no exchange rate", np.flatnonzero(unknown), money[unknown],
                                          f"export DatedConversionRate or CurrencyType too, or pass fx_rates= with rates "
                                          f"for {', '.join(sorted(set(money[unknown].astype(str))))} in {reporting}"))
    _lead_links(ctx, out)
    return out


def _lead_links(ctx: _Context, out: pd.DataFrame) -> None:
    """opportunities.lead_id: the lead converted into each deal (the earliest listed when several were)."""
    lead = ctx.objs.get("Lead")
    key = ctx.m.find(lead, "Id") if lead is not None else None
    link = ctx.m.find(lead, "ConvertedOpportunityId") if lead is not None else None
    if lead is None or key is None or link is None:
        ctx.m.record("opportunities", "lead_id", NOT_AVAILABLE)
        return
    pairs = lead[[link, key]].dropna()
    out["lead_id"] = _lookup(out["opportunity_id"], _by(_ids(pairs[link]), _ids(pairs[key])))
    ctx.m.record("opportunities", "lead_id", f"Lead.{key} of the lead converted into it (Lead.{link})")


def _stage_history(ctx: _Context, opps: pd.DataFrame | None) -> pd.DataFrame | None:
    m, T = ctx.m, "stage_history"
    plain = "OpportunityHistory" in ctx.objs
    obj = "OpportunityHistory" if plain else "OpportunityFieldHistory"
    frame = ctx.objs.get(obj)
    if frame is None:
        return None
    need = ("OpportunityId", "StageName", "CreatedDate") if plain else ("OpportunityId", "Field", "NewValue", "CreatedDate")
    cols = {k: m.find(frame, k) for k in need}
    for name, col in cols.items():
        if col is None:
            m.require(obj, name)
    if any(col is None for col in cols.values()):
        return None
    c = {k: str(v) for k, v in cols.items()}
    if not plain:
        frame = frame.loc[_is_one_of(frame[c["Field"]], ("StageName",))]
    ids, at = _ids(frame[c["OpportunityId"]]), ctx.time(frame[c["CreatedDate"]])[0]
    value = frame[c["StageName" if plain else "NewValue"]]
    if not plain and opps is not None:
        old = frame[o] if (o := m.find(frame, "OldValue")) else pd.Series(np.nan, index=frame.index)
        rows = _entries(opps["opportunity_id"], ctx.time(opps["created_at"])[0], opps["stage"], ids, old, value, at)
    else:
        rows = _frame(id=ids, value=value, at=at)
    rows = rows.dropna(subset=["value"]).sort_values(["id", "at"], kind="stable").reset_index(drop=True)
    repeat = (rows["id"] == rows["id"].shift()) & (rows["value"] == rows["value"].shift())
    rows = rows.loc[~repeat.to_numpy()].reset_index(drop=True)
    m.record(T, "opportunity_id", f"{obj}.{c['OpportunityId']}")
    if plain:
        m.record(T, "stage", f"{obj}.{c['StageName']} (one row per stage entered: a row repeating the stage is no new entry)")
        m.record(T, "entered_at", f"{obj}.{c['CreatedDate']}")
    else:
        m.record(T, "stage", f"{obj}.{c['NewValue']} where {c['Field']} = StageName; the stage a deal was created in: the "
                             "first change's OldValue, else Opportunity.StageName")
        m.record(T, "entered_at", f"{obj}.{c['CreatedDate']}; for the stage created in: Opportunity.CreatedDate")
    return pd.DataFrame({"opportunity_id": rows["id"], "stage": rows["value"], "entered_at": rows["at"]})


_WHEN = {"Task": (("CompletedDateTime", "CreatedDate"), "ActivityDate"),
         "Event": (("StartDateTime", "ActivityDateTime"), "ActivityDate")}
_RULES = {"lead_id": "{} when a lead (00Q..., or a lead id loaded); a contact (003...): the lead converted into it",
          "opportunity_id": "{} when an opportunity (006..., or an id loaded)",
          "account_id": "{} when an account (001...), else the AccountId, the contact's or the opportunity's account",
          "type": "{} (lower case; ListEmail: email; an event without a Type: meeting)",
          "occurred_at": "{} (the first present)"}


def _activities(ctx: _Context, tables: Mapping[str, pd.DataFrame | None], automated_types: Sequence[str], as_of: Any,
                left_out: dict[str, int]) -> pd.DataFrame | None:
    parts: list[pd.DataFrame] = []
    drops: list[np.ndarray] = []
    sources: dict[str, list[str]] = {}
    for obj in _WHEN:
        found = _activity_rows(ctx, obj, tables, automated_types, left_out, sources)
        ctx.objs.pop(obj, None)  # nothing else reads it: free the columns the activities do not keep before filtering
        if found is not None:
            parts.append(found[0].assign(_event=obj == "Event"))
            drops.append(found[1])
    if not parts:
        return None
    acts = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    drop = np.concatenate(drops)  # deleted in Salesforce, or not done yet: left out in one filter below
    event = acts.pop("_event").to_numpy(bool)
    cutoff = _export_time(ctx, tables, acts, event & ~drop, ~event & ~drop, as_of)
    if cutoff is not None:
        later = event & ~drop & (pd.to_datetime(acts["occurred_at"], errors="coerce", utc=True) > cutoff).to_numpy()
        if later.any():
            left_out[f"Event (after {cutoff:%Y-%m-%d %H:%M} UTC: planned)"] = int(later.sum())
            drop |= later
    if drop.any():
        acts = take_rows(acts, ~drop)
    if left_out:
        warnings.warn(f"{VENDOR} left out activities that have not happened: "
                      + ", ".join(f"{k} {v:,}" for k, v in left_out.items()) + " (provenance.attrs['left_out']).",
                      DataQualityWarning, stacklevel=find_stack_level())
    for column, names in sources.items():
        ctx.m.record("activities", column, _RULES.get(column, "{}").format("; ".join(names)))
    ctx.m.record("activities", "automated", f"Type or TaskSubtype in automated_types ({', '.join(automated_types)})")
    return acts


def _activity_rows(ctx: _Context, obj: str, tables: Mapping[str, pd.DataFrame | None], automated_types: Sequence[str],
                   left_out: dict[str, int], sources: dict[str, list[str]]) -> tuple[pd.DataFrame, np.ndarray] | None:
    """One Task or Event object as activities, every row, and the rows to leave out: deleted in Salesforce, or an
    open task (None when the object is absent or lacks a required field, which is collected)."""
    m, frame = ctx.m, ctx.objs.get(obj)
    if frame is None:
        return None
    stamps, day = _WHEN[obj]
    key, owner = m.find(frame, "Id"), m.find(frame, "OwnerId")
    who, what, account = m.find(frame, "WhoId"), m.find(frame, "WhatId"), m.find(frame, "AccountId")
    when = [c for c in (m.find(frame, s) for s in stamps) if c] or [c for c in (m.find(frame, day),) if c]
    for name, col in (("Id", key), ("OwnerId", owner), (f"{stamps[1]} or {day}", when or None),
                      ("WhoId or WhatId", who or what or account)):
        if col is None:
            m.require(obj, name)
    if key is None or owner is None or not when or not (who or what or account):
        return None
    part = pd.DataFrame({"activity_id": _ids(frame[key]), "owner_id": frame[owner]})
    occurred = None
    for col in when:
        shown = ctx.time(frame[col], date=col == day)[1]
        occurred = shown if occurred is None else occurred.fillna(shown)
    part["occurred_at"] = occurred
    none = _missing(frame.index)
    who_ids, what_ids = (_ids(frame[c]) if c else none for c in (who, what))
    loaded = {kind: frame_[k] for kind, t, k in (("lead", "leads", "lead_id"), ("opportunity", "opportunities", "opportunity_id"),
                                                 ("account", "accounts", "account_id")) if (frame_ := tables.get(t)) is not None}
    who_is, what_is = _kinds(who_ids, ("lead", "contact"), loaded), _kinds(what_ids, ("opportunity", "account"), loaded)
    contact = _keep(who_ids, who_is["contact"])
    contact_lead, contact_account = _contacts(ctx)
    part["lead_id"] = _first_of(_keep(who_ids, who_is["lead"]), _lookup(contact, contact_lead))
    part["opportunity_id"] = opportunity = _keep(what_ids, what_is["opportunity"])
    opps = tables.get("opportunities")
    opp_account = _by(opps["opportunity_id"], opps["account_id"]) if opps is not None else none[:0]
    own = _ids(frame[account]) if account else none  # the record's AccountId, unless WhatId is an account: one pass
    part["account_id"] = _first_of(_keep(what_ids, what_is["account"], otherwise=own), _lookup(contact, contact_account),
                                    lambda missing: _lookup(_keep(opportunity, missing), opp_account))
    type_col, sub_col = m.find(frame, "Type"), m.find(frame, "TaskSubtype")  # EventSubtype is always "Event"
    part["type"], part["automated"] = _activity_types(frame[type_col] if type_col else none, frame[sub_col] if sub_col else none,
                                                      "meeting" if obj == "Event" else None, automated_types)
    is_closed = m.find(frame, "IsClosed") if obj == "Task" else None
    drop = ctx.gone.get(obj, np.zeros(len(frame), dtype=bool))
    if is_closed and (planned := ~true_flags(frame[is_closed]) & ~drop).any():
        left_out[f"{obj} (open: not done yet)"] = int(planned.sum())
        drop = drop | planned
    names = {"activity_id": key, "owner_id": owner, "occurred_at": " / ".join(when), "type": " / ".join(c for c in (type_col, sub_col) if c),
             "lead_id": who, "opportunity_id": what, "account_id": " / ".join(c for c in (what, account) if c)}
    for column, col in names.items():
        if col:
            sources.setdefault(column, []).append(f"{obj}.{col}")
    return part, drop


def _kinds(ids: pd.Series, kinds: Sequence[str], loaded: Mapping[str, pd.Series]) -> dict[str, np.ndarray]:
    """Which ids are of each of ``kinds`` (lead, contact, opportunity, account): by their Salesforce prefix (00Q, 003,
    006, 001), or, for ids without a Salesforce prefix, by the ids ``loaded`` (an export whose ids were rewritten)."""
    import pyarrow.compute as pc

    values = _arrow(ids)
    out = {kind: np.array(pc.fill_null(pc.starts_with(values, _PREFIX[kind]), False), dtype=bool) for kind in kinds}
    rest = np.flatnonzero(ids.notna().to_numpy() & ~np.logical_or.reduce(list(out.values())))
    if len(rest) and any(kind in loaded for kind in kinds):
        some = ids.iloc[rest]
        other = ~some.str.slice(0, 3).isin(list(_PREFIX.values())).to_numpy()  # not another Salesforce object (500 Case...)
        for kind in kinds:
            if kind in loaded:
                out[kind][rest[other]] = some[other].isin(loaded[kind]).to_numpy()
    return out


def _contacts(ctx: _Context) -> tuple[pd.Series, pd.Series]:
    """contact id -> lead converted into it, and contact id -> its account (Contact.AccountId, else the lead's)."""
    empty = pd.Series([], dtype=TEXT)
    m, lead, contact = ctx.m, ctx.objs.get("Lead"), ctx.objs.get("Contact")
    to_lead, to_account = empty, empty
    if lead is not None and (c := m.find(lead, "ConvertedContactId")) and (k := m.find(lead, "Id")):
        pairs = lead.dropna(subset=[c]).drop_duplicates(c)
        to_lead = pd.Series(_ids(pairs[k]).array, index=_ids(pairs[c]).array)
        if a := m.find(lead, "ConvertedAccountId"):
            to_account = pd.Series(_ids(pairs[a]).array, index=to_lead.index).dropna()
    if contact is not None and (k := m.find(contact, "Id")) and (a := m.find(contact, "AccountId")):
        own = contact.dropna(subset=[a]).drop_duplicates(k)
        own_account = pd.Series(_ids(own[a]).array, index=_ids(own[k]).array)
        to_account = pd.concat([own_account, to_account[~to_account.index.isin(own_account.index)]])
    return to_lead, to_account


def _activity_types(kind: pd.Series, subtype: pd.Series, default: str | None,
                    automated_types: Sequence[str]) -> tuple[pd.Series, np.ndarray]:
    """Type (else TaskSubtype, else ``default``) in lower case, ListEmail an email; and whether either is automated."""
    auto = {norm(a) for a in automated_types}
    k_codes, k_values = pd.factorize(kind)
    s_codes, s_values = pd.factorize(subtype)
    label = ["email" if norm(v) in ("listemail", "massemail") else str(v).strip().lower() for v in [*k_values, *s_values]]
    automated = (np.array([norm(v) in auto for v in k_values] + [False])[k_codes]  # code -1 (missing): the last, False
                 | np.array([norm(v) in auto for v in s_values] + [False])[s_codes])
    typed = k_codes >= 0
    codes = k_codes if typed.all() else np.where(typed, k_codes, np.where(s_codes >= 0, len(k_values) + s_codes, -1))
    if default is not None:
        label.append(default)
        codes = np.where(codes >= 0, codes, len(label) - 1)
    return _gather(codes, label, kind.index), automated


def _export_time(ctx: _Context, tables: Mapping[str, pd.DataFrame | None], acts: pd.DataFrame, event: np.ndarray,
                 done: np.ndarray, as_of: Any) -> pd.Timestamp | None:
    """``as_of`` (UTC), else the latest record the export holds (deals and leads created, the tasks ``done``):
    ``event`` rows after it are planned."""
    if as_of is not None:
        stamp = pd.Timestamp(as_of)
        return (stamp.tz_localize(ctx.tz) if stamp.tzinfo is None else stamp).tz_convert("UTC")
    if not event.any():
        return None
    latest = [pd.to_datetime(acts["occurred_at"][done], errors="coerce", utc=True).max()]
    for table in ("opportunities", "leads"):
        frame = tables.get(table)
        if frame is not None:
            latest.append(pd.to_datetime(frame["created_at"], errors="coerce", utc=True).max())
    found = [t for t in latest if pd.notna(t)]
    return max(found) if found else None


def _fx_rates(m: Mapper, objs: dict[str, pd.DataFrame], currency: str | None,
              given: pd.DataFrame | None) -> tuple[str, pd.DataFrame | None]:
    """The reporting currency and fx_rates (rate = 1 / ConversionRate: Salesforce gives units per corporate unit)."""
    kinds = objs.get("CurrencyType")
    corporate = None
    if kinds is not None and (code := m.find(kinds, "IsoCode")) and (flag := m.find(kinds, "IsCorporate")):
        found = kinds.loc[true_flags(kinds[flag]), code]
        corporate = str(found.iloc[0]) if len(found) else None
    if currency and corporate and currency != corporate:
        raise ValueError(f"{VENDOR}: currency={currency!r}, but Salesforce's conversion rates are against the corporate "
                         f"currency {corporate}; pass currency={corporate!r}, or leave it out.")
    reporting = currency or corporate or "USD"
    parts: list[pd.DataFrame] = []
    sources: dict[str, list[str]] = {"currency": [], "date": [], "rate": []}
    for obj in ("DatedConversionRate", "CurrencyType"):
        frame = objs.get(obj)
        if frame is None:
            continue
        cols = {k: m.find(frame, k) for k in ("IsoCode", "ConversionRate", "StartDate")[: 3 if obj == "DatedConversionRate" else 2]}
        for name, col in cols.items():
            if col is None:
                m.require(obj, name)
        if any(col is None for col in cols.values()):
            continue
        c = {k: str(v) for k, v in cols.items()}
        rate = 1.0 / _coerce_number(frame[c["ConversionRate"]])[0]
        if "StartDate" in c:  # Salesforce's first dated range starts in year 0001: dates before 1900 read as 1900-01-01
            text = frame[c["StartDate"]].astype(TEXT)
            when = text.where(text.str.slice(0, 4) >= "1900", "1900-01-01")
            sources["date"].append(f"{obj}.{c['StartDate']} (before 1900: 1900-01-01)")
        else:
            when = pd.Series("1900-01-01", index=frame.index)
            sources["date"].append(f"{obj}: one rate for all time, dated 1900-01-01 (currencies without dated rates)")
        part = _frame(currency=frame[c["IsoCode"]], date=when, rate=rate)
        if parts:  # static rates only for the currencies without dated ones
            part = part.loc[~part["currency"].isin(parts[0]["currency"])]
        parts.append(part)
        sources["currency"].append(f"{obj}.{c['IsoCode']}")
        sources["rate"].append(f"1 / {obj}.{c['ConversionRate']} (Salesforce gives units per {reporting}, the corporate currency)")
    if given is not None:
        parts.append(given[["currency", "date", "rate"]])
        for column in sources:
            sources[column].append("fx_rates= (given)")
    if not parts:
        return reporting, None
    for column, found in sources.items():
        m.record("fx_rates", column, "; ".join(found))
    fx = concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    return reporting, fx.loc[fx["currency"].astype(TEXT) != reporting].reset_index(drop=True)
