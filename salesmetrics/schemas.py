"""pandera schemas: one DataFrameModel per canonical table.

A schema is a class, and ``Schema.column`` gives the column's name, so code
never spells a column as a bare string twice::

    >>> from salesmetrics.schemas import Opportunities
    >>> Opportunities.closed_at
    'closed_at'

Schemas are not strict: extra columns pass through untouched. Time stamps
(``*_at``) are time-zone aware; the models declare UTC and
:func:`table_schema` swaps in the bundle's zone. Calendar dates
(``start_date``, ``end_date``, ``month``, ``date``) are naive midnight
timestamps. Type coercion happens before these checks run (see
:mod:`salesmetrics.data`), so each failure is reported once, per row.
"""

from __future__ import annotations

from functools import cache
from typing import Optional

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

__all__ = [
    "TABLES",
    "Accounts",
    "Activities",
    "Assignments",
    "FxRates",
    "Leads",
    "Opportunities",
    "Reps",
    "Spend",
    "StageHistory",
    "Subscriptions",
    "Surveys",
    "Targets",
    "table_schema",
]

_TS = {"dtype_kwargs": {"unit": "ns", "tz": "UTC"}}
CURRENCY_PATTERN = r"^[A-Z]{3}$"
PERIOD_PATTERN = r"^(?:FY)?\d{4}(?:\s*-?\s*Q[1-4]|-\d{1,2})?$"
OPPORTUNITY_STATUSES = ("open", "won", "lost")
OPPORTUNITY_TYPES = ("new_business", "expansion", "renewal")
SURVEY_RANGES = {"csat": (1, 5), "nps": (0, 10)}


class _Base(pa.DataFrameModel):
    class Config:
        strict = False
        coerce = False


class Accounts(_Base):
    """Companies you sell to, customers or not. Key: ``account_id``."""

    account_id: Series[str] = pa.Field(unique=True)
    name: Optional[Series[str]] = pa.Field(nullable=True)
    segment: Optional[Series[str]] = pa.Field(nullable=True)
    industry: Optional[Series[str]] = pa.Field(nullable=True)
    region: Optional[Series[str]] = pa.Field(nullable=True)
    created_at: Optional[Series[pd.DatetimeTZDtype]] = pa.Field(nullable=True, **_TS)  # type: ignore[arg-type]


class Reps(_Base):
    """People in sales, marketing and customer teams. Key: ``rep_id``."""

    rep_id: Series[str] = pa.Field(unique=True)
    team: Series[str]
    role: Optional[Series[str]] = pa.Field(nullable=True)
    hired_at: Optional[Series[pd.DatetimeTZDtype]] = pa.Field(nullable=True, **_TS)  # type: ignore[arg-type]
    terminated_at: Optional[Series[pd.DatetimeTZDtype]] = pa.Field(nullable=True, **_TS)  # type: ignore[arg-type]
    name: Optional[Series[str]] = pa.Field(nullable=True)
    manager_id: Optional[Series[str]] = pa.Field(nullable=True)
    region: Optional[Series[str]] = pa.Field(nullable=True)

    @pa.dataframe_check
    def terminated_not_before_hired(cls, df: pd.DataFrame) -> Series[bool]:
        return df["terminated_at"].isna() | df["hired_at"].isna() | (df["terminated_at"] >= df["hired_at"])  # type: ignore[return-value]


class Assignments(_Base):
    """Who was in which team and role when: one row per rep and interval ``[start_date, end_date)``; an empty
    ``end_date`` is the assignment in force now. Optional; when a bundle has it, grouping by team, role or manager
    uses the assignment in force at each event, and ``reps.team``/``reps.role`` mean the current ones."""

    rep_id: Series[str]
    team: Series[str]
    role: Optional[Series[str]] = pa.Field(nullable=True)
    start_date: Series[pd.Timestamp]
    end_date: Optional[Series[pd.Timestamp]] = pa.Field(nullable=True)
    manager_id: Optional[Series[str]] = pa.Field(nullable=True)

    @pa.dataframe_check
    def assignment_ends_after_start(cls, df: pd.DataFrame) -> Series[bool]:
        return df["end_date"].isna() | (df["end_date"] > df["start_date"])  # type: ignore[return-value]

    @pa.dataframe_check
    def one_assignment_at_a_time(cls, df: pd.DataFrame) -> Series[bool]:
        """A rep's intervals do not overlap: every row of an overlapping pair is reported."""
        order = df.sort_values(["rep_id", "start_date"], kind="stable")
        same = order["rep_id"].eq(order["rep_id"].shift(-1)).to_numpy()
        end = order["end_date"].to_numpy("datetime64[ns]")
        nxt = order["start_date"].shift(-1).to_numpy("datetime64[ns]")
        clash = same & (np.isnat(end) | (end > nxt))  # this row runs past the next one's start
        clash_next = np.concatenate([[False], clash[:-1]])
        ok = pd.Series(~(clash | clash_next), index=order.index)
        return ok.reindex(df.index)  # type: ignore[return-value]


