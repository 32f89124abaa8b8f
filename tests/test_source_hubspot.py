"""read_hubspot: HubSpot exports (CSV labels, API / warehouse frames) into a validated SalesData.

The fixtures in tests/fixtures/hubspot/ are small hand-written exports (their README says where each
property comes from); the round trip writes generated companies in HubSpot's shapes (the reverse mapping
below) and checks that the metrics read back equal the canonical ones to the cent.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.datasets import make_company
from salesmetrics.errors import DataQualityWarning, InputValidationError, MissingDataError
from salesmetrics.schemas import column_kinds
from salesmetrics.sources._common import NOT_AVAILABLE
from salesmetrics.sources._hubspot import _match, read_hubspot

FIXTURES = Path(__file__).parent / "fixtures" / "hubspot"
SOURCE_LABELS = {"paid_search": "Paid Search", "content": "Content", "outbound": "Outbound", "events": "Events",
                 "partners": "Partners", "referral": "Referral", "expansion": "Expansion"}


# ----------------------------------------------------------------------------------------------------------
# the reverse mapping: canonical tables -> what HubSpot would export
# ----------------------------------------------------------------------------------------------------------


def _local(ts: pd.Series) -> pd.Series:
    """Aware times as a HubSpot UI export writes them: naive wall-clock text in the portal's time zone."""
    return ts.dt.tz_localize(None).dt.strftime("%Y-%m-%d %H:%M:%S").where(ts.notna())


def _utc(ts: pd.Series) -> pd.Series:
    """Aware times as the v3 API writes them: ISO 8601 in UTC."""
    return ts.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.000Z").where(ts.notna())


def _ms(ts: pd.Series) -> pd.Series:
    """Aware times as the legacy engagements API writes them: epoch milliseconds."""
    return pd.Series(ts.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ms]").astype("int64"), index=ts.index)


