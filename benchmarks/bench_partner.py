"""Timings for the partner-data stage. Prints figures; records nothing by itself.

    .venv/bin/python benchmarks/bench_partner.py [--large 100000] [--demo 5000] [--skip-publish]

1. Writing synthetic partner extracts for --large families (world generation reported apart).
2. The demo the real way at --demo families: extracts -> `linkage run` (ingest, link, build, load) -> publish.
   The person linker is the truth stand-in from tests/linkage/standin_linkers.py until the real linker is
   merged, so the link step here measures the pipeline around the linker, not linkage itself.
Wall-clock and CPU seconds (this process and its children) are printed for each step, because the machine is
shared: CPU seconds move less with other people's load. Figures are quoted in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.engine import make_engine  # noqa: E402
from linkage.contract import load_partner_contract  # noqa: E402
from linkage.run import run  # noqa: E402
from synthetic import generate_world  # noqa: E402
from synthetic.partner_extracts import write_partner_extracts  # noqa: E402
from tests.linkage.standin_linkers import truth_linker  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Step:
    def __init__(self, label: str):
        self.label = label

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *_):
        print(f"{self.label}: {time.perf_counter() - self.wall:.2f} s wall, {cpu_seconds() - self.cpu:.2f} s CPU",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--demo", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=20240401)
    parser.add_argument("--skip-publish", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        if args.large:
            with Step(f"generate_world({args.large:,})"):
                world = generate_world(args.large, args.seed)
            with Step(f"write_partner_extracts({args.large:,})"):
                summary = write_partner_extracts(world, folder / "large")
            print(f"  {summary.total_records:,} records in {len(summary.files)} files")
            del world
        with Step(f"python -m synthetic --families {args.demo:,} --partner-extracts"):
            subprocess.run([sys.executable, "-m", "synthetic", "--families", str(args.demo), "--seed",
                            str(args.seed), "--partner-extracts", str(folder / "demo")], check=True,
                           cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
        url = f"sqlite:///{folder / 'demo.db'}"
        engine = make_engine(url)
        with Step(f"linkage run, {args.demo:,} families, truth stand-in linker (SQLite)"):
            report = run(engine, folder / "demo", load_partner_contract(),
                         truth_linker(folder / "demo" / "truth" / "records.csv"), is_synthetic=True)
        print(f"  {sum(line.rows_accepted for line in report.files):,} records; linked rows {report.linked['rows']}")
        with Step("linkage run again (nothing new)"):
            run(engine, folder / "demo", load_partner_contract(),
                truth_linker(folder / "demo" / "truth" / "records.csv"))
        engine.dispose()
        if not args.skip_publish:
            with Step("python -m metrics.publish"):
                subprocess.run([sys.executable, "-m", "metrics.publish", "--db", url], check=True, cwd=PROJECT_ROOT,
                               stdout=subprocess.DEVNULL)
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
