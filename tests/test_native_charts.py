"""The PPTX deck draws its charts as native, editable PowerPoint charts with their data embedded (issue #17, point 4).

Images remain only for what no native chart says faithfully (``IMAGE_ONLY``: the MRR waterfall, the cohort
heatmap). The embedded numbers are the metric functions' own, titles and series names are the catalogue's
words in the deck's language, and the file opens in LibreOffice (when it is installed).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics import plot
from salesmetrics.i18n import text
from salesmetrics.reports._native import _BUILDERS, IMAGE_ONLY, add_native_chart
from salesmetrics.reports.deck import Chart, _quarter, review

pytest.importorskip("pptx")

GRIDS = {"findings", "scorecard"}  # charts that are tables: drawn as PowerPoint tables
HANGUL = re.compile("[\uac00-\ud7af]")
RAW = re.compile(r"\b[a-z]+_[a-z_]+\b|\bnan\b|\bNone\b|\bNaT\b")  # a column name (snake_case) or a missing value


def _deck_charts(path: Path) -> list[tuple[str, object]]:
    """``(slide title, shape)`` for every chart, picture and table below the slide title, in slide order."""
    from pptx import Presentation

    out = []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            if shape.has_chart or shape.shape_type == 13 or shape.has_table:  # 13: MSO_SHAPE_TYPE.PICTURE
                out.append((slide.shapes.title.text, shape))
    return out


def _charts(path: Path) -> dict[str, object]:
    """The native charts of a deck by their title."""
    return {shape.chart.chart_title.text_frame.text: shape.chart for _title, shape in _deck_charts(path) if shape.has_chart}


def _xy(series: object) -> tuple[np.ndarray, np.ndarray]:
    x = [float(v) for v in series._element.xpath("./c:xVal//c:pt/c:v/text()")]  # type: ignore[attr-defined]
    return np.array(x), np.array(series.values, dtype=float)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def decks(sample, tmp_path_factory):
    folder = tmp_path_factory.mktemp("native")
    return {lang: sm.report(sample, out=folder / f"r_{lang}.pptx", lang=lang)[0] for lang in ("en", "ko")}


@pytest.fixture(scope="module")
def slides(sample):
    return review(sample)


def test_every_chart_is_native_or_an_image_for_a_stated_reason():
    assert set(_BUILDERS) | set(IMAGE_ONLY) == set(plot.__all__)
    assert not set(_BUILDERS) & set(IMAGE_ONLY)


def test_every_mapped_chart_in_the_deck_is_native_and_only_the_rest_are_images(decks, slides):
    shapes = [(title, shape) for title, shape in _deck_charts(decks["en"])]
    charts = [c for s in slides for c in s.charts]
    native = [c for c in charts if c.name in _BUILDERS and c.name not in GRIDS]
    images = [c for c in charts if c.name in IMAGE_ONLY]
    assert {c.name for c in images} == {"mrr_bridge", "cohort_heatmap"}
    assert sum(shape.has_chart for _t, shape in shapes) == len(native) == 10
    assert sum(shape.shape_type == 13 for _t, shape in shapes) == len(images) == 2
    # the two charts that are tables are PowerPoint tables, on their own slides, with their titles above them
    tables = {t for t, shape in shapes if shape.has_table}
    assert {text("deck.signs"), text("deck.scorecards", org="process")} <= tables
    # each slide holds what review() put on it: native charts where mapped, images where not
    for s in slides[1:]:
        mine = [shape for t, shape in shapes if t == s.title]
        assert sum(shape.has_chart for shape in mine) == sum(c.name in _BUILDERS and c.name not in GRIDS for c in s.charts), s.title
        assert sum(shape.shape_type == 13 for shape in mine) == sum(c.name in IMAGE_ONLY for c in s.charts), s.title


def test_embedded_data_are_the_metric_values(decks, sample, slides):
    charts = _charts(decks["en"])
    q, as_of = _quarter(sample, None)  # the quarter the deck reports, and the time its figures are computed at

    wins = sm.win_rate(sample)
    wins = wins[wins["period"] <= q]
    chart = charts[text("chart.win_rate")]
    assert list(chart.plots[0].categories) == [str(p) for p in wins["period"]]
    rate, low, high = list(chart.series)[:3]
    assert rate.name == "win rate" and low.name == high.name == "95% interval"
    for series, column in ((rate, "win_rate"), (low, "win_rate_low"), (high, "win_rate_high")):
        np.testing.assert_allclose(series.values, wins[column], rtol=1e-12)

    sla = sm.response_sla(sample, freq="Q", as_of=as_of)
    chart = charts[text("chart.sla", within="24h")]
    compliance, *_band, target = list(chart.series)
    np.testing.assert_allclose(compliance.values, sla["compliance"], rtol=1e-12)
    assert target.name == "target 90%" and set(target.values) == {0.9}
    assert target.format.line.dash_style is not None  # the target is dashed, as in the image

    bridge = sm.mrr_bridge(sample, freq="Q", as_of=as_of)
    (mrr,) = list(charts["MRR"].series)
    np.testing.assert_allclose(mrr.values, bridge["ending_mrr"], rtol=1e-12)
    assert list(charts["MRR"].plots[0].categories) == [str(p) for p in bridge["period"]]

    journeys = sm.lead_journeys(sample)
    stages = sm.funnel(journeys[journeys["created_at"] > as_of - pd.Timedelta(days=365)], freq=None, as_of=as_of)
    (leads,) = list(charts[text("chart.funnel")].series)
    assert list(leads.values) == [*stages["entered"], stages["converted"].iloc[-1]]
    assert list(charts[text("chart.funnel")].plots[0].categories) == ["created", "MQL", "SQL", "opportunity", "won"]

    turnover = sm.rep_turnover(sample, as_of=as_of).table
    chart = charts[text("chart.attrition", window=turnover.attrs["window"])]
    shown = dict(zip(chart.plots[0].categories, chart.series[0].values, strict=True))
    expected = dict(zip(turnover.loc[turnover["scope_type"] == "team", "scope"], turnover.loc[turnover["scope_type"] == "team", "attrition"],
                        strict=True))
    expected[text("chart.company")] = float(turnover.loc[turnover["scope_type"] == "company", "attrition"].iloc[0])
    assert shown == pytest.approx(expected, rel=1e-12)

    # the Kaplan–Meier curve: its step vertices give back the survival at every time of the curve
    km = next(c.frame for s in slides for c in s.charts if c.name == "kaplan_meier")
    curve, median = list(charts[text("chart.km")].series)
    x, y = _xy(curve)
    assert np.all(np.diff(x) >= 0)
    np.testing.assert_allclose(y[np.searchsorted(x, km["time"].to_numpy(float), side="right") - 1], km["survival"], rtol=1e-12)
    days = float(np.r_[0.0, km["time"]][np.flatnonzero(np.r_[1.0, km["survival"]] <= 0.5)[0]])
    assert median.name == f"median {days:.0f} days" and set(_xy(median)[0]) == {days}

    # the signs' evidence: the lines are the frames review() hands the matplotlib functions
    for c in (c for s in slides for c in s.charts if c.name == "trend"):
        chart = charts[c.kwargs["title"]]
        frame = c.frame
        for series in chart.series:
            part = frame[frame[c.kwargs["by"]].astype(str) == series.name].set_index("period")[c.kwargs["value"]]
            got = pd.Series(series.values, index=list(chart.plots[0].categories), dtype=float)
            np.testing.assert_allclose(got.to_numpy(), part.reindex(pd.PeriodIndex(got.index, freq="Q")).to_numpy(float), rtol=1e-12)
    drivers = next(c for s in slides for c in s.charts if c.name == "decline_drivers")
    part = drivers.frame[drivers.frame["scope"] == drivers.kwargs["scope"]].tail(8)
    chart = charts[text("chart.drivers", scope=drivers.kwargs["scope"])]
    assert chart.series[0].name == "bookings"
    np.testing.assert_allclose(chart.series[0].values, part["bookings"] / part["bookings"].iloc[0] * 100, rtol=1e-12)


def test_the_embedded_workbook_holds_the_same_numbers(decks):
    """What PowerPoint's "Edit Data" opens: the chart's own sheet, with the same values as the chart."""
    openpyxl = pytest.importorskip("openpyxl")
    chart = _charts(decks["en"])[text("chart.win_rate")]
    sheet = openpyxl.load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "win rate" and [r[0] for r in rows[1:]] == list(chart.plots[0].categories)
    assert [r[1] for r in rows[1:]] == pytest.approx(list(chart.series[0].values), rel=1e-15)  # the sheet keeps 16 digits


def test_titles_series_and_axes_read_as_words_with_formats(decks):
    from pptx.enum.chart import XL_CHART_TYPE

    for title, chart in _charts(decks["en"]).items():
        words = [title, *(s.name for s in chart.series)]
        if chart.chart_type != XL_CHART_TYPE.XY_SCATTER_LINES_NO_MARKERS:  # the categories are labels too
            words += [str(c) for c in chart.plots[0].categories]
        words += [a.axis_title.text_frame.text for a in (chart.value_axis, chart.category_axis) if a.has_title]
        assert not [w for w in words if RAW.search(w) or not w.strip()], title
        assert not chart.value_axis.tick_labels.number_format_is_linked
    charts = _charts(decks["en"])
    assert charts[text("chart.win_rate")].value_axis.tick_labels.number_format == "0%"
    assert charts["MRR"].value_axis.tick_labels.number_format.endswith('"$"#,##0')  # compact: $1.4M, $250k, as the image


def test_a_korean_deck_has_korean_titles(decks):
    from pptx import Presentation

    charts = _charts(decks["ko"])
    assert len(charts) == 10
    assert all(HANGUL.search(title) for title in charts), [t for t in charts if not HANGUL.search(t)]
    assert text("chart.win_rate", "ko") in charts and text("chart.funnel", "ko") in charts
    assert charts[text("chart.win_rate", "ko")].series[0].name == "거래 성사율"
    tables = [sh for s in Presentation(str(decks["ko"])).slides for sh in s.shapes if sh.has_text_frame
              and sh.text_frame.text in (text("chart.findings", "ko"), text("chart.scorecard", "ko", period="2025Q3"))]
    assert len(tables) == 2  # the titles above the two tables


def test_charts_without_a_native_form_fall_back_to_the_image(sample, tmp_path):
    from pptx import Presentation

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    bridge = sm.mrr_bridge(sample, freq="Q")
    assert not add_native_chart(slide, Chart("mrr_bridge", bridge), 0, 0, 100, 100)
    empty = sm.sales_decline(sample).table.iloc[:0]
    assert not add_native_chart(slide, Chart("decline_drivers", empty), 0, 0, 100, 100)  # the image says what is missing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DefinitionWarning)
        summary = sm.sales_cycle(sample, method="km")
    assert not add_native_chart(slide, Chart("kaplan_meier", summary), 0, 0, 100, 100)  # quartiles, not a curve
    assert len(slide.shapes) == 0


def test_the_deck_opens_in_libreoffice(decks, tmp_path):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        print("LibreOffice is not installed: the PPTX is not converted to PDF here")
        pytest.skip("LibreOffice is not installed")
    profile = (tmp_path / "profile").as_uri()  # its own profile: runs in parallel with another LibreOffice
    done = subprocess.run([office, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                           str(decks["en"])], capture_output=True, timeout=300, check=False)
    pdf = tmp_path / (decks["en"].stem + ".pdf")
    assert done.returncode == 0 and pdf.exists(), done.stderr.decode(errors="replace")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))
    assert pages == len(_slides_in(decks["en"]))


def _slides_in(path: Path) -> list[object]:
    from pptx import Presentation

    return list(Presentation(str(path)).slides)


def test_names_from_the_data_are_shown_as_written_and_never_run(tmp_path):
    """A segment named like a formula stays text in the embedded sheet; control characters XML cannot hold are dropped."""
    openpyxl = pytest.importorskip("openpyxl")
    from pptx import Presentation

    formula, control = '=HYPERLINK("https://evil.example","x")', "North\x1b[31m\x00"
    leads = pd.DataFrame({"period": pd.PeriodIndex(["2025Q1", "2025Q2"] * 2, freq="Q"), "segment": [formula] * 2 + [control] * 2,
                          "leads": [3, 4, 5, 6]})
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    assert add_native_chart(slide, Chart("trend", leads, {"value": "leads", "by": "segment", "title": "Leads per segment"}), 0, 0,
                            4_000_000, 3_000_000)
    prs.save(str(tmp_path / "hostile.pptx"))
    (shape,) = Presentation(str(tmp_path / "hostile.pptx")).slides[0].shapes
    assert [s.name for s in shape.chart.series] == ["'" + formula, "North\x1b[31m".replace("\x1b", "")]
    sheet = openpyxl.load_workbook(io.BytesIO(shape.chart.part.chart_workbook.xlsx_part.blob)).active
    header = [c for c in next(sheet.iter_rows(min_row=1, max_row=1))]
    assert all(c.data_type == "s" for c in header[1:]) and header[1].value == "'" + formula  # text, not a formula


# ----------------------------------------------------------------------------------------------------------
# a Korean company in won: money axes in 억 / 만, and vertical axis titles that LibreOffice sets as written
# ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def won(tmp_path_factory):
    """The Korean sample company (KRW) and its Korean deck: (bundle, pptx)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = sm.make_company(locale="ko").to_sales_data()
        pptx = sm.report(data, out=tmp_path_factory.mktemp("won") / "ko.pptx", lang="ko")[0]
    return data, pptx


