"""Response-SLA benchmark: salesmetrics.response_sla against DuckDB, same data, same process.

    python benchmarks/sla.py [--leads 1000000] [--activities 20000000] [--repeat 5]

Leads become MQLs; reps (and marketing automation) log activities on leads and on accounts.

Both sides return, per month of the MQL date, the leads met, breached and pending and the median and 90th
percentile of the response hours (over the leads touched).

- **bundle** (the normal use): the tables are validated once into a SalesData, whose reference checks
  already look up every activity's lead, account and owner; response_sla reuses those look-ups. Timed
  wall-clock (checked equal to DuckDB's query, count by count) and with a 09:00–18:00 weekday business
  calendar in New York (the figure the goal is about). The validation's own time is printed beside it.
- **bare frames** (cold): the same call on plain DataFrames, so it hashes the ids itself.

DuckDB runs the wall-clock query on the same (validated) frames. Each side runs alternately ``--repeat``
times after a checked first run (common.measure); peak memory is the process's resident peak during the call.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from common import MIN_REPEAT, Results, measure, utc_stamps

T0 = pd.Timestamp("2024-01-01", tz="UTC").value
SEC = 1_000_000_000
AS_OF = "2025-01-01"


def make(n_leads: int, n_acts: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    span = 365 * 86_400 * SEC
    created = T0 + rng.integers(0, span, n_leads)
    mql = np.where(rng.random(n_leads) < 0.7, created + (rng.exponential(6, n_leads) * 3600 * SEC).astype("int64"), np.iinfo("int64").min)
    n_accounts = max(1, n_leads // 3)
    account = rng.integers(0, n_accounts, n_leads)
    leads = pd.DataFrame({
        "lead_id": pd.Series(np.char.add("l", np.arange(n_leads).astype(str))).astype("str"),
        "account_id": pd.Series(np.char.add("a", account.astype(str))).astype("str"),
        "created_at": utc_stamps(created), "mql_at": utc_stamps(mql),
        "source": pd.Series(np.array(["web", "event", "partner", "outbound"])[rng.integers(0, 4, n_leads)]).astype("str"),
    })
    target = rng.integers(0, n_leads, n_acts)
    on_lead = rng.random(n_acts) < 0.6
    when = created[target] + (rng.exponential(40, n_acts) * 3600 * SEC).astype("int64")
    acts = pd.DataFrame({
        "activity_id": pd.Series(np.char.add("x", np.arange(n_acts).astype(str))).astype("str"),
        "owner_id": pd.Series(np.char.add("r", rng.integers(0, 1000, n_acts).astype(str))).astype("str"),
        "occurred_at": utc_stamps(when),
        "type": pd.Series(["call"] * n_acts).astype("str"),
        "lead_id": pd.Series(np.where(on_lead, leads["lead_id"].to_numpy(object)[target], None)).astype("str"),
        "opportunity_id": pd.Series([None] * n_acts, dtype="str"),
        "account_id": pd.Series(np.where(on_lead, None, leads["account_id"].to_numpy(object)[target])).astype("str"),
        "automated": rng.random(n_acts) < 0.2,
    })
    reps = pd.DataFrame({"rep_id": pd.Series([f"r{i}" for i in range(1000)]).astype("str"), "team": "SDR", "role": "SDR",
                         "hired_at": utc_stamps(np.full(1000, T0 - 400 * 86_400 * SEC)), "terminated_at": utc_stamps(np.full(1000, np.iinfo("int64").min))})
    accounts = pd.DataFrame({"account_id": pd.Series(np.char.add("a", np.arange(n_accounts).astype(str))).astype("str")})
    return leads, acts, reps, accounts


SQL = """
WITH touch AS (
  SELECT a.lead_id, a.account_id, a.occurred_at FROM acts a SEMI JOIN reps r ON a.owner_id = r.rep_id
  WHERE NOT a.automated AND a.occurred_at <= TIMESTAMPTZ '{as_of}'
), m AS (SELECT lead_id, account_id, mql_at FROM leads WHERE mql_at IS NOT NULL AND mql_at <= TIMESTAMPTZ '{as_of}'),
by_lead AS (
  SELECT m.lead_id, min(t.occurred_at) AS first_at FROM m JOIN touch t ON t.lead_id = m.lead_id AND t.occurred_at >= m.mql_at GROUP BY m.lead_id
), by_account AS (
  SELECT m.lead_id, min(t.occurred_at) AS first_at FROM m JOIN touch t ON t.account_id = m.account_id AND t.occurred_at >= m.mql_at GROUP BY m.lead_id
), f AS (
  SELECT m.lead_id, m.mql_at, least(l.first_at, a.first_at) AS first_at
  FROM m LEFT JOIN by_lead l USING (lead_id) LEFT JOIN by_account a USING (lead_id)
), s AS (
  SELECT date_trunc('month', mql_at) AS month,
         CASE WHEN first_at IS NOT NULL AND first_at - mql_at <= INTERVAL 24 HOUR THEN 'met'
              WHEN first_at IS NOT NULL OR TIMESTAMPTZ '{as_of}' - mql_at > INTERVAL 24 HOUR THEN 'breached'
              ELSE 'pending' END AS status,
         (epoch_ns(first_at) - epoch_ns(mql_at)) / 3600e9 AS hours
  FROM f
)
SELECT month, count(*) FILTER (status = 'met') AS met, count(*) FILTER (status = 'breached') AS breached,
       count(*) FILTER (status = 'pending') AS pending,
       quantile_cont(hours, 0.5) AS median_hours, quantile_cont(hours, 0.9) AS p90_hours