def _split_name(reps: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    parts = reps["name"].str.split(" ", n=1)
    return parts.str[0], parts.str[1]


def _second_company(opps: pd.DataFrame, accounts: pd.DataFrame) -> pd.Series:
    """Every fifth deal is associated with a second company too (the first listed is the one that counts)."""
    other = accounts["account_id"].to_numpy()[np.arange(len(opps)) % len(accounts)]
    return pd.Series(np.where(np.arange(len(opps)) % 5 == 0, other, None), index=opps.index)


OPEN_STAGES = {"Qualification": ("51001", 0.1), "Discovery": ("51002", 0.2), "Demo": ("51003", 0.4),
               "Proposal": ("51004", 0.6), "Negotiation": ("51005", 0.8)}


def hubspot_export(co, folder: Path) -> Path:
    """A folder of HubSpot UI exports: export labels, naive local times, owners by name, ';'-separated
    associations, a custom pipeline (stage ids with their metadata in deal_stages.csv), custom properties
    "Segment" and "Disqualified Date", and archived rows that must be dropped."""
    t = co.tables
    accounts, reps, leads, opps, acts = (t[k] for k in ("accounts", "reps", "leads", "opportunities", "activities"))
    first, last = _split_name(reps)
    owner_name = pd.Series(reps["name"].to_numpy(), index=reps["rep_id"].to_numpy())
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"Record ID": accounts["account_id"], "Company name": accounts["name"], "Industry": accounts["industry"],
                  "Country/Region": accounts["region"], "Create Date": _local(accounts["created_at"]),
                  "Segment": accounts["segment"]}).to_csv(folder / "all-companies.csv", index=False)
    pd.DataFrame({"Owner ID": reps["rep_id"], "First Name": first, "Last Name": last,
                  "Email": reps["rep_id"].str.lower() + "@example.com", "Primary team": reps["team"],
                  "archived": reps["terminated_at"].notna()}).to_csv(folder / "owners.csv", index=False)
    won_at = opps.set_index("opportunity_id")["closed_at"].where(opps.set_index("opportunity_id")["status"].eq("won"))
    contacts = pd.DataFrame({
        "Record ID": leads["lead_id"], "Email": leads["lead_id"].str.lower() + "@prospect.example",
        "Create Date": _local(leads["created_at"]), "Became a Marketing Qualified Lead Date": _local(leads["mql_at"]),
        "Became a Sales Qualified Lead Date": _local(leads["sql_at"]),
        "Became an Opportunity Date": _local(leads["opportunity_id"].map(opps.set_index("opportunity_id")["created_at"])),
        "Became a Customer Date": _local(leads["opportunity_id"].map(won_at)),
        "Original Source": leads["source"].map(SOURCE_LABELS), "Contact owner": leads["owner_id"].map(owner_name),
        "Associated Company IDs": leads["account_id"], "Associated Deal IDs": leads["opportunity_id"],
        "HubSpot Score": leads["score"], "Disqualified Date": _local(leads["disqualified_at"]),
    })
    gone = contacts.head(3).assign(**{"Record ID": "999" + contacts["Record ID"].head(3), "archived": "true"})
    pd.concat([contacts.assign(archived="false"), gone]).to_csv(folder / "hubspot-crm-exports-all-contacts-2025-10-01.csv", index=False)
    is_open = opps["status"].eq("open")
    stage_label = opps["stage"].where(is_open, opps["status"].map({"won": "Signed", "lost": "Lost"}))
    expected = opps["created_at"] + pd.Timedelta(days=75)
    second = _second_company(opps, accounts)
    deals = pd.DataFrame({
        "Record ID": opps["opportunity_id"], "Deal Name": "Deal " + opps["opportunity_id"], "Pipeline": "Sales Pipeline (Custom)",
        "Deal Stage": stage_label, "Create Date": _local(opps["created_at"]),
        "Close Date": _local(opps["closed_at"].where(~is_open, expected)), "Amount": opps["amount"],
        "Currency": opps["currency"].fillna("USD"), "Deal Type": opps["type"].map({"new_business": "New Business", "expansion": "Existing Business"}),
        "Deal owner": opps["owner_id"].map(owner_name),
        "Associated Company IDs": opps["account_id"] + (";" + second).fillna(""), "Associated Contact IDs": opps["lead_id"],
        "Original Source": opps["source"].map(SOURCE_LABELS),
    })
    deals.to_csv(folder / "hubspot-crm-exports-all-deals-2025-10-01.csv", index=False)
    stages = pd.DataFrame(
        [("custom-1", "Sales Pipeline (Custom)", sid, label, "false", p) for label, (sid, p) in OPEN_STAGES.items()]
        + [("custom-1", "Sales Pipeline (Custom)", "51010", "Signed", "true", 1.0),
           ("custom-1", "Sales Pipeline (Custom)", "51011", "Lost", "true", 0.0)],
        columns=["pipelineId", "pipeline_label", "stageId", "label", "metadata.isClosed", "metadata.probability"])
    stages.to_csv(folder / "deal_stages.csv", index=False)
    for kind, rows in (("call", acts["type"].eq("call")), ("email", acts["type"].eq("email")),
                       ("meeting", acts["type"].isin(["meeting", "demo"]))):
        a = acts[rows]
        frame = pd.DataFrame({"Record ID": a["activity_id"], "Activity date": _local(a["occurred_at"]),
                              "Activity assigned to": a["owner_id"].map(owner_name), "Associated Contact IDs": a["lead_id"],
                              "Associated Deal IDs": a["opportunity_id"], "Associated Company IDs": a["account_id"],
                              "hs_engagement_source": np.where(a["automated"], "SEQUENCES", "CRM_UI")})
        if kind == "meeting":
            frame["Call and meeting type"] = a["type"].map({"demo": "Demo"})
        if kind == "email":
            frame["Email direction"] = "EMAIL"
        frame.to_csv(folder / f"{kind}s.csv", index=False)
    fx = t["fx_rates"]
    pd.DataFrame({"fromCurrencyCode": fx["currency"], "toCurrencyCode": co.currency, "conversionRate": fx["rate"],
                  "effectiveAt": fx["date"].dt.strftime("%Y-%m-%d")}).to_csv(folder / "exchange-rates.csv", index=False)
    return folder


