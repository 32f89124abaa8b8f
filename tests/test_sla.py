"""Lead definitions, the response SLA in business time, and attainment: hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.sla import attainment, qualify, response_sla

SEOUL, NY = "Asia/Seoul", "America/New_York"
REPS = pd.DataFrame({"rep_id": ["r1", "bot"], "team": ["SDR", "Marketing"], "role": ["SDR", "MKT"], "hired_at": ["2020-01-01"] * 2})


def sla_case(mql: str, touches: list[tuple[str, dict]], tz: str, *, as_of: str, calendar=None, within="24h", account="acc1"):
    """One lead (MQL at ``mql``) and its activities; returns the per-lead detail row."""
    leads = pd.DataFrame({"lead_id": ["l1"], "account_id": [account], "created_at": [pd.Timestamp(mql, tz=tz) - pd.Timedelta(hours=1)],
                          "mql_at": [pd.Timestamp(mql, tz=tz)]})
    acts = pd.DataFrame([{"activity_id": f"a{i}", "owner_id": "r1", "lead_id": "l1", "account_id": None, "automated": False,
                          "occurred_at": pd.Timestamp(when, tz=tz), **extra} for i, (when, extra) in enumerate(touches)])
    if acts.empty:
        acts = pd.DataFrame({"activity_id": ["z"], "owner_id": ["r1"], "lead_id": ["other"], "account_id": [None], "automated": [False],
                             "occurred_at": [pd.Timestamp("2020-01-01", tz=tz)]})
    data = sm.SalesData(leads=leads, activities=acts, reps=REPS, accounts=pd.DataFrame({"account_id": ["acc1"]}), timezone=tz)
    return response_sla(data, calendar=calendar, within=within, as_of=pd.Timestamp(as_of, tz=tz), detail=True, freq=None).iloc[0]


OFFICE_SEOUL = sm.BusinessCalendar(SEOUL, start="09:00", end="18:00")
OFFICE_NY = sm.BusinessCalendar(NY, start="09:00", end="18:00")


def test_friday_evening_lead_touched_monday_morning_seoul():
    """MQL Friday 2025-06-13 17:30, call Monday 09:20 (09:00-18:00, Mon-Fri, Seoul):
    Friday 17:30-18:00 = 30 min, weekend 0, Monday 09:00-09:20 = 20 min -> 50 min: met.
    Wall-clock it is 63 h 50 min: breached."""
    row = sla_case("2025-06-13 17:30", [("2025-06-16 09:20", {})], SEOUL, as_of="2025-06-30", calendar=OFFICE_SEOUL)
    assert row["response"] == pd.Timedelta(minutes=50) and row["status"] == "met"
    wall = sla_case("2025-06-13 17:30", [("2025-06-16 09:20", {})], SEOUL, as_of="2025-06-30")
    assert wall["response"] == pd.Timedelta(hours=63, minutes=50) and wall["status"] == "breached"


def test_a_public_holiday_stops_the_clock():
    """MQL Thursday 2025-10-02 16:00, Friday 10-03 is a holiday (Gaecheonjeol), call Monday 10-06 10:00:
    Thursday 16:00-18:00 = 2 h, Friday 0, weekend 0, Monday 09:00-10:00 = 1 h -> 3 h."""
    cal = sm.BusinessCalendar(SEOUL, start="09:00", end="18:00", holidays=["2025-10-03"])
    row = sla_case("2025-10-02 16:00", [("2025-10-06 10:00", {})], SEOUL, as_of="2025-10-31", calendar=cal)
    assert row["response"] == pd.Timedelta(hours=3)
    no_holiday = sla_case("2025-10-02 16:00", [("2025-10-06 10:00", {})], SEOUL, as_of="2025-10-31", calendar=OFFICE_SEOUL)
    assert no_holiday["response"] == pd.Timedelta(hours=12)  # + Friday's 9 working hours


def test_a_lead_arriving_outside_working_hours():
    """MQL Saturday 2025-06-14 22:00, call Monday 09:45: the clock starts Monday 09:00 -> 45 min."""
    row = sla_case("2025-06-14 22:00", [("2025-06-16 09:45", {})], SEOUL, as_of="2025-06-30", calendar=OFFICE_SEOUL)
    assert row["response"] == pd.Timedelta(minutes=45)


def test_new_york_across_both_dst_changes():
    """Spring forward (Sun 2025-03-09): MQL Fri 03-07 16:00 EST, call Mon 03-10 10:00 EDT: 2 h + 1 h = 3 h.
    Fall back (Sun 2025-11-02): MQL Fri 10-31 17:00 EDT, call Mon 11-03 09:30 EST: 1 h + 0.5 h = 1.5 h.
    Wall-clock across the spring change: Sat 03-08 12:00 to Sun 03-09 12:30 is 23.5 real hours (met);
    across the fall change Sat 11-01 12:00 to Sun 11-02 11:30 is 24.5 real hours (breached)."""
    assert sla_case("2025-03-07 16:00", [("2025-03-10 10:00", {})], NY, as_of="2025-03-31", calendar=OFFICE_NY)["response"] == pd.Timedelta(hours=3)
    assert sla_case("2025-10-31 17:00", [("2025-11-03 09:30", {})], NY, as_of="2025-11-30", calendar=OFFICE_NY)["response"] == pd.Timedelta(hours=1.5)
    spring = sla_case("2025-03-08 12:00", [("2025-03-09 12:30", {})], NY, as_of="2025-03-31")
    fall = sla_case("2025-11-01 12:00", [("2025-11-02 11:30", {})], NY, as_of="2025-11-30")
    assert (spring["response"], spring["status"]) == (pd.Timedelta(hours=23.5), "met")
    assert (fall["response"], fall["status"]) == (pd.Timedelta(hours=24.5), "breached")


def test_pending_versus_breached_at_as_of():
    """Untouched MQL Monday 2025-06-16 10:00 (Seoul, office hours). As of Tuesday 10:00 only 9 business hours
    have passed (< 24): pending. As of Thursday 12:00, 8 + 9 + 9 + 3 = 29 hours: breached. A touch after as_of
    is not seen."""
    pending = sla_case("2025-06-16 10:00", [("2025-06-25 10:00", {})], SEOUL, as_of="2025-06-17 10:00", calendar=OFFICE_SEOUL)
    breached = sla_case("2025-06-16 10:00", [("2025-06-25 10:00", {})], SEOUL, as_of="2025-06-19 12:00", calendar=OFFICE_SEOUL)
    assert pending["status"] == "pending" and pd.isna(pending["first_touch_at"])
    assert breached["status"] == "breached"


def test_which_touches_count():
    """Only the last touch counts: an earlier automated email, a touch by a non-rep, a touch before the MQL,
    and a touch on another account do not; a touch on the lead's own account (no lead_id) does."""
    touches = [
        ("2025-06-16 10:05", {"automated": True}),
        ("2025-06-16 10:10", {"owner_id": "someone"}),
        ("2025-06-16 09:00", {}),
        ("2025-06-16 10:15", {"lead_id": None, "account_id": "acc2"}),
        ("2025-06-16 11:00", {"lead_id": None, "account_id": "acc1"}),
    ]
    leads = pd.DataFrame({"lead_id": ["l1"], "account_id": ["acc1"], "created_at": [pd.Timestamp("2025-06-16 08:00", tz=SEOUL)],
                          "mql_at": [pd.Timestamp("2025-06-16 10:00", tz=SEOUL)]})
    acts = pd.DataFrame([{"activity_id": f"a{i}", "owner_id": "r1", "lead_id": "l1", "account_id": None, "automated": False,
                          "occurred_at": pd.Timestamp(w, tz=SEOUL), **x} for i, (w, x) in enumerate(touches)])
    reps = pd.concat([REPS, pd.DataFrame({"rep_id": ["someone"], "team": ["x"], "role": ["x"], "hired_at": ["2020-01-01"]})])
    accounts = pd.DataFrame({"account_id": ["acc1", "acc2"]})
    data = sm.SalesData(leads=leads, activities=acts, reps=reps, accounts=accounts, timezone=SEOUL)
    # 'someone' is in reps here, so restrict reps to the real ones by passing reps= explicitly
    row = response_sla(data, reps=REPS, detail=True, as_of="2025-06-30", freq=None).iloc[0]
    assert row["first_touch_at"] == pd.Timestamp("2025-06-16 11:00", tz=SEOUL) and row["response"] == pd.Timedelta(hours=1)


