"""Timings for the synthetic generator and the validated loader. Prints figures; records nothing by itself.

    .venv/bin/python benchmarks/bench_synthetic.py [--large 100000] [--pg-url URL]

Figures measured with this script are quoted in docs/synthetic-data.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.engine import make_engine  # noqa: E402
from data_access.loader import load_linked_data, validate_linked_frames  # noqa: E402
from synthetic import generate_world  # noqa: E402


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=3000, help="families in the small (replicate-sized) world")
    parser.add_argument("--replicates", type=int, default=20, help="small worlds to time")
    parser.add_argument("--large", type=int, default=100_000, help="families in the large world")
    parser.add_argument("--pg-url", default=os.environ.get("FAMILIES_BENCH_PG_URL"), help="also load into PostgreSQL")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)")

    generate_world(200, 0)  # warm imports and caches
    small_times = [timed(generate_world, args.small, seed)[1] for seed in range(args.replicates)]
    print(f"generate_world({args.small:,}): median {statistics.median(small_times):.3f} s, "
          f"max {max(small_times):.3f} s over {args.replicates} seeds")

    world, seconds = timed(generate_world, args.large, 2026)
    rows = {name: frame.height for name, frame in world.items()}
    print(f"generate_world({args.large:,}): {seconds:.2f} s -> {rows['person_identifier']:,} people, "
          f"{rows['need_observation']:,} observations, {sum(rows.values()):,} rows in all")

    problems, seconds = timed(validate_linked_frames, world)
    print(f"validate_linked_frames({args.large:,} families): {seconds:.2f} s ({len(problems)} problems)")

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        _, seconds = timed(load_linked_data, engine, world)
        engine.dispose()
        size = (Path(folder) / "bench.db").stat().st_size / 1e6
        print(f"load_linked_data into SQLite (validate + drop/create + write, one transaction): {seconds:.2f} s, "
              f"file {size:.0f} MB")
    if args.pg_url:
        engine = make_engine(args.pg_url)
        _, seconds = timed(load_linked_data, engine, world)
        engine.dispose()
        print(f"load_linked_data into PostgreSQL (COPY): {seconds:.2f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
