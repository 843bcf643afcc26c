"""Accessibility in real Chromium: axe-core (bundled in axe-playwright-python, never downloaded) finds no serious or
critical violation on any page for any role, on a desktop and on a 390 px wide phone, and no page scrolls sideways
on the phone."""

from __future__ import annotations

import contextlib

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from data_access.config import load_localities, load_measures, load_roles

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
ROLE_PAGES = [(role.id, page_id) for role in load_roles().roles for page_id in role.pages]


def serious_violations(page) -> list[tuple[str, str, int]]:
    """(rule, impact, number of elements) for each serious or critical axe-core violation on the page."""
    found = Axe().run(page).response["violations"]
    return [(rule["id"], rule["impact"], len(rule["nodes"])) for rule in found
            if rule["impact"] in ("serious", "critical")]


def open_as(page, base_url: str, wait_for_streamlit, role: str, page_id: str) -> None:
    page.goto(f"{base_url}/?role={role}")
    wait_for_streamlit(page)
    page.goto(f"{base_url}/{page_id}?role={role}")
    wait_for_streamlit(page)


@pytest.mark.parametrize(("role", "page_id"), ROLE_PAGES)
def test_no_serious_axe_violation_on_a_desktop(page, streamlit_server: str, wait_for_streamlit, role: str,
                                               page_id: str):
    page.set_viewport_size(DESKTOP)
    open_as(page, streamlit_server, wait_for_streamlit, role, page_id)
    assert serious_violations(page) == []


@pytest.mark.parametrize("page_id", ["overview", "measures", "localities", "impact", "methodology"])
def test_a_phone_gets_no_serious_violation_and_no_sideways_scrolling(page, streamlit_server: str,
                                                                      wait_for_streamlit, page_id: str):
    page.set_viewport_size(PHONE)
    open_as(page, streamlit_server, wait_for_streamlit, "commissioner", page_id)
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_axe_finds_a_planted_violation(page, streamlit_server: str, wait_for_streamlit):
    """The control: grey text on grey planted in the page is reported, so a clean result means something."""
    open_as(page, streamlit_server, wait_for_streamlit, "analyst", "overview")
    page.evaluate("""() => { const planted = document.createElement('p'); planted.textContent = 'planted low contrast';
        planted.style.color = '#bbbbbb'; planted.style.background = '#cccccc';
        document.querySelector('[data-testid="stMain"]').prepend(planted); }""")
    assert ("color-contrast", "serious", 1) in serious_violations(page)


FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body || element === document.documentElement) return null;
  const box = element.getBoundingClientRect();
  let opacity = 1;
  for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
    const style = getComputedStyle(node);
    opacity *= parseFloat(style.opacity);
    if (style.visibility === 'hidden' || style.display === 'none') opacity = 0;
  }
  const content = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
  const held = element.closest('[data-testid]');
  return {what: `${element.tagName.toLowerCase()} ${element.getAttribute('aria-label') || element.innerText || ''}`
            .replace(/\\s+/g, ' ').slice(0, 60) + (held ? ` (${held.getAttribute('data-testid')})` : ''),
          sidebar: !!element.closest('[data-testid="stSidebar"]'), main: !!element.closest('[data-testid="stMain"]'),
          download: !!element.closest('[data-testid="stDownloadButton"]'), left: box.left,
          opacity: opacity, width: box.width, height: box.height,
          inView: box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth,
          top: box.top - content.top};
}"""
SHOWN = """() => { const e = document.activeElement; if (!e || e === document.body) return true;
  for (let n = e; n && n.nodeType === 1; n = n.parentElement) {
    const s = getComputedStyle(n); if (parseFloat(s.opacity) < 0.9 || s.visibility === 'hidden') return false; }
  return true; }"""
MOST_TAB_STOPS = 400
SAME_ROW = 60  # px: controls side by side may sit this much higher than the one before them
NEXT_COLUMN = 100  # px: a stop this far right of the one before it starts the next column, from that column's top


def tab_stops(page) -> list[dict]:
    """Press Tab from the top of the page until focus leaves it; each stop as FOCUSED describes it, measured once any
    fade-in on focus has run (at most 1 s). Fails if focus never leaves the page (a keyboard trap)."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    stops: list[dict] = []
    for _ in range(MOST_TAB_STOPS):
        page.keyboard.press("Tab")
        with contextlib.suppress(PlaywrightTimeout):  # still faded after 1 s: FOCUSED reports its opacity
            page.wait_for_function(SHOWN, timeout=1000)
        stop = page.evaluate(FOCUSED)
        if stop is None:
            return stops
        stops.append(stop)
    raise AssertionError(f"focus did not leave the page after {MOST_TAB_STOPS} presses of Tab: {stops[-5:]}")


