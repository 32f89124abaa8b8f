"""Exports without the reps columns a sign needs, and reporting as of a chosen date.

The fixture is what a RevOps analyst meets first: a reps export with only ``rep_id``, ``team`` and
``manager_id`` (the managers are not reps themselves), plus the opportunities. Rep turnover cannot be
measured without ``terminated_at`` (it is unknown, not 0%), unclear roles not without ``role``; the
diagnosis says so as ``info`` rows naming the column and the fix, and the functions called directly
raise. ``--as-of`` / ``as_of=`` move the reporting date of ``summary``, ``diagnose`` and ``report``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.data._lookups import NO_GROUP
from salesmetrics.formatting import sign_overview
from salesmetrics.reports.cli import headline, main
from salesmetrics.reports.deck import review

QUARTERS = 9  # 2024Q1 .. 2026Q1
FLAT, FALLING = (40, 16), [(40, 12), (40, 8), (40, 4)]  # (created, won) per quarter; six flat, then three falling


def _opportunities() -> pd.DataFrame:
    """Six quarters at 40 deals created and 16 won at $10k, then 12, 8, 4 won: bookings 160k x6, 120k, 80k, 40k.

    Each deal closes five days after it opens, in the quarter it opens. A last open deal created on
    2026-03-31 dates the export to the end of 2026Q1. Owners rotate over r1..r4; every tenth deal is
    owned by r9, who is not in the reps export (an unresolved reference, kept)."""
    rows = []
    for q, (created, won) in enumerate([FLAT] * 6 + FALLING):
        start = pd.Period("2024Q1", "Q") + q
        for i in range(created):
            day = start.start_time + pd.Timedelta(days=1 + i % 60)
            rows.append({"opportunity_id": f"o{q}-{i}", "created_at": f"{day:%Y-%m-%d}",
                         "closed_at": f"{day + pd.Timedelta(days=5):%Y-%m-%d}", "status": "won" if i < won else "lost",
                         "amount": "10000", "account_id": f"a{i % 3 + 1}", "owner_id": "r9" if i % 10 == 9 else f"r{i % 4 + 1}"})
    rows.append({"opportunity_id": "o-open", "created_at": "2026-03-31", "closed_at": "", "status": "open", "amount": "5000",
                 "account_id": "a1", "owner_id": "r1"})
    return pd.DataFrame(rows)


REPS = pd.DataFrame({"rep_id": ["r1", "r2", "r3", "r4"], "team": ["East", "East", "West", "West"],
                     "manager_id": ["<i>Ann</i>", "<i>Ann</i>", "Bo", "Bo"]})
ACCOUNTS = pd.DataFrame({"account_id": ["a1", "a2", "a3"], "segment": ["SMB", "SMB", "Enterprise"]})


@pytest.fixture(scope="module")
def managers_not_reps() -> sm.SalesData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        return sm.SalesData(opportunities=_opportunities(), reps=REPS, accounts=ACCOUNTS)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The same export as CSV files, plus one deal closed before it was created (quarantined)."""
    path = tmp_path_factory.mktemp("export")
    opps = _opportunities()
    bad = {"opportunity_id": "o-bad", "created_at": "2025-05-10", "closed_at": "2025-05-01", "status": "lost", "amount": "1",
           "account_id": "a1", "owner_id": "r1"}
    pd.concat([opps, pd.DataFrame([bad])], ignore_index=True).to_csv(path / "opportunities.csv", index=False)
    REPS.to_csv(path / "reps.csv", index=False)
    ACCOUNTS.to_csv(path / "accounts.csv", index=False)
    return path


def _rows(found: pd.DataFrame, sign: str) -> pd.DataFrame:
    return found[found["sign"] == sign]


# ---------------------------------------------------------------------------------------------------------
# diagnose: not assessed, and why
# ---------------------------------------------------------------------------------------------------------


