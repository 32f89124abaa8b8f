"""Safe output everywhere, and reference lines that show (issue #17, points 6 and 8).

A region, team, segment or source named like markup, a formula or a terminal escape must reach every output as
the characters it is: never a link or a tag in the plotly charts or the HTML deck, never a formula in CSV or Excel,
never a control sequence at the terminal; the PPTX holds it as text. The hostile names replace the sample
company's category values, so every chart, table and finding that shows a category shows one of them.

The reference lines (the 90% SLA target, the company's attrition, the Kaplan–Meier median, the index-100
baseline) are drawn visibly by both backends: plotly's ``simple_white`` template gives shapes a line 0 wide.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics import interactive, plot
from salesmetrics._charts import escape_figure, plain
from salesmetrics.reports.cli import main, terminal_safe
from salesmetrics.reports.export import FORMULA_PREFIXES, to_csv

HOSTILE = [
    '<a href="https://evil.example">click</a>',
    "<img src=x onerror=alert(1)>",
    '=HYPERLINK("http://evil")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;http://evil\x07link\x1b]8;;\x07",
    "over\rwrite\x00nul",
    "\u202eevil",
    "<script>alert(1)</script>",
    "-2+3",
    "$\\frac$ club",  # two dollars: mathtext to matplotlib
    "\x9b31mC1 csi",
    "\tTAB=1+1",
]
CONTROL = ("\x1b", "\x07", "\x00", "\r", "\u202e", "\x9b")
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _quiet(call: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DefinitionWarning)
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        return call()


@pytest.fixture(scope="module")
def hostile(sample) -> sm.SalesData:
    """The sample with hostile team, region, segment and source names (every hostile string is a team, a region or a
    segment: the categories the charts and findings show) and hostile account names on the largest open deals."""
    tables = {k: v.copy() for k, v in sample.tables.items()}
    n = len(HOSTILE)

    def remap(values: set[str], offset: int) -> dict[str, str]:
        return {v: HOSTILE[(i + offset) % n] for i, v in enumerate(sorted(values))}

    teams = remap(set(tables["reps"]["team"]), 0)  # 7 teams, 3 regions, 4 segments: all 14 strings
    regions = remap(set(tables["accounts"]["region"]) | set(tables["reps"]["region"]), 7)
    segments = remap(set(tables["accounts"]["segment"]), 10)
    sources = remap(set(tables["leads"]["source"].dropna()) | set(tables["opportunities"]["source"].dropna()), 3)
    tables["reps"]["team"] = tables["reps"]["team"].map(teams)
    tables["targets"]["scope"] = tables["targets"]["scope"].map(lambda s: teams.get(s, s))
    for name in ("accounts", "reps"):
        tables[name]["region"] = tables[name]["region"].map(regions)
    for name in ("accounts", "leads"):
        tables[name]["segment"] = tables[name]["segment"].map(segments)
    for name in ("leads", "opportunities"):
        tables[name]["source"] = tables[name]["source"].map(lambda s: sources.get(s, s))
    o = tables["opportunities"]
    biggest = o[o["status"] == "open"].sort_values("amount", ascending=False)["account_id"].unique()
    accounts = tables["accounts"]
    for account, name in zip(biggest, HOSTILE, strict=False):
        accounts.loc[accounts["account_id"] == account, "name"] = name
    data = sm.SalesData(**tables, timezone=sample.timezone, currency=sample.currency)
    assert set(HOSTILE) <= set(teams.values()) | set(regions.values()) | set(segments.values())
    return data


def _strings(obj: Any, skip: tuple[str, ...] = ("template",)) -> list[str]:
    """Every string in a figure's JSON, but the template (plotly's own)."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() if k not in skip for s in _strings(v, skip)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v, skip)]
    return []


# ----------------------------------------------------------------------------------------------------------
# plotly
# ----------------------------------------------------------------------------------------------------------

CHARTS = {
    "attrition": lambda d: (sm.rep_turnover(d), {}),
    "findings": lambda d: (sm.diagnose(d), {}),
    "scorecard": lambda d: (sm.scorecard(d), {}),
    "trend": lambda d: (sm.customer_satisfaction(d).table, {"value": "csat", "by": "region", "title": HOSTILE[0],
                                                              "highlight": HOSTILE[7]}),
    "mrr_trend": lambda d: (sm.mrr_bridge(d, freq="Q", by="segment"), {}),
    "win_rate": lambda d: (sm.win_rate(d, by="segment"), {}),
    "sla_compliance": lambda d: (sm.response_sla(d, freq="Q", by="team"), {"target": 0.9}),
    "kaplan_meier": lambda d: (sm.sales_cycle(d, method="km", freq="Q", by="segment"), {}),
    "cycle_distribution": lambda d: (sm.sales_cycle(d, freq="Y", by="segment"), {}),
    "decline_drivers": lambda d: (sm.sales_decline(d), {"scope": HOSTILE[10]}),
    "funnel": lambda d: (sm.funnel(sm.lead_journeys(d), sm.LEAD_STAGES, freq=None), {}),
    "mrr_bridge": lambda d: (sm.mrr_bridge(d, freq="Q"), {}),
    "cohort_heatmap": lambda d: (sm.cohort_retention(d, freq="M"), {}),
}


