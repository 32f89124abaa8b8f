"""How numbers look for people: money, percentages, the palette. One place, used by every plot and report.

The palette is Okabe & Ito's (2008) colour-blind-safe set. Money keeps two decimals where the currency
has a minor unit and none where it does not (KRW, JPY); ``compact=True`` gives axis-style $1.2M / $350k.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

__all__ = [
    "MUTED",
    "NEGATIVE",
    "PALETTE",
    "POSITIVE",
    "SEVERITY_COLOURS",
    "SignStatus",
    "finding_heading",
    "format_duration",
    "format_money",
    "format_number",
    "format_p",
    "format_percent",
    "format_value",
    "money_axis",
    "percent_axis",
    "scope_label",
]

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
"""Okabe–Ito: blue, orange, green, vermillion, purple, sky blue, yellow, black."""
POSITIVE, NEGATIVE, MUTED = "#009E73", "#D55E00", "#8C8C8C"
SEVERITY_COLOURS = {"critical": "#D55E00", "warning": "#E69F00", "info": "#56B4E9", "ok": "#009E73"}

# CLDR's English symbols (the deck's, in every language), for when babel (the [cldr] extra) is not installed; with it
# every currency's symbol comes from CLDR itself. Source: CLDR 46 "en" currency symbols, as babel 2.19 gives them.
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "KRW": "₩", "JPY": "¥", "CNY": "CN¥", "INR": "₹", "CAD": "CA$", "AUD": "A$",
            "NZD": "NZ$", "HKD": "HK$", "MXN": "MX$", "BRL": "R$", "TWD": "NT$", "ILS": "₪", "VND": "₫", "PHP": "₱"}
# Digits after the decimal point where CLDR's currency data do not say 2 (its "digits", which babel's
# get_currency_precision reads): BHD 3, KRW and JPY 0, CLF 4. Source: CLDR 46 supplemental currencyData.
_MINOR_UNITS = {"ADP": 0, "AFN": 0, "ALL": 0, "BHD": 3, "BIF": 0, "BYR": 0, "CLF": 4, "CLP": 0, "COP": 0, "DJF": 0, "ESP": 0,
                "GNF": 0, "HUF": 0, "IDR": 0, "IQD": 0, "IRR": 0, "ISK": 0, "ITL": 0, "JOD": 3, "JPY": 0, "KMF": 0, "KPW": 0,
                "KRW": 0, "KWD": 3, "LAK": 0, "LBP": 0, "LUF": 0, "LYD": 3, "MGA": 0, "MGF": 0, "MMK": 0, "MRO": 0, "OMR": 3,
                "PYG": 0, "RWF": 0, "SLL": 0, "SOS": 0, "STD": 0, "SYP": 0, "TMM": 0, "TND": 3, "TRL": 0, "UGX": 0, "UYI": 0,
                "UYW": 4, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0, "YER": 0, "ZMK": 0, "ZWD": 0}


def _babel_numbers() -> Any:
    """babel.numbers when the [cldr] extra is installed, else None (the tables above stand in)."""
    try:
        import babel.numbers
    except ImportError:
        return None
    return babel.numbers


def minor_units(currency: str) -> int:
    """Digits after the decimal point for ``currency``: CLDR's (through babel when installed, else the same table).

    Examples
    --------
    >>> minor_units("BHD"), minor_units("JPY"), minor_units("KRW"), minor_units("EUR")
    (3, 0, 0, 2)
    """
    numbers = _babel_numbers()
    return int(numbers.get_currency_precision(currency)) if numbers is not None else _MINOR_UNITS.get(currency, 2)


def _symbol(currency: str) -> str:
    """The currency's symbol as the deck writes it (CLDR's English one), with a space after a code ("BHD 5")."""
    numbers = _babel_numbers()
    found = _SYMBOLS.get(currency) or (numbers.get_currency_symbol(currency, "en") if numbers is not None else currency)
    return found + " " if found[-1:].isalpha() else found


def _cldr(locale: str) -> Any:
    """babel.numbers for an explicit ``locale=``: it needs the [cldr] extra (a locale's separators and symbol
    placement are CLDR data), and an unknown locale says so."""
    from .errors import import_optional

    numbers = import_optional("babel.numbers", "cldr")
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"locale={locale!r} is not a CLDR locale; write e.g. 'de_DE', 'en_CA' or 'ko_KR'.") from exc
    return numbers


def _missing(value: Any) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return False


_KO_UNITS = ((1e12, "조"), (1e8, "억"), (1e4, "만"))
"""Korean counts in myriads: 만 (10⁴), 억 (10⁸), 조 (10¹²); 3,400만, not 3.4천만."""


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


# ----------------------------------------------------------------------------------------------------------
# text that fits its box: real font metrics (the font file the deck names), else a conservative estimate
# ----------------------------------------------------------------------------------------------------------

LATIN_FONT = "Arial"
"""The Latin font the deck names; Liberation Sans and Arimo have the same metrics, and stand in where Arial is absent."""
_LATIN_STAND_INS = ("Arial", "Liberation Sans", "Arimo")
_CJK_RANGES = ((0x1100, 0x11FF), (0x2E80, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F),
               (0xFF00, 0xFFEF), (0x20000, 0x2FFFF))


@functools.lru_cache(maxsize=8192)
def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return any(a <= code <= b for a, b in _CJK_RANGES)


@functools.lru_cache(maxsize=16)
def _font(family: str, bold: bool) -> Any:
    """A PIL font at 1000 units per em for ``family`` (its installed file, the right face of a collection), or None."""
    try:
        from matplotlib import font_manager
        from PIL import ImageFont
    except ImportError:  # no matplotlib / Pillow: the estimate is used
        return None
    prop = font_manager.FontProperties(family=family, weight="bold" if bold else "normal")
    try:
        path = font_manager.findfont(prop, fallback_to_default=False)
    except ValueError:  # not installed
        return None
    for index in range(12 if path.lower().endswith((".ttc", ".otc")) else 1):
        try:
            face = ImageFont.truetype(path, 1000, index=index, layout_engine=ImageFont.Layout.BASIC)  # one glyph at a time
        except OSError:
            break
        if index == 0 or face.font.family == family:
            found = face
        if face.font.family == family:
            break
    return found


def _latin_font(bold: bool) -> Any:
    return next((f for f in (_font(name, bold) for name in _LATIN_STAND_INS) if f is not None), None)


def _estimate(ch: str) -> float:
    """A conservative width (em) of one character where no font file is found: wider than Arial's, never narrower."""
    if _is_cjk(ch):
        return 1.0
    if ch in "il.,:;'|!`ij()[] ":
        return 0.34
    if ch.isupper() or ch in "mwMW@%&—":
        return 0.86
    return 0.6


