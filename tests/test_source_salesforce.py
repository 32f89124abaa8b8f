"""read_salesforce: Salesforce exports (Data Loader CSV, Fivetran tables, API frames) into a validated SalesData.

Two kinds of evidence:

- the hand-written export in tests/fixtures/salesforce (its README says where each field comes from); the
  numbers asserted on it are counted by hand from those files, and the count is written beside each;
- a round trip: a generated company -> the Salesforce export it would be (``salesforce_export`` below, the
  reverse mapping) -> read_salesforce, which must give back the same tables and the same metrics, to the cent,
  as the company itself seen as Salesforce holds it (``salesforce_view``: what Salesforce cannot hold, such as a
  close *time* or an unconverted lead's account, is taken away from the canonical side too).
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.datasets import make_company
from salesmetrics.sources._common import NOT_AVAILABLE
from salesmetrics.sources._salesforce import read_salesforce

FIXTURES = Path(__file__).parent / "fixtures" / "salesforce"
NY = "America/New_York"


def _read(source, **options) -> sm.SalesData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        return read_salesforce(source, **options)


def sfid(prefix: str, n: int) -> str:
    """The fixture's ids: 0065g0000000001AAA is opportunity 1 (see the README)."""
    return f"{prefix}5g0000000{n:03d}AAA"


def export_frames(folder: Path = FIXTURES) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False).replace("", None) for p in sorted(folder.glob("*.csv"))}


@pytest.fixture(scope="module")
def fixture_data() -> sm.SalesData:
    return _read(FIXTURES, timezone=NY)


# ----------------------------------------------------------------------------------------------------------
# the hand-written export
# ----------------------------------------------------------------------------------------------------------


def test_opportunities_status_from_isclosed_iswon_and_close_dates(fixture_data):
    opps = fixture_data.opportunities.set_index("opportunity_id")
    # Opportunity.csv: 24 rows, 006...021 IsDeleted -> 23; IsClosed/IsWon: 10 won, 7 lost, 6 open (006 8, 17, 18, 19, 20, 24)
    assert len(opps) == 23 and sfid("006", 21) not in opps.index
    assert opps["status"].value_counts().to_dict() == {"won": 10, "lost": 7, "open": 6}
    assert fixture_data.provenance.attrs["dropped"]["Opportunity"] == 1
    # an open deal's CloseDate is its expected date, never closed_at: 006...017 expects 2025-11-30 (in the future)
    open_ = opps[opps["status"] == "open"]
    assert open_["closed_at"].isna().all() and open_["expected_close_at"].notna().all()
    assert opps.loc[sfid("006", 17), "expected_close_at"] == pd.Timestamp("2025-11-30", tz=NY)
    assert fixture_data.as_of == pd.Timestamp("2025-09-19", tz=NY)  # the last close (006...023), not a plan ahead
    assert opps.loc[opps["status"] != "open", "expected_close_at"].isna().all()
    # a closed deal closes at midnight New York of its CloseDate: 006...001 CloseDate 2025-02-14
    assert opps.loc[sfid("006", 1), "closed_at"] == pd.Timestamp("2025-02-14 00:00", tz=NY)
    # 006...009 was created 2025-05-12T19:00Z (15:00 New York) and closed (lost) that day: its creation time, not quarantined
    assert opps.loc[sfid("006", 9), "closed_at"] == opps.loc[sfid("006", 9), "created_at"] == pd.Timestamp("2025-05-12 15:00", tz=NY)
    assert fixture_data.quarantine == {}
    # Type: New Customer -> new_business, Existing Customer - Upgrade / Upsell -> expansion, Renewal and
    # Existing Customer - Replacement -> renewal; 006...024 has none
    assert opps.loc[[sfid("006", i) for i in (1, 5, 13, 10, 16)], "type"].tolist() == [
        "new_business", "expansion", "expansion", "renewal", "renewal"]
    assert pd.isna(opps.loc[sfid("006", 24), "type"])
    # lead_id: the lead converted into the deal (Lead.ConvertedOpportunityId): 00Q...007 -> 006...006
    assert opps.loc[sfid("006", 6), "lead_id"] == sfid("00Q", 7) and pd.isna(opps.loc[sfid("006", 5), "lead_id"])


def test_win_rate_and_deal_size_by_quarter(fixture_data):
    # closed deals by CloseDate quarter (Opportunity.csv): Q1 won 001, 003, 005, lost 002; Q2 won 006, 010, 011,
    # lost 004, 007, 009, 012; Q3 won 013, 014, 016, 023, lost 015, 022
    rate = sm.win_rate(fixture_data, freq="Q").set_index("period")
    assert rate.loc["2025Q1", ["won", "lost"]].tolist() == [3, 1]
    assert rate.loc["2025Q2", ["won", "lost"]].tolist() == [3, 4]
    assert rate.loc["2025Q3", ["won", "lost"]].tolist() == [4, 2]
    assert sm.win_rate(fixture_data, freq=None)["win_rate"].iloc[0] == pytest.approx(10 / 17)
    # won amounts in USD; EUR at 1 / DatedConversionRate.ConversionRate on the close date: 1/0.80 before
    # 2025-07-01, 1/0.88 from then.
    # Q1: 12,000 + 15,000 EUR / 0.80 (18,750) + 4,000 = 34,750
    # Q2: 20,000 + 12,000 + 18,000 EUR / 0.80 (22,500) = 54,500
    # Q3: 6,000 + 11,000 EUR / 0.88 (12,500) + 4,400 EUR / 0.88 (5,000) + 9,000 = 32,500
    size = sm.deal_size(fixture_data, freq="Q").set_index("period")
    assert size.loc[["2025Q1", "2025Q2", "2025Q3"], "total"].round(2).tolist() == [34_750.00, 54_500.00, 32_500.00]
    assert size.loc[["2025Q1", "2025Q2", "2025Q3"], "won"].tolist() == [3, 3, 4]


