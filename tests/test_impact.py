"""Effective-dated assignments and the reorg impact: hand-computed fixtures."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.impact import _logrank, _newcombe

REPS = pd.DataFrame({"rep_id": ["r1", "r2"], "team": ["B", "B"], "role": ["AE", "AE"], "hired_at": ["2024-01-01", "2024-01-01"]})


def _deals(closes: list[str], owner: str = "r1", status: str = "won") -> pd.DataFrame:
    return pd.DataFrame({"opportunity_id": [f"{owner}-{i}" for i in range(len(closes))], "created_at": "2023-01-02",
                         "closed_at": closes, "status": status, "owner_id": owner, "amount": 100.0})


def test_a_rep_who_moves_mid_quarter_has_each_deal_in_the_team_of_its_date():
    """r1 is in A until 15 February (exclusive end), then in B. Two deals closed before the move count for A, three
    after for B, all in 2025Q1; without assignments all five go to reps.team (B, the current team)."""
    opps = _deals(["2025-01-10", "2025-02-14 23:00", "2025-02-15", "2025-03-01", "2025-03-30"])
    plan = pd.DataFrame({"rep_id": ["r1", "r1"], "team": ["A", "B"], "role": ["SDR", "AE"],
                         "start_date": ["2024-01-01", "2025-02-15"], "end_date": ["2025-02-15", None]})
    dated = sm.SalesData(opportunities=opps, reps=REPS, assignments=plan)
    got = sm.win_rate(dated, by="team", freq="Q").set_index("team")["won"]
    assert got.to_dict() == {"A": 2, "B": 3}
    by_role = sm.win_rate(dated, by="role", freq="Q").set_index("role")["won"]
    assert by_role.to_dict() == {"AE": 3, "SDR": 2}
    flat = sm.win_rate(sm.SalesData(opportunities=opps, reps=REPS), by="team", freq="Q").set_index("team")["won"]
    assert flat.to_dict() == {"B": 5}


def test_one_open_assignment_per_rep_gives_the_results_of_reps_alone(sample):
    """The sample has no assignments: grouping by team reads reps.team. An assignments table with one open interval
    per rep from the hire date, in reps' team and role, gives the same tables by team and by role."""
    assert sample.assignments is None
    plan = sample.reps[["rep_id", "team", "role"]].copy()
    plan["start_date"] = sample.reps["hired_at"].dt.tz_localize(None).dt.normalize().fillna(pd.Timestamp("2000-01-01"))
    same = sm.SalesData(**{**sample.tables, "assignments": plan}, timezone=sample.timezone, currency=sample.currency)
    for by in ("team", "role"):
        pd.testing.assert_frame_equal(sm.win_rate(same, by=by), sm.win_rate(sample, by=by))
        with pytest.warns(sm.DataQualityWarning, match="3 row"):  # 3 deals were opened before their owner's hire date
            pd.testing.assert_frame_equal(sm.close_rate(same, by=by), sm.close_rate(sample, by=by))


def test_overlaps_gaps_and_dates_outside_employment_are_reported():
    plan = pd.DataFrame({"rep_id": ["r1", "r1", "r2", "r2"], "team": ["A", "B", "A", "B"],
                         "start_date": ["2024-01-01", "2024-06-01", "2023-06-01", "2024-03-01"],
                         "end_date": ["2024-07-01", None, "2024-03-01", "2024-02-01"]})
    with pytest.raises(sm.InputValidationError) as err:
        sm.SalesData(reps=REPS, assignments=plan)
    found = err.value.failure_cases
    checks = found.groupby("check")["row"].apply(sorted).to_dict()
    assert checks["one_assignment_at_a_time"] == [0, 1]  # r1's two rows overlap in June 2024
    assert checks["assignment_ends_after_start"] == [3]
    assert 2 in checks["assignment_outside_employment"]  # r2 was hired on 2024-01-01
    said = found.loc[found["check"] == "assignment_outside_employment", "value"].tolist()
    assert "r2 2023-06-01–2024-03-01 (employed 2024-01-01–open)" in said
    shown = found.set_index(["check", "row"])["value"]  # every assignment check names the rep and the span
    assert shown[("one_assignment_at_a_time", 1)] == "r1 2024-06-01–open"
    assert shown[("assignment_ends_after_start", 3)] == "r2 2024-03-01–2024-02-01"
    assert "'r1 2024-01-01–2024-07-01'" in str(err.value)
    assert "end each one on the day the next starts" in str(err.value)


def test_a_time_no_assignment_covers_takes_the_latest_before_it_with_a_warning():
    """r1: A until 1 February, B from 1 March. A deal on 10 February (in the gap) stays with A, the last team before
    it; one before the first assignment (2023) takes the first, A."""
    opps = _deals(["2023-06-01", "2025-01-10", "2025-02-10", "2025-03-10"])
    plan = pd.DataFrame({"rep_id": ["r1", "r1"], "team": ["A", "B"], "start_date": ["2024-01-01", "2025-03-01"],
                         "end_date": ["2025-02-01", None]})
    data = sm.SalesData(opportunities=opps, reps=REPS, assignments=plan)
    with pytest.warns(sm.DataQualityWarning, match=r"2 row\(s\) fall at a time no assignment of their owner covers"):
        got = sm.win_rate(data, by="team", freq=None).set_index("team")["won"]
    assert got.to_dict() == {"A": 3, "B": 1}


def test_newcombe_interval_matches_the_paper():
    """Newcombe (1998), Statistics in Medicine 17:873-890, Table II, example (a): 56/70 against 48/80, difference
    0.1833; method 10 (hybrid score) gives 0.0524 to 0.3339."""
    lo, hi = _newcombe(48, 80, 56, 70, 0.95)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


