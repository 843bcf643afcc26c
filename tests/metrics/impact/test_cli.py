"""The CLI writes exactly the publication's impact figures; the database path gives the same analysis as memory."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from data_access.config import benchmark_name, load_localities, load_measures
from data_access.engine import make_engine
from data_access.linked_reads import read_linked_data
from data_access.loader import load_linked_data
from data_access.published_reads import read_published
from metrics.audit import read_published_csv
from metrics.impact import impact_csv_rows, impact_inputs, impact_rows, read_impact_inputs
from metrics.impact.__main__ import main
from metrics.impact.analysis_frame import ANY_NEED
from metrics.impact.run import ANY_NEED_LABEL
from metrics.impact.tables import IMPACT_COLUMNS
from metrics.publish import protected_publication
from synthetic.world import generate_world
from tests.shipped_config import SETTINGS, shipped_impact

LABELS = {m.id: m.short_label for m in load_measures().measures} | {ANY_NEED: ANY_NEED_LABEL}
LOCALITIES = tuple(locality.name for locality in load_localities())


def _read_impact_csv(path) -> pl.DataFrame:
    schema = {name: pl.Float64 for name in IMPACT_COLUMNS} | {
        name: pl.String for name in ("measure", "label", "locality", "method", "symbol", "note")}
    return pl.read_csv(path, schema=schema)


@pytest.mark.slow  # shares the session demo (built once, minutes)
def test_impact_csv_is_the_publications_impact_rows(demo_database, tmp_path) -> None:
    """On the published demo: impact.csv holds the very figures of the published impact table."""
    assert main(["--db", demo_database.linked_url, "--export", str(tmp_path)]) == 0
    engine = make_engine(demo_database.published_url, published=True)
    try:
        published = read_published(engine, "impact")
    finally:
        engine.dispose()
    written = _read_impact_csv(tmp_path / "impact.csv")
    assert written.columns == list(IMPACT_COLUMNS)
    assert_frame_equal(written, impact_csv_rows(published, LABELS, benchmark_name(), LOCALITIES))
    # Spot checks against the published rows themselves, not through impact_csv_rows.
    rows = {(r["measure"], r["locality"], r["statistic"], r["kind"]): r for r in published.filter(
        pl.col("breakdown") == "none").iter_rows(named=True)}
    for row in written.filter(pl.col("method") == "psm").iter_rows(named=True):
        difference = rows[(row["measure"], row["locality"], "psm_difference", "difference")]
        assert (row["estimate"], row["symbol"]) == (difference["value"], difference["symbol"])
        assert row["n_matched"] == rows[(row["measure"], row["locality"], "matched_pairs", "count")]["value"]
        assert row["treated_share"] == rows[(row["measure"], row["locality"], "psm_difference",
                                             "supported_share")]["value"]
    tidy = read_published_csv(tmp_path / "impact_published.csv")
    assert_frame_equal(tidy, published.select(tidy.columns), check_dtypes=False)
    for name in ("impact_balance.csv", "impact_overlap.csv"):
        assert (tmp_path / name).is_file()


@pytest.mark.slow  # a whole first publication per database: minutes on a busy machine
def test_without_a_publication_the_cli_computes_the_first_one(db_url, tmp_path, monkeypatch) -> None:
    """The CLI computes the publish step's own first publication from the linked data and the shipped settings, and
    writes its impact rows. The real function is recorded as the CLI calls it (computing it a second time here for
    the expected rows took as long again: about a minute per database in CI)."""
    import metrics.publish as publish_module

    calls = []

    def recorded(linked, settings, *args, **kwargs):
        rows = protected_publication(linked, settings, *args, **kwargs)
        calls.append((linked, settings, rows))
        return rows

    monkeypatch.setattr(publish_module, "protected_publication", recorded)
    world = generate_world(400, 21)
    engine = make_engine(db_url)
    try:
        load_linked_data(engine, world)
        from_db = read_impact_inputs(engine)
        linked = read_linked_data(engine)
    finally:
        engine.dispose()
    assert "date_of_birth" not in from_db.people_at_index.columns
    on_its_own = {"policy": SETTINGS.policy, "polarities": SETTINGS.polarities}
    assert_frame_equal(impact_rows(shipped_impact(from_db), **on_its_own),
                       impact_rows(shipped_impact(impact_inputs(world)), **on_its_own))
    assert main(["--db", db_url, "--export", str(tmp_path)]) == 0
    assert len(calls) == 1
    used_linked, used_settings, rows = calls[0]
    assert used_settings == SETTINGS
    for name, frame in linked.as_tables().items():  # the linked data as this test reads it from the database
        assert_frame_equal(used_linked.as_tables()[name], frame)
    expected = impact_csv_rows(rows, LABELS, benchmark_name(), LOCALITIES)
    assert expected.height > 0
    assert_frame_equal(_read_impact_csv(tmp_path / "impact.csv"), expected)