def test_exchange_rates_from_dated_conversion_rates_and_currency_type(fixture_data):
    fx = fixture_data.fx_rates
    assert fixture_data.currency == "USD"  # CurrencyType.IsCorporate
    eur = fx[fx["currency"] == "EUR"].sort_values("date")
    # DatedConversionRate: EUR 0.80 from 0001-01-01 (read as 1900-01-01), 0.88 from 2025-07-01; USD (corporate) left out
    assert eur["date"].dt.strftime("%Y-%m-%d").tolist() == ["1900-01-01", "2025-07-01"]
    assert eur["rate"].tolist() == pytest.approx([1 / 0.80, 1 / 0.88])
    # GBP has no dated rates: CurrencyType's 0.75, for all time
    assert fx.loc[fx["currency"] == "GBP", "rate"].tolist() == pytest.approx([1 / 0.75])
    assert set(fx["currency"]) == {"EUR", "GBP"}


def test_leads_statuses_from_lead_history_and_queues(fixture_data):
    leads = fixture_data.leads.set_index("lead_id")
    # Lead.csv: 21 rows, 00Q...021 deleted; LeadHistory.csv (Field = Status): 17 leads reached Marketing Qualified
    # (001-005, 007, 008, 010-016, 018-020; 010 and 013 were created in that status), 13 Sales Qualified (001-004,
    # 007, 008, 010-012, 014, 015, 018, 020), 2 disqualified (005 Closed - Not Converted, 016 Unqualified),
    # 12 converted into deals.
    assert len(leads) == 20
    assert leads[["mql_at", "sql_at", "disqualified_at", "opportunity_id"]].notna().sum().tolist() == [17, 13, 2, 12]
    # created as Marketing Qualified: the first status change's OldValue (010), or Status when it never changed (013)
    for i in (10, 13):
        assert leads.loc[sfid("00Q", i), "mql_at"] == leads.loc[sfid("00Q", i), "created_at"]
    assert leads.loc[sfid("00Q", 1), "mql_at"] == pd.Timestamp("2025-01-03 10:00", tz=NY)  # 15:00Z
    # three leads sit in the Inbound queue (00G...): kept as their owner, and the queue is not a rep
    queue = sfid("00G", 1)
    assert (leads["owner_id"] == queue).sum() == 3
    assert queue not in set(fixture_data.reps["rep_id"])
    # converted leads carry the account they became
    assert leads.loc[sfid("00Q", 7), "account_id"] == sfid("001", 5)


def test_reps_from_users_and_roles(fixture_data):
    reps = fixture_data.reps.set_index("rep_id")
    # User.csv / UserRole.csv: SDR and BDR are SDRs, "Account Executive - East/EMEA" AEs, "Customer Success Manager"
    # a CSM, "Marketing Manager" marketing; "VP Sales" matches no pattern and stays as named
    assert reps["role"].tolist() == ["VP Sales", "SDR", "SDR", "AE", "AE", "CSM", "MKT"]
    assert reps["team"].tolist() == ["Leadership", "Inbound SDR", "Outbound SDR", "New Business", "New Business",
                                     "Customer Success", "Marketing"]
    assert reps.loc[sfid("005", 2), "manager_id"] == sfid("005", 1)
    assert reps.loc[sfid("005", 2), "hired_at"] == pd.Timestamp("2024-06-03 09:00", tz=NY)  # CreatedDate 13:00Z
    # Ken Ito (005...006) is inactive and the export has no deactivation date: no date is made up
    assert reps["terminated_at"].isna().all()
    prov = fixture_data.provenance.set_index(["table", "column"])
    assert prov.loc[("reps", "terminated_at"), "source"] == NOT_AVAILABLE
    assert "rep turnover" in prov.loc[("reps", "terminated_at"), "disables"]
    assert "creation" in prov.loc[("reps", "hired_at"), "source"]


def test_inactive_users_without_a_date_are_said_and_a_deactivation_field_is_read():
    with pytest.warns(sm.DataQualityWarning, match=r"1 user\(s\) are inactive but the export has no deactivation date"):
        read_salesforce(FIXTURES, timezone=NY)
    frames = export_frames()
    frames["User"]["Left_On__c"] = ["2025-05-30", "2025-01-01", None, None, None, "2025-05-30", None]
    data = _read(frames, timezone=NY, terminated_field="Left_On__c")
    left = data.reps.set_index("rep_id")["terminated_at"]
    # only inactive users (IsActive false: Ken Ito) get it; Maria Lopez's stray date is ignored, she is active
    assert left.notna().sum() == 1 and left[sfid("005", 6)] == pd.Timestamp("2025-05-30", tz=NY)
    assert "Left_On__c" in data.provenance.set_index(["table", "column"]).loc[("reps", "terminated_at"), "source"]


