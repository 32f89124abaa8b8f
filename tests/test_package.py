"""Packaging: the public API, lazy imports, optional extras, the wheel carrying the sample, the CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import salesmetrics as sm
from salesmetrics.errors import MissingDependencyError, import_optional
from salesmetrics.reports.cli import EXIT_BAD_INPUT, EXIT_OK, main

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves():
    for name in sm.__all__:
        assert getattr(sm, name) is not None, name
    with pytest.raises(AttributeError):
        sm.not_a_thing  # noqa: B018


def test_import_is_light():
    """`import salesmetrics` loads none of the heavy dependencies (the import-time figure is in benchmarks/)."""
    code = (
        "import sys, salesmetrics;"
        "heavy = [m for m in ('pandera', 'scipy', 'matplotlib', 'plotly', 'pptx', 'pandas') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_missing_extra_names_the_pip_command():
    with pytest.raises(MissingDependencyError, match=r"pip install 'salesmetrics\[plot\]'"):
        import_optional("surely_not_installed_module_xyz", "plot")
    assert issubclass(MissingDependencyError, ImportError)


def test_py_typed_is_shipped():
    assert (ROOT / "salesmetrics" / "py.typed").exists()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    hatchling = pytest.importorskip("hatchling.builders.wheel", reason="hatchling (in the dev extra) builds the wheel")
    out = tmp_path_factory.mktemp("wheel")
    builder = hatchling.WheelBuilder(str(ROOT))
    (path,) = list(builder.build(directory=str(out), versions=["standard"]))
    return Path(path)


def test_wheel_carries_the_sample_and_py_typed(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "salesmetrics/py.typed" in names
    for table in ("accounts", "opportunities", "subscriptions", "activities"):
        assert f"salesmetrics/datasets/sample/{table}.csv" in names
    assert "salesmetrics/datasets/sample/bundle.json" in names
    assert {"salesmetrics/locales/en.json", "salesmetrics/locales/ko.json", "salesmetrics/datasets/sample/raw/Deals.csv"} <= names


def test_load_sample_works_from_the_installed_wheel(wheel, tmp_path):
    """Unpack the wheel elsewhere and load the sample from it, not from this checkout."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import salesmetrics as sm, salesmetrics.datasets as d;"
        "from salesmetrics.i18n import text;"
        "data = sm.load_sample();"
        "print(sm.__file__); print(d.sample_dir()); print(len(data.accounts)); print(text('deck.title', 'ko', quarter='Q'))"
    )
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, check=True).stdout.split("\n")
    assert out[0].startswith(str(site))
    assert out[1] == str(site / "salesmetrics" / "datasets" / "sample")
    assert out[2] == "2000"
    assert out[3] == "분기 영업 리뷰, Q"  # the catalogues travel with the wheel