def test_every_interactive_chart_is_covered():
    assert set(CHARTS) == set(interactive.__all__)


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_interactive_charts_show_data_as_text_never_markup(hostile, name):
    result, kwargs = _quiet(lambda: CHARTS[name](hostile))
    fig = getattr(interactive, name)(result, **kwargs)
    strings = _strings(fig.to_dict())
    markup = [s for s in strings if "<" in s or ">" in s]
    assert not markup, markup[:3]  # plotly would draw <a href>, <b>, <br> in names, ticks, hover text and cells
    assert not [s for s in strings if "&amp;lt;" in s or "&amp;gt;" in s]  # escaped once, not twice
    if name in ("attrition", "findings", "trend", "mrr_trend", "win_rate", "sla_compliance", "kaplan_meier",
                "cycle_distribution"):
        shown = {h for h in HOSTILE for s in strings if plain(h) in s}
        assert shown, "the hostile names should be on this chart"


def test_escaping_a_figure_twice_changes_nothing(hostile):
    fig = interactive.attrition(sm.rep_turnover(hostile))
    before = fig.to_json()
    assert escape_figure(fig).to_json() == before
    assert plain("R&D <b>") == "R&amp;D &lt;b&gt;"


@pytest.fixture(scope="module")
def page(hostile, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("html") / "review.html"
    _quiet(lambda: sm.report(hostile, quarter="2025Q3", out=out))
    return out.read_text(encoding="utf-8")


def test_the_html_deck_holds_no_markup_from_the_data(page):
    charts = [json.loads(block) for block in re.findall(r"<script>\(function\(\)\{var f=(.*?);f\.layout", page, flags=re.S)]
    assert len(charts) >= 10
    strings = [s for fig in charts for s in _strings(fig)]
    assert not [s for s in strings if "<" in s or ">" in s]  # the JSON plotly draws: no <a href>, <img>, <script>
    assert not [s for s in strings if "&amp;lt;" in s]  # and not escaped twice (the page escapes JSON, not HTML)
    shown = {h for h in HOSTILE for s in strings if plain(h) in s}
    assert {HOSTILE[0], HOSTILE[1], HOSTILE[9]} <= shown, shown  # the links and tags are there, as text
    # the page around the charts (plotly.js itself left out): data only in escaped form
    start = page.index("</script>", page.index("<script type='text/javascript'>"))
    rest = page[start:]
    for raw in ('<a href="https://evil.example"', "<img src=x", "<script>alert(1)"):
        assert raw not in rest
    assert html.escape(HOSTILE[1]) in rest  # an account name in the table of open deals, shown as text


# ----------------------------------------------------------------------------------------------------------
# PPTX
# ----------------------------------------------------------------------------------------------------------


def test_the_pptx_holds_the_names_as_text(hostile, tmp_path):
    from pptx import Presentation

    out = tmp_path / "review.pptx"
    _quiet(lambda: sm.report(hostile, quarter="2025Q3", out=out))
    prs = Presentation(str(out))  # opens: python-pptx wrote well-formed XML
    texts = [sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.has_text_frame]
    texts += [c.text for s in prs.slides for sh in s.shapes if sh.has_table for row in sh.table.rows for c in row.cells]
    everything = "\n".join(texts)
    # XML cannot hold NUL or ESC: those are dropped, the rest is there as written
    for name in (HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3]):
        assert XML_ILLEGAL.sub("", name) in everything, name


# ----------------------------------------------------------------------------------------------------------
# matplotlib
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_matplotlib_draws_the_names_as_written(hostile, name):
    result, kwargs = _quiet(lambda: CHARTS[name](hostile))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = getattr(plot, name)(result, **kwargs)
        ax.figure.savefig(io.BytesIO(), format="png")  # a team called "$\frac$" would fail here as mathtext
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing[:3]  # control characters are shown as escape codes, not as missing glyphs


# ----------------------------------------------------------------------------------------------------------
# CSV
# ----------------------------------------------------------------------------------------------------------


