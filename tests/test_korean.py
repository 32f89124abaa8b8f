"""Korean-ready: catalogues, Hangul in charts, KRW, a Korean company and a Korean deck."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import html_texts

import salesmetrics as sm
from salesmetrics import plot
from salesmetrics.datasets import make_company
from salesmetrics.diagnostics import SIGNS
from salesmetrics.formatting import finding_heading, format_money, scope_label
from salesmetrics.i18n import LANGUAGES, catalogue, particle, text

PACKAGE = Path(sm.__file__).parent
KPI_NAMES_KO = ["매출액", "월간 반복 매출", "리드 전환율", "평균 거래 규모", "딜 클로징 비율", "거래 성사율", "고객 유지율",
                "영업 사이클 길이", "고객 획득 비용", "고객 평생 가치"]  # the seed article's names


PLACEHOLDER = re.compile(r"\{(\w+)((?:\|[^{}|]+)*)\}")
"""``{name}`` or ``{name|filter|...}`` (salesmetrics/i18n.py): the name, and its filters."""


def test_every_catalogue_has_every_key_and_the_same_placeholders():
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    assert keys["en"] == keys["ko"], keys["en"] ^ keys["ko"]
    for key in keys["en"]:
        places = {lang: {name for name, _ in PLACEHOLDER.findall(catalogue(lang)[key])} for lang in LANGUAGES}
        assert places["en"] == places["ko"], (key, places)


def test_every_placeholder_filter_is_one_the_catalogue_knows():
    """A particle names a known pair, a lookup a namespace with keys; no 을(를) left where a filter picks the form."""
    for lang in LANGUAGES:
        namespaces = {key.split(".")[0] for key in catalogue(lang)}
        for key, template in catalogue(lang).items():
            for _name, filters in PLACEHOLDER.findall(template):
                for f in filters.split("|")[1:]:
                    if f.startswith("@"):
                        assert f[1:] in namespaces, (lang, key, f)
                    elif not f.startswith("+"):
                        particle("서울", f)  # raises for an unknown particle
    both_forms = re.compile(r"\}(?:을\(를\)|이\(가\)|은\(는\)|과\(와\)|\(으\)로)")
    assert not [k for k, v in catalogue("ko").items() if both_forms.search(v)]


def test_every_key_the_code_asks_for_exists():
    """Literal keys in text("...") / t("...") calls anywhere in the package are in the catalogues."""
    used = set()
    for path in PACKAGE.rglob("*.py"):
        used |= set(re.findall(r"""\b(?:text|t)\(\s*["']([a-z_]+\.[A-Za-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    assert len(used) > 60
    missing = sorted(k for k in used if k not in catalogue("en"))
    assert not missing, missing


def test_the_article_kpi_names_are_in_the_korean_catalogue():
    values = " ".join(catalogue("ko").values())
    assert all(name in values for name in KPI_NAMES_KO), [n for n in KPI_NAMES_KO if n not in values]


def test_krw_has_no_minor_unit_and_korean_abbreviations():
    assert format_money(1_234_000, "KRW") == "₩1,234,000"
    assert format_money(1_234_000.6, "KRW") == "₩1,234,001"
    assert format_money(1234.5, "USD") == "$1,234.50" and format_money(1234.5, "EUR") == "€1,234.50"
    assert format_money(120_000_000, "KRW", compact=True, lang="ko") == "₩1.2억"
    assert format_money(34_000_000, "KRW", compact=True, lang="ko") == "₩3,400만"  # as Koreans write it, not 3.4천만
    assert format_money(2_500_000_000_000, "KRW", compact=True, lang="ko") == "₩2.5조"
    assert format_money(120_000_000, "KRW", compact=True) == "₩120M"  # English mode keeps M/k


@pytest.mark.parametrize(("value", "currency", "expected"), [
    (34_000_000, "KRW", "₩3,400만"), (120_000_000, "KRW", "₩1.2억"), (15_000, "KRW", "₩1.5만"), (9_500, "KRW", "₩9,500"),
    (99_996_000, "KRW", "₩1억"),  # rounds up to the next unit, not "₩10,000만"
    (123_456_000_000, "KRW", "₩1,235억"), (-70_230_000, "KRW", "-₩7,023만"),
    (1_400_000, "USD", "$1.4M"), (61_400, "USD", "$61.4k"), (614_000, "USD", "$614k"),  # never $61.4만
    (350_000, "EUR", "€350k"), (1_200_000, "JPY", "¥1.2M"),
])
def test_korean_text_counts_won_in_man_and_eok_and_other_money_in_its_own_style(value, currency, expected):
    assert format_money(value, currency, compact=True, lang="ko") == expected


def test_scope_and_heading_words_come_from_the_catalogue():
    assert scope_label("segment", "중견기업", "ko") == "중견기업 세그먼트"
    assert scope_label("team", "SDR팀", "ko") == scope_label("owner.team", "SDR", "ko") == "SDR팀"  # never "SDR팀 팀"
    assert scope_label("region", "영남권", "ko") == "영남권 지역" and scope_label("role", "AM,AE", "ko") == "AM,AE 역할"
    assert scope_label("company", "company", "ko") == "회사 전체" and scope_label("industry", "제조", "ko") == "제조 (업종)"
    assert finding_heading("critical", "declining_sales", "segment", "Mid-Market", "ko") == "[심각] 매출 감소 · Mid-Market 세그먼트"
    # English keeps what scripts grep for
    assert finding_heading("critical", "declining_sales", "company", "company") == "[CRITICAL] declining_sales · company"
    assert finding_heading("warning", "rep_turnover", "team", "SDR") == "[WARNING] rep_turnover · team SDR"


def _korean_chart():
    frame = pd.DataFrame({"period": pd.period_range("2025Q1", periods=4, freq="Q").repeat(2), "region": ["수도권", "영남권"] * 4,
                          "csat": [4.1, 4.0, 4.2, 3.9, 4.0, 3.5, 4.1, 3.1]})
    frame.attrs["lang"] = "ko"
    ax = plot.trend(frame, value="csat", by="region", title="지역별 평균 CSAT", highlight="영남권")
    ax.figure.savefig(Path("/dev/null"), format="png")
    return ax


def test_a_korean_chart_draws_every_glyph():
    if plot.cjk_font() is None:
        pytest.skip("no CJK font installed (fonts-noto-cjk): `make test` installs it; the FontWarning test covers this machine")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = _korean_chart()
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing[:3]
    title = ax.title if ax.get_title() else ax._left_title
    assert plot.cjk_font() in title.get_fontfamily()  # Hangul text got the CJK font...
    latin = [t for t in ax.get_yticklabels() if t.get_text()]
    assert latin and latin[0].get_fontfamily()[0] != plot.cjk_font()  # ...digits keep the default font first


@pytest.mark.filterwarnings("ignore:Glyph")  # matplotlib's own per-glyph notes; the test is about ours
def test_without_a_cjk_font_one_warning_names_the_fix(monkeypatch):
    import salesmetrics.plot as module

    monkeypatch.setattr(module, "cjk_font", lambda: None)
    with pytest.warns(sm.FontWarning, match="apt-get install fonts-noto-cjk"):
        _korean_chart()


@pytest.fixture(scope="module")
def korean():
    co = make_company(seed=7, locale="ko")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        return co, co.to_sales_data()


def test_a_korean_company_is_the_same_company_in_hangul(korean, sample):
    co, data = korean
    assert (data.timezone, data.currency) == ("Asia/Seoul", "KRW")
    assert data.accounts["name"].str.contains(r"[가-힣]").all() and data.reps["name"].str.contains(r"[가-힣]").all()
    assert set(data.accounts["segment"]) == {"소기업", "중견기업", "대기업", "디지털 네이티브"}
    assert len(data.opportunities) == len(sample.opportunities)  # same numbers of everything
    local = data.subscriptions["currency"].isna() | (data.subscriptions["currency"] == "KRW")
    same = sample.subscriptions.loc[local.to_numpy(), "amount"].to_numpy() * 1_350
    assert (data.subscriptions.loc[local, "amount"].to_numpy() == same.round(0)).all()  # whole won
    found = sm.diagnose(data, lang="ko")
    alarms = {(r.sign, frozenset(r.scope.split(","))) for r in found.itertuples() if r.severity != "info"}
    planted = {(r.sign, frozenset(r.scope.split(","))) for r in co.planted.itertuples()}
    assert planted <= alarms
    assert found["evidence"].str.contains(r"[가-힣]").all() and found["recommendation"].str.contains(r"[가-힣]").all()


@pytest.fixture(scope="module")
def korean_deck(korean, tmp_path_factory):
    """The Korean review as README builds it: (slides as lists of texts, the HTML's texts, the HTML)."""
    from pptx import Presentation

    _, data = korean
    folder = tmp_path_factory.mktemp("ko")
    pptx, page = sm.report(data, quarter="2025Q3", out=[folder / "ko.pptx", folder / "ko.html"], lang="ko")
    slides = []
    for slide in Presentation(str(pptx)).slides:
        texts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts += [p.text for p in shape.text_frame.paragraphs if p.text.strip()]
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
        slides.append(texts)
    html = page.read_text(encoding="utf-8")
    return slides, _html_texts(html), html


def _html_texts(html: str) -> list[str]:
    return html_texts(html)


AMOUNT_AND_PARTICLE = re.compile(r"((?:₩|\$|€|£|¥)-?[\d.,]+[만억조kMB]?)(으로|로|이|가|은|는|을|를|과|와)(?![가-힣])")
"""An amount as shown, then a particle that depends on how it is read."""
RAW_KEYS = re.compile("|".join([*SIGNS, "new_business", r"\bsegment\b", r"\bteam\b", r"\bregion\b", r"\brole\b",
                                r"\bcompany\b", r"\bprocess\b", r"\bfunctional\b", r"\d+h\b", r"\bdays?\b", r"\bmin\b"]))
"""Keys and English words that must not reach a Korean reader."""


def _particles_agree(texts: list[str]) -> list[tuple[str, str]]:
    """(amount, particle) pairs whose particle is the wrong form; the texts must hold at least one such pair."""
    pairs = [m for t in texts for m in AMOUNT_AND_PARTICLE.findall(t)]
    assert pairs, "no amount followed by a particle to check"
    return [(amount, form) for amount, form in pairs if particle(amount, form) != form]


def test_the_korean_deck(korean, korean_deck, tmp_path):
    slides, _, html = korean_deck
    titles = [texts[0] for texts in slides]
    assert titles[0] == text("deck.title", "ko", quarter="2025Q3") == "분기 영업 리뷰, 2025Q3"
    assert "신호 1: 매출 감소" in titles and "목표 대비 핵심 KPI" in titles
    assert "<html lang='ko'>" in html and "조직 개편이 필요한가?" in html  # Hangul as text, not pictures
    assert "고객 평생 가치" in html and "₩" in html
    with pytest.raises(ValueError, match="lang must be one of"):
        sm.report(korean[1], out=tmp_path / "x.html", lang="jp")


def test_the_korean_deck_has_no_won_in_dollars_no_double_team_and_the_right_particles(korean_deck):
    slides, html_texts, _ = korean_deck
    everything = [t for texts in slides for t in texts] + html_texts
    assert not [t for t in everything if re.search(r"[$€£]-?[\d.,]+[만억조]", t)]  # no "$61.4만"
    assert not [t for t in everything if "팀 팀" in t]
    assert not [t for t in everything if re.search("|".join(SIGNS), t)]  # no raw sign keys anywhere
    assert not _particles_agree(everything)
    assert any("₩1.4억으로" in t for t in everything) and not any("억로" in t for t in everything)
    # what these strings fill: the title page, the titles, and the evidence and advice on the five signs' pages
    ours = [*slides[0], *(texts[0] for texts in slides)]
    ours += [t for texts in slides if texts[0].startswith("신호 ") for t in texts if t.startswith("•")]
    leftovers = [t for t in ours if RAW_KEYS.search(t)]
    assert not leftovers, leftovers
    assert "조직 설계: 프로세스형." in slides[0][1]


def test_the_whole_korean_deck_is_in_korean(korean_deck):
    slides, html_texts, _ = korean_deck
    leftovers = [t for t in [t for texts in slides for t in texts] + html_texts if RAW_KEYS.search(t)]
    assert not leftovers, leftovers


def test_korean_evidence_puts_the_right_particle_after_amounts(korean, sample):
    for data in (korean[1], sample):  # won, and dollars in Korean sentences
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = sm.diagnose(data, lang="ko")
        sentences = [*found["evidence"]]
        assert not _particles_agree(sentences)
        assert not [e for e in sentences if re.search(r"[$€£]-?[\d.,]+[만억조]", e) or "팀 팀" in e]
        headings = [finding_heading(r.severity, r.sign, r.scope_type, r.scope, "ko") for r in found.itertuples()]
        assert not [h for h in headings if RAW_KEYS.search(h) or "팀 팀" in h], headings
    assert any("$101k로" in e for e in sentences)  # 케이: no final consonant


def test_cli_speaks_korean(tmp_path, capsys):
    from salesmetrics.reports.cli import main

    assert main(["diagnose", "--lang", "ko"]) == 0
    out = capsys.readouterr().out
    assert "[심각]" in out and "할 일: 전략과 영업 프로세스를 재검토하세요" in out


def test_cli_headings_are_korean(capsys):
    from salesmetrics.reports.cli import main

    assert main(["diagnose", "--lang", "ko"]) == 0
    headings = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    assert headings and not [h for h in headings if RAW_KEYS.search(h) or "팀 팀" in h], headings


# ----------------------------------------------------------------------------------------------------------
# the data-quality page: quarantine reasons and unresolved references in words of the deck's language
# ----------------------------------------------------------------------------------------------------------


def _check_names_in_the_code() -> set[str]:
    """Every check name the validation can write into a failure record, read from the code and the schemas."""
    from salesmetrics.data._checks import _PANDERA_CHECKS, _check_name
    from salesmetrics.schemas import CHECK_COLUMNS, TABLES

    source = "\n".join(p.read_text(encoding="utf-8") for p in (PACKAGE / "data").glob("*.py"))
    names = set(re.findall(r'_failures\(\s*[^,()]+,\s*[^,()]+(?:\([^()]*\))?,\s*"(\w+)"', source))  # _failures(table, column, "check", ...)
    for line in re.findall(r"\bcheck = (.+)", source):  # the cast checks of _coerce_table ("timestamp" if ... else "date")
        names |= set(re.findall(r'"(\w+)"', line))
    for group in re.findall(r"for name in \(((?:\"\w+\",?\s*)+)\)", source):  # the date checks
        names |= set(re.findall(r'"(\w+)"', group))
    names |= {name for _prefix, name in _PANDERA_CHECKS} | set(CHECK_COLUMNS)
    for model in TABLES.values():
        schema = model.to_schema()
        names |= {_check_name(str(c.name)) for c in schema.checks}
        names |= {_check_name(str(c.name)) for col in schema.columns.values() for c in col.checks}
    return names


def test_every_check_a_quarantine_reason_can_name_has_korean_words():
    from salesmetrics.data._messages import CHECK_NAMES

    found = _check_names_in_the_code()
    assert {"missing_value", "closed_not_before_created", "not_negative", "number", "date_order_mixed", "foreign_key",
            "billing_months_positive", "score_in_range_for_kind"} <= found  # the scan reads what it should
    assert found <= set(CHECK_NAMES), found - set(CHECK_NAMES)
    for name in CHECK_NAMES:
        ko, en = catalogue("ko").get(f"check.{name}"), catalogue("en").get(f"check.{name}")
        assert ko and re.search("[가-힣]", ko) and not re.search(r"\b[a-z]+_[a-z_]+\b", ko), (name, ko)
        assert en and "_" not in en and en != "closed not before created", (name, en)  # words, saying what went wrong


def test_every_column_of_every_table_has_korean_words():
    from salesmetrics.formatting import label
    from salesmetrics.schemas import TABLES, column_kinds

    columns = {c for table in TABLES for c in column_kinds(table)}
    assert len(columns) > 40
    assert not [c for c in columns if not re.search("[가-힣]", label("field", c, "ko", default=""))]


@pytest.fixture(scope="module")
def messy():
    """A small Korean company with rows set aside for several reasons and references that do not resolve."""
    co = make_company(seed=7, locale="ko", accounts=300, months=18)
    tables = {k: v.copy() for k, v in co.tables.items()}
    opps = tables["opportunities"]
    closed = opps.index[opps["closed_at"].notna()][:5]
    opps.loc[closed, "closed_at"] = pd.to_datetime(opps.loc[closed, "created_at"]) - pd.Timedelta(days=3)
    opps.loc[opps.index[10:13], "amount"] = -5
    tables["leads"].loc[tables["leads"].index[:4], "created_at"] = None
    subs = tables["subscriptions"]
    subs["amount"] = subs["amount"].astype(object)
    subs.loc[subs.index[:2], "amount"] = "abc"
    fx = tables["fx_rates"]
    fx.loc[fx.index[:2], "rate"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return co.to_sales_data(**tables, on_invalid="quarantine")


def test_the_korean_data_quality_page_gives_reasons_in_korean(messy):
    from salesmetrics.reports.deck import _quality_slide

    assert len(messy.quarantine) >= 3 and len(messy.unresolved)
    ko = _quality_slide(messy, "ko", max_lines=20)
    lines = ko.bullets
    said = " ".join(lines)
    assert "생성일: 값 없음 (4)" in said and "종료일: 종료일이 생성일보다 앞섬 (5)" in said and "금액: 음수 값 (3)" in said
    assert "금액: 숫자가 아님 (2)" in said and "환율: 0 이하의 값 (2)" in said  # fx_rates' rate is an exchange rate
    assert "(unknown)" not in said and "'알 수 없음'" in said
    # no English left: table names only in the catalogue's "리드 (leads)" form, ids from the data aside
    bare = [re.sub(r"\((?:[a-z_]+)\)|\(예: [^)]*\)", "", line) for line in lines]
    assert not [line for line in bare if re.search(r"[a-z]{2,}", line)], bare
    assert RAW_KEYS.search(" ".join([ko.subtitle, *bare])) is None
    # English is as it was
    en = " ".join(_quality_slide(messy, "en", max_lines=20).bullets)
    assert "created: missing value (4)" in en and "closed: closed before it was created (5)" in en and "kept as (unknown)" in en
    assert "leads.opportunity_id" in en or "opportunities.account_id" in en


def test_every_reason_reads_in_korean():
    from salesmetrics.data._messages import CHECK_NAMES
    from salesmetrics.reports.deck import _in_words

    for check in CHECK_NAMES:
        for column in ("created_at", "amount", "lead_id|opportunity_id|account_id"):
            shown = _in_words(f"{column}: {check}", "ko")
            assert not re.search(r"[a-z]", shown), shown
    assert _in_words("lead_id|opportunity_id|account_id: linked_to_lead_opportunity_or_account", "ko") == \
        "리드 ID/영업 기회 ID/고객사 ID: 리드·영업 기회·고객사 중 연결된 것이 없음"
    assert _in_words("rate: positive", "ko", "fx_rates") == "환율: 0 이하의 값"


def test_a_cjk_font_installed_after_matplotlib_cached_its_font_list_is_found(monkeypatch):
    """matplotlib keeps its font list in a cache and does not look again: a font installed after it (apt-get install
    fonts-noto-cjk in a running machine, as `make test` does) must still be found, or Korean charts draw boxes."""
    from matplotlib import font_manager

    if not any(plot._CJK_FILE.search(Path(p).name) for p in font_manager.findSystemFonts()):
        pytest.skip("no CJK font file on this machine (fonts-noto-cjk): `make test` installs it")
    stale = [f for f in font_manager.fontManager.ttflist if not plot._CJK_FILE.search(Path(f.fname).name)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)  # the cached list, from before the install
    plot.cjk_font.cache_clear()
    try:
        assert plot.cjk_font() is not None
    finally:
        plot.cjk_font.cache_clear()
