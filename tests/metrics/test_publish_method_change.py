"""A council upgrading from editions published with a quarter's breakdowns (config/periods.toml quarter_breakdowns =
true, the method before 2026-12-01) to the shipped method (quarters as totals only) publishes its next edition: it is
protected and audited jointly with the earlier edition, whose hidden quarter cells stay in the reader's system, and
every revised figure gives "change of method" as its reason. Real publishes of a small synthetic Dorset."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from data_access.config import load_publish_settings, resolve_config_dir
from data_access.editions import read_editions
from data_access.engine import make_engine, published_db_url
from data_access.loader import load_linked_data
from data_access.published_catalogue import CHANGE_OF_METHOD
from data_access.published_reads import read_revisions
from metrics.audit import read_published_db
from metrics.publish import publish
from synthetic.refresh import refresh_extracts

pytestmark = pytest.mark.slow

FAMILIES, SEED = 150, 11
QUARTER = pl.col("period").str.contains(" Q", literal=True)
COUNTS = pl.col("kind") == "count"  # (cohort_maturity's quarter rows name the table they describe as "breakdown")


def config_with_quarter_breakdowns(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(resolve_config_dir(), folder)
    periods = folder / "periods.toml"
    shipped = periods.read_text(encoding="utf-8")
    assert "quarter_breakdowns = false" in shipped
    periods.write_text(shipped.replace("quarter_breakdowns = false", "quarter_breakdowns = true"), encoding="utf-8")
    return folder


def test_the_edition_after_a_change_to_quarter_totals_is_protected_jointly_and_says_why_figures_moved(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'families.db'}"
    first, second, _ = refresh_extracts(FAMILIES, SEED, date(2025, 9, 30), date(2026, 9, 30))
    load_linked_data(make_engine(url), first)
    publish(url, published_db_url(url), settings=load_publish_settings(config_with_quarter_breakdowns(tmp_path)))
    earlier = read_published_db(published_db_url(url))
    assert earlier.filter(QUARTER, COUNTS, pl.col("breakdown") != "none").height > 0  # the old method: broken down

    load_linked_data(make_engine(url), second)
    timings = publish(url, published_db_url(url), settings=load_publish_settings())

    assert timings.edition == 2 and "joint_audit" in timings.seconds  # audited jointly with edition 1, and passed
    later = read_published_db(published_db_url(url))
    assert later.filter(QUARTER, COUNTS)["breakdown"].unique().to_list() == ["none"]
    editions = read_editions(make_engine(url))
    assert [edition.edition_id for edition in editions] == [1, 2]
    assert editions[0].method_digest != editions[1].method_digest
    revisions = read_revisions(make_engine(published_db_url(url), published=True))
    assert revisions.height > 0 and set(revisions["reason"]) == {CHANGE_OF_METHOD}