def test_a_deleted_open_task_or_future_event_is_counted_once_as_deleted():
    frames = export_frames()
    task, event = frames["Task"], frames["Event"]
    # Task 018 is open; delete it too. Event 004 is after the export; delete it too. Each is then a deleted row only.
    task.loc[task["Id"] == sfid("00T", 18), "IsDeleted"] = "true"
    event.loc[event["Id"] == sfid("00U", 4), "IsDeleted"] = "true"
    data = _read(frames, timezone=NY)
    assert data.provenance.attrs["dropped"]["Task"] == 2 and data.provenance.attrs["dropped"]["Event"] == 2
    assert data.provenance.attrs["left_out"] == {}
    # the same 27 activities as the fixture: 31 rows less 2 deleted tasks and 2 deleted events
    assert len(data.activities) == 27 and not data.activities["activity_id"].isin([sfid("00T", 18), sfid("00U", 4)]).any()


def test_a_reports_15_character_ids_join_a_data_loader_export(fixture_data):
    """A Salesforce report writes ids in their 15-character form; Data Loader writes 18 (the same id and a 3-letter case
    check). The fixture's ids have no capitals, so their check is "AAA"; the reader restores it."""
    frames = export_frames()
    for field in ("Id", "AccountId", "OwnerId"):  # the opportunities as a report would export them
        frames["Opportunity"][field] = frames["Opportunity"][field].str.slice(0, 15)
    frames["Opportunity"] = frames["Opportunity"].rename(columns={  # and with a report's labels
        "Id": "Opportunity ID", "AccountId": "Account ID", "StageName": "Stage", "IsClosed": "Closed", "IsWon": "Won",
        "CloseDate": "Close Date", "CreatedDate": "Created Date"})
    data = _read(frames, timezone=NY)
    pd.testing.assert_frame_equal(data.opportunities, fixture_data.opportunities)
    assert len(data.unresolved) == len(fixture_data.unresolved)


def test_a_flag_neither_true_nor_false_or_won_but_open_is_named_not_guessed():
    frames = export_frames()
    opp = frames["Opportunity"]
    first, second = opp["Id"].iloc[0], opp["Id"].iloc[1]
    opp.loc[0, "IsClosed"] = "yes please"
    opp.loc[1, ["IsClosed", "IsWon"]] = ["false", "true"]
    with pytest.raises(sm.InputValidationError) as caught:
        _read(frames, timezone=NY)
    message = str(caught.value)
    assert "Opportunity.IsClosed neither true nor false" in message and "'yes please'" in message
    assert "Opportunity.IsWon true but IsClosed false" in message
    # quarantine sets both deals aside rather than calling them open
    data = _read(frames, timezone=NY, on_invalid="quarantine")
    assert not data.opportunities["opportunity_id"].isin([first, second]).any()
    assert len(data.quarantine["opportunities"]) >= 2


def test_a_time_zone_that_does_not_exist_is_named_before_reading():
    with pytest.raises(ValueError, match="timezone='New York' is not a time zone; use an IANA name"):
        read_salesforce(FIXTURES, timezone="New York")


def test_the_command_line_reads_the_readers_options_from_bundle_json(tmp_path, capsys):
    from salesmetrics.reports.cli import main

    shutil.copytree(FIXTURES, tmp_path / "sf")
    (tmp_path / "sf" / "bundle.json").write_text('{"timezone": "America/New_York", "segment_field": "Industry"}')
    assert main(["summary", str(tmp_path / "sf"), "--source", "salesforce"]) == 0
    out = capsys.readouterr().out
    assert "time zone America/New_York" in out and "accounts.segment" not in out.split("not available:")[1].split("\n\n")[0]
    (tmp_path / "sf" / "bundle.json").write_text('{"segment_feld": "Industry"}')
    assert main(["summary", str(tmp_path / "sf"), "--source", "salesforce"]) == 3
    assert "did you mean 'segment_field'?" in capsys.readouterr().err


