"""A chart that cannot draw a hidden value labels it with its symbol at its place (issue #12 item 2): the helpers
that draw hidden values, and the checker (tests/pages/chart_labels.py) that the page test runs over every chart."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from pages._charts import grouped_bar, percent_bars
from pages._trend_chart import trend_lines
from tests.pages.chart_labels import unlabelled


def test_percent_bars_label_the_hidden_rows_only():
    rows = pl.DataFrame({"category": ["All", "White", "Asian", "Black"], "value": [52.0, 50.1, None, None],
                         "ci_lower": [48.0, 46.0, None, None], "ci_upper": [56.0, 54.2, None, None],
                         "shown": ["52.0%", "50.1%", "[c]", "[x]"]})
    figure = percent_bars(rows, "category", "#0072B2", "By ethnic group")
    labels = [(note.y, note.text, note.xref) for note in figure.layout.annotations]
    assert labels == [("Asian", "[c]", "x domain"), ("Black", "[x]", "x domain")]
    assert list(figure.data[0].y) == ["All", "White", "Asian", "Black"], "the hidden rows keep their places"


def test_grouped_bars_label_each_hidden_bar_in_its_own_group():
    figure = go.Figure()
    grouped_bar(figure, ["2022/23", "2023/24"], [40.0, None], ["40", "[c]"], name="Purbeck", colour="#0072B2",
                hovertemplate="%{customdata}")
    grouped_bar(figure, ["2022/23", "2023/24"], [None, 55.0], ["[x]", "55"], name="Weymouth", colour="#E69F00",
                hovertemplate="%{customdata}")
    spec = figure.to_plotly_json()
    assert unlabelled(spec) == []
    labels = [(trace["offsetgroup"], list(trace["x"]), list(trace["text"])) for trace in spec["data"]
              if trace.get("mode") == "text"]
    assert labels == [("Purbeck", ["2023/24"], ["[c]"]), ("Weymouth", ["2022/23"], ["[x]"])]
    assert figure.layout.scattermode == "group", "labels sit at their own bar's place in the group"


def test_the_checker_finds_an_unlabelled_hidden_value():
    """The control: bars, dots and lines drawn without labels for their hidden values are reported, each one."""
    bars = go.Figure()
    bars.add_bar(x=["2022/23", "2023/24"], y=[40, None], name="Purbeck")
    bars.add_bar(x=["2022/23", "2023/24"], y=[None, None], name="Weymouth")
    assert len(unlabelled(bars.to_plotly_json())) == 3
    dots = go.Figure()
    dots.add_scatter(y=["M01", "M02"], x=[None, 50.0], mode="markers", name="Dorset")
    assert len(unlabelled(dots.to_plotly_json())) == 1
    dots.add_annotation(x=0.01, xref="x domain", y="M01", yref="y", text="[c]", showarrow=False)
    assert unlabelled(dots.to_plotly_json()) == []
    two_lines = go.Figure()
    for name in ("Purbeck", "Dorset"):
        two_lines.add_scatter(x=["2021/22", "2022/23"], y=[None, 50.0], mode="lines", name=name)
    two_lines.add_annotation(x="2021/22", y=0.04, yref="y domain", text="[c]", showarrow=False)
    assert len(unlabelled(two_lines.to_plotly_json())) == 1, "one label for two hidden points is not enough"
    squares = go.Figure()
    squares.add_scatter(x=["M01", "M02"], y=["Purbeck", "Purbeck"], mode="markers+text", text=["50.0%", ""])
    assert len(unlabelled(squares.to_plotly_json())) == 1


def test_trend_lines_label_the_areas_hidden_years_as_well():
    series = pl.DataFrame({"label": "Employment", "place": ["Purbeck"] * 2 + ["Dorset"] * 2,
                           "period": ["2021/22", "2022/23"] * 2, "value": [None, 40.0, 50.0, None],
                           "shown": ["[c]", "40.0%", "50.0%", "[x]"]})
    figure = trend_lines(series, "Purbeck", "Dorset")
    assert unlabelled(figure.to_plotly_json()) == []
    assert sorted((note.x, note.text) for note in figure.layout.annotations if note.text.startswith("[")) == [
        ("2021/22", "[c]"), ("2022/23", "[x]")]