def _money_axes(path: Path) -> list[tuple[str, object]]:
    """``(title, chart)`` of the native charts whose value axis shows money (its number format names a currency)."""
    return [(t, c) for t, c in _charts(path).items() if re.search('"[₩$€£¥]"', c.value_axis.tick_labels.number_format)]


def test_korean_money_axes_count_in_eok_or_man_and_say_so(won):
    """₩1,905,000,000 on an axis is ₩19억: the values are written in 억 (or 만), the format and the title say it."""
    openpyxl = pytest.importorskip("openpyxl")
    data, pptx = won
    axes = _money_axes(pptx)
    assert text("kpi.mrr", "ko") in dict(axes)  # the MRR trend at least: the test has a money axis to look at
    for title, chart in axes:
        fmt = chart.value_axis.tick_labels.number_format
        unit = "억" if "억" in fmt else "만" if "만" in fmt else None
        assert unit, (title, fmt)
        assert chart.value_axis.has_title and chart.value_axis.axis_title.text_frame.text == \
            text("chart.money_axis_unit", "ko", currency="KRW", unit=unit) == f"금액 ({unit} 원)"
        top = max(abs(v) for s in chart.series for v in s.values if v is not None)
        assert 1 <= top < 1e6, (title, top)  # the largest tick label has at most six digits: never ₩1,905,000,000
        assert not re.search(r"\d{7}", fmt + chart.value_axis.axis_title.text_frame.text)
        sheet = openpyxl.load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob)).active
        assert unit in sheet.cell(2, 2).number_format  # "Edit Data" shows ₩19.05억, not a bare 19.05
    # the values are the metric's, in 억: times 10⁸ they are the bridge's won
    _q, as_of = _quarter(data, None)
    bridge = sm.mrr_bridge(data, freq="Q", as_of=as_of)
    (mrr,) = list(dict(axes)[text("kpi.mrr", "ko")].series)
    np.testing.assert_allclose(np.array(mrr.values) * 1e8, bridge["ending_mrr"], rtol=1e-12)


