"""Report benchmark: the quarterly review deck (PPTX and HTML) from the bundled sample.

    python benchmarks/report.py [--repeat 5]

Target (issue 8): both files in under 30 seconds. There is no DuckDB equivalent of drawing a deck; the
run times each part too (computing the slides, rendering each file). Results go to benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

from common import MIN_REPEAT, Results, measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=MIN_REPEAT)
    parser.add_argument("--no-save", action="store_true", help="print only; leave benchmarks/results.json as it is")
    args = parser.parse_args()
    import salesmetrics as sm
    from salesmetrics.reports.deck import _html, _pptx, review

    warnings.simplefilter("ignore")
    results = Results("report", vars(args))
    data = sm.load_sample()
    folder = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    slides = review(data, quarter="2025Q3")
    _pptx(slides, folder / "review.pptx", None)
    _html(slides, folder / "review.html", None)
    print(f"first run, imports included: {time.perf_counter() - t0:.1f} s")

    def both() -> None:
        s = review(data, quarter="2025Q3")
        _pptx(s, folder / "review.pptx", None)
        _html(s, folder / "review.html", None)

    results.add(measure("report", "the review deck from the bundled sample, both files (PPTX and HTML)", both, None, repeat=args.repeat,
                        goal=30.0, group="report"))
    results.add(measure("report_slides", "… computing the slides (every KPI once per quarter)", lambda: review(data, quarter="2025Q3"), None,
                        repeat=args.repeat, group="report"))
    sizes = {p.suffix: p.stat().st_size / 2**20 for p in folder.iterdir()}
    results.add(measure("report_pptx", f"… the PPTX ({sizes['.pptx']:.1f} MiB, native charts)", lambda: _pptx(slides, folder / "review.pptx", None),
                        None, repeat=args.repeat, group="report"))
    results.add(measure("report_html", f"… the HTML ({sizes['.html']:.1f} MiB, most of it plotly.js)", lambda: _html(slides, folder / "review.html", None),
                        None, repeat=args.repeat, group="report"))
    if not args.no_save:
        results.save()


if __name__ == "__main__":
    main()
