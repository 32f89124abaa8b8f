"""Real exports: partial, messy CRM and billing exports load whole, and metrics can still be asked of them.

Every fixture here is written as a user meets it: a Salesforce-like opportunity report whose owners and
accounts are partly outside the export, a users export whose managers are not reps and that has no hire
dates, a billing export with nothing but subscriptions. The numbers asserted are counted by hand from
the few rows shown.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesmetrics as sm
from salesmetrics.data import index_in, resolve


def _quiet(**tables) -> sm.SalesData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        return sm.SalesData(**tables)


@pytest.fixture()
def salesforce() -> dict[str, pd.DataFrame]:
    """A Salesforce opportunity report and user export, as exported: the report names owners and accounts
    that the other exports do not hold (a departed user, an account outside the filtered account report)."""
    report = pd.DataFrame({
        "Opportunity ID": ["006A", "006B", "006C", "006D", "006E", "006F"],
        "Opportunity Owner": ["005-ann", "005-bob", "005-ann", "005-gone", "005-gone", None],
        "Account ID": ["001-x", "001-y", "001-x", "001-zzz", "001-y", "001-x"],
        "Stage": ["Closed Won", "Closed Lost", "Closed Won", "Closed Won", "Closed Lost", "Negotiation"],
        "Created Date": ["2025-01-06", "2025-01-20", "2025-02-03", "2025-02-10", "2025-03-01", "2025-03-05"],
        "Close Date": ["2025-02-14", "2025-03-03", "2025-03-20", "2025-03-28", "2025-03-30", None],
        "Amount": ["12,000.00", "8,000.00", "4,000.00", "10,000.00", "2,500.00", "9,000.00"],
    })
    opps = sm.conform(report, "opportunities", columns={
        "Opportunity ID": "opportunity_id", "Opportunity Owner": "owner_id", "Account ID": "account_id", "Stage": "status",
        "Created Date": "created_at", "Close Date": "closed_at", "Amount": "amount"},
        values={"status": {"Negotiation": "open"}})
    users = pd.DataFrame({"rep_id": ["005-ann", "005-bob"], "team": ["East", "West"],
                          "manager_id": ["005-boss", "005-boss"], "region": ["NA", "EMEA"]})
    accounts = pd.DataFrame({"account_id": ["001-x", "001-y"], "segment": ["SMB", "Enterprise"], "region": ["NA", "APAC"]})
    return {"opportunities": opps, "reps": users, "accounts": accounts}


def test_references_outside_the_export_are_kept_counted_and_warned(salesforce):
    with pytest.warns(sm.DataQualityWarning) as record:
        data = sm.SalesData(**salesforce, on_invalid="quarantine")
    messages = [str(w.message) for w in record]
    owner = next(m for m in messages if m.startswith("opportunities.owner_id"))
    assert "2 row(s) refer to 1 id(s) not in reps.rep_id" in owner and "'005-gone'" in owner and "(unknown)" in owner
    assert any(m.startswith("opportunities.account_id: 1 row(s)") and "'001-zzz'" in m for m in messages)
    assert any(m.startswith("reps.manager_id: 2 row(s) refer to 1 id(s)") for m in messages)
    # nothing quarantined for it: every row is kept
    assert data.quarantine == {} and len(data.opportunities) == 6 and len(data.reps) == 2
    summary = data.summary()
    assert summary.loc["opportunities", "unresolved"] == 2  # 006D (owner and account: one row), 006E (owner)
    assert summary.loc["reps", "unresolved"] == 2
    u = data.unresolved.set_index(["table", "column"])
    assert u.loc[("opportunities", "owner_id"), "rows"] == 2 and u.loc[("opportunities", "owner_id"), "references"] == "reps.rep_id"


def test_an_owner_that_differs_only_by_unicode_normalisation_is_explained():
    import unicodedata

    reps = pd.DataFrame({"rep_id": [unicodedata.normalize("NFC", "José")], "team": ["A"]})
    opps = pd.DataFrame({"opportunity_id": ["o1"], "created_at": ["2025-01-01"], "status": ["open"],
                         "owner_id": [unicodedata.normalize("NFD", "José")]})
    with pytest.warns(sm.DataQualityWarning, match="Unicode normalisation") as record:
        sm.SalesData(reps=reps, opportunities=opps)
    assert any(str(w.message).startswith("opportunities.owner_id: 1 row(s)") for w in record)


def test_strict_references_keep_the_old_behaviour(salesforce):
    with pytest.raises(sm.InputValidationError) as info:
        _quiet(**salesforce, references="strict")
    fc = info.value.failure_cases
    assert set(zip(fc["table"], fc["column"], fc["check"], strict=True)) == {
        ("opportunities", "owner_id", "foreign_key"), ("opportunities", "account_id", "foreign_key"), ("reps", "manager_id", "foreign_key")}
    with pytest.raises(ValueError, match="references must be"):
        sm.SalesData(references="loose")  # type: ignore[arg-type]


def test_by_team_reaches_reps_through_the_owner_and_unknown_owners_form_their_own_group(salesforce):
    data = _quiet(**salesforce)
    wr = sm.win_rate(data, freq=None, by="team").set_index("team")
    # closed deals: ann (East) won 006A, 006C; bob (West) lost 006B; the departed owner won 006D, lost 006E
    assert (wr.loc["East", "won"], wr.loc["East", "lost"]) == (2, 0)
    assert (wr.loc["West", "won"], wr.loc["West", "lost"]) == (0, 1)
    assert (wr.loc["(unknown)", "won"], wr.loc["(unknown)", "lost"]) == (1, 1)
    assert wr["won"].sum() == sm.win_rate(data, freq=None)["won"].sum()  # groups add up to the total
    by_manager = sm.win_rate(data, freq=None, by="manager_id").set_index("manager_id")
    assert by_manager.loc["005-boss", "won"] == 2 and by_manager.loc["(unknown)", "won"] == 1
    # segment through the account: 006D's account is outside the export
    seg = sm.win_rate(data, freq=None, by="segment").set_index("segment")
    assert seg.loc["(unknown)", "won"] == 1 and seg.loc["SMB", "won"] == 2


def test_a_column_of_both_accounts_and_reps_must_be_spelled_out(salesforce):
    data = _quiet(**salesforce)
    with pytest.raises(ValueError, match=r"by='account\.region'.*by='owner\.region'"):
        sm.win_rate(data, freq=None, by="region")
    owner = sm.win_rate(data, freq=None, by="owner.region").set_index("owner.region")
    account = sm.win_rate(data, freq=None, by="account.region").set_index("account.region")
    assert owner.loc["NA", "won"] == 2 and owner.loc["EMEA", "lost"] == 1  # ann is NA, bob EMEA
    assert account.loc["NA", "won"] == 2 and account.loc["APAC", "lost"] == 2  # 001-y is APAC: 006B, 006E
    with pytest.raises(ValueError, match="reps has no column 'colour'"):
        sm.win_rate(data, freq=None, by="owner.colour")


def test_grouping_by_an_empty_column_warns(salesforce):
    data = _quiet(**salesforce)
    with pytest.warns(sm.DataQualityWarning, match=r"reps\.role is empty in every row; your export has no such column"):
        out = sm.win_rate(data, freq=None, by="role")
    assert set(out["role"]) == {"(missing)", "(unknown)"}


def test_reps_without_role_or_hire_dates_load_and_say_what_they_lack():
    reps = pd.DataFrame({"rep_id": ["r1", "r2"], "team": ["A", "B"]})
    data = sm.SalesData(reps=reps)
    assert data.has_column("reps", "team") and not data.has_column("reps", "role")
    assert not data.has_column("reps", "hired_at") and not data.has_column("reps", "terminated_at")
    assert data.reps["hired_at"].isna().all()
    # a conformed frame remembers what it filled in
    conformed = sm.conform(reps, "reps")
    assert not sm.SalesData(reps=conformed).has_column("reps", "role")


def test_a_billing_export_alone_has_an_as_of():
    """mrr-playbook-like subscription periods: end dates are exclusive, the last starts on 2020-01-01."""
    periods = pd.DataFrame({
        "subscription_id": ["1", "2", "3", "4"], "account_id": ["1", "1", "2", "3"],
        "start_date": ["2019-11-01", "2019-12-01", "2019-12-01", "2020-01-01"],
        "end_date": ["2019-12-01", "2020-02-01", "2020-03-01", "2020-02-01"], "amount": ["50", "50", "25", "10"]})
    data = sm.SalesData(subscriptions=periods)
    # end dates lie ahead of the last start (scheduled ends), so they do not move as_of
    assert data.as_of == pd.Timestamp("2020-01-01", tz="UTC")
    assert data.as_of_source == "subscriptions.start_date"
    assert data.summary().loc["subscriptions", "as_of_from"] == "start_date"
    bridge = sm.mrr_bridge(data, freq="M")  # no hidden argument needed
    assert bridge["period"].iloc[-1] == pd.Period("2020-01", "M")
    assert bridge["ending_mrr"].iloc[-1] == 85  # accounts 1 (50), 2 (25), 3 (10) at 2020-01-01
    # a bundle of nothing but exchange rates is dated by them
    rates = sm.SalesData(fx_rates=pd.DataFrame({"currency": ["EUR"], "date": ["2025-03-01"], "rate": ["1.1"]}))
    assert rates.as_of_source == "fx_rates.date"


def test_as_of_given_explicitly_wins():
    periods = pd.DataFrame({"subscription_id": ["1"], "account_id": ["1"], "start_date": ["2019-11-01"], "amount": ["50"]})
    data = sm.SalesData(subscriptions=periods, as_of="2020-06-30", timezone="Asia/Seoul")
    assert data.as_of == pd.Timestamp("2020-06-30", tz="Asia/Seoul") and data.as_of_source == "given"


def test_a_far_future_typo_does_not_move_as_of_and_is_named():
    leads = pd.DataFrame({"lead_id": [f"l{i}" for i in range(5)],
                          "created_at": ["2025-01-03", "2025-02-03", "2260-03-03", "2025-03-30", "2025-03-31"]})
    with pytest.warns(sm.DataQualityWarning, match=r"leads\.created_at row 2 is 2260-03-03"):
        data = sm.SalesData(leads=leads)
    assert data.as_of == pd.Timestamp("2025-03-31", tz="UTC")
    # many far values in one column are the data, not a typo
    many = pd.DataFrame({"lead_id": [f"l{i}" for i in range(12)], "created_at": ["2025-01-01"] + ["2040-01-01"] * 11})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        assert _quiet(leads=many).as_of.year == 2040


def test_replacing_a_table_refreshes_as_of():
    leads = pd.DataFrame({"lead_id": ["l1"], "created_at": ["2025-01-03"]})
    data = sm.SalesData(leads=leads)
    data.leads = sm.conform(pd.DataFrame({"lead_id": ["l1"], "created_at": ["2025-05-03"]}), "leads")
    assert data.as_of == pd.Timestamp("2025-05-03", tz="UTC")


def test_quarantine_above_five_percent_is_loud_and_below_is_quiet():
    n = 40
    opps = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(n)], "created_at": "2025-01-01", "status": "open"})
    two = opps.copy()
    two.loc[[3, 7], "created_at"] = None  # 2 of 40 = 5%: not more than 5%
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.DataQualityWarning)
        assert len(sm.SalesData(opportunities=two, on_invalid="quarantine").quarantine["opportunities"]) == 2
    three = two.copy()
    three.loc[9, "status"] = "maybe"
    with pytest.warns(sm.DataQualityWarning, match=r"opportunities: 3 of 40 rows \(7\.5%\); top reasons: created_at: missing_value \(2\), .*status: allowed_values \(1\)"):
        sm.SalesData(opportunities=three, on_invalid="quarantine")


def test_user_columns_named_like_the_bookkeeping_pass_through():
    opps = pd.DataFrame({"opportunity_id": ["o1", "o2"], "created_at": ["2025-01-01", "soon"], "status": "open",
                         "row": ["mine", "mine too"], "reason": ["r", "s"], "_row": [1, 2]})
    data = _quiet(opportunities=opps, on_invalid="quarantine")
    assert data.opportunities[["row", "reason", "_row"]].iloc[0].tolist() == ["mine", "r", 1]
    held = data.quarantine["opportunities"]
    assert held["row"].tolist() == ["mine too"] and held["quarantine_row"].tolist() == [1]
    assert held["quarantine_reason"].tolist() == ["created_at: timestamp"] and held["_row"].tolist() == [2]


def test_a_bundle_never_serves_a_stale_look_up_after_two_edits():
    """Replacing a table twice used to reuse the freed buffer of the first, so the cached positions of the
    original looked valid for the second: response_sla then took the wrong first touches."""
    rng = np.random.default_rng(3)
    leads = pd.DataFrame({"lead_id": [f"l{i}" for i in range(2000)], "created_at": "2025-01-01"})
    acts = pd.DataFrame({"activity_id": [f"a{i}" for i in range(8000)], "owner_id": "r1", "occurred_at": "2025-02-01",
                         "lead_id": [f"l{i}" for i in rng.integers(0, 2000, 8000)]})
    data = _quiet(leads=leads, activities=acts)
    for i in range(15):
        for k in range(2):
            data.activities = data.activities.sample(frac=1, random_state=i * 2 + k).reset_index(drop=True)
        got = resolve(data, "activities").positions("activities", "lead_id", "leads")
        assert np.array_equal(got, index_in(data.activities["lead_id"], data.leads["lead_id"])), i


def test_response_sla_after_two_edits_equals_a_fresh_bundle(sample):
    data = sm.SalesData(**sample.tables, timezone=sample.timezone, currency=sample.currency)
    for seed in (11, 12):
        data.activities = data.activities.sample(frac=1, random_state=seed).reset_index(drop=True)
    fresh = sm.SalesData(**data.tables, timezone=data.timezone, currency=data.currency)
    pd.testing.assert_frame_equal(sm.response_sla(data, freq="Q"), sm.response_sla(fresh, freq="Q"))


# -- property: quarantine partitions rows, and never for an unresolved optional reference ---------------------

BAD = {"amount": "-1", "status": "unknown", "created_at": "not a date", "account_id": "acct-outside", "owner_id": "rep-outside"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corrupt=st.lists(st.tuples(st.integers(0, 119), st.sampled_from(list(BAD))), max_size=40),
       manager_outside=st.booleans(), seed=st.integers(0, 10_000))
def test_property_kept_plus_quarantined_is_the_input_and_references_never_quarantine(corrupt, manager_outside, seed):
    rng = np.random.default_rng(seed)
    n = 120
    accounts = pd.DataFrame({"account_id": [f"a{i}" for i in range(10)], "segment": rng.choice(["SMB", "MM"], 10)})
    reps = pd.DataFrame({"rep_id": ["r1", "r2", "r3"], "team": ["A", "A", "B"],
                         "manager_id": ["boss-outside" if manager_outside else "r3", "r3", None]})
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    status = rng.choice(["open", "won", "lost"], n)
    opps = pd.DataFrame({
        "opportunity_id": [f"o{i}" for i in range(n)], "created_at": created.astype(str), "status": status,
        "closed_at": [str(c + pd.Timedelta(days=5)) if s != "open" else None for c, s in zip(created, status, strict=True)],
        "amount": rng.integers(0, 1000, n).astype(str), "account_id": rng.choice(accounts["account_id"], n),
        "owner_id": rng.choice(reps["rep_id"], n)}).astype(object)
    for row, col in corrupt:
        opps.loc[row, col] = BAD[col]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = sm.SalesData(opportunities=opps, accounts=accounts, reps=reps, on_invalid="quarantine")
    held = data.quarantine.get("opportunities", pd.DataFrame(columns=["row"]))
    assert len(data.opportunities) + len(held) == n
    assert len(data.reps) == 3 and len(data.accounts) == 10  # a manager outside the export quarantines nobody
    invalid = {r for r, c in corrupt if c in ("amount", "status", "created_at")}
    assert set(held["row"]) == invalid  # dangling account or owner ids alone never quarantine
    dangling = {r for r, c in corrupt if c in ("account_id", "owner_id")} - invalid
    assert data.summary().loc["opportunities", "unresolved"] == len(dangling)
    wr = sm.win_rate(data, freq=None, by="team")
    assert wr["won"].sum() == (data.opportunities["status"] == "won").sum()


# -- what a new analyst met on public exports (Olist-like funnel, billing-only, few columns) -----------------


@pytest.fixture()
def funnel_only() -> dict[str, pd.DataFrame]:
    """MQLs with a first-contact date and a source, and the deals won from them: no sql_at, no lead owner, no
    accounts table, no amounts (an Olist-like marketing funnel export)."""
    rng = np.random.default_rng(5)
    n = 400
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 270, n), unit="D")
    leads = pd.DataFrame({"lead_id": [f"m{i}" for i in range(n)], "created_at": created.astype(str),
                          "source": rng.choice(["social", "paid_search", "email"], n)})
    leads["mql_at"] = leads["created_at"]
    won = leads.sample(40, random_state=1)
    opps = pd.DataFrame({"opportunity_id": won["lead_id"], "lead_id": won["lead_id"], "status": "won",
                         "created_at": (pd.to_datetime(won["created_at"]) + pd.Timedelta(days=20)).astype(str),
                         "account_id": [f"seller{i}" for i in range(40)]})
    opps["closed_at"] = opps["created_at"]
    leads["opportunity_id"] = leads["lead_id"].where(leads["lead_id"].isin(opps["opportunity_id"]))
    return {"leads": leads, "opportunities": opps}


def test_diagnose_on_a_funnel_export_without_accounts_says_what_it_cannot_assess(funnel_only):
    data = _quiet(**funnel_only)
    found = sm.diagnose(data)
    assert set(found["sign"]) == {"declining_sales", "rep_turnover", "unclear_roles", "market_response", "customer_satisfaction"}
    assert (found["severity"] == "info").all()  # nothing here can be judged: every sign says why, none is "fine"
    market = sm.market_response(data, by="source")  # by a column the leads have
    assert market.findings["severity"].tolist() == ["info"]
    assert "neither an sql_at nor an owner_id" in market.findings["evidence"].iloc[0]
    assert market.table["conversion"].isna().all() and market.table["unowned_share"].isna().all()  # unknown, not 0%


def test_bookings_without_amounts_are_unknown_not_zero(funnel_only):
    data = _quiet(**funnel_only)
    with pytest.warns(sm.DataQualityWarning, match="no amount column"):
        size = sm.deal_size(data, freq="Q")
    assert size["won"].sum() == 0 and size["total"].isna().all()
    # a quarter with no won deal at all books 0; a quarter whose won deals all lack amounts is unknown
    opps = pd.DataFrame({"opportunity_id": ["a", "b"], "created_at": ["2025-01-05", "2025-04-05"], "status": ["won", "lost"],
                         "closed_at": ["2025-02-01", "2025-05-01"], "amount": [None, "100"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        q = sm.deal_size(sm.SalesData(opportunities=opps), freq="Q").set_index("period")["total"]
    assert np.isnan(q[pd.Period("2025Q1", "Q")]) and q[pd.Period("2025Q2", "Q")] == 0


def test_unit_economics_of_a_billing_export_keeps_the_value_side():
    subs = pd.DataFrame({"subscription_id": [f"s{i}" for i in range(6)], "account_id": [f"a{i}" for i in range(6)],
                         "start_date": ["2024-01-01"] * 6, "end_date": [None, None, None, None, "2024-09-01", "2024-11-01"],
                         "amount": ["100"] * 6})
    data = sm.SalesData(subscriptions=subs)
    with pytest.warns(sm.DataQualityWarning, match="no spend table"):
        ue = sm.unit_economics(data, freq="Q")
    assert ue["cac"].isna().all() and ue["ltv_cac"].isna().all()
    assert ue["arpa"].iloc[-1] == 100  # 4 accounts of $100 at the end of 2024Q4


def test_missing_column_messages_read_cleanly_and_list_every_column():
    wide = pd.DataFrame({f"col{i}": ["x"] for i in range(20)} | {"opportunity_id": ["o1"], "status": ["open"]})
    with pytest.raises(sm.InputValidationError) as info:
        sm.SalesData(opportunities=wide)
    message = str(info.value)
    assert "[missing_column]:." not in message and "opportunities.created_at [missing_column]. Fix:" in message
    assert "'col19'" in message  # the 22 columns are all listed (a long list ends with "... and N more")


def test_an_offset_in_hours_only_is_an_offset_on_every_path():
    """'2022-10-01T00:20:00-04' is 04:20 UTC. A clean column takes the Arrow path, a mixed one the general
    reading; both used to differ (the general one read '-04' as no offset, four hours off)."""
    clean = pd.DataFrame({"lead_id": ["l1", "l2"], "created_at": ["2022-10-01T00:20:00-04", "2022-10-01T12:00:00-04"]})
    mixed = pd.DataFrame({"lead_id": ["l1", "l2"], "created_at": ["2022-10-01T00:20:00-04", "2022-10-01T16:00:00+00:00"]})
    for frame in (clean, mixed):
        got = sm.SalesData(leads=frame, timezone="UTC").leads["created_at"].iloc[0]
        assert got == pd.Timestamp("2022-10-01 04:20", tz="UTC")


def test_the_review_of_a_billing_export_says_plainly_what_it_lacks():
    """mrr-playbook-like billing data alone: the deck is built, its sign pages say 'not assessed' with the
    table to add, and no page shows a Python message."""
    from salesmetrics.reports.deck import review

    rng = np.random.default_rng(11)
    n = 60
    starts = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 540, n), unit="D")
    ends = [str((s + pd.DateOffset(months=int(m))).date()) if m else None for s, m in zip(starts, rng.integers(0, 14, n), strict=True)]
    subs = pd.DataFrame({"subscription_id": [f"s{i}" for i in range(n)], "account_id": [f"a{i % 45}" for i in range(n)],
                         "start_date": starts.strftime("%Y-%m-%d"), "end_date": ends, "amount": rng.integers(20, 200, n).astype(str)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        slides = review(sm.SalesData(subscriptions=subs))
    bullets = [b for s in slides for b in s.bullets]
    assert any("needs the leads table" in b for b in bullets)
    assert sum("Cannot assess" in b for b in bullets) >= 5  # each of the five signs says why
    assert not any("SalesData that has it" in b or "<DataFrame>" in b for b in bullets)