def hubspot_api(co) -> dict[str, object]:
    """What the API client (and an Airbyte sync) gives: internal property names under ``properties``, UTC
    times, owners by id with their teams, association lists, stage ids resolved by hs_is_closed_won /
    hs_is_closed, one legacy engagements table (epoch milliseconds), and exchange rates as records."""
    t = co.tables
    accounts, reps, leads, opps, acts = (t[k] for k in ("accounts", "reps", "leads", "opportunities", "activities"))
    first, last = _split_name(reps)

    def assoc(ids: pd.Series, kind: str) -> list:
        return [[{"id": i, "type": kind}] if isinstance(i, str) else [] for i in ids]

    companies = pd.DataFrame({"id": accounts["account_id"], "properties.name": accounts["name"], "properties.industry": accounts["industry"],
                              "properties.country": accounts["region"], "properties.createdate": _utc(accounts["created_at"]),
                              "properties.segment": accounts["segment"], "archived": False})
    team_ids = {team: f"T{i}" for i, team in enumerate(sorted(reps["team"].unique()))}
    owners = [{"id": r.rep_id, "email": f"{r.rep_id.lower()}@example.com", "firstName": f, "lastName": ln,
               "archived": pd.notna(r.terminated_at),
               "teams": [{"id": "T99", "name": "Enablement", "primary": False}, {"id": team_ids[r.team], "name": r.team, "primary": True}]}
              for r, f, ln in zip(reps.itertuples(), first, last, strict=True)]
    contacts = pd.DataFrame({
        "id": leads["lead_id"], "properties.createdate": _utc(leads["created_at"]),
        "properties.hs_lifecyclestage_marketingqualifiedlead_date": _utc(leads["mql_at"]),
        "properties.hs_lifecyclestage_salesqualifiedlead_date": _utc(leads["sql_at"]),
        "properties.hs_analytics_source": leads["source"].str.upper(), "properties.hubspot_owner_id": leads["owner_id"],
        "properties.hubspotscore": leads["score"], "properties.disqualified_date": _utc(leads["disqualified_at"]),
        "associations.companies.results": assoc(leads["account_id"], "contact_to_company"),
        "associations.deals.results": assoc(leads["opportunity_id"], "contact_to_deal"), "archived": False})
    is_open = opps["status"].eq("open")
    second = _second_company(opps, accounts)
    deals = pd.DataFrame({
        "id": opps["opportunity_id"], "properties.createdate": _utc(opps["created_at"]),
        "properties.dealstage": opps["stage"].map({k: v[0] for k, v in OPEN_STAGES.items()}).where(is_open, opps["status"].map({"won": "closedwon", "lost": "closedlost"})),
        "properties.hs_is_closed_won": opps["status"].eq("won"), "properties.hs_is_closed": ~is_open,
        "properties.closedate": _utc(opps["closed_at"].where(~is_open, opps["created_at"] + pd.Timedelta(days=75))),
        "properties.amount": opps["amount"].astype(str), "properties.deal_currency_code": opps["currency"],
        "properties.dealtype": opps["type"].map({"new_business": "newbusiness", "expansion": "existingbusiness"}),
        "properties.hubspot_owner_id": opps["owner_id"], "properties.hs_analytics_source": opps["source"].str.upper(),
        "companies": [[a] + ([s] if isinstance(s, str) else []) for a, s in zip(opps["account_id"], second, strict=True)],
        "contacts": [[i] if isinstance(i, str) else [] for i in opps["lead_id"]], "_fivetran_deleted": False})
    deleted = deals.head(2).assign(id="X" + deals["id"].head(2), _fivetran_deleted=True)
    kinds = acts["type"].map({"call": "CALL", "email": "EMAIL", "meeting": "MEETING", "demo": "MEETING"})
    when = _ms(acts["occurred_at"])
    engagements = [
        {"engagement": {"id": a.activity_id, "type": k, "timestamp": int(w), "ownerId": a.owner_id, "source": "SEQUENCES" if a.automated else "CRM_UI"},
         "associations": {"contactIds": [a.lead_id] if isinstance(a.lead_id, str) else [],
                          "dealIds": [a.opportunity_id] if isinstance(a.opportunity_id, str) else [],
                          "companyIds": [a.account_id] if isinstance(a.account_id, str) else []},
         "hs_activity_type": "Demo" if a.type == "demo" else None}
        for a, k, w in zip(acts.itertuples(), kinds, when, strict=True)]
    notes = [{"engagement": {"id": f"N{i}", "type": "NOTE", "timestamp": int(when.iloc[i]), "ownerId": acts["owner_id"].iloc[i]},
              "associations": {"contactIds": [], "dealIds": [], "companyIds": [acts["account_id"].iloc[i]]}} for i in range(3)]
    fx = t["fx_rates"]
    # a rate in force from a calendar date is in force from that day's midnight in the portal's time zone
    effective = fx["date"].dt.tz_localize(co.timezone).dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    rates = [{"fromCurrencyCode": c, "toCurrencyCode": co.currency, "conversionRate": r, "effectiveAt": e}
             for c, r, e in zip(fx["currency"], fx["rate"], effective, strict=True)]
    return {"companies": companies, "owners": owners, "contacts": contacts, "deals": pd.concat([deals, deleted], ignore_index=True),
            "engagements": engagements + notes, "exchange_rates": rates}