def test_diagnose_says_rep_turnover_and_roles_cannot_be_assessed_naming_the_column(managers_not_reps):
    found = sm.diagnose(managers_not_reps)
    turnover = _rows(found, "rep_turnover")
    assert turnover["severity"].tolist() == ["info"] and turnover["metric"].tolist() == ["not_assessed"]
    assert "terminated_at" in turnover["evidence"].iloc[0] and "not 0%" in turnover["evidence"].iloc[0]
    assert "Add terminated_at to reps" in turnover["evidence"].iloc[0]
    roles = _rows(found, "unclear_roles")  # both what is missing: the activities table and reps.role
    assert (roles["severity"] == "info").all() and len(roles) == 2
    assert any("no activities table" in e for e in roles["evidence"]) and any("no role column" in e for e in roles["evidence"])
    # the decline is measured (the reps columns do not matter to it) and found
    decline = _rows(found, "declining_sales")
    assert decline["severity"].iloc[0] == "critical" and "company" in set(decline["scope"])


def test_every_sign_is_accounted_for_and_not_assessed_is_never_no_sign(managers_not_reps):
    found = sm.diagnose(managers_not_reps, as_of="2025-06-30")  # before the fall: declining sales assessed, no sign
    assert _rows(found, "declining_sales").empty
    overview = {sign: shown for sign, _name, _worst, shown in sign_overview(found)}
    assert overview["declining_sales"] == "no sign"
    # not assessed, and what to add, from the findings themselves (diagnose records it in attrs["needs"])
    assert {s: overview[s] for s in ("rep_turnover", "unclear_roles", "market_response", "customer_satisfaction")} == {
        "rep_turnover": "not assessed: add reps.terminated_at", "unclear_roles": "not assessed: add the activities table, reps.role",
        "market_response": "not assessed: add the leads table", "customer_satisfaction": "not assessed: add the surveys table"}


def test_the_not_assessed_rows_are_translated(managers_not_reps):
    found = sm.diagnose(managers_not_reps, lang="ko")
    evidence = _rows(found, "rep_turnover")["evidence"].iloc[0]
    assert "terminated_at" in evidence and "평가할 수 없습니다" in evidence and "Cannot" not in evidence


