"""What the five signs share: :class:`Assessment`, the findings table and the helpers every sign uses.

Imports no sign module: each ``_<sign>.py`` module imports from here (and from the rest of the library), never
from a sibling; ``_diagnose`` imports them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._signs import SIGNS
from ..data import Inputs
from ..errors import MissingDataError
from ..formatting import format_money
from ..i18n import text
from ..periods import last_complete_period, period_ordinals

RECOMMENDATIONS = {sign: text(f"rec.{sign}") for sign in SIGNS}
"""What the seed article advises for each sign (English; ``text("rec.<sign>", lang)`` for others)."""

FINDING_COLUMNS = ["sign", "severity", "scope_type", "scope", "metric", "value", "baseline", "period", "evidence",
                   "recommendation"]
_SEVERITY = {"critical": 0, "warning": 1, "info": 2}


@dataclass
class Assessment:
    """A metric table and the findings drawn from it; unpacks as ``table, findings``.

    Parameters
    ----------
    table : pandas.DataFrame
        The measurements the sign is judged on (documented by each detector).
    findings : pandas.DataFrame
        The findings, in the columns of ``FINDING_COLUMNS``; empty when the sign was assessed and
        not found.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> table, findings = sm.rep_turnover(sm.load_sample())
    >>> list(findings.columns) == sm.diagnostics.FINDING_COLUMNS
    True
    """

    table: pd.DataFrame
    findings: pd.DataFrame

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return iter((self.table, self.findings))

    def _counts(self) -> str:
        found = self.findings["severity"].value_counts() if len(self.findings) else pd.Series(dtype="int64")
        return ", ".join(f"{int(found[s])} {s}" for s in _SEVERITY if s in found.index) or "no findings"

    def __repr__(self) -> str:
        signs = ", ".join(str(s) for s in self.findings["sign"].unique()) if len(self.findings) else "no sign"
        return f"Assessment({signs}: {self._counts()}; table of {len(self.table):,} rows)"

    def _repr_html_(self) -> str:
        """The findings in Jupyter, most severe first; every cell is escaped (scopes come from the data)."""
        from html import escape

        body = self.findings.to_html(index=False, escape=True) if len(self.findings) else "<p>no findings</p>"
        return f"<div><strong>{escape(repr(self))}</strong>{body}</div>"


def _findings(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    if len(out):
        out["recommendation"] = out["recommendation"].fillna(out["sign"].map(RECOMMENDATIONS))
        out = out.sort_values(["severity", "sign"], key=lambda s: s.map(_SEVERITY) if s.name == "severity" else s,
                              kind="stable").reset_index(drop=True)
    return out


def _finding(sign: str, severity: str, scope_type: str, scope: str, metric: str, value: float, baseline: float,
             period: Any, evidence: str, lang: str = "en") -> dict[str, Any]:
    return {"sign": sign, "severity": severity, "scope_type": scope_type, "scope": scope, "metric": metric,
            "value": float(value) if value is not None else np.nan,
            "baseline": float(baseline) if baseline is not None else np.nan, "period": str(period),
            "evidence": evidence, "recommendation": text(f"rec.{sign}", lang)}


def _periods(inputs: Inputs, as_of: Any, freq: str) -> tuple[pd.Timestamp, pd.Period]:
    """as_of, and the last complete period (the one holding as_of when as_of is on its last day)."""
    now = inputs.as_of_timestamp(as_of)
    return now, last_complete_period(now, freq, fiscal_year_start=inputs.fiscal_year_start)


def _ordinals(stamps: pd.Series, inputs: Inputs, freq: str) -> np.ndarray:
    return period_ordinals(stamps, freq, fiscal_year_start=inputs.fiscal_year_start)


def _money(value: float, currency: str) -> str:
    return format_money(value, currency, compact=True)


def _word(freq: str, lang: str = "en", plural: bool = False) -> str:
    return text(f"{'units' if plural else 'unit'}.{freq if freq in ('M', 'Q', 'Y') else 'Q'}", lang)


def _sign_name(sign: str, lang: str) -> str:
    """The sign's name inside a sentence ("rep turnover" in English, as written in other languages)."""
    name = text(f"sign.{sign}", lang)
    return name.lower() if lang == "en" else name


# Canonical columns a sign cannot be measured without, beyond its tables. ``_NEEDS_VALUES``: columns
# that must also hold at least one value (an empty ``terminated_at`` is a real answer, nobody left; an
# empty ``role`` column says nothing).
_NEEDS_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "rep_turnover": (("reps", "terminated_at"),),
    "unclear_roles": (("reps", "role"),),
}
_NEEDS_VALUES = {("reps", "role")}


def _column_gaps(inputs: Inputs, sign: str) -> list[tuple[str, str, bool]]:
    """``(table, column, empty)`` for each column ``sign`` needs that the data lacks (``empty``: present, but no values)."""
    gaps = []
    for table, column in _NEEDS_COLUMNS.get(sign, ()):
        df = inputs.get(table)
        if df is None:
            continue  # the missing table is reported as such
        if not inputs.has_column(table, column):
            gaps.append((table, column, False))
        elif (table, column) in _NEEDS_VALUES and not df[column].notna().any():
            gaps.append((table, column, True))
    return gaps


def _gap_sentence(sign: str, table: str, column: str, empty: bool, lang: str = "en") -> str:
    """Why ``sign`` cannot be assessed without ``table.column``, and the fix, as a finding's evidence."""
    key = "ev.not_assessed_empty" if empty else "ev.not_assessed_column"
    return text(key, lang, sign=_sign_name(sign, lang), table=table, column=column, why=text(f"why.{table}.{column}", lang),
                fix=text(f"fix.{table}.{column}", lang))


def _require_columns(inputs: Inputs, sign: str, purpose: str) -> None:
    """Raise a MissingDataError naming the table, the column and the fix when ``sign`` needs a column the data lacks."""
    for table, column, empty in _column_gaps(inputs, sign):
        where = f"{table}.{column} is empty in every row" if empty else f"the {table} table has no {column} column"
        raise MissingDataError(f"{purpose} cannot be measured: {where}, so {text(f'why.{table}.{column}')}. "
                         f"Fix: add {column} to {table} ({text(f'fix.{table}.{column}')}).")


def _not_assessed(sign: str, evidence: str, lang: str = "en", metric: str = "not_assessed") -> dict[str, Any]:
    """An info finding: the sign could not be assessed, and why (never the same as "no sign")."""
    return _finding(sign, "info", "company", "company", metric, np.nan, np.nan, "", evidence, lang)



_OPEN_LEAD_DAYS = 180
"""A lead with no opportunity and no disqualification counts as open for this many days after it arrived."""


def _all_time(sign: str, function: str, columns: list[str], lang: str = "en", **attrs: Any) -> Assessment:
    """What a detector returns for ``freq=None`` (all time): one period, nothing to compare, so the sign is not assessed.

    The findings are one "not assessed" row saying why; the table has the detector's usual ``columns`` and no
    rows, and carries ``attrs`` (with ``freq`` None). Nothing is computed from the data.
    """
    evidence = text("ev.not_assessed_freq", lang, function=function, sign=_sign_name(sign, lang))
    table = pd.DataFrame(columns=columns)
    table.attrs.update(freq=None, **attrs)
    return Assessment(table, _findings([_not_assessed(sign, evidence, lang)]))