def test_aggregate_compliance_by_period_and_group():
    """Three MQLs: met (1 h), breached (30 h), pending: compliance 1 / 2, Wilson (0.0945, 0.9055)."""
    t = lambda s: pd.Timestamp(s, tz=SEOUL)  # noqa: E731
    leads = pd.DataFrame({"lead_id": ["a", "b", "c"], "source": ["web", "web", "event"], "created_at": [t("2025-06-01")] * 3,
                          "mql_at": [t("2025-06-02 10:00"), t("2025-06-02 10:00"), t("2025-06-29 23:00")]})
    acts = pd.DataFrame({"activity_id": ["1", "2"], "owner_id": ["r1", "r1"], "lead_id": ["a", "b"],
                         "occurred_at": [t("2025-06-02 11:00"), t("2025-06-03 16:00")]})
    data = sm.SalesData(leads=leads, activities=acts, reps=REPS, timezone=SEOUL)
    agg = response_sla(data, freq="M", as_of=t("2025-06-30 10:00")).iloc[0]
    assert (agg["leads"], agg["met"], agg["breached"], agg["pending"]) == (3, 1, 1, 1)
    assert agg["compliance"] == 0.5 and round(agg["compliance_low"], 4) == 0.0945
    assert agg["median_response_hours"] == pytest.approx((1 + 30) / 2)
    by = response_sla(data, by="source", as_of=t("2025-06-30 10:00"), freq=None).set_index("source")
    assert by.loc["web", "met"] == 1 and by.loc["event", "pending"] == 1 and by["leads"].sum() == 3


