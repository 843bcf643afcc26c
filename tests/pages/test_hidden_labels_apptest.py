"""Every chart on every page labels each hidden published value at its place ([c], [x], [z]), never a silent gap
(issue #12 item 2): the pages run in AppTest on the session's demo publication, over selections that hide many
figures (small localities, single years, breakdowns), and every chart's spec is checked
(tests/pages/chart_labels.py)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from data_access.config import load_localities
from tests.pages.chart_labels import hidden_points, unlabelled
from tests.pages.conftest import run_page

SMALLEST = min(load_localities(), key=lambda locality: locality.name).name  # any locality: most have hidden cells
RUNS = [
    ("analyst", "overview", {}),
    ("analyst", "overview", {"locality": SMALLEST}),
    ("analyst", "measures", {}),
    ("analyst", "measures", {"locality": SMALLEST, "outcome": "sustained_percent"}),
    ("commissioner", "measures", {"breakdown": "ethnic_group"}),
    ("commissioner", "measures", {"breakdown": "ethnic_group", "locality": SMALLEST}),
    ("commissioner", "measures", {"breakdown": "age_band", "locality": SMALLEST, "year": "2020/21"}),
    ("analyst", "localities", {"locality": SMALLEST}),
    ("analyst", "localities", {"locality": SMALLEST, "outcome": "sustained_percent"}),
    ("analyst", "impact", {}),
    ("analyst", "disclosure", {}),
]


def _run(role: str, page_id: str, selection: dict[str, str]) -> AppTest:
    app = run_page(role, page_id, selection)
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def test_every_hidden_value_of_every_chart_is_labelled(app_env):
    problems: list[str] = []
    hidden = 0
    for role, page_id, selection in RUNS:
        app = _run(role, page_id, selection)
        charts = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
        assert charts, f"{page_id}: no chart"
        for spec in charts:
            hidden += len(hidden_points(spec))
            problems += [f"{page_id} as {role} {selection}: {problem}" for problem in unlabelled(spec)]
    assert hidden >= 10, "the demo's selections should hide some values, or this test checks nothing"
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("page_id", ["overview", "measures", "localities", "impact"])
def test_every_hidden_value_in_a_table_view_shows_its_symbol(app_env, page_id: str):
    """The table beside each chart: no blank cell where a published value is hidden."""
    app = _run("analyst", page_id, {"locality": SMALLEST})
    for frame in app.dataframe:
        table = frame.value
        blank = table.isna() | (table.astype(str).apply(lambda column: column.str.strip()) == "")
        assert not blank.to_numpy().any(), f"{page_id}: blank cells in a table with columns {list(table.columns)}"