def test_logrank_by_hand_and_against_scipy():
    """Two samples, no censoring: group 0 events at 1, 3; group 1 at 2, 4, 5. By hand: t=1: n=5 (3 in group 1),
    E1=3/5, V=(3/5)(2/5)=0.24; t=2: n=4 (3), E1=3/4, V=3/16; t=3: n=3 (2), E1=2/3, V=2/9; t=4 and t=5: E1=1, V=0.
    O1=3, ΣE1=4.01667, ΣV=0.64972: chi² = 1.01667² / 0.64972 = 1.5909, p = 0.2072. Then random censored samples
    against scipy.stats.logrank (an independent implementation)."""
    from scipy.stats import CensoredData, logrank

    p = _logrank(np.array([1.0, 3.0]), np.array([True, True]), np.array([2.0, 4.0, 5.0]), np.array([True, True, True]))
    assert round(p, 4) == 0.2072
    rng = np.random.default_rng(11)
    for n0, n1 in ((30, 50), (200, 120)):
        t0, t1 = np.round(rng.exponential(20, n0)), np.round(rng.exponential(28, n1))
        e0, e1 = rng.random(n0) < 0.7, rng.random(n1) < 0.7
        want = logrank(CensoredData(uncensored=t0[e0], right=t0[~e0]), CensoredData(uncensored=t1[e1], right=t1[~e1])).pvalue
        assert _logrank(t0, e0, t1, e1) == pytest.approx(want, rel=1e-9)


def _two_teams(drift: float = 0.05, effect: float = 0.15, n: int = 300, seed: int | None = None) -> sm.SalesData:
    """Two teams of deals closed evenly over a year, the reorg on 2025-07-01. Team R (reps moved into it on the day)
    wins 20% before and 20% + drift + effect after; team C wins 20% before and 20% + drift after. Counts are exact
    (60 of 300 won, ...) unless a seed draws them."""
    rng = None if seed is None else np.random.default_rng(seed)
    rows = []
    for team, rep, lift in (("R", "r1", effect), ("C", "r2", 0.0)):
        for window, start, p in ((0, "2025-01-01", 0.20), (1, "2025-07-01", 0.20 + drift + lift)):
            days = pd.Timestamp(start) + pd.to_timedelta(np.arange(n) * 181 / n * 86_400, unit="s")
            won = np.zeros(n, dtype=bool)
            if rng is None:
                won[np.linspace(0, n - 1, round(p * n)).astype(int)] = True
            else:
                won = rng.random(n) < p
            rows.append(pd.DataFrame({"opportunity_id": [f"{team}{window}-{i}" for i in range(n)], "created_at": days - pd.Timedelta(days=3),
                                      "closed_at": days, "status": np.where(won, "won", "lost"), "owner_id": rep, "amount": 1000.0}))
    opps = pd.concat(rows, ignore_index=True)
    reps = pd.DataFrame({"rep_id": ["r1", "r2", "r3"], "team": ["R", "C", "R"], "hired_at": "2024-01-01"})
    plan = pd.DataFrame({"rep_id": ["r1", "r1", "r2", "r3"], "team": ["R", "R", "C", "R"],
                         "role": ["AE", "AE", "AE", "SDR"], "start_date": ["2024-01-01", "2025-07-01", "2024-01-01", "2025-07-01"],
                         "end_date": ["2025-07-01", None, None, None]})
    return sm.SalesData(opportunities=opps, reps=reps, assignments=plan, as_of="2025-12-31")


def test_the_reorganised_team_gains_fifteen_points_net_of_the_controls():
    """R: 60/300 → 120/300 (20% → 40%); C: 60/300 → 75/300 (20% → 25%, the company-wide drift). The change net of
    the control is 0.20 − 0.05 = 0.15; its Wald interval, from the four variances
    0.2·0.8/300 + 0.4·0.6/300 + 0.2·0.8/300 + 0.25·0.75/300 = 0.0024917, is 0.15 ± 1.96·0.049917 = (0.0522, 0.2478):
    it excludes 0. The control's own change, 0.05, has a Newcombe interval that includes 0."""
    data = _two_teams()
    out = sm.reorg_impact(data, "2025-07-01", metrics=["win_rate"]).set_index("group")
    assert out.attrs["controls"] == ["C"] and out.attrs["touched"] == ["R"]
    r, c = out.loc["R"], out.loc["C"]
    assert (r["arm"], c["arm"]) == ("reorganised", "control")
    assert (r["before"], r["after"], c["before"], c["after"]) == pytest.approx((0.2, 0.4, 0.2, 0.25))
    assert r["did"] == pytest.approx(0.15)
    assert (round(r["did_low"], 4), round(r["did_high"], 4)) == (0.0522, 0.2478)
    assert r["verdict"] == "better"
    assert c["change_low"] < 0 < c["change_high"]
    assert c["verdict"] == "control only"  # the one control: its change is the market's


def test_a_group_too_small_says_so():
    data = _two_teams(n=15)
    out = sm.reorg_impact(data, "2025-07-01", metrics=["win_rate"]).set_index("group")
    assert out.loc["R", "verdict"] == "too few to say"
    assert "a verdict needs 20 in each window" in out.loc["R", "note"]


