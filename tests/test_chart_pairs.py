"""Every chart draws what its metric function returns, in both backends, and takes its context explicitly.

Issue #16: ``plot.kaplan_meier(sm.sales_cycle(method="km"))``, ``plot.cycle_distribution(sm.sales_cycle(...))``,
``plot.cohort_heatmap(sm.cohort_triangle(...))``, ``plot.attrition(sm.rep_turnover(data))`` and
``plot.decline_drivers(sm.sales_decline(data))`` failed; and a KRW frame that went through a ``merge`` (which
drops ``DataFrame.attrs``) was drawn in dollars with no way to say otherwise.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics import interactive, plot
from salesmetrics.datasets import make_company
from salesmetrics.i18n import text

Case = Callable[[sm.SalesData], tuple[Any, dict[str, Any]]]


def _days(data: sm.SalesData) -> tuple[pd.Series, pd.Series]:
    o = data.opportunities
    closed = o["closed_at"].notna()
    return ((o["closed_at"].where(closed, data.as_of)) - o["created_at"]).dt.total_seconds() / 86_400, closed


# chart name -> (case id, metric call on the sample -> (result as returned, chart keywords))
PAIRS: dict[str, list[tuple[str, Case]]] = {
    "mrr_bridge": [("mrr_bridge", lambda d: (sm.mrr_bridge(d, freq="Q"), {})),
                   ("mrr_bridge_arr", lambda d: (sm.mrr_bridge(d, freq="Q", arr=True), {}))],
    "mrr_trend": [("mrr_bridge", lambda d: (sm.mrr_bridge(d, freq="Q"), {})),
                  ("mrr_bridge_by", lambda d: (sm.mrr_bridge(d, freq="Q", by="segment"), {})),
                  ("mrr", lambda d: (sm.mrr(d, freq="Q"), {"arr": True}))],
    "cohort_heatmap": [("cohort_retention", lambda d: (sm.cohort_retention(d, freq="M"), {})),
                       ("cohort_triangle", lambda d: (sm.cohort_triangle(sm.cohort_retention(d, freq="M")), {}))],
    "funnel": [("funnel", lambda d: (sm.funnel(sm.lead_journeys(d), sm.LEAD_STAGES, freq=None), {}))],
    "win_rate": [("win_rate", lambda d: (sm.win_rate(d), {})),
                 ("win_rate_by", lambda d: (sm.win_rate(d, by="segment"), {}))],
    "sla_compliance": [("response_sla", lambda d: (sm.response_sla(d, freq="Q"), {"target": 0.9}))],
    "kaplan_meier": [("kaplan_meier", lambda d: (sm.kaplan_meier(*_days(d)), {})),
                     ("kaplan_meier_groups", lambda d: (sm.kaplan_meier(*_days(d), d.opportunities["type"]), {})),
                     ("sales_cycle_km", lambda d: (sm.sales_cycle(d, method="km", freq=None), {})),
                     ("sales_cycle_km_q", lambda d: (sm.sales_cycle(d, method="km", freq="Q"), {})),
                     ("sales_cycle_km_by", lambda d: (sm.sales_cycle(d, method="km", freq="Q", by="segment"), {}))],
    "cycle_distribution": [("days", lambda d: (_days(d)[0], {})),
                           ("sales_cycle", lambda d: (sm.sales_cycle(d, freq=None), {})),
                           ("sales_cycle_q", lambda d: (sm.sales_cycle(d, freq="Q"), {})),
                           ("sales_cycle_km_by", lambda d: (sm.sales_cycle(d, method="km", freq="Y", by="segment"), {}))],
    "scorecard": [("scorecard", lambda d: (sm.scorecard(d), {}))],
    "attrition": [("rep_turnover", lambda d: (sm.rep_turnover(d), {})),
                  ("rep_turnover_table", lambda d: (sm.rep_turnover(d).table, {}))],
    "decline_drivers": [("sales_decline", lambda d: (sm.sales_decline(d), {})),
                        ("sales_decline_table", lambda d: (sm.sales_decline(d).table, {"scope": "Mid-Market"}))],
    "findings": [("diagnose", lambda d: (sm.diagnose(d), {})),
                 ("rep_turnover", lambda d: (sm.rep_turnover(d), {}))],
    "trend": [("customer_satisfaction", lambda d: (sm.customer_satisfaction(d), {"value": "csat", "by": "region"})),
              ("mrr_money", lambda d: (sm.mrr_bridge(d, freq="Q"), {"value": "ending_mrr", "unit": "money"}))],
}
CASES = [(name, case_id, call) for name, cases in PAIRS.items() for case_id, call in cases]


def _quiet(call: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DefinitionWarning)
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        return call()


def _artists(ax: Any) -> int:
    return len(ax.lines) + len(ax.patches) + len(ax.collections) + len(ax.images) + len(ax.tables) + len(ax.texts)


def test_every_public_chart_of_both_backends_is_paired_with_its_metric():
    assert set(plot.__all__) == set(interactive.__all__) == set(PAIRS)


@pytest.mark.parametrize(("name", "case_id", "call"), CASES, ids=[f"{n}-{c}" for n, c, _ in CASES])
def test_each_chart_draws_what_its_metric_returns(sample, name, case_id, call):
    from matplotlib.figure import Figure

    result, kwargs = _quiet(lambda: call(sample))
    ax = getattr(plot, name)(result, **kwargs)
    assert ax.get_title(loc="left") and _artists(ax) >= 1
    own = Figure().add_subplot()
    assert getattr(plot, name)(result, ax=own, **kwargs) is own
    fig = getattr(interactive, name)(result, **kwargs)
    assert fig.layout.title.text and len(fig.data) >= 1


def test_a_summary_of_sales_cycle_is_drawn_as_its_quartiles(sample):
    """sales_cycle holds the quartiles per period, not the curve or the deals: one range (KM) or box per period."""
    summary = sm.sales_cycle(sample, method="km", freq="Q")
    ax = plot.kaplan_meier(summary)
    ranges = ax.collections[0].get_segments()
    assert len(ranges) == len(summary)
    assert np.allclose([s[:, 1] for s in ranges], summary[["p25_days", "p75_days"]].to_numpy(float), equal_nan=True)
    assert ax.get_xlabel() == "period created"
    fig = interactive.cycle_distribution(sm.sales_cycle(sample, freq="Q"))
    assert list(fig.data[0].median) == pytest.approx(sm.sales_cycle(sample, freq="Q")["median_days"].dropna().tolist())


def test_an_input_that_is_not_the_metric_output_says_what_to_pass(sample):
    with pytest.raises(ValueError, match=r"kaplan_meier\(\) needs the columns time, survival.*sales_cycle"):
        plot.kaplan_meier(sm.win_rate(sample))
    with pytest.raises(ValueError, match=r"cycle_distribution\(\).*sm.sales_cycle"):
        interactive.cycle_distribution(sm.win_rate(sample))


@pytest.fixture(scope="module")
def krw():
    """A KRW company's MRR bridge, merged with a plain frame: the merge drops attrs (currency, freq)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = make_company(seed=11, accounts=150, months=18, locale="ko").to_sales_data()
    bridge = sm.mrr_bridge(data, freq="Q")
    assert bridge.attrs["currency"] == "KRW"
    notes = pd.DataFrame({"period": bridge["period"], "note": ""})
    merged = bridge.merge(notes, on="period")
    assert "currency" not in merged.attrs  # what the issue is about: the context is lost
    return merged


