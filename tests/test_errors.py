"""The error hierarchy (issue #16) and the command line's exit codes."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics import errors
from salesmetrics.reports import cli
from salesmetrics.reports.cli import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, main

# --- the hierarchy -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "builtin"), [
    (errors.InputValidationError, ValueError),
    (errors.MissingDataError, ValueError),
    (errors.MissingDependencyError, ImportError),
])
def test_every_error_is_a_salesmetrics_error_and_keeps_its_builtin_base(cls, builtin):
    assert issubclass(cls, errors.SalesMetricsError) and issubclass(cls, builtin)
    assert issubclass(errors.SalesMetricsError, Exception) and not issubclass(errors.SalesMetricsError, ValueError)


def test_the_errors_import_from_the_top_level():
    for name in ("SalesMetricsError", "InputValidationError", "MissingDataError", "MissingDependencyError"):
        assert name in sm.__all__ and getattr(sm, name) is getattr(errors, name)
    # warnings stay warnings, outside the hierarchy
    assert not issubclass(sm.DataQualityWarning, errors.SalesMetricsError) and issubclass(sm.DataQualityWarning, UserWarning)


def test_except_value_error_still_catches_them():
    with pytest.raises(ValueError):
        sm.SalesData(accounts=pd.DataFrame({"account_id": ["a1", "a1"]}))
    with pytest.raises(ValueError):
        sm.win_rate(sm.SalesData())
    with pytest.raises(ImportError):
        errors.import_optional("no_such_module_xyz", "plot")
    with pytest.raises(sm.SalesMetricsError):
        errors.import_optional("no_such_module_xyz", "plot")


def test_a_metric_without_its_table_raises_missing_data_naming_the_table_and_the_fix(tables):
    data = sm.SalesData(accounts=tables["accounts"])
    with pytest.raises(sm.MissingDataError) as info:
        sm.win_rate(data)
    message = str(info.value)
    assert "opportunities table" in message and "pass a SalesData that has it: sm.SalesData(..., opportunities=<DataFrame>)" in message
    with pytest.raises(sm.MissingDataError, match=r"needs the reps table; pass SalesData\(reps=\.\.\.\) or add reps\.csv"):
        data.require("accounts", "reps")
    with pytest.raises(sm.MissingDataError, match="surveys table"):
        sm.customer_satisfaction(data)


def test_a_funnel_stage_the_export_lacks_is_missing_data(tables):
    leads = tables["leads"].drop(columns=["mql_at"])
    data = sm.SalesData(leads=leads, accounts=tables["accounts"], reps=tables["reps"])
    with pytest.raises(sm.MissingDataError, match="has no mql_at column"):
        sm.funnel(data, stages=["created_at", "mql_at"], freq=None)


def test_a_wrong_argument_stays_a_plain_value_error(sample):
    with pytest.raises(ValueError) as info:
        sm.win_rate(sample, freq="W")
    assert not isinstance(info.value, sm.SalesMetricsError)


# --- the command line ---------------------------------------------------------------------------------------------


@pytest.fixture()
def folder(tmp_path, tables):
    """A small valid data folder."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("accounts", "reps", "opportunities"):
        tables[name].to_csv(data / f"{name}.csv", index=False)
    return data


def test_cli_good_folder_exits_0(folder, capsys):
    assert main(["validate", str(folder)]) == EXIT_OK


