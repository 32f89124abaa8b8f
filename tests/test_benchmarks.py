"""The README's performance tables are generated from benchmarks/results.json, and that file holds distributions.

No test here times anything (benchmarks are not tests): they check that a figure in the README can only come from a
measurement `make bench` recorded, and that each recorded figure is what its runs say.
"""

from __future__ import annotations

import importlib.util
import json
import re
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


def _module(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCH))  # the scripts import their helpers as `common`
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def results() -> dict:
    return json.loads((BENCH / "results.json").read_text(encoding="utf-8"))


def test_the_readme_tables_are_the_ones_the_results_give(results: dict) -> None:
    readme = _module("readme")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.current(text) == readme.render(results), (
        "README.md's benchmark tables differ from benchmarks/results.json: run `make bench` (or, after editing the "
        "renderer only, `python benchmarks/readme.py`) instead of editing the tables by hand")


def test_every_script_of_make_bench_recorded_its_run(results: dict) -> None:
    common = _module("common")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = makefile[makefile.index("\nbench:"):].split("\n\n")[0]
    ran = re.findall(r"benchmarks/(\w+)\.py", target)
    assert ran == [*common.SCRIPTS, "readme"], ran
    assert list(results["runs"]) == list(common.SCRIPTS)
    for name, run in results["runs"].items():
        assert {"date", "machine", "versions", "args"} <= set(run), name
        assert run["versions"]["commit"] != "?", name
        assert any(e["script"] == name for e in results["entries"]), f"{name} recorded no figure"


def test_each_figure_is_the_distribution_of_its_runs(results: dict) -> None:
    common = _module("common")
    keys = [e["key"] for e in results["entries"]]
    assert len(keys) == len(set(keys)), "a benchmark is recorded twice"
    for e in results["entries"]:
        sides = ["salesmetrics", "duckdb"] if "duckdb" in e else ["salesmetrics"]
        for side in sides:
            d = e[side]
            assert len(d["runs"]) == e["repeat"] >= common.MIN_REPEAT, e["key"]
            assert d["min"] == min(d["runs"]) and d["max"] == max(d["runs"]), e["key"]
            assert d["median"] == pytest.approx(statistics.median(d["runs"]), rel=1e-12), e["key"]
        if "duckdb" in e:
            assert e["ratio"] == pytest.approx(e["salesmetrics"]["median"] / e["duckdb"]["median"], rel=1e-12), e["key"]
            pairs = [a / b for a, b in zip(e["salesmetrics"]["runs"], e["duckdb"]["runs"], strict=True)]
            assert e["pair_ratio"]["min"] == pytest.approx(min(pairs)) and e["pair_ratio"]["max"] == pytest.approx(max(pairs))
            assert e["checked"], f"{e['key']}: no check of DuckDB's result against salesmetrics' is recorded"


