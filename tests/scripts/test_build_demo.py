"""The demo built the real way, exactly as `make run` builds it (scripts/build-demo.sh): synthetic partner extracts
-> `python -m linkage run` -> `python -m metrics.publish`. The session's demo (tests/conftest.py) is built by that
script, into a temporary folder instead of data/ (FAMILIES_DEMO_DIR); these tests check what it left behind."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from data_access.engine import make_engine
from data_access.published_reads import read_published
from data_access.schema import dataset_info, record_link
from data_access.staging import loaded_files
from tests.browser import harness
from tests.conftest import BROWSER_DEMO_FAMILIES

pytestmark = pytest.mark.slow  # shares the session demo (built once, about a minute)


def _folder(demo_database) -> Path:
    return Path(demo_database.linked_url.removeprefix("sqlite:///")).parent


def test_every_stage_ran_on_partner_extracts(demo_database):
    engine = make_engine(demo_database.linked_url)
    try:
        files = loaded_files(engine)
        with engine.connect() as connection:
            facts = dict(connection.execute(select(dataset_info.c.key, dataset_info.c.value)).all())
            linked_records = connection.execute(select(func.count()).select_from(record_link)).scalar_one()
    finally:
        engine.dispose()
    assert files.height == 15 and set(files.get_column("rows_quarantined")) == {0}  # every partner file loaded
    assert facts["source"].endswith("linked by python -m linkage run") and facts["is_synthetic"] == "true"
    assert facts["data_as_of"] == "2026-09-30"  # from the extracts' file names
    assert linked_records > 10 * BROWSER_DEMO_FAMILIES  # every accepted person record has its person
    published = make_engine(demo_database.published_url, published=True)
    try:
        quality = read_published(published, "linkage_quality")
    finally:
        published.dispose()
    totals = quality.filter(pl.col("breakdown") == "none", pl.col("statistic") == "person_records")
    assert totals.item(0, "value") == pytest.approx(linked_records, abs=2.5)  # rounded to the nearest 5
    assert set(quality.filter(pl.col("breakdown") == "source").get_column("category")) >= {"Police incidents"}


def test_personal_files_are_private_and_no_extract_is_left(demo_database):
    folder = _folder(demo_database)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "families.db").stat().st_mode) == 0o600
    leftovers = sorted(path.name for path in folder.iterdir() if path.name.startswith(("extracts-", "building-")))
    assert leftovers == []


def test_a_second_run_builds_nothing(demo_database, tmp_path):
    folder = _folder(demo_database)
    before = (folder / "families.db").stat().st_mtime_ns
    env = {key: value for key, value in os.environ.items() if key not in ("FAMILIES_DB_URL",
                                                                          "FAMILIES_PUBLISHED_DB_URL")}
    env |= {"FAMILIES_DEMO_DIR": str(folder), "FAMILIES_DEMO_FAMILIES": str(BROWSER_DEMO_FAMILIES),
            "FAMILIES_DEMO_SEED": str(harness.DEMO_SEED)}
    finished = subprocess.run(["bash", "scripts/build-demo.sh"], cwd=harness.PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert "demo data already present" in finished.stdout and "published tables already present" in finished.stdout
    assert (folder / "families.db").stat().st_mtime_ns == before
