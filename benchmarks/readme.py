"""Write the README's performance tables from benchmarks/results.json (the last step of `make bench`).

    python benchmarks/readme.py [--check]

The tables sit between the README's ``<!-- benchmarks:begin -->`` and ``<!-- benchmarks:end -->`` lines and
are never edited by hand: a figure changes only by measuring again. ``--check`` exits 1 when the README's
tables differ from what the JSON gives (tests/test_benchmarks.py checks the same).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
README = HERE.parent / "README.md"
RESULTS = HERE / "results.json"
BEGIN = "<!-- benchmarks:begin (generated from benchmarks/results.json by benchmarks/readme.py; do not edit) -->"
END = "<!-- benchmarks:end -->"


def _s(seconds: float) -> str:
    if seconds >= 10:
        return f"{seconds:.1f}"
    if seconds >= 1:
        return f"{seconds:.2f}"
    return f"{seconds:.3f}"


def _spread(d: dict[str, Any]) -> str:
    return f"{_s(d['min'])} / **{_s(d['median'])}** / {_s(d['max'])}"


def _rows(n: int | None) -> str:
    if not n:
        return ""
    if n >= 1_000_000:
        return f"{n // 1_000_000} M" if n % 1_000_000 == 0 else f"{n / 1e6:.2f} M"
    return f"{n:,}"


def _memory(e: dict[str, Any]) -> str:
    """Peak resident memory, and (when recorded) how much of it the call added to what the process held."""
    if e.get("peak_gib") is None:
        return "n/a"
    added = f" (+{e['added_gib']:.2f})" if e.get("added_gib") is not None else ""
    return f"{e['peak_gib']:.2f} GiB{added}"


def _headline(entries: list[dict[str, Any]]) -> list[str]:
    out = ["| benchmark | salesmetrics, s: min / **median** / max | DuckDB, s: min / **median** / max | ratio of medians (pairs) | goal | peak memory (added by the call) |",
           "|---|---|---|---|---|---|"]
    for e in entries:
        ratio = f"**{e['ratio']:.2f}** ({e['pair_ratio']['min']:.2f}–{e['pair_ratio']['max']:.2f})" if "ratio" in e else "–"
        goal = "" if e.get("goal") is None else (f"≤ {e['goal']:g} " + ("met" if e["ratio"] <= e["goal"] else "**not met**"))
        peak = _memory(e)
        duck = _spread(e["duckdb"]) if "duckdb" in e else "–"
        out.append(f"| {e['label']} | {_spread(e['salesmetrics'])} | {duck} | {ratio} | {goal} | {peak} |")
    return out


def _scaling(entries: list[dict[str, Any]]) -> list[str]:
    by_metric: dict[str, dict[int, dict[str, Any]]] = {}
    for e in entries:
        if e.get("rows") and "@" in e["key"]:
            by_metric.setdefault(e["key"].split("@")[0], {})[e["rows"]] = e
    by_metric = {k: v for k, v in by_metric.items() if len(v) >= 2}
    if not by_metric:
        return []
    width = max(len(v) for v in by_metric.values())
    out = ["| benchmark | " + " | ".join(["smaller", "headline", "larger"] if width == 3 else [f"size {i + 1}" for i in range(width)])
           + " | time per row, largest ÷ smallest |", "|---|" + "---|" * width + "---|"]
    for name, at in by_metric.items():
        cells = []
        for n in sorted(at):
            e = at[n]
            cell = f"{_rows(n)} rows: {_s(e['salesmetrics']['median'])} s"
            if "duckdb" in e:
                cell += f" vs {_s(e['duckdb']['median'])} s ({e['ratio']:.2f})"
            if e.get("peak_gib") is not None:
                cell += f", {e['peak_gib']:.1f} GiB"
            cells.append(cell)
        cells += [""] * (width - len(cells))
        lo, hi = min(at), max(at)
        growth = (at[hi]["salesmetrics"]["median"] / hi) / (at[lo]["salesmetrics"]["median"] / lo)
        out.append(f"| `{name}` | " + " | ".join(cells) + f" | {growth:.2f} |")
    return out


def _provenance(data: dict[str, Any]) -> list[str]:
    runs = data["runs"]
    machines = {json.dumps({k: v for k, v in r["machine"].items() if k != "load_before"}, sort_keys=True) for r in runs.values()}
    vers = {json.dumps({k: v for k, v in r["versions"].items() if k != "commit"}, sort_keys=True) for r in runs.values()}
    lines = []
    for name, r in runs.items():
        load = r["machine"].get("load_before")
        lines.append(f"`{name}.py` {' '.join(r['argv'])}".rstrip() + f": {r['date']}, commit {r['versions']['commit']}, "
                     f"{r['seconds']:.0f} s" + (f", load average {load:.2f} before it started" if load is not None else ""))
    m = json.loads(sorted(machines)[0])
    v = json.loads(sorted(vers)[0])
    head = (f"Measured by `make bench` on {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB"
            + ("" if len(machines) == 1 else " (and other machines: see benchmarks/results.json)")
            + f"; Python {v['python']}, salesmetrics {v['salesmetrics']}, pandas {v['pandas']}, numpy {v['numpy']}, "
              f"pyarrow {v['pyarrow']}, DuckDB {v['duckdb']}" + ("" if len(vers) == 1 else " (versions differ between scripts)") + ".")
    return [head, "", "Runs: " + "; ".join(lines) + "."]


def render(data: dict[str, Any]) -> str:
    """The README's generated block (between BEGIN and END) for the results in ``data``."""
    entries = data["entries"]
    compared = [e for e in entries if not e.get("group", "").endswith("scaling") and "duckdb" in e]
    alone = [e for e in entries if "duckdb" not in e]
    parts = [*_provenance(data), "", *_headline(compared)]
    scaling = _scaling(entries)
    if scaling:
        parts += ["", "Scaling (medians; ratio to DuckDB in brackets; peak resident memory of the process during salesmetrics' call):", "",
                  *scaling]
    if alone:
        parts += ["", "Without a DuckDB equivalent (absolute goals):", "",
                  "| benchmark | salesmetrics, s: min / **median** / max | goal | peak memory (added by the call) |", "|---|---|---|---|"]
        for e in alone:
            goal = "" if e.get("goal") is None else (f"< {e['goal']:g} s " + ("met" if e["salesmetrics"]["median"] < e["goal"] else "**not met**"))
            peak = _memory(e)
            parts.append(f"| {e['label']} | {_spread(e['salesmetrics'])} | {goal} | {peak} |")
    return "\n".join([BEGIN, *parts, END])


def current(readme: str) -> str:
    """The generated block as the README holds it."""
    if BEGIN not in readme or END not in readme:
        raise SystemExit(f"README.md has no generated benchmark block: add the lines {BEGIN!r} and {END!r} where the tables go")
    return readme[readme.index(BEGIN):readme.index(END) + len(END)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that the README matches the JSON")
    args = parser.parse_args()
    readme = README.read_text(encoding="utf-8")
    want = render(json.loads(RESULTS.read_text(encoding="utf-8")))
    have = current(readme)
    if args.check:
        sys.exit(0 if have == want else 1)
    README.write_text(readme.replace(have, want), encoding="utf-8")
    print(f"README.md: benchmark tables {'unchanged' if have == want else 'rewritten'} from {RESULTS.name}")


if __name__ == "__main__":
    main()
