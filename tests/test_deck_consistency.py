"""The deck a sales leader trusts (issue #17, points 1–3): one definition per number, three states for a sign, slides that fit.

1. Every figure of the review comes from one KPI of ``salesmetrics.KPIS``, computed once per (KPI, period) and read
   from there, so the same KPI shows the same value on every page (the KPI slide, the team scorecard, the findings
   that quote it, the plan's assumptions); the last page is a glossary of the KPIs shown.
2. A sign is found, assessed and not found, partly assessed, or not assessed (and what to add): one function decides
   (``formatting.sign_overview``), and the overview, the sign's page, the HTML and ``salesmetrics diagnose`` say the
   same.
3. Every text frame's text, measured with the fonts the deck names, fits its box; no shape leaves the slide or covers
   another; no page shows a Python message, a missing value or a raw key.

Only the bundled sample and bundles derived from it are used (never the real exports).
"""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import html_texts

import salesmetrics as sm
from salesmetrics.formatting import line_height, sign_overview, text_height
from salesmetrics.i18n import text
from salesmetrics.org import KPIS, kpi_gaps
from salesmetrics.reports.cli import main
from salesmetrics.reports.deck import MATURING, _open_deals, review

pytest.importorskip("pptx")

BAD = re.compile(r"\b(?:nan|NaN|None|NaT)\b|Traceback|_at\b|pass a SalesData|declining_sales")
"""What no page may show: a missing value, a Python message, a raw column name or key."""
EMU_PT = 12_700


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def partial(sample):
    """The sample without activities, surveys and reps.terminated_at: three signs cannot be assessed."""
    tables = {k: v for k, v in sample.tables.items() if k not in ("activities", "surveys")}
    tables["reps"] = tables["reps"].drop(columns=["terminated_at"])
    return _quiet(sm.SalesData, **tables, timezone=sample.timezone, currency=sample.currency)


@pytest.fixture(scope="module")
def korean():
    from salesmetrics.datasets import make_company

    return _quiet(make_company(seed=7, locale="ko").to_sales_data)


@pytest.fixture(scope="module")
def decks(sample, partial, korean, tmp_path_factory):
    """(slides, pptx path, html path) of the sample in English and Korean, and of the partial export."""
    folder = tmp_path_factory.mktemp("consistency")
    out = {}
    for name, data, lang in (("en", sample, "en"), ("ko", korean, "ko"), ("partial", partial, "en")):
        slides = _quiet(review, data, lang=lang)
        pptx, page = _quiet(sm.report, data, lang=lang, out=[folder / f"{name}.pptx", folder / f"{name}.html"])
        out[name] = (slides, pptx, page)
    return out


def _pages(path: Path) -> list[tuple[str, list[str], object]]:
    """(title, every text on the slide, the slide) for each slide of a PPTX."""
    from pptx import Presentation

    pages = []
    for slide in Presentation(str(path)).slides:
        texts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts += [p.text for p in shape.text_frame.paragraphs if p.text.strip()]
            if shape.has_table:
                texts += [c.text for row in shape.table.rows for c in row.cells if c.text.strip()]
        pages.append((slide.shapes.title.text, texts, slide))
    return pages


def _html_text(path: Path) -> str:
    """What a reader sees in the HTML, one text per line."""
    return "\n".join(html_texts(path.read_text(encoding="utf-8")))


def _table(slide: object, header: str) -> pd.DataFrame:
    """The PPTX table on ``slide`` whose first header cell is ``header``, as strings."""
    for shape in slide.shapes:  # type: ignore[attr-defined]
        if shape.has_table:
            rows = [[c.text for c in row.cells] for row in shape.table.rows]
            if rows[0][0] == header:
                return pd.DataFrame(rows[1:], columns=rows[0])
    raise AssertionError(f"no table headed {header!r}")


def _bare(value: str) -> str:
    return value.replace(MATURING, "").strip()


# ----------------------------------------------------------------------------------------------------------
# 1. one definition per number
# ----------------------------------------------------------------------------------------------------------


def test_each_kpi_table_is_its_compute_and_adds_up(sample):
    """``KPIS[k].table`` is the definition: its value is ``compute``'s, and a ratio's value is its num / den."""
    for name, kpi in KPIS.items():
        frame = _quiet(kpi.table, sample, "Q", sample.as_of)
        series = _quiet(kpi.compute, sample, "Q", sample.as_of)
        np.testing.assert_allclose(frame.set_index("period")["value"].to_numpy(float), series.to_numpy(float), equal_nan=True,
                                   err_msg=name)
        if kpi.combine == "ratio":
            ok = frame["den"] > 0
            np.testing.assert_allclose(frame.loc[ok, "value"], frame.loc[ok, "num"] / frame.loc[ok, "den"], rtol=1e-12, err_msg=name)
        assert kpi_gaps(sample, name) == [], name


