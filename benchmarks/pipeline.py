"""Pipeline and funnel benchmark: salesmetrics against equivalent DuckDB SQL, same data, same process.

    python benchmarks/pipeline.py [--rows 10000000] [--repeat 3]

- ``funnel``: N leads (created → MQL → SQL → opportunity → won, some stages skipped), cohort conversion by
  quarter and source with a 90-day window, the censoring-aware (Kaplan–Meier) rate on both sides;
- ``win_rate``: N opportunities by quarter and segment;
- ``sales_cycle(method="km")``: Kaplan–Meier median days to close by creation quarter, open deals censored.

Each comparison asserts that both engines give the same numbers before printing the ratio
(salesmetrics time / DuckDB time; lower is better).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from common import timed, utc_stamps

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import duckdb

    import salesmetrics as sm

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    n = args.rows

    leads = make_leads(n)
    con.register("leads", leads)
    stages = ["created_at", "mql_at", "sql_at", "opportunity_created_at", "won_at"]
    ours_s, ours = timed(lambda: sm.funnel(leads, stages, by="source", freq="Q", window=90, as_of=AS_OF), args.repeat)
    duck_s, duck = timed(lambda: con.execute(FUNNEL_SQL.format(as_of=AS_OF)).df(), args.repeat)
    assert isinstance(ours, pd.DataFrame) and isinstance(duck, pd.DataFrame)
    o = ours[ours["entered"] > 0].assign(k=lambda d: d["stage"].map({s: i for i, s in enumerate(stages)}),
                                         q=lambda d: d["period"].dt.start_time)
    d = duck.assign(q=pd.to_datetime(duck["q"]).dt.tz_localize(None))
    merged = o.merge(d, on=["k", "source", "q"], suffixes=("", "_duck"))
    assert len(merged) == len(d) == len(o), (len(merged), len(d), len(o))
    for c in ("entered", "converted", "pending"):
        assert (merged[c] == merged[f"{c}_duck"]).all(), c
    assert np.allclose(merged["rate"], merged["rate_duck"], rtol=0, atol=1e-9), "Kaplan-Meier rates differ"
    print(f"funnel, {n:,} leads (5 stages, by source and quarter, 90-day window, Kaplan-Meier rate): salesmetrics {ours_s:.2f} s, "
          f"DuckDB {duck_s:.2f} s, ratio {ours_s / duck_s:.2f} (counts and rates equal)")
    con.unregister("leads")

    opps = make_opportunities(n)
    con.register("opps", opps)
    ours_s, ours = timed(lambda: sm.win_rate(opps, freq="Q", by="segment"), args.repeat)
    duck_s, duck = timed(lambda: con.execute(WIN_SQL).df(), args.repeat)
    assert isinstance(ours, pd.DataFrame) and isinstance(duck, pd.DataFrame)
    o = ours.assign(q=ours["period"].dt.start_time)
    d = duck.assign(q=pd.to_datetime(duck["q"]).dt.tz_localize(None))
    merged = o.merge(d, on=["q", "segment"], suffixes=("", "_duck"))
    assert len(merged) == len(d) and (merged["won"] == merged["won_duck"]).all() and (merged["lost"] == merged["lost_duck"]).all()
    print(f"win_rate, {n:,} opportunities (by segment and quarter): salesmetrics {ours_s:.2f} s, DuckDB {duck_s:.2f} s, "
          f"ratio {ours_s / duck_s:.2f} (counts equal)")

    ours_s, ours = timed(lambda: sm.sales_cycle(opps, freq="Q", method="km", as_of=AS_OF), args.repeat)
    duck_s, duck = timed(lambda: con.execute(KM_SQL.format(as_of=AS_OF)).df(), args.repeat)
    assert isinstance(ours, pd.DataFrame) and isinstance(duck, pd.DataFrame)
    o = ours.assign(q=ours["period"].dt.start_time).set_index("q")["median_days"]
    d = duck.assign(q=pd.to_datetime(duck["q"]).dt.tz_localize(None)).set_index("q")["median_days"]
    common = o.index.intersection(d.index)
    assert len(common) == len(d) and np.allclose(o[common].to_numpy(float), d[common].to_numpy(float), equal_nan=True)
    print(f"sales_cycle(method='km'), {n:,} opportunities (median by creation quarter): salesmetrics {ours_s:.2f} s, "
          f"DuckDB {duck_s:.2f} s, ratio {ours_s / duck_s:.2f} (medians equal)")


if __name__ == "__main__":
    main()
