"""Packaging a dependency can trust (issue 16): licence and changelog, one version, lazy subpackages,
rich display in Jupyter, pyarrow and polars input."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import salesmetrics as sm
from salesmetrics.diagnostics import Assessment
from salesmetrics.org import OrgDesign, Team

ROOT = Path(__file__).resolve().parents[1]

HOSTILE = "<script>alert(1)</script>"

OPPS = {
    "opportunity_id": ["o1", "o2", "o3", "o4"],
    "created_at": ["2025-01-05", "2025-02-01", "2025-03-01", "2025-03-02"],
    "status": ["won", "lost", "won", "open"],
    "closed_at": ["2025-02-10", "2025-03-01", "2025-03-20", None],
    "amount": [1200.0, 800.0, 500.0, None],
}


# -- licence, changelog, version ----------------------------------------------------------------------------


def test_license_is_mit_as_pyproject_says():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert meta["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 salesmetrics developers" in text


def test_changelog_has_unreleased_and_the_current_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    assert f"## [{sm.__version__}]" in text


def test_version_is_written_once():
    """pyproject takes the version from salesmetrics/__init__.py; the installed metadata agrees."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in meta["project"]
    assert "version" in meta["project"]["dynamic"]
    assert meta["tool"]["hatch"]["version"]["path"] == "salesmetrics/__init__.py"
    assert importlib.metadata.version("salesmetrics") == sm.__version__


def test_no_redundant_parquet_extra():
    """pyarrow is a core dependency, so an extra for it would only mislead."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(d.startswith("pyarrow") for d in meta["dependencies"])
    assert "parquet" not in meta["optional-dependencies"]


def test_the_extras_match_what_people_install():
    """Each plotting library alone, both as [plot]; [deck], [excel], [dask], [docs]; [all] for every user feature;
    holidays only behind country= (an extra), babel behind [cldr]; the core runs on pandas 2.2 and 3."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = meta["optional-dependencies"]
    assert {"matplotlib", "plotly", "plot", "deck", "excel", "dask", "docs", "all", "holidays", "cldr"} <= set(extras)
    assert extras["matplotlib"] == ["matplotlib>=3.8"] and extras["plotly"] == ["plotly>=5.20"]
    assert extras["plot"] == ["salesmetrics[matplotlib,plotly]"]
    assert extras["all"] == ["salesmetrics[deck,excel,dask,holidays,cldr]"]
    assert not any(d.startswith("holidays") for d in meta["dependencies"])
    assert "pandas>=2.2" in meta["dependencies"]


def test_sdist_carries_license_and_changelog(tmp_path):
    sdist = pytest.importorskip("hatchling.builders.sdist", reason="hatchling (in the dev extra) builds the sdist")
    (path,) = list(sdist.SdistBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"]))
    with tarfile.open(path) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "salesmetrics/__init__.py"} <= names
    assert Path(path).name == f"salesmetrics-{sm.__version__}.tar.gz"


# -- lazy subpackages ---------------------------------------------------------------------------------------


