"""The CLI and the database path: a synthetic world loaded into a real database gives the same results as in memory."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from data_access.engine import make_engine
from data_access.loader import load_linked_data
from metrics.impact import impact_inputs, impact_rows, read_impact_inputs, run_impact
from metrics.impact.__main__ import main
from synthetic.world import generate_world


def test_cli_writes_impact_csv_matching_the_in_memory_analysis(db_url, tmp_path) -> None:
    world = generate_world(1500, 21)
    engine = make_engine(db_url)
    try:
        load_linked_data(engine, world)
        from_db = read_impact_inputs(engine)
    finally:
        engine.dispose()
    assert "date_of_birth" not in from_db.people_at_index.columns
    assert main(["--db", db_url, "--export", str(tmp_path)]) == 0
    written = pl.read_csv(tmp_path / "impact.csv", infer_schema_length=None)
    for column in ("measure", "method", "estimate", "ci_lower", "ci_upper", "n_treated", "n_matched"):
        assert column in written.columns
    for name in ("impact_balance.csv", "impact_overlap.csv", "impact_published.csv"):
        assert (tmp_path / name).is_file()
    expected = impact_rows(run_impact(impact_inputs(world)))
    assert_frame_equal(impact_rows(run_impact(from_db)), expected)
    assert written.height == expected.height