def test_a_metric_the_data_cannot_give_says_why():
    out = sm.reorg_impact(_two_teams(), "2025-07-01", metrics=["csat", "sla_compliance", "win_rate"])
    missing = out[out["verdict"] == "not assessed"].set_index("metric")["note"]
    assert missing.to_dict() == {"csat": "no surveys table", "sla_compliance": "the response SLA needs leads and activities"}


def test_untouched_teams_are_rarely_significant_over_many_seeds():
    """No effect anywhere (drift only): over 200 seeds the reorganised team's net effect is significant at 5% in
    about 5% of them; a binomial bound (at most 20 of 200, p < 0.001 under 5%) keeps the test from flaking."""
    hits = 0
    for seed in range(200):
        out = sm.reorg_impact(_two_teams(effect=0.0, seed=seed), "2025-07-01", metrics=["win_rate"]).set_index("group")
        hits += out.loc["R", "verdict"] != "no clear change"
    assert hits <= 20


def test_the_after_window_ends_at_as_of_and_nothing_after_counts():
    data = _two_teams()
    out = sm.reorg_impact(data, "2025-07-01", metrics=["won_deals"], as_of="2025-10-01")
    assert out.attrs["after"][1].startswith("2025-10-01")
    r = out.set_index("group").loc["R"]
    # 120 won in R after the reorg, evenly over 181 days: the first 92 days hold 61 of them
    assert r["n_after"] == pytest.approx(61, abs=1)


def test_bad_arguments():
    data = _two_teams()
    with pytest.raises(ValueError, match="unknown metric"):
        sm.reorg_impact(data, "2025-07-01", metrics=["nps"])
    with pytest.raises(ValueError, match="not before as_of"):
        sm.reorg_impact(data, "2026-07-01")
    with pytest.raises(ValueError, match="is not a duration"):
        sm.reorg_impact(data, "2025-07-01", before="half a year")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sm.reorg_impact(data, "2025-07-01", metrics=["win_rate"], gap="14D")


def _recovered(seed: int, accounts: int) -> pd.DataFrame:
    from salesmetrics.datasets import make_company

    co = make_company(seed=seed, accounts=accounts, months=36, scenario="reorg_applied")
    data = sm.SalesData(**co.tables, timezone=co.timezone, currency=co.currency)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)  # events a little before a rep's hire date (generated)
        out = sm.reorg_impact(data, co.planted["periods"].iloc[0], metrics=["win_rate"])
    return out.merge(co.planted[["scope", "effect"]], left_on="group", right_on="scope")


def test_the_planted_reorg_is_recovered_across_seeds_and_sizes_and_controls_rarely_alarm():
    """scenario="reorg_applied" plants +12 points of win rate in the EMEA pod and +5 everywhere (REORG_EFFECT,
    REORG_DRIFT); the other pods and Account Management are untouched. Over 16 seeds at 2,000 accounts and 6 at
    8,000 (none of them the seed the scenario was written with), the EMEA pod's 95% interval net of the controls
    holds the true +12 in at least 19 of the 22 runs (nominal 95%: 3 or more misses has probability 0.09 under it),
    and the untouched teams are called better or worse in at most 6 of their 66 comparisons (nominal 5%: 3.3
    expected; 7 or more has probability 0.07)."""
    from salesmetrics.datasets.generator import REORG_EFFECT

    runs = [(seed, 2_000) for seed in range(100, 116)] + [(seed, 8_000) for seed in range(200, 206)]
    covered, alarms, comparisons = 0, 0, 0
    for seed, accounts in runs:
        out = _recovered(seed, accounts).set_index("group")
        emea = out.loc["New Business EMEA"]
        assert emea["arm"] == "reorganised" and emea["effect"] == REORG_EFFECT
        covered += bool(emea["did_low"] <= REORG_EFFECT <= emea["did_high"])
        for team in ("New Business North America", "New Business APAC", "Account Management"):
            assert out.loc[team, "arm"] == "control", (seed, team)
            comparisons += 1
            alarms += out.loc[team, "verdict"] in ("better", "worse")
    assert covered >= 19, covered
    assert alarms <= 6, (alarms, comparisons)


def test_the_reorg_applied_company_validates_and_its_assignments_explain_the_teams():
    from salesmetrics.datasets import make_company

    co = make_company(seed=5, accounts=600, months=24, scenario="reorg_applied", reorg_at="2024-03-01")
    data = sm.SalesData(**co.tables, timezone=co.timezone, currency=co.currency)
    plan = data.assignments
    moved = plan[plan["start_date"] == pd.Timestamp("2024-03-01")]
    assert set(moved["role"]) == {"AE", "SDR", "BDR"}
    assert (moved.loc[moved["role"] == "AE", "team"] == "New Business EMEA").all()
    design = sm.OrgDesign.at(data, "2024-06-30")
    assert {"New Business EMEA", "SDR"} <= {t.name for t in design.teams}
    assert "BDR" in next(t for t in design.teams if t.name == "SDR").roles
    assert "BDR" not in next(t for t in sm.OrgDesign.at(data, "2024-01-31").teams if t.name == "SDR").roles
    with pytest.raises(ValueError, match="reorg_at is for scenario='reorg_applied'"):
        make_company(seed=5, accounts=600, months=24, reorg_at="2024-03-01")