def text_width(text: str, size: float, *, bold: bool = False, cjk_font: str | None = None) -> float:
    """The width of ``text`` on one line, in points, at ``size`` points, as the deck's fonts draw it.

    Latin text is measured with Arial's metrics (or a metric-compatible stand-in: Liberation Sans, Arimo);
    CJK characters with ``cjk_font`` (e.g. "Noto Sans CJK KR"), the East Asian font the deck names; a
    character that is neither is measured in both and the wider is taken. Without the font files, a
    conservative per-character estimate (never narrower than Arial) is used.

    Parameters
    ----------
    text : str
        One line of text.
    size : float
        The font size in points.
    bold : bool, default False
        Measure the bold face.
    cjk_font : str, optional
        The family name of the East Asian font; None measures CJK characters as 1 em wide.

    Returns
    -------
    float
        Points.

    Examples
    --------
    >>> 50 < text_width("Quarterly sales review", 12) < 160
    True
    >>> text_width("매출액", 10) >= 30   # a Hangul syllable is one em wide
    True
    """
    return _text_em(str(text), bold, cjk_font) * size


@functools.lru_cache(maxsize=65536)
def _text_em(text: str, bold: bool, cjk_font: str | None) -> float:
    """The width of ``text`` in em (see :func:`text_width`), cached: a deck measures the same cell at several sizes."""
    cjk = _font(cjk_font, bold) if cjk_font else None
    family = cjk_font if cjk is not None else None
    total = sum(_char_em(ch, bold, family) for ch in text)
    if any(_is_cjk(ch) for ch in text):  # LibreOffice sets a quarter em between Asian and Latin text: counted, to be safe
        scripts = [_is_cjk(ch) for ch in text if not ch.isspace()]
        total += 0.25 * sum(a != b for a, b in itertools.pairwise(scripts))
    return total