def tab_order_problems(stops: list[dict]) -> list[str]:
    """Focus that cannot be seen, navigation after content, or a stop above the one before it (reading order)."""
    problems = [f"{stop['what']}: focused but not visible (opacity {stop['opacity']:.2f}, "
                f"{stop['width']:.0f}x{stop['height']:.0f}, in view: {stop['inView']})" for stop in stops
                if stop["opacity"] < 0.9 or stop["width"] < 1 or stop["height"] < 1 or not stop["inView"]]
    first_main = next((index for index, stop in enumerate(stops) if stop["main"]), len(stops))
    problems += [f"{stop['what']}: navigation reached after the page's content" for stop in stops[first_main:]
                 if stop["sidebar"]]
    main = [stop for stop in stops if stop["main"] and "stMain)" not in stop["what"]]
    problems += [f"{later['what']} (at {later['top']:.0f} px) comes after {earlier['what']} (at {earlier['top']:.0f} "
                 "px): not reading order" for earlier, later in zip(main, main[1:], strict=False)
                 if later["top"] < earlier["top"] - SAME_ROW and later["left"] < earlier["left"] + NEXT_COLUMN]
    return problems


@pytest.mark.parametrize("page_id", ["overview", "measures", "localities", "impact", "methodology"])
def test_tab_goes_through_the_page_in_reading_order(page, streamlit_server: str, wait_for_streamlit, page_id: str):
    """From the top: the skip link, the sidebar's navigation, then the page's controls top to bottom (pickers, then
    the downloads after what they download; a page in two columns reads the left one, then the right), every focused
    element visible, every picker and download reached, and focus leaves the page at the end."""
    page.set_viewport_size(DESKTOP)
    open_as(page, streamlit_server, wait_for_streamlit, "commissioner", page_id)
    stops = tab_stops(page)
    problems = tab_order_problems(stops)
    assert problems == [], "\n".join(problems)
    visited = " | ".join(stop["what"] for stop in stops)
    assert "Skip to main content" in stops[0]["what"]
    assert visited.count("(stPageLink-NavLink)") == len(load_roles().by_id("commissioner").pages)
    main = page.get_by_test_id("stMain")
    assert visited.count("(stSelectbox)") >= main.get_by_test_id("stSelectbox").count()
    assert sum(stop["download"] for stop in stops) >= main.get_by_test_id("stDownloadButton").count()


def test_the_tab_order_check_can_fail():
    """The control: a faded focus, a link after the content and a stop above the one before it are each reported."""
    stop = {"what": "x", "sidebar": False, "main": True, "opacity": 1.0, "width": 10, "height": 10, "inView": True,
            "left": 300}
    assert tab_order_problems([stop | {"top": 10}, stop | {"top": 500}, stop | {"top": 20, "left": 900}]) == []
    assert len(tab_order_problems([stop | {"top": 10, "opacity": 0.0}])) == 1
    assert len(tab_order_problems([stop | {"top": 10}, stop | {"top": 20, "sidebar": True, "main": False}])) == 1
    assert len(tab_order_problems([stop | {"top": 900}, stop | {"top": 100}])) == 1


LABEL_BOXES = """chart => Array.from(chart.querySelectorAll(
    'g.textpoint text, .xaxislayer-above text, .yaxislayer-above text')).map(t => {
  const box = t.getBoundingClientRect();
  return {text: t.textContent, kind: t.closest('g.textpoint') ? 'value' : 'axis',
          size: parseFloat(getComputedStyle(t).fontSize),
          left: box.left, right: box.right, top: box.top, bottom: box.bottom};
}).filter(label => label.text.trim() !== '')"""
MIN_FONT_PX = 11


def overlapping(labels: list[dict], slack: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of labels whose boxes overlap by more than `slack` px both ways."""
    return [(a["text"], b["text"]) for index, a in enumerate(labels) for b in labels[index + 1:]
            if min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack]


def test_the_heat_map_reads_on_a_phone(page, streamlit_server: str, wait_for_streamlit):
    """At 390 px wide every value on the Measures heat map and every measure's label is drawn, at a readable size,
    inside the chart, and none overlaps another (twelve columns side by side put five values in each 100 px)."""
    page.set_viewport_size({"width": PHONE["width"], "height": 3000})  # tall, so the whole chart is painted
    open_as(page, streamlit_server, wait_for_streamlit, "commissioner", "measures")
    heat_map = page.get_by_test_id("stPlotlyChart").first  # the first chart on the page
    heat_map.scroll_into_view_if_needed()
    labels = heat_map.evaluate(LABEL_BOXES)
    frame = heat_map.bounding_box()
    values = [label for label in labels if label["kind"] == "value"]
    localities = len(load_localities()) + 1
    assert len(values) == len(load_measures().measures) * localities
    drawn = {label["text"].replace(" ", "") for label in labels if label["kind"] == "axis"}
    assert {measure.short_label.replace(" ", "") for measure in load_measures().measures} <= drawn
    assert [label["text"] for label in labels if label["size"] < MIN_FONT_PX] == []
    assert [label["text"] for label in labels if label["left"] < frame["x"] - 1
            or label["right"] > frame["x"] + frame["width"] + 1] == []
    assert overlapping(labels) == []


def test_the_overlap_check_can_fail():
    box = {"left": 0, "right": 40, "top": 0, "bottom": 14}
    assert overlapping([box | {"text": "52.0%"}, box | {"text": "48.1%", "left": 30, "right": 70}]) == [
        ("52.0%", "48.1%")]
    assert overlapping([box | {"text": "52.0%"}, box | {"text": "48.1%", "left": 44, "right": 84}]) == []
