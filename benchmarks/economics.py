"""Unit-economics benchmark: the sBG fit, and CAC / LTV / unit_economics on the bundled sample.

    python benchmarks/economics.py [--repeat 20]

Targets (issue 6): the sBG fit runs in milliseconds; the CAC and LTV tables on the sample company in well
under a second. DuckDB runs the spend side of CAC (spend per quarter and channel over accounts whose first
subscription starts in the quarter, attributed to the channel of their first won deal) on the same tables in
the same run, as a yardstick; quarterly spend is checked equal to salesmetrics'.
"""

from __future__ import annotations

import argparse
import warnings

from common import median_time

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
    args = parser.parse_args()
    import duckdb
    import numpy as np
    import pandas as pd

    import salesmetrics as sm

    warnings.simplefilter("ignore", sm.DefinitionWarning)
    high_end = [1000, 869, 743, 653, 593, 551, 517, 491]
    sm.ShiftedBetaGeometric().fit(high_end)  # scipy's import is not the fit's cost
    fit = median_time(lambda: sm.ShiftedBetaGeometric().fit(high_end), args.repeat)
    data = sm.load_sample()
    as_of = "2025-09-30"
    rows: list[tuple[str, float]] = [("sBG fit (Fader & Hardie high end, 8 years)", fit)]
    for label, fn in (
        ("cac by channel, quarterly", lambda: sm.cac(data, as_of=as_of)),
        ("cac_payback by channel", lambda: sm.cac_payback(data, gross_margin=0.8, as_of=as_of)),
        ("ltv formula, quarterly", lambda: sm.ltv(data, gross_margin=0.8, as_of=as_of)),
        ("ltv sbg (one fit per quarter)", lambda: sm.ltv(data, gross_margin=0.8, method="sbg", as_of=as_of)),
        ("unit_economics", lambda: sm.unit_economics(data, gross_margin=0.8, as_of=as_of)),
    ):
        fn()
        rows.append((label, median_time(fn, max(3, args.repeat // 4))))
    con = duckdb.connect()
    for name in ("spend", "subscriptions", "opportunities"):
        con.register(name, data.tables[name])
    duck = median_time(lambda: con.execute(SQL).df(), args.repeat)
    ours = sm.cac(data, as_of=as_of)
    theirs = con.execute(SQL).df()
    spend_ours = ours.groupby("period")["spend"].sum()
    spend_duck = theirs.groupby(pd.PeriodIndex(pd.to_datetime(theirs["q"]).dt.tz_localize(None), freq="Q"))["spend"].sum()
    assert np.allclose(spend_ours.to_numpy(), spend_duck.reindex(spend_ours.index).to_numpy()), "quarterly spend differs"
    print(f"unit economics on the bundled sample (median of {args.repeat} runs for the fit):")
    for label, seconds in rows:
        print(f"  {label:<45} {seconds * 1000:8.1f} ms")
    cac_s = dict(rows)["cac by channel, quarterly"]
    print(f"  DuckDB's CAC query (spend side, same tables)  {duck * 1000:8.1f} ms; salesmetrics cac / DuckDB = {cac_s / duck:.1f}x "
          "(quarterly spend equal)")


if __name__ == "__main__":
    main()