def test_bookings_are_new_business_as_the_decline_counts_them(sample):
    bookings = KPIS["bookings"].compute(sample, "Q", sample.as_of)
    decline = sm.sales_decline(sample, by=None).table.set_index("period")["bookings"]
    both = decline.index.intersection(bookings.index)
    np.testing.assert_allclose(bookings[both], decline[both], rtol=1e-12)
    assert bookings[pd.Period("2025Q3", "Q")] < sm.deal_size(sample).set_index("period").loc[pd.Period("2025Q3", "Q"), "total"]
    wins = KPIS["wins_per_new_deal"].table(sample, "Q", sample.as_of).set_index("period")
    ratios = sm.sales_decline(sample, by=None).table.set_index("period")
    np.testing.assert_allclose(wins.loc[both, "value"], ratios.loc[both, "wins_per_new_deal"], rtol=1e-12)


def test_the_review_scorecard_is_the_scorecard(sample):
    """The deck's team scorecard (built from its one computation per KPI) equals ``sm.scorecard`` at the same as_of."""
    slides = _quiet(review, sample)
    card = next(c.frame for s in slides for c in s.charts if c.name == "scorecard")
    from salesmetrics.reports.deck import _quarter

    _q, as_of = _quarter(sample, None)
    expected = _quiet(sm.scorecard, sample, as_of=as_of).set_index(["team", "kpi"])
    mine = card.set_index(["team", "kpi"])
    for column in ("value", "previous", "target", "attainment"):
        np.testing.assert_allclose(mine[column].to_numpy(float), expected.loc[mine.index, column].to_numpy(float), equal_nan=True,
                                   err_msg=column)


def test_the_same_kpi_reads_the_same_on_every_slide(decks, sample):
    slides, pptx, _page = decks["en"]
    # every figure of the same KPI and period has one text, wherever it is
    shown: dict[tuple[str, str], set[str]] = {}
    for s in slides:
        for f in s.figures:
            shown.setdefault((f.kpi, f.period), set()).add(_bare(f.text))
    assert len(shown) > 30
    assert not {k: v for k, v in shown.items() if len(v) > 1}
    # ... and that text is on the slide that records it
    pages = _pages(pptx)
    for s in slides:
        texts = " ".join(t for title, ts, _ in pages if title.startswith(s.title) for t in ts)
        for f in s.figures:
            assert _bare(f.text) in texts, (s.title, f)
    by_title = {title: (texts, slide) for title, texts, slide in pages}
    q = "2025Q3"
    # the KPI slide, the team scorecard, the finding that quotes bookings, the plan's assumptions
    head = _table(by_title[text("deck.headline")][1], text("col.kpi"))
    card = _table(by_title[text("deck.scorecards", org="process")][1], text("col.team"))
    for kpi_name in head[text("col.kpi")]:
        row = card[card[text("col.kpi")] == kpi_name]
        assert len(row), kpi_name
        # the same text, maturing mark included: the scorecard carries the † the KPI slide shows
        assert set(row[text("col.value")]) == {head.loc[head[text("col.kpi")] == kpi_name, q].iloc[0]}, kpi_name
    bookings = head.loc[head[text("col.kpi")] == text("kpi.bookings"), q].iloc[0]
    assert bookings == "$536k"
    sign = next(ts for title, ts, _ in pages if title == text("deck.sign", i=1, name=text("sign.declining_sales")))
    company = next(t for t in sign if t.startswith("• New-business bookings of the company"))
    assert f"to {bookings} in {q}" in company  # the finding quotes the KPI's value
    # the finding's window averages are the deal-size KPI over those quarters, and its ratio is wins per new deal
    nb = sample.opportunities[sample.opportunities["type"].isna() | (sample.opportunities["type"] == "new_business")]
    size = sm.deal_size(nb, fx_rates=sample.fx_rates).set_index("period")

    def mean(first: str, last: str) -> str:
        part = size.loc[pd.Period(first, "Q"):pd.Period(last, "Q")]
        return sm.formatting.format_money(part["total"].sum() / part["won"].sum(), "USD", compact=True)

    assert f"average deal size {mean('2024Q2', '2025Q1')} → {mean('2025Q2', '2025Q3')}" in company
    plan = by_title[text("deck.plan", goal="$1.34M")][0]
    assert any(f"an average new-business deal of {mean('2024Q4', '2025Q3')}" in t for t in plan)
    assert any("wins-per-new-deal ratio (37% → 29%)" in t for t in sign)