def test_the_command_line_reads_assignments_from_the_folder_and_prints_the_verdicts(tmp_path, capsys):
    """A folder written by make_company(scenario="reorg_applied") has assignments.csv: the command finds the
    controls itself and prints, per team, before -> after, the change and the change net of the controls."""
    from salesmetrics.datasets import make_company
    from salesmetrics.reports.cli import main

    co = make_company(seed=201, accounts=2_000, months=36, scenario="reorg_applied")
    folder = co.to_dir(tmp_path / "co")
    assert (folder / "assignments.csv").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        assert main(["impact", str(folder), "--at", co.planted["periods"].iloc[0], "--metric", "win_rate",
                     "--csv", str(tmp_path / "impact.csv")]) == 0
    out = capsys.readouterr().out
    assert "controls: Account Management, Customer Success, Marketing, New Business APAC, New Business North America, Sales Ops" in out
    emea = next(line for line in out.splitlines() if "New Business EMEA" in line)
    assert "reorganised" in emea and "net of controls +" in emea and " -> " in emea
    table = pd.read_csv(tmp_path / "impact.csv")
    assert set(table["metric"]) == {"win_rate"} and "did_low" in table.columns
    assert main(["impact", str(folder), "--at", "2031-01-01"]) == 3  # after as_of: a clear error, exit 3
    assert "not before as_of" in capsys.readouterr().err


@pytest.fixture(scope="module")
def applied():
    from salesmetrics.datasets import make_company

    co = make_company(seed=201, accounts=2_000, months=36, scenario="reorg_applied")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        return co, sm.SalesData(**co.tables, timezone=co.timezone, currency=co.currency)


def test_the_deck_says_whether_the_reorg_worked_in_english_and_korean(applied, tmp_path):
    from salesmetrics.reports.deck import review

    co, data = applied
    at = co.planted["periods"].iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        slides = review(data, reorg_at=at)
        ko = review(data, reorg_at=at, lang="ko")
    page = next(s for s in slides if s.key == "reorg")
    assert page.title == "Did the reorg work?" and page.subtitle.startswith(f"reorg on {at}")
    emea = page.table[page.table["Team"] == "New Business EMEA"]
    assert set(emea["Metric"]) >= {"Win rate", "Bookings per month", "Sales cycle (median)"}
    win = emea[emea["Metric"] == "Win rate"].iloc[0]
    assert win["Reorg"] == "reorganised" and "→" in win["Before → after"] and "pts" in win["Net of untouched teams [95%]"]
    # the figures behind the strings, for the workbook: the same rows
    assert len(page.values) == len(page.table) and page.values["did"].notna().any()
    assert any(n.startswith("CSAT: not assessed (survey responses carry no owner") for n in page.notes)
    assert any("Untouched teams: Account Management" in n for n in page.notes)
    assert [s.key for s in slides].index("reorg") < [s.key for s in slides].index("revenue")
    kpage = next(s for s in ko if s.key == "reorg")
    assert any(n.startswith("고객 만족도 (CSAT): 평가 불가 (설문 응답에 담당자가 없음") for n in kpage.notes), kpage.notes
    assert kpage.title == "조직 개편은 효과가 있었나?"
    assert set(kpage.table["개편"]) <= {"개편됨", "미개편"}
    assert "%p" in " ".join(kpage.table["미개편 팀 대비 순효과 [95%]"])
    verdicts = set(kpage.table["판정"])
    assert verdicts and all(not re.search("[a-z]", v) for v in verdicts), verdicts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        html = sm.report(data, out=tmp_path / "review.html", reorg_at=at)[0].read_text("utf-8")
    assert "Did the reorg work?" in html and "New Business EMEA" in html


def test_the_report_command_checks_the_reorg_date_before_building(tmp_path, capsys):
    from salesmetrics.reports.cli import main

    assert main(["report", "--reorg-at", "not a date", "--out", str(tmp_path / "r.html")]) == 3
    assert "--reorg-at" in capsys.readouterr().err
    assert main(["report", "--reorg-at", "2030-01-01", "--out", str(tmp_path / "r.html")]) == 3
    assert "no 'after' yet" in capsys.readouterr().err
    # the untouched teams of a folder without assignments: a team that is not one is refused, and so is the option
    # without a date; --org assigned on a folder without assignments says what file to add (before any work)
    assert main(["report", "--reorg-at", "2025-04-01", "--reorg-control", "Nowhere", "--out", str(tmp_path / "r.html")]) == 3
    assert "--reorg-control group(s) ['Nowhere'] are not team values" in capsys.readouterr().err
    assert main(["report", "--reorg-control", "SDR", "--out", str(tmp_path / "r.html")]) == 3
    assert "give the reorg's date with --reorg-at too" in capsys.readouterr().err
    for command in (["report", "--out", str(tmp_path / "r.html")], ["diagnose"]):
        assert main([*command, "--org", "assigned"]) == 3
        assert "add assignments.csv (rep_id, team, role, start_date, end_date)" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_the_reorg_page_takes_controls_and_says_where_the_windows_are_cut(tmp_path):
    """The sample has no assignments: with reorg_control the page nets each team against the named ones; a
    reorg near as_of gets a note that the after window is short."""
    from salesmetrics.reports.deck import _reorg_slides

    data = sm.load_sample()
    (page,) = _reorg_slides(data, data.as_of, "2025-04-01", "en", ["Account Management"])
    assert "Untouched teams: Account Management." in page.notes
    net = page.table.loc[page.table["Team"] == "New Business", "Net of untouched teams [95%]"]
    assert (net != "–").sum() >= 2  # win rate and sales cycle, netted (AM has too few deals for the others)
    assert not any(n.startswith("The after window ends at the as-of date:") for n in page.notes)
    (late,) = _reorg_slides(data, data.as_of, "2025-09-01", "en", ["Account Management"])
    assert "The after window ends at the as-of date: 30 days, not 181." in late.notes