FROM s GROUP BY month ORDER BY month
"""


def _counts(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(month=frame["period"].dt.start_time).set_index("month")[["met", "breached", "pending"]]


def check(ours: pd.DataFrame, duck: pd.DataFrame) -> str:
    o = _counts(ours)
    d = duck.assign(month=pd.to_datetime(duck["month"]).dt.tz_localize(None)).set_index("month")[["met", "breached", "pending"]]
    assert (o.loc[d.index].to_numpy() == d.to_numpy()).all(), "SLA counts differ from DuckDB's"
    assert int(o.to_numpy().sum()) == int(d.to_numpy().sum()), "MQLs counted differ"
    hours = ours.assign(month=ours["period"].dt.start_time).set_index("month").loc[d.index]
    for mine, theirs in (("median_response_hours", "median_hours"), ("p90_response_hours", "p90_hours")):
        assert np.allclose(hours[mine].to_numpy(float), duck[theirs].to_numpy(float), rtol=1e-9, atol=1e-9, equal_nan=True), mine
    return f"{len(d)} months: met, breached and pending, median and p90 response hours equal"


def check_total(ours: pd.DataFrame, duck: pd.DataFrame) -> str:
    """Business hours move MQLs between met and breached, not in or out of a month."""
    o = _counts(ours).sum(axis=1)
    d = duck.assign(month=pd.to_datetime(duck["month"]).dt.tz_localize(None)).set_index("month")[["met", "breached", "pending"]].sum(axis=1)
    assert (o.loc[d.index].to_numpy() == d.to_numpy()).all(), "MQLs per month differ from DuckDB's"
    return f"{len(d)} months: MQLs per month equal (met and breached are in business hours here)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=20_000_000)
    parser.add_argument("--repeat", type=int, default=MIN_REPEAT)
    parser.add_argument("--no-save", action="store_true", help="print only; leave benchmarks/results.json as it is")
    args = parser.parse_args()
    import duckdb

    import salesmetrics as sm

    results = Results("sla", vars(args))
    leads, acts, reps, accounts = make(args.leads, args.activities)
    size = f"{args.leads:,} leads and {args.activities:,} activities"
    t = time.perf_counter()
    data = sm.SalesData(leads=leads, activities=acts, reps=reps, accounts=accounts)
    validate_s = time.perf_counter() - t
    assert all(len(data.tables[n]) == len(f) for n, f in (("leads", leads), ("activities", acts))), "rows were quarantined"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    for name, df in (("leads", data.leads), ("acts", data.activities), ("reps", data.reps)):
        con.register(name, df)
    cal = sm.BusinessCalendar("America/New_York", start="09:00", end="18:00")
    duck = lambda: con.execute(SQL.format(as_of=AS_OF)).df()  # noqa: E731
    results.add(measure("response_sla_bundle", f"`response_sla` on a validated bundle, {size}, wall-clock",
                        lambda: sm.response_sla(data, freq="M", as_of=AS_OF), duck, repeat=args.repeat, check=check, goal=0.5,
                        rows=args.activities, group="sla"))
    results.add(measure("response_sla_bundle_calendar", "`response_sla`, same bundle, business calendar (New York 09–18, weekdays), "
                        "against DuckDB's wall-clock query", lambda: sm.response_sla(data, freq="M", as_of=AS_OF, calendar=cal), duck,
                        repeat=args.repeat, goal=0.5, rows=args.activities, group="sla",
                        check=check_total))
    results.add(measure("response_sla_bare", f"`response_sla` on bare DataFrames (no bundle: it looks up the ids itself), {size}, wall-clock",
                        lambda: sm.response_sla(leads, activities=acts, reps=reps, freq="M", as_of=AS_OF), duck, repeat=args.repeat,
                        check=check, goal=1.0, rows=args.activities, group="sla"))
    print(f"  (validating the bundle once, all reference checks included: {validate_s:.1f} s)")
    if not args.no_save:
        results.save()


if __name__ == "__main__":
    main()
