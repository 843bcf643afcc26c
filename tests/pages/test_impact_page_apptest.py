"""The Impact page speaks to commissioners (AppTest on the demo): no code names or file paths on screen, the share of
supported units without a close match stated beside the headline estimate. That its tables show every row is
checked in Chromium (tests/browser/test_locality_view.py)."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import APP, PAGE_FILES

CODE_NAME = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # snake_case: cohort_year, n_needs, baseline_M12 (lowered)
FILE_PATH = re.compile(r"\b[\w.-]+/[\w./-]+\.(?:py|md|toml|csv|db)\b")
SEEN = ("cohort_year", "n_needs", "baseline_M12", "family_type: two_parent", "smd_before", "supported_analysed")


def screen_text(app: AppTest) -> list[str]:
    """What a reader sees as words: text elements, metric labels and values, table headers and cells, and the chart
    titles, axis titles, legend names and category labels (not plotly's own JSON keys)."""
    texts: list[str] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success"):
        texts.extend(str(element.value) for element in app.get(kind))
    for metric in app.metric:
        texts += [metric.label, str(metric.value), metric.proto.help]
    for box in (*app.selectbox, *app.radio):
        texts += [box.label, *map(str, box.options)]
    for frame in app.dataframe:
        texts.extend(map(str, frame.value.columns))
        texts.extend(str(cell) for column in frame.value.columns for cell in frame.value[column].tolist())
    for chart in app.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        layout = spec.get("layout", {})
        texts.append(json.dumps(layout.get("title", "")))
        for axis in ("xaxis", "yaxis"):
            texts.append(json.dumps(layout.get(axis, {}).get("title", "")))
        for trace in spec.get("data", []):
            texts.append(str(trace.get("name", "")))
            for field in ("x", "y"):
                values = trace.get(field)
                if isinstance(values, list):
                    texts.extend(value for value in values if isinstance(value, str))
    return texts


def run_impact(role: str, outcome: str | None = None) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=90)
    app.query_params["role"] = role
    if outcome:
        app.query_params["outcome"] = outcome
    app.switch_page(PAGE_FILES["impact"])
    app.run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


@pytest.mark.parametrize("outcome", [None, "M12"])
def test_no_code_names_or_file_paths_on_screen(app_env, outcome):
    app = run_impact("commissioner", outcome)
    texts = screen_text(app)
    assert len(texts) > 50, "guard: the page's words were collected"
    joined = "\n".join(texts)
    for name in SEEN:
        assert name not in joined, f"{name!r} is on screen"
    assert not CODE_NAME.findall(joined), sorted(set(CODE_NAME.findall(joined)))[:20]
    assert not FILE_PATH.findall(joined), FILE_PATH.findall(joined)
    assert "Had the need when support began" in joined and "Family type: Two parents" in joined, (
        "guard: the balance covariates are there, in words")


def test_the_unmatched_share_beside_the_headline_is_the_published_one(app_env, demo_published):
    app = run_impact("commissioner")
    outcome = app.selectbox(key="url-outcome").value
    counts = demo_published["impact"].filter(pl.col("measure") == outcome, pl.col("locality") == "Dorset",
                                             pl.col("breakdown") == "none", pl.col("kind") == "count")
    value = {row["statistic"]: row["value"] for row in counts.iter_rows(named=True)}
    unmatched, analysed = value["supported_unmatched"], value["supported_analysed"]
    assert unmatched and analysed, "guard: the demo publishes both group sizes"
    metrics = {metric.label: metric.value for metric in app.metric}
    shown = metrics["Supported without a close match (left out)"]
    numbers = [float(number.replace(",", "")) for number in re.findall(r"[\d,]+(?:\.\d+)?", shown)]
    assert numbers[:2] == [unmatched, analysed]
    assert abs(numbers[2] - 100 * unmatched / analysed) <= 0.5  # the whole percent of the two published counts
    headline = next(label for label in metrics if label.endswith("matched estimate (Dorset)"))
    assert metrics[headline], "the estimate sits beside it"