@pytest.mark.parametrize("argv", [["--timezone", "Mars/Base", "validate"], ["validate", "--timezone", "Not a zone"]])
def test_cli_bad_timezone_exits_3(folder, capsys, argv):
    assert main([*argv, str(folder)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "is not a time zone" in err and "IANA" in err and "Traceback" not in err and "report it" not in err


def test_cli_bad_timezone_in_bundle_json_exits_3(folder, capsys):
    (folder / "bundle.json").write_text('{"timezone": "Mars/Base"}', encoding="utf-8")
    assert main(["validate", str(folder)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "bundle.json" in err and "is not a time zone" in err and "report it" not in err


def test_cli_malformed_bundle_json_exits_3(folder, capsys):
    (folder / "bundle.json").write_text('{"timezone": "UTC",', encoding="utf-8")
    assert main(["validate", str(folder)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "bundle.json is not valid JSON" in err and "Traceback" not in err and "report it" not in err


def test_cli_missing_folder_exits_3(tmp_path, capsys):
    assert main(["summary", str(tmp_path / "absent")]) == EXIT_BAD_INPUT
    assert "is not a folder" in capsys.readouterr().err


def test_cli_out_inside_a_file_exits_3_before_reading_the_data(tmp_path, capsys, monkeypatch):
    (tmp_path / "blocker").write_text("not a folder")
    monkeypatch.setattr(cli, "_load", lambda *a, **k: pytest.fail("the data were read before --out was checked"))
    assert main(["report", "--out", str(tmp_path / "blocker" / "review.pptx")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "report it" not in err


def test_cli_csv_in_a_missing_folder_exits_3(folder, tmp_path, capsys):
    assert main(["validate", str(folder), "--csv", str(tmp_path / "nowhere" / "failures.csv")]) == EXIT_BAD_INPUT
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_cli_out_in_a_read_only_folder_exits_3(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["report", "--out", str(locked / "review.pptx")]) == EXIT_BAD_INPUT
        assert "no permission" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_cli_a_write_that_fails_exits_3(folder, tmp_path, capsys, monkeypatch):
    import salesmetrics.reports.deck as deck

    target = str(tmp_path / "failures.csv")

    def refuse(frame, path=None):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(deck, "to_csv", refuse)
    bad = pd.read_csv(folder / "opportunities.csv")
    bad.loc[0, "amount"] = -3
    bad.to_csv(folder / "opportunities.csv", index=False)
    assert main(["validate", str(folder), "--csv", target]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "could not be written (Permission denied)" in err and "report it" not in err


def test_cli_bad_out_suffix_and_bad_as_of_exit_3(folder, capsys):
    assert main(["report", str(folder), "--out", "review.docx"]) == EXIT_BAD_INPUT
    assert main(["summary", str(folder), "--as-of", "someday"]) == EXIT_BAD_INPUT
    assert "is not a date" in capsys.readouterr().err


def test_cli_usage_errors_exit_2(capsys):
    assert main(["validate", "--no-such-option", "x"]) == EXIT_USAGE
    assert main([]) == EXIT_USAGE
    assert "usage:" in capsys.readouterr().err
    console = subprocess.run([sys.executable, "-m", "salesmetrics", "summary", "--no-such-option"], capture_output=True, text=True)
    assert console.returncode == EXIT_USAGE and "unrecognized arguments" in console.stderr


def test_cli_help_exits_0(capsys):
    assert main(["--help"]) == EXIT_OK


def test_cli_version_is_the_package_version(capsys):
    """One version, written once (salesmetrics.__version__), reported by --version with exit code 0."""
    assert main(["--version"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == f"salesmetrics {sm.__version__}"


def test_cli_missing_extra_exits_2(folder, capsys, monkeypatch):
    def missing(*a, **k):
        raise errors.MissingDependencyError("'pptx' is needed for this feature but is not installed. "
                                            "Install it with: pip install 'salesmetrics[report]'")

    monkeypatch.setattr(cli, "_load", missing)
    assert main(["summary", str(folder)]) == EXIT_USAGE
    assert "pip install" in capsys.readouterr().err


def test_cli_missing_data_exits_3(folder, capsys, monkeypatch):
    def needs(*a, **k):
        return sm.SalesData().require("opportunities")

    monkeypatch.setattr(cli, "_load", needs)
    assert main(["diagnose", str(folder)]) == EXIT_BAD_INPUT
    assert "needs the opportunities table" in capsys.readouterr().err


@pytest.mark.parametrize("exc", [RuntimeError("boom"), ValueError("a bug, not bad input"), KeyError("k")])
def test_cli_internal_error_exits_1_with_the_traceback(folder, capsys, monkeypatch, exc):
    import salesmetrics.data

    def broken(*a, **k):
        raise exc

    if isinstance(exc, RuntimeError):
        monkeypatch.setattr(salesmetrics.data, "read_dir", broken)  # deep inside the command
    else:
        monkeypatch.setattr(cli, "_load", broken)  # a plain ValueError outside reading the folder is a bug
    assert main(["validate", str(folder)]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error" in err and "please report it" in err


def test_cli_messages_cannot_drive_the_terminal(folder, capsys):
    assert main(["--timezone", "Bad\x1b[2J\x07Zone", "validate", str(folder)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert cli.terminal_safe("a\x1b[31mb\nc\td") == "a\\x1b[31mb\nc\td"


def test_cli_out_without_write_permission_exits_3(tmp_path, capsys, monkeypatch):
    """The same check as above for runs as root, who may write anywhere: the folder's permission says no."""
    monkeypatch.setattr(cli.os, "access", lambda path, mode: False)
    assert main(["report", "--out", str(tmp_path / "review.pptx")]) == EXIT_BAD_INPUT
    assert "no permission to write in" in capsys.readouterr().err


@pytest.mark.parametrize(("module", "call", "extra"), [
    ("holidays", lambda: sm.BusinessCalendar("Asia/Seoul", country="KR"), "holidays"),
    ("matplotlib", lambda: sm.plot.win_rate(sm.win_rate(sm.load_sample())), "matplotlib"),
    ("plotly", lambda: sm.interactive.win_rate(sm.win_rate(sm.load_sample())), "plotly"),
])
def test_each_optional_extra_names_itself_when_missing(monkeypatch, module, call, extra):
    """Each extra is what people install: a missing plotting library names its own extra, and holidays (only
    country= needs it) is an extra too."""
    import sys

    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(sm.MissingDependencyError, match=rf"pip install 'salesmetrics\[{extra}\]'"):
        call()
    assert sm.BusinessCalendar("Asia/Seoul").tz == "Asia/Seoul"  # no country: no holidays package needed
