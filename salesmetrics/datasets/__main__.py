"""Regenerate the bundled sample: ``python -m salesmetrics.datasets --out data/sample``."""

from __future__ import annotations

import argparse
import time

from . import SAMPLE_SETTINGS, make_company


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m salesmetrics.datasets", description=__doc__)
    parser.add_argument("--out", required=True, help="folder to write the tables into")
    parser.add_argument("--seed", type=int, default=SAMPLE_SETTINGS["seed"])
    parser.add_argument("--accounts", type=int, default=SAMPLE_SETTINGS["accounts"])
    parser.add_argument("--months", type=int, default=SAMPLE_SETTINGS["months"])
    parser.add_argument("--scenario", choices=["reorg", "healthy"], default=SAMPLE_SETTINGS["scenario"])
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    company = make_company(seed=args.seed, accounts=args.accounts, months=args.months, scenario=args.scenario)
    folder = company.to_dir(args.out, format=args.format)
    if args.format == "csv":
        from .raw import write_crm_export

        write_crm_export(company, folder / "raw")  # the fictional CRM export notebook 05 starts from
    rows = sum(len(df) for df in company.tables.values())
    print(f"wrote {rows:,} rows in {len(company.tables)} tables to {folder} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