def test_rep_turnover_counts_a_leaver_in_the_team_they_left_from_and_headcount_by_month():
    """Window 2025Q1–2025Q4 (four quarters to as_of 2025-12-31). r1 is in A until 1 July, then in B, and leaves on
    15 October: B has the departure. Headcount by month: A holds r1 for January–June (6 of 12 months) and r2 all
    year, so its average is (6 + 12) / 12 = 1.5; B holds r1 for July–October (4 months) and r3 all year:
    (4 + 12) / 12 = 1.333. Without assignments r1 counts in reps' team (B) all year and so does the departure."""
    reps = pd.DataFrame({"rep_id": ["r1", "r2", "r3"], "team": ["B", "A", "B"], "role": ["AE", "AE", "AE"],
                         "hired_at": ["2024-01-01"] * 3, "terminated_at": ["2025-10-15", None, None]})
    plan = pd.DataFrame({"rep_id": ["r1", "r1", "r2", "r3"], "team": ["A", "B", "A", "B"], "role": "AE",
                         "start_date": ["2024-01-01", "2025-07-01", "2024-01-01", "2024-01-01"],
                         "end_date": ["2025-07-01", "2025-10-16", None, None]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DefinitionWarning)
        dated = sm.rep_turnover(sm.SalesData(reps=reps, assignments=plan, as_of="2025-12-31"), as_of="2025-12-31").table
        flat = sm.rep_turnover(sm.SalesData(reps=reps, as_of="2025-12-31"), as_of="2025-12-31").table
    teams = dated[dated["scope_type"] == "team"].set_index("scope")
    assert teams.loc["A", "departures"] == 0 and teams.loc["B", "departures"] == 1
    assert teams.loc["A", "avg_headcount"] == pytest.approx(1.5)
    assert teams.loc["B", "avg_headcount"] == pytest.approx(16 / 12)
    flat_teams = flat[flat["scope_type"] == "team"].set_index("scope")
    assert flat_teams.loc["A", "avg_headcount"] == pytest.approx(1.0) and flat_teams.loc["B", "avg_headcount"] == pytest.approx(22 / 12)


def test_windows_count_from_where_the_data_start_and_include_as_of():
    """An export whose first close is 1 March: for a reorg on 1 May with four-month windows the before window
    (1 January to 1 May) holds two months of closes, so won deals per month are 60 / 2 months = 30 (not 60 / 4 = 15).
    A deal closed at as_of itself counts in the after window, as win_rate counts it."""
    days = pd.date_range("2025-03-01", "2025-04-30", periods=60).append(pd.date_range("2025-05-01", "2025-08-31", periods=120))
    opps = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(len(days))], "created_at": "2025-02-01",
                         "closed_at": days, "status": "won", "owner_id": "r1", "amount": 100.0})
    reps = pd.DataFrame({"rep_id": ["r1"], "team": ["A"]})
    data = sm.SalesData(opportunities=opps, reps=reps, as_of="2025-08-31")
    out = sm.reorg_impact(data, "2025-05-01", before="4M", after="4M", metrics=["won_deals", "win_rate", "deal_size"]).set_index("metric")
    per_month = 30.436875  # days in a month (365.2425 / 12)
    span = (pd.Timestamp("2025-05-01") - pd.Timestamp("2025-03-01")).days
    assert out.loc["won_deals", "before"] == pytest.approx(60 / (span / per_month))
    assert "the data start on 2025-03-01" in out.loc["won_deals", "note"]
    assert out.loc["deal_size", "n_after"] == 120  # the last deal closes at as_of (2025-08-31 00:00) and counts
    # every deal is won: the win rate is 100% by construction, not a verdict
    assert (out.loc["win_rate", "verdict"], out.loc["win_rate", "reason"]) == ("not assessed", "only_won")
    # a rate of deals says so too: the export's start cuts the before window to 61 of its 120 days
    assert "the data start on 2025-03-01, so the before window holds 61 of its 120 days" in out.loc["deal_size", "note"]
    assert out.attrs["data_start"] == {"won_deals": "2025-03-01", "deal_size": "2025-03-01"}
    assert "the after window ends at as_of" not in out.loc["deal_size", "note"]  # 122 of 123 days: as asked
    # a reorg two weeks before as_of: the after window is 15 days, not six months, and the row says so
    late = sm.reorg_impact(data, "2025-08-16", metrics=["deal_size"])
    assert "the after window ends at as_of (2025-08-31): 15 days, not 184" in late["note"].iloc[0]
    assert late.attrs["after_days"] == pytest.approx(15, abs=0.01)


def test_a_grouping_no_row_has_is_not_assessed_and_no_controls_say_why():
    """by="role" on reps without a role column: every deal would fall in "(missing)", so the metric is not assessed
    instead of judging one group of everything; with no assignments and no control= the note says why there is no
    control."""
    data = sm.SalesData(opportunities=_two_teams().opportunities, reps=pd.DataFrame({"rep_id": ["r1", "r2"], "team": ["R", "C"]}),
                        as_of="2025-12-31")
    row = sm.reorg_impact(data, "2025-07-01", by="role", metrics=["win_rate"]).iloc[0]
    assert (row["verdict"], row["reason"]) == ("not assessed", "no_grouping")
    assert "no row of the opportunities has a role" in row["note"]
    plain = sm.reorg_impact(data, "2025-07-01", metrics=["win_rate"])
    assert plain["note"].str.contains("no control group (no assignments to tell which groups the reorg touched, pass control=)",
                                      regex=False).all()