METRICS = {
    "funnel": lambda d: sm.funnel(d),
    "lead_quality": lambda d: sm.lead_quality(d, by="source"),
    "win_rate": lambda d: sm.win_rate(d),
    "win_rate_amount": lambda d: sm.win_rate(d, weight="amount"),
    "deal_size": lambda d: sm.deal_size(d),
    "sales_cycle": lambda d: sm.sales_cycle(d),
    "response_sla": lambda d: sm.response_sla(d),
}


def _read(folder: str, **options) -> sm.SalesData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return read_hubspot(FIXTURES / folder, timezone="America/New_York", **options)


@pytest.fixture(scope="module")
def export() -> sm.SalesData:
    return _read("export")


@pytest.fixture(scope="module")
def sync() -> sm.SalesData:
    return _read("sync")


def _deals() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "export" / "hubspot-crm-exports-all-deals-2025-10-01.csv", dtype=str)


# ----------------------------------------------------------------------------------------------------------
# reading the fixtures
# ----------------------------------------------------------------------------------------------------------


def test_file_names_match_by_word():
    found, unknown = _match(["hubspot-crm-exports-all-deals-2025-10-01", "all-deals-2", "AllContacts", "deal_stages", "deal_company",
                             "engagement_contact", "Engagements", "exchange-rates", "owner", "hubspot-crm-exports-all-tickets", "calls"])
    assert found["deals"] == ["hubspot-crm-exports-all-deals-2025-10-01", "all-deals-2"]  # two files: read_source refuses both
    assert found["contacts"] == ["AllContacts"] and found["pipeline_stages"] == ["deal_stages"]  # "stages" wins over "deal"
    assert found["link:deals:companies"] == ["deal_company"] and found["link:engagements:contacts"] == ["engagement_contact"]
    assert found["engagements"] == ["Engagements"] and found["exchange_rates"] == ["exchange-rates"] and found["calls"] == ["calls"]
    assert unknown == ["hubspot-crm-exports-all-tickets"]


def test_an_unknown_export_is_named_in_a_warning():
    with pytest.warns(DataQualityWarning) as caught:
        read_hubspot(FIXTURES / "export", timezone="America/New_York")
    assert any("ignored 'hubspot-crm-exports-all-tickets-2025-10-01'" in str(w.message) for w in caught)


def test_labels_and_internal_names_read_the_same(export, sync):
    """export/ (labels, names, local times) and sync/ (internal names, ids, UTC, epoch ms, link tables) hold the same records."""
    for table in ("accounts", "reps", "leads", "opportunities", "stage_history", "activities", "fx_rates"):
        a, b = export.tables[table], sync.tables[table]
        key = list(a.columns[:2]) if table == "stage_history" else [a.columns[0]]
        pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True), b[a.columns].sort_values(key).reset_index(drop=True),
                                      check_dtype=False, obj=table)


def test_deal_status_from_stage_metadata_flags_and_defaults(export):
    opps = export.opportunities.set_index("opportunity_id")
    assert opps["status"].value_counts().to_dict() == {"won": 8, "open": 7, "lost": 5}  # README: hand count of DEALS
    # the custom pipeline's stages are read through deal_stages.csv: closed at probability 1.0 is won, 0.0 lost
    assert opps.loc[["7009", "7010", "7011"], "status"].tolist() == ["won", "lost", "open"]
    assert opps.loc[["7009", "7011"], "stage"].tolist() == ["Signed", "Technical Validation"]
    # flags alone resolve a stage nothing else knows
    deals = _deals().assign(**{"Deal Stage": "88001", "Is Closed Won": "true", "Is Deal Closed?": "true"}).head(2)
    deals.loc[1, "Is Closed Won"] = "false"
    data = read_hubspot({"deals": deals})
    assert data.opportunities["status"].tolist() == ["won", "lost"]


