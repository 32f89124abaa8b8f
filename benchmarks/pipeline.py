"""Pipeline and funnel benchmark: salesmetrics against equivalent DuckDB SQL, same data, same process.

    python benchmarks/pipeline.py [--rows 10000000] [--scale 1000000 30000000] [--repeat 5]

- ``funnel``: N leads (created → MQL → SQL → opportunity → won, some stages skipped), cohort conversion by
  quarter and source with a 90-day window, the censoring-aware (Kaplan–Meier) rate on both sides;
- ``win_rate``: N opportunities by quarter and segment;
- ``deal_size``: won deals' count, total, mean and median amount by close quarter and segment;
- ``close_rate``: the cohort of deals created each quarter, by segment, won within 90 days, open deals
  censored (Kaplan–Meier), on both sides;
- ``sales_cycle(method="km")``: Kaplan–Meier median days to close by creation quarter, open deals censored.

Each SQL query returns the table the function returns (deal_size and close_rate: every quarter of the span times
every segment of the table, a cell without deals included). Each comparison checks that both engines give the same
numbers, cell by cell, before any time is printed, then runs both
alternately ``--repeat`` times (common.measure). ``--rows`` is the headline size (goal: ratio of medians at
or under 0.5); ``--scale`` adds the sizes of the scaling table. Results go to benchmarks/results.json.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import pandas as pd
from common import MIN_REPEAT, Results, measure, utc_stamps

T0 = pd.Timestamp("2022-01-01", tz="UTC").value
DAY = 86_400_000_000_000
AS_OF = "2025-01-01"


def make_leads(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    created = T0 + rng.integers(0, 3 * 365 * DAY, n)
    nat = np.iinfo("int64").min
    steps = [created]
    for p, mean_days in ((0.7, 3), (0.35, 10), (0.85, 3), (0.3, 40)):
        prev = steps[-1]
        ok = (prev != nat) & (rng.random(n) < p)
        nxt = prev + (rng.exponential(mean_days, n) * DAY).astype("int64")
        steps.append(np.where(ok & (nxt < pd.Timestamp(AS_OF, tz="UTC").value), nxt, nat))
    skip = rng.random(n) < 0.05  # some leads skip MQL (straight to SQL)
    steps[1] = np.where(skip & (steps[2] != nat), nat, steps[1])
    frame = pd.DataFrame({name: utc_stamps(s) for name, s in zip(["created_at", "mql_at", "sql_at", "opportunity_created_at", "won_at"], steps, strict=True)})
    frame.insert(0, "source", pd.Series(np.array(["paid_search", "content", "events", "partners", "outbound", "referral"])[rng.integers(0, 6, n)]).astype("str"))
    return frame


def make_opportunities(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    created = T0 + rng.integers(0, 3 * 365 * DAY, n)
    closed = created + (rng.gamma(2.0, 30.0, n) * DAY).astype("int64")
    end = pd.Timestamp(AS_OF, tz="UTC").value
    is_open = closed >= end
    won = rng.random(n) < 0.3
    status = np.where(is_open, "open", np.where(won, "won", "lost"))
    nat = np.iinfo("int64").min
    return pd.DataFrame({
        "opportunity_id": pd.Series(np.char.add("o", np.arange(n).astype(str))).astype("str"),
        "created_at": utc_stamps(created),
        "status": pd.Series(status).astype("str"),
        "closed_at": utc_stamps(np.where(is_open, nat, closed)),
        "amount": np.round(rng.lognormal(9, 1, n), 2),
        "account_id": pd.Series(np.char.add("a", rng.integers(0, n // 3 + 1, n).astype(str))).astype("str"),
        "owner_id": pd.Series(np.char.add("r", rng.integers(0, 500, n).astype(str))).astype("str"),
        "type": pd.Series(["new_business"] * n).astype("str"),
        "stage": pd.Series(["x"] * n).astype("str"),
        "lead_id": pd.Series([None] * n, dtype="str"),
        "source": pd.Series(["web"] * n).astype("str"),
        "currency": pd.Series(["USD"] * n).astype("str"),
        "segment": pd.Series(np.array(["SMB", "Mid-Market", "Enterprise"])[rng.integers(0, 3, n)]).astype("str"),
    })


FUNNEL_SQL = """
WITH e AS (
  SELECT source,
         coalesce(created_at, mql_at, sql_at, opportunity_created_at, won_at) AS t0,
         coalesce(mql_at, sql_at, opportunity_created_at, won_at) AS t1,
         coalesce(sql_at, opportunity_created_at, won_at) AS t2,
         coalesce(opportunity_created_at, won_at) AS t3,
         won_at AS t4
  FROM leads
), s AS (
  SELECT 0 AS k, source, t0 AS a, t1 AS b FROM e UNION ALL
  SELECT 1, source, t1, t2 FROM e UNION ALL
  SELECT 2, source, t2, t3 FROM e UNION ALL
  SELECT 3, source, t3, t4 FROM e
), f AS (
  SELECT k, source, date_trunc('quarter', a) AS q,
         b IS NOT NULL AND b - a <= INTERVAL 90 DAY AS conv,
         NOT (b IS NOT NULL AND b - a <= INTERVAL 90 DAY) AND TIMESTAMPTZ '{as_of}' - a < INTERVAL 90 DAY AS pend,
         -- Kaplan-Meier time in whole seconds: to conversion, else to the window's end or as_of
         CASE WHEN b IS NOT NULL AND b - a <= INTERVAL 90 DAY THEN greatest(epoch_ns(b) - epoch_ns(a), 0)
              ELSE least(epoch_ns(TIMESTAMPTZ '{as_of}') - epoch_ns(a), 90 * 86400 * 1000000000::BIGINT) END // 1000000000 AS t
  FROM s WHERE a IS NOT NULL
), g AS (
  SELECT k, source, q, t, count(*) FILTER (conv) AS d, count(*) FILTER (pend) AS p, count(*) AS leaving FROM f GROUP BY ALL
), r AS (
  SELECT *, sum(leaving) OVER (PARTITION BY k, source, q ORDER BY t DESC ROWS UNBOUNDED PRECEDING) AS at_risk FROM g
)
SELECT k, source, q, sum(leaving) AS entered, sum(d) AS converted, sum(p) AS pending,
       CASE WHEN bool_or(d > 0 AND d = at_risk) THEN 1.0
            ELSE 1 - exp(sum(CASE WHEN d > 0 THEN ln(1 - d / at_risk) ELSE 0 END)) END AS rate
