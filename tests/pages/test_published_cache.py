"""The door's shared caches (pages/_published.py): bounded, and serving without the database once filled.

They are plain module-level caches, not Streamlit's, so this needs no Streamlit at all; that a websocket
clear_cache message cannot reach them is shown in tests/browser/test_visitors_cannot_act.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from data_access.engine import make_engine, published_db_url, sqlite_path
from metrics.publish import write_publication
from pages import _published
from tests.data_access.test_web_tier_separation import FACTS, a_publication


@pytest.fixture
def publication(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FAMILIES_DB_URL", f"sqlite:///{tmp_path / 'families.db'}")
    engine = make_engine(published_db_url(), published=True)
    write_publication(engine, a_publication("families", 3), FACTS)
    engine.dispose()
    return sqlite_path(published_db_url())


def test_the_table_cache_holds_at_most_its_bound(publication: Path):
    for index in range(_published.CACHE_ENTRIES + 10):
        _published.published_table(f"table_{index}")
    assert _published.cache_sizes()["tables"] == _published.CACHE_ENTRIES


def test_a_cached_table_is_served_without_the_database(publication: Path):
    first = _published.published_table("families")
    assert first["value"].to_list() == [10.0, 20.0, 30.0]
    assert _published.publication_info()["is_synthetic"] == "true"
    publication.rename(publication.with_suffix(".moved"))  # from now on any read of the database fails
    assert _published.published_table("families").equals(first)
    assert _published.publication_info()["is_synthetic"] == "true"
    with pytest.raises(Exception, match="unable to open|no such"):
        _published.published_table("family_outcomes")