class Leads(_Base):
    """Leads and their funnel stage timestamps. Key: ``lead_id``."""

    lead_id: Series[str] = pa.Field(unique=True)
    created_at: Series[pd.DatetimeTZDtype] = pa.Field(**_TS)  # type: ignore[arg-type]
    source: Optional[Series[str]] = pa.Field(nullable=True)
    owner_id: Optional[Series[str]] = pa.Field(nullable=True)
    account_id: Optional[Series[str]] = pa.Field(nullable=True)
    mql_at: Optional[Series[pd.DatetimeTZDtype]] = pa.Field(nullable=True, **_TS)  # type: ignore[arg-type]
    sql_at: Optional[Series[pd.DatetimeTZDtype]] = pa.Field(nullable=True, **_TS)  # type: ignore[arg-type]
    disqualified_at: Optional[Series[pd.DatetimeTZDtype]] = pa.Field(nullable=True, **_TS)  # type: ignore[arg-type]
    opportunity_id: Optional[Series[str]] = pa.Field(nullable=True)
    score: Optional[Series[float]] = pa.Field(nullable=True)
    segment: Optional[Series[str]] = pa.Field(nullable=True)


class Opportunities(_Base):
    """Deals. Key: ``opportunity_id``; ``closed_at`` is set exactly when closed."""

    opportunity_id: Series[str] = pa.Field(unique=True)
    created_at: Series[pd.DatetimeTZDtype] = pa.Field(**_TS)  # type: ignore[arg-type]
    status: Series[str] = pa.Field(isin=OPPORTUNITY_STATUSES)
    closed_at: Optional[Series[pd.DatetimeTZDtype]] = pa.Field(nullable=True, **_TS)  # type: ignore[arg-type]
    amount: Optional[Series[float]] = pa.Field(nullable=True, ge=0)
    account_id: Optional[Series[str]] = pa.Field(nullable=True)
    owner_id: Optional[Series[str]] = pa.Field(nullable=True)
    type: Optional[Series[str]] = pa.Field(nullable=True, isin=OPPORTUNITY_TYPES)
    stage: Optional[Series[str]] = pa.Field(nullable=True)
    lead_id: Optional[Series[str]] = pa.Field(nullable=True)
    source: Optional[Series[str]] = pa.Field(nullable=True)
    currency: Optional[Series[str]] = pa.Field(nullable=True, str_matches=CURRENCY_PATTERN)

    @pa.dataframe_check
    def closed_at_set_iff_closed(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["status"] == "open") == df["closed_at"].isna()  # type: ignore[return-value]

    @pa.dataframe_check
    def closed_not_before_created(cls, df: pd.DataFrame) -> Series[bool]:
        return df["closed_at"].isna() | (df["closed_at"] >= df["created_at"])  # type: ignore[return-value]


class StageHistory(_Base):
    """One row per entry of an opportunity into a stage."""

    opportunity_id: Series[str]
    stage: Series[str]
    entered_at: Series[pd.DatetimeTZDtype] = pa.Field(**_TS)  # type: ignore[arg-type]


