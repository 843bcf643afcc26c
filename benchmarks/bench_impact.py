"""Time the impact analysis on synthetic worlds (default 5,000 and 100,000 families; target <= 30 s at 100k).

    .venv/bin/python benchmarks/bench_impact.py [--families 5000 100000] [--repeat 3] [--db]

Stages timed separately: building the analysis frames (from in-memory linked tables), the analysis
itself (propensity model, matching, balance, psm/aipw/naive for 12 measures + "any need", locality subsets),
and the protected tables. With --db the world is also loaded into a temporary SQLite file and the
database read (read_impact_inputs) is timed. Figures go into docs/impact.md (only measured figures).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.config import load_publish_settings  # noqa: E402
from metrics.impact.analysis_frame import analysis_frames, impact_inputs  # noqa: E402
from metrics.impact.run import run_impact  # noqa: E402
from metrics.impact.tables import (  # noqa: E402
    balance_rows,
    impact_csv_rows,
    overlap_from_published,
    published_impact_rows,
)
from synthetic.world import generate_world  # noqa: E402


def _timed(function, *args):
    started = time.process_time()
    result = function(*args)
    return result, time.process_time() - started


def _tables(results, settings) -> None:
    """The impact table protected on its own, and impact.csv, the love plot and the histograms made from it."""
    published = published_impact_rows(results, settings.policy, settings.polarities)
    labels = {outcome.outcome_id: outcome.label for outcome in results.outcomes}
    impact_csv_rows(published, labels, results.area_name, results.locality_names)
    balance_rows(results, settings.policy)
    overlap_from_published(published)


def _database_read(world) -> float:
    from data_access.engine import make_engine
    from data_access.schema import LINKED_TABLES_IN_LOAD_ORDER, linked_metadata
    from metrics.impact.reads import read_impact_inputs

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'families.db'}")
        try:
            from data_access.bulk import write_frame

            linked_metadata.create_all(engine)
            with engine.begin() as connection:
                for table in LINKED_TABLES_IN_LOAD_ORDER:
                    write_frame(connection, table, world[table.name])
            _, seconds = _timed(read_impact_inputs, engine)
        finally:
            engine.dispose()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, nargs="+", default=[5000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", action="store_true", help="also time reading the inputs from an SQLite file")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
          "times are CPU seconds of this process (time.process_time), which load on the machine inflates less")
    settings = load_publish_settings()
    catalogue = settings.measures
    for n_families in args.families:
        world = generate_world(n_families, args.seed)
        observations = world["need_observation"].height
        best: dict[str, float] = {}
        for _ in range(args.repeat):
            inputs, t_inputs = _timed(impact_inputs, world)
            frames, t_frames = _timed(analysis_frames, inputs, catalogue)
            # builds the frames again, then analyses
            results, t_run = _timed(run_impact, inputs, catalogue, settings.locality_names, settings.area_name)
            _, t_tables = _timed(_tables, results, settings)
            for name, seconds in (("minimise", t_inputs), ("frames", t_frames), ("run_impact", t_run),
                                  ("tables", t_tables)):
                best[name] = min(best.get(name, float("inf")), seconds)
        units = sum(frame.frame.height for frame in frames)
        total = best["minimise"] + best["run_impact"] + best["tables"]
        line = (f"{n_families:>7,} families ({observations:,} observations, {units:,} analysed units): "
                f"minimise {best['minimise']:.2f} s, frames {best['frames']:.2f} s, "
                f"run_impact (frames + analysis) {best['run_impact']:.2f} s, tables {best['tables']:.2f} s, "
                f"total {total:.2f} s (best of {args.repeat})")
        if args.db:
            line += f"; SQLite read {_database_read(world):.2f} s"
        print(line, flush=True)


if __name__ == "__main__":
    main()
