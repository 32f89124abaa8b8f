"""The tables behind salesmetrics results, for spreadsheets: CSV (:func:`to_csv`) and Excel (:func:`to_excel`).

Both treat every string as untrusted. A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return before one) as a formula, so:

- CSV has no types: such a text cell, header cells included, gets a leading apostrophe (OWASP's advice against
  CSV injection); numbers, dates and periods are written as they are; a cell holding a line break or a carriage
  return is quoted (lines end in CRLF), so it cannot start a row of its own;
- Excel has types: every text cell is written as a string (``t="inlineStr"``, never ``<f>``, so ``=HYPERLINK(...)``
  is text and ``#N/A`` is not an error value), and one that starts with a formula character also gets Excel's
  quote prefix (the apostrophe Excel shows in the formula bar), so editing the cell keeps it text. Characters XML
  cannot hold (NUL, ESC, ...) are shown as escape codes (``\\x1b``).

The workbook holds the numbers behind the quarterly review (:func:`~salesmetrics.report`): a first "About" sheet
(as_of, time zone, currency, quarter, the salesmetrics version, and what each sheet holds), then one sheet per
table behind the deck's slides — each chart's frame as the metric returned it (the findings and the team
scorecard among them) and each table as shown — with typed cells: numbers stay numbers, dates are Excel dates,
periods are text ("2025Q3") and durations are days. Excel has no time zones: date-times are written as local
times in the bundle's zone, and the header names it (``closed_at (America/New_York)``).

The workbook speaks the review's language: in Korean (``lang="ko"``) the sheet names, the column headers and the
About sheet's labels are the catalogue's words (``xlsx.*`` for the About sheet and the fixed sheet names,
``field.<column>`` for a metric's columns: ``win_rate`` is "거래 성사율"); the English catalogue gives the column
names as the metric functions return them. A column the catalogue does not know (one named by the data) keeps
its name.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import import_optional
from ..i18n import catalogue, text

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData
    from ..org import OrgDesign

__all__ = ["FORMULA_PREFIXES", "to_csv", "to_excel", "write_review"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is run as a formula by spreadsheets (OWASP, CSV injection)."""

Progress = Callable[[str], None]