def _every_kind(values: list[str]) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({
        "object": pd.Series(values, dtype=object),
        "str": pd.Series(values, dtype="str"),
        "pyarrow": pd.Series(values, dtype="string[pyarrow]"),
        "category": pd.Series(values, dtype="category"),
        "mixed": pd.Series([values[0], -5, 2.5, None, pd.Timestamp("2025-01-02", tz="UTC"), pd.Period("2025Q3"), True,
                            *values[7:]][:n], dtype=object),
        "period": pd.period_range("2025Q1", periods=n, freq="Q"),
        "closed_at": pd.date_range("2025-01-01", periods=n, freq="D", tz="America/New_York"),
        "amount": [-1.5 * i for i in range(n)],
        **{h: range(n) for h in HOSTILE},  # hostile headers
    })


def test_csv_neutralises_every_text_cell_and_header_of_any_dtype():
    frame = _every_kind(HOSTILE)
    rows = list(csv.reader(io.StringIO(to_csv(frame))))
    header, body = rows[0], rows[1:]
    for raw, written in zip(frame.columns, header, strict=True):
        assert written == ("'" + raw if raw.startswith(FORMULA_PREFIXES) else raw)
    for j, column in enumerate(frame.columns[:4]):  # the text columns: every hostile string, each dtype
        for raw, row in zip(frame[column], body, strict=True):
            assert row[j] == ("'" + raw if raw.startswith(FORMULA_PREFIXES) else raw), (column, raw)
    assert [row[frame.columns.get_loc("amount")] for row in body][1] == "-1.5"  # a number stays a number
    assert body[0][frame.columns.get_loc("period")] == "2025Q1"
    mixed = [row[frame.columns.get_loc("mixed")] for row in body]
    assert mixed[:3] == [HOSTILE[0], "-5", "2.5"] and mixed[5] == "2025Q3" and mixed[-1] == "'" + HOSTILE[-1]
    assert not _formula_cells(rows)
    # a carriage return inside a cell is quoted: a spreadsheet does not start a new row (and a new first cell) there
    rows = list(csv.reader(io.StringIO(to_csv(pd.DataFrame({"note": ["a\r=HYPERLINK(1)", "b\n@SUM(1)"], "n": [1, 2]})))))
    assert rows == [["note", "n"], ["a\r=HYPERLINK(1)", "1"], ["b\n@SUM(1)", "2"]]


def _formula_cells(rows: list[list[str]]) -> list[str]:
    """The cells a spreadsheet would run: text starting with a formula character (a negative number is a number)."""
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_PREFIXES) and not re.fullmatch(r"-\d+(\.\d+)?", cell)]


def test_the_deck_module_still_exports_to_csv():
    from salesmetrics.reports import deck, export

    assert deck.to_csv is export.to_csv is sm.to_csv


# ----------------------------------------------------------------------------------------------------------
# Excel
# ----------------------------------------------------------------------------------------------------------


