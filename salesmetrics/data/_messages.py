"""Failure records and the messages built from them: one row per bad cell, a fix for each check."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._compat import TEXT, flags, isascii
from ..errors import FAILURE_COLUMNS
from ..formatting import shorten

TABLE_NAMES = (
    "accounts",
    "reps",
    "assignments",
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
    "assignments": "start_date",
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

UNICODE_HINT = (
    "ids differ only by Unicode normalisation (NFC vs NFD); normalise them with unicodedata.normalize('NFC', id)"
)

# ----------------------------------------------------------------------------------------------------------
# fix hints
# ----------------------------------------------------------------------------------------------------------

_FIX = {
    "empty_table": "the table has no rows; leave it out or check the export",
    "unique": "ids must be unique; remove or merge the duplicate rows (every copy is reported)",
    "allowed_values": "allowed values are {allowed}; map other spellings with conform(df, table, values={{'{column}': {{...}}}})",
    "not_negative": "amounts must be zero or more; record refunds and credits as lower amounts, not negative rows",
    "positive": "values must be greater than zero",
    "missing_value": "every row needs a value in {column}; fill it in or leave the row out",
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
    "assignment_ends_after_start": "end_date must be after start_date (end_date is exclusive: the day the next assignment starts); leave it empty for the assignment in force now",
    "one_assignment_at_a_time": "a rep's assignments overlap; end each one on the day the next starts (end_date is exclusive), so that one team and role is in force at each date",
    "assignment_outside_employment": "an assignment runs outside the rep's employment (reps.hired_at to reps.terminated_at); start it on or after the hire date and end it by the day after the last day",
    "linked_to_lead_opportunity_or_account": "every activity needs a lead_id, an opportunity_id or an account_id",
    "score_in_range_for_kind": "CSAT scores are 1–5 and NPS scores 0–10; check the score and kind columns",
    "one_target_per_period_metric_scope": "keep one target per period, metric and scope; remove the duplicates",
    "one_rate_per_currency_and_date": "keep one rate per currency and date; remove the duplicates",
    "foreign_key": "these ids are not in {ref}; add the missing {ref} rows, fix the ids, or leave the cell empty",
    "missing_fx_rate": "no fx_rates for this currency; add rows (currency, date, rate to {currency}) to fx_rates",
    "unknown_scope": "scope must be 'company', a team in reps.team or a rep_id in reps",
    "date_out_of_range": (
        "dates must fall between 1678 and 2261; an open end (a subscription still running, a rep still employed) "
        "is an empty cell, not 9999-12-31; other years this far out are typos or placeholders to correct"
    ),
    "date_order_ambiguous": (
        "these dates read differently day-first and month-first (03/04/2025 is 3 April or March 4) and no value in "
        "{column} settles the order; pass dayfirst=True (31/12/2025) or dayfirst=False (12/31/2025), or write the "
        "dates as ISO 8601 (2025-04-03)"
    ),
    "date_order_mixed": (
        "{column} mixes day-first and month-first dates: {n_day} value(s) can only be day-first (31/12/2025) and "
        "{n_month} only month-first (12/31/2025); {read}, and these rows disagree. One column holds one order: "
        "correct these rows, or pass dayfirst=True (31/12/2025) or dayfirst=False (12/31/2025) and correct the "
        "rows that disagree with it"
    ),
    "date_order_against_dayfirst": (
        "dayfirst={given} reads {column} {read}, but these values can only be {only}; correct them, "
        "or pass dayfirst={other} if that is the column's order"
    ),
    "not_finite": (
        "values must be finite numbers; inf, -inf and Infinity (often an overflow or a division by zero upstream) "
        "cannot be added up; leave the cell empty when the value is unknown"
    ),
    "amount_too_large": (
        "amounts must stay below 90,071,992,547,409 (2**53 cents, beyond which cents are not exact); "
        "check for a mistyped value or an id or phone number pasted into {column}"
    ),
    "billing_months_positive": (
        "billing_months is the number of months one billing period covers (1 monthly, 3 quarterly, 12 annual); "
        "0 is not a billing period"
    ),
    "unicode_normalisation": UNICODE_HINT,
}
CHECK_NAMES: tuple[str, ...] = (*_FIX, "missing_column", "duplicate_column", "str")
"""Every check a failure record can name (its ``check``; a quarantine reason is ``"column: check"``): the checks with
a fix above, the two structural ones with fixes of their own, and "str" (text columns, which never fail to cast).
Each has words in the catalogues (``check.<name>``), which the deck's data-quality page shows."""

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
            "table": pd.Series(dtype=TEXT),
            "column": pd.Series(dtype=TEXT),
            "check": pd.Series(dtype=TEXT),
            "row": pd.Series(dtype="Int64"),
            "value": pd.Series(dtype=object),
            "fix": pd.Series(dtype=TEXT),
        }
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty_failures()
    return pd.concat(frames, ignore_index=True)[FAILURE_COLUMNS]