def test_stage_history_from_the_date_entered_properties(export, sync):
    """Deals' "Date entered" columns (export labels; hs_date_entered_<id> and hs_v2_date_entered_<id> in sync/): every
    deal entered its pipeline's first stage when created (20); the 6 won and 4 lost deals of the Sales Pipeline entered
    Closed Won / Closed Lost, and Enterprise's 2 signed deals Signed, when they closed: 32 rows (the fixture README)."""
    hist = export.stage_history
    assert len(hist) == 32 and len(sync.stage_history) == 32
    assert hist["stage"].value_counts().to_dict() == {"Appointment Scheduled": 14, "Discovery": 6, "Closed Won": 6,
                                                     "Closed Lost": 4, "Signed": 2}
    # the stage ids of sync/ read as the labels the deals' stage column shows (through deal_pipeline_stage)
    assert set(sync.stage_history["stage"]) == set(hist["stage"]) <= set(export.opportunities["stage"]) | {"Appointment Scheduled", "Discovery"}
    opps = export.opportunities.set_index("opportunity_id")
    won = hist[hist["stage"] == "Closed Won"].set_index("opportunity_id")["entered_at"]
    assert (won == opps.loc[won.index, "closed_at"]).all()
    prov = export.provenance.set_index(["table", "column"])["source"]
    assert "Date entered" in prov[("stage_history", "stage")] and "latest entry" in prov[("stage_history", "entered_at")]
    # the deal deleted in sync/ (7099) has no history; stage durations run on the table
    assert "7099" not in set(sync.stage_history["opportunity_id"])
    assert len(sm.stage_durations(export)) > 0


def test_closed_deals_without_a_close_date_column_are_one_error():
    deals = _deals().drop(columns=["Close Date"])
    with pytest.raises(MissingDataError, match=r'Deal.closedate \("Close Date"\)'):
        read_hubspot({"deals": deals})


def test_an_amount_empty_in_every_row_is_said_with_what_it_disables():
    deals = _deals().assign(Amount=None)
    deals = deals[(deals["Pipeline"] == "Sales Pipeline") & (deals["Currency"] == "USD")]  # no stage metadata or rates needed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        data = read_hubspot({"deals": deals}, timezone="America/New_York")
    said = data.provenance.set_index(["table", "column"]).loc[("opportunities", "amount")]
    assert said["source"] == "Deal.Amount (empty in every row)" and "deal size" in said["disables"]


def test_default_stage_ids_of_date_entered_read_as_the_labels_the_deals_show():
    deals = _deals()[["Record ID", "Deal Stage", "Create Date", "Close Date"]].head(3)  # labels: Closed Won, Closed Lost
    deals["hs_date_entered_closedwon"] = deals["Close Date"].where(deals["Deal Stage"] == "Closed Won")
    data = read_hubspot({"deals": deals})
    assert set(data.stage_history["stage"]) == {"Closed Won"} and len(data.stage_history) == 2


def test_open_deals_keep_their_close_date_as_expected(export):
    opps = export.opportunities.set_index("opportunity_id")
    open_ = opps[opps["status"] == "open"]
    assert open_["closed_at"].isna().all() and opps.loc[opps["status"] != "open", "expected_close_at"].isna().all()
    assert str(open_.loc["7018", "expected_close_at"]) == "2026-02-27 00:00:00-05:00"
    # an expected date is a plan, not an event: the latest event (7019 won on 26 Sept) dates the bundle
    # (the deal entered Closed Won at that moment too: either column may name it)
    assert str(export.as_of) == "2025-09-26 15:45:00-04:00"
    assert export.as_of_source in ("opportunities.closed_at", "stage_history.entered_at")


def test_associations_first_company_and_nearest_deal(export):
    opps = export.opportunities.set_index("opportunity_id")
    assert opps.loc[["7003", "7009", "7019"], "account_id"].tolist() == ["5003", "5008", "5007"]  # "5003;5004" etc.: the first
    leads = export.leads.set_index("lead_id")
    # 1005 lists 7019 first, but became an opportunity on 20 Jan, the day 7003 was created
    assert leads.loc["1005", "opportunity_id"] == "7003"
    # the export writes companies and owners by name; both read as ids
    assert leads.loc["1001", ["account_id", "owner_id"]].tolist() == ["5001", "102"]
    assert opps.loc["7002", "owner_id"] == "103"  # "Chloé Martin"


