"""The vendor readers' shared toolkit (salesmetrics/sources/_common.py): reading a source whatever its spelling,
deleted rows dropped and counted, one error for every missing field, and the provenance report."""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.sources._common import NOT_AVAILABLE, Mapper, disabled_by, norm, read_source

OBJECTS = {"opportunity": ("opportunities",), "opportunity_history": ("opportunityhistory",), "user": ("users",)}


def test_a_folder_is_read_whatever_the_spelling_of_its_files(tmp_path):
    pd.DataFrame({"Id": ["006A"], "StageName": ["Closed Won"]}).to_csv(tmp_path / "Opportunity.csv", index=False)
    pd.DataFrame({"opportunity_id": ["006A"]}).to_csv(tmp_path / "OPPORTUNITY_HISTORY.csv.gz", index=False)
    pd.DataFrame({"id": ["005A"]}).to_parquet(tmp_path / "users.parquet")
    (tmp_path / "notes.md").write_text("not an export")
    found = read_source(tmp_path, OBJECTS, "read_x")
    assert sorted(found) == ["opportunity", "opportunity_history", "user"]
    assert found["opportunity"]["StageName"].tolist() == ["Closed Won"]
    pd.DataFrame({"Id": ["006B"]}).to_csv(tmp_path / "opportunities.csv", index=False)
    with pytest.raises(ValueError, match="both hold the opportunity object"):
        read_source(tmp_path, OBJECTS, "read_x")


def test_a_mapping_takes_frames_and_records_and_names_what_it_ignores():
    with pytest.warns(sm.DataQualityWarning, match="ignored 'Opportunty'"):
        found = read_source({"Opportunity": [{"Id": "006A"}, {"Id": "006B"}], "Opportunty": pd.DataFrame()}, OBJECTS, "read_x")
    assert found["opportunity"]["Id"].tolist() == ["006A", "006B"]
    with pytest.raises(TypeError, match=r"source\['user'\] must be a DataFrame or a list of records"):
        read_source({"user": 3}, OBJECTS, "read_x")


def test_fields_are_found_by_any_spelling_and_deleted_rows_are_counted():
    assert norm("IsWon") == norm("is_won") == norm("Is Won")
    m = Mapper("read_x")
    frame = pd.DataFrame({"id": ["1", "2", "3"], "_fivetran_deleted": ["false", "true", None], "IsDeleted": [0, 0, 1]})
    kept = m.drop_deleted(frame, "Opportunity")
    assert kept["id"].tolist() == ["1"] and m.dropped == {"Opportunity": 2}
    assert list(kept.columns) == ["id"]  # the flags are not data


def test_every_missing_field_is_in_one_error_with_its_option():
    m = Mapper("read_x")
    frame = pd.DataFrame({"Id": ["1"]})
    m.take(frame, "Opportunity", "opportunities", "opportunity_id", ("Id",), required=True)
    m.take(frame, "Opportunity", "opportunities", "created_at", ("CreatedDate",), required=True)
    m.take(frame, "Opportunity", "opportunities", "status", ("IsWon",), required=True, option="stages={...}")
    m.require("Lead", "MQL_Date__c", "mql_field='...'")
    with pytest.raises(sm.MissingDataError) as err:
        m.check()
    message = str(err.value)
    assert "3 required field(s)" in message  # Id was found; the other three are listed together
    for part in ("Opportunity.CreatedDate", "Opportunity.IsWon: or pass stages={...}", "Lead.MQL_Date__c: or pass mql_field='...'"):
        assert part in message