@functools.lru_cache(maxsize=8192)
def _char_em(ch: str, bold: bool, cjk_font: str | None) -> float:
    """One character's advance in em (see :func:`text_width`), cached: a deck measures the same letters many times."""
    if not ch.isprintable():  # a control or format character (a bidi override from the data): no advance worth measuring
        return 0.0 if ch in "\u200b\u200c\u200d\u2060\ufeff" else _estimate(ch)
    latin = _latin_font(bold)
    cjk = _font(cjk_font, bold) if cjk_font else None
    if _is_cjk(ch):
        return cjk.getlength(ch) / 1000 if cjk is not None else 1.0
    if ord(ch) < 0x2000 or cjk is None:
        return latin.getlength(ch) / 1000 if latin is not None else _estimate(ch)
    # punctuation, arrows, currency signs: either font may draw it
    return max(latin.getlength(ch) / 1000 if latin is not None else _estimate(ch), cjk.getlength(ch) / 1000)


def line_height(text: str, size: float, *, cjk_font: str | None = None) -> float:
    """The height of one line of ``text`` at ``size`` points (single spacing), in points.

    PowerPoint sets single spacing at about 1.2 em; LibreOffice at the font's ascent + descent, which is
    larger for CJK fonts (Noto Sans CJK: 1.45 em). The larger of the two is returned.

    Parameters
    ----------
    text : str
        The text of the line (its characters decide whether the CJK font's metrics apply).
    size : float
        The font size in points.
    cjk_font : str, optional
        The family name of the East Asian font.

    Returns
    -------
    float
        Points.

    Examples
    --------
    >>> line_height("abc", 10) >= 12
    True
    """
    em = 1.2
    latin = _latin_font(False)
    if latin is not None:
        em = max(em, sum(latin.getmetrics()) / 1000)
    if any(_is_cjk(ch) for ch in text):
        cjk = _font(cjk_font, False) if cjk_font else None
        em = max(em, sum(cjk.getmetrics()) / 1000 if cjk is not None else 1.5)
    return em * size


def wrap_text(text: str, width: float, size: float, *, bold: bool = False, cjk_font: str | None = None) -> list[str]:
    """``text`` broken into the lines a text box ``width`` points wide shows (words kept whole where they fit).

    Breaks only at spaces (PowerPoint may also break after a hyphen or inside Korean words, which only
    shortens the result), and a word wider than the box by characters. Line breaks in ``text`` are kept.

    Parameters
    ----------
    text : str
        The paragraph.
    width : float
        The box's inner width in points.
    size : float
        The font size in points.
    bold : bool, default False
        The bold face.
    cjk_font : str, optional
        The family name of the East Asian font.

    Returns
    -------
    list of str
        The lines, at least one.

    Examples
    --------
    >>> wrap_text("one two three four", text_width("three four", 10) + 1, 10)
    ['one two', 'three four']
    """
    lines: list[str] = []
    measure = functools.partial(text_width, size=size, bold=bold, cjk_font=cjk_font)
    space = measure(" ")
    for part in str(text).split("\n"):
        current, used = "", 0.0
        for word in part.split(" "):
            wide = measure(word)
            if current and used + space + wide <= width:
                current, used = f"{current} {word}", used + space + wide
                continue
            if not current and wide <= width:
                current, used = word, wide
                continue
            if current:
                lines.append(current)
                current, used = "", 0.0
            while wide > width and len(word) > 1:  # a word wider than the box: cut by characters
                cut, run = 0, 0.0
                while cut < len(word) and run + measure(word[cut]) <= width:
                    run += measure(word[cut])
                    cut += 1
                cut = max(cut, 1)
                lines.append(word[:cut])
                word = word[cut:]
                wide = measure(word)
            current, used = word, wide
        lines.append(current)
    return lines