def test_activities_resolve_who_and_what(fixture_data):
    acts = fixture_data.activities.set_index("activity_id")
    # Task.csv 25 rows: 023 deleted, 018 open (IsClosed false) -> 23; Event.csv 6 rows: 006 deleted, 004 starts
    # 2025-10-06, after the last record in the export (a planned meeting) -> 4
    assert len(acts) == 27
    assert fixture_data.provenance.attrs["left_out"] == {"Task (open: not done yet)": 1,
                                                          "Event (after 2025-09-15 14:00 UTC: planned)": 1}
    # WhoId a lead (00Q...), WhatId empty: Task 006 is on lead 005
    assert acts.loc[sfid("00T", 6), ["lead_id", "opportunity_id", "account_id"]].isna().tolist() == [False, True, True]
    assert acts.loc[sfid("00T", 6), "lead_id"] == sfid("00Q", 5)
    # WhoId a contact made by converting lead 001, WhatId its opportunity: the lead, the deal and the account
    assert acts.loc[sfid("00T", 2), ["lead_id", "opportunity_id", "account_id"]].tolist() == [
        sfid("00Q", 1), sfid("006", 1), sfid("001", 1)]
    # WhatId an account (001...)
    assert acts.loc[sfid("00T", 21), "account_id"] == sfid("001", 2)
    # a contact no lead became (003...099) stays unresolved; the task keeps its opportunity and account
    assert pd.isna(acts.loc[sfid("00T", 24), "lead_id"]) and acts.loc[sfid("00T", 24), "opportunity_id"] == sfid("006", 11)
    # WhatId a Case (500...): not a table; the task's AccountId gives the account
    assert pd.isna(acts.loc[sfid("00T", 25), "opportunity_id"]) and acts.loc[sfid("00T", 25), "account_id"] == sfid("001", 5)
    # ListEmail tasks (001, 007) are automated; an event without a Type is a meeting
    assert acts.index[acts["automated"]].tolist() == [sfid("00T", 1), sfid("00T", 7)]
    assert acts.loc[sfid("00T", 1), "type"] == "email" and acts.loc[sfid("00U", 2), "type"] == "meeting"


def test_stage_history_one_row_per_stage_entered(fixture_data):
    hist = fixture_data.stage_history
    one = hist[hist["opportunity_id"] == sfid("006", 1)]
    # OpportunityHistory.csv has 5 rows for 006...001; the amount change repeats Qualification
    assert one["stage"].tolist() == ["Prospecting", "Qualification", "Proposal/Price Quote", "Closed Won"]
    assert len(hist) == 31  # OpportunityHistory.csv: 33 rows - 2 repeats (001 Qualification, 017 Prospecting)
    assert hist["opportunity_id"].isin(fixture_data.opportunities["opportunity_id"]).all()


def test_fivetran_sync_reads_the_same_as_the_data_loader_export(fixture_data):
    # fivetran/: snake_case fields, _fivetran_deleted (one task only Fivetran marks), Snowflake time stamps and
    # OpportunityFieldHistory instead of OpportunityHistory (the stage a deal was created in is not logged there)
    synced = _read(FIXTURES / "fivetran", timezone=NY)
    for table, frame in fixture_data.tables.items():
        pd.testing.assert_frame_equal(frame, synced.tables[table][frame.columns], check_dtype=False, obj=table)
    assert synced.provenance.attrs["dropped"] == fixture_data.provenance.attrs["dropped"]
    prov = synced.provenance.set_index(["table", "column"])["source"]
    assert prov[("opportunities", "status")] == "Opportunity.is_closed + Opportunity.is_won (open, won, lost)"
    assert prov[("stage_history", "stage")].startswith("OpportunityFieldHistory.new_value where field = StageName")


def test_a_dict_of_frames_with_any_spelling_of_objects_and_fields():
    frames = export_frames()
    renamed = {"opportunity": frames["Opportunity"].rename(columns=str.upper), "USER": frames["User"],
               "dated_conversion_rate": frames["DatedConversionRate"]}
    data = _read(renamed, timezone=NY)
    assert len(data.opportunities) == 23 and len(data.reps) == 7
    assert data.provenance.set_index(["table", "column"]).loc[("opportunities", "closed_at"), "source"].startswith("Opportunity.CLOSEDATE")


# ----------------------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------------------


def test_missing_required_fields_are_one_error_listing_all_and_the_options():
    frames = export_frames()
    frames["Opportunity"] = frames["Opportunity"].drop(columns=["CreatedDate", "CloseDate", "IsWon", "StageName"])
    frames["Task"] = frames["Task"].drop(columns=["OwnerId"])
    with pytest.raises(sm.MissingDataError) as err:
        _read(frames, timezone=NY, mql_field="MQL_Date__c")
    text = str(err.value)
    assert "lacks 5 required field(s)" in text
    for line in ("Opportunity.CreatedDate", "Opportunity.CloseDate", "Task.OwnerId",
                 "Lead.MQL_Date__c: or pass mql_field=",
                 "Opportunity.IsClosed and IsWon: or pass the StageName field with stages="):
        assert line in text, line


def test_status_from_stage_names_when_isclosed_and_iswon_are_missing():
    frames = export_frames()
    frames["Opportunity"] = frames["Opportunity"].drop(columns=["IsClosed", "IsWon"])
    data = _read(frames, timezone=NY)  # every stage is one of Salesforce's default sales process
    assert data.opportunities["status"].value_counts().to_dict() == {"won": 10, "lost": 7, "open": 6}
    frames["Opportunity"].loc[0, "StageName"] = "Verbal Yes"
    with pytest.raises(sm.InputValidationError, match=r"'Verbal Yes'.*stages=\{'Verbal Yes': \.\.\.\}"):
        _read(frames, timezone=NY)
    data = _read(frames, timezone=NY, stages={"Verbal Yes": "won"})
    assert data.opportunities.loc[0, "status"] == "won"


