"""Benchmarks: the vendor readers against read_dir on the same data as canonical CSV files.

    python benchmarks/sources.py [--opportunities 1000000] [--tasks 5000000] [--repeat 5]

For each vendor, one generator writes the same records twice into a temporary folder, once as the vendor's export
and once as canonical tables. After one unmeasured run of each, the reader and read_dir run in ``--repeat``
interleaved pairs (the order alternating), and the script prints each pair's times and ratio (reader / read_dir; the
goal is at most 1.5) and the median and range of the ratios. Both sides parse, coerce, validate and check references; the reader
also maps fields, drops deleted rows, resolves ids and derives columns. These are not tests: nothing here fails a
build.

Vendors: :func:`bench_salesforce`. (Add one function per vendor.)
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from common import paired_ratios

TIMEZONE = "America/New_York"


def _ids(prefix: str, n: int, start: int = 0) -> pa.Array:
    """Salesforce-like 18-character ids: prefix, 12 digits, AAA."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(start, start + n)), pa.string()), 12, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, pa.scalar("AAA"), "")


def _stamps(ns: np.ndarray, suffix: str) -> pa.Array:
    """UTC time stamps as ISO text: ``...T15:22:10.000Z`` (Salesforce) or ``...+00:00`` (canonical)."""
    text = np.datetime_as_string(ns.astype("datetime64[ms]"), unit="ms")
    return pc.binary_join_element_wise(pa.array(text), pa.scalar(suffix), "")


def _days(ns: np.ndarray) -> pa.Array:
    return pa.array(np.datetime_as_string(ns.astype("datetime64[D]"), unit="D"))


def _pick(rng: np.random.Generator, options: list[str], n: int, p: list[float] | None = None) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(rng.choice(len(options), n, p=p).astype("int32")), pa.array(options)).cast(pa.string())


def _bools(mask: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(mask), "true", "false")


