"""Chart text a person must read has at least 4.5:1 contrast with what it is drawn on (WCAG AA), on every page.

axe-core does not judge text inside plotly's SVG, so the charts' own specifications are checked: every colour a
page sets explicitly for text (titles, axes, legends, annotations, values written on or beside marks) against the
colour behind it (the mark it is written on, or the chart's background). Text left to the theme takes the theme's
text colour (#0B0C0C on white, 19.5:1).
"""

from __future__ import annotations

import json

import pytest

from pages._contrast import MINIMUM_CONTRAST, contrast_ratio

PAGES = ("overview", "measures", "localities", "impact", "methodology", "disclosure")
WHITE = "#ffffff"
INSIDE = {"inside", "middle center", "middle left", "middle right"}


def _solid(colour) -> str | None:
    """A colour the contrast can be computed for (#rrggbb or #rgb), else None (rgba, named or per-point lists)."""
    if isinstance(colour, str) and colour.startswith("#") and len(colour) in (4, 7):
        return colour
    return None


def text_on_background(spec: dict) -> list[tuple[str, str, str]]:
    """(where, text colour, background colour) for every explicitly coloured piece of text in a plotly spec."""
    layout = spec.get("layout", {})
    background = _solid(layout.get("plot_bgcolor")) or _solid(layout.get("paper_bgcolor")) or WHITE
    paper = _solid(layout.get("paper_bgcolor")) or WHITE
    found: list[tuple[str, str, str]] = []

    def font(where: str, settings: dict | None, behind: str) -> None:
        colour = _solid((settings or {}).get("color"))
        if colour:
            found.append((where, colour, behind))

    title = layout.get("title")
    if isinstance(title, dict):
        font("title", title.get("font"), paper)
    font("layout font", layout.get("font"), paper)
    font("legend", layout.get("legend", {}).get("font"), paper)
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            font(f"{name} ticks", axis.get("tickfont"), paper)
            if isinstance(axis.get("title"), dict):
                font(f"{name} title", axis["title"].get("font"), paper)
    shapes = [shape for shape in layout.get("shapes", []) if _solid(shape.get("fillcolor"))]
    notes = layout.get("annotations", [])
    paired = len(notes) >= len(shapes) > 0  # the tile map: one annotation per tile, in the same order
    for index, note in enumerate(notes):
        behind = _solid(note.get("bgcolor"))
        if behind is None:
            behind = shapes[index]["fillcolor"] if paired and index < len(shapes) else background
        font(f"annotation {note.get('text', '')[:30]!r}", note.get("font"), behind)
    for trace in spec.get("data", []):
        name = trace.get("name") or trace.get("type", "trace")
        position = trace.get("textposition")
        mark = _solid((trace.get("marker") or {}).get("color"))
        written_on_mark = mark is not None and (
            (trace.get("type") == "bar" and position in (None, "auto", "inside"))
            or (trace.get("type") in (None, "scatter") and "text" in trace.get("mode", "")
                and (position is None or position in INSIDE)))
        font(f"values of {name}", trace.get("textfont"), mark if written_on_mark else background)
    return found


def test_the_checker_finds_low_contrast_text() -> None:
    spec = {"layout": {"title": {"text": "t", "font": {"color": "#aaaaaa"}},
                       "annotations": [{"text": "[c]", "font": {"color": "#0b0c0c"}}]},
            "data": [{"type": "bar", "marker": {"color": "#0072B2"}, "textfont": {"color": "#0b0c0c"}},
                     {"type": "scatter", "mode": "text", "textfont": {"color": "#505a5f"}}]}
    low = [(where, text, behind) for where, text, behind in text_on_background(spec)
           if contrast_ratio(text, behind) < MINIMUM_CONTRAST]
    assert [where for where, _, _ in low] == ["title", "values of bar"]  # grey on white; black on dark blue


@pytest.mark.parametrize("page_id", PAGES)
def test_chart_text_passes_aa_contrast(open_page, page_id: str) -> None:
    app = open_page("analyst", page_id)
    assert not app.exception, [exception.value for exception in app.exception]
    checked, low = 0, []
    for chart in app.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        for where, text, behind in text_on_background(spec):
            checked += 1
            if contrast_ratio(text, behind) < MINIMUM_CONTRAST:
                low.append((where, text, behind, round(contrast_ratio(text, behind), 2)))
    assert low == []
    if page_id in ("measures", "localities"):
        assert checked > 0, "guard: these pages colour text on their charts"