def test_subpackages_load_on_first_access_only():
    code = (
        "import sys, salesmetrics as sm\n"
        "names = ('datasets', 'plot', 'interactive', 'plotly', 'data', 'stats', 'periods')\n"
        "before = [n for n in names if 'salesmetrics.' + n in sys.modules]\n"
        "heavy = [m for m in ('pandera', 'scipy', 'matplotlib') if m in sys.modules]\n"
        "mods = [getattr(sm, n) for n in names]\n"
        "after = [n for n in names if 'salesmetrics.' + n in sys.modules]\n"
        "same = all(m is sys.modules['salesmetrics.' + n] for m, n in zip(mods, names))\n"
        "print(','.join(before)); print(','.join(heavy)); print(','.join(after)); print(same)\n"
        "print(callable(sm.datasets.load_sample), callable(sm.plot.funnel))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == ""  # nothing loaded by `import salesmetrics`
    assert out[1] == ""
    assert out[2] == "datasets,plot,interactive,plotly,data,stats,periods"
    assert out[3] == "True"
    assert out[4] == "True True"


def test_unknown_attribute_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'reports_'"):
        sm.reports_  # noqa: B018
    assert {"datasets", "plot", "interactive", "stats"} <= set(dir(sm))
    assert "plotly" not in dir(sm)  # the deprecated name still works but is not advertised


# -- rich display ------------------------------------------------------------------------------------------


def test_salesdata_html_shows_the_summary_and_escapes_names():
    accounts = pd.DataFrame({"account_id": ["a1", "a2"], "created_at": ["2025-01-01", "2025-03-01"], HOSTILE: ["x", "y"]})
    opps = pd.DataFrame(OPPS)
    opps.loc[1, "amount"] = -5  # quarantined
    with pytest.warns(sm.DataQualityWarning, match="quarantine set aside"):
        data = sm.SalesData(accounts=accounts, opportunities=opps, timezone="Asia/Seoul", currency="KRW",
                            fiscal_year_start=4, on_invalid="quarantine")
    html = data._repr_html_()
    assert "<script>" not in html
    for expected in ("accounts", "opportunities", "<td>3</td>", "<td>1</td>", "2025-01-01", "Asia/Seoul", "KRW",
                     "month 4", "2025-03-20", "(from opportunities.closed_at)"):
        assert expected in html, expected
    text = repr(data)
    assert text.startswith("SalesData(accounts=2, opportunities=3;") and "quarantined=1" in text
    assert len(text) < 200


def test_salesdata_html_of_an_empty_bundle():
    html = sm.SalesData()._repr_html_()
    assert "no tables" in html and "nothing is dated" in html


def test_orgdesign_repr_and_html():
    design = OrgDesign(HOSTILE, (Team(f"Team {HOSTILE}", ("AE", "<b>SDR</b>"), ("bookings", "win_rate")),))
    html = design._repr_html_()
    assert "<script>" not in html and "<b>SDR</b>" not in html
    assert "&lt;script&gt;" in html and "revenue (new-business bookings), win rate" in html
    text = repr(sm.OrgDesign.process())
    assert text.startswith("OrgDesign('process':") and "Customer Success (CSM/AM; 5 KPIs)" in text
    assert "stages" not in text  # short: not the dataclass's full field dump


def _findings(rows):
    from salesmetrics.diagnostics import FINDING_COLUMNS

    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def test_assessment_repr_counts_findings_by_severity_and_html_escapes():
    row = {"sign": "rep_turnover", "scope_type": "team", "metric": "m", "value": 1.0, "baseline": 0.5, "period": "2025Q3",
           "evidence": "e", "recommendation": "r"}
    found = _findings([{**row, "severity": "critical", "scope": HOSTILE}, {**row, "severity": "warning", "scope": "East"},
                       {**row, "severity": "warning", "scope": "West"}])
    result = Assessment(pd.DataFrame({"x": range(7)}), found)
    assert repr(result) == "Assessment(rep_turnover: 1 critical, 2 warning; table of 7 rows)"
    html = result._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "East" in html
    empty = Assessment(pd.DataFrame(), _findings([]))
    assert repr(empty) == "Assessment(no sign: no findings; table of 0 rows)"
    assert "no findings" in empty._repr_html_()


def test_assessment_repr_of_a_real_sign(sample):
    text = repr(sm.rep_turnover(sample))
    assert text.startswith("Assessment(rep_turnover: ") and "critical" in text


# -- pyarrow and polars input -------------------------------------------------------------------------------


def _frames():
    polars = pytest.importorskip("polars")
    return [pa.table(pd.DataFrame(OPPS)), polars.DataFrame(OPPS)]


@pytest.mark.parametrize("kind", ["pyarrow", "polars"])
def test_salesdata_conform_and_metrics_take_arrow_and_polars(kind):
    frame = _frames()[0 if kind == "pyarrow" else 1]
    expected = sm.win_rate(pd.DataFrame(OPPS), freq="Q")

    data = sm.SalesData(opportunities=frame, timezone="Europe/Berlin")
    assert isinstance(data.opportunities, pd.DataFrame) and len(data.opportunities) == 4
    assert str(data.opportunities["created_at"].dtype) == "datetime64[ns, Europe/Berlin]"

    conformed = sm.conform(frame, "opportunities")
    assert isinstance(conformed, pd.DataFrame)
    assert conformed["amount"].sum() == 2500.0

    pd.testing.assert_frame_equal(sm.win_rate(frame, freq="Q"), expected)
    assert sm.win_rate(frame, freq="Q")["won"].sum() == 2


def test_conform_with_mapping_on_polars():
    polars = pytest.importorskip("polars")
    raw = polars.DataFrame({"Deal": ["D-1"], "Opened": ["2025-07-01"], "Stage": ["Closed Won"], "Close Date": ["2025-08-15"],
                            "Value": ["$12,000"]})
    opps = sm.conform(raw, "opportunities", columns={"Deal": "opportunity_id", "Opened": "created_at", "Stage": "status",
                                                     "Close Date": "closed_at", "Value": "amount"})
    assert opps.loc[0, "status"] == "won" and float(opps.loc[0, "amount"]) == 12000.0


def test_other_types_get_a_type_error_naming_what_is_accepted():
    accepted = "a pandas DataFrame, a pyarrow Table or a polars DataFrame"
    with pytest.raises(TypeError, match=f"accounts must be {accepted}, got dict"):
        sm.SalesData(accounts={"account_id": ["a"]})
    with pytest.raises(TypeError, match=f"must be {accepted}, got list"):
        sm.conform([1, 2], "accounts")
    with pytest.raises(TypeError, match=f"expected a SalesData or {accepted} of opportunities, got Series"):
        sm.win_rate(pd.Series([1, 2]))
    with pytest.raises(TypeError, match="got ChunkedArray"):  # has to_pandas, but not to a DataFrame
        sm.SalesData(accounts=pa.chunked_array([["a"]]))
    polars = pytest.importorskip("polars")
    with pytest.raises(TypeError, match=r"LazyFrame \(call .collect\(\)"):
        sm.SalesData(accounts=polars.DataFrame({"account_id": ["a"]}).lazy())
