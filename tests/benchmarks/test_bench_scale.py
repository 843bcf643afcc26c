"""The scaling benchmark's parts kept working (benchmarks/bench_scale.py): it reads the real commands' summary
lines, measures a whole process tree's memory, and draws its plot. The benchmark itself runs by hand (minutes at a
million families); its figures are recorded in docs/benchmarks.md, never asserted."""

from __future__ import annotations

import math
import sys

import pytest

from benchmarks.bench_scale import (
    STEPS,
    SizeResult,
    growth_exponents,
    markdown_table,
    parse_generate,
    parse_publish,
    run_measured,
    scaling_plot,
)
from metrics.publish import PublishTimings, summary_line


def test_reads_the_publish_commands_own_summary_line() -> None:
    timings = PublishTimings(edition=2)
    timings.seconds.update(read=1.25, compute_and_protect=9.5, joint_audit=3.0, write=0.5, rows=1200)
    timings.part_seconds.update(true_cells=1.5, impact=2.0, protect=5.0, published_rows=1.0)
    assert parse_publish(summary_line(timings)) == {
        "read": 1.25, "true cells": 1.5, "impact": 2.0, "protect": 5.0, "published rows": 1.0, "write": 0.5}


def test_reads_the_generators_summary_line_from_a_real_run(tmp_path) -> None:
    measured = run_measured([sys.executable, "-m", "synthetic", "--families", "300", "--seed", "5",
                             "--db", f"sqlite:///{tmp_path / 'families.db'}"])
    families, people, observations, steps = parse_generate(measured.output)
    assert families == 300 and people > families and observations > people
    assert set(steps) == {"generate", "load"} and all(seconds > 0 for seconds in steps.values())
    assert measured.peak_bytes > 50e6 and measured.seconds > 0


def test_memory_counts_the_worker_processes_too() -> None:
    """A parent that holds little and a child that holds 400 MB: the peak is the tree's, not the parent's."""
    child = "import time; block = bytearray(400_000_000); block[::4096] = b'x' * len(block[::4096]); time.sleep(1.5)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    measured = run_measured([sys.executable, "-c", parent])
    assert measured.peak_bytes > 400e6


def test_a_failing_command_is_reported_with_its_output() -> None:
    with pytest.raises(RuntimeError, match="no such table"):
        run_measured([sys.executable, "-c", "raise SystemExit('no such table')"])


def _results() -> list[SizeResult]:
    # seconds: read grows like the data (x4 -> x4), protect stays put, impact grows as its square (x4 -> x16)
    sizes = (1_000, 4_000, 16_000)
    return [SizeResult(families, steps={"read": 0.5 * index, "protect": 10.0, "impact": 0.1 * index**2},
                       publish_seconds=10 + index, publish_peak_bytes=int(index * 1e8),
                       generate_and_load_peak_bytes=int(index * 5e7))
            for families, index in zip(sizes, (1, 4, 16), strict=True)]


def test_growth_exponents_are_log_ratios_between_successive_sizes() -> None:
    results = _results()
    assert growth_exponents(results, "read") == pytest.approx([1.0, 1.0])
    assert growth_exponents(results, "protect") == pytest.approx([0.0, 0.0])
    assert growth_exponents(results, "impact") == pytest.approx([2.0, 2.0])
    assert all(math.isnan(value) for value in growth_exponents(results, "write"))


def test_the_table_has_a_row_per_size_and_the_plot_names_every_step(tmp_path) -> None:
    table = markdown_table(_results()).splitlines()
    assert len(table) == 2 + 3 and "| 16,000 |" in table[-1] and "| 8.0 s |" in table[-1]
    path = tmp_path / "scale.svg"
    scaling_plot(_results(), path)
    drawn = path.read_text()
    assert all(step in drawn for step in STEPS) and "16 GB budget" in drawn