def test_an_unknown_type_names_the_value_and_types_option():
    frames = export_frames()
    frames["Opportunity"].loc[[2, 4], "Type"] = ["Partner Resale", "Existing Customer - Downgrade"]
    with pytest.raises(sm.InputValidationError) as err:
        _read(frames, timezone=NY)
    text = str(err.value)
    assert "opportunities.type [unknown type]: 2 row(s)" in text and "'Partner Resale'" in text and "types={" in text
    assert set(err.value.failure_cases["value"]) == {"Partner Resale", "Existing Customer - Downgrade"}
    data = _read(frames, timezone=NY, types={"Partner Resale": "new_business", "Existing Customer - Downgrade": "expansion"})
    assert data.opportunities.loc[[2, 4], "type"].tolist() == ["new_business", "expansion"]
    # quarantine keeps the other rows and sets these two aside
    kept = _read(frames, timezone=NY, on_invalid="quarantine")
    assert len(kept.opportunities) == 21 and kept.quarantine["opportunities"]["opportunity_id"].tolist() == [sfid("006", 3), sfid("006", 5)]


def test_a_currency_without_rates_names_it_and_the_options():
    frames = export_frames()
    frames["Opportunity"].loc[0, "CurrencyIsoCode"] = "CHF"
    with pytest.raises(sm.InputValidationError, match=r"CHF.*(DatedConversionRate|fx_rates=)"):
        _read(frames, timezone=NY)
    chf = pd.DataFrame({"currency": ["CHF"], "date": ["2020-01-01"], "rate": [1.1]})
    assert _read(frames, timezone=NY, fx_rates=chf).opportunities.loc[0, "currency"] == "CHF"
    with pytest.raises(ValueError, match="corporate currency USD"):
        _read(FIXTURES, timezone=NY, currency="EUR")


# ----------------------------------------------------------------------------------------------------------
# provenance
# ----------------------------------------------------------------------------------------------------------


def test_provenance_covers_every_canonical_column_of_every_table_read(fixture_data):
    from salesmetrics.schemas import column_kinds

    prov = fixture_data.provenance
    for table in fixture_data.tables:
        assert set(column_kinds(table)) <= set(prov.loc[prov["table"] == table, "column"]), table
    assert not prov.duplicated(["table", "column"]).any()
    found = prov.set_index(["table", "column"])["source"]
    assert found[("opportunities", "status")] == "Opportunity.IsClosed + Opportunity.IsWon (open, won, lost)"
    assert found[("activities", "lead_id")].startswith("Task.WhoId; Event.WhoId")
    assert "1 deal(s) closed the day they were created" in found[("opportunities", "closed_at")]


def test_provenance_says_what_missing_fields_disable():
    frames = export_frames()
    del frames["LeadHistory"]
    frames["Opportunity"] = frames["Opportunity"].drop(columns=["Type", "OwnerId"])
    data = _read({k: v for k, v in frames.items() if k not in ("Task", "Event")}, timezone=NY)
    prov = data.provenance.set_index(["table", "column"])
    for key in [("leads", "mql_at"), ("leads", "sql_at"), ("opportunities", "type"), ("opportunities", "owner_id"),
                ("reps", "terminated_at")]:
        assert prov.loc[key, "source"] == NOT_AVAILABLE, key
        assert prov.loc[key, "disables"], key
    assert "new business" in prov.loc[("opportunities", "type"), "disables"]
    # a column not available is not in the table either, so metrics know it was not exported
    assert not data.has_column("opportunities", "type") and not data.has_column("leads", "mql_at")
    assert not data.has_column("reps", "terminated_at") and data.has_column("opportunities", "status")
    # no Task or Event: the whole activities table is not available, and says what that costs
    acts = prov.loc["activities"]
    assert (acts["source"] == NOT_AVAILABLE).all() and acts["disables"].str.len().gt(0).all()


# ----------------------------------------------------------------------------------------------------------
# round trip: canonical tables -> a Salesforce export -> read_salesforce -> the same tables and metrics
# ----------------------------------------------------------------------------------------------------------

QUEUE = "00G000000000001AAA"  # 18 characters, as Data Loader writes ids (a report's 15 would read as this too)
ROLE_NAMES = {"SDR": "Sales Development Rep", "AE": "Account Executive", "AM": "Account Manager",
              "CSM": "Customer Success Manager", "MKT": "Marketing", "SE": "Solutions Engineer", "OPS": "Sales Operations"}
TYPE_NAMES = {"new_business": "New Customer", "expansion": "Existing Customer - Upgrade", "renewal": "Renewal"}


