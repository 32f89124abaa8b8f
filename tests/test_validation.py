"""SalesData, conform and read_dir: coercion, lazy validation, references, quarantine."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesmetrics as sm
from salesmetrics.schemas import Opportunities


def test_valid_bundle_is_coerced(tables):
    data = sm.SalesData(**tables, timezone="Asia/Seoul")
    assert data.quarantine == {}
    assert len(data.failure_cases) == 0
    opp = data.opportunities
    assert str(opp[Opportunities.created_at].dtype) == "datetime64[ns, Asia/Seoul]"
    assert opp[Opportunities.amount].tolist() == [12000.0, 5000.5, 800.0]
    # optional columns are added with their defaults: missing currency is the bundle's
    assert opp["currency"].tolist() == ["USD"] * 3
    assert data.subscriptions["billing_months"].tolist() == [1, 12]
    assert data.activities["automated"].tolist() == [False, False]
    assert data.surveys["kind"].tolist() == ["csat", "nps"]  # case normalised
    assert data.spend["amount"].tolist() == [1500.0, 2000.0]  # thousands separator read
    assert str(data.subscriptions["start_date"].dtype) == "datetime64[ns]"


def test_naive_times_are_read_in_the_bundle_zone_and_aware_ones_converted():
    opps = pd.DataFrame({"opportunity_id": ["a", "b"], "created_at": ["2025-03-31 23:30", "2025-03-31 23:30"],
                         "status": ["open", "open"]})
    seoul = sm.SalesData(opportunities=opps, timezone="Asia/Seoul").opportunities["created_at"]
    assert seoul.iloc[0] == pd.Timestamp("2025-03-31 23:30", tz="Asia/Seoul")
    aware = opps.assign(created_at=["2025-03-31T23:30:00Z", "2025-03-31T23:30:00+00:00"])
    converted = sm.SalesData(opportunities=aware, timezone="Asia/Seoul").opportunities["created_at"]
    # 23:30 UTC is 08:30 the next day in Seoul (UTC+9)
    assert converted.tolist() == [pd.Timestamp("2025-04-01 08:30", tz="Asia/Seoul")] * 2
    # Python datetimes with a zone, in an object column
    objs = opps.assign(created_at=pd.Series([pd.Timestamp("2025-03-31 23:30", tz="UTC").to_pydatetime()] * 2, dtype=object))
    assert sm.SalesData(opportunities=objs, timezone="Asia/Seoul").opportunities["created_at"].iloc[0].hour == 8


def _mutate(tables, table, column, row, value):
    df = tables[table].copy()
    df[column] = df[column].astype(object)
    df.loc[row, column] = value
    tables[table] = df
    return tables


MALFORMED = {
    "missing column": (lambda t: t.update(opportunities=t["opportunities"].drop(columns="status")) or t, "opportunities", "status", "missing_column"),
    "wrong type": (lambda t: _mutate(t, "opportunities", "amount", 1, "twelve"), "opportunities", "amount", "number"),
    "duplicate id": (lambda t: _mutate(t, "accounts", "account_id", 2, "a1"), "accounts", "account_id", "unique"),
    "negative amount": (lambda t: _mutate(t, "subscriptions", "amount", 0, "-10"), "subscriptions", "amount", "not_negative"),
    "closed before created": (lambda t: _mutate(t, "opportunities", "closed_at", 0, "2024-12-31"), "opportunities", "closed_at", "closed_not_before_created"),
    "closed_at on an open deal": (lambda t: _mutate(t, "opportunities", "closed_at", 2, "2025-04-01"), "opportunities", "closed_at", "closed_at_set_iff_closed"),
    "unknown status": (lambda t: _mutate(t, "opportunities", "status", 1, "stalled"), "opportunities", "status", "allowed_values"),
    "end before start": (lambda t: _mutate(t, "subscriptions", "end_date", 0, "2025-01-01"), "subscriptions", "end_date", "end_after_start"),
    "dangling reference": (lambda t: _mutate(t, "opportunities", "account_id", 1, "a404"), "opportunities", "account_id", "foreign_key"),
    "mixed naive and aware": (lambda t: _mutate(t, "leads", "created_at", 0, "2025-01-02T09:00:00+09:00"), "leads", "created_at", "timezone_mixed"),
    "empty table": (lambda t: t.update(reps=t["reps"].iloc[0:0]) or t, "reps", "*", "empty_table"),
    "billing months below 1": (lambda t: _mutate(t, "subscriptions", "billing_months", 0, "0"), "subscriptions", "billing_months", "billing_months_positive"),
    "fractional billing months": (lambda t: _mutate(t, "subscriptions", "billing_months", 0, "1.5"), "subscriptions", "billing_months", "integer"),
    "csat out of range": (lambda t: _mutate(t, "surveys", "score", 0, "7"), "surveys", "score", "score_in_range_for_kind"),
    "activity linked to nothing": (lambda t: _mutate(t, "activities", "lead_id", 0, None), "activities", "lead_id|opportunity_id|account_id", "linked_to_lead_opportunity_or_account"),
    "rep leaves before hire": (lambda t: _mutate(t, "reps", "terminated_at", 1, "2023-01-01"), "reps", "terminated_at", "terminated_not_before_hired"),
    "bad currency code": (lambda t: _mutate(t, "subscriptions", "currency", 0, "dollars"), "subscriptions", "currency", "format"),
    "currency without fx rate": (lambda t: _mutate(t, "subscriptions", "currency", 0, "KRW"), "subscriptions", "currency", "missing_fx_rate"),
    "bad target period": (lambda t: _mutate(t, "targets", "period", 0, "Q3 2025"), "targets", "period", "format"),
    "unknown target scope": (lambda t: _mutate(t, "targets", "scope", 0, "Martians"), "targets", "scope", "unknown_scope"),
    "unreadable date": (lambda t: _mutate(t, "subscriptions", "start_date", 0, "someday"), "subscriptions", "start_date", "date"),
    "missing required value": (lambda t: _mutate(t, "leads", "created_at", 1, None), "leads", "created_at", "missing_value"),
    "bad boolean": (lambda t: _mutate(t, "activities", "automated", 0, "maybe"), "activities", "automated", "boolean"),
}


# references to rows the export does not hold are kept by default (see test_real_exports.py); strict refuses them
STRICT_ONLY = {"dangling reference", "unknown target scope"}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_each_malformed_input_names_table_and_column(tables, case):
    mutate, table, column, check = MALFORMED[case]
    bad = mutate(dict(tables))
    with pytest.raises(sm.InputValidationError) as info:
        sm.SalesData(**bad, references="strict" if case in STRICT_ONLY else "keep")
    err = info.value
    fc = err.failure_cases
    assert list(fc.columns) == ["table", "column", "check", "row", "value", "fix"]
    hit = fc[(fc["table"] == table) & (fc["column"] == column) & (fc["check"] == check)]
    assert len(hit) >= 1, fc
    assert f"{table}.{column}" in str(err)
    assert hit["fix"].str.len().min() > 10  # every failure says how to fix it
    assert isinstance(err, ValueError)


def test_missing_column_suggests_the_rename(tables):
    opps = tables["opportunities"].rename(columns={"closed_at": "Close Date", "created_at": "Created Date"})
    with pytest.raises(sm.InputValidationError) as info:
        sm.SalesData(opportunities=opps)
    assert "pass columns={'Created Date': 'created_at'}" in str(info.value)


def test_validation_is_lazy_every_failure_at_once(tables):
    t = _mutate(dict(tables), "opportunities", "amount", 0, "-1")
    t = _mutate(t, "opportunities", "status", 1, "maybe")
    t = _mutate(t, "accounts", "account_id", 1, "a1")
    with pytest.raises(sm.InputValidationError) as info:
        sm.SalesData(**t)
    checks = set(zip(info.value.failure_cases["table"], info.value.failure_cases["check"], strict=True))
    assert {("opportunities", "not_negative"), ("opportunities", "allowed_values"), ("accounts", "unique")} <= checks


def test_quarantine_keeps_exactly_the_valid_rows_and_accounts_for_the_rest(tables):
    t = _mutate(dict(tables), "accounts", "account_id", 2, "a1")  # a1 twice: both copies are suspect
    t = _mutate(t, "opportunities", "amount", 1, "-5")
    with pytest.warns(sm.DataQualityWarning, match="more than 5%"):
        data = sm.SalesData(**t, on_invalid="quarantine", references="strict")
    assert data.accounts["account_id"].tolist() == ["a2"]
    q = data.quarantine["accounts"]
    assert q["row"].tolist() == [0, 2] and set(q["reason"]) == {"account_id: unique"}
    # cascade: o1 and o3 reference quarantined accounts (a1, a3 -> "a1"), o2 is invalid itself
    assert data.opportunities.empty
    reasons = dict(zip(data.quarantine["opportunities"]["opportunity_id"], data.quarantine["opportunities"]["reason"], strict=True))
    assert reasons["o2"] == "amount: not_negative"
    assert reasons["o1"] == "account_id: foreign_key"
    # every input row is either kept or quarantined, never both, never lost
    for name, df in t.items():
        kept = len(data.tables[name])
        held = len(data.quarantine.get(name, []))
        assert kept + held == len(df), name
    assert data.summary().loc["accounts", "quarantined"] == 2


def test_structural_problems_raise_even_in_quarantine_mode(tables):
    with pytest.raises(sm.InputValidationError, match=r"opportunities\.status"):
        sm.SalesData(opportunities=tables["opportunities"].drop(columns="status"), on_invalid="quarantine")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    corrupt=st.lists(st.tuples(st.integers(0, 199), st.sampled_from(["amount", "status", "closed_at", "opportunity_id", "created_at"])), max_size=30),
    seed=st.integers(0, 10_000),
)
def test_property_quarantine_partitions_rows(corrupt, seed):
    rng = np.random.default_rng(seed)
    n = 200
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    status = rng.choice(["open", "won", "lost"], n)
    closed = [str(c + pd.Timedelta(days=int(d))) if s != "open" else None for c, s, d in zip(created, status, rng.integers(0, 90, n), strict=True)]
    df = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(n)], "created_at": created.astype(str), "status": status,
                       "closed_at": closed, "amount": rng.integers(0, 10_000, n).astype(str)}).astype(object)
    bad_value = {"amount": "-1", "status": "unknown", "closed_at": "1999-01-01", "opportunity_id": "o0", "created_at": "not a date"}
    for row, col in corrupt:
        df.loc[row, col] = bad_value[col]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = sm.SalesData(opportunities=df, on_invalid="quarantine")
    kept = data.opportunities
    held = data.quarantine.get("opportunities", pd.DataFrame(columns=["row"]))
    assert len(kept) + len(held) == n
    # the kept rows are valid on their own: validating them again raises nothing and keeps them all
    again = sm.SalesData(opportunities=kept)
    assert len(again.opportunities) == len(kept)
    # a row is quarantined exactly when it was corrupted, or when it is row 0 and another row took its id
    expected = {r for r, c in corrupt if not (c == "opportunity_id" and r == 0)}
    if any(c == "opportunity_id" and r != 0 for r, c in corrupt):
        expected.add(0)
    assert set(held["row"]) == expected


def test_conform_renames_recodes_and_coerces():
    raw = pd.DataFrame({"Deal": ["D-1", "D-2"], "Opened": ["2025-07-01", "2025-07-03"], "Stage": ["Closed Won", "Pipeline"],
                        "Close Date": ["2025-08-15", None], "Value": ["$12,000", "3500"]})
    opps = sm.conform(raw, "opportunities", columns={"Deal": "opportunity_id", "Opened": "created_at", "Stage": "status",
                                                      "Close Date": "closed_at", "Value": "amount"},
                      values={"status": {"Pipeline": "open"}}, timezone="Europe/Berlin")
    assert opps["status"].tolist() == ["won", "open"]
    assert opps["amount"].tolist() == [12000.0, 3500.0]
    assert str(opps["created_at"].dtype) == "datetime64[ns, Europe/Berlin]"
    with pytest.raises(sm.InputValidationError, match="Deal ID"):
        sm.conform(raw, "opportunities", columns={"Deal ID": "opportunity_id"})
    with pytest.raises(ValueError, match="unknown table"):
        sm.conform(raw, "deals")


def test_read_dir_csv_and_parquet(tmp_path: Path, tables):
    for name, df in tables.items():
        if name == "opportunities":
            df.rename(columns={"opportunity_id": "Deal ID"}).to_parquet(tmp_path / f"{name}.parquet")
        else:
            df.to_csv(tmp_path / f"{name}.csv", index=False)
    (tmp_path / "notes.xlsx").write_text("x")
    (tmp_path / "bundle.json").write_text('{"timezone": "Asia/Seoul", "currency": "USD"}')
    with pytest.warns(sm.DataQualityWarning, match="notes.xlsx"):
        data = sm.read_dir(tmp_path, columns={"opportunities": {"Deal ID": "opportunity_id"}})
    assert data.timezone == "Asia/Seoul"
    assert len(data.opportunities) == 3 and len(data.tables) == 11
    with pytest.warns(sm.DataQualityWarning):
        flat = sm.read_dir(tmp_path, columns={"Deal ID": "opportunity_id"}, timezone="UTC")
    assert flat.timezone == "UTC" and flat.opportunities["opportunity_id"].tolist() == ["o1", "o2", "o3"]
    with pytest.raises(FileNotFoundError):
        sm.read_dir(tmp_path / "nope")


def test_ids_keep_leading_zeros_and_integer_floats(tmp_path: Path):
    pd.DataFrame({"account_id": ["007", "010"]}).to_csv(tmp_path / "accounts.csv", index=False)
    assert sm.read_dir(tmp_path).accounts["account_id"].tolist() == ["007", "010"]
    floats = pd.DataFrame({"account_id": [1.0, 2.0]})
    assert sm.SalesData(accounts=floats).accounts["account_id"].tolist() == ["1", "2"]


def test_bundle_settings_are_checked():
    with pytest.raises(ValueError, match="ISO 4217"):
        sm.SalesData(currency="dollars")
    with pytest.raises(ValueError, match="fiscal_year_start"):
        sm.SalesData(fiscal_year_start=13)
    with pytest.raises(ValueError, match="on_invalid"):
        sm.SalesData(on_invalid="ignore")  # type: ignore[arg-type]
    with pytest.raises(Exception, match="Mars"):
        sm.SalesData(timezone="Mars/Olympus")


def test_quality_warnings_are_filterable():
    leads = pd.DataFrame({"lead_id": ["l1"], "created_at": ["2025-01-05"], "mql_at": ["2025-01-01"]})
    with pytest.warns(sm.DataQualityWarning, match="mql_at before created_at"):
        sm.SalesData(leads=leads)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        sm.SalesData(leads=leads)


def test_require_and_as_of(tables):
    data = sm.SalesData(**tables)
    (opps,) = data.require("opportunities")
    assert opps is data.opportunities
    assert data.as_of == pd.Timestamp("2025-06-30", tz="UTC")  # the rep's terminated_at is the latest *_at
    with pytest.raises(ValueError, match="needs the leads table"):
        sm.SalesData(accounts=tables["accounts"]).require("leads")


def test_reference_lookups_are_kept_for_metrics_and_go_stale_when_a_column_changes(tables):
    """The reference checks' id look-ups are reused by metrics (Inputs.positions) only while both columns are
    unchanged: after quarantine they index the kept rows, and an edited or replaced column is looked up afresh."""
    from salesmetrics.data import index_in, resolve
    from salesmetrics.schemas import KEYS, REFERENCES

    t = _mutate(dict(tables), "accounts", "account_id", 2, "a1")  # a1 twice: both quarantined, rows shift
    data = sm.SalesData(**t, on_invalid="quarantine")
    inputs = resolve(data, "leads")
    assert data._positions, "validation should hand its look-ups to the metrics"
    for table, column, ref in REFERENCES:
        if data.tables.get(table) is None or data.tables.get(ref) is None:
            continue
        fresh = index_in(data.tables[table][column], data.tables[ref][KEYS[ref]])
        assert inputs.positions(table, column, ref).tolist() == fresh.tolist(), (table, column)
    # replace a table, then edit a column in place: both are noticed
    data.leads = data.leads.iloc[::-1].reset_index(drop=True)
    assert resolve(data, "leads").positions("leads", "owner_id", "reps").tolist() == index_in(data.leads["owner_id"], data.reps["rep_id"]).tolist()
    data.reps.loc[0, "rep_id"] = "r9"
    assert resolve(data, "leads").positions("leads", "owner_id", "reps").tolist() == index_in(data.leads["owner_id"], data.reps["rep_id"]).tolist()


def test_amounts_with_a_currency_sign_and_no_thousands_separator_are_read():
    """A CRM export writes "$900.00" as well as "$1,234.50" (found by notebook 05's export)."""
    raw = pd.DataFrame({"opportunity_id": ["a", "b", "c", "d"], "created_at": "2025-01-01", "status": "open",
                        "amount": ["$900.00", "$1,234.50", "₩ 1200", "12 apples"]})
    with pytest.raises(sm.InputValidationError) as info:
        sm.conform(raw, "opportunities")
    assert info.value.failure_cases["row"].tolist() == [3]  # only the one that is not a number
    assert sm.conform(raw.iloc[:3], "opportunities")["amount"].tolist() == [900.0, 1234.5, 1200.0]


def test_a_reference_to_a_quarantined_row_says_so_not_that_the_id_is_missing():
    """Olist: a lead points at a deal that is in the export but was set aside (closed before created); the warning
    must not read as if the id were missing from the export."""
    opps = pd.DataFrame({"opportunity_id": ["o1", "o2"], "created_at": ["2025-01-05", "2025-02-01"], "status": ["won", "won"],
                         "closed_at": ["2025-02-10", "2025-01-01"]})  # o2 closes before it opens: set aside
    leads = pd.DataFrame({"lead_id": ["l1", "l2"], "created_at": ["2025-01-01", "2025-01-02"], "opportunity_id": ["o1", "o2"]})
    with pytest.warns(sm.DataQualityWarning) as caught:
        data = sm.SalesData(leads=leads, opportunities=opps, on_invalid="quarantine")
    message = next(str(w.message) for w in caught if "leads.opportunity_id" in str(w.message))
    assert "1 of these id(s) are in the export but on opportunities rows set aside by quarantine" in message
    assert len(data.quarantine["opportunities"]) == 1


def test_an_expected_close_date_is_a_plan_and_never_sets_as_of():
    """An open deal's expected close (Salesforce CloseDate, HubSpot closedate) lies ahead; the data's as_of is its
    latest event, not its latest plan."""
    opps = pd.DataFrame({"opportunity_id": ["o1", "o2"], "created_at": ["2025-01-05", "2025-03-01"], "status": ["won", "open"],
                         "closed_at": ["2025-02-10", None],
                         "expected_close_at": pd.to_datetime([None, "2025-12-31"]).tz_localize("UTC")})  # as a reader writes it
    data = sm.SalesData(opportunities=opps)
    assert data.as_of == pd.Timestamp("2025-03-01", tz="UTC") and data.as_of_source == "opportunities.created_at"
