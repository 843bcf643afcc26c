"""Every page x role in Streamlit's AppTest: renders, shows its key elements, refuses roles it is not for."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.browser.harness import PROJECT_ROOT
from tests.pages.conftest import PAGE_FILES, page_exists, page_text, role_page_pairs

KEY_TEXT = {
    "overview": "Families starting support",
    "measures": "About this measure",
    "localities": "All localities for one measure",
    "impact": "matched comparison",
    "methodology": "How we protect people's privacy",
    "disclosure": "suppressed",
}
MIN_CHARTS = {"overview": 1, "measures": 3, "localities": 2, "impact": 2, "methodology": 0, "disclosure": 0}


@pytest.mark.parametrize(("role", "page_id"), list(role_page_pairs(allowed=True)))
def test_page_renders_for_each_role_allowed(open_page, role: str, page_id: str):
    assert page_exists(page_id), f"{PAGE_FILES[page_id]} is listed in config/roles.toml but does not exist"
    app = open_page(role, page_id)
    assert not app.exception, [exception.value for exception in app.exception]
    assert not app.error, [error.value for error in app.error]
    assert KEY_TEXT[page_id].lower() in page_text(app).lower()
    assert len(app.get("plotly_chart")) >= MIN_CHARTS[page_id]
    assert any("Synthetic data" in str(warning.value) for warning in app.warning), "the synthetic-data banner"


@pytest.mark.parametrize(("role", "page_id"), list(role_page_pairs(allowed=False)))
def test_page_checks_the_role_itself(app_env, role: str, page_id: str):
    """Run the page script directly (as if its URL were opened), bypassing the menu: it must refuse."""
    if not page_exists(page_id):
        pytest.skip(f"{PAGE_FILES[page_id]} not written yet")
    app = AppTest.from_file(str(PROJECT_ROOT / PAGE_FILES[page_id]), default_timeout=60)
    app.query_params["role"] = role
    app.run()
    assert any("role cannot open this page" in str(warning.value) for warning in app.warning)
    assert not app.get("plotly_chart") and not app.dataframe


@pytest.mark.parametrize(("role", "page_id"), list(role_page_pairs(allowed=False)))
def test_menu_does_not_offer_pages_outside_the_role(open_page, role: str, page_id: str):
    """Through the app, a page outside the role is not in the menu, and opening it shows none of its content."""
    if not page_exists(page_id):
        pytest.skip(f"{PAGE_FILES[page_id]} not written yet")
    app = open_page(role, page_id)
    text = page_text(app)
    assert KEY_TEXT[page_id].lower() not in text.lower() or page_id == "overview"


def test_selections_live_in_the_url(open_page):
    app = open_page("commissioner", "measures")
    assert {"outcome", "year", "measure"} <= set(app.query_params)
    chosen_measure = app.query_params["measure"]
    assert chosen_measure in page_text(app)


def test_overview_tile_shows_the_published_all_needs_share(open_page, app_env):
    """The "needs improved and sustained" tile shows the latest published needs_overview share for Dorset among the
    complete (not maturing) years."""
    import polars as pl

    from data_access.access import web_tier_engine
    from data_access.published_reads import read_published
    from pages._views import display_expr

    engine = web_tier_engine()
    needs = read_published(engine, "needs_overview", None)
    maturity = read_published(engine, "cohort_maturity", None)
    complete = maturity.filter(pl.col("category") == "measure_progress", pl.col("statistic") == "sustained_percent",
                               pl.col("kind") == "maturity", pl.col("symbol") == "complete")["period"].to_list()
    shares = needs.filter(pl.col("statistic") == "needs_sustained_percent", pl.col("locality") == "Dorset",
                          pl.col("kind") == "percent_of_published", pl.col("value").is_not_null(),
                          pl.col("period").is_in(complete)).sort("period").with_columns(display_expr())
    assert shares.height, "the demo publication should have at least one year with a published all-needs share"
    app = open_page("service_manager", "overview")
    tiles = [metric for metric in app.metric if metric.label.startswith("Needs improved and sustained")]
    assert len(tiles) == 1
    assert tiles[0].value.removesuffix(" [u]") == shares["shown"][-1]
    assert shares["period"][-1] in tiles[0].label


@pytest.mark.parametrize("page_id", ["measures", "localities"])
def test_text_on_coloured_chart_cells_passes_aa_contrast(open_page, page_id: str):
    """Every value written on a coloured cell (the heat map's squares, the tile map's tiles) is black or white,
    whichever gives at least 4.5:1 against that cell's colour."""
    import json

    from pages._contrast import MINIMUM_CONTRAST, contrast_ratio

    app = open_page("analyst", page_id)
    pairs = []
    for chart in app.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        for trace in spec["data"]:
            if "text" in trace.get("mode", "") and isinstance(trace.get("marker", {}).get("color"), str):
                pairs.append((trace.get("textfont", {}).get("color"), trace["marker"]["color"]))
        shapes = [shape for shape in spec["layout"].get("shapes", []) if shape.get("fillcolor")]
        notes = spec["layout"].get("annotations", [])
        if shapes and len(notes) >= len(shapes):  # the tile map: one annotation per tile, in the same order
            pairs += [(note.get("font", {}).get("color"), shape["fillcolor"]) for shape, note in
                      zip(shapes, notes[:len(shapes)], strict=True)]
    assert pairs, "no text on coloured cells found"
    low = [(text, fill) for text, fill in pairs if text is None or contrast_ratio(text, fill) < MINIMUM_CONTRAST]
    assert low == []


@pytest.mark.parametrize("measure_id", ["M01", "M02"])
def test_a_measure_says_what_it_counts_in_plain_words(open_page, measure_id: str):
    """"people" and "families", not the config's unit with an s ("persons", "familys")."""
    from tests.shipped_config import SETTINGS

    measure = SETTINGS.measures.by_id(measure_id)
    app = open_page("commissioner", "measures")
    app.selectbox(key="url-measure").set_value(measure_id).run()
    text = page_text(app)
    expected = {"person": "people", "family": "families"}[measure.unit]
    assert f"**Counted:** {expected} · " in text and f"**Who is counted:** {expected} with the need" in text
    assert "familys" not in text and "persons" not in text
