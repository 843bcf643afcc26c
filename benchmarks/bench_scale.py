"""How each step's time and memory grow with the number of families, on PostgreSQL (issue #14 item 4).

    .venv/bin/python benchmarks/bench_scale.py --pg-url postgresql+psycopg://USER@HOST:PORT/postgres \
        [--sizes 5000,25000,100000,400000,1000000] [--json FILE] [--plot docs/benchmarks-scale.svg]

For each size, in a fresh database on that server (created, then dropped): `python -m synthetic` generates the
synthetic Dorset and loads it (COPY), then `python -m metrics.publish` publishes it, each in its own process so
its memory is its own. Memory is the peak of the memory of the process and its worker processes together, sampled
every 50 ms (less often when a sample is slow) as the proportional set size (a page shared by forked workers counts
once in all, where summed resident sizes would count it once per worker; the PostgreSQL server's own memory is not
counted). Prints a markdown table for docs/benchmarks.md, the growth exponent of each step between sizes (1 = grows
like the data) and writes a log-log plot. Nothing here is a test; tests/benchmarks/test_bench_scale.py keeps the
parsing and the plot working.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.databases import create_database, drop_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (5_000, 25_000, 100_000, 400_000, 1_000_000)
SAMPLE_SECONDS = 0.05
# A PSS sample walks the page tables of every process in the tree, and on a 7 GB publish it cost that publish about
# 70 s of 238 (2026-12-01: 169 s without the sampler). So the sampler waits at least this many times as long as its
# last sample took: at most about a tenth of a core, however large the process.
SAMPLE_COST_SHARE = 10
# Steps in the order they run, as named in the table and the plot.
STEPS = ("generate", "load", "read", "true cells", "impact", "protect", "published rows", "write")
FASTER_THAN_THE_DATA = 1.15  # a growth exponent above this between two sizes is called out


@dataclass
class Measured:
    """One command's wall-clock seconds, peak memory (PSS bytes, whole process tree) and output."""

    seconds: float
    peak_bytes: int
    output: str


@dataclass
class SizeResult:
    families: int
    people: int = 0
    observations: int = 0
    generate_and_load_seconds: float = 0.0
    generate_and_load_peak_bytes: int = 0
    publish_seconds: float = 0.0
    publish_peak_bytes: int = 0
    steps: dict[str, float] = field(default_factory=dict)


