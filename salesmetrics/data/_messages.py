"""Failure records and the messages built from them: one row per bad cell, a fix for each check."""

from __future__ import annotations

import difflib
import re
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import FAILURE_COLUMNS

TABLE_NAMES = (
    "accounts",
    "reps",
    "leads",
    "opportunities",
    "stage_history",
    "subscriptions",
    "activities",
    "spend",
    "surveys",
    "targets",
    "fx_rates",
)

# The column that dates each table, for summaries.
_DATE_COLUMN = {
    "accounts": "created_at",
    "reps": "hired_at",
    "leads": "created_at",
    "opportunities": "created_at",
    "stage_history": "entered_at",
    "subscriptions": "start_date",
    "activities": "occurred_at",
    "spend": "month",
    "surveys": "responded_at",
    "targets": "period",
    "fx_rates": "date",
}

_STATUS_SYNONYMS = {"closed_won": "won", "closedwon": "won", "closed_lost": "lost", "closedlost": "lost"}

OnInvalid = Literal["raise", "quarantine"]

# ----------------------------------------------------------------------------------------------------------
# fix hints
# ----------------------------------------------------------------------------------------------------------

_FIX = {
    "empty_table": "the table has no rows; leave it out or check the export",
    "unique": "ids must be unique; remove or merge the duplicate rows (every copy is reported)",
    "allowed_values": "allowed values are {allowed}; map other spellings with conform(df, table, values={{'{column}': {{...}}}})",
    "not_negative": "amounts must be zero or more; record refunds and credits as lower amounts, not negative rows",
    "positive": "values must be greater than zero",
    "missing_value": "every row needs a {column}; fill it in or leave the row out",
    "format": "values do not have the expected format ({pattern_hint})",
    "number": "could not read these as numbers; remove text, or use '.' as the decimal separator",
    "integer": "must be a whole number (1, 3, 12, ...)",
    "boolean": "must be true/false (also accepted: yes/no, 1/0)",
    "timestamp": "could not read these as date-times; use ISO 8601 such as 2025-07-01 09:30 or 2025-07-01T09:30:00+09:00",
    "date": "could not read these as dates; use ISO 8601 such as 2025-07-01",
    "timezone_mixed": "some values carry a UTC offset and some do not; give all of them an offset, or none (they are then read in the bundle's time zone {tz!r})",
    "dtype": "values have the wrong type; pass them through conform() first",
    "closed_at_set_iff_closed": "closed_at must be set when status is won or lost, and empty when status is open",
    "closed_not_before_created": "closed_at is before created_at; check that the export's date columns are not swapped or mis-parsed",
    "end_after_start": "end_date must be after start_date (end_date is exclusive: a one-day plan ends the next day); leave it empty for an ongoing subscription",
    "terminated_not_before_hired": "terminated_at is before hired_at; check the HR export",
    "linked_to_lead_opportunity_or_account": "every activity needs a lead_id, an opportunity_id or an account_id",
    "score_in_range_for_kind": "CSAT scores are 1–5 and NPS scores 0–10; check the score and kind columns",
    "one_target_per_period_metric_scope": "keep one target per period, metric and scope; remove the duplicates",
    "one_rate_per_currency_and_date": "keep one rate per currency and date; remove the duplicates",
    "foreign_key": "these ids are not in {ref}; add the missing {ref} rows, fix the ids, or leave the cell empty",
    "missing_fx_rate": "no fx_rates for this currency; add rows (currency, date, rate to {currency}) to fx_rates",
    "unknown_scope": "scope must be 'company', a team in reps.team or a rep_id in reps",
}
_PATTERN_HINT = {
    "currency": "ISO 4217 codes such as USD, EUR, KRW",
    "period": "periods such as 2025Q3, 2025-07 or 2025",
}


def _fix(check: str, table: str, column: str, **extra: Any) -> str:
    template = _FIX.get(check, "")
    pattern_hint = _PATTERN_HINT.get(column, "")
    try:
        return template.format(table=table, column=column, pattern_hint=pattern_hint, **extra)
    except (KeyError, IndexError):
        return template


def _failures(table: str, column: str, check: str, rows: Any, values: Any, fix: str) -> pd.DataFrame:
    rows_arr = np.asarray(rows)
    return pd.DataFrame(
        {
            "table": table,
            "column": column,
            "check": check,
            "row": pd.array(rows_arr, dtype="Int64") if len(rows_arr) else pd.array([], dtype="Int64"),
            "value": pd.Series(np.asarray(values, dtype=object), dtype=object),
            "fix": fix,
        }
    )


def _empty_failures() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": pd.Series(dtype="str"),
            "column": pd.Series(dtype="str"),
            "check": pd.Series(dtype="str"),
            "row": pd.Series(dtype="Int64"),
            "value": pd.Series(dtype=object),
            "fix": pd.Series(dtype="str"),
        }
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty_failures()
    return pd.concat(frames, ignore_index=True)[FAILURE_COLUMNS]


def _normalise_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _suggest(column: str, present: list[str]) -> str | None:
    norm = {_normalise_name(c): c for c in present}
    target = _normalise_name(column)
    if target in norm:
        return norm[target]
    # "Close Date" for closed_at, "Deal ID" for opportunity_id: compare words as well as letters
    match = difflib.get_close_matches(target, list(norm), n=1, cutoff=0.6)
    return norm[match[0]] if match else None


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _format_message(failures: pd.DataFrame, *, quarantine_hint: bool = True) -> str:
    n_rows = failures.dropna(subset=["row"]).groupby("table")["row"].nunique().sum()
    groups = failures.groupby(["table", "column", "check"], sort=False, dropna=False)
    lines = [
        f"{groups.ngroups} problem(s) found in {failures['table'].nunique()} table(s)"
        + (f", {int(n_rows)} row(s) affected" if n_rows else "")
        + ":"
    ]
    for i, ((table, column, check), g) in enumerate(groups):
        if i == 25:
            lines.append(f"  ... and {groups.ngroups - 25} more; see err.failure_cases")
            break
        rows = g["row"].dropna()
        where = ""
        if len(rows):
            shown = ", ".join(str(int(r)) for r in rows.iloc[:5])
            where = f" {len(rows)} row(s) (rows {shown}{', ...' if len(rows) > 5 else ''})"
            shown_values = list(dict.fromkeys("(empty)" if _is_missing(v) else repr(str(v)) for v in g["value"]))
            where += f", e.g. {', '.join(shown_values[:3])}"
        lines.append(f"  {table}.{column} [{check}]:{where}. Fix: {g['fix'].iloc[0]}.")
    if quarantine_hint and n_rows:
        lines.append(
            "Fix the input and load it again, or pass on_invalid='quarantine' to keep the valid rows "
            "and set the others aside in data.quarantine."
        )
    return "\n".join(lines)
