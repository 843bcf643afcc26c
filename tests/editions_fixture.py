"""Real editions of a small synthetic Dorset, built once per session (tests/conftest.py: refreshed_editions).

1. The earlier extract (data to 30 September 2025, some observations held back) is loaded and published: edition 1.
2. The same data is published again, computed and protected anew (--recompute, jointly with edition 1): it must be
   edition 1 again, byte for byte; then published again as an analyst would (no flag): the inputs are those of
   edition 1, so its stored rows are written again without computing anything (step "reused").
3. The same data is published into a fresh store with one polars thread and one worker: a first publication made
   under other thread and worker counts must be the same bytes too.
4. The later extract (data to 30 September 2026, the held-back observations arrive late) is loaded and published:
   edition 2, protected and audited jointly with edition 1.
Snapshots of the database files after step 1 let tests that kill or refuse a publish start from there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from data_access.engine import make_engine
from data_access.loader import load_linked_data
from synthetic.refresh import refresh_extracts
from tests.browser.harness import PROJECT_ROOT

FAMILIES = 300
SEED = 11
FIRST_AS_OF = date(2025, 9, 30)
SECOND_AS_OF = date(2026, 9, 30)


@dataclass(frozen=True)
class RefreshedEditions:
    folder: Path
    linked_url: str  # the database after step 4 (edition 2 published)
    first_snapshot: Path  # a folder holding families.db and families-published.db after step 1
    second_extract: dict[str, pl.DataFrame]
    late_observations: pl.DataFrame
    outputs: dict[str, str]  # step name -> the publish command's standard output
    exports: dict[str, Path]  # step name -> the --export folder


def run_publish(linked_url: str, export: Path | None = None, env: dict[str, str] | None = None,
                recompute: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "metrics.publish", "--db", linked_url]
    if export is not None:
        command += ["--export", str(export)]
    if recompute:
        command += ["--recompute"]
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("FAMILIES_DB_URL", "FAMILIES_PUBLISHED_DB_URL")} | (env or {})
    return subprocess.run(command, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=3600)


def _published(linked_url: str, export: Path, env: dict[str, str] | None = None, recompute: bool = False) -> str:
    completed = run_publish(linked_url, export, env, recompute)
    if completed.returncode != 0:
        raise AssertionError(f"publish exited with {completed.returncode}: {completed.stderr[-2000:]}")
    return completed.stdout


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'families.db'}"


def build_refreshed_editions(folder: Path) -> RefreshedEditions:
    first, second, late = refresh_extracts(FAMILIES, SEED, FIRST_AS_OF, SECOND_AS_OF)
    url = sqlite_url(folder)
    load_linked_data(make_engine(url), first)
    outputs, exports = {}, {}
    outputs["first"] = _published(url, exports.setdefault("first", folder / "first"))
    snapshot = folder / "after-first"
    snapshot.mkdir()
    for name in ("families.db", "families-published.db"):
        shutil.copy(folder / name, snapshot / name)
    outputs["again"] = _published(url, exports.setdefault("again", folder / "again"), recompute=True)
    outputs["reused"] = _published(url, exports.setdefault("reused", folder / "reused"))
    fresh = folder / "fresh"
    fresh.mkdir()
    load_linked_data(make_engine(sqlite_url(fresh)), first)
    outputs["fresh"] = _published(sqlite_url(fresh), exports.setdefault("fresh", folder / "fresh-export"),
                                  {"POLARS_MAX_THREADS": "1", "FAMILIES_DISCLOSURE_WORKERS": "1"})
    load_linked_data(make_engine(url), second)
    outputs["second"] = _published(url, exports.setdefault("second", folder / "second"))
    return RefreshedEditions(folder, url, snapshot, second, late, outputs, exports)


def copy_snapshot(snapshot: Path, folder: Path) -> str:
    """The snapshot's database files copied into `folder`; the linked URL there."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("families.db", "families-published.db"):
        shutil.copy(snapshot / name, folder / name)
    return sqlite_url(folder)


def write_refreshed_editions(folder: Path) -> None:
    """Build into `folder` and record what the fixture needs beyond the files (run in a background process)."""
    built = build_refreshed_editions(folder)
    (folder / "editions.json").write_text(json.dumps(
        {"outputs": built.outputs, "exports": {name: str(path) for name, path in built.exports.items()}}))


def read_refreshed_editions(folder: Path) -> RefreshedEditions:
    """What `write_refreshed_editions` built; the extracts are made again (seeded, so the same, and quick)."""
    recorded = json.loads((folder / "editions.json").read_text())
    _, second, late = refresh_extracts(FAMILIES, SEED, FIRST_AS_OF, SECOND_AS_OF)
    return RefreshedEditions(folder, sqlite_url(folder), folder / "after-first", second, late, recorded["outputs"],
                             {name: Path(path) for name, path in recorded["exports"].items()})


if __name__ == "__main__":
    write_refreshed_editions(Path(sys.argv[1]))