@pytest.mark.parametrize(("values", "currency", "lang", "expected"), [
    ([0, 1.9e9], "KRW", "ko", (1e8, "억")), ([2.5e8], "KRW", "ko", (1e8, "억")), ([3e5, None], "KRW", "ko", (1e4, "만")),
    ([9_999], "KRW", "ko", (1.0, "")), ([1.9e9], "KRW", "en", (1.0, "")), ([1.9e9], "USD", "ko", (1.0, "")), ([], "KRW", "ko", (1.0, "")),
])
def test_money_is_scaled_only_where_the_charts_count_in_man_and_eok(values, currency, lang, expected):
    from salesmetrics.reports._native import _money_scale

    assert _money_scale(values, currency, lang) == expected


def test_dollar_money_axes_keep_their_compact_format(decks):
    for lang in ("en", "ko"):  # the sample is in dollars: $1.4M and $250k in either language, values as they are
        chart = _charts(decks[lang])[text("kpi.mrr", lang)]
        assert chart.value_axis.tick_labels.number_format.startswith('[>=1000000]"$"#,##0.0#,,"M"')
        assert not chart.value_axis.has_title and max(chart.series[0].values) > 1e6


def _vertical_titles(path: Path) -> list[tuple[int, str, object]]:
    """``(slide number, title text, c:title element)`` of every vertical value axis title of the deck's native charts."""
    from pptx import Presentation
    from pptx.enum.chart import XL_CHART_TYPE

    out = []
    for number, slide in enumerate(Presentation(str(path)).slides, start=1):
        for shape in slide.shapes:
            if shape.has_chart and shape.chart.chart_type != XL_CHART_TYPE.BAR_CLUSTERED and shape.chart.value_axis.has_title:
                title = shape.chart.value_axis.axis_title
                out.append((number, title.text_frame.text, title._title))
    return out


