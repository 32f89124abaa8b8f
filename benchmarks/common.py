"""Helpers shared by the benchmark scripts (not part of the library).

Every comparison goes through :func:`measure`: one unmeasured run of each side whose results are checked
equal (before any time is printed), then at least five alternating pairs, more for a short benchmark (until 30 s
of pairs, at most fifteen; salesmetrics first in even pairs,
DuckDB first in odd ones, so both meet the same machine state), each side's min / median / max, the ratio
of the medians, and the peak resident memory of the process during salesmetrics' runs and how much of it the
run added (Linux: the high-water mark is reset before each run through ``/proc/self/clear_refs``). :class:`Results` writes the
figures to ``benchmarks/results.json``, from which ``benchmarks/readme.py`` generates the README's tables.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RESULTS = Path(__file__).with_name("results.json")
MIN_REPEAT = 5
BUDGET_S = 30.0
"""A comparison whose ``repeat`` pairs took less than this goes on pairing, up to :data:`MAX_FACTOR` times as many:
on a shared machine a median of five short runs moves with every neighbour, a median of fifteen much less."""
MAX_FACTOR = 3


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs, and the last result (for timings no goal is about)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    """Median wall time of ``repeat`` runs (for timings of milliseconds, where the best run flatters)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def paired_ratios(ours: Callable[[], Any], base: Callable[[], Any], repeat: int) -> tuple[list[tuple[float, float]], Any, Any]:
    """Wall times of ``repeat`` interleaved pairs (ours, base), after one unmeasured run of each; the order alternates
    pair by pair, so both sides meet the same machine state (memory already touched, other load). Returns the pairs
    and the last results."""
    out_a, out_b = ours(), base()
    pairs = []
    for i in range(repeat):
        times = {}
        for name, fn in (("a", ours), ("b", base)) if i % 2 == 0 else (("b", base), ("a", ours)):
            t = time.perf_counter()
            result = fn()
            times[name] = time.perf_counter() - t
            out_a, out_b = (result, out_b) if name == "a" else (out_a, result)
        pairs.append((times["a"], times["b"]))
    return pairs, out_a, out_b