def test_the_glossary_names_every_chart_range_and_how_to_read_the_charts(decks):
    slides, _pptx, _ = decks["en"]
    glossary = slides[-1]
    shown = dict(zip(glossary.table[text("col.kpi")], glossary.table[text("col.periods")], strict=True))
    wins = next(c.frame for s in slides for c in s.charts if c.name == "win_rate")
    first, last = wins["period"].min(), wins["period"].max()
    assert f"{first}–{last} (chart)" in shown[text("kpi.win_rate")]  # the chart's quarters, not only the ones quoted
    for name in ("decline_drivers", "win_rate", "funnel", "kaplan_meier", "deals"):
        assert text(f"gloss.read_{name}") in glossary.bullets, name
    assert any("95% interval" in b for b in glossary.bullets) and any("= 100" in b for b in glossary.bullets)
    # a deck without a win-rate chart does not explain one
    partial = decks["partial"][0][-1]
    assert text("gloss.read_funnel") in partial.bullets


def test_a_table_that_ends_before_the_quarter_and_a_missing_sla_are_said(sample, partial):
    """As in the Olist export: the leads stop months before the deals, and nothing records a first touch."""
    tables = {k: v for k, v in sample.tables.items() if k != "activities"}
    leads = tables["leads"]
    stamps = leads[[c for c in leads.columns if c.endswith("_at")]]
    tables["leads"] = leads[(stamps.max(axis=1) < pd.Timestamp("2025-04-01", tz=sample.timezone))]  # every lead event before April
    data = _quiet(sm.SalesData, **tables, timezone=sample.timezone, currency=sample.currency)
    slides = _quiet(review, data, quarter="2025Q3")
    head = next(s for s in slides if s.key == "headline")
    last = f"{data.leads[[c for c in data.leads.columns if c.endswith('_at')]].max().max():%Y-%m-%d}"  # its latest event
    assert f"The leads export ends on {last}, before 2025Q3 began, so its KPIs show – for 2025Q3." in head.notes
    funnel = next(s for s in slides if s.key == "funnel")
    assert funnel.subtitle.endswith("SLA not assessed: add the activities table")
    assert not [c for c in funnel.charts if c.name == "sla_compliance"]
    full = next(s for s in _quiet(review, sample, quarter="2025Q3") if s.key == "headline")
    assert not [n for n in full.notes if "export ends on" in n]  # every table runs into the quarter


def test_the_plan_speaks_in_whole_numbers_and_words(decks):
    slides, _pptx, _ = decks["en"]
    plan = next(s for s in slides if s.key == "plan")
    values = [v for column in plan.table.columns[1:] for v in plan.table[column] if v]
    assert values and all(re.fullmatch(r"[\d,]+", v) for v in values), values  # deals and people rounded up, no decimals
    items = list(plan.table.iloc[:, 0])
    assert items[:5] == [text(k) for k in ("deck.plan_deals", "deck.plan_opportunities", "deck.plan_sqls", "deck.plan_mqls",
                                           "deck.plan_leads")]
    assert text("deck.plan_people", role="SDR") in items and text("deck.plan_people", role="AE") in items
    assumes = plan.bullets[0]
    assert assumes.startswith("Assumes an average new-business deal of $") and "measured on 2024Q4–2025Q3" in assumes
    assert re.search(r"\d+% \S* ?of opportunities won", assumes)
    deals, opportunities = (int(v.replace(",", "")) for v in plan.table.iloc[:2, 1])
    assert opportunities >= deals


def test_the_deck_plan_is_plan_funnel(sample, decks):
    """The plan page and ``sm.plan_funnel`` are one computation: the same whole numbers for the same goal."""
    from salesmetrics.org import _design, _target

    slides, _pptx, _ = decks["en"]
    plan = next(s for s in slides if s.key == "plan")
    design = _design("process")
    team = next(team for team in design.teams if "bookings" in team.kpis)
    goal = next(g for g in (_target(sample.targets, "bookings", team, pd.Period(p, "Q"), sample.fiscal_year_start)
                            for p in ("2025Q4", "2025Q3")) if not np.isnan(g))  # the next quarter's target, else this one's
    expected = _quiet(sm.plan_funnel, sample, target_bookings=goal, period="2025Q4").set_index("item")["value"]
    shown = {item: int(v.replace(",", "")) for item, v in zip(plan.table.iloc[:, 0], plan.table.iloc[:, 1], strict=True)}
    names = {"won deals needed": "deck.plan_deals", "opportunities needed": "deck.plan_opportunities", "SQLs needed": "deck.plan_sqls",
             "MQLs needed": "deck.plan_mqls", "leads needed": "deck.plan_leads"}
    for item, key in names.items():
        assert shown[text(key)] == expected[item], item
    for role in ("SDR", "AE"):
        assert shown[text("deck.plan_people", role=role)] == expected[f"{role} headcount"], role