def test_vertical_axis_titles_are_written_horizontally_above_the_axis(won):
    from pptx.oxml.ns import qn

    titles = _vertical_titles(won[1])
    shown = {t for _n, t, _e in titles}
    assert text("chart.km_y", "ko") in shown and "금액 (억 원)" in shown and any(t.startswith("지수") for t in shown)
    for _number, words, element in titles:
        body = element.find(qn("c:tx")).find(qn("c:rich")).find(qn("a:bodyPr"))
        assert (body.get("rot"), body.get("vert")) == ("0", "horz"), words
        layout = element.find(qn("c:layout")).find(qn("c:manualLayout"))
        assert layout is not None and float(layout.find(qn("c:y")).get("val")) < 0.15, words  # under the chart title


def _pdf_words(pdf: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    """``(word, x0, y0, x1, y1)`` of a PDF page, as poppler's pdftotext reads them."""
    from html import unescape

    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"], capture_output=True, check=True,
                         timeout=120).stdout.decode()
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out)
    return [(unescape(w), float(a), float(b), float(c), float(d)) for a, b, c, d, w in found]


def _run_of(words: list[tuple[str, float, float, float, float]], phrase: str) -> list[tuple[str, float, float, float, float]]:
    """The consecutive words that spell ``phrase`` (spaces aside: pdftotext splits "(억" where the font changes)."""
    goal = "".join(phrase.split())
    for i in range(len(words)):
        spelled = ""
        for j in range(i, len(words)):
            spelled += words[j][0]
            if spelled == goal:
                return words[i:j + 1]
            if not goal.startswith(spelled):
                break
    return []


def test_libreoffice_sets_korean_axis_titles_on_one_line_clear_of_the_tick_labels(won, tmp_path):
    """Rendered by LibreOffice: each vertical axis title is one horizontal line (wider than tall) that touches no
    other text (tick labels, the chart title); turned 90°, Hangul came out stacked or over the tick labels."""
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or poppler's pdftotext is not installed")
    pptx = won[1]
    profile = (tmp_path / "profile").as_uri()
    subprocess.run([office, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(pptx)],
                   capture_output=True, timeout=300, check=True)
    pdf = tmp_path / (pptx.stem + ".pdf")
    titles = _vertical_titles(pptx)
    assert titles
    for number, title, _element in titles:
        words = _pdf_words(pdf, number)
        mine = _run_of(words, title)
        assert mine, (title, [w[0] for w in words])
        x0, y0 = min(w[1] for w in mine), min(w[2] for w in mine)
        x1, y1 = max(w[3] for w in mine), max(w[4] for w in mine)
        assert x1 - x0 > 2 * (y1 - y0), (title, mine)  # one horizontal line, not a column of syllables
        others = [w for w in words if w not in mine]
        assert not [w for w in others if w[1] < x1 and x0 < w[3] and w[2] < y1 and y0 < w[4]], title
