"""python -m metrics.impact --db URL --export DIR: run the impact analysis and write protected CSV files.

Writes DIR/impact.csv (one row per outcome x area x method), DIR/impact_balance.csv (love-plot data),
DIR/impact_overlap.csv (propensity-score histograms) and DIR/impact_published.csv (the tidy long format).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from data_access.engine import linked_db_url, make_engine
from metrics.impact.reads import read_impact_inputs
from metrics.impact.run import run_impact
from metrics.impact.tables import balance_rows, impact_rows, overlap_bins, published_impact_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m metrics.impact", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="linked database URL (default: FAMILIES_DB_URL or data/families.db)")
    parser.add_argument("--export", required=True, type=Path, help="folder to write impact.csv and friends into")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    engine = make_engine(args.db or linked_db_url())
    try:
        inputs = read_impact_inputs(engine)
    finally:
        engine.dispose()
    results = run_impact(inputs)
    args.export.mkdir(parents=True, exist_ok=True)
    outputs = {
        "impact.csv": impact_rows(results),
        "impact_balance.csv": balance_rows(results),
        "impact_overlap.csv": overlap_bins(results),
        "impact_published.csv": published_impact_rows(results),
    }
    for name, frame in outputs.items():
        frame.write_csv(args.export / name)
    print(f"impact: {len(results.outcomes)} outcomes, wrote {', '.join(outputs)} to {args.export} "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
