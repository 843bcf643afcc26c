"""How fast the pages answer a person: figures for docs/benchmarks.md (issue #12 item 6; never timed in tests).

In Debian's Chromium against a real server over the demo's published tables, for one visitor at a time:
1. first paint after server start: from starting `streamlit run app.py` to the Overview's heading on screen (and
   to the page fully drawn);
2. page switch: a click on a page in the sidebar menu until the new page is fully drawn (every page, several
   rounds, after each page's first visit);
3. selection change: a new choice in a select box until the page (or the fragment that holds the box) is drawn
   again, for the pickers people use most.

Times are what the visitor sees (click to drawn): they include the server's script run, the trip to the browser
and drawing. For page switches and selections the server's own time is measured too, from the page's websocket:
from the browser sending the rerun (a BackMsg rerun_script) to the server's last "script finished" message for it
(the callback's run and the fragments' runs it asks for), which leaves out the browser's drawing (the frames are
seen by Chromium's renderer, so a busy renderer can add to this). The harness waits as Streamlit's own e2e tests do
(script state notRunning, no running icon, no skeletons).

    .venv/bin/python benchmarks/bench_pages.py [--rounds 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from tests.browser import harness  # noqa: E402
from tests.browser.test_locality_view import choose  # noqa: E402
from tests.browser.test_navigation import follow_menu_link  # noqa: E402

ROLE = "analyst"  # sees every page
PAGES = ("Measures", "Localities", "Impact", "Methodology", "Overview")
URL_KEYS = {"Locality": "locality", "Measure in detail": "measure"}
"""The query parameter each timed picker writes: its value in the URL shows the rerun for the choice has begun."""
SELECTIONS = (  # (page path, select box label, options to step through)
    ("", "Locality", ("Purbeck", "Chesil", "North Dorset", "Dorset")),
    ("measures", "Measure in detail", ("M02 ", "M05 ", "M09 ", "M01 ")),
    ("measures", "Locality", ("Purbeck", "West Dorset", "Dorset")),
    ("localities", "Locality", ("Purbeck", "East Dorset", "Chesil")),
)


def first_paint(browser, env: dict[str, str], log: Path) -> tuple[float, float, float]:
    """Seconds from starting the server to: health ok, the Overview's heading visible, the page fully drawn."""
    started = time.perf_counter()
    process, base_url = harness.start_streamlit(PROJECT_ROOT / "app.py", env, log)
    try:
        healthy = time.perf_counter() - started
        painted, drawn = harness.time_first_page(browser, f"{base_url}/?role={ROLE}", started)
    finally:
        harness.stop_process_group(process)
    return healthy, painted, drawn


class ServerRuns:
    """The page's websocket frames that start and end script runs, with the time each was seen."""

    def __init__(self, page) -> None:
        self.reruns: list[float] = []
        self.finished: list[float] = []
        page.on("websocket", self._attach)

    def _attach(self, websocket) -> None:
        websocket.on("framesent", self._sent)
        websocket.on("framereceived", self._received)

    def _sent(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes) and BackMsg.FromString(payload).WhichOneof("type") == "rerun_script":
            self.reruns.append(time.perf_counter())

    def _received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes) and ForwardMsg.FromString(payload).WhichOneof("type") == "script_finished":
            self.finished.append(time.perf_counter())

    def server_time(self, since: float) -> float:
        """Seconds from the first rerun asked for after `since` to the last run finished after it."""
        asked = [moment for moment in self.reruns if moment >= since]
        done = [moment for moment in self.finished if asked and moment >= asked[0]]
        if not asked or not done:
            raise RuntimeError("no script run seen on the websocket")
        return done[-1] - asked[0]


def option_named(page, prefix: str) -> str:
    """The full text of the open list's option that starts with `prefix` (measure options carry their label)."""
    for text in page.get_by_role("option").all_inner_texts():
        if text.startswith(prefix):
            return text
    raise LookupError(prefix)


