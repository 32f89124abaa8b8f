"""Diagnostics benchmark: diagnose() and its five parts on the bundled sample, and on a company 10x its size.

    python benchmarks/diagnostics.py [--repeat 5]


Target (issue 7): diagnose on the bundled sample in under 5 seconds. As a yardstick, DuckDB computes the
table behind the first sign (new-business bookings, deals created and won per segment and quarter) on the
same tables in the same run; the run checks that its bookings equal salesmetrics'. Results go to
benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import warnings

from common import MIN_REPEAT, Results, measure

SQL = """
WITH nb AS (
  SELECT o.*, a.segment FROM opportunities o JOIN accounts a USING (account_id)
  WHERE o.type IS NULL OR o.type = 'new_business'
), fx AS (SELECT currency, date, rate FROM fx_rates)
SELECT date_trunc('quarter', nb.closed_at) AS q, nb.segment,
       sum(nb.amount * coalesce(CASE WHEN nb.currency = '{currency}' THEN 1 END,
           (SELECT rate FROM fx WHERE fx.currency = nb.currency AND fx.date <= CAST(nb.closed_at AS DATE) ORDER BY date DESC LIMIT 1)))
         AS bookings, count(*) AS won
FROM nb WHERE nb.status = 'won' GROUP BY ALL ORDER BY q, segment
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=MIN_REPEAT)
    parser.add_argument("--no-save", action="store_true", help="print only; leave benchmarks/results.json as it is")
    args = parser.parse_args()
    import duckdb
    import numpy as np
    import pandas as pd

    import salesmetrics as sm
    from salesmetrics.datasets import make_company

    warnings.simplefilter("ignore")
    results = Results("diagnostics", vars(args))
    sample = sm.load_sample()
    big = make_company(seed=7, accounts=20_000, months=36).to_sales_data()
    for key, label, data in (("diagnose", "`diagnose`, the bundled sample (70,512 rows)", sample),
                             ("diagnose_10x", "`diagnose`, a company ten times the sample (20,000 accounts)", big)):
        results.add(measure(key, label, lambda data=data: sm.diagnose(data), None, repeat=args.repeat, goal=5.0, group="diagnostics"))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")
    for name in ("opportunities", "accounts", "fx_rates"):
        con.register(name, sample.tables[name])
    query = SQL.format(currency=sample.currency)

    def check(ours: object, theirs: pd.DataFrame) -> str:
        table = ours.table  # type: ignore[attr-defined]
        seg = table[table["scope_type"] == "segment"].set_index(["period", "scope"])["bookings"]
        q = pd.PeriodIndex(pd.to_datetime(theirs["q"]).dt.tz_localize(None), freq="Q")
        duck_bookings = pd.Series(theirs["bookings"].to_numpy(float), index=pd.MultiIndex.from_arrays([q, theirs["segment"]]))
        common = seg.index.intersection(duck_bookings.index)
        assert len(common) and np.allclose(seg.loc[common].to_numpy(), duck_bookings.loc[common].to_numpy()), "bookings differ"
        return f"bookings equal on {len(common)} segment-quarters"

    results.add(measure("sales_decline", "`sales_decline`, the bundled sample, against DuckDB's bookings-by-segment query",
                        lambda: sm.sales_decline(sample), lambda: con.execute(query).df(), repeat=args.repeat, check=check,
                        group="diagnostics"))
    if not args.no_save:
        results.save()


if __name__ == "__main__":
    main()
