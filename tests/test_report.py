"""Plots, the quarterly review deck and the command line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics import interactive as splot
from salesmetrics import plot
from salesmetrics.reports.cli import main
from salesmetrics.reports.deck import report, review, to_csv

EXPECTED_TITLES = [
    "Quarterly sales review, 2025Q3", "Headline KPIs against targets", "Do we need to reorganise? The five signs",
    "Sign 1: Declining sales", "Sign 2: Rep turnover", "Sign 3: Unclear roles", "Sign 4: Slow response to market change",
    "Sign 5: Falling customer satisfaction", "Revenue: how MRR moved", "Retention by acquisition cohort",
    "Funnel and the marketing–sales SLA", "Pipeline: win rate and sales cycle", "Largest open deals", "Unit economics",
    "Team scorecards: process design", "Next quarter's plan: what $1.34M of bookings takes", "Data quality",
    "Glossary: the KPIs in this review", "Glossary: the KPIs in this review (continued)",
    "Glossary: the KPIs in this review (continued)",  # the table, the differences between close KPIs, reading the charts
]
SCRIPT, FORMULA = "<script>alert(1)</script>", '=HYPERLINK("x")'


@pytest.fixture(scope="module")
def results(sample):
    """Every result kind the plot functions draw, from the sample."""
    o = sample.opportunities
    won = o[o["status"] == "won"]
    closed = o["closed_at"].notna()
    days = ((o["closed_at"].where(closed, sample.as_of)) - o["created_at"]).dt.total_seconds() / 86_400
    bridge = sm.mrr_bridge(sample, freq="Q")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DefinitionWarning)
        card = sm.scorecard(sample)
    return {
        "mrr_bridge": (bridge, {}), "mrr_trend": (bridge, {}), "cohort_heatmap": (sm.cohort_retention(sample, freq="M"), {}),
        "funnel": (sm.funnel(sm.lead_journeys(sample), sm.LEAD_STAGES, freq=None), {}), "win_rate": (sm.win_rate(sample), {}),
        "sla_compliance": (sm.response_sla(sample, freq="Q"), {"target": 0.9}), "scorecard": (card, {}),
        "attrition": (sm.rep_turnover(sample).table, {}), "decline_drivers": (sm.sales_decline(sample).table, {"scope": "Mid-Market"}),
        "findings": (sm.diagnose(sample), {}), "kaplan_meier": (sm.kaplan_meier(days, closed), {}),
        "cycle_distribution": ((won["closed_at"] - won["created_at"]).dt.total_seconds() / 86_400, {}),
        "trend": (sm.customer_satisfaction(sample).table, {"value": "csat", "by": "region", "highlight": "APAC"}),
    }


def test_both_backends_have_the_same_functions():
    assert plot.__all__ == splot.__all__


@pytest.mark.parametrize("name", plot.__all__)
def test_every_plot_runs_on_the_sample_in_both_backends(results, name):
    import matplotlib.pyplot as plt

    frame, kwargs = results[name]
    before = plt.get_fignums()
    ax = getattr(plot, name)(frame, **kwargs)
    assert ax.get_title(loc="left") and ax.figure is not None
    assert plt.get_fignums() == before, "plot functions must not create pyplot figures"
    from matplotlib.figure import Figure

    own = Figure().add_subplot()
    assert getattr(plot, name)(frame, ax=own, **kwargs) is own  # draws on the Axes it is given
    fig = getattr(splot, name)(frame, **kwargs)
    assert fig.layout.title.text and len(fig.data) >= 1


@pytest.fixture(scope="module")
def hostile(sample):
    """The sample with two hostile account names on the two largest open deals."""
    tables = {k: v.copy() for k, v in sample.tables.items()}
    o = tables["opportunities"]
    open_deals = o[o["status"] == "open"].sort_values("amount", ascending=False)
    accounts = tables["accounts"]
    for account, name in zip(open_deals["account_id"].unique()[:2], (SCRIPT, FORMULA), strict=True):
        accounts.loc[accounts["account_id"] == account, "name"] = name
    return sm.SalesData(**tables, timezone=sample.timezone, currency=sample.currency)


@pytest.fixture(scope="module")
def deck(hostile, tmp_path_factory):
    folder = tmp_path_factory.mktemp("deck")
    return report(hostile, quarter="2025Q3", out=[folder / "review.pptx", folder / "review.html"])


def test_pptx_opens_with_the_expected_slides_and_a_chart_on_each_chart_slide(deck, sample):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    prs = Presentation(str(deck[0]))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == EXPECTED_TITLES  # a glossary too long for one slide continues on the next
    chart_slides = {s.title for s in review(sample, quarter="2025Q3") if s.charts}
    assert len(chart_slides) >= 10
    for slide in prs.slides:
        drawn = [sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE or sh.has_chart or sh.has_table]
        if slide.shapes.title.text in chart_slides:
            assert drawn, f"no chart on {slide.shapes.title.text!r}"
    cells = [c.text for s in prs.slides for sh in s.shapes if sh.has_table for row in sh.table.rows for c in row.cells]
    assert SCRIPT in cells  # PPTX holds text, not markup: the name is shown as written, and cannot run


def test_html_escapes_every_string_from_the_data(deck):
    page = deck[1].read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, as text
    assert "=HYPERLINK(&quot;x&quot;)" in page
    # inside plotly's JSON too: no raw "<" can end a <script> element
    for block in re.findall(r"<script>\(function\(\)\{var f=(.*?);f\.layout", page, flags=re.S):
        assert "<" not in block and ">" not in block
    assert page.count("<script") == page.count("</script>")


def test_csv_exports_neutralise_formulas(hostile, tmp_path):
    from salesmetrics.reports.deck import _open_deals

    table = _open_deals(hostile, hostile.as_of)
    path = tmp_path / "deals.csv"
    to_csv(table, path)
    back = pd.read_csv(path)
    assert "'" + FORMULA in back["Account"].tolist() and FORMULA not in back["Account"].tolist()
    assert SCRIPT in back["Account"].tolist()  # not a formula: kept as it is


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium", shell=True,
                       check=False, capture_output=True, timeout=900)
        found = shutil.which("chromium")
    return found


def test_html_renders_in_headless_chromium_without_console_errors(deck, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("Debian's chromium is not installed and could not be installed (not root, or no apt): run `make test`, "
                    "which installs it")
    page = deck[1]
    n_charts = page.read_text(encoding="utf-8").count("<div class='chart' id='chart-")
    run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
                          "--virtual-time-budget=15000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=180)
    dom, log = run.stdout, run.stderr
    console = [line for line in log.splitlines() if "CONSOLE" in line]
    errors = [line for line in console if "error" in line.lower() or "uncaught" in line.lower()]
    assert not errors, errors
    rendered = len(re.findall(r'<div class="chart js-plotly-plot" id="chart-\d+"', dom))
    assert n_charts >= 10 and rendered == n_charts, (rendered, n_charts)
    assert dom.count('class="main-svg"') >= n_charts


def test_cli_report_diagnose_and_exit_codes(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "--quarter", "2025Q3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert out.exists() and "[CRITICAL] declining_sales" in printed and f"wrote {out}" in printed
    csv = tmp_path / "findings.csv"
    assert main(["diagnose", "--csv", str(csv)]) == 0
    assert len(pd.read_csv(csv)) >= 5
    assert main(["report", "/no/such/folder"]) == 3
    # the bundle options work before or after the command
    assert main(["diagnose", "--timezone", "America/New_York", "--currency", "USD"]) == 0
    assert main(["--timezone", "America/New_York", "summary"]) == 0
    assert main(["report", "--out", str(tmp_path / "r.docx")]) == 3
    console = subprocess.run([sys.executable, "-m", "salesmetrics", "diagnose", "--org", "nonsense"], capture_output=True, text=True)
    assert console.returncode == 2 and "invalid choice" in console.stderr


def test_report_defaults_to_the_last_complete_quarter(sample):
    assert review(sample)[0].title == "Quarterly sales review, 2025Q3"
    with pytest.raises(ValueError, match=r"must end in \.pptx or \.html"):
        report(sample, out=Path("x.pdf"))