def run_measured(command: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run a command, sampling the memory (PSS) of it and its children together until it ends (every 50 ms, or
    less often where a sample itself is slow: SAMPLE_COST_SHARE)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            root = psutil.Process(process.pid)
            while not done.is_set():
                sampled = time.perf_counter()
                total = 0
                for member in [root, *root.children(recursive=True)]:
                    try:  # PSS: a page shared by forked workers counts once in all, not once per process
                        total += member.memory_full_info().pss
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        continue
                peak = max(peak, total)
                done.wait(max(SAMPLE_SECONDS, SAMPLE_COST_SHARE * (time.perf_counter() - sampled)))
        except psutil.NoSuchProcess:
            return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed ({process.returncode}):\n{output}")
    return Measured(seconds, peak, output)


_GENERATED = re.compile(r"Synthetic Dorset: ([\d,]+) families, ([\d,]+) people, ([\d,]+) observations.*"
                        r"generated in ([\d.]+) s, loaded in ([\d.]+) s")
_PUBLISHED = re.compile(r"read ([\d.]+)s, compute\+protect [\d.]+s \(([^)]*)\).*write ([\d.]+)s")
_PART = re.compile(r"([a-z ]+?) ([\d.]+)s")


def parse_generate(output: str) -> tuple[int, int, int, dict[str, float]]:
    """(families, people, observations, {generate, load seconds}) from `python -m synthetic`'s summary line."""
    found = _GENERATED.search(output)
    if found is None:
        raise ValueError(f"no summary line in the generator's output:\n{output}")
    families, people, observations = (int(found.group(index).replace(",", "")) for index in (1, 2, 3))
    return families, people, observations, {"generate": float(found.group(4)), "load": float(found.group(5))}


def parse_publish(output: str) -> dict[str, float]:
    """Seconds per step from `python -m metrics.publish`'s summary line (read, each compute part, write)."""
    found = _PUBLISHED.search(output)
    if found is None:
        raise ValueError(f"no summary line in the publish step's output:\n{output}")
    parts = {name.strip(): float(seconds) for name, seconds in _PART.findall(found.group(2))}
    return {"read": float(found.group(1)), **parts, "write": float(found.group(3))}


def growth_exponents(results: list[SizeResult], step: str) -> list[float]:
    """log(time ratio) / log(size ratio) between each pair of successive sizes: 1 grows like the data."""
    exponents = []
    for smaller, larger in zip(results, results[1:], strict=False):
        before, after = smaller.steps.get(step), larger.steps.get(step)
        if not before or not after or before <= 0:
            exponents.append(math.nan)
            continue
        exponents.append(math.log(after / before) / math.log(larger.families / smaller.families))
    return exponents


def markdown_table(results: list[SizeResult]) -> str:
    """One row per size: the totals against the issue's budgets, then each step's seconds."""
    header = ("| families | people | observations | generate + load | peak memory | publish | peak memory | "
              + " | ".join(STEPS) + " |")
    lines = [header, "|" + "---|" * (7 + len(STEPS))]
    for result in results:
        steps = " | ".join(f"{result.steps[step]:.1f} s" if step in result.steps else "-" for step in STEPS)
        lines.append(
            f"| {result.families:,} | {result.people:,} | {result.observations:,} | "
            f"{result.generate_and_load_seconds:.1f} s | {result.generate_and_load_peak_bytes / 1e9:.2f} GB | "
            f"{result.publish_seconds:.1f} s | {result.publish_peak_bytes / 1e9:.2f} GB | {steps} |")
    return "\n".join(lines)


def scaling_plot(results: list[SizeResult], path: Path) -> None:
    """Log-log plot: each step's seconds and each process's peak memory against families, with a line of slope 1."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, and read out by screen readers
    import matplotlib.pyplot as plt

    families = [result.families for result in results]
    figure, (times, memory) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    for step in STEPS:
        seconds = [result.steps.get(step, math.nan) for result in results]
        times.plot(families, seconds, marker="o", label=step)
    reference = [results[-1].publish_seconds * size / families[-1] for size in families]
    times.plot(families, reference, linestyle="--", color="grey", label="grows like the data (slope 1)")
    times.set(xscale="log", yscale="log", xlabel="families", ylabel="seconds", title="Time per step")
    times.legend(fontsize="small")
    for label, attribute in (("generate + load", "generate_and_load_peak_bytes"), ("publish", "publish_peak_bytes")):
        memory.plot(families, [getattr(result, attribute) / 1e9 for result in results], marker="o", label=label)
    memory.axhline(16, linestyle=":", color="grey", label="16 GB budget")
    memory.set(xscale="log", yscale="log", xlabel="families", ylabel="GB (peak PSS, with workers)",
               title="Peak memory")
    memory.legend(fontsize="small")
    for axes in (times, memory):
        axes.grid(True, which="both", alpha=0.3)
    figure.savefig(path, metadata={"Date": None})  # no timestamp: the same figures give the same file
    plt.close(figure)


def measure_size(server_url: str, families: int, seed: int) -> SizeResult:
    """Generate and load, then publish, one size in a database of its own (dropped afterwards)."""
    name = f"families_scale_{families}"
    url = create_database(server_url, name)
    env = {key: value for key, value in os.environ.items() if not key.startswith("FAMILIES_")}
    try:
        built = run_measured([sys.executable, "-m", "synthetic", "--families", str(families), "--seed", str(seed),
                              "--db", url], env)
        counted, people, observations, steps = parse_generate(built.output)
        published = run_measured([sys.executable, "-m", "metrics.publish", "--db", url], env)
        steps |= parse_publish(published.output)
    finally:
        drop_database(server_url, name)
    return SizeResult(counted, people, observations, built.seconds, built.peak_bytes, published.seconds,
                      published.peak_bytes, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", required=True, help="a PostgreSQL server, as a role that may create databases")
    parser.add_argument("--sizes", default=",".join(str(size) for size in DEFAULT_SIZES))
    parser.add_argument("--seed", type=int, default=20240401)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    parser.add_argument("--plot", type=Path, default=None, help="write the log-log plot (SVG or PNG)")
    args = parser.parse_args()
    results: list[SizeResult] = []
    for families in (int(size) for size in args.sizes.split(",")):
        result = measure_size(args.pg_url, families, args.seed)
        results.append(result)
        print(f"{families:>9,} families: generate+load {result.generate_and_load_seconds:.1f} s "
              f"({result.generate_and_load_peak_bytes / 1e9:.2f} GB), publish {result.publish_seconds:.1f} s "
              f"({result.publish_peak_bytes / 1e9:.2f} GB); " + ", ".join(
                  f"{step} {seconds:.1f} s" for step, seconds in result.steps.items()), flush=True)
        if args.json:
            args.json.write_text(json.dumps([asdict(each) for each in results], indent=2))
        if args.plot and len(results) > 1:
            scaling_plot(results, args.plot)
    print()
    print(markdown_table(results))
    print()
    for step in STEPS:
        exponents = growth_exponents(results, step)
        flagged = " <- grows faster than the data" if any(value > FASTER_THAN_THE_DATA for value in exponents) else ""
        print(f"growth exponent, {step}: " + ", ".join(f"{value:.2f}" for value in exponents) + flagged)


if __name__ == "__main__":
    main()
