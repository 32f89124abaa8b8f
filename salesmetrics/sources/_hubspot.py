"""``read_hubspot``: a HubSpot CRM export (CSV files, or API / warehouse frames) as a validated SalesData.

HubSpot object -> canonical table: deals -> opportunities, contacts -> leads, companies -> accounts,
owners (and teams) -> reps, calls / emails / meetings (or one engagements table) -> activities, currency
exchange rates -> fx_rates. Properties are found by their internal name (``dealstage``) or their export
label (``Deal Stage``), whatever the case, spaces or underscores; API and warehouse prefixes
(``properties.``, Airbyte's ``properties_``, Fivetran's ``property_``) are dropped first, and nested API
records (``{"id", "properties": {...}, "associations": {...}}``) are flattened to dotted columns.

**Which file holds which object.** A file name (without its suffix), or a dict key, is split into words
at anything that is not a letter or a digit and at camelCase humps (``hubspot-crm-exports-all-deals-
2025-10-01`` -> hubspot, crm, exports, all, deals, 2025, 10, 01; ``AllDeals`` -> all, deals); it holds
the first object of :data:`OBJECTS` one of whose names is one of its words, so ``deal_stages`` holds the
pipeline stages, not the deals. A name with two of deal, contact, company, engagement (Fivetran's
``deal_company``, ``engagement_contact``) is an association table whose ``<object>_id`` columns link the
two. Anything else is ignored, with a warning.

Generic helpers written here rather than in ``_common`` (the reader toolkit): :func:`_ids_per_row`
(association cells in every shape HubSpot writes them), :func:`_lookup` / :func:`_resolve` (names and
e-mails to ids), :func:`_epoch` (epoch milliseconds) and :func:`_flatten` (nested API records).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import find_stack_level
from .._compat import flags
from ..errors import FAILURE_COLUMNS, DataQualityWarning, InputValidationError
from ..periods import check_timezone
from ._common import _SUFFIXES, NOT_AVAILABLE, Mapper, norm, read_source

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData

VENDOR = "read_hubspot"

OBJECTS: dict[str, tuple[str, ...]] = {
    "pipeline_stages": ("stage", "stages", "dealstage", "dealstages", "pipelinestage", "pipelinestages"),
    "pipelines": ("pipeline", "pipelines", "dealpipeline", "dealpipelines"),
    "exchange_rates": ("exchange", "exchangerate", "exchangerates", "currency", "currencies"),
    "owners": ("owner", "owners", "user", "users"),
    "teams": ("team", "teams"),
    "calls": ("call", "calls"),
    "emails": ("email", "emails"),
    "meetings": ("meeting", "meetings"),
    "engagements": ("engagement", "engagements", "activity", "activities"),
    "deals": ("deal", "deals"),
    "contacts": ("contact", "contacts"),
    "companies": ("company", "companies"),
}
"""Object -> the words that name it, in the order they are tried (the first object a name has a word of wins)."""

_LABEL = {"pipeline_stages": "PipelineStage", "pipelines": "Pipeline", "exchange_rates": "ExchangeRate", "owners": "Owner",
          "teams": "Team", "calls": "Call", "emails": "Email", "meetings": "Meeting", "engagements": "Engagement",
          "deals": "Deal", "contacts": "Contact", "companies": "Company"}
_LINKABLE = {"deal": "deals", "contact": "contacts", "company": "companies", "engagement": "engagements"}
_LINKABLE |= {"deals": "deals", "contacts": "contacts", "companies": "companies", "engagements": "engagements"}
_SINGULAR = {"deals": "deal", "contacts": "contact", "companies": "company", "engagements": "engagement"}

DEFAULT_STAGES = {"appointmentscheduled": "open", "qualifiedtobuy": "open", "presentationscheduled": "open",
                  "decisionmakerboughtin": "open", "contractsent": "open", "closedwon": "won", "closedlost": "lost"}
"""HubSpot's default sales pipeline by stage id (its labels, "Closed Won", read the same after :func:`norm`)."""

_ENTERED = re.compile(r"^(?:hs_v2_date_entered_|hs_date_entered_)(.+)$", re.IGNORECASE)
_ENTERED_LABEL = re.compile(r'^date entered\s*"(.+?)(?:\s*\([^()]*\))?"\s*$', re.IGNORECASE)
"""The deals' stage entry dates: internal names (``hs_date_entered_closedwon``) and export labels
(``Date entered "Closed Won (Sales Pipeline)"``, the pipeline in brackets)."""

DEFAULT_LABELS = {"appointmentscheduled": "Appointment Scheduled", "qualifiedtobuy": "Qualified To Buy",
                  "presentationscheduled": "Presentation Scheduled", "decisionmakerboughtin": "Decision Maker Bought-In",
                  "contractsent": "Contract Sent", "closedwon": "Closed Won", "closedlost": "Closed Lost"}
"""The default pipeline's stage labels by id."""

DEAL_TYPES = {"newbusiness": "new_business", "existingbusiness": "expansion", "expansion": "expansion", "renewal": "renewal"}
"""``dealtype`` (internal value or label, after :func:`norm`) -> canonical type."""

AUTOMATED_SOURCES = ("SEQUENCES", "WORKFLOWS", "AUTOMATION_PLATFORM", "AUTOMATION_JOURNEY", "PRIMARY_AUTOMATION", "BOT")
"""``hs_engagement_source`` values of activities no rep performed: sequence steps, workflows, bots."""

_KINDS = {"call": "call", "calls": "call", "email": "email", "emails": "email", "forwardedemail": "email",
          "meeting": "meeting", "meetings": "meeting", "incomingemail": "incoming email", "note": "note", "task": "task"}
_TOUCHES = ("call", "email", "meeting")

SOURCES = {"organicsearch": "organic_search", "paidsearch": "paid_search", "emailmarketing": "email_marketing",
           "organicsocial": "social_media", "socialmedia": "social_media", "referrals": "referrals",
           "othercampaigns": "other_campaigns", "directtraffic": "direct_traffic", "offline": "offline",
           "offlinesources": "offline", "paidsocial": "paid_social"}
"""``hs_analytics_source`` values and their export labels (after :func:`norm`) -> one code; others are snake-cased."""

_ID = ("hs_object_id", "Record ID", "id")
_CREATED = ("createdate", "Create Date", "createdAt", "hs_createdate")
_OWNER = ("hubspot_owner_id", "owner_id", "ownerId", "engagement.ownerId")
_SOURCE = ("hs_analytics_source", "Original Source", "Original Traffic Source")


def _link_aliases(kind: str) -> tuple[str, ...]:
    """Association columns to ``kind`` (company, contact, deal) as exports, the API and syncs write them."""
    plural = {"company": "companies", "contact": "contacts", "deal": "deals"}[kind]
    label = kind.title()
    primary = ("associatedcompanyid", "Primary Associated Company ID") if kind == "company" else ()
    return (f"Associated {label} IDs (Primary)", f"Associated {label} IDs", *primary, f"associations.{plural}.results",
            f"associations.{kind}Ids", f"{kind}Ids", f"{kind}_ids", plural, f"{kind}_id", f"Associated {label}")


# ----------------------------------------------------------------------------------------------------------
# vectorised helpers
# ----------------------------------------------------------------------------------------------------------


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [*re.findall(r"[a-z0-9]+", spaced.lower()), norm(name)]


