"""Benchmarks: salesmetrics against an equivalent DuckDB query, in the same process, on generated data.

    python benchmarks/foundation.py [--accounts 100000] [--repeat 3]

Each benchmark prints salesmetrics' best time, DuckDB's best time and the ratio (salesmetrics / DuckDB;
below 1 means salesmetrics is faster). The data comes from the sample-company generator, so any scale
can be tried. These are not tests: nothing here fails a build. Results are recorded in the README.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def import_time() -> tuple[float, float]:
    """Seconds to import pandas alone, and pandas then salesmetrics (median of 5 fresh interpreters)."""

    def run(code: str) -> float:
        out = []
        for _ in range(5):
            res = subprocess.run([sys.executable, "-c", f"import time; t=time.perf_counter(); {code}; print(time.perf_counter()-t)"],
                                 capture_output=True, text=True, check=True)
            out.append(float(res.stdout.strip()))
        return float(np.median(out))

    return run("import pandas"), run("import pandas, salesmetrics")


def bench_load_validate(folder: Path, repeat: int) -> tuple[float, float]:
    """read_dir (parse, coerce, validate every table and every reference) vs DuckDB reading and checking the same."""
    import duckdb

    import salesmetrics as sm

    ours = best_of(lambda: sm.read_dir(folder), repeat)

    def duck() -> None:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        for csv in folder.glob("*.csv"):
            con.execute(f"CREATE TABLE {csv.stem} AS SELECT * FROM read_csv('{csv}', header=true, all_varchar=false)")
        checks = [
            "SELECT count(*) - count(DISTINCT opportunity_id) FROM opportunities",
            "SELECT count(*) - count(DISTINCT account_id) FROM accounts",
            "SELECT count(*) - count(DISTINCT lead_id) FROM leads",
            "SELECT count(*) - count(DISTINCT activity_id) FROM activities",
            "SELECT count(*) FROM opportunities WHERE amount < 0 OR status NOT IN ('open','won','lost') "
            "OR (status = 'open') <> (closed_at IS NULL) OR closed_at < created_at",
            "SELECT count(*) FROM subscriptions WHERE amount < 0 OR billing_months < 1 OR end_date <= start_date",
            "SELECT count(*) FROM activities WHERE lead_id IS NULL AND opportunity_id IS NULL AND account_id IS NULL",
            "SELECT count(*) FROM opportunities o ANTI JOIN accounts a USING (account_id) WHERE o.account_id IS NOT NULL",
            "SELECT count(*) FROM activities x ANTI JOIN reps r ON x.owner_id = r.rep_id",
            "SELECT count(*) FROM activities x ANTI JOIN leads l USING (lead_id) WHERE x.lead_id IS NOT NULL",
            "SELECT count(*) FROM activities x ANTI JOIN opportunities o USING (opportunity_id) WHERE x.opportunity_id IS NOT NULL",
            "SELECT count(*) FROM leads x ANTI JOIN accounts a USING (account_id) WHERE x.account_id IS NOT NULL",
            "SELECT count(*) FROM stage_history x ANTI JOIN opportunities o USING (opportunity_id)",
        ]
        for sql in checks:
            assert con.execute(sql).fetchone()[0] == 0, sql
        con.close()

    return ours, best_of(duck, repeat)


def bench_business_time(n: int, repeat: int) -> tuple[float, float]:
    """BusinessCalendar.business_time on n pairs vs the same day-grid algorithm in DuckDB SQL."""
    import duckdb

    from salesmetrics.periods import BusinessCalendar

    rng = np.random.default_rng(0)
    tz = "America/New_York"
    start = pd.Series(pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 900 * 24 * 60, n), unit="min"))
    end = start + pd.to_timedelta(rng.integers(0, 20 * 24 * 60, n), unit="min")
    cal = BusinessCalendar(tz, start="09:00", end="18:00")
    ours_result = cal.business_time(start, end)
    ours = best_of(lambda: cal.business_time(start, end), repeat)

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET TimeZone='UTC'")
    pairs = pd.DataFrame({"i": np.arange(n), "s": start, "e": end})
    con.register("pairs", pairs)
    sql = f"""
    WITH days AS (
      SELECT d::DATE AS day,
             timezone('{tz}', d::TIMESTAMP + INTERVAL 9 HOUR) AS open_at,
             timezone('{tz}', d::TIMESTAMP + INTERVAL 18 HOUR) AS close_at,
             isodow(d) <= 5 AS busy
      FROM range(DATE '2022-12-30', DATE '2025-09-01', INTERVAL 1 DAY) t(d)
    ), grid AS (
      SELECT day, open_at,
             CASE WHEN busy THEN epoch(close_at) - epoch(open_at) ELSE 0 END AS dur,
             coalesce(sum(CASE WHEN busy THEN epoch(close_at) - epoch(open_at) ELSE 0 END)
                      OVER (ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS cum
      FROM days
    )
    SELECT (ge.cum + least(greatest(epoch(p.e) - epoch(ge.open_at), 0), ge.dur))
         - (gs.cum + least(greatest(epoch(p.s) - epoch(gs.open_at), 0), gs.dur)) AS seconds
    FROM pairs p
    JOIN grid gs ON gs.day = CAST(timezone('{tz}', p.s) AS DATE)
    JOIN grid ge ON ge.day = CAST(timezone('{tz}', p.e) AS DATE)
    ORDER BY p.i
    """

    def duck() -> np.ndarray:
        return con.execute(sql).fetchnumpy()["seconds"]

    got = duck()
    want = ours_result.dt.total_seconds().to_numpy()
    assert np.allclose(got, want), "DuckDB and salesmetrics disagree on business time"
    return ours, best_of(duck, repeat)


def bench_generate(accounts: int) -> tuple[float, int]:
    from salesmetrics.datasets import make_company

    t0 = time.perf_counter()
    co = make_company(seed=1, accounts=accounts, months=36)
    return time.perf_counter() - t0, sum(len(v) for v in co.tables.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from salesmetrics.datasets import make_company

    pandas_s, both_s = import_time()
    print(f"import: pandas {pandas_s:.3f} s, pandas + salesmetrics {both_s:.3f} s, salesmetrics adds {both_s - pandas_s:.3f} s")
    seconds, rows = bench_generate(args.accounts)
    print(f"make_company(accounts={args.accounts:,}): {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
    with tempfile.TemporaryDirectory() as tmp:
        make_company(seed=1, accounts=args.accounts, months=36).to_dir(tmp)
        ours, duck = bench_load_validate(Path(tmp), args.repeat)
        print(f"load + validate ({args.accounts:,} accounts): salesmetrics {ours:.2f} s, DuckDB {duck:.2f} s, ratio {ours / duck:.2f}")
    ours, duck = bench_business_time(args.pairs, args.repeat)
    print(f"business_time ({args.pairs:,} pairs): salesmetrics {ours:.3f} s, DuckDB {duck:.3f} s, ratio {ours / duck:.2f}")


if __name__ == "__main__":
    main()