def test_a_period_in_progress_is_said_and_dates_agree(sample):
    slides = _quiet(review, sample, quarter="2025Q3", as_of="2025-08-15")
    assert slides[0].title == "Quarterly sales review, 2025Q3 (to date)"
    assert "Data as of 2025-08-15" in slides[0].subtitle
    head = next(s for s in slides if s.key == "headline")
    assert "2025Q3 (to date)" in head.table.columns and any(MATURING in v for v in head.table["2025Q3 (to date)"])
    assert head.notes and head.notes[0].startswith(MATURING)
    quality = next(s for s in slides if s.key == "quality")
    assert "figures as of 2025-08-15" in quality.subtitle and "2025-09-30" in quality.notes[0]
    # a complete quarter before the data's end: the title, the quality page and the data's end agree and are told apart
    slides = _quiet(review, sample, quarter="2025Q2")
    assert "Data as of 2025-06-30" in slides[0].subtitle
    quality = next(s for s in slides if s.key == "quality")
    assert "figures as of 2025-06-30" in quality.subtitle and "runs to 2025-09-30" in quality.notes[0]
    # the young cohort of the quarter reported is marked, not compared silently
    slides = _quiet(review, sample)
    head = next(s for s in slides if s.key == "headline").table.set_index(text("col.kpi"))
    assert head.loc[text("kpi.close_rate"), "2025Q3"].endswith(MATURING) and not head.loc[text("kpi.win_rate"), "2025Q3"].endswith(MATURING)


def test_the_glossary_lists_every_kpi_shown(decks):
    for name in ("en", "ko", "partial"):
        slides, _pptx, _ = decks[name]
        lang = "ko" if name == "ko" else "en"
        glossary = slides[-1]
        assert glossary.key == "glossary" and glossary.title == text("deck.glossary", lang)
        listed = set(glossary.table.iloc[:, 0])
        used = {f.kpi for s in slides for f in s.figures if not np.isnan(f.value)}
        names = {sm.formatting.label("kpi", k, lang) for k in used}
        assert names <= listed, names - listed
        assert all(glossary.table.iloc[:, 1])  # every KPI has its formula
        if {"win_rate", "close_rate", "wins_per_new_deal"} <= used:
            assert any(text("gloss.rates", lang) == b for b in glossary.bullets)
    ko = decks["ko"][0][-1]
    assert {"딜 클로징 비율", "거래 성사율", "평균 거래 규모 (신규 사업)"} <= set(ko.table.iloc[:, 0])  # the seed article's words


# ----------------------------------------------------------------------------------------------------------
# 2. three states for a sign, the same on every surface
# ----------------------------------------------------------------------------------------------------------

NOT_ASSESSED = {"rep_turnover": "not assessed: add reps.terminated_at",
                "unclear_roles": "not assessed: add the activities table",
                "customer_satisfaction": "not assessed: add the surveys table"}