def text_height(paragraphs: Any, width: float, size: float, *, bold: bool = False, cjk_font: str | None = None,
                space_after: float = 0.0) -> float:
    """The height in points that ``paragraphs`` (a string or a list of them) need in a box ``width`` points wide.

    Parameters
    ----------
    paragraphs : str or list of str
        The box's paragraphs.
    width : float
        The box's inner width in points.
    size : float
        The font size in points.
    bold : bool, default False
        The bold face.
    cjk_font : str, optional
        The family name of the East Asian font.
    space_after : float, default 0
        Points after each paragraph but the last.

    Returns
    -------
    float
        Points.

    Examples
    --------
    >>> text_height(["a", "b"], 100, 10) == 2 * line_height("a", 10)
    True
    """
    items = [paragraphs] if isinstance(paragraphs, str) else list(paragraphs)
    total = 0.0
    for i, para in enumerate(items):
        lines = wrap_text(para, width, size, bold=bold, cjk_font=cjk_font)
        total += len(lines) * line_height(para, size, cjk_font=cjk_font) + (space_after if i < len(items) - 1 else 0.0)
    return total


def format_money(value: Any, currency: str = "USD", *, compact: bool = False, lang: str = "en", locale: str | None = None) -> str:
    """Money for people. Compact KRW in Korean (``lang="ko"``) counts in 만 / 억 / 조 (₩3,400만, ₩1.2억);
    every other currency keeps its own compact style in every language ($1.4M, $61.4k, never $61.4만).

    Each currency shows its CLDR minor units (BHD 3 decimals, KRW and JPY none) and CLDR's English symbol
    (CA$, €, ₩). ``locale=`` ("de_DE", "ko_KR") writes it as that locale does instead, separators, symbol and
    compact forms included (1.234,50 € in German, ₩3400만 in Korean); it needs the ``[cldr]`` extra (babel).

    Examples
    --------
    >>> format_money(1234567.891, "USD"), format_money(1234000, "KRW"), format_money(-350_000, "EUR", compact=True)
    ('$1,234,567.89', '₩1,234,000', '-€350k')
    >>> format_money(1_450_000, compact=True), format_money(40_600, compact=True)
    ('$1.45M', '$40.6k')
    >>> format_money(120_000_000, "KRW", compact=True, lang="ko"), format_money(34_000_000, "KRW", compact=True, lang="ko")
    ('₩1.2억', '₩3,400만')
    >>> format_money(614_000, "USD", compact=True, lang="ko")
    '$614k'
    >>> format_money(float("nan"))
    '–'
    >>> format_money(1234.5678, "BHD"), format_money(1234.5, "CAD")
    ('BHD 1,234.568', 'CA$1,234.50')
    >>> format_money(1234.5, "EUR", locale="de_DE")  # doctest: +SKIP
    '1.234,50\xa0€'
    """
    if _missing(value):
        return "–"
    v = float(value)
    if locale is not None:
        numbers = _cldr(locale)
        if compact:  # three significant digits, as the English compact form ($536k): CLDR abbreviates only some sizes
            shown = round(v, -math.floor(math.log10(abs(v))) + 2) if v else 0.0
            text = str(numbers.format_compact_currency(shown, currency, locale=locale, fraction_digits=1))
            if any(ch.isalpha() for ch in text.replace(numbers.get_currency_symbol(currency, locale), "")):
                return text  # abbreviated: "1,3 Mio. $", "₩3400만"
            from babel import Locale  # a size the locale does not abbreviate: whole units with its grouping (536.000 $)

            pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0].replace(".00", "")
            return str(numbers.format_currency(shown, currency, format=pattern, locale=locale, currency_digits=False))
        return str(numbers.format_currency(v, currency, locale=locale))
    symbol = _symbol(currency)
    sign = "-" if v < 0 else ""
    v = abs(v)
    if compact and lang == "ko" and currency == "KRW":
        return f"{sign}{symbol}{_korean_count(v)}"
    if compact:
        for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if v >= size:
                digits = 2 if v < 10 * size else 1 if v < 100 * size else 0
                text = f"{v / size:.{digits}f}"
                text = text.rstrip("0").rstrip(".") if "." in text else text
                return f"{sign}{symbol}{text}{suffix}"
        return f"{sign}{symbol}{v:.0f}"
    return f"{sign}{symbol}{v:,.{minor_units(currency)}f}"


