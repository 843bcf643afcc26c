"""Privacy scan: no personal identifier and no small count reaches any page, chart or table, for any role.

The identifiers come from the linked database's person_identifier table (the test may read it; the
web tier may not). Every page is rendered for every role allowed to see it and all its text, tables
and chart specifications are searched.
"""

from __future__ import annotations

import json
import re

import polars as pl
import pytest
from sqlalchemy import select

from data_access.bulk import read_frame
from data_access.engine import make_engine
from data_access.published_reads import read_publication_info
from data_access.published_schema import published_statistic
from data_access.schema import person_identifier
from tests.pages.conftest import page_exists, page_text, role_page_pairs

FULL_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b")


@pytest.fixture(scope="module")
def identifiers(demo_database) -> dict[str, set[str]]:
    with make_engine(demo_database.linked_url).connect() as connection:
        people = read_frame(connection, select(person_identifier))
    info = read_publication_info(make_engine(demo_database.published_url, published=True))
    publication_dates = {info.get("data_as_of", ""), info.get("published_at", "")[:10]}
    full_names = people.select(pl.concat_str("given_name", "family_name", separator=" ")).to_series()
    births = people["date_of_birth"].drop_nulls()
    return {
        "full name": set(full_names.drop_nulls().to_list()),
        "NHS number": set(people["nhs_number"].drop_nulls().to_list()),
        "NI number": set(people["ni_number"].drop_nulls().to_list()),
        "UPN": set(people["upn"].drop_nulls().to_list()),
        "postcode": set(people["postcode"].drop_nulls().to_list()),
        "date of birth": {d.isoformat() for d in births.to_list()} - publication_dates
        | {d.strftime("%d/%m/%Y") for d in births.to_list()},
    }


def test_the_identifier_lists_are_real(identifiers):
    """Guard against a scan that passes because it searched for nothing."""
    for kind, values in identifiers.items():
        assert len(values) > 100, kind


@pytest.mark.parametrize(("role", "page_id"), list(role_page_pairs(allowed=True)))
def test_no_identifier_on_any_page(open_page, identifiers, role: str, page_id: str):
    if not page_exists(page_id):
        pytest.fail(f"page {page_id} is configured for {role} but missing")
    text = page_text(open_page(role, page_id))
    assert len(text) > 200
    for kind, values in identifiers.items():
        found = [value for value in values if value in text]
        assert not found, f"{kind} shown on {page_id} for {role}: {found[:3]}"
    assert not FULL_POSTCODE.search(text), FULL_POSTCODE.search(text).group(0)


def test_no_published_count_is_between_1_and_9(demo_database):
    engine = make_engine(demo_database.published_url, published=True)
    with engine.connect() as connection:
        published = read_frame(connection, select(published_statistic))
    counts = published.filter(pl.col("kind") == "count")
    assert counts.height > 1000
    small = counts.filter(pl.col("value").is_between(1, 9))
    assert small.height == 0, small.head()
    assert counts.filter(pl.col("symbol") == "[c]").height > 0, "a demo this size must have suppressed cells"
    assert (counts.filter(pl.col("value") > 0)["value"] % 5 == 0).all(), "counts are rounded to 5"


def test_overview_chart_shows_no_small_counts(open_page):
    app = open_page("service_manager", "overview")
    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    spec = next(spec for spec in specs if "Families starting support" in json.dumps(spec["layout"].get("title")))
    values = [y for trace in spec["data"] for y in trace.get("y", []) if y is not None]
    assert values, "the chart has bars"
    assert all(y == 0 or y >= 10 for y in values)
    assert all(y % 5 == 0 for y in values)