def test_a_short_benchmark_pairs_on_within_its_budget_and_a_long_one_stops_at_its_repeat(monkeypatch: pytest.MonkeyPatch,
                                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Calls are counted, not timed: with a budget no pair can fill, the runs stop at ``MAX_FACTOR * repeat``; with a
    budget every pair exceeds, at ``repeat``. Either way both sides have one time per pair, after one unmeasured call."""
    common = _module("common")
    for budget, pairs in ((1e9, common.MAX_FACTOR * 5), (0.0, 5)):
        calls = {"ours": 0, "base": 0}

        def side(name: str, calls: dict[str, int] = calls) -> Callable[[], int]:
            def run() -> int:
                calls[name] += 1
                return 1
            return run

        monkeypatch.setattr(common, "BUDGET_S", budget)
        entry = common.measure("k", "a metric", side("ours"), side("base"), repeat=5, check=lambda a, b: "equal")
        assert calls == {"ours": pairs + 1, "base": pairs + 1}
        assert entry["repeat"] == pairs == len(entry["salesmetrics"]["runs"]) == len(entry["duckdb"]["runs"])
        assert f"of {pairs})" in capsys.readouterr().out


def test_the_renderer_marks_a_missed_goal() -> None:
    """A hand-made result: medians 3.0 s against 4.0 s (ratio 0.75) under a goal of 0.5 reads 'not met'."""
    readme = _module("readme")
    run = {"date": "2026-01-01 00:00 UTC", "argv": [], "args": {}, "seconds": 1.0,
           "machine": {"cpu": "x", "cores": 2, "memory_gib": 8.0, "os": "linux", "load_before": 0.0},
           "versions": {"python": "3.11", "salesmetrics": "0", "commit": "abc", "pandas": "3", "numpy": "2", "pyarrow": "1",
                        "duckdb": "1"}}
    entry = {"key": "k@10", "label": "a metric", "group": "pipeline", "rows": 10, "repeat": 5, "goal": 0.5, "peak_gib": 1.0, "added_gib": 0.25,
             "checked": "equal", "salesmetrics": {"min": 2.0, "median": 3.0, "max": 9.0, "runs": [2.0, 3.0, 3.0, 4.0, 9.0]},
             "duckdb": {"min": 4.0, "median": 4.0, "max": 4.0, "runs": [4.0] * 5}, "ratio": 0.75,
             "pair_ratio": {"min": 0.5, "max": 2.25}}
    text = readme.render({"runs": {"pipeline": run}, "entries": [entry]})
    assert "| a metric | 2.00 / **3.00** / 9.00 | 4.00 / **4.00** / 4.00 | **0.75** (0.50–2.25) | ≤ 0.5 **not met** | 1.00 GiB (+0.25) |" in text


def test_the_pipeline_queries_return_the_functions_tables_where_cells_are_empty() -> None:
    """At 10M rows every quarter x segment has deals, so the benchmark's check could not tell a query that drops an
    empty cell from one that keeps it. Here it can: a segment seen only among open deals (no close, no cohort in a
    quarter), a quarter with no win for one segment, and deals without a segment ("(missing)")."""
    duckdb = pytest.importorskip("duckdb", reason="duckdb is in the dev extra: pip install -e .[dev]")
    import salesmetrics as sm

    bench = _module("pipeline")
    opps = bench.make_opportunities(3_000, seed=5)
    is_open = opps["status"] == "open"
    opps.loc[is_open[is_open].index[:3], "segment"] = "Partners"  # only ever open: in every table, never closed
    q2 = (opps["closed_at"] >= "2023-04-01") & (opps["closed_at"] < "2023-07-01") & (opps["segment"] == "SMB")
    opps.loc[q2 & (opps["status"] == "won"), "status"] = "lost"  # SMB wins nothing in 2023Q2
    opps.loc[opps.index[::97], "segment"] = None
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("opps", opps)
    deal = sm.deal_size(opps, freq="Q", by="segment", as_of=bench.AS_OF)
    close = sm.close_rate(opps, freq="Q", by="segment", window=90, as_of=bench.AS_OF)
    assert {"Partners", "(missing)"} <= set(deal["segment"])
    assert ((deal["segment"] == "SMB") & (deal["period"].astype(str) == "2023Q2") & (deal["won"] == 0)).sum() == 1
    partners = close.loc[close["segment"] == "Partners", "created"]
    assert partners.sum() == 3 and (partners == 0).sum() >= len(partners) - 3  # cohorts of none in most quarters
    # the checks raise on any difference, and compare every cell of ours (no row filtered out)
    assert bench.check_deal(deal, con.execute(bench.DEAL_SQL.format(as_of=bench.AS_OF)).df()).startswith(f"{len(deal)} cells")
    assert bench.check_close(close, con.execute(bench.CLOSE_SQL.format(as_of=bench.AS_OF, window=bench.WINDOW_NS)).df()) \
        .startswith(f"{len(close)} cells")