def _korean_count(v: float) -> str:
    """A non-negative amount in Korean myriads: 9,500; 1.5만; 3,400만; 1.2억; 1,234억; 2.5조.

    One decimal below 10 of a unit for 만 and below 1,000 for 억 and 조, whole units with separators
    above; an amount that rounds up to the next unit is said in it (9,999.96만 is 1억).
    """
    shown = f"{v:,.0f}"
    for size, suffix in reversed(_KO_UNITS):  # 만, then 억, then 조: the largest unit that fits wins
        if v < size * 0.99995:
            break
        n = v / size
        few = n < (10 if suffix == "만" else 1000)
        number = f"{n:.1f}".rstrip("0").rstrip(".") if few else f"{n:,.0f}"
        if suffix != "조" and float(number.replace(",", "")) >= 10_000:  # rounds up to the next unit
            continue
        shown = number + suffix
    return shown


def format_percent(value: Any, digits: int = 0, *, locale: str | None = None) -> str:
    """A share as a percentage; ``locale=`` writes it as that locale does (``[cldr]`` extra): 45,7 % in German.

    Examples
    --------
    >>> format_percent(0.4567), format_percent(0.4567, 1), format_percent(None)
    ('46%', '45.7%', '–')
    """
    if _missing(value):
        return "–"
    if locale is not None:
        numbers = _cldr(locale)
        from babel import Locale

        pattern = Locale.parse(locale).percent_formats[None].pattern  # the locale's own: "#,##0 %" in German
        if digits:
            pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
        return str(numbers.format_percent(float(value), pattern, locale=locale))
    return f"{float(value) * 100:.{digits}f}%"


def format_number(value: Any, digits: int = 0, *, locale: str | None = None) -> str:
    """A count or amount with thousands separators; ``locale=`` uses that locale's (``[cldr]`` extra): 12.346 in
    German.

    Examples
    --------
    >>> format_number(12345.6), format_number(2.345, 2)
    ('12,346', '2.35')
    """
    if _missing(value):
        return "–"
    if locale is not None:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return str(_cldr(locale).format_decimal(float(value), pattern, locale=locale))
    return f"{float(value):,.{digits}f}"


def format_value(value: Any, unit: str, currency: str = "USD", *, compact: bool = False, lang: str = "en",
                 locale: str | None = None) -> str:
    """A KPI value by its unit ("money", "rate", "count", "days", "hours", "months", or "duration": a time span).

    Units are words of ``lang``: "34 days" in English, "34일" in Korean; a "duration" (a Timedelta or
    text such as "24h") is said as :func:`format_duration` says it in English and as 24시간 / 3일 / 45분
    in Korean. ``locale=`` writes the numbers as that CLDR locale does (the ``[cldr]`` extra); the words stay ``lang``'s.

    Examples
    --------
    >>> format_value(0.25, "rate"), format_value(1500, "money"), format_value(34.2, "days")
    ('25%', '$1,500.00', '34 days')
    >>> format_value(34.2, "days", lang="ko"), format_value("24h", "duration", lang="ko"), format_value("72h", "duration")
    ('34일', '24시간', '3 days')
    """
    if unit == "money":
        return format_money(value, currency, compact=compact, lang=lang, locale=locale)
    if unit == "rate":
        return format_percent(value, locale=locale)
    if unit == "duration":
        return _duration(value, lang)
    if unit in ("days", "hours", "months"):
        from .i18n import text

        return "–" if _missing(value) else text(f"measure.{unit}", lang, n=format_number(value, locale=locale))
    return format_number(value, 0 if _missing(value) or float(value) >= 100 else 2 if float(value) % 1 else 0, locale=locale)