def test_lifecycle_dates_check_the_deals():
    with pytest.warns(DataQualityWarning) as caught:
        read_hubspot(FIXTURES / "export", timezone="America/New_York")
    said = " ".join(str(w.message) for w in caught)
    assert "1 contact(s) have 'Became an Opportunity Date' but no deal" in said  # 1008
    assert "1 contact(s) have 'Became a Customer Date' but no won deal" in said  # 1004


def test_sources_read_as_one_code(export):
    sources = export.leads.set_index("lead_id")["source"]
    # labels "Offline Sources", "Organic Social" and values OFFLINE, SOCIAL_MEDIA (test above: sync reads the same)
    assert sources.loc[["1004", "1016", "1001"]].tolist() == ["offline", "social_media", "organic_search"]


def test_deleted_rows_are_dropped_and_counted():
    with pytest.warns(DataQualityWarning) as caught:
        data = read_hubspot(FIXTURES / "sync", timezone="America/New_York")
    assert any("dropped rows deleted in the source: Company 1, Contact 2, Deal 1" in str(w.message) for w in caught)
    assert data.provenance.attrs["dropped"] == {"Company": 1, "Contact": 2, "Deal": 1}
    assert "7099" not in set(data.opportunities["opportunity_id"]) and not {"1098", "1099"} & set(data.leads["lead_id"])


def test_an_archived_owner_is_a_leaver_without_a_date(export, sync):
    for data in (export, sync):
        reps = data.reps.set_index("rep_id")
        assert reps["archived"].tolist() == [False, False, False, False, True, False]  # Eli Cohen, 105
        assert reps["terminated_at"].isna().all()  # never invented
        said = data.provenance.set_index(["table", "column"])
        assert said.loc[("reps", "terminated_at"), "source"] == NOT_AVAILABLE
        assert "rep turnover" in said.loc[("reps", "terminated_at"), "disables"]
    assert export.reps.set_index("rep_id").loc["105", "team"] == "SDR"
    assert sync.provenance.set_index(["table", "column"]).loc[("reps", "team"), "source"].startswith("Team.name")


def test_teams_and_roles_options(export):
    assert export.reps["role"].isna().all()  # HubSpot owners have no role
    data = _read("export", roles={"SDR": "SDR", "New Business": "AE", "dev.patel@northwind.example": "AM", "106": "AE"},
                 teams={"106": "Enterprise"})
    reps = data.reps.set_index("rep_id")
    assert reps["role"].tolist() == ["SDR", "AE", "AE", "AM", "SDR", "AE"]
    assert reps.loc[["106", "102"], "team"].tolist() == ["Enterprise", "New Business"]


def test_activities(export):
    acts = export.activities.set_index("activity_id")
    assert len(acts) == 38 and not {"8008", "8026"} & set(acts.index)  # 40 less the two e-mails contacts wrote
    assert set(acts.index[acts["automated"]]) == {"8002", "8011", "8018", "8036"}  # SEQUENCES, WORKFLOWS
    assert acts.loc[["8001", "8004", "8005", "8009", "8022"], "type"].tolist() == ["call", "email", "demo", "onboarding", "meeting"]
    assert acts.loc["8015", ["lead_id", "opportunity_id", "account_id", "owner_id"]].tolist() == ["1013", "7009", "5008", "102"]


def test_fixture_metrics_by_hand(export):
    """The README's hand computations: win rate by close quarter, won amount in Q2 with the EUR deal at 1.08,
    MQLs per quarter, and the first response to three MQLs (automated e-mails do not count)."""
    rates = sm.win_rate(export)
    assert rates[["won", "lost"]].to_numpy().tolist() == [[2, 1], [2, 3], [4, 1]]
    assert sm.deal_size(export)["total"].tolist() == [36000.0, 9500 * 1.08 + 15000, 108500.0]
    funnel = sm.funnel(export)
    assert funnel.loc[funnel["stage"] == "mql_at", "entered"].tolist() == [10, 9, 8]
    sla = sm.response_sla(export, detail=True).set_index("lead_id")
    assert sla.loc[["1001", "1008", "1030"], "status"].tolist() == ["met", "breached", "met"]
    assert sla.loc[["1001", "1008", "1030"], "response_hours"].round(4).tolist() == [5.5, 28.6667, 23.0]


