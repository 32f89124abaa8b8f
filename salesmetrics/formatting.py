"""How numbers look for people: money, percentages, the palette. One place, used by every plot and report.

The palette is Okabe & Ito's (2008) colour-blind-safe set. Money keeps two decimals where the currency
has a minor unit and none where it does not (KRW, JPY); ``compact=True`` gives axis-style $1.2M / $350k.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "MUTED",
    "NEGATIVE",
    "PALETTE",
    "POSITIVE",
    "SEVERITY_COLOURS",
    "format_duration",
    "format_money",
    "format_number",
    "format_p",
    "format_percent",
    "format_value",
    "money_axis",
    "percent_axis",
]

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
"""Okabe–Ito: blue, orange, green, vermillion, purple, sky blue, yellow, black."""
POSITIVE, NEGATIVE, MUTED = "#009E73", "#D55E00", "#8C8C8C"
SEVERITY_COLOURS = {"critical": "#D55E00", "warning": "#E69F00", "info": "#56B4E9", "ok": "#009E73"}

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "KRW": "₩", "JPY": "¥", "CNY": "¥", "INR": "₹"}
_NO_MINOR_UNIT = {"KRW", "JPY", "VND", "IDR", "CLP", "ISK", "HUF"}


def _missing(value: Any) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return False


_KO_UNITS = ((1e12, "조"), (1e8, "억"), (1e7, "천만"), (1e4, "만"))


def shorten(value: Any, width: int = 60) -> str:
    """A value from the data for a sentence or a cell: on one line, printable characters only (no terminal
    escapes), and at most ``width`` characters, ending in "…" when cut.

    Examples
    --------
    >>> shorten("Acme   Corp  Ltd", 40), shorten("x" * 10, 5)
    ('Acme Corp Ltd', 'xxxx…')
    """
    one = " ".join("".join(ch for ch in str(value) if ch.isprintable() or ch.isspace()).split())
    return one if len(one) <= width else one[: width - 1] + "…"


def format_money(value: Any, currency: str = "USD", *, compact: bool = False, lang: str = "en") -> str:
    """Money for people. In Korean (``lang="ko"``), compact amounts use 조 / 억 / 천만 / 만.

    Examples
    --------
    >>> format_money(1234567.891, "USD"), format_money(1234000, "KRW"), format_money(-350_000, "EUR", compact=True)
    ('$1,234,567.89', '₩1,234,000', '-€350k')
    >>> format_money(1_450_000, compact=True), format_money(40_600, compact=True)
    ('$1.45M', '$40.6k')
    >>> format_money(120_000_000, "KRW", compact=True, lang="ko"), format_money(34_000_000, "KRW", compact=True, lang="ko")
    ('₩1.2억', '₩3.4천만')
    >>> format_money(float("nan"))
    '–'
    """
    if _missing(value):
        return "–"
    v = float(value)
    symbol = _SYMBOLS.get(currency, currency + " ")
    sign = "-" if v < 0 else ""
    v = abs(v)
    if compact and lang == "ko":
        for size, suffix in _KO_UNITS:
            if v >= size:
                text = f"{v / size:.1f}".rstrip("0").rstrip(".") if v < 1000 * size else f"{v / size:,.0f}"
                return f"{sign}{symbol}{text}{suffix}"
        return f"{sign}{symbol}{v:,.0f}"
    if compact:
        for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if v >= size:
                digits = 2 if v < 10 * size else 1 if v < 100 * size else 0
                text = f"{v / size:.{digits}f}"
                text = text.rstrip("0").rstrip(".") if "." in text else text
                return f"{sign}{symbol}{text}{suffix}"
        return f"{sign}{symbol}{v:.0f}"
    digits = 0 if currency in _NO_MINOR_UNIT else 2
    return f"{sign}{symbol}{v:,.{digits}f}"


def format_percent(value: Any, digits: int = 0) -> str:
    """A share as a percentage.

    Examples
    --------
    >>> format_percent(0.4567), format_percent(0.4567, 1), format_percent(None)
    ('46%', '45.7%', '–')
    """
    if _missing(value):
        return "–"
    return f"{float(value) * 100:.{digits}f}%"


def format_number(value: Any, digits: int = 0) -> str:
    """A count or amount with thousands separators.

    Examples
    --------
    >>> format_number(12345.6), format_number(2.345, 2)
    ('12,346', '2.35')
    """
    if _missing(value):
        return "–"
    return f"{float(value):,.{digits}f}"


def format_value(value: Any, unit: str, currency: str = "USD", *, compact: bool = False, lang: str = "en") -> str:
    """A KPI value by its unit ("money", "rate", "count", "days", "hours", "months").

    Examples
    --------
    >>> format_value(0.25, "rate"), format_value(1500, "money"), format_value(34.2, "days")
    ('25%', '$1,500.00', '34 days')
    """
    if unit == "money":
        return format_money(value, currency, compact=compact, lang=lang)
    if unit == "rate":
        return format_percent(value)
    if unit in ("days", "hours", "months"):
        word = {"days": "일", "hours": "시간", "months": "개월"}[unit] if lang == "ko" else f" {unit}"
        return "–" if _missing(value) else f"{float(value):,.0f}{word}"
    return format_number(value, 0 if _missing(value) or float(value) >= 100 else 2 if float(value) % 1 else 0)


def format_p(p: Any) -> str:
    """A p-value as a reader needs it: "p = 0.012", "p < 0.001".

    Examples
    --------
    >>> format_p(0.01234), format_p(3e-12)
    ('p = 0.012', 'p < 0.001')
    """
    if _missing(p):
        return "p n/a"
    return "p < 0.001" if float(p) < 0.001 else f"p = {float(p):.3f}"


def format_duration(value: Any) -> str:
    """A time span the way people say it: 24h, 3 days, 45 min.

    Examples
    --------
    >>> import pandas as pd
    >>> format_duration(pd.Timedelta("24h")), format_duration("72h"), format_duration("45min")
    ('24h', '3 days', '45 min')
    """
    import pandas as pd

    span = pd.Timedelta(value)
    hours = span.total_seconds() / 3600
    if hours < 1:
        return f"{span.total_seconds() / 60:.0f} min"
    if hours <= 48 or hours % 24:
        return f"{hours:g}h"
    return f"{hours / 24:g} days"


def money_axis(ax: Any, currency: str, axis: str = "y", lang: str = "en") -> None:
    """Compact money tick labels on a matplotlib axis ($1.2M; ₩1.2억 in Korean)."""
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _pos: format_money(v, currency, compact=True, lang=lang))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def percent_axis(ax: Any, axis: str = "y") -> None:
    """Percentage tick labels on a matplotlib axis (0.25 -> 25%)."""
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=0))


# ----------------------------------------------------------------------------------------------------------
# labels that charts and the deck share (one place, so both backends say the same thing)
# ----------------------------------------------------------------------------------------------------------


def label(kind: str, key: Any, lang: str = "en", default: str | None = None) -> str:
    """People's name of a stage, KPI or sign (``kind`` "stage", "kpi", "sign") from the catalogue of ``lang``.

    Keys the catalogue does not know fall back to ``default``, else to the key made readable.

    Examples
    --------
    >>> label("stage", "sql_at"), label("kpi", "win_rate", "ko"), label("stage", "demo_booked_at")
    ('SQL', '거래 성사율', 'demo booked')
    """
    from .i18n import catalogue

    found = catalogue(lang).get(f"{kind}.{key}")
    if found is not None:
        return found
    return default if default is not None else str(key).removesuffix("_at").replace("_", " ")


def funnel_labels(stages: Any, lang: str = "en") -> tuple[list[str], list[float], list[str]]:
    """For a ``funnel`` result: stage names, entities reaching each stage, and "1,713 (72% of the stage before)" texts."""
    from .i18n import text

    frame = stages.groupby("stage", sort=False)[["entered", "converted"]].sum().reset_index()
    counts = [*frame["entered"], frame["converted"].iloc[-1]]
    names = [label("stage", s, lang) for s in [*frame["stage"], stages["next_stage"].iloc[-1]]]
    texts = [f"{c:,.0f}" + ("  " + text("chart.of_before", lang, share=f"{c / counts[i - 1]:.0%}") if i and counts[i - 1] else "")
             for i, c in enumerate(counts)]
    return names, counts, texts


def sign_overview(found: Any, lang: str = "en") -> list[tuple[str, str, str, str]]:
    """For ``diagnose`` findings: per sign (in order) its name, its most severe level ("ok" when none), and the scopes."""
    from ._signs import SIGNS
    from .i18n import text

    rank = {"critical": 0, "warning": 1, "info": 2}
    rows = []
    for sign in SIGNS:
        mine = found[found["sign"] == sign]
        worst = min(mine["severity"], key=lambda s: rank.get(s, 3)) if len(mine) else "ok"
        alarms = mine[mine["severity"] != "info"]
        partly = len(mine) and (mine["metric"] == "partly_assessed").all()  # assessed, though not in every breakdown
        scopes = (", ".join(dict.fromkeys(alarms["scope"].astype(str))) if len(alarms)
                  else text("chart.partly_assessed", lang) if partly
                  else text("chart.not_assessed", lang) if len(mine) else text("chart.no_sign", lang))
        shown = f"{text('sev.' + worst, lang)}: {scopes}" if worst in ("critical", "warning") else scopes
        rows.append((sign, label("sign", sign, lang), worst, shown))
    return rows


def share(part: int, whole: int) -> str:
    """``part / whole`` as a percentage with one decimal, or "–" when ``whole`` is 0.

    Examples
    --------
    >>> share(3, 40), share(0, 0)
    ('7.5%', '–')
    """
    return f"{part / whole:.1%}" if whole else "–"


def quarantine_lines(data: Any) -> list[tuple[str, int, int, list[tuple[str, int]]]]:
    """Per table of a SalesData with quarantined rows: (table, rows set aside, rows given, top reasons with counts).

    Examples
    --------
    >>> import salesmetrics as sm
    >>> quarantine_lines(sm.load_sample())   # the sample is clean
    []
    """
    out = []
    for table, q in data.quarantine.items():
        kept = getattr(data, table)
        total = len(q) + (len(kept) if kept is not None else 0)
        reason = next((c for c in reversed(list(q.columns)) if str(c).endswith("reason")), None)
        reasons: list[tuple[str, int]] = []
        if reason is not None and len(q):
            counts = q[reason].dropna().astype(str).str.split("; ").explode().value_counts()
            reasons = [(str(k), int(v)) for k, v in counts.head(3).items()]
        out.append((table, len(q), total, reasons))
    return out