def test_a_sign_has_one_state_everywhere(partial, decks, tmp_path, capsys):
    found = _quiet(sm.diagnose, partial, as_of=partial.as_of)
    states = {row.sign: row for row in sign_overview(found)}
    assert {s: states[s].shown for s in NOT_ASSESSED} == NOT_ASSESSED
    assert {states[s].state for s in NOT_ASSESSED} == {"not_assessed"}
    assert states["declining_sales"].state == "found" and states["market_response"].state == "found"
    slides, pptx, page = decks["partial"]
    pages = _pages(pptx)
    overview = next(texts for title, texts, _ in pages if title == text("deck.signs"))
    html = _html_text(page)
    for i, sign in enumerate(states, start=1):
        shown = states[sign].shown
        assert shown in overview, (sign, shown)  # the overview's table
        subtitle = next(texts[1] for title, texts, _ in pages if title == text("deck.sign", i=i, name=text(f"sign.{sign}")))
        assert subtitle == shown  # the sign's own page
        assert html.count(shown) >= 2, (sign, shown)  # the HTML: its overview and the sign's page
    turnover = next(s for s in slides if s.key == "sign:rep_turnover")
    assert not turnover.charts and not any(re.search(r"(?<!not )\b0%", b) for b in turnover.bullets)  # unknown, never 0% attrition
    # the command line, on the same export read from a folder
    folder = tmp_path / "partial"
    from salesmetrics.datasets import sample_dir

    shutil.copytree(sample_dir(), folder)
    for name in ("activities", "surveys"):
        for f in folder.glob(f"{name}.*"):
            f.unlink()
    reps = next(folder.glob("reps.*"))
    pd.read_csv(reps).drop(columns=["terminated_at"]).to_csv(reps, index=False)
    assert _quiet(main, ["diagnose", str(folder)]) == 0
    printed = capsys.readouterr().out
    for i, sign in enumerate(states, start=1):
        assert text("cli.sign_state", i=i, name=states[sign].name, state=states[sign].shown) in printed, sign


def test_a_missing_column_is_named_wherever_a_sign_is_not_assessed(sample):
    """Deals without amounts and leads without a segment (as in the Olist export): declining sales and market
    response are not assessed, and every surface says what to add (the findings carry it in attrs["needs"])."""
    from salesmetrics import interactive
    from salesmetrics.reports._native import _findings

    tables = dict(sample.tables)
    tables["opportunities"] = tables["opportunities"].drop(columns=["amount"])
    tables["leads"] = tables["leads"].drop(columns=["segment"])
    tables["accounts"] = tables["accounts"].drop(columns=["segment"])
    data = _quiet(sm.SalesData, **tables, timezone=sample.timezone, currency=sample.currency)
    found = _quiet(sm.diagnose, data)
    assert found.attrs["needs"]["declining_sales"] == ["opportunities.amount", "accounts.segment"]
    assert found.attrs["needs"]["market_response"] == ["leads.segment"]
    assert "rep_turnover" not in found.attrs["needs"]  # assessed: nothing to add
    states = {row.sign: row for row in sign_overview(found)}
    assert states["declining_sales"].shown == "not assessed: add opportunities.amount, accounts.segment"
    assert states["market_response"].shown == "not assessed: add leads.segment"
    assert states["rep_turnover"].state in ("found", "not_found")
    native = repr(_findings(found, "USD", "en"))  # the PPTX overview's table
    html = interactive.findings(found).to_json()
    for surface in (native, html):
        assert "add opportunities.amount" in surface and "add leads.segment" in surface


def test_the_sample_deck_and_the_command_line_agree(decks, sample, capsys):
    found = _quiet(sm.diagnose, sample)
    states = sign_overview(found)
    assert {row.state for row in states} == {"found"}
    assert main(["diagnose"]) == 0
    printed = capsys.readouterr().out
    overview = next(texts for title, texts, _ in _pages(decks["en"][1]) if title == text("deck.signs"))
    for i, row in enumerate(states, start=1):
        assert row.shown in overview and f"Sign {i} · {row.name}: {row.shown}" in printed
    assert "[CRITICAL] declining_sales · segment Mid-Market" in printed  # what scripts grep for


def test_sign_states_on_small_examples():
    empty = pd.DataFrame(columns=["sign", "severity", "scope_type", "scope", "metric", "evidence"])
    assert {row.state for row in sign_overview(empty)} == {"not_found"}
    found = pd.DataFrame({"sign": ["customer_satisfaction", "rep_turnover"], "severity": ["info", "info"],
                          "scope_type": ["company"] * 2, "scope": ["company"] * 2,
                          "metric": ["partly_assessed", "insufficient_data"], "evidence": ["not per region", "too few reps"]})
    rows = {row.sign: row for row in sign_overview(found)}
    assert rows["customer_satisfaction"].state == "partly" and rows["customer_satisfaction"].shown == "no sign (partly assessed)"
    assert rows["rep_turnover"].state == "not_assessed" and rows["rep_turnover"].why == ("too few reps",)
    found.attrs["needs"] = {"rep_turnover": ["reps.hired_at"]}  # what the deck records on the findings it draws
    assert {row.sign: row.shown for row in sign_overview(found)}["rep_turnover"] == "not assessed: add reps.hired_at"


# ----------------------------------------------------------------------------------------------------------
# 3. slides that fit
# ----------------------------------------------------------------------------------------------------------