_MAX_ROWS, _MAX_COLUMNS, _MAX_TEXT = 1_048_576, 16_384, 32_767
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML cannot hold (PPTX text and charts, XLSX cells): dropped or shown as escapes before writing."""
_SHEET_ILLEGAL = re.compile(r"[\[\]:*?/\\]")


# ----------------------------------------------------------------------------------------------------------
# CSV
# ----------------------------------------------------------------------------------------------------------


def _inert(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, complex)


def _missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str):
        return _inert(value)
    if _missing(value) or _is_number(value):  # numbers stay numbers (a negative amount is not a formula); bools too
        return value
    return _inert(str(value))  # a Period, a time stamp, anything else: the text pandas would write, made inert


def _csv_column(column: pd.Series) -> pd.Series:
    dtype = column.dtype
    if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
        return column.astype(object).map(_csv_cell)
    return column  # numbers, booleans, date-times, periods, durations: typed, written by pandas as such


def _csv_header(columns: pd.Index) -> Any:
    def one(name: Any) -> Any:
        return name if _is_number(name) else _inert(str(name))

    if isinstance(columns, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(one(part) for part in name) for name in columns], names=columns.names)
    return [one(name) for name in columns]


def to_csv(frame: pd.DataFrame, path: str | Path | None = None) -> str | None:
    """Write a frame as CSV for spreadsheets, with text cells that would run as formulas made inert.

    A text cell or header starting with = + - @ (or a tab or carriage return) gets a leading apostrophe
    (OWASP's advice against CSV injection), whatever the column's dtype (text, categorical, object with mixed
    values); numbers, dates and periods are left as they are. Lines end in CRLF (RFC 4180), so a cell holding
    a carriage return or a line break is quoted and cannot start a new row (whose first cell could be a
    formula). The index is not written.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write.
    path : str or pathlib.Path, optional
        Where to write it; default: return the CSV as a string.

    Returns
    -------
    str or None
        The CSV text when ``path`` is None, else None.

    Examples
    --------
    >>> import pandas as pd
    >>> print(to_csv(pd.DataFrame({"account": ['=HYPERLINK("x")', "Acme"], "mrr": [-5.0, 10.0]})), end="")
    account,mrr
    "'=HYPERLINK(""x"")",-5.0
    Acme,10.0
    """
    safe = pd.DataFrame({j: _csv_column(frame.iloc[:, j]) for j in range(frame.shape[1])}, index=frame.index)
    safe.columns = _csv_header(frame.columns)
    # the csv module quotes a cell that holds a character of the line terminator: with "\r\n", a cell with a bare
    # carriage return is quoted too (with "\n" it is not, and a spreadsheet would read a new row there)
    return safe.to_csv(path, index=False, lineterminator="\r\n")


# ----------------------------------------------------------------------------------------------------------
# Excel: cell values
# ----------------------------------------------------------------------------------------------------------


class _Text(str):
    """A string to write as text (never a formula, an error value or a number)."""


def _text(value: Any) -> _Text:
    shown = XML_ILLEGAL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(value))
    return _Text(shown[:_MAX_TEXT])


def _number(value: Any) -> Any:
    if _missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, complex):
        return _text(value)
    number = float(value)
    if np.isinf(number):  # Excel has no infinity: said in words rather than left empty
        return _text("inf" if number > 0 else "-inf")
    return number


def _local(stamp: pd.Timestamp, zone: str | None, zones: set[str]) -> dt.datetime:
    """A naive ``datetime``: the wall-clock time in ``zone`` (default: the stamp's own), whose name goes in ``zones``."""
    if stamp.tzinfo is not None:
        shown = zone or str(stamp.tz)
        zones.add(shown)
        stamp = stamp.tz_convert(shown).tz_localize(None)
    return stamp.to_pydatetime(warn=False)


def _object_cell(value: Any, zone: str | None, zones: set[str]) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if _missing(value):
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime, np.datetime64)):
        return _local(pd.Timestamp(value), zone, zones)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (pd.Timedelta, dt.timedelta, np.timedelta64)):
        return pd.Timedelta(value).total_seconds() / 86_400
    if isinstance(value, numbers.Number):
        return _number(value)
    return _text(value)  # a Period ("2025Q3"), an interval, a list: as text


def _excel_column(column: pd.Series, zone: str | None, lang: str = "en") -> tuple[str, list[Any]]:
    """``(header suffix, cell values)`` of one column: typed values for Excel, the zone or unit named in the suffix."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        column = column.astype(object)
        dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        zones: set[str] = set()
        values = [None if v is pd.NaT else _local(v, zone, zones) for v in column]
        shown = zone or str(getattr(dtype, "tz", ""))
        return (f" ({shown})" if isinstance(dtype, pd.DatetimeTZDtype) else ""), values
    if pd.api.types.is_timedelta64_dtype(dtype):
        return f" ({text('xlsx.days', lang)})", [None if v is pd.NaT else v.total_seconds() / 86_400 for v in column]
    if isinstance(dtype, pd.PeriodDtype):
        return "", [None if _missing(v) else _text(v) for v in column]
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return "", [_number(v) for v in column]
    zones = set()
    values = [_object_cell(v, zone, zones) for v in column]
    return (f" ({zones.pop()})" if len(zones) == 1 else ""), values


def _as_frame(obj: Any) -> pd.DataFrame:
    """A frame to write: a diagnostic's result is its ``.table``; a named index becomes columns; column levels are joined."""
    if hasattr(obj, "table") and hasattr(obj, "findings") and not isinstance(obj, pd.DataFrame):
        obj = obj.table
    if isinstance(obj, pd.Series):
        obj = obj.to_frame(obj.name if obj.name is not None else "value")
    elif not isinstance(obj, pd.DataFrame):
        obj = pd.DataFrame({"value": list(obj)})
    frame = obj
    if isinstance(frame.index, pd.MultiIndex) or any(n is not None for n in frame.index.names):
        frame = frame.reset_index()
    if isinstance(frame.columns, pd.MultiIndex):
        frame = frame.set_axis([" / ".join(str(p) for p in name if str(p)) for name in frame.columns], axis=1)
    return frame


