"""Timings for the partner-data stage end to end. Prints figures; records nothing by itself.

    .venv/bin/python benchmarks/bench_partner.py [--families 100000] [--seed 20240401] [--held-back substance_misuse]
                                                 [--demo 5000]

1. Synthetic partner extracts for --families families (world generation reported apart).
2. `python -m linkage run` on them, end to end (ingest, link with the real person linker, which trains on a sample
   the first time, families, need observations, load into SQLite, quality figures), in a fresh process: its phases
   (printed by the command), wall and CPU seconds and peak memory (ru_maxrss of the child).
   One source's file (--held-back) is left out of the first run and arrives in the second, like next month's
   extract: the second run relinks every record with the stored model (no training). A third run with nothing new
   shows a rerun costs nothing.
3. With --demo N: the demo the real way, `scripts/build-demo.sh` into a temporary folder (extracts -> linkage run ->
   publish), timed as a whole.
CPU seconds move less than wall-clock seconds with other people's load on a shared machine; both are printed, with
the load average. Figures are quoted in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synthetic import generate_world  # noqa: E402
from synthetic.partner_extracts import write_partner_extracts  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_command(label: str, command: list[str], env: dict[str, str] | None = None) -> str:
    """Run a command, print its output's last lines, wall and CPU seconds and the children's peak memory so far."""
    wall, cpu = time.perf_counter(), children_cpu()
    finished = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, env=env)
    wall, cpu = time.perf_counter() - wall, children_cpu() - cpu
    if finished.returncode not in (0, 3):
        print(finished.stdout[-3000:], finished.stderr[-3000:])
        raise SystemExit(f"{label} failed with exit code {finished.returncode}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    tail = "\n".join(f"    {line}" for line in finished.stdout.splitlines()[-4:])
    print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU, peak memory of any child so far {peak:.2f} GB, "
          f"load average now {os.getloadavg()[0]:.1f}\n{tail}", flush=True)
    return finished.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20240401)
    parser.add_argument("--held-back", default="substance_misuse", help="source whose file arrives in the 2nd run")
    parser.add_argument("--demo", type=int, default=0, help="also build the demo the real way at this size")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}")
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        wall, cpu = time.perf_counter(), time.process_time()
        world = generate_world(args.families, args.seed)
        print(f"generate_world({args.families:,}): {time.perf_counter() - wall:.1f} s wall, "
              f"{time.process_time() - cpu:.1f} s CPU")
        wall, cpu = time.perf_counter(), time.process_time()
        summary = write_partner_extracts(world, folder / "extracts")
        print(f"write_partner_extracts: {summary.total_records:,} rows in {len(summary.files)} files, "
              f"{time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU", flush=True)
        del world
        inbox = folder / "inbox"
        inbox.mkdir()
        held = []
        for path in (folder / "extracts").iterdir():
            if path.is_file():
                if path.name.startswith(args.held_back):
                    held.append(path)
                else:
                    shutil.copy(path, inbox / path.name)
        url = f"sqlite:///{folder / 'linked.db'}"
        command = [python, "-m", "linkage", "run", "--inbox", str(inbox), "--db", url, "--synthetic"]
        timed_command(f"linkage run 1 (all but {args.held_back}; trains the model)", command)
        for path in held:
            shutil.copy(path, inbox / path.name)
        timed_command(f"linkage run 2 ({args.held_back} arrives; relinks everything with the stored model)",
                      command)
        timed_command("linkage run 3 (nothing new)", command)
        if args.demo:
            env = {key: value for key, value in os.environ.items() if key not in ("FAMILIES_DB_URL",
                                                                                  "FAMILIES_PUBLISHED_DB_URL")}
            env |= {"FAMILIES_DEMO_DIR": str(folder / "demo"), "FAMILIES_DEMO_FAMILIES": str(args.demo)}
            timed_command(f"scripts/build-demo.sh, {args.demo:,} families", ["bash", "scripts/build-demo.sh"], env)


if __name__ == "__main__":
    main()