def test_a_median_not_reached_is_said():
    """Team C's deals created after the date never close: its after median is not reached, and the row says why it
    shows no value."""
    base = _two_teams()
    opps = base.opportunities.copy()
    late = (opps["owner_id"] == "r2") & (opps["created_at"] >= pd.Timestamp("2025-07-01", tz="UTC"))
    opps.loc[late, ["status", "closed_at"]] = ["open", pd.NaT]
    data = sm.SalesData(opportunities=opps, reps=base.reps, assignments=base.assignments, as_of="2025-12-31")
    out = sm.reorg_impact(data, "2025-07-01", metrics=["sales_cycle"]).set_index("group")
    assert np.isnan(out.loc["C", "after"])
    assert "the median was not reached in the after window" in out.loc["C", "note"]
    assert "the controls' median was not reached in a window: no net effect" in out.loc["R", "note"]


def test_controls_and_metrics_given_as_text_and_unknown_groups_are_refused():
    data = _two_teams()
    one = sm.reorg_impact(data, "2025-07-01", metrics="win_rate", control="C")
    assert list(one["metric"].unique()) == ["win_rate"] and one.attrs["controls"] == ["C"]
    with pytest.raises(ValueError, match=r"control group\(s\) \['Cee'\] are not team values of the data; choose from \['C', 'R'\]"):
        sm.reorg_impact(data, "2025-07-01", control=["Cee"])
    before_data = sm.reorg_impact(data, "2023-01-01", metrics=["win_rate"], as_of="2025-12-31")
    assert before_data["verdict"].tolist() == ["not assessed"] and "nothing to measure in either window" in before_data["note"].iloc[0]


def test_attrition_with_no_departure_dates_is_unknown_not_zero():
    data = _two_teams()
    reps = data.reps.assign(terminated_at=pd.NaT)
    empty = sm.SalesData(opportunities=data.opportunities, reps=reps, assignments=data.assignments, as_of="2025-12-31")
    row = sm.reorg_impact(empty, "2025-07-01", metrics=["rep_attrition"]).iloc[0]
    assert row["verdict"] == "not assessed" and "unknown, not zero" in row["note"]