def test_sample_sla_compliance_falls_after_the_sdr_team_shrinks(sample):
    s = response_sla(sample, freq="Q").set_index("period")
    before = s.loc[pd.Period("2023Q1", "Q"):pd.Period("2024Q3", "Q")]
    rate = before["met"].sum() / (before["met"].sum() + before["breached"].sum())
    assert s.loc[pd.Period("2025Q3", "Q"), "compliance_high"] < rate - 0.2


def test_qualify_rules_are_data():
    leads = pd.DataFrame({"lead_id": list("abcd"), "score": [80, 45, None, 70], "segment": ["Enterprise", "SMB", "Enterprise", None],
                          "created_at": pd.to_datetime(["2025-01-01"] * 4).tz_localize("UTC"),
                          "mql_at": pd.to_datetime(["2025-01-05", None, None, None]).tz_localize("UTC")})
    out = qualify(leads, {"any": [{"column": "score", "op": ">=", "value": 75}, {"column": "segment", "in": ["SMB"]}]})
    assert out["mql_at"].notna().tolist() == [True, True, False, False]
    assert out.loc[0, "mql_at"] == pd.Timestamp("2025-01-05", tz="UTC")  # an existing MQL time is kept
    assert out.loc[1, "mql_at"] == pd.Timestamp("2025-01-01", tz="UTC") and out.attrs["qualified"] == 2
    assert qualify(leads, {"not": {"column": "segment", "op": "isna"}})["mql_at"].notna().sum() == 3
    assert qualify(leads, [{"column": "score", "op": ">", "value": 60}, {"column": "segment", "op": "notna"}])["mql_at"].notna().sum() == 1
    for bad, msg in [("score >= 40", "never code"), ({"column": "nope", "op": ">", "value": 1}, "column 'nope'"),
                     ({"column": "score", "op": "~", "value": 1}, "op"), ({"all": []}, "non-empty")]:
        with pytest.raises(ValueError, match=msg):
            qualify(leads, bad)  # type: ignore[arg-type]


def test_qualify_compares_today_and_a_proposed_mql_rule_on_the_sample(sample):
    """The sample's MQLs follow 'score >= 40'; a stricter proposal (score >= 60, or referral) lowers MQL volume."""
    today = qualify(sample, {"column": "score", "op": ">=", "value": 40}, stage="mql_check")
    rule, actual = today["mql_check"].notna(), sample.leads["mql_at"].notna()
    assert (rule | ~actual).all()  # every MQL in the CRM meets today's rule
    late = rule & ~actual  # the rest qualified in the export's last days, before their MQL time was set
    assert (sample.leads.loc[late, "created_at"] >= sample.as_of - pd.Timedelta(days=7)).all()
    proposed = qualify(sample, {"any": [{"column": "score", "op": ">=", "value": 60}, {"column": "source", "in": ["referral"]}]}, stage="mql_at")
    f_today = sm.funnel(sm.lead_journeys(sample), ["created_at", "mql_at"], freq=None)
    f_prop = sm.funnel(proposed, ["created_at", "mql_at"], freq=None)
    assert f_prop["converted"].item() < f_today["converted"].item()


def test_attainment_wide_long_and_lower_is_better():
    periods = pd.PeriodIndex(["2025Q1", "2025Q2"], freq="Q")
    targets = pd.DataFrame({"period": ["2025Q1", "2025Q2", "2025Q1", "2025Q1"], "metric": ["win_rate", "win_rate", "logo_churn_rate", "sla_compliance"],
                            "target": [0.3, 0.3, 0.02, 0.9], "scope": ["company", "company", "company", "SDR"]})
    wide = attainment(pd.DataFrame({"period": periods, "win_rate": [0.24, 0.36]}), targets, metric="win_rate")
    assert wide["attainment"].round(2).tolist() == [0.8, 1.2]
    churn = attainment(pd.DataFrame({"period": periods[:1], "logo_churn_rate": [0.04]}), targets, metric="logo_churn_rate")
    assert churn["attainment"].item() == pytest.approx(0.5)  # twice the churn allowed: half way to target
    long = pd.DataFrame({"period": periods[:1].repeat(2), "metric": ["win_rate", "sla_compliance"], "value": [0.3, 0.45], "scope": ["company", "SDR"]})
    got = attainment(long, targets)
    assert got["attainment"].tolist() == [1.0, 0.5]
    team = attainment(pd.DataFrame({"period": periods[:1], "team": ["SDR"], "compliance": [0.9]}), targets, metric="sla_compliance",
                      value="compliance", by="team")
    assert team["attainment"].item() == 1.0
    assert np.isnan(attainment(pd.DataFrame({"period": periods[1:], "win_rate": [0.3]}), targets, metric="win_rate", scope="SDR")["target"].item())