class Subscriptions(_Base):
    """Recurring contracts. Active on ``[start_date, end_date)``; amount per billing period."""

    subscription_id: Series[str] = pa.Field(unique=True)
    account_id: Series[str]
    start_date: Series[pd.Timestamp]
    end_date: Optional[Series[pd.Timestamp]] = pa.Field(nullable=True)
    amount: Series[float] = pa.Field(ge=0)
    billing_months: Optional[Series[int]]
    currency: Optional[Series[str]] = pa.Field(nullable=True, str_matches=CURRENCY_PATTERN)
    product: Optional[Series[str]] = pa.Field(nullable=True)

    @pa.check("billing_months", name="billing_months_positive")
    def billing_months_positive(cls, s: Series[int]) -> Series[bool]:
        """Months one billing period covers: 1 or more (0 is no period, negative no sense)."""
        return s >= 1  # type: ignore[return-value]

    @pa.dataframe_check
    def end_after_start(cls, df: pd.DataFrame) -> Series[bool]:
        return df["end_date"].isna() | (df["end_date"] > df["start_date"])  # type: ignore[return-value]


class Activities(_Base):
    """Calls, emails, meetings. Each is linked to a lead, an opportunity or an account."""

    activity_id: Series[str] = pa.Field(unique=True)
    owner_id: Series[str]
    occurred_at: Series[pd.DatetimeTZDtype] = pa.Field(**_TS)  # type: ignore[arg-type]
    type: Optional[Series[str]] = pa.Field(nullable=True)
    lead_id: Optional[Series[str]] = pa.Field(nullable=True)
    opportunity_id: Optional[Series[str]] = pa.Field(nullable=True)
    account_id: Optional[Series[str]] = pa.Field(nullable=True)
    automated: Optional[Series[bool]]

    @pa.dataframe_check
    def linked_to_lead_opportunity_or_account(cls, df: pd.DataFrame) -> Series[bool]:
        return df[["lead_id", "opportunity_id", "account_id"]].notna().any(axis=1)  # type: ignore[return-value]


class Spend(_Base):
    """Sales and marketing spend per month (``month`` is the month's first day)."""

    month: Series[pd.Timestamp]
    amount: Series[float] = pa.Field(ge=0)
    channel: Optional[Series[str]] = pa.Field(nullable=True)
    category: Optional[Series[str]] = pa.Field(nullable=True)


class Surveys(_Base):
    """CSAT (1–5) and NPS (0–10) responses per account."""

    account_id: Series[str]
    responded_at: Series[pd.DatetimeTZDtype] = pa.Field(**_TS)  # type: ignore[arg-type]
    kind: Series[str] = pa.Field(isin=tuple(SURVEY_RANGES))
    score: Series[float]
    comment: Optional[Series[str]] = pa.Field(nullable=True)

    @pa.dataframe_check
    def score_in_range_for_kind(cls, df: pd.DataFrame) -> Series[bool]:
        ok = pd.Series(False, index=df.index)
        for kind, (low, high) in SURVEY_RANGES.items():
            ok |= (df["kind"] == kind) & df["score"].between(low, high)
        return ok  # type: ignore[return-value]


