"""Unit-economics benchmark: the sBG fit, and CAC / LTV / unit_economics on the bundled sample.

    python benchmarks/economics.py [--repeat 20]

Targets (issue 6): the sBG fit runs in milliseconds; the CAC and LTV tables on the sample company in well
under a second. DuckDB runs the spend side of CAC (spend per quarter and channel over accounts whose first
subscription starts in the quarter, attributed to the channel of their first won deal) on the same tables in
the same run, as a yardstick; quarterly spend is checked equal to salesmetrics'. Results go to benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import warnings

from common import MIN_REPEAT, Results, measure

SQL = """
WITH spend_q AS (
  SELECT date_trunc('quarter', month) AS q, coalesce(channel, '(missing)') AS channel, sum(amount) AS spend
  FROM spend GROUP BY ALL
), first_start AS (
  SELECT account_id, min(start_date) AS started FROM subscriptions WHERE amount > 0 GROUP BY account_id
), first_deal AS (
  SELECT account_id, arg_min(source, closed_at) AS channel FROM opportunities
  WHERE status = 'won' AND type = 'new_business' GROUP BY account_id
), new_q AS (
  SELECT date_trunc('quarter', f.started) AS q, coalesce(d.channel, '(missing)') AS channel, count(*) AS n
  FROM first_start f LEFT JOIN first_deal d USING (account_id) GROUP BY ALL
)
SELECT s.q, s.channel, s.spend, n.n, s.spend / nullif(n.n, 0) AS cac
FROM spend_q s LEFT JOIN new_q n USING (q, channel) ORDER BY s.q, s.channel
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-save", action="store_true", help="print only; leave benchmarks/results.json as it is")
    args = parser.parse_args()
    import duckdb
    import numpy as np
    import pandas as pd

    import salesmetrics as sm

    warnings.simplefilter("ignore", sm.DefinitionWarning)
    results = Results("economics", vars(args))
    high_end = [1000, 869, 743, 653, 593, 551, 517, 491]
    sm.ShiftedBetaGeometric().fit(high_end)  # scipy's import is not the fit's cost
    results.add(measure("sbg_fit", "sBG fit (Fader & Hardie's high-end data, 8 years)", lambda: sm.ShiftedBetaGeometric().fit(high_end),
                        None, repeat=args.repeat, goal=0.01, group="economics"))
    data = sm.load_sample()
    as_of = "2025-09-30"
    con = duckdb.connect()
    for name in ("spend", "subscriptions", "opportunities"):
        con.register(name, data.tables[name])

    def check(ours: pd.DataFrame, theirs: pd.DataFrame) -> str:
        spend_ours = ours.groupby("period")["spend"].sum()
        spend_duck = theirs.groupby(pd.PeriodIndex(pd.to_datetime(theirs["q"]).dt.tz_localize(None), freq="Q"))["spend"].sum()
        assert np.allclose(spend_ours.to_numpy(), spend_duck.reindex(spend_ours.index).to_numpy()), "quarterly spend differs"
        return f"{len(spend_ours)} quarters: spend equal"

    results.add(measure("cac", "`cac` by channel per quarter, the bundled sample, against DuckDB's spend-side CAC query (DuckDB "
                        "approximates a new customer by the first subscription start; salesmetrics runs the MRR bridge)",
                        lambda: sm.cac(data, as_of=as_of), lambda: con.execute(SQL).df(), repeat=max(MIN_REPEAT, args.repeat // 4),
                        check=check, group="economics"))
    for key, label, fn in (
        ("cac_payback", "`cac_payback` by channel, the bundled sample", lambda: sm.cac_payback(data, gross_margin=0.8, as_of=as_of)),
        ("ltv", "`ltv` (formula), quarterly, the bundled sample", lambda: sm.ltv(data, gross_margin=0.8, as_of=as_of)),
        ("ltv_sbg", "`ltv(method=\"sbg\")`, one fit per quarter, the bundled sample",
         lambda: sm.ltv(data, gross_margin=0.8, method="sbg", as_of=as_of)),
        ("unit_economics", "`unit_economics`, the bundled sample", lambda: sm.unit_economics(data, gross_margin=0.8, as_of=as_of)),
    ):
        results.add(measure(key, label, fn, None, repeat=max(MIN_REPEAT, args.repeat // 4), goal=1.0, group="economics"))
    if not args.no_save:
        results.save()


if __name__ == "__main__":
    main()