def _size(paragraph: object) -> tuple[float, bool]:
    """The font size (pt) and weight a paragraph is drawn in: its runs', else the paragraph's, else 18 pt."""
    runs = list(paragraph.runs)  # type: ignore[attr-defined]
    font = runs[0].font if runs and runs[0].font.size is not None else paragraph.font  # type: ignore[attr-defined]
    return (font.size.pt if font.size is not None else 18.0), bool(font.bold)


def _overflow(frame: object, width: int, height: int, insets: tuple[int, int, int, int], ea: str | None) -> float:
    """Points by which the frame's text, measured, exceeds its box (≤ 0 when it fits)."""
    left, right, top, bottom = insets
    inner_w, inner_h = (width - left - right) / EMU_PT, (height - top - bottom) / EMU_PT
    need = 0.0
    paragraphs = [p for p in frame.paragraphs]  # type: ignore[attr-defined]
    for k, p in enumerate(paragraphs):
        size, bold = _size(p)
        need += text_height(p.text, inner_w, size, bold=bold, cjk_font=ea)
        if k < len(paragraphs) - 1 and p.space_after is not None:
            need += p.space_after.pt
    return need - inner_h


def _insets(frame: object, default: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    values = (frame.margin_left, frame.margin_right, frame.margin_top, frame.margin_bottom)  # type: ignore[attr-defined]
    return tuple(v if v is not None else d for v, d in zip(values, default, strict=True))  # type: ignore[return-value]


@pytest.mark.parametrize("name", ["en", "ko", "partial"])
def test_every_text_fits_its_box_and_no_shape_leaves_the_slide_or_covers_another(decks, name):
    from pptx import Presentation

    from salesmetrics.reports.deck import _cjk_family

    ea = _cjk_family()
    prs = Presentation(str(decks[name][1]))
    width, height = prs.slide_width, prs.slide_height
    problems = []
    for n, slide in enumerate(prs.slides, start=1):
        boxes = []
        for shape in slide.shapes:
            right, bottom = shape.left + shape.width, shape.top + shape.height
            if shape.left < 0 or shape.top < 0 or right > width or bottom > height:
                problems.append((n, shape.name, "leaves the slide"))
            boxes.append((shape.name, shape.left, shape.top, right, bottom))
            if shape.has_text_frame and shape.text_frame.text.strip():
                over = _overflow(shape.text_frame, shape.width, shape.height, _insets(shape.text_frame, (91440, 91440, 45720, 45720)), ea)
                if over > 1.0:
                    problems.append((n, shape.text_frame.text[:60], f"{over:.0f} pt too tall"))
            if shape.has_table:
                grid = shape.table
                for r, row in enumerate(grid.rows):
                    for c, cell in enumerate(row.cells):
                        if not cell.text.strip():
                            continue
                        over = _overflow(cell.text_frame, grid.columns[c].width, row.height,
                                         (cell.margin_left, cell.margin_right, cell.margin_top, cell.margin_bottom), ea)
                        if over > 1.0:
                            problems.append((n, cell.text[:60], f"cell {r},{c}: {over:.0f} pt too tall"))
        for i, a in enumerate(boxes):  # no shape covers another (a tolerance of a point for shared edges)
            for b in boxes[i + 1:]:
                if min(a[3], b[3]) - max(a[1], b[1]) > EMU_PT and min(a[4], b[4]) - max(a[2], b[2]) > EMU_PT:
                    problems.append((n, a[0], f"overlaps {b[0]}"))
    assert not problems, problems[:10]


def test_measured_lines_are_real_lines():
    """The measure grows with the text and wraps where a box ends; Hangul is wider than Latin letters."""
    assert text_height("word " * 40, 200, 12) > 3 * line_height("word", 12)
    assert text_height("word", 200, 12) == line_height("word", 12)
    assert sm.formatting.text_width("가나다", 12) > sm.formatting.text_width("abc", 12)


@pytest.mark.parametrize("name", ["en", "ko", "partial"])
def test_no_page_shows_a_missing_value_a_python_message_or_a_raw_key(decks, partial, name):
    _slides, pptx, page = decks[name]
    allowed = ["reps.terminated_at", "terminated_at"] if name == "partial" else []  # what to add is named as the column
    texts = [t for _title, ts, _ in _pages(pptx) for t in ts] + _html_text(page).splitlines()
    found = []
    for t in texts:
        for word in allowed:
            t = t.replace(word, "")
        if BAD.search(t):
            found.append(t)
    assert not found, found[:5]


def test_largest_open_deals_show_only_what_was_known_at_as_of(sample):
    as_of = pd.Timestamp("2025-06-30 23:59", tz=sample.timezone)
    o = sample.opportunities
    live = o[(o["created_at"] <= as_of) & ((o["status"] == "open") | (o["closed_at"] > as_of))]
    table = _open_deals(sample, as_of, n=len(live))
    later = int((live["closed_at"] > as_of).sum())
    assert later > 0 and (table[text("col.amount")] == "–").sum() >= later  # a later close's amount was not known then
    assert table.attrs["notes"] and "2025-06-30" in table.attrs["notes"][0]
    # a deal without an account says so in words, never nan
    tables = dict(sample.tables)
    opps = tables["opportunities"].copy()
    top = opps[opps["status"] == "open"].sort_values("amount", ascending=False).index[:2]
    opps.loc[top, "account_id"] = np.nan
    tables["opportunities"] = opps
    data = _quiet(sm.SalesData, **tables, timezone=sample.timezone, currency=sample.currency)
    shown = _open_deals(data, data.as_of)
    assert (shown[text("col.account")] == "(no account)").sum() >= 1
    assert not shown.apply(lambda col: col.astype(str).str.contains(r"\bnan\b")).any().any()


def test_an_export_without_amounts_or_leads_still_gets_a_plan_or_says_what_to_add(sample):
    tables = {"opportunities": sample.opportunities, "accounts": sample.accounts, "fx_rates": sample.fx_rates}
    bare = _quiet(sm.SalesData, **tables, timezone=sample.timezone, currency=sample.currency)
    plan = next(s for s in _quiet(review, bare) if s.key == "plan")
    assert list(plan.table.iloc[:, 0])[:2] == [text("deck.plan_deals"), text("deck.plan_opportunities")]
    assert any("deal closing ratio" in b for b in plan.bullets)  # without leads, opportunities at the deal closing ratio
    assert any(b == text("deck.plan_gap", item=text("deck.plan_sqls"), what=text("deck.the_table", table="leads")) for b in plan.bullets)
    no_amounts = sample.opportunities.assign(amount=np.nan)
    bare = _quiet(sm.SalesData, opportunities=no_amounts, fx_rates=sample.fx_rates, timezone=sample.timezone)
    plan = next(s for s in _quiet(review, bare) if s.key == "plan")
    assert plan.table is None and "opportunities.amount" in plan.bullets[0]


def test_the_fit_check_catches_text_that_does_not_fit(tmp_path):
    """The measure behind the fit test says no to a box too small for its text (so a pass means something)."""
    from pptx import Presentation
    from pptx.util import Inches, Pt

    prs = Presentation()
    box = prs.slides.add_slide(prs.slide_layouts[6]).shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(0.5))
    box.text_frame.word_wrap = True
    box.text_frame.text = "A finding long enough to need three or four lines in a box three inches wide at twelve points."
    box.text_frame.paragraphs[0].runs[0].font.size = Pt(12)
    assert _overflow(box.text_frame, box.width, box.height, _insets(box.text_frame, (91440, 91440, 45720, 45720)), None) > 10
    box.height = Inches(1.2)
    assert _overflow(box.text_frame, box.width, box.height, _insets(box.text_frame, (91440, 91440, 45720, 45720)), None) < 0