def test_cli_summary_of_the_sample(capsys):
    assert main(["summary"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "opportunities" in out and "Headline for 2025Q3" in out and "deals won" in out


def test_cli_validate_prints_every_failure_and_exits_non_zero(tmp_path, capsys, tables):
    bad = tables["opportunities"].copy()
    bad.loc[0, "amount"] = "-3"
    bad.loc[1, "status"] = "stalled"
    bad.to_csv(tmp_path / "opportunities.csv", index=False)
    assert main(["validate", str(tmp_path)]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert "not_negative" in captured.out and "allowed_values" in captured.out
    assert "opportunities.amount" in captured.err


def test_cli_validate_good_folder_and_missing_folder(tmp_path, capsys, tables):
    tables["accounts"].to_csv(tmp_path / "accounts.csv", index=False)
    assert main(["validate", str(tmp_path)]) == EXIT_OK
    assert main(["validate", str(tmp_path / "absent")]) == EXIT_BAD_INPUT
    assert "is not a folder" in capsys.readouterr().err


def test_console_script_runs_as_a_module():
    res = subprocess.run([sys.executable, "-m", "salesmetrics", "summary"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "Headline" in res.stdout


def test_readme_example_runs():
    """The README's Python example is executed as written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert isinstance(namespace["data"], sm.SalesData)


def test_readme_states_the_two_setup_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


# -- beside the analyst's stack: pandas 2 and 3 ---------------------------------------------------------------

INSTALL = os.environ.get("SALESMETRICS_INSTALL_TESTS") == "1"
"""Set by ``make test`` (CI): tests that create virtual environments and install from PyPI."""


def _readme_quickstart() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## Ten lines", 1)[1].split("```python", 1)[1].split("```", 1)[0]


@pytest.mark.skipif(not INSTALL, reason="installs from PyPI into a new virtual environment: set SALESMETRICS_INSTALL_TESTS=1 "
                                        "(make test does)")
def test_the_wheel_installs_beside_lifelines_and_runs_the_quickstart(wheel, tmp_path):
    """lifelines declares pandas<3: pip install salesmetrics lifelines must keep a pandas 2 and the README's quickstart
    must then run on it (it once failed validation: reps.terminated_at [timezone_mixed])."""
    env = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    python = env / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{wheel}[holidays]", "lifelines"],
                   check=True, timeout=900)
    code = "import pandas, lifelines\nprint('pandas', pandas.__version__)\n" + _readme_quickstart()
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    version = done.stdout.splitlines()[0].split()[1]
    assert int(version.split(".")[0]) == 2, version  # lifelines kept pandas 2
    assert "Customer Success" in done.stdout  # the last line, the scorecard, was printed


HEADLINES = """
import json, sys
import pandas as pd
import salesmetrics as sm
data = sm.load_sample()
tables = {
    "mrr_bridge": sm.mrr_bridge(data, freq="Q"),
    "win_rate": sm.win_rate(data, by="segment"),
    "retention": sm.retention(data, by="region"),
    "response_sla": sm.response_sla(data, within="24h", freq="Q"),
    "scorecard": sm.scorecard(data, org="process"),
    "funnel": sm.funnel(data, freq="Q"),
    "sales_cycle": sm.sales_cycle(data, method="km"),
    "deal_size": sm.deal_size(data, by="segment"),
    "cac": sm.cac(data),
}
out = {}
for name, frame in tables.items():
    frame = frame.copy()
    for c in frame.columns:
        if isinstance(frame[c].dtype, pd.PeriodDtype) or frame[c].dtype == object or str(frame[c].dtype) in ("str", "string"):
            frame[c] = frame[c].astype(object).map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v))
    out[name] = {"frame": frame.to_json(orient="split", double_precision=15, date_unit="ns")}
try:
    sm.SalesData(opportunities=pd.DataFrame({"opportunity_id": ["a", "a"], "created_at": ["2025-01-01", "bad"], "status": "x"}))
except sm.InputValidationError as err:
    out["message"] = str(err)
json.dump(out, sys.stdout)
"""


def _headlines(python: str) -> dict[str, Any]:
    done = subprocess.run([python, "-c", HEADLINES], capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.skipif(not os.environ.get("SALESMETRICS_PANDAS2_PYTHON"),
                    reason="compares with pandas 2.2: set SALESMETRICS_PANDAS2_PYTHON to a Python with pandas 2.2 and this "
                           "checkout installed (make test does)")
def test_the_sample_headline_tables_are_the_same_on_pandas_2_and_3():
    """The headline tables of the bundled sample, and a validation message, computed under pandas 2.2 (another
    Python) and under this one: the same values to the last digit, the same text."""
    import pandas as pd

    other = os.environ["SALESMETRICS_PANDAS2_PYTHON"]
    check = subprocess.run([other, "-c", "import pandas; print(pandas.__version__)"], capture_output=True, text=True, check=True)
    assert check.stdout.startswith("2.2"), check.stdout
    here, there = _headlines(sys.executable), _headlines(other)
    assert here.keys() == there.keys()
    assert here.pop("message") == there.pop("message")
    for name in here:
        a = pd.read_json(io.StringIO(here[name]["frame"]), orient="split", dtype=False)
        b = pd.read_json(io.StringIO(there[name]["frame"]), orient="split", dtype=False)
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)