def test_validated_bundle_and_bare_frames_agree_and_edits_are_seen(sample):
    """On a bundle, response_sla reuses the validation's id look-ups; on bare frames it does its own. Same answer;
    and after an edit to the activities (every touch moved to another lead) the bundle's answer follows the edit."""
    as_of = "2025-09-30"
    bundle = response_sla(sample, freq="Q", as_of=as_of)
    bare = response_sla(sample.leads, activities=sample.activities, reps=sample.reps, freq="Q", as_of=as_of)
    pd.testing.assert_frame_equal(bundle, bare[bundle.columns.tolist()], check_dtype=False)
    edited = sm.SalesData(**sample.tables, timezone=sample.timezone, currency=sample.currency)
    acts = edited.activities.copy()
    acts["lead_id"] = acts["lead_id"].where(acts["lead_id"].isna(), edited.leads["lead_id"].iloc[0])
    acts["account_id"] = None
    edited.activities = acts
    after = response_sla(edited, as_of=as_of, freq=None).iloc[0]
    assert after["met"] <= 1 and after["met"] < bundle["met"].sum()


@pytest.mark.parametrize(("mql", "touch", "hours_kr", "hours_plain"), [
    # Chuseok 2025: Thu 2 Oct 17:30 -> Fri 10 Oct 09:20. Korean calendar: 30 min Thursday + 20 min Friday = 50 min
    # (Fri 3 Oct National Foundation Day; 6-7 Chuseok; 8 Oct substitute day; 9 Oct Hangul Day). A plain weekday calendar
    # counts Fri 3, Mon 6 - Thu 9 as working days: 0.5 + 5 x 9 + 20/60 h.
    ("2025-10-02 17:30", "2025-10-10 09:20", 50 / 60, 0.5 + 45 + 20 / 60),
    # Seollal 2026 (Mon 16 - Wed 18 Feb): Fri 13 Feb 17:00 -> Thu 19 Feb 10:00 = 1 h + 1 h; plain: 1 + 3 x 9 + 1.
    ("2026-02-13 17:00", "2026-02-19 10:00", 2.0, 29.0),
])
def test_korean_public_holidays_stop_the_clock(mql, touch, hours_kr, hours_plain):
    korean = sm.BusinessCalendar(SEOUL, start="09:00", end="18:00", country="KR")
    row = sla_case(mql, [(touch, {})], SEOUL, as_of="2026-03-31", calendar=korean)
    assert row["response_hours"] == pytest.approx(hours_kr) and row["status"] == "met"
    plain = sla_case(mql, [(touch, {})], SEOUL, as_of="2026-03-31", calendar=OFFICE_SEOUL)
    assert plain["response_hours"] == pytest.approx(hours_plain) and plain["status"] == "breached"


def test_country_holidays_add_to_explicit_ones_and_unknown_countries_fail():
    both = sm.BusinessCalendar(SEOUL, country="KR", holidays=["2025-10-10"])
    a = pd.Series(pd.to_datetime(["2025-10-02 17:00"]).tz_localize(SEOUL))
    b = pd.Series(pd.to_datetime(["2025-10-13 10:00"]).tz_localize(SEOUL))
    assert both.business_time(a, b).iloc[0] == pd.Timedelta(hours=2)  # Thu 2 Oct 1 h, Mon 13 Oct 1 h
    with pytest.raises(ValueError, match="no public-holiday calendar"):
        sm.BusinessCalendar(SEOUL, country="XX")


def test_activities_read_in_small_ranges_on_several_threads_give_the_same_table(sample, monkeypatch):
    """response_sla reads the activities one range of rows at a time (salesmetrics._kernels.in_ranges); ranges of
    997 rows over three threads, the last range short, must give the table one range gives, cell for cell."""
    from salesmetrics import _kernels

    kwargs = {"freq": "M", "by": "source", "as_of": sample.as_of}
    monkeypatch.setattr(_kernels, "CHUNK", 10**9)
    whole = response_sla(sample, **kwargs)
    detail = response_sla(sample, detail=True, as_of=sample.as_of)
    monkeypatch.setattr(_kernels, "CHUNK", 997)
    monkeypatch.setattr(_kernels, "_threads", lambda: 3)
    assert len(sample.activities) > 5 * 997
    pd.testing.assert_frame_equal(response_sla(sample, **kwargs), whole)
    pd.testing.assert_frame_equal(response_sla(sample, detail=True, as_of=sample.as_of), detail)