def _y_ticks(ax: Any) -> list[str]:
    return list(ax.yaxis.get_major_formatter().format_ticks(ax.get_yticks()))


@pytest.mark.filterwarnings("ignore::salesmetrics.errors.FontWarning")
def test_a_merged_krw_frame_draws_won_when_told(krw):
    assert "$" in "".join(_y_ticks(plot.mrr_trend(krw)))  # nothing to go on: the default, USD
    for ax in (plot.mrr_trend(krw, currency="KRW"), plot.mrr_bridge(krw, currency="KRW"),
               plot.trend(krw, value="ending_mrr", unit="money", currency="KRW")):
        ticks = "".join(_y_ticks(ax))
        assert "₩" in ticks and "$" not in ticks
    assert "₩" in "".join(t.get_text() for t in plot.mrr_bridge(krw, currency="KRW").texts)
    fig = interactive.mrr_trend(krw, currency="KRW")
    assert all(t.startswith("₩") for t in fig.layout.yaxis.ticktext)
    fig = interactive.mrr_bridge(krw, currency="KRW")
    assert all("₩" in t for t in fig.data[0].text)
    korean = interactive.mrr_trend(krw, currency="KRW", lang="ko")
    assert any(t.endswith(("억", "만", "천만")) for t in korean.layout.yaxis.ticktext)