def _duration(value: Any, lang: str) -> str:
    """A time span in ``lang``, cut as :func:`format_duration` cuts it: 24h / 3 days / 45 min, 24시간 / 3일 / 45분."""
    import pandas as pd

    from .i18n import text

    span = pd.Timedelta(value) if not _missing(value) else pd.NaT
    if span is pd.NaT:
        return "–"
    hours = span.total_seconds() / 3600
    if hours < 1:
        return text("span.minutes", lang, n=f"{hours * 60:.0f}")
    if hours <= 48 or hours % 24:
        return text("span.hours", lang, n=f"{hours:g}")
    return text("span.days", lang, n=f"{hours / 24:g}")


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
    """People's name of a key from the catalogue of ``lang``: ``kind`` "stage", "kpi", "sign", "sev" (severity),
    "kind" (a scope type or ``by`` column: segment, team, region, role), "lane" (a kind of work) or "org" (a design).

    Keys the catalogue does not know fall back to ``default``, else to the key made readable.

    Examples
    --------
    >>> label("stage", "sql_at"), label("kpi", "win_rate", "ko"), label("stage", "demo_booked_at")
    ('SQL', '거래 성사율', 'demo booked')
    >>> label("sign", "declining_sales", "ko"), label("kind", "segment", "ko"), label("sev", "critical", "ko")
    ('매출 감소', '세그먼트', '심각')
    """
    from .i18n import catalogue

    found = catalogue(lang).get(f"{kind}.{key}")
    if found is not None:
        return found
    return default if default is not None else str(key).removesuffix("_at").replace("_", " ")


def scope_label(scope_type: Any, scope: Any, lang: str = "en") -> str:
    """Where a finding is, for people: its scope with the word for its type, from the catalogue of ``lang``.

    "segment Mid-Market", "team SDR", "company" in English; "중견기업 세그먼트", "SDR팀", "영남권 지역",
    "AM,AE 역할", "회사 전체" in Korean. A name that already ends with the type's word does not get it
    twice (a team called "SDR팀" is "SDR팀", never "SDR팀 팀"). ``owner.team`` and ``account.region``
    are a team and a region; any other ``by`` column is named by its key.

    Parameters
    ----------
    scope_type : str
        A finding's ``scope_type`` (company, segment, team, region, role, or a ``by`` column).
    scope : str
        A finding's ``scope``.
    lang : {"en", "ko"}, default "en"
        The language.

    Returns
    -------
    str
        The scope as a reader says it.

    Examples
    --------
    >>> scope_label("segment", "Mid-Market"), scope_label("company", "company"), scope_label("team", "SDR")
    ('segment Mid-Market', 'company', 'team SDR')
    >>> scope_label("segment", "중견기업", "ko"), scope_label("team", "SDR팀", "ko"), scope_label("company", "company", "ko")
    ('중견기업 세그먼트', 'SDR팀', '회사 전체')
    """
    from .i18n import catalogue, text

    kind, name = str(scope_type).rsplit(".", 1)[-1], str(scope)
    if kind == "company":
        return text("scope.company", lang)
    if f"scoped.{kind}" in catalogue(lang):
        return text(f"scoped.{kind}", lang, name=name)
    return text("scoped.other", lang, kind=label("kind", kind, lang), name=name)


def finding_heading(severity: Any, sign: Any, scope_type: Any = None, scope: Any = None, lang: str = "en") -> str:
    """A finding's heading line for the command line: "[CRITICAL] declining_sales · segment Mid-Market".

    In English the sign keeps its key (what scripts and the docs use); in other languages the severity,
    the sign and the scope are all words of the catalogue: "[심각] 매출 감소 · 중견기업 세그먼트". Without a
    scope (``severity`` "ok": a sign assessed with no finding) the heading ends with the sign.

    Parameters
    ----------
    severity : str
        critical, warning, info, or ok.
    sign : str
        The sign's key.
    scope_type, scope : str, optional
        The finding's scope (see :func:`scope_label`).
    lang : {"en", "ko"}, default "en"
        The language.

    Returns
    -------
    str
        The heading.

    Examples
    --------
    >>> finding_heading("critical", "declining_sales", "segment", "Mid-Market")
    '[CRITICAL] declining_sales · segment Mid-Market'
    >>> finding_heading("critical", "declining_sales", "segment", "Mid-Market", "ko")
    '[심각] 매출 감소 · Mid-Market 세그먼트'
    >>> finding_heading("ok", "rep_turnover", lang="ko")
    '[정상] 영업 담당자 이직'
    """
    name = str(sign) if lang == "en" else label("sign", sign, lang)
    head = f"[{label('sev', severity, lang, default=str(severity).upper())}] {name}"
    return head if scope_type is None else f"{head} · {scope_label(scope_type, scope, lang)}"