def test_segment_from_employee_bands(export):
    data = _read("export", segment={"SMB": 0, "Mid-Market": 200, "Enterprise": 1000})
    segment = data.accounts.set_index("account_id")["segment"]
    assert segment.loc[["5001", "5003", "5004", "5012"]].tolist() == ["SMB", "Mid-Market", "Enterprise", "SMB"]  # 120, 340, 5200, 12
    assert export.provenance.set_index(["table", "column"]).loc[("accounts", "segment"), "source"] == NOT_AVAILABLE


def test_api_records_with_nested_properties():
    """The API client's objects as records: properties and associations nested, archived rows, epoch-ms engagements."""
    deals = [
        {"id": "11", "properties": {"dealstage": "closedwon", "createdate": "2025-01-10T09:15:30.234Z", "closedate": "2025-02-01T10:00:00Z",
                                    "amount": "5000", "hubspot_owner_id": "7", "pipeline": "default"},
         "associations": {"companies": {"results": [{"id": "91", "type": "deal_to_company"}, {"id": "92", "type": "deal_to_company"}]}},
         "archived": False},
        {"id": "12", "properties": {"dealstage": "closedlost", "createdate": "2025-01-11T09:00:00Z", "closedate": "2025-02-02T10:00:00Z"},
         "archived": True},
    ]
    calls = [{"id": "31", "properties": {"hs_timestamp": "1736500000000", "hubspot_owner_id": "7"},
              "associations": {"deals": {"results": [{"id": "11", "type": "call_to_deal"}]}}}]
    with pytest.warns(DataQualityWarning, match="Deal 1"):
        data = read_hubspot({"deals": deals, "calls": calls})
    opp = data.opportunities.iloc[0]
    assert (len(data.opportunities), opp["status"], opp["account_id"], opp["owner_id"]) == (1, "won", "91", "7")
    act = data.activities.iloc[0]
    assert (act["opportunity_id"], str(act["occurred_at"])) == ("11", "2025-01-10 09:06:40+00:00")  # 1,736,500,000 s after 1970


# ----------------------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------------------


def test_missing_required_properties_are_one_error():
    deals = _deals().drop(columns=["Create Date", "Deal Stage"])
    contacts = pd.DataFrame({"Record ID": ["1"], "Email": ["a@b.example"]})
    owners = pd.DataFrame({"id": ["7"], "email": ["x@y.example"]})
    with pytest.raises(MissingDataError) as err:
        read_hubspot({"deals": deals, "contacts": contacts, "owners": owners})
    message = str(err.value)
    assert "lacks 4 required field(s)" in message
    for line in ('Deal.createdate ("Create Date")', "Deal.dealstage (\"Deal Stage\"): or pass stages={stage: 'open'|'won'|'lost'} "
                 "(or export hs_is_closed_won and hs_is_closed)", 'Contact.createdate ("Create Date")', "Owner.teams: or pass teams='Sales'"):
        assert line in message, line


def test_an_unknown_stage_is_named_with_the_option_that_maps_it():
    deals = _deals()
    deals.loc[3, "Deal Stage"] = "Verbal Yes"
    with pytest.raises(InputValidationError) as err:
        read_hubspot({"deals": deals})
    assert "'Verbal Yes (pipeline Sales Pipeline)' (1 row)" in str(err.value) and "stages={'Verbal Yes'" in str(err.value)
    # the custom pipeline's stages too, without their metadata
    assert set(err.value.failure_cases["row"]) == {3, 8, 9, 10, 11, 15, 17}
    rates = pd.read_csv(FIXTURES / "export" / "exchange-rates.csv")
    data = read_hubspot({"deals": deals, "exchange_rates": rates}, stages={"Verbal Yes": "open", "Signed": "won", "Lost - No Budget": "lost",
                                                  "Technical Validation": "open", "Security Review": "open", "Discovery": "open"})
    assert data.opportunities.loc[3, "status"] == "open"