def _normalise_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _listing(names: list[str], limit: int = 30) -> str:
    """Column names for a message: all of them up to ``limit``, else the first ``limit`` and how many more."""
    shown = ", ".join(repr(shorten(n, 40)) for n in names[:limit])
    return f"[{shown}{f', ... and {len(names) - limit} more' if len(names) > limit else ''}]"


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


_MAX_VALUE = 80  # characters of a value shown in a message; failure_cases keeps it whole
_MAX_NAME = 60
_MAX_LINE = 600


def _show(value: Any, *, escape: bool = False) -> str:
    r"""A value as a message shows it: quoted, cut to ``_MAX_VALUE`` characters with its full length.

    ``escape`` spells non-ASCII characters as escapes, so that NFC and NFD spellings look different.

    Examples
    --------
    >>> _show("a" * 1_048_576)
    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…' (1,048,576 chars)"
    >>> _show("Jose\u0301", escape=True), _show(None)
    ("'Jose\\u0301'", '(empty)')
    """
    if _is_missing(value):
        return "(empty)"
    text = str(value)
    quote = ascii if escape else repr
    if len(text) > _MAX_VALUE:
        return f"{quote(text[:_MAX_VALUE] + '…')} ({len(text):,} chars)"
    return quote(text)


def _format_message(failures: pd.DataFrame, *, quarantine_hint: bool = True) -> str:
    """The error text: one line per (table, column, check), each cut to ``_MAX_LINE`` characters.

    Long values are cut (see :func:`_show`); the full values stay in ``failure_cases``.
    """
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
            escape = check == "unicode_normalisation"
            shown_values = list(dict.fromkeys(_show(v, escape=escape) for v in g["value"].iloc[:50]))
            where += f", e.g. {', '.join(shown_values[:3])}"
        head = f"  {shorten(str(table), _MAX_NAME)}.{shorten(str(column), _MAX_NAME)} [{check}]"
        line = f"{head}:{where}. Fix: {g['fix'].iloc[0]}." if where else f"{head}. Fix: {g['fix'].iloc[0]}."
        if len(line) > _MAX_LINE:
            line = line[: _MAX_LINE - 40] + "… (line cut; see err.failure_cases)"
        lines.append(line)
    if quarantine_hint and n_rows:
        lines.append(
            "Fix the input and load it again, or pass on_invalid='quarantine' to keep the valid rows "
            "and set the others aside in data.quarantine."
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------
# Unicode normalisation
# ----------------------------------------------------------------------------------------------------------

# Every character NFC may change, drop, reorder or compose with the one before it (combining marks,
# singletons such as the Kelvin sign, Hangul jumping vowels and final consonants, ...), widened into 29
# ranges (Unicode 14). Text with none of them is already NFC, so only text with one is normalised:
# precomposed Latin, Hangul syllables and CJK ids skip the work. tests/test_bad_values.py checks the
# ranges against unicodedata for every code point.
_NFC_RANGES = (
    (0x300, 0x487), (0x591, 0x11C2), (0x135D, 0x135F), (0x1714, 0x1DFF), (0x1F71, 0x212B), (0x2329, 0x232A),
    (0x2ADC, 0x2ADC), (0x2CEF, 0x2DFF), (0x302A, 0x309A), (0xA66F, 0xA6F1), (0xA806, 0xABED), (0xF900, 0xFB4E),
    (0xFE20, 0xFE2F), (0x101FD, 0x1037A), (0x10A0D, 0x10AE6), (0x10D24, 0x10D27), (0x10EAB, 0x1172B),
    (0x11839, 0x11A99), (0x11C3F, 0x11C3F), (0x11D42, 0x11D97), (0x11F41, 0x11F42), (0x16AF0, 0x16B36),
    (0x16FF0, 0x16FF1), (0x1BC9E, 0x1BC9E), (0x1D15E, 0x1D244), (0x1E000, 0x1E02A), (0x1E08F, 0x1E08F),
    (0x1E130, 0x1E136), (0x1E2AE, 0x1E2EF), (0x1E4EC, 0x1E4EF), (0x1E8D0, 0x1E94A), (0x2F800, 0x2FA1D),
)  # Unicode 14 (Python 3.11) and 15.1 (Python 3.13): Kawi, Cyrillic Extended-D and Nag Mundari marks added
_NFC_SUSPECT = "[" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in _NFC_RANGES) + "]"


def _text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return values
    return values.astype(TEXT).mask(values.isna())


def _nfc(values: pd.Series) -> pd.Series:
    r"""``values`` as text in Unicode NFC; only values that may change are normalised (whole-column calls).

    Examples
    --------
    >>> _nfc(pd.Series(["Jose\u0301", "José", "a1", None])).tolist()
    ['José', 'José', 'a1', nan]
    """
    text = _text(values)
    suspect = _nfc_suspects(text)
    if not suspect.any():
        return text
    return text.mask(suspect, text[suspect].str.normalize("NFC"))