FROM r GROUP BY ALL ORDER BY q, source, k
"""

WIN_SQL = """
SELECT date_trunc('quarter', closed_at) AS q, segment,
       count(*) FILTER (status = 'won') AS won, count(*) FILTER (status = 'lost') AS lost
FROM opps WHERE status <> 'open' GROUP BY ALL ORDER BY q, segment
"""

KM_SQL = """
WITH d AS (
  SELECT date_trunc('quarter', created_at) AS q,
         CASE WHEN closed_at IS NOT NULL AND closed_at <= TIMESTAMPTZ '{as_of}'
              THEN epoch_ns(closed_at) - epoch_ns(created_at) ELSE epoch_ns(TIMESTAMPTZ '{as_of}') - epoch_ns(created_at) END / 86400e9 AS t,
         closed_at IS NOT NULL AND closed_at <= TIMESTAMPTZ '{as_of}' AS ev
  FROM opps WHERE created_at <= TIMESTAMPTZ '{as_of}'
), g AS (
  SELECT q, t, count(*) FILTER (ev) AS dd, count(*) AS leaving FROM d GROUP BY q, t
), r AS (
  SELECT q, t, dd, sum(leaving) OVER (PARTITION BY q ORDER BY t DESC ROWS UNBOUNDED PRECEDING) AS at_risk FROM g
), s AS (
  SELECT q, t, exp(sum(ln(1 - dd / at_risk)) OVER (PARTITION BY q ORDER BY t ROWS UNBOUNDED PRECEDING)) AS surv FROM r WHERE dd < at_risk
)
SELECT q, min(t) FILTER (surv <= 0.5) AS median_days FROM s GROUP BY q ORDER BY q
"""


# deal_size's table: every quarter from the first to the last close (won or lost) by as_of, times every segment
# of the table (a cell without wins is a row of 0 won, total 0), "(missing)" for a deal without one
DEAL_SQL = """
WITH w AS (
  SELECT date_trunc('quarter', closed_at) AS q, coalesce(segment, '(missing)') AS segment, count(*) AS won,
         sum(amount) AS total, avg(amount) AS mean, quantile_cont(amount, 0.5) AS median
  FROM opps WHERE status = 'won' AND closed_at <= TIMESTAMPTZ '{as_of}' GROUP BY ALL
), s AS (
  SELECT DISTINCT coalesce(segment, '(missing)') AS segment FROM opps
), p AS (
  SELECT unnest(range(date_trunc('quarter', min(closed_at)), date_trunc('quarter', max(closed_at)) + INTERVAL 3 MONTH,
                      INTERVAL 3 MONTH)) AS q
  FROM opps WHERE status IN ('won', 'lost') AND closed_at <= TIMESTAMPTZ '{as_of}'
)
SELECT p.q, s.segment, coalesce(w.won, 0) AS won, coalesce(w.total, 0) AS total, w.mean, w.median
FROM p CROSS JOIN s LEFT JOIN w ON w.q = p.q AND w.segment = s.segment ORDER BY p.q, s.segment
"""

# close_rate's table: every creation quarter from the first to the last by as_of, times every segment of the table;
# per cell the deals created, won within the window, still pending (open, younger than the window), the longest
# follow-up in days and the Kaplan-Meier rate
CLOSE_SQL = """
WITH d AS (
  SELECT date_trunc('quarter', created_at) AS q, coalesce(segment, '(missing)') AS segment,
         status = 'won' AND closed_at <= TIMESTAMPTZ '{as_of}' AS won,
         status = 'lost' AND closed_at <= TIMESTAMPTZ '{as_of}' AS lost,
         greatest(epoch_ns(closed_at) - epoch_ns(created_at), 0) AS lag,
         epoch_ns(TIMESTAMPTZ '{as_of}') - epoch_ns(created_at) AS age
  FROM opps WHERE created_at <= TIMESTAMPTZ '{as_of}'
), f AS (
  -- Kaplan-Meier time in whole seconds: to the win, to the window's end for a known failure, else to as_of
  SELECT q, segment, won AND lag <= {window} AS succ, NOT won AND NOT lost AND age < {window} AS pend,
         least(age, {window}) AS follow,
         CASE WHEN won AND lag <= {window} THEN lag
              WHEN lost OR won THEN {window}
              ELSE least(age, {window}) END // 1000000000 AS t
  FROM d
), g AS (
  SELECT q, segment, t, count(*) FILTER (succ) AS dd, count(*) FILTER (pend) AS pend, max(follow) AS follow,
         count(*) AS leaving
  FROM f GROUP BY ALL
), r AS (
  SELECT *, sum(leaving) OVER (PARTITION BY q, segment ORDER BY t DESC ROWS UNBOUNDED PRECEDING) AS at_risk FROM g
), c AS (
  SELECT q, segment, sum(leaving) AS created, sum(dd) AS won, sum(pend) AS pending, max(follow) / 86400e9 AS followed_days,
         CASE WHEN bool_or(dd > 0 AND dd = at_risk) THEN 1.0
              ELSE 1 - exp(sum(CASE WHEN dd > 0 THEN ln(1 - dd / at_risk) ELSE 0 END)) END AS rate
  FROM r GROUP BY ALL
), s AS (
  SELECT DISTINCT coalesce(segment, '(missing)') AS segment FROM opps
), p AS (
  SELECT unnest(range(date_trunc('quarter', min(created_at)), date_trunc('quarter', max(created_at)) + INTERVAL 3 MONTH,
                      INTERVAL 3 MONTH)) AS q
  FROM opps WHERE created_at <= TIMESTAMPTZ '{as_of}'
)
SELECT p.q, s.segment, coalesce(c.created, 0) AS created, coalesce(c.won, 0) AS won, coalesce(c.pending, 0) AS pending,
       c.followed_days, c.rate