def _match(names: Iterable[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Object key (or ``link:<a>:<b>``) -> the export names holding it; and the names holding none."""
    found: dict[str, list[str]] = {}
    unknown = []
    for name in names:  # a handful of file names
        words = _words(name)
        linked = list(dict.fromkeys(_LINKABLE[w] for w in words if w in _LINKABLE))
        key = f"link:{linked[0]}:{linked[1]}" if len(linked) > 1 else next(
            (k for k, aliases in OBJECTS.items() if any(w in aliases for w in words)), None)
        if key is None:
            unknown.append(name)
        else:
            found.setdefault(key, []).append(name)
    return found, unknown


def _export_names(source: Any) -> list[str]:
    if isinstance(source, Mapping):
        return [str(k) for k in source]
    folder = Path(os.fspath(source))
    if not folder.is_dir():
        return []  # read_source says what is wrong
    found = []
    for entry in folder.iterdir():
        suffix = next((s for s in _SUFFIXES if entry.name.lower().endswith(s)), None)
        if suffix and not entry.name.startswith("."):
            found.append(entry.name[: -len(suffix)])
    return found


def _holds(values: pd.Series, *kinds: type) -> bool:
    """Whether a column holds ``kinds`` (judged by its first value: a column is one shape throughout)."""
    present = values.notna().to_numpy(bool)
    return bool(present.any()) and isinstance(values.iloc[int(present.argmax())], kinds)


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """Nested API records (``properties``, ``associations``, ``metadata`` dicts) as dotted columns, prefixes dropped."""
    for column in [c for c in frame.columns if frame[c].dtype == object and _holds(frame[c], Mapping)]:
        values = frame[column].dropna()
        inner = pd.json_normalize(values.tolist())
        inner.index = values.index
        inner.columns = [f"{column}.{c}" for c in inner.columns]
        frame = frame.drop(columns=column).join(inner)
    bare = {c: re.sub(r"^(properties[._]|property_)", "", str(c)) for c in frame.columns}
    return frame.rename(columns={c: b for c, b in bare.items() if b != c and b not in frame.columns})


def _norm(values: pd.Series) -> pd.Series:
    """:func:`norm` on a whole column."""
    return values.astype("string").str.lower().str.replace(r"[^a-z0-9]", "", regex=True)


def _text(values: pd.Series) -> pd.Series:
    """Ids as text (``123.0`` from a numeric column with gaps reads "123"), blanks as <NA>."""
    if pd.api.types.is_float_dtype(values.dtype) and bool((values.dropna() % 1 == 0).all()):
        return values.astype("Int64").astype("string")
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _flag(values: pd.Series) -> pd.Series:
    """True / False / <NA> from booleans or their spellings ("true", "Yes", "1")."""
    text = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[flags(text.isin(["true", "1", "yes", "t", "y"]))] = True
    out[flags(text.isin(["false", "0", "no", "f", "n"]))] = False
    return out


def _epoch(values: pd.Series) -> pd.Series:
    """Epoch milliseconds (the legacy API's time stamps) as UTC times; anything else as given."""
    present = values.dropna()
    if not len(present) or pd.api.types.is_bool_dtype(values.dtype):
        return values
    if pd.api.types.is_numeric_dtype(values.dtype):
        return pd.to_datetime(values, unit="ms", utc=True) if bool((present > 1e11).all()) else values
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        text = values.astype("string").str.strip()
        if bool(text.dropna().str.fullmatch(r"\d{12,13}").all()):
            return pd.to_datetime(pd.to_numeric(text), unit="ms", utc=True)
    return values


def _ids_per_row(values: pd.Series) -> pd.Series:
    """Every id a cell holds, one per line, indexed by the cell's position: lists (Airbyte), lists of
    ``{"id": ...}`` (API v3 associations), JSON-array text, or HubSpot's ``;``-separated export text."""
    cells = values.reset_index(drop=True)
    if _holds(cells, list, tuple, np.ndarray):
        out = cells.explode()
        out = _text(out.str.get("id") if _holds(out, Mapping) else out)
    else:
        text = _text(cells)
        bracket = text.str.startswith("[").fillna(False)
        listed = text.str.strip("[]").str.replace(r"[\"']", "", regex=True).str.replace(",", ";")
        out = text.where(~bracket, listed).str.split(";").explode().str.strip()
    return out.mask(out == "").dropna().astype("string")


def _first(pairs: pd.Series, n: int) -> pd.Series:
    """Each row's first id (``pairs`` from :func:`_ids_per_row`), <NA> where it has none."""
    return pairs[~pairs.index.duplicated()].reindex(pd.RangeIndex(n)).astype("string")


def _lookup(ids: pd.Series, *keys: pd.Series | None) -> pd.Series:
    """Lower-cased name or e-mail -> id, for the names that belong to one id only."""
    parts = [pd.Series(ids.to_numpy(), index=k.astype("string").str.strip().str.lower().to_numpy()) for k in keys if k is not None]
    if not parts:
        return pd.Series([], dtype="string")
    table = pd.concat(parts).dropna()
    table = table[pd.notna(table.index)]
    table = table[~pd.MultiIndex.from_arrays([table.index, table.to_numpy()]).duplicated()]
    return table[~table.index.duplicated(keep=False)].astype("string")


def _resolve(values: pd.Series, known: pd.Index, by_name: pd.Series) -> tuple[pd.Series, int]:
    """Ids where ``values`` are known ids, else looked up by name or e-mail (exports write records by name)."""
    if not len(by_name):
        return values, 0
    named = values.str.lower().map(by_name)
    use = (~values.isin(known) & named.notna()).to_numpy(bool)
    return values.where(~use, named).astype("string"), int(use.sum())


_NO_LOOKUP: tuple[pd.Index, pd.Series] = (pd.Index([]), pd.Series([], dtype="string"))


# ----------------------------------------------------------------------------------------------------------
# the reader
# ----------------------------------------------------------------------------------------------------------


class _Reader:
    """One read: the objects found, the options, and the Mapper collecting provenance and what is missing."""

    def __init__(self, frames: dict[str, pd.DataFrame], options: dict[str, Any]) -> None:
        self.m = Mapper(VENDOR)
        self.o = options
        self.columns: Mapping[str, Mapping[str, str]] = options["columns"] or {}
        self.failures: list[pd.DataFrame] = []
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.expected: pd.Series | None = None
        self.shared_names = pd.Index([], dtype="string")
        self.named_owners: dict[str, int] = {}
        self.shared: dict[str, tuple[int, str]] = {}
        self.links = {k: v for k, v in frames.items() if k.startswith("link:")}
        self.f: dict[str, pd.DataFrame] = {}
        for key, frame in frames.items():
            if key.startswith("link:"):
                continue
            frame = _flatten(frame)
            archived = Mapper.find(frame, "archived") if key == "owners" else None
            if archived:  # an archived owner left the company; the row is not deleted
                frame = frame.rename(columns={archived: "owner_archived"})
            self.f[key] = self.m.drop_deleted(frame, _LABEL[key])
        self.lookups: dict[str, tuple[pd.Index, pd.Series]] = {"contact": self.contact_lookup(), "company": _NO_LOOKUP,
                                                               "deal": _NO_LOOKUP, "owner": _NO_LOOKUP}

    # -- fields ------------------------------------------------------------------------------------------
    def take(self, frame: pd.DataFrame, obj: str, table: str, column: str, aliases: tuple[str, ...], *,
             required: bool = False, option: str = "") -> pd.Series | None:
        """:meth:`Mapper.take`; a property named in ``columns=`` is looked up instead, and must exist."""
        custom = self.columns.get(table, {}).get(column)
        if custom:
            return self.m.take(frame, obj, table, column, (custom,), required=True, option=f"fix columns={{{table!r}: ...}}")
        return self.m.take(frame, obj, table, column, aliases, required=required, option=option)

    def amend(self, table: str, column: str, note: str) -> None:
        """Add ``note`` to what provenance says about ``table.column``."""
        said = next(s for t, c, s in self.m.records if (t, c) == (table, column))
        self.m.record(table, column, f"{said} {note}")

    def unknown(self, table: str, column: str, bad: pd.Series, shown: pd.Series, fix: str) -> None:
        """Collect the rows whose value no rule maps, with the option that maps them."""
        rows = np.flatnonzero(flags(bad))
        if not len(rows):
            return
        values = shown.iloc[rows].astype("string").fillna("<empty>")
        counts = values.value_counts()
        listed = ", ".join(f"{v!r} ({n} row{'s' if n > 1 else ''})" for v, n in counts.head(8).items())
        self.problems.append(f"  {table}.{column}: {listed}{' ...' if len(counts) > 8 else ''}; {fix}")
        self.failures.append(pd.DataFrame({"table": table, "column": column, "check": "unknown_value", "row": rows,
                                           "value": values.to_numpy(), "fix": fix}, columns=FAILURE_COLUMNS))

    def owner(self, values: pd.Series | None, table: str) -> pd.Series | None:
        """Owner ids; names and e-mails (exports write owners by name) resolved through the owners export."""
        if values is None:
            return None
        ids, named = _resolve(_text(values), *self.lookups["owner"])
        if named and table != "activities":  # activities say it when they record their sources
            self.amend(table, "owner_id", "(owner names resolved to ids through the owners export)")
        self.named_owners[table] = self.named_owners.get(table, 0) + named
        shared = ids[ids.str.lower().isin(self.shared_names) & ~ids.isin(self.lookups["owner"][0])]
        if len(shared):
            count, example = self.shared.get(table, (0, shared.iloc[0]))
            self.shared[table] = (count + len(shared), example)
        return ids

    def association(self, frame: pd.DataFrame, key: str, table: str, column: str, kind: str,
                    own_ids: pd.Series) -> tuple[pd.Series, pd.Series]:
        """``table.column`` from the association to ``kind``: (first id per row, every (row position, id) pair)."""
        values = self.take(frame, _LABEL[key], table, column, _link_aliases(kind))
        if values is not None:
            pairs, named = _resolve(_ids_per_row(values), *self.lookups[kind])
            if named:
                self.amend(table, column, f"({kind} names resolved to ids)")
            self.amend(table, column, "(the first)")
            return _first(pairs, len(frame)), pairs
        other = {"company": "companies", "contact": "contacts", "deal": "deals"}[kind]
        for link_key, link in self.links.items():  # Fivetran-style association tables: deal_company, ...
            mine, theirs = (Mapper.find(link, f"{_SINGULAR[k]}_id") for k in (key, other))
            if set(link_key.split(":")[1:]) == {key, other} and mine and theirs:
                rows = pd.DataFrame({"id": _text(own_ids).to_numpy(), "at": np.arange(len(own_ids))})
                other_ids = pd.DataFrame({"id": _text(link[mine]).to_numpy(), "other": _text(link[theirs]).to_numpy()})
                linked = rows.merge(other_ids, on="id")
                pairs = pd.Series(linked["other"].to_numpy(), index=linked["at"].to_numpy()).sort_index(kind="stable").dropna()
                self.m.record(table, column, f"{'_'.join(sorted([_SINGULAR[key], kind]))} association table.{theirs} (the first)")
                return _first(pairs, len(frame)), pairs
        empty = pd.Series(pd.NA, index=pd.RangeIndex(len(frame)), dtype="string")
        return empty, empty.dropna()

    # -- accounts ----------------------------------------------------------------------------------------
    def accounts(self) -> pd.DataFrame | None:
        c = self.f.get("companies")
        if c is None:
            return None
        ids = self.take(c, "Company", "accounts", "account_id", (*_ID, "companyId", "company_id"), required=True)
        if ids is None:
            return None
        out = pd.DataFrame({"account_id": _text(ids)})
        for column, aliases in (("name", ("name", "Company name")), ("industry", ("industry", "Industry")),
                                ("region", ("country", "Country/Region")), ("created_at", _CREATED)):
            value = self.take(c, "Company", "accounts", column, aliases)
            if value is not None:
                out[column] = _epoch(value)
        segment = self.o["segment"]
        if isinstance(segment, Mapping):  # {segment: lowest numberofemployees}
            employees = self.take(c, "Company", "accounts", "segment", ("numberofemployees", "Number of Employees"),
                                  required=True, option="segment= a company property")
            if employees is not None:
                bands = sorted(segment.items(), key=lambda kv: float(kv[1]))
                edges = [*(float(low) for _, low in bands), np.inf]
                cut = pd.cut(pd.to_numeric(employees, errors="coerce"), edges, right=False, labels=[str(k) for k, _ in bands])
                out["segment"] = cut.astype("string")
                self.amend("accounts", "segment", f"in segment= bands {dict(bands)}")
        else:
            value = self.take(c, "Company", "accounts", "segment", (segment or "segment",), required=bool(segment),
                              option="segment= another property")
            if value is not None:
                out["segment"] = value
        self.lookups["company"] = (pd.Index(out["account_id"].dropna()), _lookup(out["account_id"], out.get("name")))
        return out

    # -- reps --------------------------------------------------------------------------------------------
    def reps(self) -> pd.DataFrame | None:
        o = self.f.get("owners")
        if o is None:
            return None
        ids = self.take(o, "Owner", "reps", "rep_id", ("id", "ownerId", "owner_id", "hubspot_owner_id", "Owner ID"), required=True)
        if ids is None:
            return None
        out = pd.DataFrame({"rep_id": _text(ids)})
        first, last = Mapper.find(o, "firstName", "First Name"), Mapper.find(o, "lastName", "Last Name")
        names = [o[c].astype("string").fillna("") for c in (first, last) if c]
        if names:
            full = (names[0] + " " + names[1] if len(names) == 2 else names[0]).str.strip()
            out["name"] = full.mask(full == "")
            self.m.record("reps", "name", " + ".join(f"Owner.{c}" for c in (first, last) if c))
        email = Mapper.find(o, "email", "Email")
        if email:
            out["email"] = o[email].astype("string")
        self.lookups["owner"] = (pd.Index(out["rep_id"].dropna()), _lookup(out["rep_id"], out.get("name"), out.get("email")))
        if "name" in out:
            lower = out["name"].str.lower()
            self.shared_names = pd.Index(lower[lower.duplicated(keep=False)].dropna().unique())
        out["team"] = self.team(o, out)
        role = self.take(o, "Owner", "reps", "role", ("role", "roleName", "Role"))
        if role is not None:
            out["role"] = role
        if self.o["roles"]:
            keys = {str(k).strip().lower(): v for k, v in self.o["roles"].items()}
            given = out["rep_id"].str.lower().map(keys)
            for other in ("email", "team"):
                if other in out:
                    given = given.fillna(out[other].str.lower().map(keys))
            out["role"] = given.astype("string") if role is None else role.astype("string").fillna(given)
            field = f"Owner.{role.name}, else " if role is not None else ""
            self.m.record("reps", "role", f"{field}roles= (by owner id, e-mail or team)")
        for column in ("hired_at", "terminated_at", "manager_id", "region"):  # HubSpot keeps none of them
            value = self.take(o, "Owner", "reps", column, ())
            if value is not None:
                out[column] = _epoch(value)
        flag = Mapper.find(o, "owner_archived")
        active = Mapper.find(o, "is_active", "active")
        left = _flag(o[flag]) if flag else ~_flag(o[active]) if active else None
        if left is not None:
            out["archived"] = flags(left)
            if out["archived"].any():
                self.notes.append(f"{int(out['archived'].sum())} owner(s) are archived (they left): kept as reps, "
                                  "archived=True; HubSpot keeps no date for it, so terminated_at is not available and rep "
                                  "turnover is not assessed")
        return out

    def team(self, o: pd.DataFrame, out: pd.DataFrame) -> pd.Series:
        """Each owner's primary team: ``teams=``, else the owner's own teams, else the teams export's members."""
        option = self.o["teams"]
        if isinstance(option, str):
            self.m.record("reps", "team", f"teams={option!r}")
            return pd.Series(option, index=out.index, dtype="string")
        teams = self.f.get("teams")
        tid = Mapper.find(teams, "id", "team_id", "teamId") if teams is not None else None
        tname = Mapper.find(teams, "name", "team_name", "Team name") if teams is not None else None
        names = (pd.Series(teams[tname].astype("string").to_numpy(), index=_text(teams[tid]).to_numpy())
                 if teams is not None and tid and tname else pd.Series([], dtype="string"))
        team = pd.Series(pd.NA, index=out.index, dtype="string")
        said = ""
        column = Mapper.find(o, "primaryTeam", "Primary team", "primary_team_name", "team", "Team", "teams", "Teams",
                             "hubspot_team_id", "team_id")
        user = Mapper.find(o, "userId", "user_id", "User ID", "active_user_id")
        members = Mapper.find(teams, "userIds", "user_ids", "primary_user_ids") if teams is not None else None
        if column is not None:
            cells = o[column].reset_index(drop=True)
            if _holds(cells, list, tuple, np.ndarray):  # the owners API: teams [{"id", "name", "primary"}]
                each = cells.explode().dropna()
                primary = flags(_flag(each.str.get("primary")))
                each = each.iloc[np.lexsort((~primary, each.index.to_numpy()))]
                each = each[~each.index.duplicated()]
                label = _text(each.str.get("name")).fillna(_text(each.str.get("id")).map(names))
                team = label.reindex(pd.RangeIndex(len(out))).astype("string")
            else:
                team = _first(_ids_per_row(cells), len(out))
            team.index = out.index
            said = f"Owner.{column} (the primary team)"
        elif teams is not None and user and members and len(names):
            pairs = _ids_per_row(teams[members])
            by_user = pd.Series(names.to_numpy()[pairs.index.to_numpy()], index=pairs.to_numpy())
            team = _text(o[user]).map(by_user[~by_user.index.duplicated()]).astype("string")
            team.index = out.index
            said = f"Team.{tname} of the team whose {members} hold the owner's {user}"
        if len(names):
            team = team.where(~team.isin(names.index), team.map(names))
        if isinstance(option, Mapping) and option:
            keys = {str(k).strip().lower(): v for k, v in option.items()}
            given = out["rep_id"].str.lower().map(keys)
            if "email" in out:
                given = given.fillna(out["email"].str.lower().map(keys))
            team = given.astype("string").fillna(team)
            said = "teams= (by owner id or e-mail)" + (f", else {said}" if said else "")
        if not said:
            self.m.require("Owner", "teams", "teams='Sales' (one team for all) or teams={owner id or e-mail: team}")
            return team
        self.m.record("reps", "team", said)
        if team.isna().any():
            self.notes.append(f"{int(team.isna().sum())} owner(s) have no team: their team is '(no team)' (teams= names it)")
        return team.fillna("(no team)")

    # -- opportunities -----------------------------------------------------------------------------------
    def opportunities(self) -> pd.DataFrame | None:
        d = self.f.get("deals")
        if d is None:
            return None
        t = self.take
        ids = t(d, "Deal", "opportunities", "opportunity_id", (*_ID, "dealId", "deal_id"), required=True)
        created = t(d, "Deal", "opportunities", "created_at", _CREATED, required=True)
        won = Mapper.find(d, "hs_is_closed_won", "Is Closed Won")
        closed = Mapper.find(d, "hs_is_closed", "Is Deal Closed?", "Is Closed")
        stage = t(d, "Deal", "opportunities", "stage", ("dealstage", "Deal Stage", "deal_pipeline_stage_id"),
                  required=not (won and closed),
                  option="stages={stage: 'open'|'won'|'lost'} (or export hs_is_closed_won and hs_is_closed)")
        if ids is None or created is None:
            return None
        out = pd.DataFrame({"opportunity_id": _text(ids), "created_at": _epoch(created)})
        pipeline = Mapper.find(d, "pipeline", "Pipeline", "deal_pipeline_id")
        out["status"], out["stage"] = self.status(d, stage, d[pipeline] if pipeline else None,
                                                  _flag(d[won]) if won else None, _flag(d[closed]) if closed else None)
        close = t(d, "Deal", "opportunities", "closed_at", ("closedate", "Close Date"))
        if close is None and out["status"].isin(["won", "lost"]).any():  # closed deals need the date they closed
            self.m.require("Deal", 'closedate ("Close Date")', "")
        if close is not None:
            self.amend("opportunities", "closed_at", "(closed deals only)")
            close = _epoch(close)
            out["closed_at"] = close.where(out["status"].ne("open").fillna(True))
            planned = close.where(out["status"].eq("open").fillna(False))
            self.expected = pd.Series(planned.to_numpy(), index=out["opportunity_id"].to_numpy())
            self.m.record("opportunities", "expected_close_at", f"Deal.{close.name} (open deals: the expected close date)")
        amount = t(d, "Deal", "opportunities", "amount", ("amount", "Amount"))
        if amount is not None:
            out["amount"] = amount
        currency = t(d, "Deal", "opportunities", "currency", ("deal_currency_code", "Currency"))
        if currency is not None:
            mapping = {str(k).strip().lower(): v for k, v in (self.o["currencies"] or {}).items()}
            text = currency.astype("string").str.strip()
            out["currency"] = text.str.lower().map(mapping).astype("string").fillna(text.str.upper())
            iso = out["currency"].str.fullmatch(r"[A-Z]{3}").fillna(False)
            self.unknown("opportunities", "currency", out["currency"].notna() & ~iso, currency,
                         "map it to an ISO 4217 code: currencies={'<their value>': 'EUR'}")
        kind = t(d, "Deal", "opportunities", "type", ("dealtype", "Deal Type"))
        if kind is not None:
            types = {**DEAL_TYPES, **{norm(k): v for k, v in (self.o["types"] or {}).items()}}
            out["type"] = _norm(kind).map(types).astype("string")
            self.unknown("opportunities", "type", kind.notna() & out["type"].isna(), kind,
                         "map it: types={'<their deal type>': 'new_business' | 'expansion' | 'renewal'}")
        owner = self.owner(t(d, "Deal", "opportunities", "owner_id", (*_OWNER, "Deal owner")), "opportunities")
        if owner is not None:
            out["owner_id"] = owner
        source = t(d, "Deal", "opportunities", "source", _SOURCE)
        if source is not None:
            out["source"] = self.source(source)
        for column, other in (("account_id", "company"), ("lead_id", "contact")):
            out[column] = self.association(d, "deals", "opportunities", column, other, out["opportunity_id"])[0].to_numpy()
        name = Mapper.find(d, "dealname", "Deal Name")
        self.lookups["deal"] = (pd.Index(out["opportunity_id"].dropna()), _lookup(out["opportunity_id"], d[name] if name else None))
        return out

    def stage_history(self, opps: pd.DataFrame | None) -> pd.DataFrame | None:
        """One row per deal and stage it entered, from the deals' "date entered" properties: ``hs_date_entered_<stage
        id>`` (or ``hs_v2_date_entered_<stage id>``), labelled through the pipelines' metadata where given; an export's
        ``Date entered "<stage> (<pipeline>)"`` columns by their label. HubSpot keeps one date per stage (the latest
        entry), so a deal that re-entered a stage has one row for it."""
        d = self.f.get("deals")
        if d is None or opps is None:
            return None
        found: list[tuple[str, str]] = []  # (column, stage as the deals' stage column shows it)
        meta = None
        shown = set(opps["stage"].dropna().astype(str)) if "stage" in opps else set()
        for column in map(str, d.columns):
            internal = _ENTERED.match(column)
            label = _ENTERED_LABEL.match(column)
            if internal:
                if meta is None:  # a stage id's label: the pipelines' metadata, else the default pipeline's as the deals show it
                    stages = self.pipeline_stages()
                    meta = {k: v for k, v in DEFAULT_LABELS.items() if v in shown}
                    if stages is not None:
                        meta.update({str(k): str(v) for k, v in stages.drop_duplicates("stage").set_index("stage")["label"].items()})
                found.append((column, str(meta.get(norm(internal.group(1)), internal.group(1)))))
            elif label:
                found.append((column, label.group(1).strip()))
        if not found:
            return None
        parts = []
        for column, stage in found:
            when = _epoch(d[column])
            present = when.notna().to_numpy(bool)
            parts.append(pd.DataFrame({"opportunity_id": opps["opportunity_id"].to_numpy()[present], "stage": stage,
                                       "entered_at": when.to_numpy(dtype=object)[present]}))
        rows = pd.concat(parts, ignore_index=True)
        rows = rows[~rows.duplicated(["opportunity_id", "stage"])].reset_index(drop=True)  # hs_v2_ and hs_ of one stage
        listed = ", ".join(c for c, _ in found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        self.m.record("stage_history", "opportunity_id", "Deal.<record id>, once per date entered the deal has")
        self.m.record("stage_history", "stage", f"Deal.<date entered a stage>: the stage each one names ({len(found)}: {listed}; "
                                                "stage ids read as their labels through the pipelines' metadata)")
        self.m.record("stage_history", "entered_at", "Deal.<date entered a stage> (HubSpot keeps the latest entry into each stage)")
        return rows

    def status(self, d: pd.DataFrame, stage: pd.Series | None, pipeline: pd.Series | None,
               won: pd.Series | None, closed: pd.Series | None) -> tuple[pd.Series, pd.Series]:
        """Open / won / lost per deal, and its stage's label: ``stages=``, then the pipelines' stage metadata, then
        hs_is_closed_won / hs_is_closed, then HubSpot's default stage ids."""
        na = pd.Series(pd.NA, index=d.index, dtype="string")
        key = _norm(stage) if stage is not None else na
        label = stage.astype("string") if stage is not None else na
        mapping = {norm(k): str(v).strip().lower() for k, v in (self.o["stages"] or {}).items()}
        if set(mapping.values()) - {"open", "won", "lost"}:
            raise ValueError(f"{VENDOR}: stages= maps to {sorted(set(mapping.values()) - {'open', 'won', 'lost'})}; "
                             "map each stage to 'open', 'won' or 'lost'.")
        status = key.map(mapping).astype("string") if mapping else na
        rules = ["stages="] if mapping else []
        meta = self.pipeline_stages()
        pipe = _norm(pipeline) if pipeline is not None else None
        if meta is not None:
            if pipe is not None and meta["pipe"].notna().any():  # a stage id within its pipeline
                pairs = meta.drop_duplicates(["pipe", "stage", "status"])
                pairs = pairs[~pairs.duplicated(["pipe", "stage"], keep=False)]
                pairs.index = pairs["pipe"] + "\x1f" + pairs["stage"]
                joined = pipe + "\x1f" + key
                status, label = status.fillna(joined.map(pairs["status"])), joined.map(pairs["label"]).fillna(label)
            alone = meta.drop_duplicates(["stage", "status"])  # a stage id (or label) that means one thing in every pipeline
            alone = alone[~alone.duplicated("stage", keep=False)].set_index("stage")
            status, label = status.fillna(key.map(alone["status"])), key.map(alone["label"]).fillna(label)
            rules.append("the pipelines' stage metadata (metadata.isClosed, metadata.probability)")
        if won is not None or closed is not None:
            no = np.zeros(len(d), dtype=bool)
            is_won = flags(won.eq(True)) if won is not None else no
            not_won = flags(won.eq(False)) if won is not None else no
            is_closed = flags(closed.eq(True)) if closed is not None else no
            is_open = flags(closed.eq(False)) if closed is not None else no
            chosen = np.select([is_won, is_closed & not_won, is_open], ["won", "lost", "open"], "")
            status = status.fillna(pd.Series(chosen, index=d.index, dtype="string").replace("", pd.NA))
            rules.append("hs_is_closed_won / hs_is_closed")
        status = status.fillna(key.map(DEFAULT_STAGES))
        rules.append("HubSpot's default stage ids (closedwon, closedlost, appointmentscheduled, ...)")
        field = f"Deal.{stage.name}" if stage is not None else "Deal"
        self.m.record("opportunities", "status", f"{field} through " + ", then ".join(rules))
        if status.isna().any():
            shown = label.fillna("<empty>")
            if pipeline is not None:
                shown = shown + " (pipeline " + pipeline.astype("string").fillna("?") + ")"
                if meta is not None and pipe is not None:
                    strange = status.isna() & ~pipe.isin(set(meta["pipe"].dropna()))
                    if strange.any():
                        names = ", ".join(map(repr, sorted(set(pipeline[strange].astype(str)))[:5]))
                        self.problems.append(f"  opportunities.stage: pipeline(s) {names} are not in the pipelines metadata; "
                                             "add their stages to pipelines=, or map their stages with stages=")
            example = str(label[status.isna()].iloc[0])
            self.unknown("opportunities", "stage", status.isna(), shown,
                         "pass pipelines= (the pipelines API's stages, with metadata.isClosed and metadata.probability), "
                         f"or map each stage: stages={{{example!r}: 'open' | 'won' | 'lost', ...}}")
        return status, label

    def pipeline_stages(self) -> pd.DataFrame | None:
        """The stage metadata (``pipelines=``, or a pipelines / deal_stages export): one row per key a stage goes
        by (its id, its label) and pipeline key (id, label), normalised: pipe, stage, label, status."""
        given = self.o["pipelines"]
        frame = self.f.get("pipeline_stages", self.f.get("pipelines")) if given is None else _flatten(
            given if isinstance(given, pd.DataFrame) else pd.DataFrame(list(given)))
        if frame is None:
            return None
        nested = Mapper.find(frame, "stages")
        if nested is not None and _holds(frame[nested], list, tuple, np.ndarray):  # pipelines, each with its stages
            pid, plabel = Mapper.find(frame, "pipelineId", "id"), Mapper.find(frame, "label")
            each = frame.explode(nested).dropna(subset=[nested]).reset_index(drop=True)
            inner = pd.json_normalize(each[nested].tolist())
            inner["pipeline"] = each[pid].to_numpy() if pid else pd.NA
            inner["pipeline_label"] = each[plabel].to_numpy() if plabel else pd.NA
            frame = inner
        frame = frame.reset_index(drop=True)
        stage = Mapper.find(frame, "stageId", "stage_id", "id", "dealstage", "stage")
        closed = Mapper.find(frame, "metadata.isClosed", "isClosed", "is_closed", "closed")
        probability = Mapper.find(frame, "metadata.probability", "probability")
        if stage is None or (closed is None and probability is None):
            self.m.require("pipelines", "stageId" if stage is None else "metadata.isClosed and metadata.probability",
                           "stages={stage: 'open' | 'won' | 'lost'} instead")
            return None
        p = pd.to_numeric(frame[probability], errors="coerce") if probability else pd.Series(np.nan, index=frame.index)
        if closed:
            shut = _flag(frame[closed])
            is_closed, is_open = shut.eq(True).fillna(False), shut.eq(False).fillna(False)
            status = np.select([is_closed & (p >= 1), is_closed & (p <= 0), is_open], ["won", "lost", "open"], "")
        else:  # probability alone: 1.0 won, 0.0 lost
            status = np.select([p >= 1, p <= 0, p.notna()], ["won", "lost", "open"], "")
        label = Mapper.find(frame, "label", "stage_label", "Stage name")
        shown = frame[label if label else stage].astype("string")
        pipe_columns = (Mapper.find(frame, "pipeline", "pipelineId", "pipeline_id", "deal_pipeline_id"),
                        Mapper.find(frame, "pipeline_label", "pipelineLabel"))
        pipes: list[pd.Series | None] = [frame[c] for c in pipe_columns if c] or [None]
        keys = [_norm(frame[stage])] + ([_norm(frame[label])] if label else [])
        meta = pd.concat([pd.DataFrame({"pipe": _norm(p_) if p_ is not None else pd.NA, "stage": k, "label": shown,
                                        "status": pd.Series(status, dtype="string").replace("", pd.NA)})
                          for k in keys for p_ in pipes], ignore_index=True)
        return meta.dropna(subset=["stage", "status"]).astype({"pipe": "string"})

    @staticmethod
    def source(values: pd.Series) -> pd.Series:
        """One code whatever the spelling: ORGANIC_SEARCH (API) and "Organic Search" (export) are organic_search."""
        snake = values.astype("string").str.strip().str.lower().str.replace(r"[^a-z0-9]+", "_", regex=True).str.strip("_")
        return _norm(values).map(SOURCES).astype("string").fillna(snake)

    def contact_lookup(self) -> tuple[pd.Index, pd.Series]:
        c = self.f.get("contacts")
        ids = Mapper.find(c, *_ID, "vid", "contact_id") if c is not None else None
        if c is None or ids is None:
            return _NO_LOOKUP
        first, last, email = Mapper.find(c, "firstname"), Mapper.find(c, "lastname"), Mapper.find(c, "email")
        full = None
        if first and last:
            full = (c[first].astype("string").fillna("") + " " + c[last].astype("string").fillna("")).str.strip()
        return pd.Index(_text(c[ids]).dropna()), _lookup(_text(c[ids]), full, c[email] if email else None)

    # -- leads -------------------------------------------------------------------------------------------
    def leads(self, opps: pd.DataFrame | None) -> pd.DataFrame | None:
        c = self.f.get("contacts")
        if c is None:
            return None
        t = self.take
        ids = t(c, "Contact", "leads", "lead_id", (*_ID, "vid", "contact_id"), required=True)
        created = t(c, "Contact", "leads", "created_at", _CREATED, required=True)
        if ids is None or created is None:
            return None
        out = pd.DataFrame({"lead_id": _text(ids), "created_at": _epoch(created)})
        for column, aliases in (
            ("mql_at", ("hs_lifecyclestage_marketingqualifiedlead_date", "Became a Marketing Qualified Lead Date")),
            ("sql_at", ("hs_lifecyclestage_salesqualifiedlead_date", "Became a Sales Qualified Lead Date")),
            ("disqualified_at", ()), ("score", ("hubspotscore", "HubSpot Score")), ("segment", ()),
        ):
            value = t(c, "Contact", "leads", column, aliases)
            if value is not None:
                out[column] = _epoch(value)
        source = t(c, "Contact", "leads", "source", _SOURCE)
        if source is not None:
            out["source"] = self.source(source)
        owner = self.owner(t(c, "Contact", "leads", "owner_id", (*_OWNER, "Contact owner")), "leads")
        if owner is not None:
            out["owner_id"] = owner
        out["account_id"] = self.association(c, "contacts", "leads", "account_id", "company", out["lead_id"])[0].to_numpy()
        deal, pairs = self.association(c, "contacts", "leads", "opportunity_id", "deal", out["lead_id"])
        became = Mapper.find(c, "hs_lifecyclestage_opportunity_date", "Became an Opportunity Date")
        customer = Mapper.find(c, "hs_lifecyclestage_customer_date", "Became a Customer Date")
        if became is not None and opps is not None and pairs.index.duplicated().any():
            deal = self.nearest(pairs, c[became], opps)
            said = next(s for t, col, s in self.m.records if (t, col) == ("leads", "opportunity_id"))
            rule = f"(of several, the one created nearest Contact.{became})"
            self.m.record("leads", "opportunity_id", said.replace("(the first)", rule))
        out["opportunity_id"] = deal.to_numpy()
        self.check_lifecycle(out, c, became, customer, opps)
        return out

    @staticmethod
    def nearest(pairs: pd.Series, became: pd.Series, opps: pd.DataFrame) -> pd.Series:
        """Of each contact's deals, the one created nearest the day it became an opportunity (a tie: the first listed)."""
        when = pd.to_datetime(_epoch(became.reset_index(drop=True)), utc=True, errors="coerce", format="mixed")
        created = pd.to_datetime(opps["created_at"], utc=True, errors="coerce", format="mixed")
        created.index = opps["opportunity_id"].to_numpy()
        created = created[~created.index.duplicated()]
        gap = (pd.Series(pairs.map(created).to_numpy(), dtype="datetime64[ns, UTC]")
               - pd.Series(when.to_numpy()[pairs.index.to_numpy()], dtype="datetime64[ns, UTC]")).abs()
        distance = gap.dt.total_seconds().fillna(np.inf).to_numpy()
        order = np.lexsort((np.arange(len(pairs)), distance, pairs.index.to_numpy()))
        ranked = pairs.iloc[order]
        return _first(ranked[~ranked.index.duplicated()].sort_index(), len(became))

    def check_lifecycle(self, out: pd.DataFrame, c: pd.DataFrame, became: str | None, customer: str | None,
                        opps: pd.DataFrame | None) -> None:
        """Count the contacts HubSpot says became an opportunity (a customer) that no (won) deal shows."""
        deal_leads = opps["lead_id"].dropna() if opps is not None else pd.Series([], dtype="string")
        linked = (out["opportunity_id"].notna() | out["lead_id"].isin(deal_leads)).to_numpy(bool)
        said = []
        if became is not None and (n := int((c[became].notna().to_numpy() & ~linked).sum())):
            said.append(f"{n:,} contact(s) have '{became}' but no deal")
        if customer is not None and opps is not None:
            won = opps["status"].eq("won").fillna(False)
            has_won = (out["opportunity_id"].isin(opps.loc[won, "opportunity_id"])
                       | out["lead_id"].isin(opps.loc[won, "lead_id"].dropna()))
            if n := int((c[customer].notna().to_numpy() & ~has_won.to_numpy(bool)).sum()):
                said.append(f"{n:,} contact(s) have '{customer}' but no won deal")
        if said:
            self.notes.append("; ".join(said) + ": the funnel counts them as not converted (associate their deals in HubSpot)")

    # -- activities --------------------------------------------------------------------------------------
    def activities(self) -> pd.DataFrame | None:
        rules = dict(self.o["automated"] or {"hs_engagement_source": AUTOMATED_SOURCES})
        sources: dict[str, list[str]] = {}
        parts = [self.activity_part(key, self.f[key], rules, sources)
                 for key in ("calls", "emails", "meetings", "engagements") if key in self.f]
        found = [p for p in parts if p is not None]
        if not found:
            return None
        out = pd.concat(found, ignore_index=True)
        touch = out["kind"].isin(_TOUCHES).to_numpy(bool)
        if not touch.all():
            counts = out.loc[~touch, "kind"].value_counts()
            self.notes.append("left out of activities, not a rep's touch: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
        for column in ("activity_id", "occurred_at", "owner_id", "type", "lead_id", "opportunity_id", "account_id", "automated"):
            said = ", ".join(dict.fromkeys(sources.get(column, []))) or NOT_AVAILABLE
            if column == "owner_id" and self.named_owners.get("activities"):
                said += " (owner names resolved to ids through the owners export)"
            if said != NOT_AVAILABLE and column == "type":
                said = f"the object (call, email, meeting), or {said}"
            elif said != NOT_AVAILABLE and column == "automated":
                said += " in " + "; ".join(", ".join([v] if isinstance(v, str) else v) for v in rules.values())
            elif said != NOT_AVAILABLE and column in ("lead_id", "opportunity_id", "account_id"):
                said += " (the first)"
            self.m.record("activities", column, said)
        return out.loc[touch].drop(columns="kind").reset_index(drop=True)

    def activity_part(self, key: str, f: pd.DataFrame, rules: Mapping[str, Any],
                      sources: dict[str, list[str]]) -> pd.DataFrame | None:
        """One engagement object's rows: id, time, owner, kind and type, automated, and the records it is on."""
        obj = _LABEL[key]
        custom = self.columns.get("activities", {})

        def field(column: str, aliases: tuple[str, ...], required: bool = False) -> pd.Series | None:
            found = Mapper.find(f, *((custom[column],) if column in custom else aliases))
            if found is None:
                if required or column in custom:
                    fix = "fix columns={'activities': ...}" if column in custom else ""
                    self.m.require(obj, custom.get(column, aliases[0]), fix)
                return None
            sources.setdefault(column, []).append(f"{obj}.{found}")
            return f[found]

        ids = field("activity_id", (*_ID, "engagement_id", "engagement.id"), True)
        when = field("occurred_at", ("hs_timestamp", "Activity date", "timestamp", "engagement.timestamp", *_CREATED), True)
        owner = field("owner_id", (*_OWNER, "Activity assigned to", "Assigned to"), True)
        kind = field("type", ("hs_engagement_type", "type", "engagement.type", "Activity type"), key == "engagements")
        if ids is None or when is None or owner is None or (key == "engagements" and kind is None):
            return None
        part = pd.DataFrame({"activity_id": _text(ids), "occurred_at": _epoch(when)})
        part["owner_id"] = self.owner(owner, "activities")
        base = (_norm(kind).map(_KINDS).astype("string").fillna(_norm(kind)) if kind is not None
                else pd.Series(key[:-1], index=f.index, dtype="string"))
        direction = Mapper.find(f, "hs_email_direction", "Email direction")
        if direction is not None:  # an e-mail the contact wrote is not a touch
            base = base.mask(_norm(f[direction]).eq("incomingemail").fillna(False), "incoming email")
        detail = field("type", ("hs_activity_type", "Call and meeting type"))
        part["kind"] = base.to_numpy()
        part["type"] = (self.source(detail).fillna(base) if detail is not None else base).to_numpy()
        automated = np.zeros(len(f), dtype=bool)
        for prop, values in rules.items():
            flagged = field("automated", (prop, "engagement.source", "source") if norm(prop) == "hsengagementsource" else (prop,))
            if flagged is not None:
                wanted = [norm(v) for v in ([values] if isinstance(values, str) else values)]
                automated |= flags(_norm(flagged).isin(wanted))
        part["automated"] = automated
        for column, kind_of, other in (("lead_id", "contact", "contacts"), ("opportunity_id", "deal", "deals"),
                                       ("account_id", "company", "companies")):
            values = field(column, _link_aliases(kind_of))
            if values is not None:
                part[column] = _first(_resolve(_ids_per_row(values), *self.lookups[kind_of])[0], len(f)).to_numpy()
                continue
            for link_key, link in self.links.items():  # Fivetran: engagement_contact, engagement_deal, ...
                mine, theirs = Mapper.find(link, "engagement_id"), Mapper.find(link, f"{kind_of}_id")
                if set(link_key.split(":")[1:]) == {"engagements", other} and mine and theirs:
                    first = link.drop_duplicates(mine)
                    by_id = pd.Series(_text(first[theirs]).to_numpy(), index=_text(first[mine]).to_numpy())
                    part[column] = _text(part["activity_id"].map(by_id))
                    sources.setdefault(column, []).append(f"engagement_{kind_of} association table.{theirs}")
        return part

    # -- fx_rates ----------------------------------------------------------------------------------------
    def fx_rates(self) -> tuple[pd.DataFrame | None, str | None]:
        """The exchange rates (and ``fx_rates=``), and the company currency they convert to, if they say."""
        x, given = self.f.get("exchange_rates"), self.o["fx_rates"]
        if x is None:
            if given is not None:
                for column in ("currency", "date", "rate"):
                    self.m.record("fx_rates", column, "fx_rates=")
            return given, None
        t = self.take
        code = t(x, "ExchangeRate", "fx_rates", "currency", ("fromCurrencyCode", "currencyCode", "currency_code"), required=True)
        rate = t(x, "ExchangeRate", "fx_rates", "rate", ("conversionRate", "exchangeRate", "rate"), required=True)
        when = t(x, "ExchangeRate", "fx_rates", "date", ("effectiveAt", "effectiveDate", "createdAt"), required=True)
        if code is None or rate is None or when is None:
            return given, None
        to = Mapper.find(x, "toCurrencyCode", "to_currency_code")
        company = sorted(set(x[to].dropna().astype(str).str.upper())) if to else []
        out = pd.DataFrame({"currency": code.astype("string").str.upper(), "date": _epoch(when), "rate": rate})
        if given is not None:
            out = pd.concat([out, given], ignore_index=True)
        return out, company[0] if len(company) == 1 else None


def read_hubspot(
    source: Any,
    *,
    timezone: str = "UTC",
    currency: str | None = None,
    fiscal_year_start: int = 1,
    on_invalid: str = "raise",
    as_of: Any = None,
    dayfirst: bool | None = None,
    pipelines: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
    stages: Mapping[str, str] | None = None,
    currencies: Mapping[str, str] | None = None,
    types: Mapping[str, str] | None = None,
    segment: str | Mapping[str, float] | None = None,
    teams: str | Mapping[str, str] | None = None,
    roles: Mapping[str, str] | None = None,
    automated: Mapping[str, str | Iterable[str]] | None = None,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> SalesData:
    """Read a HubSpot CRM export into a validated :class:`~salesmetrics.SalesData`, with provenance.

    Deals become opportunities, contacts leads, companies accounts, owners (with their teams) reps,
    calls / emails / meetings (or one engagements table) activities, and the currency exchange rates
    fx_rates. ``data.provenance`` says, for every canonical column of those tables, which HubSpot property
    it came from (and by which rule), or "not available" and what that disables. Deleted rows
    (``archived``, ``_fivetran_deleted``, ``_airbyte_deleted``) are dropped and counted
    (``data.provenance.attrs["dropped"]`` and a warning). An archived owner is not deleted but gone: a rep
    with ``archived=True``, and since HubSpot keeps no date for it, ``terminated_at`` is "not available".

    **Deals.** The status comes from ``stages=``, then the pipelines' stage metadata (a closed stage with
    probability 1.0 is won, 0.0 lost; an open stage is open), then ``hs_is_closed_won`` / ``hs_is_closed``,
    then HubSpot's default stage ids (``closedwon``, ``closedlost``, the default pipeline's open stages, and
    their labels such as "Closed Won"); a stage none of them resolves is an error naming it. ``closedate``
    is ``closed_at`` for closed deals only; an open deal's is its expected close date, ``expected_close_at``
    (set on the validated table: a plan is not an event, so it does not move ``as_of``). ``dealtype``
    newbusiness / existingbusiness is new_business / expansion; the first associated company is the
    account, the first associated contact the lead.

    **Contacts.** ``createdate``; became an MQL / SQL (``hs_lifecyclestage_..._date``) -> ``mql_at`` /
    ``sql_at``; original source (ORGANIC_SEARCH and "Organic Search" both read ``organic_search``); owner,
    company and deal. "Became an Opportunity Date" links: of a contact's several deals, its opportunity is
    the one created nearest that date. It and "Became a Customer Date" also check: contacts that became
    an opportunity (a customer) with no (won) deal to show it are counted in a warning, since the funnel
    counts them as not converted.

    **Engagements.** ``hs_timestamp``, the owner, and the first associated contact (``lead_id``), deal and
    company. The type is the object (call, email, meeting) or its call-and-meeting type
    (``hs_activity_type``); notes, tasks and incoming e-mails are no rep's touch and are left out (counted
    in a warning); ``automated`` marks sequence steps, workflows and bots (``hs_engagement_source``).

    Exports write owners, companies and deals by name ("Deal owner": "Jane Doe"); a name that belongs to
    one record of the owners / companies / deals export is read as its id.

    Parameters
    ----------
    source : str, Path or mapping
        A folder of HubSpot exports (CSV, TSV, gzip or Parquet), or a mapping of object names to
        DataFrames or lists of records (the API client's objects with nested ``properties`` and
        ``associations``; Airbyte or Fivetran tables). Names vary ("all-deals.csv",
        "hubspot-crm-exports-all-deals-2025-10-01.csv"): a name holds the first object, in the order of
        :data:`OBJECTS`, one of whose names is one of its words (pipeline stages, pipelines, exchange rates
        or currencies, owners or users, teams, calls, emails, meetings, engagements or activities, deals,
        contacts, companies; singular or plural), so "deal_stages" holds the pipeline stages. A name with
        two of deal, contact, company, engagement ("deal_company") is an association table.
    timezone : str, default "UTC"
        The reporting time zone. Exports write naive local times: pass the portal's time zone.
    currency : str, optional
        The reporting currency; default the exchange rates' company currency (``toCurrencyCode``), else
        the deals' one currency, else "USD". A deal without a currency is in it.
    fiscal_year_start : int, default 1
        Month in which the fiscal year starts.
    on_invalid : {"raise", "quarantine"}, default "raise"
        As in :class:`~salesmetrics.SalesData`.
    as_of : date-like, optional
        The reporting date; default the latest event in the data.
    dayfirst : bool, optional
        Read dates such as 03/04/2025 day first (True) or month first (False).
    pipelines : DataFrame or list of records, optional
        The deal pipelines' stages: the pipelines API's output (pipelines with nested ``stages``), or one
        row per stage with its id, label, ``metadata.isClosed`` and ``metadata.probability``. Default: a
        "pipelines" or "deal_stages" export in ``source``.
    stages : mapping, optional
        ``{stage id or label: "open" | "won" | "lost"}``, ahead of every other rule.
    currencies : mapping, optional
        ``{their currency: ISO 4217 code}`` for values that are not codes (``{"Euro": "EUR"}``).
    types : mapping, optional
        ``{their deal type: "new_business" | "expansion" | "renewal"}`` for custom deal types.
    segment : str or mapping, optional
        The company property holding the segment (default: one named "segment", if any), or bands of
        ``numberofemployees``: ``{segment: lowest head count}``, e.g. ``{"SMB": 0, "Mid-Market": 200}``.
    teams : str or mapping, optional
        One team for every owner ("Sales"), or ``{owner id or e-mail: team}`` ahead of the export's;
        default each owner's primary team (its ``teams``, or the teams export's members).
    roles : mapping, optional
        ``{owner id, e-mail or team: role}`` (SDR, AE, AM, ...) where the owners have no ``role`` field.
    automated : mapping, optional
        ``{engagement property: values marking an automated activity}``; default
        ``{"hs_engagement_source": AUTOMATED_SOURCES}``.
    columns : mapping, optional
        ``{table: {canonical column: HubSpot property}}``, for custom properties such as
        ``{"leads": {"disqualified_at": "disqualified_date"}}``; a property named here must exist.
    fx_rates : pandas.DataFrame, optional
        A canonical fx_rates table, added to the export's exchange rates.

    Returns
    -------
    SalesData
        Validated, with ``provenance``: ``table``, ``column``, ``source``, ``disables``.

    Raises
    ------
    MissingDataError
        Once, listing every required property missing and the option that supplies it.
    InputValidationError
        Listing every stage, pipeline, currency or deal type no rule maps, with the option that maps it;
        and, as SalesData does, the invalid rows.

    Examples
    --------
    >>> import pandas as pd
    >>> deals = pd.DataFrame({"Record ID": ["101", "102", "103"], "Deal Stage": ["Closed Won", "closedlost", "contractsent"],
    ...                       "Create Date": ["2025-01-06", "2025-02-03", "2025-03-03"],
    ...                       "Close Date": ["2025-02-14", "2025-03-01", "2025-06-30"], "Amount": ["12000", "800", "5000"]})
    >>> data = read_hubspot({"hubspot-crm-exports-all-deals": deals})
    >>> data.opportunities[["opportunity_id", "status"]].to_numpy().tolist()
    [['101', 'won'], ['102', 'lost'], ['103', 'open']]
    >>> data.opportunities["closed_at"].isna().tolist(), str(data.opportunities["expected_close_at"].iloc[2].date())
    ([False, False, True], '2025-06-30')
    >>> data.provenance.set_index(["table", "column"]).loc[[("opportunities", "closed_at"), ("opportunities", "owner_id")],
    ...                                                    "source"].tolist()
    ['Deal.Close Date (closed deals only)', 'not available']
    """
    check_timezone(timezone)  # before any reading
    if on_invalid not in ("raise", "quarantine"):
        raise ValueError(f"on_invalid must be 'raise' or 'quarantine', got {on_invalid!r}.")
    found, unknown = _match(_export_names(source))
    frames = read_source(source, {**{key: () for key in OBJECTS}, **{key: tuple(names) for key, names in found.items()}}, VENDOR)
    if unknown and not isinstance(source, Mapping):  # read_source warns about a mapping's
        warnings.warn(f"{VENDOR} ignored {', '.join(map(repr, sorted(unknown)))}: not a HubSpot object it reads "
                      f"({', '.join(OBJECTS)}).", DataQualityWarning, stacklevel=find_stack_level())
    r = _Reader(frames, {"pipelines": pipelines, "stages": stages, "currencies": currencies, "types": types, "segment": segment,
                         "teams": teams, "roles": roles, "automated": automated, "columns": columns, "fx_rates": fx_rates})
    if not set(r.f) & {"deals", "contacts", "companies", "owners", "calls", "emails", "meetings", "engagements"}:
        r.m.require("the export", "", "no deals, contacts, companies, owners or engagements in it; pass the folder of "
                    "HubSpot exports, or {'deals': frame, 'contacts': frame, ...}")
    tables: dict[str, Any] = {"accounts": r.accounts(), "reps": r.reps()}
    tables["opportunities"] = r.opportunities()
    tables["stage_history"] = r.stage_history(tables["opportunities"])
    tables["leads"] = r.leads(tables["opportunities"])
    tables["activities"] = r.activities()
    tables["fx_rates"], company_currency = r.fx_rates()
    r.m.check()
    if r.failures:
        raise InputValidationError(f"{VENDOR}: values no rule maps:\n" + "\n".join(dict.fromkeys(r.problems)),
                                   pd.concat(r.failures, ignore_index=True))
    opps = tables["opportunities"]
    used = sorted(set(opps["currency"].dropna())) if opps is not None and "currency" in opps else []
    reporting = currency or company_currency or (used[0] if len(used) == 1 else "USD")
    fx = tables["fx_rates"]
    if fx is not None:  # a rate of the reporting currency to itself says nothing
        tables["fx_rates"] = fx[flags(fx["currency"].astype("string").ne(reporting), True)]
    if opps is not None and "currency" not in opps:  # a single-currency portal: every amount in the reporting currency
        r.m.record("opportunities", "currency", f"currency={reporting!r} for every deal (the export has no deal_currency_code)")
    # every table the reader can fill, read or not
    r.m.complete(["opportunities", "stage_history", "leads", "accounts", "reps", "activities", "fx_rates"])
    for table, (count, example) in r.shared.items():
        r.notes.append(f"{table}.owner_id: {count:,} row(s) name their owner by a name several owners share (e.g. {example!r}), "
                       "so it is not read as an id; export the owner's id (hubspot_owner_id)")
    for note in r.notes:
        warnings.warn(f"{VENDOR}: {note}.", DataQualityWarning, stacklevel=find_stack_level())
    data = r.m.bundle(tables, timezone=timezone, currency=reporting,
                      fiscal_year_start=fiscal_year_start, on_invalid=on_invalid, as_of=as_of, dayfirst=dayfirst)
    if r.expected is not None and data.opportunities is not None:
        from ..data._coerce import _coerce_time

        when = _coerce_time(pd.Series(r.expected.to_numpy()), data.timezone, aware=True, dayfirst=dayfirst)[0]
        by_id = pd.Series(when.to_numpy(), index=r.expected.index)
        # set on the validated table rather than given to SalesData: an expected date is a plan, and the
        # inferred as_of is the latest event (adding a column leaves the bundle's id look-ups valid)
        data.opportunities["expected_close_at"] = data.opportunities["opportunity_id"].map(by_id[~by_id.index.duplicated()])
    return data