# ----------------------------------------------------------------------------------------------------------
# Excel: the workbook
# ----------------------------------------------------------------------------------------------------------


@dataclass
class _Sheet:
    base: str  # the name wanted, before Excel's rules
    frame: pd.DataFrame
    contents: str = ""
    name: str = ""
    drawn: list[str] = field(default_factory=list)


def _sheet_name(base: str, used: set[str]) -> str:
    """``base`` as a sheet name: no ``[]:*?/\\`` or control characters, at most 31 characters, unique (Excel compares
    names without case), not "History" (reserved by Excel), not starting or ending with an apostrophe."""
    clean = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in _SHEET_ILLEGAL.sub(" ", str(base)))
    clean = " ".join(clean.split()).strip("'").strip() or "Sheet"
    if clean.lower() == "history":
        clean = "History (data)"
    name, n = clean[:31].rstrip().rstrip("'"), 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = clean[: 31 - len(suffix)].rstrip().rstrip("'") + suffix
        n += 1
    used.add(name.lower())
    return name


def _header(name: Any, lang: str = "en") -> str:
    """A column's header in ``lang``: the catalogue's word for a metric's column (``field.<name>``; "win_rate" is
    "거래 성사율" in Korean and itself in English), each part of a joined name ("a / b") alike; else the name."""
    words = catalogue(lang)
    shown = str(name)
    if f"field.{shown}" in words:
        return words[f"field.{shown}"]
    return " / ".join(words.get(f"field.{part}", part) for part in shown.split(" / "))


def _width(values: list[Any]) -> float:
    longest = max((len(str(v)) for v in values[:500] if v is not None), default=0)
    return float(min(max(longest + 2, 8), 60))


def _write_table(wb: Any, sheet: _Sheet, zone: str | None, lang: str = "en") -> None:
    from openpyxl.utils import get_column_letter

    frame = sheet.frame
    if len(frame) + 1 > _MAX_ROWS or frame.shape[1] > _MAX_COLUMNS:
        raise ValueError(f"{sheet.contents or sheet.name}: {len(frame):,} rows × {frame.shape[1]:,} columns do not fit an "
                         f"Excel sheet ({_MAX_ROWS - 1:,} rows × {_MAX_COLUMNS:,} columns); export it with to_csv.")
    ws = wb.create_sheet(sheet.name)
    headers, columns = [], []
    for j in range(frame.shape[1]):
        suffix, values = _excel_column(frame.iloc[:, j], zone, lang)
        headers.append(_text(f"{_header(frame.columns[j], lang)}{suffix}"))
        columns.append(values)
    for j, (head, values) in enumerate(zip(headers, columns, strict=True), start=1):
        ws.column_dimensions[get_column_letter(j)].width = _width([head, *values])
    formats = [_date_format(values) for values in columns]
    if headers:
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(frame) + 1}"
    ws.append([_cell(ws, h, bold=True) for h in headers])
    for row in zip(*columns, strict=True):
        ws.append([_cell(ws, v, number_format=f) for v, f in zip(row, formats, strict=True)])


def _date_format(values: list[Any]) -> str | None:
    stamps = [v for v in values if isinstance(v, dt.datetime)]
    if not stamps:
        return "yyyy-mm-dd" if any(isinstance(v, dt.date) for v in values) else None
    midnight = all(v.hour == v.minute == v.second == v.microsecond == 0 for v in stamps)
    return "yyyy-mm-dd" if midnight else "yyyy-mm-dd hh:mm:ss"


def _cell(ws: Any, value: Any, *, bold: bool = False, number_format: str | None = None) -> Any:
    """A write-only cell: text is always text (quote-prefixed when it starts like a formula), dates formatted."""
    if isinstance(value, str):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        text = value if isinstance(value, _Text) else _text(value)
        cell = WriteOnlyCell(ws, str(text))
        cell.data_type = "s"  # openpyxl makes "=..." a formula and "#N/A" an error value; this is text
        if text.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True  # Excel's own leading apostrophe: editing the cell keeps it text
        if bold:
            cell.font = Font(bold=True)
        return cell
    if isinstance(value, (dt.date, dt.datetime)) and number_format:
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value)
        cell.number_format = number_format
        return cell
    return value