def test_an_unknown_pipeline_is_named():
    deals = _deals()
    deals.loc[0, ["Pipeline", "Deal Stage"]] = ["Renewals", "88001"]
    stages = pd.read_csv(FIXTURES / "export" / "deal_stages.csv")
    with pytest.raises(InputValidationError, match=r"pipeline\(s\) 'Renewals' are not in the pipelines metadata; add their stages to pipelines="):
        read_hubspot({"deals": deals}, pipelines=stages)


def test_unknown_currencies_and_deal_types_are_named():
    deals = _deals()
    deals.loc[0, "Currency"], deals.loc[1, "Deal Type"] = "Euro", "Upsell"
    with pytest.raises(InputValidationError) as err:
        read_hubspot({"deals": deals, "deal_stages": pd.read_csv(FIXTURES / "export" / "deal_stages.csv")})
    assert "'Euro' (1 row); map it to an ISO 4217 code: currencies=" in str(err.value)
    assert "'Upsell' (1 row); map it: types=" in str(err.value)
    assert sorted(err.value.failure_cases["column"]) == ["currency", "type"]


# ----------------------------------------------------------------------------------------------------------
# provenance
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["export", "sync"])
def test_provenance_covers_every_canonical_column(folder, request):
    data = request.getfixturevalue(folder)
    said = data.provenance
    for table in data.tables:
        columns = set(said.loc[said["table"] == table, "column"])
        assert set(column_kinds(table)) <= columns, (table, set(column_kinds(table)) - columns)
    objects = ("Deal.", "Contact.", "Company.", "Owner.", "Team.", "Call.", "Email.", "Meeting.", "Engagement.", "ExchangeRate.",
               "roles=", "contact_deal", "company_deal", "the object")
    assert said["source"].str.startswith((*objects, NOT_AVAILABLE)).all(), said.loc[~said["source"].str.startswith((*objects, NOT_AVAILABLE))]
    unavailable = said[said["source"] == NOT_AVAILABLE].set_index(["table", "column"])
    assert unavailable.loc[("opportunities", "source") if folder == "export" else ("leads", "score"), "source"] == NOT_AVAILABLE
    assert said.set_index(["table", "column"]).loc[("opportunities", "closed_at"), "source"].endswith("(closed deals only)")


# ----------------------------------------------------------------------------------------------------------
# round trip: canonical tables -> HubSpot shapes -> read_hubspot -> the same metrics
# ----------------------------------------------------------------------------------------------------------


def _round_trip(co, source, disqualified: str) -> tuple[sm.SalesData, sm.SalesData]:
    canonical = co.to_sales_data()
    roles = dict(zip(co.tables["reps"]["rep_id"], co.tables["reps"]["role"], strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        read = read_hubspot(source, timezone=co.timezone, as_of=canonical.as_of, roles=roles,
                            columns={"leads": {"disqualified_at": disqualified}})
    return canonical, read


def _same_metrics(canonical: sm.SalesData, read: sm.SalesData) -> None:
    for name, metric in METRICS.items():
        pd.testing.assert_frame_equal(metric(read).reset_index(drop=True), metric(canonical).reset_index(drop=True),
                                      check_dtype=False, check_exact=False, rtol=0, atol=0.005, obj=name)  # to the cent


def test_round_trip_through_a_ui_export(tmp_path):
    """250 accounts, 36 months (9 open deals), written as UI exports: labels, names, local times, a custom pipeline."""
    co = make_company(seed=2, accounts=250, months=36)
    canonical, read = _round_trip(co, hubspot_export(co, tmp_path), "Disqualified Date")
    assert len(read.opportunities) == len(canonical.opportunities) and len(read.activities) == len(canonical.activities)
    assert (read.opportunities["status"] == "open").sum() == 9
    _same_metrics(canonical, read)


def test_round_trip_through_the_api(company):
    """The sample company (2,000 accounts, 110 open deals, EUR deals) as API records and one legacy engagements table."""
    canonical, read = _round_trip(company, hubspot_api(company), "disqualified_date")
    assert read.provenance.attrs["dropped"] == {"Deal": 2}
    assert len(read.opportunities) == len(canonical.opportunities) == 1_978
    _same_metrics(canonical, read)
    said = read.provenance.set_index(["table", "column"])["source"]
    assert said[("reps", "team")] == "Owner.teams (the primary team)" and said[("opportunities", "status")].startswith("Deal.dealstage")