def test_role_clarity_reads_the_role_held_when_the_work_was_done(sample):
    """The sample's out-of-lane shares by role, with an assignments table that keeps every rep in its role, equal
    the shares without it; when every AE is recorded as an SDR before 2025, their earlier work counts as SDR work."""
    plan = sample.reps[["rep_id", "team", "role"]].copy()
    plan["start_date"] = sample.reps["hired_at"].dt.tz_localize(None).dt.normalize().fillna(pd.Timestamp("2000-01-01"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        same = sm.SalesData(**{**sample.tables, "assignments": plan}, timezone=sample.timezone, currency=sample.currency)
        pd.testing.assert_frame_equal(sm.role_clarity(same).table, sm.role_clarity(sample).table)
        cut = pd.Timestamp("2025-01-01")
        left = sample.reps["terminated_at"].dt.tz_localize(None)
        ae = ((plan["role"] == "AE") & (plan["start_date"] < cut) & (left.isna() | (left > cut))).to_numpy()
        early = plan[ae].assign(role="SDR", end_date=cut)
        late = plan[ae].assign(role="AE", start_date=cut)
        moved = pd.concat([plan[~ae], early, late], ignore_index=True)
        shifted = sm.SalesData(**{**sample.tables, "assignments": moved}, timezone=sample.timezone, currency=sample.currency)
        a, b = sm.role_clarity(shifted).table, sm.role_clarity(sample).table
    assert not a.equals(b)


def test_the_deck_never_shows_minus_zero():
    """A change that rounds to zero reads 0, not -0 (the HTML review once showed "-0 days")."""
    from salesmetrics.reports.deck import _reorg_value

    assert _reorg_value(-0.2, "days", "USD", "en", change=True) == "0 days"
    assert _reorg_value(-0.001, "rate", "USD", "en", change=True) == "0 pts"
    assert (_reorg_value(0.127, "rate", "USD", "en", change=True), _reorg_value(0.127, "rate", "KRW", "ko", change=True)) == ("+13 pts", "+13%p")


def test_mqls_per_sdr_counts_a_rep_only_in_the_months_they_were_an_sdr():
    """Three months of MQLs, 30 a month (90 in all). Two reps: r1 an SDR all quarter; r2 an SDR in January only,
    then an AE (assignments). SDR rep-months: r1 3 + r2 1 = 4, so 90 / 4 = 22.5 MQLs per SDR a month; reps alone
    (both SDRs all quarter) give 90 / 6 = 15."""
    from salesmetrics.org import _t_capacity

    days = pd.date_range("2025-01-01", "2025-03-31 12:00", periods=90)
    leads = pd.DataFrame({"lead_id": [f"l{i}" for i in range(90)], "created_at": days, "mql_at": days})
    reps = pd.DataFrame({"rep_id": ["r1", "r2"], "team": ["SDR", "SDR"], "role": ["SDR", "SDR"], "hired_at": ["2024-01-01"] * 2})
    plan = pd.DataFrame({"rep_id": ["r1", "r2", "r2"], "team": ["SDR", "SDR", "New Business"], "role": ["SDR", "SDR", "AE"],
                         "start_date": ["2024-01-01", "2024-01-01", "2025-02-01"], "end_date": [None, "2025-02-01", None]})
    table = _t_capacity("SDR", "mql_at")
    dated = table(sm.SalesData(leads=leads, reps=reps, assignments=plan), None, "2025-03-31 23:00")
    flat = table(sm.SalesData(leads=leads, reps=reps), None, "2025-03-31 23:00")
    assert dated["value"].iloc[0] == pytest.approx(90 / 4) and flat["value"].iloc[0] == pytest.approx(90 / 6)


def test_a_scorecard_of_an_earlier_period_shows_the_teams_then(applied):
    """org="assigned" reads the design in force at as_of: the SDR team holds BDRs after the reorg, not before; the
    KPIs a team owns follow its roles as in the process design (the EMEA pod's AEs own the sales KPIs)."""
    _, data = applied
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        after = sm.scorecard(data, org="assigned", as_of="2025-09-30")
        before = sm.scorecard(data, org="assigned", as_of="2024-12-31")
    assert after.attrs["org"] == "as assigned on 2025-09-30" and before.attrs["org"] == "as assigned on 2024-12-31"
    design = sm.OrgDesign.at(data, "2025-09-30")
    assert design.by_team
    work = {"opportunities", "leads", "activities"}  # a KPI of deals, leads or activities is a team's own
    own = {t.name for t in design.teams if any({n.split(".")[0] for n in sm.KPIS[k].needs} <= work for k in t.kpis)}
    assert set(after["team"]) == own | {"company"}  # teams of accounts only (AM, CS) have their KPIs in "company"
    sales = set(sm.OrgDesign.process().teams[1].kpis)
    assert set(after.loc[after["team"] == "New Business EMEA", "kpi"]) == sales
    # each pod's figures are its own reps' deals: the pods' bookings add up to the company's (every new-business deal
    # of the quarter is a pod's), and their win rates differ; KPIs of accounts appear once, for the company
    pods = after[after["team"].str.startswith("New Business") & (after["kpi"] == "bookings")]
    company = sm.scorecard(data, org="process", as_of="2025-09-30").set_index("kpi")
    assert len(pods) == 3 and pods["value"].sum() == pytest.approx(company.loc["bookings", "value"])
    assert after.loc[after["team"].str.startswith("New Business") & (after["kpi"] == "win_rate"), "value"].nunique() == 3
    assert after.groupby("kpi")["team"].apply(lambda t: (t == "company").sum()).loc[["mrr", "nrr", "ltv"]].tolist() == [1, 1, 1]
    assert after.loc[(after["team"] == "company") & (after["kpi"] == "mrr"), "value"].item() == company.loc["mrr", "value"]
    # an AE pod owns no leads: its MQL-to-SQL row says so instead of showing a figure
    emea = after[after["team"] == "New Business EMEA"].set_index("kpi")
    assert np.isnan(emea.loc["lead_conversions", "value"]) and "own none of the leads" in emea.loc["lead_conversions", "note"]
    assert "BDR" in next(t for t in design.teams if t.name == "SDR").roles
    assert "BDR" not in next(t for t in sm.OrgDesign.at(data, "2024-12-31").teams if t.name == "SDR").roles


def test_handoff_latency_counts_a_touch_as_an_ae_s_by_the_role_held_then():
    """SQL to an AE's first touch. o1 became an SQL on 1 April 09:00; r1 touched it at 12:00 while still an SDR
    (an AE from 2 April) and again on 3 April 09:00 as an AE: 48 h. r2, an AE throughout, touched o2 10 h after its
    SQL. Median (48 + 10) / 2 = 29 h; by today's roles r1's first touch would count: (3 + 10) / 2 = 6.5 h. A touch
    after as_of (o3) counts in neither."""
    ts = ["2025-04-01 09:00", "2025-04-01 09:00", "2025-06-01 09:00"]
    leads = pd.DataFrame({"lead_id": ["l1", "l2", "l3"], "created_at": "2025-03-01", "sql_at": ts, "mql_at": ts,
                          "opportunity_id": ["o1", "o2", "o3"]})
    opps = pd.DataFrame({"opportunity_id": ["o1", "o2", "o3"], "created_at": ts, "status": "open", "type": "new_business",
                         "owner_id": ["r1", "r2", "r2"], "lead_id": ["l1", "l2", "l3"]})
    acts = pd.DataFrame({"activity_id": ["a1", "a2", "a3", "a4"], "owner_id": ["r1", "r1", "r2", "r2"],
                         "occurred_at": ["2025-04-01 12:00", "2025-04-03 09:00", "2025-04-01 19:00", "2025-07-05 09:00"],
                         "opportunity_id": ["o1", "o1", "o2", "o3"]})
    plan = pd.DataFrame({"rep_id": ["r1", "r1", "r2"], "team": ["B", "B", "B"], "role": ["SDR", "AE", "AE"],
                         "start_date": ["2024-01-01", "2025-04-02", "2024-01-01"], "end_date": ["2025-04-02", None, None]})
    tables = {"leads": leads, "opportunities": opps, "activities": acts, "reps": REPS}

    def handoff(data: sm.SalesData) -> float:
        table = sm.role_clarity(data, as_of="2025-06-30").table
        return float(table.loc[table["metric"] == "handoff_hours", "value"].item())

    assert handoff(sm.SalesData(**tables, assignments=plan)) == pytest.approx(29.0)
    assert handoff(sm.SalesData(**tables)) == pytest.approx(6.5)


def test_the_deck_shows_each_pod_its_own_figures_under_the_assigned_design(applied):
    """report(org="assigned"): the scorecard pages show each pod's own bookings (three different figures that add up
    to the company's), a page holds whole teams and at most 14 rows, and the headline page keeps the company's
    figures and targets."""
    from salesmetrics.reports.deck import review

    _, data = applied
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        slides = review(data, org="assigned", as_of="2025-09-30")
        flat = review(data, org="process", as_of="2025-09-30")
    cards = [s for s in slides if s.key == "scorecards"]
    frames = [s.charts[0].frame for s in cards]
    assert len(cards) >= 2 and all(len(f) <= 14 for f in frames)
    teams = [set(f["team"]) for f in frames]
    assert all(not (a & b) for i, a in enumerate(teams) for b in teams[i + 1:])  # no team split over two pages
    card = pd.concat(frames)
    pods = card[card["team"].str.startswith("New Business") & (card["kpi"] == "bookings")]
    company = next(s for s in flat if s.key == "headline")
    total = next(f.value for f in company.figures if f.kpi == "bookings" and f.period == "2025Q3")
    assert len(set(pods["shown"])) == 3 and pods["value"].sum() == pytest.approx(total)
    head = next(s for s in slides if s.key == "headline")
    mine, theirs = ({(f.kpi, f.period): f.text for f in s.figures} for s in (head, company))
    assert ("bookings", "2025Q3") in mine and all(mine[k] == theirs[k] for k in mine.keys() & theirs.keys())
    assert "Company: the KPIs of accounts" in " ".join(cards[-1].notes)


def test_a_verdict_needs_the_test_to_agree_with_the_interval():
    """The export's first close is a lost deal on 1 June, so the before window holds one month with no win; the
    after window (July–December) holds 10. The Wald interval of the change in wins per month, 10/6.01 ± 1.96·√10/6.01
    = (0.63, 2.70), excludes 0, but the exact conditional test does not reject: the 10 wins fall after with probability
    (183/213)^10 = 0.22, p = 0.376 two-sided (scipy.stats.binomtest). No verdict is drawn from the interval alone."""
    closes = ["2025-06-01"] + [str(d.date()) for d in pd.date_range("2025-07-01", "2025-12-20", periods=10)]
    opps = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(11)], "created_at": "2025-05-01", "closed_at": closes,
                         "status": ["lost"] + ["won"] * 10, "owner_id": "r1", "amount": 100.0})
    data = sm.SalesData(opportunities=opps, reps=pd.DataFrame({"rep_id": ["r1"], "team": ["A"]}), as_of="2025-12-31")
    row = sm.reorg_impact(data, "2025-07-01", metrics=["won_deals"]).iloc[0]
    assert row["change_low"] > 0 and row["p_value"] == pytest.approx(0.3757, abs=1e-3)
    assert row["verdict"] == "no clear change"
    assert "the interval excludes 0 but the test does not (p = 0.38)" in row["note"]