def funnel_labels(stages: Any, lang: str = "en") -> tuple[list[str], list[float], list[str]]:
    """For a ``funnel`` result: stage names, entities reaching each stage, and "1,713 (72% of the stage before)" texts."""
    from .i18n import text

    frame = stages.groupby("stage", sort=False)[["entered", "converted"]].sum().reset_index()
    counts = [*frame["entered"], frame["converted"].iloc[-1]]
    names = [label("stage", s, lang) for s in [*frame["stage"], stages["next_stage"].iloc[-1]]]
    texts = [f"{c:,.0f}" + ("  " + text("chart.of_before", lang, share=f"{c / counts[i - 1]:.0%}") if i and counts[i - 1] else "")
             for i, c in enumerate(counts)]
    return names, counts, texts


def attainment_colour(attainment: float) -> str | None:
    """The fill of a scorecard's attainment cell: green at or above target, amber within 10%, red below; None unknown."""
    if attainment is None or math.isnan(float(attainment)):
        return None
    return "#D9F0E3" if attainment >= 1 else "#FBE3D6" if attainment < 0.9 else "#FFF3D6"


def scorecard_cells(card: Any, currency: str = "USD", lang: str = "en") -> tuple[list[str], list[list[str]], list[str | None]]:
    """For a ``scorecard`` result: the header, each row's texts and each row's attainment fill.

    One builder for the image, the interactive table and the PPTX table. Values come from the columns
    ``shown`` and ``shown_target`` when the frame has them (the deck's, marked † while maturing), else
    they are formatted from ``value``/``target`` and ``unit``.

    Examples
    --------
    >>> import pandas as pd
    >>> card = pd.DataFrame({"team": ["Sales"], "kpi": ["win_rate"], "label": ["win rate"], "value": [0.27],
    ...                      "target": [0.30], "unit": ["rate"], "attainment": [0.9]})
    >>> head, rows, fills = scorecard_cells(card)
    >>> head, rows, fills
    (['Team', 'KPI', 'Value', 'Target', 'Attainment'], [['Sales', 'win rate', '27%', '30%', '90%']], ['#FFF3D6'])
    """
    from .i18n import text

    units = card["unit"].astype(str).tolist()
    shown = card["shown"].astype(str).tolist() if "shown" in card.columns else \
        [format_value(v, u, currency, compact=True, lang=lang) for v, u in zip(card["value"], units, strict=True)]
    targets = card["shown_target"].astype(str).tolist() if "shown_target" in card.columns else \
        [format_value(v, u, currency, compact=True, lang=lang) for v, u in zip(card["target"], units, strict=True)]
    names = card["label"] if "label" in card.columns else card["kpi"]
    kpis = [label("kpi", k, lang, default=str(n)) for k, n in zip(card["kpi"], names, strict=True)]
    attain = [float(a) for a in card["attainment"]]
    rows = [[label("team", t, lang, default=str(t)), k, v, g, format_percent(a)]
            for t, k, v, g, a in zip(card["team"], kpis, shown, targets, attain, strict=True)]
    header = [text(f"col.{c}", lang) for c in ("team", "kpi", "value", "target", "attainment")]
    return header, rows, [attainment_colour(a) for a in attain]


class SignStatus(tuple):  # type: ignore[type-arg]
    """One sign's state, as every surface shows it: unpacks as ``(sign, name, worst, shown)``.

    ``state`` is one of "found" (a warning or critical finding), "not_found" (assessed, no sign),
    "partly" (assessed only in part, no sign in that part) and "not_assessed"; ``needs`` names what to
    add ("reps.terminated_at", "the activities table") when the caller knew the bundle; ``scopes`` the
    scopes found; ``why`` the sentences that explain a state other than "found".
    """

    state: str
    needs: tuple[str, ...]
    scopes: tuple[str, ...]
    why: tuple[str, ...]

    def __new__(cls, sign: str, name: str, worst: str, shown: str, *, state: str, needs: tuple[str, ...] = (),
                scopes: tuple[str, ...] = (), why: tuple[str, ...] = ()) -> SignStatus:
        row = super().__new__(cls, (sign, name, worst, shown))
        row.state, row.needs, row.scopes, row.why = state, needs, scopes, why
        return row

    @property
    def sign(self) -> str:
        """The sign's key ("rep_turnover")."""
        return str(self[0])

    @property
    def name(self) -> str:
        """The sign's name in the language asked for."""
        return str(self[1])

    @property
    def worst(self) -> str:
        """The most severe level: "critical", "warning", "info" or "ok"."""
        return str(self[2])

    @property
    def shown(self) -> str:
        """What every surface writes for the sign ("CRITICAL: SDR", "no sign", "not assessed: add reps.terminated_at")."""
        return str(self[3])