def _nfc_suspects(text: pd.Series) -> np.ndarray:
    """Which values NFC normalisation may change: non-ASCII, with a character of ``_NFC_RANGES``."""
    suspect = ~flags(isascii(text), True)
    if suspect.any():
        suspect &= flags(text.str.contains(_NFC_SUSPECT, regex=True))
    return suspect


def unicode_hint(missing: pd.Series, keys: pd.Series) -> str:
    r"""The normalisation hint when ids not found in ``keys`` match one of them after NFC normalisation.

    For reference checks: ``missing`` are the ids not found, ``keys`` the ids of the referenced table.
    Returns :data:`UNICODE_HINT`, or ``""`` when normalisation would not help (all-ASCII ids cost one
    vectorised check).

    Examples
    --------
    >>> keys = pd.Series(["José", "Ana"])  # precomposed é (NFC)
    >>> unicode_hint(pd.Series(["Jose\u0301"]), keys)[:60]  # e + combining accent (NFD)
    'ids differ only by Unicode normalisation (NFC vs NFD); norma'
    >>> unicode_hint(pd.Series(["Bob"]), keys)
    ''
    """
    missing, keys = _text(missing.dropna()), _text(keys.dropna())
    if not len(missing) or not len(keys):
        return ""
    if bool(isascii(missing).all()) and bool(isascii(keys).all()):
        return ""
    normal_missing, normal_keys = _nfc(missing), _nfc(keys)
    changed = (normal_missing != missing).to_numpy(bool)
    if not changed.any() and bool((normal_keys == keys).all()):
        return ""  # nothing changes under NFC: ids that differ now still differ
    hit = normal_missing.isin(normal_keys.unique()).to_numpy(bool) & ~missing.isin(keys.unique()).to_numpy(bool)
    return UNICODE_HINT if hit.any() else ""


def _unicode_collisions(values: pd.Series) -> np.ndarray:
    r"""Positions of ids that equal another, different-as-given id after NFC normalisation.

    Examples
    --------
    >>> _unicode_collisions(pd.Series(["José", "a", "Jose\u0301", "José"])).tolist()
    [0, 2, 3]
    """
    text = _text(values)
    if not _nfc_suspects(text).any():
        return np.array([], dtype="int64")  # every id is NFC already: ids that differ stay different
    normal = _nfc(text)
    changed = (text.notna() & (normal != text)).to_numpy(bool)
    if not changed.any():
        return np.array([], dtype="int64")
    candidates = normal.isin(normal[changed].unique()).to_numpy(bool)
    spellings = text[candidates].groupby(normal[candidates].to_numpy(), sort=False).transform("nunique")
    return np.flatnonzero(candidates)[spellings.to_numpy() > 1]


def quarantine_columns(columns: Iterable[object]) -> tuple[str, str]:
    """Names of a quarantine frame's row-number and reason columns: ``row`` and ``reason``, unless the
    table has columns of those names, which then pass through untouched and ours become
    ``quarantine_row`` / ``quarantine_reason``.

    Examples
    --------
    >>> quarantine_columns(["lead_id", "reason"])
    ('quarantine_row', 'quarantine_reason')
    """
    taken = {str(c) for c in columns}
    if not ({"row", "reason"} & taken):
        return "row", "reason"
    row, reason = "quarantine_row", "quarantine_reason"
    while row in taken or reason in taken:
        row, reason = "_" + row, "_" + reason
    return row, reason


class SetAside:
    """Rows :func:`~salesmetrics.conform` set aside, carried in the result's ``attrs``.

    ``rows`` is the frame (as given, with row and reason columns). It compares by identity, so pandas
    can still concatenate or merge frames that carry one (it compares ``attrs``, and two DataFrames
    cannot be compared with ``==``).
    """

    __slots__ = ("rows",)

    def __init__(self, rows: pd.DataFrame) -> None:
        self.rows = rows

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"SetAside({len(self.rows)} rows; see .rows)"


def reasons_by_row(failures: pd.DataFrame) -> pd.Series:
    """Each failing row's reasons, ``"column: check; ..."`` in the order found, indexed by row (sorted).

    Vectorised: one pass for rows with a single reason (nearly all), a join only for rows with several.

    Examples
    --------
    >>> f = pd.DataFrame({"row": [3, 1, 3, 3], "column": ["a", "b", "c", "a"], "check": ["x", "y", "z", "x"]})
    >>> reasons_by_row(f).to_dict()
    {1: 'b: y', 3: 'a: x; c: z'}
    """
    pairs = pd.DataFrame({"row": failures["row"].astype("int64").to_numpy(),
                          "reason": (failures["column"].astype(str) + ": " + failures["check"].astype(str)).to_numpy()})
    pairs = pairs.drop_duplicates().sort_values("row", kind="stable")
    many = pairs["row"].duplicated(keep=False).to_numpy()
    single = pd.Series(pairs["reason"].to_numpy()[~many], index=pairs["row"].to_numpy()[~many], dtype=object)
    if many.any():
        joined = pairs[many].groupby("row", sort=True)["reason"].agg("; ".join)
        single = pd.concat([single, joined.astype(object)]).sort_index()
    single.index.name = "row"
    return single
