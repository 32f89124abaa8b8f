"""Korean-ready: catalogues, Hangul in charts, KRW, a Korean company and a Korean deck."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics import plot
from salesmetrics.datasets import make_company
from salesmetrics.formatting import format_money
from salesmetrics.i18n import LANGUAGES, catalogue, text

PACKAGE = Path(sm.__file__).parent
KPI_NAMES_KO = ["매출액", "월간 반복 매출", "리드 전환율", "평균 거래 규모", "딜 클로징 비율", "거래 성사율", "고객 유지율",
                "영업 사이클 길이", "고객 획득 비용", "고객 평생 가치"]  # the seed article's names


def test_every_catalogue_has_every_key_and_the_same_placeholders():
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    assert keys["en"] == keys["ko"], keys["en"] ^ keys["ko"]
    for key in keys["en"]:
        places = {lang: set(re.findall(r"\{(\w+)\}", catalogue(lang)[key])) for lang in LANGUAGES}
        assert places["en"] == places["ko"], (key, places)


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
    assert format_money(34_000_000, "KRW", compact=True, lang="ko") == "₩3.4천만"
    assert format_money(2_500_000_000_000, "KRW", compact=True, lang="ko") == "₩2.5조"
    assert format_money(120_000_000, "KRW", compact=True) == "₩120M"  # English mode keeps M/k


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


def test_the_korean_deck(korean, tmp_path):
    from pptx import Presentation

    _, data = korean
    pptx, page = sm.report(data, quarter="2025Q3", out=[tmp_path / "ko.pptx", tmp_path / "ko.html"], lang="ko")
    titles = [s.shapes.title.text for s in Presentation(str(pptx)).slides]
    assert titles[0] == text("deck.title", "ko", quarter="2025Q3") == "분기 영업 리뷰, 2025Q3"
    assert "신호 1: 매출 감소" in titles and "목표 대비 핵심 KPI" in titles
    html = page.read_text(encoding="utf-8")
    assert "<html lang='ko'>" in html and "조직 개편이 필요한가?" in html  # Hangul as text, not pictures
    assert "고객 평생 가치" in html and "₩" in html
    with pytest.raises(ValueError, match="lang must be one of"):
        sm.report(data, out=tmp_path / "x.html", lang="jp")


def test_cli_speaks_korean(tmp_path, capsys):
    from salesmetrics.reports.cli import main

    assert main(["diagnose", "--lang", "ko"]) == 0
    out = capsys.readouterr().out
    assert "[심각]" in out and "할 일: 전략과 영업 프로세스를 재검토하세요" in out