@pytest.mark.filterwarnings("ignore::salesmetrics.errors.FontWarning")
def test_lang_ko_gives_korean_axis_titles(sample):
    curve = sm.kaplan_meier(*_days(sample))
    ax = plot.kaplan_meier(curve, lang="ko")
    assert (ax.get_xlabel(), ax.get_ylabel()) == (text("chart.km_x", "ko"), text("chart.km_y", "ko")) == ("생성 후 일수", "열려 있는 비율")
    assert ax.get_title(loc="left") == text("chart.km", "ko")
    fig = interactive.kaplan_meier(curve, lang="ko")
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("생성 후 일수", "열려 있는 비율")
    summary = sm.sales_cycle(sample, method="km", freq="Q")
    ax = plot.kaplan_meier(summary, lang="ko")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("생성 기간", "일수")
    assert interactive.cycle_distribution(summary, lang="ko").layout.xaxis.title.text == "생성 기간"
    assert plot.cohort_heatmap(sm.cohort_retention(sample, freq="M"), lang="ko").get_xlabel() == text("chart.cohort_age", "ko")
    explicit = sm.win_rate(sample)
    explicit.attrs["lang"] = "ko"  # attrs say Korean, the argument says English: the argument wins
    assert plot.win_rate(explicit, lang="en").get_title(loc="left") == text("chart.win_rate", "en")
    assert plot.win_rate(explicit).get_title(loc="left") == text("chart.win_rate", "ko")


def test_the_old_plotly_module_is_a_shim_that_warns(monkeypatch):
    monkeypatch.delitem(sys.modules, "salesmetrics.plotly", raising=False)
    with pytest.warns(FutureWarning, match=r"salesmetrics.plotly is renamed salesmetrics.interactive; .* removed in 0.3"):
        old = importlib.import_module("salesmetrics.plotly")
    assert old.__all__ == interactive.__all__
    assert all(getattr(old, name) is getattr(interactive, name) for name in interactive.__all__)


def test_the_html_report_draws_with_the_new_name(monkeypatch, tmp_path, sample):
    """The deck's HTML (plotly) path imports salesmetrics.interactive: writing it never imports the old name."""
    from salesmetrics.reports.deck import _html, review

    monkeypatch.delitem(sys.modules, "salesmetrics.plotly", raising=False)
    slides = _quiet(lambda: review(sample, quarter="2025Q3"))[:3]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        _html(slides, tmp_path / "review.html", None)
    assert "salesmetrics.plotly" not in sys.modules
    assert (tmp_path / "review.html").stat().st_size > 0


def test_the_waterfall_shows_every_running_level_in_both_backends():
    """A quarter where new MRR lifts the running total far above both the start and the end (as in the dbt
    mrr-playbook's 2019Q4: start $1.46k, +$530 new, end $1.25k after churn): neither backend may cut the bars off."""
    subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "b"], "start_date": ["2024-10-01", "2025-01-01"],
                         "amount": [1000.0, 900.0], "end_date": [None, "2025-03-01"]})  # b joins and leaves within 2025Q1
    bridge = sm.mrr_bridge(subs, freq="Q", as_of="2025-03-31")
    row = bridge.set_index(bridge["period"].astype(str)).loc["2025Q1"]
    peak = row["starting_mrr"] + row["new"]  # 1,900 before the churn brings it back to 1,000
    assert peak > max(row["starting_mrr"], row["ending_mrr"]) * 1.5
    low, high = interactive.mrr_bridge(bridge, period="2025Q1").layout.yaxis.range
    assert low <= row["ending_mrr"] and high > peak
    bottom, top = plot.mrr_bridge(bridge, period="2025Q1").get_ylim()
    assert bottom <= row["ending_mrr"] and top > peak
