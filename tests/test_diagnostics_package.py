"""The reorg diagnostics as a package (one module per sign), and ``freq=None`` in every detector.

``freq=None`` means all time everywhere in the library. Every detector compares periods, so all time has
nothing to compare: each returns one "not assessed" finding saying so (never "no sign"), in the caller's
language, and a table with its usual columns and no rows.
"""

from __future__ import annotations

import importlib
import inspect
import re
import warnings

import pandas as pd
import pytest

import salesmetrics as sm
import salesmetrics.diagnostics as diagnostics
from salesmetrics.diagnostics import FINDING_COLUMNS, SIGNS
from salesmetrics.formatting import sign_overview
from salesmetrics.i18n import text

DETECTORS = {"sales_decline": "declining_sales", "rep_turnover": "rep_turnover", "role_clarity": "unclear_roles",
             "market_response": "market_response", "customer_satisfaction": "customer_satisfaction"}
PUBLIC = ["FINDING_COLUMNS", "RECOMMENDATIONS", "SIGNS", "Assessment", "customer_satisfaction", "diagnose",
          "market_response", "rep_turnover", "role_clarity", "sales_decline"]
HANGUL = re.compile("[\uac00-\ud7a3]")


def _quietly(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sample's data-quality notes are not the point here
        return fn(*args, **kwargs)


# -- freq=None ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DETECTORS)
def test_a_detector_over_all_time_is_not_assessed_and_says_why(name, sample):
    usual = _quietly(getattr(sm, name), sample)
    whole = _quietly(getattr(sm, name), sample, freq=None)
    assert isinstance(whole, diagnostics.Assessment)
    findings = whole.findings
    assert list(findings.columns) == FINDING_COLUMNS
    assert findings["sign"].tolist() == [DETECTORS[name]]
    assert findings["severity"].tolist() == ["info"] and findings["metric"].tolist() == ["not_assessed"]
    evidence = findings["evidence"].item()
    assert evidence.startswith(f"{name} compares periods; freq=None (all time) has only one")
    assert "Pass freq='M', 'Q' or 'Y'." in evidence
    assert findings["recommendation"].item() == diagnostics.RECOMMENDATIONS[DETECTORS[name]]
    # the table: the usual columns, no rows, and it says it is all time
    assert list(whole.table.columns) == list(usual.table.columns)
    assert len(whole.table) == 0 and len(usual.table) > 0
    assert whole.table.attrs["freq"] is None
    assert "no sign" not in repr(whole) and "1 info" in repr(whole)


@pytest.mark.parametrize("name", DETECTORS)
def test_a_detector_over_all_time_speaks_the_callers_language(name, sample):
    whole = _quietly(getattr(sm, name), sample, freq=None, lang="ko")
    evidence = whole.findings["evidence"].item()
    assert HANGUL.search(evidence), evidence
    assert name in evidence and "freq=None" in evidence
    assert text(f"sign.{DETECTORS[name]}", "ko") in evidence
    assert whole.findings["recommendation"].item() == text(f"rec.{DETECTORS[name]}", "ko")


def test_the_grouping_column_is_kept_over_all_time(sample):
    """market_response and customer_satisfaction name their table's group column after ``by``."""
    for name, by in [("market_response", "source"), ("customer_satisfaction", "segment"), ("customer_satisfaction", None)]:
        usual = _quietly(getattr(sm, name), sample, by=by)
        whole = _quietly(getattr(sm, name), sample, by=by, freq=None)
        assert list(whole.table.columns) == list(usual.table.columns) and whole.table.empty, (name, by)


def test_customer_satisfaction_over_all_time_says_why_the_churn_link_is_missing(sample):
    table = _quietly(sm.customer_satisfaction, sample, freq=None).table
    assert table.attrs["churn_relative_risk"] == {} and table.attrs["churn_horizon_months"] == 6
    assert "compares periods" in table.attrs["churn_link_note"]


def test_diagnose_over_all_time_gives_five_not_assessed_rows(sample):
    found = _quietly(sm.diagnose, sample, freq=None)
    assert list(found.columns) == FINDING_COLUMNS
    assert sorted(found["sign"]) == sorted(SIGNS) and len(found) == 5
    assert (found["severity"] == "info").all() and (found["metric"] == "not_assessed").all()
    assert found["evidence"].str.contains("compares periods; freq=None (all time)", regex=False).all()
    ko = _quietly(sm.diagnose, sample, freq=None, lang="ko")
    assert ko["evidence"].map(lambda e: bool(HANGUL.search(e))).all()
    assert ko[["sign", "severity", "metric"]].equals(found[["sign", "severity", "metric"]])  # same findings in every language
    overview = sign_overview(found)
    assert [row[3] for row in overview] == [text("chart.not_assessed", "en")] * 5  # not assessed, never "no sign"


def test_diagnose_over_all_time_still_names_what_is_missing(sample):
    """A missing table is still the reason given for that sign; the others say they compare periods."""
    tables = {name: frame for name, frame in sample.tables.items() if name != "surveys"}
    found = _quietly(sm.diagnose, sm.SalesData(**tables), freq=None)
    csat = found[found["sign"] == "customer_satisfaction"]
    assert csat["evidence"].str.contains("surveys").all()
    others = found[found["sign"] != "customer_satisfaction"]
    assert len(others) == 4 and others["evidence"].str.contains("compares periods").all()


@pytest.mark.parametrize("name", [*DETECTORS, "diagnose"])
def test_freq_none_is_documented(name):
    fn = getattr(sm, name)
    assert inspect.signature(fn).parameters["freq"].default == "Q"
    assert 'freq : {"Q", "M", "Y"} or None, default "Q"' in (fn.__doc__ or "")
    assert "None: all time" in (fn.__doc__ or "")


def test_other_periods_still_checked(sample):
    with pytest.raises(ValueError, match="freq must be"):
        _quietly(sm.sales_decline, sample, freq="W")


# -- the package ----------------------------------------------------------------------------------------------


def test_one_module_per_sign():
    modules = {"_common", "_diagnose", "_declining_sales", "_rep_turnover", "_unclear_roles", "_market_response",
               "_customer_satisfaction"}
    for module in modules:
        importlib.import_module(f"salesmetrics.diagnostics.{module}")
    assert diagnostics.__path__  # a package, not one module
    # each public function lives in its sign's module; no module is named like a public function
    assert sm.sales_decline.__module__ == "salesmetrics.diagnostics._declining_sales"
    assert sm.rep_turnover.__module__ == "salesmetrics.diagnostics._rep_turnover"
    assert sm.role_clarity.__module__ == "salesmetrics.diagnostics._unclear_roles"
    assert sm.market_response.__module__ == "salesmetrics.diagnostics._market_response"
    assert sm.customer_satisfaction.__module__ == "salesmetrics.diagnostics._customer_satisfaction"
    assert sm.diagnose.__module__ == "salesmetrics.diagnostics._diagnose"
    assert not modules & set(PUBLIC)
    for name in [*DETECTORS, "diagnose"]:  # with every submodule imported, the package's names are still the functions
        assert inspect.isfunction(getattr(diagnostics, name)), name


def test_the_public_names_are_importable_from_the_package_and_from_salesmetrics():
    assert diagnostics.__all__ == PUBLIC
    for name in PUBLIC:
        assert getattr(diagnostics, name) is not None
    for name in [*DETECTORS, "diagnose"]:
        assert getattr(sm, name) is getattr(diagnostics, name)
    assert diagnostics.SIGNS == SIGNS and set(diagnostics.RECOMMENDATIONS) == set(SIGNS)
    assert diagnostics.__doc__ and diagnostics.__doc__.startswith("Reorg diagnostics: the five signs")


def test_the_helpers_are_still_importable_from_the_package():
    """Code written against the one-module version (``from salesmetrics.diagnostics import _word``) keeps working."""
    from salesmetrics.diagnostics import (  # noqa: F401
        _bookings_by,
        _by_problem,
        _column_gaps,
        _finding,
        _findings,
        _gap_sentence,
        _not_assessed,
        _require_columns,
        _sign_name,
        _sla_consequence,
        _word,
    )

    assert _word("M", "en") == "month"
    row = _not_assessed("rep_turnover", "why", "en")
    assert row["severity"] == "info" and row["metric"] == "not_assessed"
    assert isinstance(_findings([row]), pd.DataFrame)


def test_the_refactor_keeps_the_findings(sample):
    """A spot check against the doctests' figures, from the package's functions."""
    _, findings = _quietly(sm.market_response, sample)
    assert findings[["severity", "scope"]].values.tolist() == [["critical", "Digital Native"]]
    _, findings = _quietly(sm.rep_turnover, sample)
    assert findings.loc[findings["metric"] == "attrition", "scope"].tolist() == ["SDR"]