def test_the_summary_says_a_quarter_in_progress_is_to_date(capsys):
    from salesmetrics.reports.cli import headline

    assert not headline(sm.load_sample(), "2025-08-15").attrs["complete"]
    assert main(["summary", "--as-of", "2025-08-15"]) == 0
    assert "Headline for 2025Q3 (to date)" in capsys.readouterr().out
    assert main(["summary"]) == 0
    assert "Headline for 2025Q3 (as of" in capsys.readouterr().out  # as_of on its last day: complete


def test_an_all_won_export_says_so_on_the_data_quality_page():
    """Olist's closed-deals export holds only won deals: win rate and closing ratio are 100% by construction."""
    opps = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(30)], "created_at": pd.date_range("2025-01-02", periods=30, freq="3D"),
                         "status": "won", "amount": 1000.0})
    opps["closed_at"] = opps["created_at"] + pd.Timedelta(days=10)
    with pytest.warns(sm.DataQualityWarning, match="all 30 deals are won"):
        data = sm.SalesData(opportunities=opps)
    slides = review(data)
    quality = next(s for s in slides if s.key == "quality")
    assert any("100% by construction" in b for b in quality.bullets)


def test_the_shape_of_the_export_is_said_where_its_figures_are(sample, partial):
    """No deal type (every deal is new business), no targets, only won deals (Olist): the KPI page says so, and the
    pipeline page says why its win rate is 100%; the overview counts the signs not assessed."""
    tables = {k: v for k, v in sample.tables.items() if k != "targets"}
    opps = tables["opportunities"]
    tables["opportunities"] = opps[opps["status"] == "won"].drop(columns=["type"])
    data = _quiet(sm.SalesData, **tables, timezone=sample.timezone, currency=sample.currency)
    slides = {s.key: s for s in _quiet(review, data, quarter="2025Q3")}
    notes = slides["headline"].notes
    assert text("deck.no_type") in notes and text("deck.no_targets") in notes
    assert any("100% by construction" in n for n in notes) and any("100% by construction" in n for n in slides["pipeline"].notes)
    full = {s.key: s for s in _quiet(review, sample, quarter="2025Q3")}
    assert not [n for n in full["headline"].notes if n in (text("deck.no_type"), text("deck.no_targets"))]
    from salesmetrics.reports.deck import _quarter

    found = _quiet(sm.diagnose, sample, as_of=_quarter(sample, "2025Q3")[1])
    assert full["signs"].subtitle == text("deck.signs_sub", n=int((found["severity"] != "info").sum()))  # every sign assessed
    signs = next(s for s in _quiet(review, partial, quarter="2025Q3") if s.key == "signs")
    assert "3 of 5 signs not assessed" in signs.subtitle