def interactions(browser, env: dict[str, str], log: Path, rounds: int) -> dict[str, list[float]]:
    """Page switches and selection changes on one warm server, in seconds, by what was done."""
    process, base_url = harness.start_streamlit(PROJECT_ROOT / "app.py", env, log)
    timings: dict[str, list[float]] = {}
    try:
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        page = context.new_page()
        runs = ServerRuns(page)
        page.goto(f"{base_url}/?role={ROLE}")
        harness.wait_for_streamlit_page(page, timeout_ms=60_000, settle_ms=0)
        for title in PAGES:  # first visits fill the caches; not timed as switches
            follow_menu_link(page, title)
        for _ in range(rounds):
            for title in PAGES:
                started = time.perf_counter()
                follow_menu_link(page, title)
                timings.setdefault(f"page switch to {title}", []).append(time.perf_counter() - started)
                timings.setdefault(f"server: page switch to {title}", []).append(runs.server_time(started))
        for path, label, options in SELECTIONS:
            page.goto(f"{base_url}/{path}?role={ROLE}")
            harness.wait_for_streamlit_page(page, timeout_ms=60_000, settle_ms=0)
            for _ in range(rounds):
                for option in options:
                    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).first
                    box.scroll_into_view_if_needed()
                    box.click()
                    name = option_named(page, option)
                    page.keyboard.press("Escape")
                    started = time.perf_counter()
                    choose(page, label, name)
                    # The harness's wait can pass before the rerun has begun (the script is not running yet): wait
                    # until the choice is in the URL (written at the start of a fragment's rerun), then until drawn.
                    key, value = URL_KEYS[label], option.strip()
                    page.wait_for_url(lambda url, key=key, value=value: query_value(url, key) == value,
                                      timeout=60_000)
                    harness.wait_for_streamlit_page(page, timeout_ms=60_000, settle_ms=0)
                    timings.setdefault(f"selection: {path or 'overview'} / {label}", []).append(
                        time.perf_counter() - started)
                    timings.setdefault(f"server: selection: {path or 'overview'} / {label}", []).append(
                        runs.server_time(started))
        context.close()
    finally:
        harness.stop_process_group(process)
    return timings


def query_value(url: str, key: str) -> str | None:
    return parse_qs(urlsplit(url).query).get(key, [None])[0]


def describe(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"median {statistics.median(values) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {max(values) * 1000:.0f} ms (n={len(values)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of page switches and of each picker's options")
    parser.add_argument("--starts", type=int, default=3, help="cold server starts for the first paint")
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from data_access.engine import published_db_url

    env = {"FAMILIES_PUBLISHED_DB_URL": os.environ.get("FAMILIES_PUBLISHED_DB_URL") or published_db_url()}
    log = Path(tempfile.mkdtemp(prefix="bench-pages-")) / "server.log"
    with sync_playwright() as playwright:
        browser = harness.launch_chromium(playwright)
        try:
            starts = [first_paint(browser, env, log) for _ in range(args.starts)]
            timings = interactions(browser, env, log, args.rounds)
        finally:
            browser.close()
    load = os.getloadavg()[0]
    print(f"bench_pages on {os.cpu_count()} cores (load average {load:.1f}), {env['FAMILIES_PUBLISHED_DB_URL']}")
    print(f"server start -> health ok:          {describe([s[0] for s in starts])}")
    print(f"server start -> Overview heading:   {describe([s[1] for s in starts])}")
    print(f"server start -> Overview drawn:     {describe([s[2] for s in starts])}")
    for prefix, words in (("page switch", "page switch (all pages)"), ("selection", "selection change (all pickers)"),
                          ("server: page switch", "server time, page switch"),
                          ("server: selection", "server time, selection change")):
        values = [value for key, values in timings.items() if key.startswith(prefix) for value in values]
        print(f"{words + ':':<36}{describe(values)}")
    for key, values in timings.items():
        print(f"  {key:<45} {describe(values)}")
    if args.json:
        args.json.write_text(json.dumps({"starts": starts, "timings": timings}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