class Targets(_Base):
    """Targets per period (``2025Q3``, ``2025-07`` or ``2025``), metric and scope."""

    period: Series[str] = pa.Field(str_matches=PERIOD_PATTERN)
    metric: Series[str]
    target: Series[float]
    scope: Optional[Series[str]]

    @pa.dataframe_check
    def one_target_per_period_metric_scope(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.duplicated(["period", "metric", "scope"], keep=False)  # type: ignore[return-value]


class FxRates(_Base):
    """Exchange rates: one unit of ``currency`` is ``rate`` units of the reporting currency."""

    currency: Series[str] = pa.Field(str_matches=CURRENCY_PATTERN)
    date: Series[pd.Timestamp]
    rate: Series[float] = pa.Field(gt=0)

    @pa.dataframe_check
    def one_rate_per_currency_and_date(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.duplicated(["currency", "date"], keep=False)  # type: ignore[return-value]


TABLES: dict[str, type[_Base]] = {
    "accounts": Accounts,
    "reps": Reps,
    "assignments": Assignments,
    "leads": Leads,
    "opportunities": Opportunities,
    "stage_history": StageHistory,
    "subscriptions": Subscriptions,
    "activities": Activities,
    "spend": Spend,
    "surveys": Surveys,
    "targets": Targets,
    "fx_rates": FxRates,
}
"""Canonical table name → schema, in the order tables are validated and reported."""

KEYS: dict[str, str] = {
    "accounts": Accounts.account_id,
    "reps": Reps.rep_id,
    "leads": Leads.lead_id,
    "opportunities": Opportunities.opportunity_id,
    "subscriptions": Subscriptions.subscription_id,
    "activities": Activities.activity_id,
}
"""Tables with a unique id column."""

REFERENCES: list[tuple[str, str, str]] = [
    ("reps", Reps.manager_id, "reps"),
    ("assignments", Assignments.rep_id, "reps"),
    ("assignments", Assignments.manager_id, "reps"),
    ("leads", Leads.owner_id, "reps"),
    ("leads", Leads.account_id, "accounts"),
    ("leads", Leads.opportunity_id, "opportunities"),
    ("opportunities", Opportunities.account_id, "accounts"),
    ("opportunities", Opportunities.owner_id, "reps"),
    ("opportunities", Opportunities.lead_id, "leads"),
    ("stage_history", StageHistory.opportunity_id, "opportunities"),
    ("subscriptions", Subscriptions.account_id, "accounts"),
    ("activities", Activities.owner_id, "reps"),
    ("activities", Activities.lead_id, "leads"),
    ("activities", Activities.opportunity_id, "opportunities"),
    ("activities", Activities.account_id, "accounts"),
    ("surveys", Surveys.account_id, "accounts"),
]
"""(table, column, referenced table): non-missing values must be ids of the referenced table."""

# Which column a table-wide (dataframe) check is about, for error reports.
CHECK_COLUMNS: dict[str, str] = {
    "terminated_not_before_hired": Reps.terminated_at,
    "closed_at_set_iff_closed": Opportunities.closed_at,
    "closed_not_before_created": Opportunities.closed_at,
    "end_after_start": Subscriptions.end_date,
    "assignment_ends_after_start": Assignments.end_date,
    "one_assignment_at_a_time": Assignments.start_date,
    "linked_to_lead_opportunity_or_account": "lead_id|opportunity_id|account_id",
    "score_in_range_for_kind": Surveys.score,
    "one_target_per_period_metric_scope": Targets.period,
    "one_rate_per_currency_and_date": FxRates.date,
}

DEFAULTS: dict[str, dict[str, object]] = {
    "subscriptions": {Subscriptions.billing_months: 1},
    "activities": {Activities.automated: False},
    "targets": {Targets.scope: "company"},
}
"""Values filled into missing optional columns and missing cells (``currency`` is the bundle's)."""

LOWERCASE: dict[str, tuple[str, ...]] = {
    "opportunities": (Opportunities.status, Opportunities.type),
    "surveys": (Surveys.kind,),
}
"""Coded columns normalised to lower case with spaces as underscores ("Closed Won" stays as given
in ``stage``; ``status`` "Won" becomes "won")."""


def column_kinds(table: str) -> dict[str, tuple[str, bool]]:
    """Column name → (kind, required) for a canonical table, read off its schema.

    Kinds: ``"str"``, ``"float"``, ``"int"``, ``"bool"``, ``"timestamp"`` (aware) and
    ``"date"`` (naive calendar date).

    Examples
    --------
    >>> column_kinds("subscriptions")["start_date"]
    ('date', True)
    """
    return _column_kinds(table)


@cache
def _column_kinds(table: str) -> dict[str, tuple[str, bool]]:
    schema = TABLES[table].to_schema()
    kinds: dict[str, tuple[str, bool]] = {}
    for name, col in schema.columns.items():
        dtype = str(col.dtype)
        if dtype.startswith("datetime64[ns,"):
            kind = "timestamp"
        elif dtype.startswith("datetime64"):
            kind = "date"
        elif dtype.startswith(("float",)):
            kind = "float"
        elif dtype.startswith(("int",)):
            kind = "int"
        elif dtype == "bool":
            kind = "bool"
        else:
            kind = "str"
        kinds[name] = (kind, bool(col.required))
    return kinds


@cache
def table_schema(table: str, tz: str = "UTC") -> pa.DataFrameSchema:
    """The pandera schema of a canonical table with its time stamps in ``tz``.

    Examples
    --------
    >>> table_schema("leads", "Asia/Seoul").columns["created_at"].dtype
    DataType(datetime64[ns, Asia/Seoul])
    """
    schema = TABLES[table].to_schema()
    updates = {
        name: {"dtype": pd.DatetimeTZDtype("ns", tz)}
        for name, (kind, _) in _column_kinds(table).items()
        if kind == "timestamp"
    }
    return schema.update_columns(updates) if updates else schema