def sign_overview(found: Any, lang: str = "en", *, needs: Any = None) -> list[SignStatus]:
    """For ``diagnose`` findings: per sign (in order) its name, its most severe level ("ok" when none), and what to show.

    The one place that decides a sign's state, for the deck, the HTML, the charts and the command line:

    - found: a warning or critical finding ("CRITICAL: SDR");
    - not found: assessed, nothing at warning level ("no sign");
    - partly assessed: assessed, but not in every breakdown, and nothing found ("no sign (partly assessed)");
    - not assessed: a table or column is missing, or too little data ("not assessed"; with ``needs``,
      "not assessed: add reps.terminated_at").

    Each row unpacks as ``(sign, name, worst, shown)`` and carries ``state``, ``needs``, ``scopes``
    and ``why`` (see :class:`SignStatus`).

    Parameters
    ----------
    found : pandas.DataFrame
        The output of ``diagnose``: ``sign``, ``severity``, ``scope``, ``metric`` (and ``evidence``).
    lang : {"en", "ko"}
        The language of the names and of ``shown``.
    needs : mapping, optional
        Sign -> what the bundle lacks for it ("reps.terminated_at", "the activities table"), as the deck
        computes it from the bundle; named in ``shown`` for a sign not assessed or partly assessed.
        Default: ``found.attrs["needs"]`` when the findings carry it (the deck puts it there).

    Examples
    --------
    >>> import pandas as pd
    >>> found = pd.DataFrame({"sign": ["rep_turnover", "market_response"], "severity": ["info", "warning"],
    ...                       "scope": ["company", "Digital Native"], "metric": ["not_assessed", "conversion"],
    ...                       "evidence": ["no terminated_at", "grew"]})
    >>> [(row.state, row.shown) for row in sign_overview(found, needs={"rep_turnover": ["reps.terminated_at"]})][:4]
    [('not_found', 'no sign'), ('not_assessed', 'not assessed: add reps.terminated_at'), ('not_found', 'no sign'), ('found', 'WARNING: Digital Native')]
    """
    from ._signs import SIGNS
    from .i18n import text

    rank = {"critical": 0, "warning": 1, "info": 2}
    if needs is None:  # the deck records on the findings what the bundle lacks, so its charts say it too
        needs = (getattr(found, "attrs", None) or {}).get("needs")
    rows = []
    for sign in SIGNS:
        mine = found[found["sign"] == sign]
        worst = min(mine["severity"], key=lambda s: rank.get(s, 3)) if len(mine) else "ok"
        alarms = mine[mine["severity"] != "info"]
        info = mine[mine["severity"] == "info"]
        partly = bool(len(info)) and (info["metric"] == "partly_assessed").all()  # assessed, though not in every breakdown
        missing = tuple(str(n) for n in ((needs or {}).get(sign) or ()))
        added = text("sign.add", lang, what=", ".join(missing)) if missing else ""
        kinds = alarms["scope_type"].astype(str) if "scope_type" in alarms.columns else alarms["scope"].astype(str)
        scopes = tuple(dict.fromkeys(text("scope.company", lang) if kind == "company" else str(scope)
                                     for kind, scope in zip(kinds, alarms["scope"], strict=True)))
        why = tuple(str(e) for e in info["evidence"]) if "evidence" in info.columns else ()
        if len(alarms):
            state, shown = "found", f"{text('sev.' + worst, lang)}: {', '.join(scopes)}"
        elif partly:
            state, shown = "partly", text("chart.partly_assessed", lang) + (f": {added}" if added else "")
        elif len(mine):
            state = "not_assessed"
            shown = text("chart.not_assessed", lang) + (f": {added}" if added else "")
        else:
            state, shown = "not_found", text("chart.no_sign", lang)
        rows.append(SignStatus(sign, label("sign", sign, lang), worst, shown, state=state, needs=missing, scopes=scopes, why=why))
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