FROM p CROSS JOIN s LEFT JOIN c ON c.q = p.q AND c.segment = s.segment ORDER BY p.q, s.segment
"""


def _quarters(frame: pd.DataFrame, column: str = "q") -> pd.Series:
    return pd.to_datetime(frame[column]).dt.tz_localize(None)


def _merged(ours: pd.DataFrame, duck: pd.DataFrame, on: list[str], ours_keep: pd.Series | None = None) -> pd.DataFrame:
    o = ours if ours_keep is None else ours[ours_keep]
    o = o.assign(q=o["period"].dt.start_time)
    d = duck.assign(q=_quarters(duck))
    merged = o.merge(d, on=on, suffixes=("", "_duck"))
    assert len(merged) == len(d) == len(o), f"the engines' rows differ: {len(o)} against DuckDB's {len(d)}"
    return merged


def check_funnel(ours: pd.DataFrame, duck: pd.DataFrame) -> str:
    o = ours.assign(k=ours["stage"].map({s: i for i, s in enumerate(STAGES)}))
    m = _merged(o, duck, ["k", "source", "q"], o["entered"] > 0)
    for c in ("entered", "converted", "pending"):
        assert (m[c] == m[f"{c}_duck"]).all(), c
    assert np.allclose(m["rate"], m["rate_duck"], rtol=0, atol=1e-9), "Kaplan-Meier rates differ"
    return f"{len(m)} cells: counts and rates equal"


def check_win(ours: pd.DataFrame, duck: pd.DataFrame) -> str:
    m = _merged(ours, duck, ["q", "segment"])
    assert (m["won"] == m["won_duck"]).all() and (m["lost"] == m["lost_duck"]).all(), "won or lost counts differ"
    return f"{len(m)} cells: counts equal"


def check_deal(ours: pd.DataFrame, duck: pd.DataFrame) -> str:
    m = _merged(ours, duck, ["q", "segment"])
    assert (m["won"] == m["won_duck"]).all(), "won counts differ"
    for c in ("total", "mean", "median"):
        assert np.allclose(m[c], m[f"{c}_duck"], rtol=1e-9, atol=1e-6, equal_nan=True), c
    return f"{len(m)} cells (every quarter x segment): counts, totals, means and medians equal"


def check_close(ours: pd.DataFrame, duck: pd.DataFrame) -> str:
    m = _merged(ours, duck, ["q", "segment"])
    for c in ("created", "won", "pending"):
        assert (m[c] == m[f"{c}_duck"]).all(), f"{c} counts differ"
    assert np.allclose(m["followed_days"], m["followed_days_duck"], rtol=0, atol=1e-9, equal_nan=True), "follow-ups differ"
    assert np.allclose(m["close_rate"], m["rate"], rtol=0, atol=1e-9, equal_nan=True), "Kaplan-Meier close rates differ"
    return f"{len(m)} cells (every quarter x segment): counts, follow-ups and rates equal"


def check_km(ours: pd.DataFrame, duck: pd.DataFrame) -> str:
    o = ours.assign(q=ours["period"].dt.start_time).set_index("q")["median_days"]
    d = duck.assign(q=_quarters(duck)).set_index("q")["median_days"]
    common = o.index.intersection(d.index)
    assert len(common) == len(d), "the engines' quarters differ"
    assert np.allclose(o[common].to_numpy(float), d[common].to_numpy(float), equal_nan=True), "medians differ"
    return f"{len(common)} quarters: medians equal"


STAGES = ["created_at", "mql_at", "sql_at", "opportunity_created_at", "won_at"]
WINDOW_NS = 90 * 86_400 * 1_000_000_000


def _setting(headline: bool) -> tuple[Any, str, float | None]:
    """A DuckDB connection on UTC, the results' group and the goal (the headline size has one)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con, "pipeline" if headline else "scaling", 0.5 if headline else None