def test_a_wins_only_export_has_no_win_rate_and_its_cycle_says_so():
    """Every deal won (the Olist export): the win rate is 100% by construction, so not assessed; the cycle is that
    of won deals only, and the row says so. An unknown control of a deal column is refused like a team."""
    days = pd.date_range("2025-01-05", "2025-12-20", periods=120)
    opps = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(120)], "created_at": days - pd.Timedelta(days=20),
                         "closed_at": days, "status": "won", "owner_id": "r1", "amount": 100.0,
                         "segment": np.where(np.arange(120) % 2, "SMB", "Mid-Market")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = sm.SalesData(opportunities=opps, as_of="2025-12-31")
    out = sm.reorg_impact(data, "2025-07-01", by="segment", metrics=["win_rate", "sales_cycle", "won_deals"])
    win = out[out["metric"] == "win_rate"].iloc[0]
    assert (win["verdict"], win["reason"]) == ("not assessed", "only_won")
    assert out.loc[out["metric"] == "sales_cycle", "note"].str.contains("the export holds won deals only").all()
    assert out.loc[out["metric"] == "won_deals", "note"].str.startswith("won deals per month, a segment total").all()
    with pytest.raises(ValueError, match=r"control group\(s\) \['Enterprise'\] are not segment values of the data; "
                                         r"choose from \['Mid-Market', 'SMB'\]"):
        sm.reorg_impact(data, "2025-07-01", by="segment", control=["Enterprise"])


def test_a_by_team_design_on_an_export_without_owners_or_teams_says_why():
    """Deals without owner_id are no team's: the card says so instead of giving team A the company's figure; deals
    whose owners have no team at all make the design itself impossible (MissingDataError, a ValueError)."""
    design = sm.OrgDesign("x", (sm.Team("A", ("AE",), ("win_rate",), rep_teams=("A",)),), by_team=True)
    opps = _deals(["2025-01-10", "2025-02-10"]).drop(columns="owner_id")
    card = sm.scorecard(sm.SalesData(opportunities=opps, as_of="2025-03-31"), org=design)
    assert np.isnan(card["value"].item()) and card["note"].item() == "not available: the opportunities have no owner_id to tell whose they are"
    with pytest.raises(sm.MissingDataError, match="team 'A': a by-team design counts each deal in its owner's team"):
        sm.scorecard(sm.SalesData(opportunities=_deals(["2025-01-10"]), as_of="2025-03-31"), org=design)


def test_a_reorg_page_with_nothing_to_measure_says_so_instead_of_an_empty_table():
    from salesmetrics.reports.deck import _reorg_slides

    data = sm.SalesData(subscriptions=pd.DataFrame({"subscription_id": ["s"], "account_id": ["a"], "start_date": ["2024-01-01"],
                                                     "amount": [100.0]}), as_of="2025-06-30")
    (page,) = _reorg_slides(data, data.as_of, "2025-03-01", "en")
    assert page.table is None and page.bullets == ["Nothing could be measured before and after 2025-03-01: each metric's reason is below."]
    assert "Rep attrition (per year): not assessed (no reps table)." in page.notes
