"""MRR bridge benchmark: salesmetrics against DuckDB SQL and a straightforward pandas groupby().apply.

    python benchmarks/revenue.py [--accounts 1000000] [--months 36 120] [--scale 100000 3000000] [--pandas-accounts 20000]

Data: a simple vectorised subscription generator (seeded): every account starts in a random month,
some expand with an add-on, some contract, some churn, and some of those come back. All three
implementations compute the same monthly bridge on the same frame in this process; the run asserts
that DuckDB's result equals salesmetrics' to the cent before printing the ratio (salesmetrics time /
other time; lower is better), each side run alternately (common.measure). Peak memory is the process's
resident peak during the salesmetrics call. Results go to benchmarks/results.json.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from common import MIN_REPEAT, Results, measure, timed

MOVES = ["new", "expansion", "contraction", "churn", "reactivation"]


def make_subscriptions(accounts: int, months: int, seed: int = 0) -> tuple[pd.DataFrame, str]:
    """About 1.9 subscriptions per account; returns the canonical frame and the as_of date (last month's end)."""
    rng = np.random.default_rng(seed)
    base = np.datetime64("2022-01", "M")
    acc = np.arange(accounts)
    start = rng.integers(0, months, accounts)
    amount = np.round(rng.lognormal(5, 1, accounts), 2)
    life = rng.geometric(1 / 30, accounts)
    churned = start + life < months
    parts = [(acc, start, np.where(churned, start + life, -1), amount)]
    exp = rng.random(accounts) < 0.35
    e_start = start + rng.integers(1, 12, accounts)
    e_ok = exp & (e_start < np.where(churned, start + life, months))
    parts.append((acc[e_ok], e_start[e_ok], np.where(churned, start + life, -1)[e_ok], np.round(amount[e_ok] * 0.3, 2)))
    back = churned & (rng.random(accounts) < 0.25)
    b_start = start + life + rng.integers(1, 10, accounts)
    b_ok = back & (b_start < months)
    parts.append((acc[b_ok], b_start[b_ok], np.full(int(b_ok.sum()), -1), np.round(amount[b_ok] * 0.8, 2)))
    a = np.concatenate([p[0] for p in parts])
    s = np.concatenate([p[1] for p in parts])
    e = np.concatenate([p[2] for p in parts])
    amt = np.concatenate([p[3] for p in parts])
    day = rng.integers(0, 28, len(a))
    start_date = (base + s).astype("datetime64[D]") + day
    end_date = np.where(e >= 0, (base + np.maximum(e, 0)).astype("datetime64[D]") + rng.integers(0, 28, len(a)), np.datetime64("NaT"))
    billing = np.where(rng.random(len(a)) < 0.3, 12, 1)
    frame = pd.DataFrame({
        "subscription_id": np.char.add("s", np.arange(len(a)).astype(str)).astype(object),
        "account_id": np.char.add("a", a.astype(str)).astype(object),
        "start_date": start_date.astype("datetime64[ns]"),
        "end_date": end_date.astype("datetime64[ns]"),
        "amount": amt * billing,
        "billing_months": billing.astype("int64"),
        "currency": "USD",
        "product": "Platform",
    }).astype({"subscription_id": "str", "account_id": "str", "currency": "str", "product": "str"})
    as_of = str((base + months).astype("datetime64[D]") - 1)
    return frame, as_of


DUCKDB_BRIDGE = """
WITH s AS (
  SELECT account_id,
         CAST(round(amount / billing_months * 100) AS BIGINT) AS cents,
         datediff('month', DATE '1970-01-01', start_date) AS first_m,
         CASE WHEN end_date IS NULL THEN {last} + 1
              ELSE least(datediff('month', DATE '1970-01-01', end_date), {last} + 1) END AS stop_m
  FROM subs
), am AS (            -- month-end MRR per active account-month
  SELECT account_id, m, sum(cents) AS mrr
  FROM s, range(first_m, stop_m) AS r(m)
  WHERE cents > 0 AND first_m < stop_m
  GROUP BY account_id, m
), seq AS (
  SELECT account_id, m, mrr,
         lag(m) OVER w AS prev_m, lag(mrr) OVER w AS prev_mrr, lead(m) OVER w AS next_m
  FROM am WINDOW w AS (PARTITION BY account_id ORDER BY m)
), moves AS (
  SELECT m,
         CASE WHEN prev_m IS NULL THEN 'new'
              WHEN prev_m < m - 1 THEN 'reactivation'
              WHEN mrr > prev_mrr THEN 'expansion'
              WHEN mrr < prev_mrr THEN 'contraction' END AS movement,
         CASE WHEN prev_m IS NULL OR prev_m < m - 1 THEN mrr ELSE mrr - prev_mrr END AS change
  FROM seq
  UNION ALL
  SELECT m + 1, 'churn', -mrr FROM seq WHERE (next_m IS NULL AND m < {last}) OR next_m > m + 1
), moved AS (
  SELECT m, movement, sum(change) AS cents, count(*) AS n FROM moves WHERE movement IS NOT NULL GROUP BY ALL
), ending AS (
  SELECT m, sum(mrr) AS ending_cents, count(*) AS ending_n FROM am GROUP BY m
)
SELECT e.m, e.ending_cents, e.ending_n,
       coalesce(sum(cents) FILTER (movement = 'new'), 0) AS new,
       coalesce(sum(cents) FILTER (movement = 'expansion'), 0) AS expansion,
       coalesce(sum(cents) FILTER (movement = 'contraction'), 0) AS contraction,
       coalesce(sum(cents) FILTER (movement = 'churn'), 0) AS churn,
       coalesce(sum(cents) FILTER (movement = 'reactivation'), 0) AS reactivation
FROM ending e LEFT JOIN moved USING (m)
GROUP BY e.m, e.ending_cents, e.ending_n ORDER BY e.m
"""


def check_bridge(ours: pd.DataFrame, duck: pd.DataFrame) -> None:
    """salesmetrics' monthly bridge equals DUCKDB_BRIDGE's to the cent: ending MRR and customers, every movement."""
    o = ours.assign(m=ours["period"].map(lambda p: p.ordinal)).set_index("m")
    d = duck.set_index("m")
    common = d.index.intersection(o.index)
    assert len(common) == len(d), "months differ"
    assert (np.rint(o.loc[common, "ending_mrr"] * 100).astype("int64") == d.loc[common, "ending_cents"].astype("int64")).all()
    assert (o.loc[common, "ending_customers"] == d.loc[common, "ending_n"]).all()
    for k in MOVES:
        assert (np.rint(o.loc[common, k] * 100).astype("int64") == d.loc[common, k].astype("int64")).all(), k


def pandas_apply_bridge(subs: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """The straightforward version: explode to account-months, then classify each account with groupby().apply."""
    last = pd.Period(as_of, freq="M")
    s = subs.assign(cents=(subs["amount"] / subs["billing_months"] * 100).round().astype("int64"))
    s = s[s["cents"] > 0]
    s["months"] = [pd.period_range(pd.Period(a, "M"), (pd.Period(b, "M") - 1) if pd.notna(b) else last, freq="M")
                   for a, b in zip(s["start_date"], s["end_date"], strict=True)]
    am = s.explode("months").dropna(subset=["months"]).groupby(["account_id", "months"])["cents"].sum().reset_index()

    def classify(g: pd.DataFrame) -> pd.DataFrame:
        g = g.sort_values("months")
        ordinal = g["months"].map(lambda p: p.ordinal).to_numpy()
        cents = g["cents"].to_numpy()
        out = []
        for i in range(len(g)):
            if i == 0:
                out.append((ordinal[i], "new", cents[i]))
            elif ordinal[i - 1] < ordinal[i] - 1:
                out.append((ordinal[i - 1] + 1, "churn", -cents[i - 1]))
                out.append((ordinal[i], "reactivation", cents[i]))
            elif cents[i] != cents[i - 1]:
                out.append((ordinal[i], "expansion" if cents[i] > cents[i - 1] else "contraction", cents[i] - cents[i - 1]))
        if ordinal[-1] < last.ordinal:
            out.append((ordinal[-1] + 1, "churn", -cents[-1]))
        return pd.DataFrame(out, columns=["m", "movement", "change"])

    moves = am.groupby("account_id").apply(classify)
    return moves.groupby(["m", "movement"])["change"].sum().unstack(fill_value=0)


def run(accounts: int, months: int, repeat: int, pandas_accounts: int, results: Results, group: str) -> None:
    import duckdb

    import salesmetrics as sm

    subs, as_of = make_subscriptions(accounts, months)
    last = int(np.datetime64(as_of, "M").astype("int64"))
    sm.mrr_bridge(subs.head(1000), freq="M", as_of=as_of)  # warm imports
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("subs", subs)
    sql = DUCKDB_BRIDGE.format(last=last)

    def check(ours: pd.DataFrame, duck: pd.DataFrame) -> str:
        check_bridge(ours, duck)
        return f"{len(duck)} months equal to the cent; {int(duck['ending_n'].sum()):,} account-months"

    results.add(measure(f"mrr_bridge_{months}m@{len(subs)}", f"`mrr_bridge`, {accounts:,} accounts × {months} months ({len(subs) / 1e6:.2f} M subscriptions)",
                        lambda: sm.mrr_bridge(subs, freq="M", as_of=as_of), lambda: con.execute(sql).df(), repeat=repeat, check=check,
                        rows=len(subs), group=group))
    if pandas_accounts:
        small = subs[subs["account_id"].isin([f"a{i}" for i in range(pandas_accounts)])]
        p_s, p = timed(lambda: pandas_apply_bridge(small, as_of), 1)
        o_s, o_small = timed(lambda: sm.mrr_bridge(small, freq="M", as_of=as_of), repeat)
        assert isinstance(p, pd.DataFrame) and isinstance(o_small, pd.DataFrame)
        om = o_small.assign(m=o_small["period"].map(lambda q: q.ordinal)).set_index("m")
        for k in MOVES:
            if k in p.columns:
                assert (np.rint(om[k] * 100).astype("int64").reindex(p.index, fill_value=0) == p[k]).all(), k
        print(f"  on the first {pandas_accounts:,} accounts ({len(small):,} subscriptions): salesmetrics {o_s:.3f} s (best of {repeat}), "
              f"pandas groupby().apply {p_s:.2f} s (one run), ratio {o_s / p_s:.4f} (results equal; not recorded)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, nargs="+", default=[36, 120])
    parser.add_argument("--scale", type=int, nargs="*", default=[100_000, 3_000_000],
                        help="further numbers of accounts (at the first --months) for the scaling table; none: --scale")
    parser.add_argument("--repeat", type=int, default=MIN_REPEAT)
    parser.add_argument("--pandas-accounts", type=int, default=0, help="also time a pandas groupby().apply bridge on this many accounts")
    parser.add_argument("--no-save", action="store_true", help="print only; leave benchmarks/results.json as it is")
    args = parser.parse_args()
    results = Results("revenue", vars(args))
    for i, months in enumerate(args.months):
        run(args.accounts, months, args.repeat, args.pandas_accounts if i == 0 else 0, results, "revenue")
    for accounts in args.scale:
        run(accounts, args.months[0], args.repeat, 0, results, "revenue-scaling")
    if not args.no_save:
        results.save()


if __name__ == "__main__":
    main()