def run_funnel(n: int, repeat: int, results: Results, headline: bool) -> None:
    import salesmetrics as sm

    con, group, goal = _setting(headline)
    leads = make_leads(n)
    con.register("leads", leads)
    results.add(measure(f"funnel@{n}", f"`funnel`, {n:,} leads, 5 stages, Kaplan–Meier cohort conversion by source and quarter, 90-day window",
                        lambda: sm.funnel(leads, STAGES, by="source", freq="Q", window=90, as_of=AS_OF),
                        lambda: con.execute(FUNNEL_SQL.format(as_of=AS_OF)).df(), repeat=repeat, check=check_funnel, goal=goal,
                        rows=n, group=group))
    con.close()


def run_opportunities(n: int, repeat: int, results: Results, headline: bool) -> None:
    import salesmetrics as sm

    con, group, goal = _setting(headline)
    opps = make_opportunities(n)
    con.register("opps", opps)
    results.add(measure(f"win_rate@{n}", f"`win_rate`, {n:,} opportunities by segment and quarter",
                        lambda: sm.win_rate(opps, freq="Q", by="segment", as_of=AS_OF), lambda: con.execute(WIN_SQL).df(),
                        repeat=repeat, check=check_win, goal=goal, rows=n, group=group))
    results.add(measure(f"deal_size@{n}", f"`deal_size`, {n:,} opportunities by segment and quarter (count, total, mean, median)",
                        lambda: sm.deal_size(opps, freq="Q", by="segment", as_of=AS_OF),
                        lambda: con.execute(DEAL_SQL.format(as_of=AS_OF)).df(), repeat=repeat, check=check_deal, goal=goal,
                        rows=n, group=group))
    results.add(measure(f"close_rate@{n}", f"`close_rate`, {n:,} opportunities by segment and creation quarter, 90-day window, Kaplan–Meier",
                        lambda: sm.close_rate(opps, freq="Q", by="segment", window=90, as_of=AS_OF),
                        lambda: con.execute(CLOSE_SQL.format(as_of=AS_OF, window=WINDOW_NS)).df(), repeat=repeat,
                        check=check_close, goal=goal, rows=n, group=group))
    results.add(measure(f"sales_cycle_km@{n}", f"`sales_cycle(method=\"km\")`, {n:,} opportunities, Kaplan–Meier median by creation quarter",
                        lambda: sm.sales_cycle(opps, freq="Q", method="km", as_of=AS_OF),
                        lambda: con.execute(KM_SQL.format(as_of=AS_OF)).df(), repeat=repeat, check=check_km, goal=goal,
                        rows=n, group=group))
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="the headline size (default 10,000,000)")
    parser.add_argument("--scale", type=int, nargs="*", default=[1_000_000, 30_000_000],
                        help="further sizes for the scaling table (default 1,000,000 and 30,000,000; none: --scale)")
    parser.add_argument("--repeat", type=int, default=MIN_REPEAT)
    parser.add_argument("--no-save", action="store_true", help="print only; leave benchmarks/results.json as it is")
    args = parser.parse_args()
    results = Results("pipeline", vars(args))
    for n in (args.rows, *args.scale):
        run_funnel(n, args.repeat, results, headline=n == args.rows)
        run_opportunities(n, args.repeat, results, headline=n == args.rows)
        if not args.no_save:
            results.save()  # after each size: a larger one that runs out of memory keeps the smaller ones


if __name__ == "__main__":
    main()
