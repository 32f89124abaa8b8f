"""The "salesmetrics" logger: the decisions a scheduled job cannot see, silent unless the application asks."""

from __future__ import annotations

import logging
import warnings

import pandas as pd
import pytest

import salesmetrics as sm


def test_the_library_logs_nothing_unless_the_application_configures_logging(capsys):
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("salesmetrics").handlers)
    sm.load_sample()
    assert "as_of inferred" not in capsys.readouterr().err


def test_loading_logs_the_files_the_settings_and_where_as_of_came_from(caplog):
    with caplog.at_level(logging.INFO, logger="salesmetrics"):
        data = sm.load_sample()
        assert data.as_of is not None
    said = [r.getMessage() for r in caplog.records]
    assert "read_dir: opportunities from opportunities.csv (1978 rows)" in said
    assert "read_dir: timezone='America/New_York' (bundle.json)" in said
    assert "read_dir: fiscal_year_start=1 (default)" in said or "read_dir: fiscal_year_start=1 (bundle.json)" in said
    assert "as_of inferred: 2025-09-30 23:59:00-04:00, the latest event, from stage_history.entered_at" in said
    assert "activities: 48282 row(s) kept, 0 set aside by validation" in said


def test_rows_set_aside_are_logged_with_their_reasons(caplog):
    opps = pd.DataFrame({"opportunity_id": ["a", "b", "c"], "created_at": ["2025-01-01", "not a date", "2025-01-03"],
                         "status": "open"})
    with caplog.at_level(logging.INFO, logger="salesmetrics"), warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        sm.SalesData(opportunities=opps, on_invalid="quarantine", as_of="2025-02-01")
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert record.name == "salesmetrics.data"
    assert record.getMessage() == "opportunities: 1 row(s) quarantined; reasons: created_at: timestamp (1)"
    assert not any(r.getMessage().startswith("as_of inferred") for r in caplog.records)  # as_of was given


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"tz": "Asia/Seoul", "country": "KR"}, "business calendar: Asia/Seoul, 09:00–18:00 on Mon Tue Wed Thu Fri, holidays of KR"),
    ({"tz": "UTC", "holidays": ["2025-12-26"]},
     "business calendar: UTC, 09:00–18:00 on Mon Tue Wed Thu Fri, holidays of no country and 1 date(s) given"),
])
def test_the_business_calendar_used_is_logged(caplog, kwargs, expected):
    with caplog.at_level(logging.INFO, logger="salesmetrics"):
        sm.BusinessCalendar(**kwargs)
    assert expected in [r.getMessage() for r in caplog.records]