def utc_stamps(ns: np.ndarray) -> pd.Series:
    """int64 nanoseconds (int64 min = missing) as a UTC time-stamp Series."""
    return pd.Series(pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC"))


# ----------------------------------------------------------------------------------------------------------
# measured distributions
# ----------------------------------------------------------------------------------------------------------


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the process's resident high-water mark (Linux >= 4.0); False where that cannot be done."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _timed_run(fn: Callable[[], Any]) -> tuple[float, Any, float | None, float | None]:
    """Seconds, result, peak resident memory (GiB) of one run, and how much of it the run added to what the
    process held before (the inputs, earlier benchmarks' leftovers); earlier runs' garbage is collected first."""
    gc.collect()
    can_peak = _reset_peak()
    before = _status_kib("VmRSS") if can_peak else None
    t = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t
    hwm = _status_kib("VmHWM") if can_peak else None
    if hwm is None or before is None:
        return seconds, out, None, None
    return seconds, out, hwm / 2**20, max(hwm - before, 0) / 2**20


def _spread(times: list[float]) -> dict[str, Any]:
    return {"min": min(times), "median": statistics.median(times), "max": max(times), "runs": times}


def measure(key: str, label: str, ours: Callable[[], Any], base: Callable[[], Any] | None, *, repeat: int = MIN_REPEAT,
            check: Callable[[Any, Any], str] | None = None, goal: float | None = None, rows: int | None = None,
            group: str = "", note: str = "") -> dict[str, Any]:
    """Time ``ours`` against ``base`` (DuckDB) as distributions, after checking their results agree.

    ``check(ours_result, base_result)`` raises when they differ and returns what was checked ("counts equal");
    it runs on the unmeasured first results, so no time is printed for a wrong answer. ``goal`` is the
    ratio of medians the benchmark must meet (printed beside it). ``base=None`` times salesmetrics alone.
    At least ``repeat`` pairs run, and more while all of them together took under :data:`BUDGET_S` seconds (at
    most ``MAX_FACTOR * repeat``); the entry's ``repeat`` is how many ran.
    Returns the entry :class:`Results` records.
    """
    if repeat < MIN_REPEAT:
        raise SystemExit(f"--repeat must be at least {MIN_REPEAT}: a median of fewer runs is not a distribution")
    first_ours = ours()
    first_base = base() if base is not None else None
    checked = check(first_ours, first_base) if check is not None else ""
    del first_ours, first_base
    t_ours: list[float] = []
    t_base: list[float] = []
    peaks: list[float] = []
    added: list[float] = []
    started = time.perf_counter()
    i = 0
    while i < repeat or (time.perf_counter() - started < BUDGET_S and i < MAX_FACTOR * repeat):
        order = [("ours", ours), ("base", base)] if i % 2 == 0 else [("base", base), ("ours", ours)]
        i += 1
        for side, fn in order:
            if fn is None:
                continue
            seconds, out, peak, grew = _timed_run(fn)
            del out
            if side == "ours":
                t_ours.append(seconds)
                if peak is not None and grew is not None:
                    peaks.append(peak)
                    added.append(grew)
            else:
                t_base.append(seconds)
    repeat = len(t_ours)
    entry: dict[str, Any] = {"key": key, "label": label, "group": group, "rows": rows, "repeat": repeat,
                             "salesmetrics": _spread(t_ours), "checked": checked, "goal": goal, "note": note,
                             "peak_gib": max(peaks) if peaks else None, "added_gib": max(added) if added else None}
    if base is not None:
        entry["duckdb"] = _spread(t_base)
        entry["ratio"] = entry["salesmetrics"]["median"] / entry["duckdb"]["median"]
        pair = [a / b for a, b in zip(t_ours, t_base, strict=True)]
        entry["pair_ratio"] = {"min": min(pair), "max": max(pair)}
    s = entry["salesmetrics"]
    line = f"{label}: salesmetrics {s['min']:.3f} / {s['median']:.3f} / {s['max']:.3f} s"
    if base is not None:
        d = entry["duckdb"]
        line += (f", DuckDB {d['min']:.3f} / {d['median']:.3f} / {d['max']:.3f} s (min / median / max of {repeat}), "
                 f"ratio of medians {entry['ratio']:.2f} (pairs {entry['pair_ratio']['min']:.2f}–{entry['pair_ratio']['max']:.2f})")
        if goal is not None:
            line += f", goal ≤ {goal:g}: {'met' if entry['ratio'] <= goal else 'NOT MET'}"
    if entry["peak_gib"] is not None:
        line += f"; peak resident memory {entry['peak_gib']:.2f} GiB, {entry['added_gib']:.2f} GiB of it added by the call"
    if checked:
        line += f" [{checked}]"
    print(line, flush=True)
    return entry


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "salesmetrics"],
                               cwd=Path(__file__).parent, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return out + ("+changes" if dirty else "")


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    total = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        total = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": cores, "memory_gib": round(total, 1) if total else None, "os": platform.platform(),
            "load_before": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}


def versions() -> dict[str, str]:
    import duckdb
    import pyarrow

    import salesmetrics

    return {"python": platform.python_version(), "salesmetrics": salesmetrics.__version__, "commit": _git_commit() or "?",
            "pandas": pd.__version__, "numpy": np.__version__, "pyarrow": pyarrow.__version__, "duckdb": duckdb.__version__}


class Results:
    """The entries of one benchmark script, merged into ``benchmarks/results.json`` (a script's earlier entries are
    replaced, other scripts' kept), with the machine, versions and date of the run."""

    def __init__(self, script: str, args: dict[str, Any]) -> None:
        self.script = script
        self.args = args
        self.entries: list[dict[str, Any]] = []
        self.started = dt.datetime.now(dt.UTC)
        self.machine = machine()

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        entry["script"] = self.script
        self.entries.append(entry)
        return entry

    def save(self, path: Path = RESULTS) -> None:
        data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"runs": {}, "entries": []}
        data["entries"] = [e for e in data["entries"] if e.get("script") != self.script] + self.entries
        order = {name: i for i, name in enumerate(SCRIPTS)}
        data["entries"].sort(key=lambda e: order.get(e["script"], len(order)))
        data["runs"][self.script] = {"date": self.started.strftime("%Y-%m-%d %H:%M UTC"), "argv": sys.argv[1:],
                                     "args": self.args, "machine": self.machine, "versions": versions(),
                                     "seconds": round((dt.datetime.now(dt.UTC) - self.started).total_seconds(), 1)}
        data["runs"] = {k: data["runs"][k] for k in sorted(data["runs"], key=lambda k: order.get(k, len(order)))}
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {len(self.entries)} results of {self.script} to {path}")


# the scripts `make bench` runs, in its order (and the order of the README's tables)
SCRIPTS = ("foundation", "revenue", "pipeline", "sla", "economics", "diagnostics", "report")