def test_the_html_scorecard_is_a_table_with_the_slides_values(decks):
    """The web page shows the team scorecard as an HTML table (not a chart with a toolbar and a gap), with the same
    texts as the PPTX table, the maturing mark and the attainment colours included."""
    slides, _pptx, page = decks["en"]
    card = next(c.frame for s in slides for c in s.charts if c.name == "scorecard")
    html_page = page.read_text(encoding="utf-8")
    section = html_page[html_page.index(text("deck.scorecards", org="process")):]
    section = section[: section.index("</section>")]
    assert "<table>" in section and "js-plotly-plot" not in section and "Plotly.newPlot" not in section
    for shown in card["shown"]:
        assert f"<td>{shown}</td>" in section or f">{shown}</td>" in section, shown
    assert "background:#D9F0E3" in section or "background:#FBE3D6" in section  # attainment coloured


RULES = {  # the detectors' defaults, and how each sign's "what counts" sentence says them
    "declining_sales": (sm.sales_decline, {"min_declines": (2, "two quarters running"), "min_drop": (0.2, "20% or more"),
                                           "baseline_periods": (4, "four quarters before"), "trend_periods": (8, "eight quarters")}),
    "rep_turnover": (sm.rep_turnover, {"window_periods": (4, "last four quarters"), "min_ratio": (2.0, "twice"),
                                       "min_rate": (0.4, "40% a year"), "min_departures": (3, "three or more departures")}),
    "unclear_roles": (sm.role_clarity, {"recent_periods": (2, "last two quarters"), "min_share": (0.03, "3%"),
                                        "min_ratio": (2.0, "twice"), "baseline_periods": (4, "four quarters before")}),
    "market_response": (sm.market_response, {"recent_periods": (4, "last four quarters"), "min_growth": (0.5, "half or more"),
                                             "min_unowned": (0.3, "30% or more")}),
    "customer_satisfaction": (sm.customer_satisfaction, {"recent_periods": (4, "last four quarters"), "min_drop": (0.3, "0.3 points")}),
}


def test_a_page_with_no_sign_says_what_would_have_counted(sample):
    """"No sign" alone reads like "not looked at": the page says what the sign needs, in the detectors' own defaults
    (a test binds each number in the sentence to the function's signature, so the two cannot drift apart)."""
    import inspect

    for sign, (fn, params) in RULES.items():
        rule = text(f"rule.{sign}")
        defaults = inspect.signature(fn).parameters
        for name, (value, phrase) in params.items():
            assert defaults[name].default == value, (sign, name)
            assert phrase in rule, (sign, phrase)
        assert re.search("[가-힣]", text(f"rule.{sign}", "ko"))
    slides = _quiet(review, sample, quarter="2024Q1")  # before the planted troubles: every sign assessed, none found
    pages = [s for s in slides if s.key.startswith("sign:")]
    assert {s.subtitle for s in pages} == {"no sign"}
    for s in pages:
        assert s.bullets == [text("deck.no_sign"), text(f"rule.{s.key.split(':')[1]}")]