def salesforce_ids(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The generator's ids written as Salesforce's (ACC-00001 -> 00100000001...), so that id prefixes tell objects apart."""
    prefixes = {"ACC-": "001", "OPP-": "006", "L-": "00Q", "REP-": "005", "ACT-": "00T"}
    out = {}
    for name, frame in tables.items():
        frame = frame.copy()
        for column in frame.columns:
            if column.endswith("_id") or column == "scope":
                text = frame[column].astype("str")
                for old, new in prefixes.items():
                    text = text.str.replace(f"^{old}", new + "0000", regex=True)
                frame[column] = text.where(frame[column].notna())
        out[name] = frame
    return out


def salesforce_view(tables: dict[str, pd.DataFrame], tz: str) -> dict[str, pd.DataFrame]:
    """The canonical tables as far as Salesforce holds them: CloseDate is a date (a deal closed on the day it was created
    closes at its creation); only a converted lead has an account; a lead without an owner sits in a queue; a task on
    a lead has no account; reps have no region, leads no score or segment; Salesforce has no subscriptions."""
    t = {k: v.copy() for k, v in tables.items() if k in ("accounts", "reps", "leads", "opportunities", "stage_history",
                                                          "activities", "fx_rates")}
    o = t["opportunities"]
    day = o["closed_at"].dt.normalize()
    o["closed_at"] = day.where(day >= o["created_at"], o["created_at"]).where(o["closed_at"].notna())
    o["currency"] = o["currency"].fillna("USD")
    leads = t["leads"]
    leads["account_id"] = leads["account_id"].where(leads["opportunity_id"].notna())
    leads["owner_id"] = leads["owner_id"].fillna(QUEUE)
    t["leads"] = leads.drop(columns=["score", "segment"])
    a = t["activities"]
    a["account_id"] = a["account_id"].where(a["lead_id"].isna())
    t["reps"] = t["reps"].drop(columns=["region"])
    return t


def _utc(s: pd.Series) -> pd.Series:
    return s.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.000Z").where(s.notna())


def _day(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%Y-%m-%d").where(s.notna())


def salesforce_export(tables: dict[str, pd.DataFrame], *, field_history: bool) -> dict[str, pd.DataFrame]:
    """The reverse mapping: what a Data Loader export of this company holds (text, UTC time stamps ...Z), with a few
    deleted rows. ``field_history``: OpportunityFieldHistory and MQL/SQL date fields (read with mql_field= ...)
    instead of OpportunityHistory and LeadHistory."""
    o, leads, reps, acc = tables["opportunities"], tables["leads"], tables["reps"], tables["accounts"]
    out: dict[str, pd.DataFrame] = {}
    closed = o["status"] != "open"
    expected = (o["created_at"] + pd.Timedelta(days=90)).where(~closed, o["closed_at"])
    out["Opportunity"] = pd.DataFrame({
        "Id": o["opportunity_id"], "AccountId": o["account_id"], "OwnerId": o["owner_id"], "StageName": o["stage"],
        "Amount": o["amount"].map("{:.2f}".format), "CloseDate": _day(expected), "CreatedDate": _utc(o["created_at"]),
        "IsClosed": closed.map({True: "true", False: "false"}), "IsWon": (o["status"] == "won").map({True: "true", False: "false"}),
        "Type": o["type"].map(TYPE_NAMES), "LeadSource": o["source"], "CurrencyIsoCode": o["currency"].fillna("USD"),
        "IsDeleted": "false"})
    gone = out["Opportunity"].head(3).assign(Id=lambda f: f["Id"] + "X", IsDeleted="true", Amount="1.00")
    out["Opportunity"] = pd.concat([out["Opportunity"], gone], ignore_index=True)

    sh = tables["stage_history"].sort_values(["opportunity_id", "entered_at"], kind="stable")
    if field_history:
        prior = sh.groupby("opportunity_id")["stage"].shift()
        out["OpportunityFieldHistory"] = pd.DataFrame({
            "OpportunityId": sh["opportunity_id"], "Field": np.where(prior.isna(), "created", "StageName"),
            "OldValue": prior, "NewValue": sh["stage"].where(prior.notna()), "CreatedDate": _utc(sh["entered_at"])})
    else:  # an amount change repeats the first stage (logged the same second, next in the file)
        first = sh.groupby("opportunity_id").cumcount() == 0
        both = pd.concat([sh, sh[first]]).sort_index(kind="stable")
        out["OpportunityHistory"] = pd.DataFrame({"OpportunityId": both["opportunity_id"], "StageName": both["stage"],
                                                  "CreatedDate": _utc(both["entered_at"])})

    steps = leads.melt(id_vars="lead_id", value_vars=["mql_at", "sql_at", "disqualified_at"], var_name="step", value_name="at")
    steps = steps.dropna(subset=["at"]).sort_values(["lead_id", "at"], kind="stable")
    steps["NewValue"] = steps["step"].map({"mql_at": "Marketing Qualified", "sql_at": "Sales Qualified", "disqualified_at": "Unqualified"})
    steps["OldValue"] = steps.groupby("lead_id")["NewValue"].shift().fillna("Open - Not Contacted")
    status = steps.groupby("lead_id")["NewValue"].last().reindex(leads["lead_id"]).fillna("Open - Not Contacted")
    converted = leads["opportunity_id"].notna()
    out["Lead"] = pd.DataFrame({
        "Id": leads["lead_id"], "CreatedDate": _utc(leads["created_at"]), "Status": status.to_numpy(),
        "LeadSource": leads["source"], "OwnerId": leads["owner_id"].fillna(QUEUE),
        "IsConverted": converted.map({True: "true", False: "false"}), "ConvertedOpportunityId": leads["opportunity_id"],
        "ConvertedAccountId": leads["account_id"].where(converted), "IsDeleted": "false"})
    if field_history:
        for column, field in (("mql_at", "MQL_Date__c"), ("sql_at", "SQL_Date__c"), ("disqualified_at", "Disqualified_Date__c")):
            out["Lead"][field] = _utc(leads[column])
    else:
        out["LeadHistory"] = pd.DataFrame({"LeadId": steps["lead_id"], "Field": "Status", "OldValue": steps["OldValue"],
                                           "NewValue": steps["NewValue"], "CreatedDate": _utc(steps["at"])})

    out["User"] = pd.DataFrame({
        "Id": reps["rep_id"], "Name": reps["name"], "UserRoleId": "ROLE-" + reps["role"], "ManagerId": reps["manager_id"],
        "IsActive": reps["terminated_at"].isna().map({True: "true", False: "false"}), "CreatedDate": _utc(reps["hired_at"]),
        "Department": reps["team"], "Deactivated_Date__c": _utc(reps["terminated_at"])})
    out["UserRole"] = pd.DataFrame({"Id": ["ROLE-" + r for r in ROLE_NAMES], "Name": list(ROLE_NAMES.values())})
    out["Account"] = pd.DataFrame({"Id": acc["account_id"], "Name": acc["name"], "Industry": acc["industry"],
                                   "Segment__c": acc["segment"], "Region__c": acc["region"], "Type": "Customer - Direct",
                                   "CreatedDate": _utc(acc["created_at"])})

    a = tables["activities"]
    on_lead = a["lead_id"].notna()
    what = a["opportunity_id"].fillna(a["account_id"].where(~on_lead))
    link = {"WhoId": a["lead_id"], "WhatId": what, "AccountId": a["account_id"].where(~on_lead)}
    event = a["type"].isin(["meeting", "demo"])
    kind = a["type"].str.capitalize()
    out["Task"] = pd.DataFrame({"Id": a["activity_id"], "OwnerId": a["owner_id"], **link, "Type": kind,
                                "TaskSubtype": kind.where(~a["automated"], "ListEmail"), "CreatedDate": _utc(a["occurred_at"]),
                                "ActivityDate": _day(a["occurred_at"]), "IsClosed": "true", "IsDeleted": "false"})[~event]
    out["Event"] = pd.DataFrame({"Id": a["activity_id"], "OwnerId": a["owner_id"], **link, "Type": kind,
                                 "StartDateTime": _utc(a["occurred_at"]), "ActivityDate": _day(a["occurred_at"]),
                                 "IsDeleted": "false"})[event]
    gone = out["Task"].head(2).assign(Id=lambda f: f["Id"] + "X", IsDeleted="true")
    out["Task"] = pd.concat([out["Task"], gone], ignore_index=True)

    fx = tables["fx_rates"].sort_values(["currency", "date"])
    nxt = fx.groupby("currency")["date"].shift(-1)
    out["DatedConversionRate"] = pd.concat([
        pd.DataFrame({"IsoCode": ["USD"], "ConversionRate": ["1"], "StartDate": ["0001-01-01"], "NextStartDate": ["9999-12-31"]}),
        pd.DataFrame({"IsoCode": fx["currency"], "ConversionRate": (1 / fx["rate"]).map(repr), "StartDate": _day(fx["date"]),
                      "NextStartDate": _day(nxt).fillna("9999-12-31")})], ignore_index=True)
    out["CurrencyType"] = pd.DataFrame({"IsoCode": ["USD", "EUR"], "ConversionRate": ["1", "0.9"], "IsCorporate": ["true", "false"]})
    return out


def fivetran(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The same export as a Fivetran sync lands it: snake_case tables and fields, _fivetran_deleted, typed values."""
    import re

    def snake(name: str) -> str:
        return snake(name[:-3]) + "_c" if name.endswith("__c") else re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()

    out = {}
    for obj, frame in frames.items():
        frame = frame.copy()
        for column in frame.columns:
            day = column in ("CloseDate", "ActivityDate", "StartDate", "NextStartDate")
            if (column.endswith("Date") and not day) or column.endswith(("DateTime", "Date__c")):
                frame[column] = pd.to_datetime(frame[column], utc=True)  # a warehouse TIMESTAMP
            elif column.startswith("Is") and column != "IsoCode":
                frame[column] = frame[column] == "true"
        if "IsDeleted" in frame:
            frame["_fivetran_deleted"] = frame.pop("IsDeleted")
        frame.columns = [snake(c) for c in frame.columns]
        out[snake(obj)] = frame
    return out


def _metrics(data: sm.SalesData) -> dict[str, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"win_rate": sm.win_rate(data, freq="Q"), "win_rate_amount": sm.win_rate(data, freq="Q", weight="amount"),
                "deal_size": sm.deal_size(data, freq="Q"), "sales_cycle": sm.sales_cycle(data, freq="Q"),
                "sales_cycle_km": sm.sales_cycle(data, freq="Q", method="km"), "funnel": sm.funnel(data),
                "response_sla": sm.response_sla(data)}


@pytest.mark.parametrize(("seed", "accounts", "style"), [(3, 300, "data loader"), (11, 800, "fivetran")])
def test_round_trip_gives_the_same_tables_and_metrics(tmp_path, seed, accounts, style):
    co = make_company(seed=seed, accounts=accounts, months=24)
    tables = co.tables if style == "data loader" else salesforce_ids(co.tables)
    view = salesforce_view(tables, co.timezone)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        truth = sm.SalesData(**view, timezone=co.timezone, currency="USD")
    frames = salesforce_export(tables, field_history=style == "fivetran")
    if style == "data loader":  # a folder of CSV files, every cell text
        for name, frame in frames.items():
            frame.to_csv(tmp_path / f"{name}.csv", index=False)
        data = _read(tmp_path, timezone=co.timezone, as_of=truth.as_of)
    else:  # a dict of typed frames, Salesforce ids, OpportunityFieldHistory, MQL/SQL date fields
        data = _read(fivetran(frames), timezone=co.timezone, as_of=truth.as_of, mql_field="MQL_Date__c",
                     sql_field="SQL_Date__c", disqualified_field="Disqualified_Date__c")
    assert data.provenance.attrs["dropped"] == {"Opportunity": 3, "Task": 2}
    assert data.quarantine == {} and data.as_of == truth.as_of
    assert data.provenance.attrs["left_out"] == {}

    # the tables: every column read, row for row
    prov = data.provenance
    for table, want in truth.tables.items():
        if table == "fx_rates":
            continue
        key = want.columns[0]
        got = data.tables[table].sort_values(list(want.columns[:3]) if table == "stage_history" else key, kind="stable")
        want = want.sort_values(list(want.columns[:3]) if table == "stage_history" else key, kind="stable")
        read = prov.loc[(prov["table"] == table) & (prov["source"] != NOT_AVAILABLE), "column"]
        columns = [c for c in want.columns if c in set(read)]
        pd.testing.assert_frame_equal(got[columns].reset_index(drop=True), want[columns].reset_index(drop=True),
                                      check_dtype=False, check_exact=False, rtol=1e-9, obj=table)
    fx = data.fx_rates.sort_values("date").reset_index(drop=True)
    assert fx["rate"].to_numpy() == pytest.approx(truth.fx_rates.sort_values("date")["rate"].to_numpy(), rel=1e-12)

    # the metrics: amounts to the cent (and closer: rtol 1e-9), counts and rates exactly as far as floats go
    ours, theirs = _metrics(data), _metrics(truth)
    for name, want in theirs.items():
        assert len(want) > 3, name
        pd.testing.assert_frame_equal(ours[name], want, check_dtype=False, check_exact=False, rtol=1e-9, atol=1e-9, obj=name)
    # MRR is not a Salesforce metric: the export has no subscriptions, and the bundle says so
    with pytest.raises(sm.MissingDataError, match="subscriptions"):
        sm.mrr(data)


def test_the_round_trip_view_changes_what_salesforce_cannot_hold():
    """The view is not the identity: a close time becomes midnight (or the creation time the same day)."""
    co = make_company(seed=3, accounts=300, months=24)
    view = salesforce_view(co.tables, co.timezone)
    closed = view["opportunities"]["closed_at"].dropna()
    same_day = view["opportunities"]["closed_at"] == view["opportunities"]["created_at"]
    assert ((closed.dt.hour == 0) & (closed.dt.minute == 0)).sum() + same_day.sum() == len(closed)
    assert not co.opportunities["closed_at"].dropna().equals(closed)


def test_round_trip_folder_copies_keep_working(tmp_path):
    """A folder mixing the fixture with a file read_salesforce does not know: ignored, the rest read."""
    shutil.copytree(FIXTURES, tmp_path / "export", ignore=shutil.ignore_patterns("fivetran"))
    (tmp_path / "export" / "Campaign.csv").write_text("Id,Name\n7015g000000001AAA,Spring\n", encoding="utf-8")
    assert len(_read(tmp_path / "export", timezone=NY).opportunities) == 23


def test_without_iswon_open_deals_come_from_isclosed_and_the_error_names_the_field(tmp_path):
    """An export without IsWon (a report that left it out): IsClosed still says which deals are open, whatever their
    stage; a closed deal's stage must say won or lost, and the error names both ways out (stages= or IsWon)."""
    opp = pd.read_csv(FIXTURES / "Opportunity.csv", dtype=str)
    folder = tmp_path / "no_iswon"
    folder.mkdir()
    opp.drop(columns=["IsWon"]).to_csv(folder / "Opportunity.csv", index=False)
    won_stage = opp.loc[opp["IsWon"].str.lower() == "true", "StageName"].iloc[0]
    lost_stage = opp.loc[(opp["IsClosed"].str.lower() == "true") & (opp["IsWon"].str.lower() != "true"), "StageName"].iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = read_salesforce(folder, timezone=NY, stages={won_stage: "won", lost_stage: "lost"}, on_invalid="quarantine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = read_salesforce(FIXTURES, timezone=NY, on_invalid="quarantine")  # with IsWon
    def status(d: sm.SalesData) -> dict[str, str]:
        return dict(zip(d.opportunities["opportunity_id"], d.opportunities["status"], strict=True))
    same = {k: v for k, v in status(full).items() if k in status(data)}
    assert {k for k, v in same.items() if v == "open"} == {k for k, v in status(data).items() if v == "open"}
    assert {k: v for k, v in status(data).items() if v != "open"} == {k: v for k, v in same.items() if v != "open"}
    renamed = opp.drop(columns=["IsWon"]).assign(StageName=opp["StageName"].where(opp["IsClosed"].str.lower() != "true", "Done"))
    renamed.to_csv(folder / "Opportunity.csv", index=False)
    with pytest.raises(sm.InputValidationError, match=r"add Opportunity\.IsWon to the export"):
        read_salesforce(folder, timezone=NY)
