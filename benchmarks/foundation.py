"""Benchmarks: salesmetrics against an equivalent DuckDB query, in the same process, on generated data.

    python benchmarks/foundation.py [--accounts 100000] [--scale 10000 300000] [--repeat 5]

Each comparison checks both sides' results, then runs them alternately (common.measure) and prints
min / median / max and the ratio of medians (salesmetrics / DuckDB; below 1 means salesmetrics is faster).
The data comes from the sample-company generator, so any scale can be tried (``--scale`` adds sizes for
the scaling line). These are not tests: nothing here fails a build. Results go to benchmarks/results.json,
from which the README's tables are generated.
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
from common import MIN_REPEAT, Results, measure


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


def load_validate(folder: Path) -> tuple[Callable[[], object], Callable[[], object], Callable[[object, object], str]]:
    """read_dir (parse, coerce, validate every table and every reference) vs DuckDB reading and checking the same."""
    import duckdb

    import salesmetrics as sm

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

    def duck() -> dict[str, int]:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        rows = {}
        for csv in folder.glob("*.csv"):
            con.execute(f"CREATE TABLE {csv.stem} AS SELECT * FROM read_csv('{csv}', header=true, all_varchar=false)")
            rows[csv.stem] = con.execute(f"SELECT count(*) FROM {csv.stem}").fetchone()[0]
        for sql in checks:
            assert con.execute(sql).fetchone()[0] == 0, sql
        con.close()
        return rows

    def check(ours: object, rows: object) -> str:
        assert isinstance(ours, sm.SalesData) and isinstance(rows, dict)
        kept = {name: len(frame) for name, frame in ours.tables.items() if name in rows}
        assert kept == rows, f"rows kept differ from the rows in the files: {kept} against {rows}"
        return f"{sum(rows.values()):,} rows in {len(rows)} tables, every one kept and every check passed on both sides"

    return lambda: sm.read_dir(folder), duck, check


def business_time(n: int) -> tuple[Callable[[], object], Callable[[], object], Callable[[object, object], str]]:
    """BusinessCalendar.business_time on n pairs vs the same day-grid algorithm in DuckDB SQL."""
    import duckdb

    from salesmetrics.periods import BusinessCalendar

    rng = np.random.default_rng(0)
    tz = "America/New_York"
    start = pd.Series(pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 900 * 24 * 60, n), unit="min"))
    end = start + pd.to_timedelta(rng.integers(0, 20 * 24 * 60, n), unit="min")
    cal = BusinessCalendar(tz, start="09:00", end="18:00")

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

    def check(ours: object, got: object) -> str:
        assert isinstance(ours, pd.Series) and isinstance(got, np.ndarray)
        assert np.allclose(got, ours.dt.total_seconds().to_numpy()), "DuckDB and salesmetrics disagree on business time"
        return f"{n:,} durations equal"

    return lambda: cal.business_time(start, end), duck, check


def bench_generate(accounts: int) -> tuple[float, int]:
    from salesmetrics.datasets import make_company

    t0 = time.perf_counter()
    co = make_company(seed=1, accounts=accounts, months=36)
    return time.perf_counter() - t0, sum(len(v) for v in co.tables.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--scale", type=int, nargs="*", default=[10_000, 300_000],
                        help="further company sizes for the scaling line (default 10,000 and 300,000 accounts; none: --scale)")
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=MIN_REPEAT)
    parser.add_argument("--no-save", action="store_true", help="print only; leave benchmarks/results.json as it is")
    args = parser.parse_args()
    from salesmetrics.datasets import make_company

    results = Results("foundation", vars(args))
    pandas_s, both_s = import_time()
    print(f"import: pandas {pandas_s:.3f} s, pandas + salesmetrics {both_s:.3f} s, salesmetrics adds {both_s - pandas_s:.3f} s")
    for accounts in (args.accounts, *args.scale):
        headline = accounts == args.accounts
        if headline:
            seconds, rows = bench_generate(accounts)
            print(f"make_company(accounts={accounts:,}): {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
        with tempfile.TemporaryDirectory() as tmp:
            co = make_company(seed=1, accounts=accounts, months=36)
            rows = sum(len(v) for v in co.tables.values())
            co.to_dir(tmp)
            del co
            ours, duck, check = load_validate(Path(tmp))
            results.add(measure(f"load_validate@{rows}", f"load + validate a folder of CSVs, {accounts:,} accounts ({rows / 1e6:.2f} M rows, "
                                "11 tables): parse, type, schema checks, every cross-table reference", ours, duck, repeat=args.repeat,
                                check=check, goal=1.0 if headline else None, rows=rows, group="load" if headline else "load-scaling"))
    ours, duck, check = business_time(args.pairs)
    results.add(measure("business_time", f"business time between {args.pairs:,} time-stamp pairs (New York, 09–18, weekdays)", ours, duck,
                        repeat=args.repeat, check=check, rows=args.pairs, group="foundation"))
    if not args.no_save:
        results.save()


if __name__ == "__main__":
    main()
