"""Larger than the workers' memory: the MRR bridge and the response SLA on Dask, from Parquet.

    python benchmarks/scale.py [--accounts 12000000] [--leads 6000000] [--activities 40000000]
                               [--workers 2] [--memory 1.5GiB] [--folder /tmp/sm_scale] [--pandas]

Subscriptions, leads and activities are generated chunk by chunk (never whole in this process) and written as
Parquet files whose rows are dealt at random across files, so an account's subscriptions and a lead's activities are
spread over every partition. A ``distributed.LocalCluster`` of ``--workers`` processes with ``--memory`` each then
runs, from ``sm.read_parquet(folder)``:

- validation: every partition checked on the workers, ids repeated across partitions, activities' leads as a
  distributed anti-join;
- ``sm.mrr_bridge(data, freq="M")``: subscriptions shuffled by account, a partial per partition, combined;
- ``sm.response_sla(data, freq="M")``: leads and the activities on them or their account shuffled together.

References, computed another way: DuckDB's SQL bridge and SLA over the same Parquet files (DuckDB streams them;
the queries are those of benchmarks/revenue.py and benchmarks/sla.py), checked equal to the cent and count by
count. Reported: wall times, the peak memory of each worker process (sampled every 0.5 s), the in-memory size of
the pandas frames, and with ``--pandas`` the single-machine pandas path on the same data (SalesData + metric), where
it fits in this machine's memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from revenue import DUCKDB_BRIDGE, check_bridge
from sla import SQL as DUCKDB_SLA

T0 = pd.Timestamp("2024-01-01", tz="UTC").value
SEC = 1_000_000_000
AS_OF = "2025-01-01"
MONTHS = 36
FILES = 48  # Parquet files per large table (rows dealt at random)


def _ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pa.array(np.char.add(prefix, numbers.astype(str)), type=pa.string())


def _deal(table: pa.Table, writers: list[pq.ParquetWriter], rng: np.random.Generator) -> None:
    """Each row to a random file: no file holds whole accounts or leads."""
    which = rng.integers(0, len(writers), table.num_rows)
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(writers) + 1))
    for i, w in enumerate(writers):
        if bounds[i + 1] > bounds[i]:
            w.write_table(table.take(pa.array(order[bounds[i]:bounds[i + 1]])))


def write_subscriptions(folder: str, accounts: int, seed: int = 0) -> int:
    """About 1.4 subscriptions per account (benchmarks/revenue.py's model), in chunks of 1M accounts."""
    from revenue import make_subscriptions

    rng = np.random.default_rng(seed)
    os.makedirs(f"{folder}/subscriptions", exist_ok=True)
    rows, writers = 0, None
    for k, lo in enumerate(range(0, accounts, 1_000_000)):
        n = min(1_000_000, accounts - lo)
        subs, _ = make_subscriptions(n, MONTHS, seed=seed + k)
        subs["account_id"] = np.char.add("a", (subs["account_id"].str[1:].astype("int64").to_numpy() + lo).astype(str))
        subs["subscription_id"] = np.char.add(f"s{k}_", subs["subscription_id"].str[1:].to_numpy().astype(str))
        table = pa.Table.from_pandas(subs.astype({"start_date": "datetime64[ms]", "end_date": "datetime64[ms]"}), preserve_index=False)
        if writers is None:
            writers = [pq.ParquetWriter(f"{folder}/subscriptions/part.{i:03d}.parquet", table.schema) for i in range(FILES)]
        _deal(table, writers, rng)
        rows += table.num_rows
    for w in writers or []:
        w.close()
    return rows


def write_sla(folder: str, n_leads: int, n_acts: int, seed: int = 0) -> tuple[int, int]:
    """benchmarks/sla.py's model (leads become MQLs; reps and automation log activities on leads and accounts),
    leads in one pass of arrays, activities in chunks of 2M."""
    rng = np.random.default_rng(seed)
    span = 365 * 86_400 * SEC
    created = T0 + rng.integers(0, span, n_leads)
    mql = np.where(rng.random(n_leads) < 0.7, created + (rng.exponential(6, n_leads) * 3600 * SEC).astype("int64"), np.iinfo("int64").min)
    n_accounts = max(1, n_leads // 3)
    account = rng.integers(0, n_accounts, n_leads)
    os.makedirs(f"{folder}/leads", exist_ok=True)
    os.makedirs(f"{folder}/activities", exist_ok=True)
    stamp = pa.timestamp("us", tz="UTC")  # microseconds: DuckDB's TIMESTAMPTZ
    created, mql = created // 1000 * 1000, np.where(mql == np.iinfo("int64").min, mql, mql // 1000 * 1000)
    leads_w = None
    for lo in range(0, n_leads, 2_000_000):
        sl = slice(lo, min(n_leads, lo + 2_000_000))
        mq = mql[sl]
        table = pa.table({"lead_id": _ids("l", np.arange(sl.start, sl.stop)), "account_id": _ids("a", account[sl]),
                          "created_at": pa.array(created[sl] // 1000, type=stamp),
                          "mql_at": pa.array(np.where(mq == np.iinfo("int64").min, 0, mq // 1000), type=stamp, mask=mq == np.iinfo("int64").min),
                          "source": pa.array(np.array(["web", "event", "partner", "outbound"])[rng.integers(0, 4, sl.stop - sl.start)])})
        if leads_w is None:
            leads_w = [pq.ParquetWriter(f"{folder}/leads/part.{i:03d}.parquet", table.schema) for i in range(FILES // 4)]
        _deal(table, leads_w, rng)
    for w in leads_w or []:
        w.close()
    acts_w = None
    for lo in range(0, n_acts, 2_000_000):
        n = min(2_000_000, n_acts - lo)
        target = rng.integers(0, n_leads, n)
        on_lead = rng.random(n) < 0.6
        when = created[target] + (rng.exponential(40, n) * 3600 * SEC).astype("int64")
        lead_ids = np.char.add("l", target.astype(str))
        acc_ids = np.char.add("a", account[target].astype(str))
        table = pa.table({"activity_id": _ids("x", np.arange(lo, lo + n)), "owner_id": _ids("r", rng.integers(0, 1000, n)),
                          "occurred_at": pa.array(when // 1000, type=stamp), "type": pa.array(np.full(n, "call")),
                          "lead_id": pa.array(lead_ids, mask=~on_lead, type=pa.string()),
                          "account_id": pa.array(acc_ids, mask=on_lead, type=pa.string()),
                          "automated": pa.array(rng.random(n) < 0.2)})
        if acts_w is None:
            acts_w = [pq.ParquetWriter(f"{folder}/activities/part.{i:03d}.parquet", table.schema) for i in range(FILES)]
        _deal(table, acts_w, rng)
    for w in acts_w or []:
        w.close()
    reps = pd.DataFrame({"rep_id": [f"r{i}" for i in range(1000)], "team": "SDR", "role": "SDR",
                         "hired_at": pd.Timestamp(T0 - 400 * 86_400 * SEC, tz="UTC")})
    reps.to_parquet(f"{folder}/reps.parquet", index=False)
    return n_leads, n_acts


class PeakMemory:
    """Resident memory sampled every ``every`` seconds while the block runs: each worker's with a ``client``, else
    this process's (numpy and Arrow buffers included, which tracemalloc would miss, at no cost to the timing)."""

    def __init__(self, client=None, every: float = 0.5) -> None:
        self.client, self.every, self.peaks, self._stop = client, every, {}, threading.Event()

    def _sample(self) -> dict:
        import psutil  # a dependency of distributed

        if self.client is None:
            return {"here": psutil.Process().memory_info().rss}
        return self.client.run(lambda: psutil.Process().memory_info().rss)

    def __enter__(self) -> PeakMemory:
        def sample() -> None:
            while not self._stop.is_set():
                try:
                    for who, rss in self._sample().items():
                        self.peaks[who] = max(self.peaks.get(who, 0), rss)
                except Exception as err:  # a worker restarting between samples: say so, keep sampling
                    print(f"    (memory sample skipped: {type(err).__name__})")
                self._stop.wait(self.every)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak(self) -> int:
        return max(self.peaks.values(), default=0)

    def text(self) -> str:
        return ", ".join(f"{v / 2**30:.2f} GiB" for v in sorted(self.peaks.values(), reverse=True))


def check_sla(ours: pd.DataFrame, duck: pd.DataFrame) -> None:
    w = ours.assign(month=ours["period"].dt.start_time).set_index("month")[["met", "breached", "pending"]]
    d = duck.assign(month=pd.to_datetime(duck["month"]).dt.tz_localize(None)).set_index("month")[["met", "breached", "pending"]]
    assert (w.loc[d.index].to_numpy() == d.to_numpy()).all(), "SLA counts differ from DuckDB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=12_000_000)
    parser.add_argument("--leads", type=int, default=6_000_000)
    parser.add_argument("--activities", type=int, default=40_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", default="1.5GiB")
    parser.add_argument("--folder", default="/tmp/sm_scale")
    parser.add_argument("--keep", action="store_true", help="reuse the Parquet files of an earlier run")
    parser.add_argument("--pandas", action="store_true", help="also time the pandas path on the whole data")
    args = parser.parse_args()

    import duckdb
    from distributed import Client, LocalCluster

    import salesmetrics as sm

    folder = args.folder
    if not (args.keep and os.path.exists(f"{folder}/activities")):
        shutil.rmtree(folder, ignore_errors=True)
        t = time.perf_counter()
        n_subs = write_subscriptions(folder, args.accounts)
        write_sla(folder, args.leads, args.activities)
        print(f"wrote {n_subs:,} subscriptions, {args.leads:,} leads, {args.activities:,} activities in {time.perf_counter() - t:.0f} s")
    on_disk = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)
    sizes = {}
    for name in ("subscriptions", "leads", "activities"):  # the pandas frames' size, measured on one file and scaled
        files = sorted(os.listdir(f"{folder}/{name}"))
        one = pd.read_parquet(f"{folder}/{name}/{files[0]}")
        rows = sum(pq.ParquetFile(f"{folder}/{name}/{f}").metadata.num_rows for f in files)
        sizes[name] = (rows, one.memory_usage(deep=True).sum() / len(one) * rows)
    print(f"Parquet on disk: {on_disk / 2**30:.2f} GiB; as pandas frames: "
          + ", ".join(f"{n} {r:,} rows {b / 2**30:.2f} GiB" for n, (r, b) in sizes.items()))

    last = int(np.datetime64(AS_OF, "M").astype("int64"))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"CREATE VIEW subs AS SELECT * FROM read_parquet('{folder}/subscriptions/*.parquet')")
    for view, table in (("leads", "leads"), ("acts", "activities")):
        con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet('{folder}/{table}/*.parquet')")
    con.execute(f"CREATE VIEW reps AS SELECT * FROM read_parquet('{folder}/reps.parquet')")
    t = time.perf_counter()
    duck_bridge = con.execute(DUCKDB_BRIDGE.format(last=last)).df()
    duck_bridge_s = time.perf_counter() - t
    t = time.perf_counter()
    duck_sla = con.execute(DUCKDB_SLA.format(as_of=AS_OF)).df()
    duck_sla_s = time.perf_counter() - t
    con.close()

    warnings.simplefilter("ignore", sm.DataQualityWarning)
    # P2P shuffles buffer up to distributed.p2p.comm.buffer (1 GiB by default) of outgoing shards per worker before
    # they push back: with 1.5 GiB workers that alone can reach the nanny's 95% limit. A sixth of a worker's memory
    # (docs/scale.md, "Small workers"); the nanny passes this process's config to the workers it starts.
    import dask
    from dask.utils import format_bytes, parse_bytes

    dask.config.set({"distributed.p2p.comm.buffer": format_bytes(parse_bytes(args.memory) // 6)})
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, memory_limit=args.memory, dashboard_address=None,
                      local_directory="/tmp/sm_scale_spill") as cluster, Client(cluster) as client:
        print(f"cluster: {args.workers} workers, {args.memory} each, 1 thread each, P2P comm buffer "
              f"{dask.config.get('distributed.p2p.comm.buffer')}")
        with PeakMemory(client) as load:
            t = time.perf_counter()
            data = sm.read_parquet(folder, as_of=AS_OF)
            load_s = time.perf_counter() - t
        print(f"  read_parquet + validation (every partition, repeated ids, activities' leads as an anti-join): {load_s:.0f} s; "
              f"peak worker memory {load.text()}")
        with PeakMemory(client) as mem:
            t = time.perf_counter()
            bridge = sm.mrr_bridge(data, freq="M")
            bridge_s = time.perf_counter() - t
        check_bridge(bridge, duck_bridge)
        print(f"  mrr_bridge: {bridge_s:.0f} s (DuckDB on the Parquet {duck_bridge_s:.1f} s); equal to DuckDB's to the cent; "
              f"peak worker memory {mem.text()}")
        with PeakMemory(client) as mem:
            t = time.perf_counter()
            sla = sm.response_sla(data, freq="M")
            sla_s = time.perf_counter() - t
        check_sla(sla, duck_sla)
        print(f"  response_sla: {sla_s:.0f} s (DuckDB on the Parquet {duck_sla_s:.1f} s); counts equal DuckDB's; "
              f"peak worker memory {mem.text()}")
    if args.pandas:
        with PeakMemory(every=0.2) as p_mem:
            t = time.perf_counter()
            subs = pd.read_parquet(f"{folder}/subscriptions")
            whole = sm.SalesData(subscriptions=subs, as_of=AS_OF)
            p_bridge = sm.mrr_bridge(whole, freq="M")
            p_bridge_s = time.perf_counter() - t
        pd.testing.assert_frame_equal(p_bridge, bridge)
        del whole, subs
        with PeakMemory(every=0.2) as s_mem:
            t = time.perf_counter()
            leads, acts = pd.read_parquet(f"{folder}/leads"), pd.read_parquet(f"{folder}/activities")
            whole = sm.SalesData(leads=leads, activities=acts, reps=pd.read_parquet(f"{folder}/reps.parquet"), as_of=AS_OF)
            p_sla = sm.response_sla(whole, freq="M")
            p_sla_s = time.perf_counter() - t
        pd.testing.assert_frame_equal(p_sla, sla)
        dask_total, pandas_total = load_s + bridge_s + sla_s, p_bridge_s + p_sla_s
        print(f"  pandas on one machine (read + SalesData + metric): mrr_bridge {p_bridge_s:.0f} s (peak RSS {p_mem.peak / 2**30:.1f} GiB), "
              f"response_sla {p_sla_s:.0f} s (peak RSS {s_mem.peak / 2**30:.1f} GiB); results equal Dask's")
        print(f"  Dask in all {dask_total:.0f} s (validation {load_s:.0f} + bridge {bridge_s:.0f} + SLA {sla_s:.0f}) against pandas "
              f"{pandas_total:.0f} s: Dask/pandas {dask_total / pandas_total:.1f}x")


if __name__ == "__main__":
    main()