def _about_sheet(wb: Any, sheets: list[_Sheet], about: list[tuple[str, Any]], zone: str | None, lang: str = "en") -> None:
    """The first sheet: what the workbook is (``about``: catalogue keys ``xlsx.<key>`` and values) and what each sheet holds."""
    from .. import __version__

    def t(key: str, **params: Any) -> str:
        return text(f"xlsx.{key}", lang, **params)

    ws = wb.create_sheet(t("about"))
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 40
    ws.column_dimensions["D"].width = 10
    ws.append([_cell(ws, t("export"), bold=True)])
    rows = [*about, ("generated_by", f"salesmetrics {__version__}"),
            ("times", t("times_zone", zone=zone) if zone else t("times_any"))]
    zones: set[str] = set()
    for name, value in rows:
        key = t(name)
        if isinstance(value, pd.Timestamp):
            shown = _local(value, zone, zones)
            ws.append([_cell(ws, f"{key} ({zone or value.tz})" if value.tzinfo is not None else key, bold=True),
                       _cell(ws, shown, number_format=_date_format([shown]))])
        else:
            ws.append([_cell(ws, key, bold=True), _cell(ws, "–" if value is None else str(value))])
    ws.append([])
    ws.append([_cell(ws, t(h), bold=True) for h in ("sheet", "contents", "drawn_as", "rows")])
    for sheet in sheets:
        ws.append([_cell(ws, sheet.name), _cell(ws, sheet.contents), _cell(ws, ", ".join(sheet.drawn) or t("table")),
                   len(sheet.frame)])