def test_provenance_says_where_each_column_came_from_and_what_a_gap_disables():
    m = Mapper("read_x")
    deals = pd.DataFrame({"Id": ["1", "2"], "CreatedDate": ["2025-01-01", "2025-02-01"], "Status": ["won", "lost"],
                          "CloseDate": ["2025-01-20", "2025-02-20"]})
    out = pd.DataFrame({"opportunity_id": m.take(deals, "Opportunity", "opportunities", "opportunity_id", ("Id",)),
                        "created_at": m.take(deals, "Opportunity", "opportunities", "created_at", ("CreatedDate",)),
                        "status": m.take(deals, "Opportunity", "opportunities", "status", ("Status",)),
                        "closed_at": m.take(deals, "Opportunity", "opportunities", "closed_at", ("CloseDate",))})
    assert m.take(deals, "Opportunity", "opportunities", "amount", ("Amount",)) is None
    m.record("reps", "rep_id", "User.Id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = m.bundle({"opportunities": out, "reps": None})
    report = data.provenance.set_index(["table", "column"])
    assert report.loc[("opportunities", "created_at"), "source"] == "Opportunity.CreatedDate"
    assert report.loc[("opportunities", "amount"), "source"] == NOT_AVAILABLE
    assert "revenue (new-business bookings)" in report.loc[("opportunities", "amount"), "disables"]
    assert report.loc[("reps", "rep_id"), "source"] == NOT_AVAILABLE  # the table itself was not read
    assert "sign: rep turnover" in report.loc[("reps", "rep_id"), "disables"]
    assert sm.win_rate(data, freq=None)["win_rate"].item() == 0.5


def test_disabled_by_names_kpis_and_signs():
    assert disabled_by("reps", "role")[:1] == ["MQLs handled per SDR a month"]
    assert "sign: unclear roles" in disabled_by("reps", "role")
    assert "sign: customer satisfaction" in disabled_by("surveys", None)
    assert disabled_by("accounts", "name") == []  # nothing needs an account's name


@pytest.mark.parametrize("vendor, folder", [("salesforce", "salesforce"), ("hubspot", "hubspot/export"), ("stripe", "stripe/export")])
def test_the_command_line_reads_a_vendor_export_and_says_what_it_mapped(vendor, folder, capsys):
    """``--source`` reads the folder with the vendor's reader; ``summary`` says what was mapped and what is not there."""
    from pathlib import Path

    from salesmetrics.reports.cli import main

    path = Path(__file__).parent / "fixtures" / folder
    assert main(["summary", str(path), "--source", vendor, "--timezone", "America/New_York"]) == 0
    out = capsys.readouterr().out
    assert f"mapped by read_{vendor}:" in out and "not available:" in out
    assert main(["summary", "--source", vendor]) == 3  # a vendor export needs its folder
    assert f"--source {vendor} needs the folder of the export" in capsys.readouterr().err


def test_the_summary_of_a_vendor_export_points_validate_at_the_same_source(tmp_path, capsys):
    """A hint to run validate must work as printed: on a vendor export it carries --source."""
    from pathlib import Path

    from salesmetrics.reports.cli import main

    folder = tmp_path / "sf"
    shutil.copytree(Path(__file__).parent / "fixtures" / "salesforce", folder)
    opp = pd.read_csv(folder / "Opportunity.csv", dtype=str)
    opp.loc[0, "CreatedDate"] = "not a date"  # one row to set aside
    opp.to_csv(folder / "Opportunity.csv", index=False)
    assert main(["summary", str(folder), "--source", "salesforce"]) == 0
    out = capsys.readouterr().out
    assert f"run `salesmetrics validate {folder} --source salesforce` to see every failure." in out
    assert main(["validate", str(folder), "--source", "salesforce"]) == 3  # and it does list them


def test_provenance_lists_every_table_the_reader_can_fill_and_a_link_given_one_way_round():
    """A HubSpot export of contacts and deals only (as Olist's): the reps, accounts and activities it could fill are
    listed as not available, and a lead-to-deal link given by the deal's contact is not reported as missing."""
    contacts = pd.DataFrame({"Record ID": ["1", "2"], "Create Date": ["2025-01-02", "2025-01-05"],
                             "Became a Marketing Qualified Lead Date": ["2025-01-02", "2025-01-05"]})
    deals = pd.DataFrame({"Record ID": ["10"], "Deal Stage": ["Closed Won"], "Create Date": ["2025-01-10"],
                          "Close Date": ["2025-02-01"], "Associated Contact IDs": ["1"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = sm.read_hubspot({"contacts": contacts, "deals": deals})
    report = data.provenance.set_index(["table", "column"])["source"]
    assert {"reps", "accounts", "activities"} <= set(report.index.get_level_values(0))
    assert report[("reps", "rep_id")] == NOT_AVAILABLE and report[("activities", "activity_id")] == NOT_AVAILABLE
    assert report[("opportunities", "lead_id")] != NOT_AVAILABLE
    assert report[("leads", "opportunity_id")].startswith("linked the other way: opportunities.lead_id")
    tables = list(dict.fromkeys(data.provenance["table"]))
    assert tables.index("opportunities") < tables.index("leads") < tables.index("reps")  # the reader's order, grouped


def test_a_single_currency_export_says_its_amounts_are_in_the_reporting_currency():
    """No CurrencyIsoCode / deal_currency_code (a single-currency org): the currency is not "not available", it is
    the reporting currency for every deal, and provenance says so."""
    sf = {"Opportunity": pd.DataFrame({"Id": ["006A"], "CreatedDate": ["2025-01-02T10:00:00.000Z"], "CloseDate": ["2025-02-01"],
                                       "IsClosed": ["true"], "IsWon": ["true"], "Amount": ["100"]})}
    hs = {"deals": pd.DataFrame({"Record ID": ["10"], "Deal Stage": ["Closed Won"], "Create Date": ["2025-01-10"],
                                 "Close Date": ["2025-02-01"], "Amount": ["100"]})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for data in (sm.read_salesforce(sf, currency="EUR"), sm.read_hubspot(hs, currency="EUR")):
            said = data.provenance.set_index(["table", "column"]).loc[("opportunities", "currency"), "source"]
            assert said.startswith("currency='EUR' for every deal"), said
            assert data.currency == "EUR"
