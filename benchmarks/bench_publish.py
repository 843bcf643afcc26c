"""Time the publish step (read, compute + protect, write) on a synthetic Dorset of a given size.

    python benchmarks/bench_publish.py --families 5000 [--families 100000] [--db-dir DIR]

Prints one line per size, wall-clock and CPU seconds (compare CPU seconds on a busy machine). Figures are
recorded by hand in docs/benchmarks.md; nothing here is a test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from data_access.config import load_publish_settings
from data_access.engine import make_engine, published_db_url
from data_access.loader import load_linked_data
from metrics.publish import publish
from synthetic import generate_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, action="append", default=None)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db-dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.db_dir or Path(tempfile.mkdtemp(prefix="bench-publish-"))
    for families in args.families or [5000]:
        url = f"sqlite:///{folder / f'families-{families}.db'}"
        started = time.perf_counter()
        load_linked_data(make_engine(url), generate_world(families, args.seed))
        built = time.perf_counter() - started
        result = publish(url, published_db_url(url), settings=load_publish_settings())
        timings, cpu = result.seconds, result.cpu_seconds  # CPU: this process and its worker processes
        print(f"{families:>7} families: build {built:.1f}s | publish read {timings['read']:.1f}s "
              f"({cpu['read']:.1f}s CPU), compute+protect {timings['compute_and_protect']:.1f}s "
              f"({cpu['compute_and_protect']:.1f}s CPU), write {timings['write']:.1f}s ({cpu['write']:.1f}s CPU), "
              f"{int(timings['rows'])} rows", flush=True)


if __name__ == "__main__":
    main()