def test_a_role_column_empty_in_every_row_is_not_assessed_either(managers_not_reps):
    activities = pd.DataFrame({"activity_id": ["x1"], "owner_id": ["r1"], "occurred_at": ["2026-01-05"], "opportunity_id": ["o8-0"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = sm.SalesData(opportunities=_opportunities(), reps=REPS.assign(role=None, terminated_at=None), accounts=ACCOUNTS,
                            activities=activities)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DefinitionWarning)  # no hire dates: said, and tested, below
        found = sm.diagnose(data, as_of="2026-03-31")
    roles = _rows(found, "unclear_roles")
    assert roles["severity"].tolist() == ["info"] and "reps.role is empty in every row" in roles["evidence"].iloc[0]
    # terminated_at is there, empty: nobody left, which is an answer, so turnover is assessed (no info row)
    assert not (_rows(found, "rep_turnover")["severity"] == "info").any()


# ---------------------------------------------------------------------------------------------------------
# the functions called directly
# ---------------------------------------------------------------------------------------------------------


def test_rep_turnover_and_role_clarity_raise_naming_table_column_and_fix(managers_not_reps):
    with pytest.raises(ValueError, match=r"the reps table has no terminated_at column.*Fix: add terminated_at to reps"):
        sm.rep_turnover(managers_not_reps)
    activities = pd.DataFrame({"activity_id": ["x1"], "owner_id": ["r1"], "occurred_at": ["2026-01-05"], "opportunity_id": ["o8-0"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = sm.SalesData(opportunities=_opportunities(), reps=REPS, accounts=ACCOUNTS, activities=activities)
    with pytest.raises(ValueError, match=r"the reps table has no role column.*Fix: add role to reps"):
        sm.role_clarity(data)


def test_rep_turnover_without_hire_dates_counts_reps_from_the_window_start():
    """Four East reps and four West reps, no hire dates; two East reps leave on 2025-07-01 (window 2025Q1–Q4).
    East headcount at month starts: 4 for Jan..Jul (the 1 July leavers are gone on 1 July: 4 for Jan..Jun), then 2:
    (6 x 4 + 6 x 2) / 12 = 3.0; attrition 2 / 3.0 a year. Tenure at exit is unknown, not made up."""
    reps = pd.DataFrame({"rep_id": [f"e{i}" for i in range(4)] + [f"w{i}" for i in range(4)], "team": ["East"] * 4 + ["West"] * 4,
                         "terminated_at": ["2025-07-01", "2025-07-01", None, None] + [None] * 4})
    data = sm.SalesData(reps=reps)
    with pytest.warns(sm.DefinitionWarning, match="no hired_at column"):
        table, _ = sm.rep_turnover(data, as_of="2025-12-31")
    east = table[(table["scope_type"] == "team") & (table["scope"] == "East")].iloc[0]
    assert east["avg_headcount"] == 3.0 and east["departures"] == 2 and east["attrition"] == pytest.approx(2 / 3.0)
    assert (east["headcount_start"], east["headcount_end"]) == (4, 2) and pd.isna(east["median_tenure_months"])


def test_unknown_accounts_are_never_a_finding_scope():
    """Deals whose account is not in the accounts export fall from 40 won a quarter to 4; the one known account is flat.
    The company declines (it holds every deal), but "(unknown)" is not a segment to name."""
    rows = []
    for q in range(8):
        start = pd.Period("2024Q1", "Q") + q
        unknown_won = 40 if q < 5 else [20, 10, 4][q - 5]
        for i in range(unknown_won + 10):
            day = start.start_time + pd.Timedelta(days=1 + i % 60)
            rows.append({"opportunity_id": f"o{q}-{i}", "created_at": day, "closed_at": day + pd.Timedelta(days=5), "status": "won",
                         "amount": 1000.0, "account_id": "a1" if i < 10 else "elsewhere"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = sm.SalesData(opportunities=pd.DataFrame(rows), accounts=pd.DataFrame({"account_id": ["a1"], "segment": ["SMB"]}))
    table, findings = sm.sales_decline(data, as_of="2025-12-31")
    assert "company" in findings["scope"].tolist()
    assert not findings["scope"].isin(NO_GROUP).any()  # never a finding's scope ...
    assert "(unknown)" in set(table["scope"]) and "SMB" in set(table["scope"])  # ... but in the table, so groups add up
    company = table[table["scope_type"] == "company"].set_index("period")["bookings"]
    assert table[table["scope_type"] != "company"].groupby("period")["bookings"].sum().equals(company)


# ---------------------------------------------------------------------------------------------------------
# reporting as of a date
# ---------------------------------------------------------------------------------------------------------


def test_report_as_of_chooses_the_last_complete_quarter_at_that_date(managers_not_reps):
    assert review(managers_not_reps)[0].title == "Quarterly sales review, 2026Q1"  # the data's as_of, 2026-03-31
    assert review(managers_not_reps, as_of="2025-08-15")[0].title == "Quarterly sales review, 2025Q2"
    assert review(managers_not_reps, as_of="2025-09-30")[0].title == "Quarterly sales review, 2025Q3"  # its last day counts
    with pytest.raises(ValueError, match="starts after as_of"):
        review(managers_not_reps, quarter="2025Q4", as_of="2025-08-15")


def test_report_pages_for_signs_not_assessed_say_why_and_quality_page_lists_references(managers_not_reps, tmp_path):
    slides = review(managers_not_reps, as_of="2025-06-30")
    pages = {s.title: s for s in slides}
    turnover = pages["Sign 2: Rep turnover"]
    assert turnover.subtitle == "not assessed: add reps.terminated_at" and "terminated_at" in turnover.bullets[0] and not turnover.charts
    assert pages["Sign 1: Declining sales"].bullets[0] == "No sign at warning level or above."  # then what would count
    quality = pages["Data quality"]
    assert "figures as of 2025-06-30" in quality.subtitle  # the review's date, as on its title page
    assert "2026-03-31 (the latest 'created' date in opportunities)" in quality.notes[0]  # the open deal of 2026-03-31, said apart
    assert any(b.startswith("reps.manager_id: 4 row(s) refer to 2 id(s)") for b in quality.bullets)
    assert any(b.startswith("opportunities.owner_id: 36 row(s)") for b in quality.bullets)
    (page,) = sm.report(managers_not_reps, as_of="2025-06-30", out=tmp_path / "r.html")
    html = page.read_text(encoding="utf-8")
    assert "<i>Ann</i>" not in html and "&lt;i&gt;Ann&lt;/i&gt;" in html


def test_headline_says_reps_in_post_is_not_measured_without_hire_dates(managers_not_reps):
    kpis = headline(managers_not_reps, "2025-06-30")
    assert kpis.attrs["quarter"] == "2025Q2"
    assert kpis.loc[["reps in post at as_of", "reps who left in the quarter"], "value"].isna().all()
    assert "hired_at" in kpis.attrs["notes"]["reps in post at as_of"]
    # deals won in 2025Q2 by 2025-06-30: the sixth flat quarter
    assert kpis.loc["deals won", "value"] == 16


# ---------------------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------------------


def test_cli_summary_shows_as_of_source_quarantine_share_and_unresolved_references(folder, capsys):
    assert main(["summary", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "as_of 2026-03-31 00:00 UTC, set by the latest opportunities.created_at" in out  # the open deal
    assert "opportunities: 1 of 362 rows (0.3%); top reasons: closed_at: closed_not_before_created (1)" in out
    assert "unresolved references" in out and "reps.manager_id: 4 row(s) refer to 2 id(s) not in reps.rep_id" in out
    assert "not measured: the reps table has no hired_at or terminated_at column" in out
    assert "Headline for 2026Q1" in out

    assert main(["summary", str(folder), "--as-of", "2025-06-30"]) == 0
    out = capsys.readouterr().out
    assert "as_of 2025-06-30 00:00 UTC, given with --as-of" in out and "Headline for 2025Q2" in out
    assert main(["summary", str(folder), "--as-of", "not a date"]) == 3


def test_cli_refuses_a_table_whose_every_row_was_set_aside(folder, tmp_path, capsys):
    # the same export, but every account's created_at unreadable: the accounts table is set aside whole
    for name in ("opportunities.csv", "reps.csv"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    ACCOUNTS.assign(created_at="not a date").to_csv(tmp_path / "accounts.csv", index=False)
    n = len(ACCOUNTS)
    for command in ("diagnose", "report"):
        assert main([command, str(tmp_path), "--out", str(tmp_path / "r.pptx")] if command == "report" else [command, str(tmp_path)]) == 3
        err = capsys.readouterr().err
        assert f"accounts: all {n:,} rows" in err and f"salesmetrics validate {tmp_path}" in err
        assert not (tmp_path / "r.pptx").exists()
    # summary shows the data and why, then says so and exits 3 (no headline computed on what is left)
    assert main(["summary", str(tmp_path)]) == 3
    captured = capsys.readouterr()
    assert f"accounts: {n:,} of {n:,} rows (100.0%)" in captured.out and "Headline" not in captured.out
    assert "set aside" in captured.err
    # one row set aside of many is not refused (the folder fixture: 1 of 362 deals)
    assert main(["diagnose", str(folder)]) == 0


def test_cli_diagnose_as_of_moves_the_assessment(folder, capsys):
    assert main(["diagnose", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "[CRITICAL] declining_sales · company\n" in out  # the scope once, not "company company"
    assert "[INFO] rep_turnover" in out and "terminated_at" in out
    assert main(["diagnose", str(folder), "--as-of", "2025-06-30"]) == 0
    out = capsys.readouterr().out
    assert "[CRITICAL] declining_sales" not in out and "[OK] declining_sales" in out and "[INFO] rep_turnover" in out


def test_cli_report_as_of(folder, tmp_path, capsys):
    out = tmp_path / "review.html"
    assert main(["report", str(folder), "--as-of", "2025-08-15", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert "Quarterly sales review, 2025Q2" in page and "[OK] declining_sales" in printed
    assert main(["report", str(folder), "--as-of", "2025-08-15", "--quarter", "2025Q4", "--out", str(out)]) == 3


def test_the_fix_for_a_missing_column_never_names_another_canonical_column():
    """Dropping account_id used to suggest columns={'amount': 'account_id'} (close in spelling, but amount is itself
    required): a fix that would break another column. It now names no column, only what is there."""
    import salesmetrics as sm

    subs = pd.DataFrame({"subscription_id": ["s1"], "start_date": ["2025-01-01"], "amount": [10]})
    with pytest.raises(sm.InputValidationError) as err:
        sm.SalesData(subscriptions=subs)
    assert "subscriptions.account_id [missing_column]. Fix: add a 'account_id' column" in str(err.value)
    assert "{'amount': 'account_id'}" not in str(err.value)