def _take(values: pa.Array, index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    out = values.take(pa.array(np.where(valid, index, 0) if valid is not None else index))
    return pc.if_else(pa.array(valid), out, pa.scalar(None, pa.string())) if valid is not None else out


def salesforce_data(n_opps: int, n_tasks: int, seed: int = 0) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """A Salesforce export (Data Loader shape) and the same records as canonical tables, generated with ``seed``.

    Tasks carry Salesforce's AccountId (the account of their WhatId), as Data Loader and Fivetran exports of Task do.
    500 users; an account per 5 opportunities; a lead per 2 (30% converted, 5% in a queue, MQL/SQL in custom date
    fields); 10% of deals in EUR with dated conversion rates; tasks on leads (40%), deals or accounts, 10% list
    emails; 0.5% of opportunities and tasks deleted in Salesforce (left out of the canonical side).
    """
    rng = np.random.default_rng(seed)
    start = np.datetime64("2022-01-01T00:00:00", "ns").astype("int64")
    span = 3 * 365 * 86_400 * 10**9
    day = 86_400 * 10**9
    sf: dict[str, pa.Table] = {}
    canon: dict[str, pa.Table] = {}

    # users and roles
    n_users = 500
    roles = ["Sales Development Rep", "Account Executive", "Account Manager", "Customer Success Manager", "Marketing"]
    canonical_roles = ["SDR", "AE", "AM", "CSM", "MKT"]
    role = rng.integers(0, len(roles), n_users)
    user_id = _ids("005", n_users)
    hired = start - rng.integers(0, 2 * 365, n_users) * day
    team = pa.array(np.array(["SDR", "New Business", "Account Management", "Customer Success", "Marketing"])[role])
    sf["UserRole"] = pa.table({"Id": _ids("00E", len(roles)), "Name": pa.array(roles)})
    sf["User"] = pa.table({"Id": user_id, "Name": pc.binary_join_element_wise("User ", pc.cast(pa.array(np.arange(n_users)), pa.string()), ""),
                           "UserRoleId": _ids("00E", len(roles)).take(pa.array(role)), "IsActive": _bools(np.ones(n_users, bool)),
                           "Department": team, "CreatedDate": _stamps(hired.astype("datetime64[ns]"), "Z")})
    canon["reps"] = pa.table({"rep_id": user_id, "name": sf["User"]["Name"], "team": team,
                              "role": pa.array(np.array(canonical_roles)[role]), "hired_at": _stamps(hired.astype("datetime64[ns]"), "+00:00")})

    # accounts
    n_acc = max(n_opps // 5, 1)
    acc_id = _ids("001", n_acc)
    acc_created = (start - rng.integers(0, 365 * day, n_acc)).astype("datetime64[ns]")
    segment = _pick(rng, ["SMB", "Mid-Market", "Enterprise"], n_acc)
    industry = _pick(rng, ["Retail", "Healthcare", "Manufacturing", "Technology"], n_acc)
    country = _pick(rng, ["United States", "Germany", "France", "Canada"], n_acc)
    name = pc.binary_join_element_wise("Account ", pc.cast(pa.array(np.arange(n_acc)), pa.string()), "")
    sf["Account"] = pa.table({"Id": acc_id, "Name": name, "Industry": industry, "Segment__c": segment, "BillingCountry": country,
                              "CreatedDate": _stamps(acc_created, "Z")})
    canon["accounts"] = pa.table({"account_id": acc_id, "name": name, "industry": industry, "segment": segment, "region": country,
                                  "created_at": _stamps(acc_created, "+00:00")})

    # opportunities (plus 0.5% deleted ones on the Salesforce side only)
    n_del = n_opps // 200
    n_all = n_opps + n_del
    opp_id = _ids("006", n_all)
    created = start + rng.integers(0, span, n_all)
    cycle = rng.integers(1, 180, n_all) * day
    closed = rng.random(n_all) < 0.7
    won = closed & (rng.random(n_all) < 0.35)
    close_day = _days((created + np.where(closed, cycle, cycle + 60 * day)).astype("datetime64[ns]"))
    stage = pc.if_else(pa.array(won), "Closed Won", pc.if_else(pa.array(closed), "Closed Lost", _pick(rng, ["Prospecting", "Qualification", "Negotiation/Review"], n_all)))
    kind = rng.choice(3, n_all, p=[0.7, 0.2, 0.1])
    eur = rng.random(n_all) < 0.1
    owner = user_id.take(pa.array(rng.integers(0, n_users, n_all)))
    account = acc_id.take(pa.array(rng.integers(0, n_acc, n_all)))
    amount = pa.array(np.round(rng.uniform(500, 50_000, n_all), 2))
    source = _pick(rng, ["Web", "Partner Referral", "Trade Show", "Phone Inquiry"], n_all)
    deleted = np.zeros(n_all, bool)
    deleted[rng.choice(n_all, n_del, replace=False)] = True
    created_ns = created.astype("datetime64[ns]")
    sf["Opportunity"] = pa.table({
        "Id": opp_id, "AccountId": account, "OwnerId": owner, "StageName": stage, "Amount": amount, "CloseDate": close_day,
        "CreatedDate": _stamps(created_ns, "Z"), "IsClosed": _bools(closed), "IsWon": _bools(won),
        "Type": pa.array(np.array(["New Customer", "Existing Customer - Upgrade", "Renewal"])[kind]), "LeadSource": source,
        "CurrencyIsoCode": pc.if_else(pa.array(eur), "EUR", "USD"), "IsDeleted": _bools(deleted)})
    keep = pa.array(~deleted)
    status = pc.if_else(pa.array(won), "won", pc.if_else(pa.array(closed), "lost", "open"))
    canon_opps = pa.table({
        "opportunity_id": opp_id, "account_id": account, "owner_id": owner, "stage": stage, "amount": amount,
        "closed_at": pc.if_else(pa.array(closed), close_day, pa.scalar(None, pa.string())), "created_at": _stamps(created_ns, "+00:00"),
        "status": status, "type": pa.array(np.array(["new_business", "expansion", "renewal"])[kind]), "source": source,
        "currency": pc.if_else(pa.array(eur), "EUR", "USD")})

    # leads: half as many as deals, 30% converted into distinct live deals
    n_leads = max(n_opps // 2, 1)
    lead_id = _ids("00Q", n_leads)
    lead_created = start + rng.integers(0, span, n_leads)
    live = np.flatnonzero(~deleted)
    converted = rng.random(n_leads) < 0.3
    conv_opp = np.full(n_leads, -1)
    conv_opp[converted] = rng.choice(live, int(converted.sum()), replace=False)
    queue = rng.random(n_leads) < 0.05
    lead_owner = pc.if_else(pa.array(queue), "00G000000000001AAA", user_id.take(pa.array(rng.integers(0, n_users, n_leads))))
    mql = np.where(rng.random(n_leads) < 0.6, lead_created + rng.integers(0, 2 * day, n_leads), np.iinfo("int64").min)
    sql = np.where((mql != np.iinfo("int64").min) & (rng.random(n_leads) < 0.5), mql + rng.integers(0, 5 * day, n_leads), np.iinfo("int64").min)
    mql_text = pc.if_else(pa.array(mql != np.iinfo("int64").min), _stamps(mql.astype("datetime64[ns]"), "Z"), pa.scalar(None, pa.string()))
    sql_text = pc.if_else(pa.array(sql != np.iinfo("int64").min), _stamps(sql.astype("datetime64[ns]"), "Z"), pa.scalar(None, pa.string()))
    conv_id = _take(opp_id, conv_opp, converted)
    conv_acc = _take(account, conv_opp, converted)
    lead_source = _pick(rng, ["Web", "Partner Referral", "Trade Show"], n_leads)
    sf["Lead"] = pa.table({"Id": lead_id, "CreatedDate": _stamps(lead_created.astype("datetime64[ns]"), "Z"), "Status": _pick(rng, ["Open - Not Contacted", "Working - Contacted"], n_leads),
                           "LeadSource": lead_source, "OwnerId": lead_owner, "IsConverted": _bools(converted),
                           "ConvertedOpportunityId": conv_id, "ConvertedAccountId": conv_acc, "MQL_Date__c": mql_text, "SQL_Date__c": sql_text})
    canon["leads"] = pa.table({"lead_id": lead_id, "created_at": _stamps(lead_created.astype("datetime64[ns]"), "+00:00"),
                               "source": lead_source, "owner_id": lead_owner, "account_id": conv_acc, "opportunity_id": conv_id,
                               "mql_at": pc.replace_substring(mql_text, "Z", "+00:00"), "sql_at": pc.replace_substring(sql_text, "Z", "+00:00")})
    lead_of_opp = np.full(n_all, -1)
    lead_of_opp[conv_opp[converted]] = np.flatnonzero(converted)
    canon["opportunities"] = canon_opps.append_column("lead_id", _take(lead_id, lead_of_opp, lead_of_opp >= 0)).filter(keep)

    # tasks: on a lead (40%), else on a deal (60%) or an account; 0.5% deleted in Salesforce
    t_del = n_tasks // 200
    n_t = n_tasks + t_del
    on_lead = rng.random(n_t) < 0.4
    on_opp = ~on_lead & (rng.random(n_t) < 0.6)
    on_acc = ~on_lead & ~on_opp
    lead_pick, opp_pick, acc_pick = rng.integers(0, n_leads, n_t), rng.choice(live, n_t), rng.integers(0, n_acc, n_t)
    who = _take(lead_id, lead_pick, on_lead)
    what = pc.if_else(pa.array(on_opp), _take(opp_id, opp_pick, on_opp), _take(acc_id, acc_pick, on_acc))
    account_of = pc.if_else(pa.array(on_opp), _take(account, opp_pick, on_opp), _take(acc_id, acc_pick, on_acc))
    when = (start + rng.integers(0, span, n_t)).astype("datetime64[ns]")
    listed = rng.random(n_t) < 0.1
    kind_t = _pick(rng, ["Call", "Email"], n_t)
    kind_t = pc.if_else(pa.array(listed), "Email", kind_t)
    t_owner = user_id.take(pa.array(rng.integers(0, n_users, n_t)))
    t_deleted = np.zeros(n_t, bool)
    t_deleted[rng.choice(n_t, t_del, replace=False)] = True
    task_id = _ids("00T", n_t)
    sf["Task"] = pa.table({"Id": task_id, "OwnerId": t_owner, "WhoId": who, "WhatId": what, "AccountId": account_of, "Type": kind_t,
                           "TaskSubtype": pc.if_else(pa.array(listed), "ListEmail", kind_t), "CreatedDate": _stamps(when, "Z"),
                           "ActivityDate": _days(when), "IsClosed": _bools(np.ones(n_t, bool)), "IsDeleted": _bools(t_deleted)})
    canon["activities"] = pa.table({"activity_id": task_id, "owner_id": t_owner, "occurred_at": _stamps(when, "+00:00"),
                                    "type": pc.utf8_lower(kind_t), "lead_id": who,
                                    "opportunity_id": _take(opp_id, opp_pick, on_opp), "account_id": account_of,
                                    "automated": _bools(listed)}).filter(pa.array(~t_deleted))

    # exchange rates: EUR per USD by month
    months = np.arange(np.datetime64("2021-12"), np.datetime64("2025-02")).astype("datetime64[D]")
    per_usd = np.round(rng.uniform(0.85, 0.95, len(months)), 6)
    sf["DatedConversionRate"] = pa.table({"IsoCode": pa.array(["EUR"] * len(months)), "ConversionRate": pa.array(per_usd),
                                          "StartDate": pa.array(months.astype(str))})
    canon["fx_rates"] = pa.table({"currency": pa.array(["EUR"] * len(months)), "date": pa.array(months.astype(str)),
                                  "rate": pa.array(1 / per_usd)})
    return sf, canon


def bench_salesforce(n_opps: int, n_tasks: int, repeat: int) -> list[tuple[float, float]]:
    """read_salesforce on a Salesforce export vs read_dir on the same records as canonical CSV files: (ours, base)
    wall times of interleaved pairs."""
    import salesmetrics as sm
    from salesmetrics.sources._salesforce import read_salesforce

    sf, canon = salesforce_data(n_opps, n_tasks, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        sf_dir, canon_dir = Path(tmp, "salesforce"), Path(tmp, "canonical")
        for folder, tables in ((sf_dir, sf), (canon_dir, canon)):
            folder.mkdir()
            for name, table in tables.items():
                pacsv.write_csv(table, folder / f"{name}.csv")
        del sf, canon
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pairs, data, want = paired_ratios(
                lambda: read_salesforce(sf_dir, timezone=TIMEZONE, mql_field="MQL_Date__c", sql_field="SQL_Date__c"),
                lambda: sm.read_dir(canon_dir, timezone=TIMEZONE), repeat)
        for table in ("opportunities", "activities", "leads"):  # the same records came out
            assert len(data.tables[table]) == len(want.tables[table]), table
        assert data.activities["lead_id"].notna().sum() == want.activities["lead_id"].notna().sum()
        assert data.opportunities["lead_id"].notna().sum() == want.opportunities["lead_id"].notna().sum()
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import statistics

    pairs = bench_salesforce(args.opportunities, args.tasks, args.repeat)
    for i, (ours, base) in enumerate(pairs):
        print(f"pair {i + 1}: read_salesforce {ours:.2f} s, read_dir {base:.2f} s, ratio {ours / base:.2f}")
    ratios = [ours / base for ours, base in pairs]
    print(f"read_salesforce ({args.opportunities:,} opportunities, {args.tasks:,} tasks) against read_dir on the same as "
          f"canonical CSV: {min(o for o, _ in pairs):.2f}-{max(o for o, _ in pairs):.2f} s against "
          f"{min(b for _, b in pairs):.2f}-{max(b for _, b in pairs):.2f} s; ratio median {statistics.median(ratios):.2f}, "
          f"range {min(ratios):.2f}-{max(ratios):.2f} over {len(pairs)} pairs (goal <= 1.5)")

if __name__ == "__main__":
    main()
