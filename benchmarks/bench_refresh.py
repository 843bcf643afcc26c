"""Time successive editions: a first publication, the same data again, and a refresh with late records.

    python benchmarks/bench_refresh.py --families 500 [--seed 11] [--late-share 0.03] [--db-dir DIR]

The refresh is synthetic.refresh: the world at 30 September 2025 with a share of its observations held back, then
at 30 September 2026 with them arriving late. Last, the later data is published as a first edition in a fresh store:
the refresh's cost is compared with that (issue #14: a refresh within 1.2 x a first publication). Prints wall-clock
and CPU seconds (this process and its worker processes: resource.getrusage) per step, and what the editions hold.
Figures are recorded by hand in docs/benchmarks.md; nothing here is a test.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

from data_access.config import load_publish_settings
from data_access.editions import read_edition_rows, read_editions
from data_access.engine import make_engine, published_db_url
from data_access.loader import load_linked_data
from data_access.published_reads import read_revisions
from metrics.publish import publish
from synthetic.refresh import refresh_extracts

FIRST, SECOND = date(2025, 9, 30), date(2026, 9, 30)


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def step(name: str, url: str) -> float:
    """Publish once; prints the step's figures and returns its CPU seconds."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    timings = publish(url, published_db_url(url), settings=load_publish_settings())
    steps = ", ".join(f"{step} {timings.seconds[step]:.1f}s ({timings.cpu_seconds[step]:.1f}s CPU)"
                      for step in ("read", "compute_and_protect", "joint_audit", "write") if step in timings.seconds)
    print(f"{name}: edition {timings.edition}{' (unchanged)' if timings.unchanged else ''} | "
          f"wall {time.perf_counter() - wall:.1f}s, CPU {cpu_seconds() - cpu:.1f}s | {steps}", flush=True)
    return cpu_seconds() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--late-share", type=float, default=0.03)
    parser.add_argument("--db-dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.db_dir or Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    url = f"sqlite:///{folder / 'families.db'}"
    first, second, late = refresh_extracts(args.families, args.seed, FIRST, SECOND, args.late_share)
    print(f"{args.families} families, seed {args.seed}: {late.height} of "
          f"{first['need_observation'].height + late.height} observations up to {FIRST} arrive late")
    load_linked_data(make_engine(url), first)
    first_cpu = step("first publication", url)
    step("same data again", url)
    load_linked_data(make_engine(url), second)
    refresh_cpu = step("refresh", url)
    fresh_url = f"sqlite:///{folder / 'fresh.db'}"  # the later data published as a first edition (no history)
    load_linked_data(make_engine(fresh_url), second)
    fresh_cpu = step("first publication of the later data", fresh_url)
    print(f"refresh / first publication of the same data: {refresh_cpu / fresh_cpu:.2f} (CPU); "
          f"refresh / first edition: {refresh_cpu / first_cpu:.2f}")
    store = make_engine(url)
    for edition in read_editions(store):
        rows = read_edition_rows(store, edition.edition_id).filter(pl.col("kind") == "count")
        print(f"edition {edition.edition_id} ({edition.data_as_of}): {rows.height} count cells, "
              f"{rows.filter(pl.col('symbol') == '[c]').height} hidden")
    revisions = read_revisions(make_engine(published_db_url(url), published=True))
    print("revisions by reason:", dict(revisions.group_by("reason").len().iter_rows()))


if __name__ == "__main__":
    main()
