"""Report benchmark: the quarterly review deck (PPTX and HTML) from the bundled sample.

    python benchmarks/report.py [--repeat 3]

Target (issue 8): both files in under 30 seconds. There is no DuckDB equivalent of drawing a deck; the
run prints the time of each part instead (computing the slides, rendering each file).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import salesmetrics as sm
    from salesmetrics.reports.deck import _html, _pptx, review

    warnings.simplefilter("ignore")
    data = sm.load_sample()
    folder = Path(tempfile.mkdtemp())
    totals, parts = [], {"slides": [], "pptx": [], "html": []}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        slides = review(data, quarter="2025Q3")
        t1 = time.perf_counter()
        _pptx(slides, folder / "review.pptx", None)
        t2 = time.perf_counter()
        _html(slides, folder / "review.html", None)
        t3 = time.perf_counter()
        totals.append(t3 - t0)
        parts["slides"].append(t1 - t0)
        parts["pptx"].append(t2 - t1)
        parts["html"].append(t3 - t2)
    sizes = {p.suffix: p.stat().st_size / 2**20 for p in folder.iterdir()}
    print(f"report on the bundled sample, both files (median of {args.repeat}; the first run includes imports):")
    print(f"  total {statistics.median(totals):.1f} s (first run {totals[0]:.1f} s): computing the slides "
          f"{statistics.median(parts['slides']):.1f} s, PPTX {statistics.median(parts['pptx']):.1f} s "
          f"({sizes['.pptx']:.1f} MiB), HTML {statistics.median(parts['html']):.1f} s ({sizes['.html']:.1f} MiB)")


if __name__ == "__main__":
    main()