def _save(path: Path, sheets: list[_Sheet], about: list[tuple[str, Any]], zone: str | None,
          progress: Progress | None = None, lang: str = "en") -> Path:
    import_optional("openpyxl", "excel")
    from openpyxl import Workbook

    used = {text("xlsx.about", lang).lower()}
    for sheet in sheets:
        sheet.name = _sheet_name(sheet.base, used)
    wb = Workbook(write_only=True)
    _about_sheet(wb, sheets, about, zone, lang)
    for sheet in sheets:
        if progress:
            progress(f"sheet {sheet.name}")
        _write_table(wb, sheet, zone, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


def _review_sheets(slides: list[Any], lang: str = "en") -> list[_Sheet]:
    """One sheet per table behind the slides: each chart's frame (once, however many charts draw it), each table."""
    sheets: list[_Sheet] = []
    by_frame: dict[int, _Sheet] = {}
    fixed = {name: text(f"xlsx.{name}", lang) for name in ("findings", "scorecard")}
    for slide in slides:
        name = _short_name(slide, lang)
        charts = [c for c in getattr(slide, "charts", []) if getattr(c, "frame", None) is not None]
        for chart in charts:
            frame = chart.frame
            if id(frame) in by_frame:
                by_frame[id(frame)].drawn.append(chart.name)
                continue
            part = text(f"xlsx.chart.{chart.name}", lang) if len(charts) > 1 and f"xlsx.chart.{chart.name}" in catalogue(lang) else ""
            sheet = _Sheet(fixed.get(chart.name, f"{name} {part}".strip()), _as_frame(frame), slide.title, drawn=[chart.name])
            by_frame[id(frame)] = sheet
            sheets.append(sheet)
        if getattr(slide, "table", None) is not None:
            typed = getattr(slide, "values", None)  # the figures as numbers where the slide shows them as text
            sheets.append(_Sheet(name, _as_frame(typed if typed is not None else slide.table), slide.title))
    return sheets


def _short_name(slide: Any, lang: str) -> str:
    """A sheet name for the slide that fits Excel's 31 characters: the catalogue's short name for its kind of page
    (``xlsx.sheet.<key>``; a sign's page: "Sign 2 Rep turnover"), else its title."""
    key = str(getattr(slide, "key", "") or "")
    if key.startswith("sign:"):
        from .._signs import SIGNS

        sign = key.split(":", 1)[1]
        return text("xlsx.sheet.sign", lang, i=SIGNS.index(sign) + 1, name=text(f"xlsx.sign.{sign}", lang)) if sign in SIGNS \
            else str(slide.title)
    return text(f"xlsx.sheet.{key}", lang) if key and f"xlsx.sheet.{key}" in catalogue(lang) else str(slide.title)


def _found(frames: list[Any], key: str) -> Any:
    """The first value of ``attrs[key]`` among ``frames`` (what the metric functions record), else None."""
    for frame in frames:
        value = (getattr(frame, "attrs", None) or {}).get(key)
        if value is not None:
            return value
    return None


def _context(frames: list[Any], zone: str | None, currency: str | None, as_of: Any) -> tuple[str | None, str | None, Any]:
    """The time zone, currency and as_of of frames not from a bundle: the ones given, else what the frames carry."""
    stamp = as_of if as_of is not None else _found(frames, "as_of")
    if stamp is not None:
        try:
            stamp = pd.Timestamp(stamp)
        except (TypeError, ValueError):
            stamp = str(stamp)
    if zone is None:
        aware = [getattr(f[c].dtype, "tz", None) for f in frames if isinstance(f, pd.DataFrame) for c in f.columns
                 if isinstance(f[c].dtype, pd.DatetimeTZDtype)]
        zone = str(stamp.tz) if isinstance(stamp, pd.Timestamp) and stamp.tzinfo is not None else str(aware[0]) if aware else None
    if isinstance(stamp, pd.Timestamp) and stamp.tzinfo is None and zone:
        stamp = stamp.tz_localize(zone)
    return zone, currency if currency is not None else _found(frames, "currency"), stamp


def write_review(slides: list[Any], path: str | Path, data: SalesData | None = None, quarter: Any = None, as_of: Any = None,
                 *, progress: Progress | None = None, timezone: str | None = None, currency: str | None = None,
                 lang: str | None = None) -> Path:
    """Write the tables behind the review's slides as an Excel workbook (what ``report(out="review.xlsx")`` does).

    Parameters
    ----------
    slides : list of Slide
        The output of :func:`salesmetrics.reports.deck.review`.
    path : str or pathlib.Path
        The ``.xlsx`` file to write (its folder is created).
    data : SalesData, optional
        The bundle the slides were built from: its time zone and currency go on the About sheet.
    quarter : str or pandas.Period, optional
        The quarter the review covers, for the About sheet.
    as_of : time stamp, optional
        The time the figures were computed at, for the About sheet.
    progress : callable, optional
        Called with the name of each sheet as it is written.
    timezone, currency : str, optional
        Without ``data``: the zone the date-times are shown in and the currency of the money columns.
    lang : {"en", "ko"}, optional
        The language of the sheet names, the column headers and the About sheet; default: the slides'.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import salesmetrics as sm
    >>> from salesmetrics.reports.deck import review
    >>> data = sm.load_sample()
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "review.xlsx"
    >>> write_review(review(data, quarter="2025Q3"), path, data, "2025Q3").name
    'review.xlsx'
    >>> import openpyxl
    >>> openpyxl.load_workbook(write_review(review(data, quarter="2025Q3", lang="ko"), path, data, "2025Q3")).sheetnames[:3]
    ['정보', '핵심 KPI', '진단 결과']
    """
    lang = lang or (getattr(slides[0], "lang", None) if slides else None) or "en"
    catalogue(lang)  # an unknown language fails here, before any work
    sheets = _review_sheets(slides, lang)
    frames = [s.frame for s in sheets]
    zone: str | None
    cur: str | None
    if data is not None:
        zone, cur = data.timezone, data.currency
        stamp = pd.Timestamp(as_of) if as_of is not None else data.as_of
        if stamp is not None and stamp.tzinfo is None:
            stamp = stamp.tz_localize(zone)
    else:
        zone, cur, stamp = _context(frames, timezone, currency, as_of)
    # to the second: a review cut at a quarter's end is computed at 23:59:59.999999, which Excel shows as the next day
    shown = pd.Timestamp(stamp).floor("s") if stamp is not None else None
    about: list[tuple[str, Any]] = [("as_of", shown), ("time_zone", zone), ("currency", cur),
                                    ("quarter", None if quarter is None else str(quarter)), ("language", lang)]
    return _save(Path(path), sheets, about, zone, progress, lang)


def _is_bundle(obj: Any) -> bool:
    from ..data import SalesData

    return isinstance(obj, SalesData)


def to_excel(
    data: Any,
    /,
    path: str | Path,
    *,
    quarter: Any = None,
    org: str | OrgDesign = "process",
    lang: str | None = None,
    as_of: Any = None,
    timezone: str | None = None,
    currency: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write the tables behind the quarterly review (or any frames) as an Excel workbook, typed and formula-safe.

    A first "About" sheet gives as_of, the time zone, the currency, the quarter, the salesmetrics version and what
    each sheet holds (its labels, the sheet names and the column headers in ``lang``). For a bundle (or the
    review's slides) one sheet follows per table behind the deck: each
    chart's frame as its metric returned it (the findings and the team scorecard among them) and each table as the
    slide shows it. Numbers stay numbers, dates are Excel dates, periods are text ("2025Q3"), durations are days.
    Excel has no time zones: date-times are local times in the bundle's zone, named in the header
    (``closed_at (America/New_York)``). Text is never a formula: a cell or header starting with = + - @ (or a tab
    or carriage return) is written as text with Excel's quote prefix. Sheet names are at most 31 characters and
    unique. Needs openpyxl (``pip install 'salesmetrics[excel]'``).

    Parameters
    ----------
    data : SalesData, list of Slide, DataFrame or dict of DataFrames
        A bundle (the review is built from it, as :func:`~salesmetrics.report` does); the slides of
        :func:`salesmetrics.reports.deck.review`; or frames to write, one sheet each (a dict's keys name them).
    path : str or pathlib.Path
        The ``.xlsx`` file to write (its folder is created).
    quarter : str, optional
        With a bundle: the quarter to review ("2025Q3"; default: the last complete one at ``as_of``).
    org : "process", "functional" or an OrgDesign
        With a bundle: the org design of the scorecards.
    lang : {"en", "ko"}, optional
        The language of the workbook: with a bundle, of the review it is built from (default "en"); with slides,
        default theirs; with frames, of the About sheet and of the headers of the columns the catalogue knows
        (default "en").
    as_of : date or time stamp, optional
        With a bundle: the reporting date (default: the data's). Otherwise the as_of to show on the About
        sheet (default: what the frames carry in ``attrs``).
    timezone : str, optional
        Without a bundle: the zone to show date-times in (default: the zone the frames carry); a bundle has its own.
    currency : str, optional
        Without a bundle: the currency to name on the About sheet (default: the frames' ``attrs``).
    progress : callable, optional
        Called with the name of each step (the review's, then each sheet's).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    MissingDependencyError
        When openpyxl is not installed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import salesmetrics as sm
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> sm.to_excel({"win rate": sm.win_rate(sm.load_sample())}, folder / "wins.xlsx").name
    'wins.xlsx'
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"to_excel writes .xlsx files; got {path.name!r}.")
    import_optional("openpyxl", "excel")  # before any slow work
    if _is_bundle(data):
        if timezone is not None or currency is not None:
            raise ValueError("timezone= and currency= are for frames; a SalesData has its own (set them when you build it: "
                             "sm.SalesData(..., timezone=..., currency=...)).")
        import salesmetrics as sm

        return sm.report(data, quarter=quarter, out=path, org=org, progress=progress, lang=lang or "en", as_of=as_of)[0]
    if isinstance(data, list) and data and all(hasattr(s, "charts") and hasattr(s, "table") for s in data):
        return write_review(data, path, quarter=quarter, as_of=as_of, progress=progress, timezone=timezone, currency=currency,
                            lang=lang)
    lang = lang or "en"
    named = dict(data) if isinstance(data, Mapping) else {text("xlsx.sheet_table", lang): data}
    sheets = [_Sheet(str(name), _as_frame(frame), str(name)) for name, frame in named.items()]
    zone, cur, stamp = _context([s.frame for s in sheets], timezone, currency, as_of)
    return _save(path, sheets, [("as_of", stamp), ("time_zone", zone), ("currency", cur)], zone, progress, lang)