def test_excel_holds_no_formula_from_the_data(hostile, tmp_path):
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl is in the dev extra (salesmetrics[excel])")
    deck = tmp_path / "review.xlsx"
    _quiet(lambda: sm.report(hostile, quarter="2025Q3", out=deck))
    frames = tmp_path / "frames.xlsx"
    sm.to_excel({"every kind": _every_kind(HOSTILE)}, frames)
    for path in (deck, frames):
        book = openpyxl.load_workbook(path)
        cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        risky = [c for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_PREFIXES)]
        assert risky and all(c.quotePrefix for c in risky)  # text, and stays text when edited in Excel
        with zipfile.ZipFile(path) as z:
            sheets = [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any("<f>" in s or "<f " in s for s in sheets)
        values = {c.value for c in cells if isinstance(c.value, str)}
        shown = {h for h in HOSTILE if h.encode("unicode_escape").decode("ascii") in {v.encode("unicode_escape").decode("ascii")
                                                                                    for v in values}}
        assert {HOSTILE[2], HOSTILE[3], HOSTILE[4]} <= shown  # the formulas are there, as text
        # XML cannot hold ESC or NUL: they are shown as escape codes
        assert any("\\x1b[31mred" in v for v in values) and not any("\x1b" in v or "\x00" in v for v in values)


# ----------------------------------------------------------------------------------------------------------
# terminal
# ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folders(hostile, tmp_path_factory) -> dict[str, Path]:
    """The hostile bundle as a folder of Parquet tables, and a copy with invalid rows (hostile values) to validate."""
    good, bad = tmp_path_factory.mktemp("hostile"), tmp_path_factory.mktemp("invalid")
    for folder in (good, bad):
        for name, table in hostile.tables.items():
            table.to_parquet(folder / f"{name}.parquet", index=False)
        (folder / "bundle.json").write_text(json.dumps({"timezone": hostile.timezone, "currency": hostile.currency}))
    o = hostile.opportunities.copy()
    o.loc[o.index[: len(HOSTILE)], "status"] = HOSTILE  # not a status: each is a failure case, printed with its value
    o.to_parquet(bad / "opportunities.parquet", index=False)
    return {"good": good, "bad": bad}


@pytest.mark.parametrize("command", ["diagnose", "summary", "validate", "validate-bad", "summary-bad", "diagnose-csv", "usage"])
def test_the_terminal_gets_no_control_sequence(folders, command, capsys, tmp_path):
    argv = {"diagnose": ["diagnose", str(folders["good"])],
            "summary": ["summary", str(folders["good"])],
            "validate": ["validate", str(folders["good"])],
            "validate-bad": ["validate", str(folders["bad"]), "--csv", str(tmp_path / "failures.csv")],
            "summary-bad": ["summary", str(folders["bad"])],
            "diagnose-csv": ["diagnose", str(folders["good"]), "--csv", str(tmp_path / "found\x1b[2J.csv")],
            "usage": ["diagnose", "--org", HOSTILE[5]]}[command]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == {"validate-bad": 3, "usage": 2}.get(command, 0), err
    for char in CONTROL:
        assert char not in out and char not in err, (command, char)
    if command in ("diagnose", "validate-bad", "usage"):
        assert re.search(r"\\x1b\[|\\x00|\\u202e|\\x07", out + err), out + err  # the names are there, their controls as escape codes
    written = {"validate-bad": tmp_path / "failures.csv", "diagnose-csv": tmp_path / "found\x1b[2J.csv"}.get(command)
    if written is not None:
        rows = list(csv.reader(written.open(encoding="utf-8", newline="")))
        assert len(rows) > 1 and not _formula_cells(rows)
        if command == "validate-bad":
            assert any(c.startswith("'=") for row in rows for c in row)  # the status '=HYPERLINK(...)', made inert


def test_warnings_at_the_terminal_are_terminal_safe(capsys):
    from salesmetrics.reports import cli

    cli._show_warning(sm.DataQualityWarning("odd value \x1b]8;;http://evil\x07x\x1b]8;;\x07 \u202e"), sm.DataQualityWarning,
                      "f.py", 1)
    err = capsys.readouterr().err
    assert not any(c in err for c in CONTROL) and "\\x1b]8;;http://evil\\x07" in err


def test_terminal_safe_keeps_text_and_shows_controls():
    assert terminal_safe("Ünïcode 한국어\u3000 tab\tline\n") == "Ünïcode 한국어\u3000 tab\tline\n"
    shown = terminal_safe("".join(HOSTILE))
    assert not any(c in shown for c in CONTROL) and shown.isprintable() is False  # the tab is kept
    assert terminal_safe(shown) == shown


# ----------------------------------------------------------------------------------------------------------
# reference lines
# ----------------------------------------------------------------------------------------------------------

REFERENCE = {
    "sla_compliance": lambda d: (sm.response_sla(d, freq="Q"), {"target": 0.9}, ("y", 0.9)),
    "attrition": lambda d: (sm.rep_turnover(d), {}, ("x", float(sm.rep_turnover(d).table.query("scope_type == 'company'")["attrition"].iloc[0]))),
    "kaplan_meier": lambda d: (sm.kaplan_meier(*_days(d)), {}, ("x", None)),
    "cycle_distribution": lambda d: (_days(d)[0], {}, ("x", float(_days(d)[0].median()))),
    "decline_drivers": lambda d: (sm.sales_decline(d), {}, ("y", 100.0)),
}


def _days(data: sm.SalesData) -> tuple[pd.Series, pd.Series]:
    o = data.opportunities
    closed = o["closed_at"].notna()
    return ((o["closed_at"].where(closed, data.as_of)) - o["created_at"]).dt.total_seconds() / 86_400, closed


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reference_lines_are_visible_in_plotly(sample, name):
    result, kwargs, (axis, at) = _quiet(lambda: REFERENCE[name](sample))
    layout = getattr(interactive, name)(result, **kwargs).to_dict()["layout"]
    shapes = layout.get("shapes", [])
    assert shapes, f"{name}: no reference line"
    for shape in shapes:
        line = shape.get("line", {})
        assert line.get("width", 0) >= 1.5 and line.get("color"), shape
    lines = [s for s in shapes if s.get(f"{axis}0") == s.get(f"{axis}1")]
    assert lines and (at is None or any(abs(s[f"{axis}0"] - at) < 1e-9 for s in lines)), shapes


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reference_lines_exist_in_matplotlib(sample, name):
    result, kwargs, (axis, at) = _quiet(lambda: REFERENCE[name](sample))
    ax = getattr(plot, name)(result, **kwargs)
    flat = []
    for line in ax.lines:
        data = line.get_ydata() if axis == "y" else line.get_xdata()
        values = pd.Series(list(data), dtype=float)
        if len(values) >= 2 and values.nunique() == 1 and line.get_visible() and line.get_linewidth() > 0:
            flat.append(float(values.iloc[0]))
    assert flat and (at is None or any(abs(v - at) < 1e-9 for v in flat)), (name, flat)
