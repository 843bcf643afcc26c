"""The demo the real way: synthetic partner extracts -> `linkage run` -> `metrics.publish`, as three commands.

The person linker is the truth stand-in (tests/linkage/run_with_truth.py) until the real one is merged; the
publish step is the unchanged `python -m metrics.publish`, reading the linked tables the run wrote.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from data_access.engine import make_engine, published_db_url
from data_access.published_schema import publication_info

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_extracts_then_linkage_run_then_publish(tmp_path):
    inbox, database = tmp_path / "inbox", tmp_path / "families.db"
    url = f"sqlite:///{database}"
    steps = [
        [sys.executable, "-m", "synthetic", "--families", "400", "--seed", "11", "--partner-extracts", str(inbox)],
        [sys.executable, str(PROJECT_ROOT / "tests" / "linkage" / "run_with_truth.py"),
         str(inbox / "truth" / "records.csv"), "--inbox", str(inbox), "--db", url, "--synthetic"],
        [sys.executable, "-m", "metrics.publish", "--db", url],
    ]
    for step in steps:
        finished = subprocess.run(step, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
        assert finished.returncode == 0, (step[1:3], finished.stdout[-2000:], finished.stderr[-2000:])
    engine = make_engine(published_db_url(url), published=True)
    try:
        assert "published_statistic" in inspect(engine).get_table_names()
        with engine.connect() as connection:
            facts = dict(connection.execute(select(publication_info.c.key, publication_info.c.value)).all())
    finally:
        engine.dispose()
    # The extract date came from the file names, the synthetic label from --synthetic.
    assert facts["data_as_of"] == "2026-09-30"
    assert facts["is_synthetic"] == "true"
