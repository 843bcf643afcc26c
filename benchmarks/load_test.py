"""Many users at once: drive a real dashboard server with concurrent sessions and record what they get.

Each session is a client of Streamlit's own protocol (protobuf BackMsg/ForwardMsg over /_stcore/stream, what the
browser's frontend speaks): it opens pages and changes selections (locality, year, measure, outcome: the choices the
pages carry in the URL) for as long as asked, each time waiting for the page's script run to finish, and counts as
an error any exception or error box the page sends, a page that is not found, or no answer within the timeout.
Beside them, real headless Chromium pages (Debian's browser) open pages the same way and time them until drawn.
The server's memory (the process and its children, RSS) is sampled every second.

    .venv/bin/python benchmarks/load_test.py [--sessions 25] [--seconds 120] [--browsers 1] [--ramp-up SECONDS]
                                             [--json FILE]

`--ramp-up` spreads the sessions' first pages evenly over that many seconds, as people arrive in a room (0, the
default: all at once). The years the sessions visit are the financial years the publication holds.

It serves the demo's published tables (`make bench` or `make run` builds them; FAMILIES_PUBLISHED_DB_URL overrides).
Goals (issue #14): no errors; 95th percentile time to a drawn page <= 3 s; server memory <= 1 GB and flat after
warm-up. tests/benchmarks/test_load_test.py runs a small version (a few sessions for a few seconds) in CI.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import psutil  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from tests.browser import harness  # noqa: E402

PAGE_TIMEOUT_S = 60.0
THINK_SECONDS = 2.0
"""Mean pause between a page being drawn and the next choice (uniform, half to one and a half times this): people
read what they asked for before asking again."""
WARM_UP_SHARE = 0.25
"""The first quarter of the run is warm-up: caches fill; memory is judged flat (or not) over the rest."""


@dataclass(frozen=True)
class Visit:
    """One page with its selections, as a URL path and query string would ask for it."""

    page: str
    query: dict[str, str]

    def query_string(self) -> str:
        return urlencode(self.query)


@dataclass
class SessionRecord:
    """What one session saw: seconds per finished page run, and its errors (kinds only, never page text)."""

    runs: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    arrived: float | None = None  # time.monotonic() when it asked for its first page


def published_years(published_url: str) -> list[str]:
    """The financial years the publication's measure_progress table holds, oldest first (what the year pickers
    offer), read through the web tier's own read-only door."""
    from data_access.access import web_tier_engine
    from data_access.published_reads import read_published
    from pages._views import financial_years

    engine = web_tier_engine(published_url)
    try:
        return financial_years(read_published(engine, "measure_progress"))
    finally:
        engine.dispose()


def dashboard_visits(seed: int = 0, count: int = 400, years: list[str] | None = None) -> list[Visit]:
    """A seeded mix of what managers, commissioners and analysts do: every page their role may open, with
    selections changed (localities, years, measures, outcomes) - from the council's own config files and the
    publication's years (`years`; without them the year is left to the page's default)."""
    from data_access.config import load_localities, load_measures, load_roles

    chooser = random.Random(seed)
    localities = [locality.name for locality in load_localities()]
    measures = [measure.id for measure in load_measures().measures]
    outcomes = ["improved_percent", "sustained_percent"]
    roles = load_roles().roles
    visits = []
    for _ in range(count):
        role = chooser.choice(roles)
        page = chooser.choice(role.pages)
        query = {"role": role.id}
        if page in ("overview", "measures", "localities"):
            query["locality"] = chooser.choice(localities)
        if page in ("measures", "localities"):
            query |= {"outcome": chooser.choice(outcomes), "measure": chooser.choice(measures)}
            if years:
                query["year"] = chooser.choice(years)
        if page == "impact":
            query["outcome"] = chooser.choice(measures)
        visits.append(Visit(page, query))
    return visits


def _page_errors(message: ForwardMsg) -> list[str]:
    kind = message.WhichOneof("type")
    if kind == "page_not_found":
        return ["page not found"]
    if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
        element = message.delta.new_element
        element_kind = element.WhichOneof("type")
        if element_kind == "exception":
            return ["exception"]
        if element_kind == "alert" and element.alert.format == element.alert.ERROR:
            return ["error box"]
    return []


def run_session(base_url: str, visits: list[Visit], until: float, record: SessionRecord, seed: int,
                think_seconds: float = THINK_SECONDS, start_after: float = 0.0) -> None:
    """One visitor: arrive `start_after` seconds in, connect, then ask for page after page (a rerun with that page
    and query) until `until`."""
    time.sleep(start_after)
    record.arrived = time.monotonic()
    chooser = random.Random(seed)
    websocket_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
    try:
        # No keepalive pings: browsers send none, and a busy server answering one late would close the session.
        with connect(websocket_url, subprotocols=["streamlit"], origin=base_url, open_timeout=30,
                     max_size=None, ping_interval=None) as websocket:
            while time.monotonic() < until:
                visit = chooser.choice(visits)
                request = BackMsg()
                request.rerun_script.query_string = visit.query_string()
                request.rerun_script.page_name = visit.page
                started = time.perf_counter()
                websocket.send(request.SerializeToString())
                errors: list[str] = []
                while True:
                    reply = ForwardMsg()
                    reply.ParseFromString(websocket.recv(timeout=PAGE_TIMEOUT_S))
                    errors += _page_errors(reply)
                    if reply.WhichOneof("type") == "script_finished":
                        if reply.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                            continue  # the script asked for a rerun (st.rerun): the page is drawn by the next run
                        if reply.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                            errors.append("script error")
                        break
                record.runs.append(time.perf_counter() - started)
                record.errors += errors
                time.sleep(think_seconds * chooser.uniform(0.5, 1.5))
    except TimeoutError:
        record.errors.append(f"no answer within {PAGE_TIMEOUT_S:.0f} s")
    except Exception as problem:  # noqa: BLE001 - any failure of a session is a result to report, not a crash
        record.errors.append(type(problem).__name__)


def run_browser(base_url: str, visits: list[Visit], until: float, record: SessionRecord, seed: int,
                think_seconds: float = THINK_SECONDS, start_after: float = 0.0) -> None:
    """Real Chromium: open page after page by URL; time from navigation to the page drawn (the harness's wait)."""
    from playwright.sync_api import sync_playwright

    time.sleep(start_after)
    record.arrived = time.monotonic()
    chooser = random.Random(seed)
    with sync_playwright() as playwright:
        browser = harness.launch_chromium(playwright)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            while time.monotonic() < until:
                visit = chooser.choice(visits)
                path = "" if visit.page == "overview" else visit.page
                started = time.perf_counter()
                try:
                    page.goto(f"{base_url}/{path}?{visit.query_string()}")
                    harness.wait_for_streamlit_page(page, timeout_ms=int(PAGE_TIMEOUT_S * 1000), settle_ms=0)
                except AssertionError:
                    record.errors.append("error on the drawn page")
                    continue
                except Exception as problem:  # noqa: BLE001 - reported, as for the protocol sessions
                    record.errors.append(type(problem).__name__)
                    continue
                record.runs.append(time.perf_counter() - started)
                time.sleep(think_seconds * chooser.uniform(0.5, 1.5))
        finally:
            browser.close()


def server_memory_mb(pid: int) -> float:
    """Resident memory of the server process and everything it started, in MB."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
        return sum(process.memory_info().rss for process in processes) / 1e6
    except psutil.NoSuchProcess:
        return float("nan")


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (share in 0..1) of `values`, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def memory_slope_mb_per_min(samples: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of memory over time after warm-up, MB per minute (flat is near 0)."""
    if len(samples) < 3:
        return None
    start = samples[0][0] + WARM_UP_SHARE * (samples[-1][0] - samples[0][0])
    kept = [(seconds, mb) for seconds, mb in samples if seconds >= start]
    if len(kept) < 3:
        return None
    return statistics.linear_regression([seconds for seconds, _ in kept], [mb for _, mb in kept]).slope * 60


@dataclass
class LoadTestResult:
    sessions: int
    think_seconds: float
    ramp_up_seconds: float
    browsers: int
    seconds: float
    last_arrival_s: float | None  # seconds after the start when the last visitor asked for its first page
    page_runs: int
    errors: dict[str, int]
    protocol_median_s: float | None
    protocol_p95_s: float | None
    browser_pages: int
    browser_median_s: float | None
    browser_p95_s: float | None
    memory_at_start_mb: float
    memory_peak_mb: float
    memory_at_end_mb: float
    memory_after_idle_mb: float
    memory_slope_after_warm_up_mb_per_min: float | None

    def error_count(self) -> int:
        return sum(self.errors.values())


def arrival_delays(count: int, ramp_up_seconds: float) -> list[float]:
    """When each of `count` visitors arrives: evenly spread over the ramp-up, the first at once (all at 0 without
    a ramp-up)."""
    if count <= 0:
        return []
    return [index * ramp_up_seconds / count for index in range(count)]


def run_load_test(app: Path, env: dict[str, str], visits: list[Visit], *, sessions: int, seconds: float,
                  browsers: int = 1, log: Path, idle_seconds: float = 10.0, think_seconds: float = THINK_SECONDS,
                  ramp_up_seconds: float = 0.0,
                  on_sample: Callable[[float, float], None] | None = None) -> LoadTestResult:
    """Start a server of `app` with `env`, run `sessions` protocol clients and `browsers` Chromium pages over
    `visits` for `seconds` (arriving spread over the first `ramp_up_seconds`), then let it idle for
    `idle_seconds` and measure its memory again."""
    process, base_url = harness.start_streamlit(app, env, log)
    try:
        memory: list[tuple[float, float]] = []
        at_start = server_memory_mb(process.pid)
        began = time.monotonic()
        until = began + seconds
        stop_sampling = threading.Event()

        def sample() -> None:
            while not stop_sampling.wait(1.0):
                reading = server_memory_mb(process.pid)
                memory.append((time.monotonic() - began, reading))
                if on_sample is not None:
                    on_sample(time.monotonic() - began, reading)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        protocol = [SessionRecord() for _ in range(sessions)]
        browser_records = [SessionRecord() for _ in range(browsers)]
        # Each browser in its own thread with its own Playwright instance (the sync API is per thread).
        # Browsers arrive among the sessions: together they share the ramp-up's arrival times.
        delays = arrival_delays(sessions + browsers, ramp_up_seconds)
        workers = [threading.Thread(target=run_session, daemon=True,
                                    args=(base_url, visits, until, record, index, think_seconds, delays[index]))
                   for index, record in enumerate(protocol)]
        workers += [threading.Thread(target=run_browser, daemon=True,
                                     args=(base_url, visits, until, record, 1000 + index, think_seconds,
                                           delays[sessions + index]))
                    for index, record in enumerate(browser_records)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=seconds + 2 * PAGE_TIMEOUT_S)
        at_end = server_memory_mb(process.pid)
        stop_sampling.set()
        sampler.join()
        time.sleep(idle_seconds)
        after_idle = server_memory_mb(process.pid)
    finally:
        harness.stop_process_group(process)

    runs = [seconds for record in protocol for seconds in record.runs]
    drawn = [seconds for record in browser_records for seconds in record.runs]
    errors: dict[str, int] = {}
    for record in (*protocol, *browser_records):
        for kind in record.errors:
            errors[kind] = errors.get(kind, 0) + 1
    return LoadTestResult(
        sessions=sessions, think_seconds=think_seconds, ramp_up_seconds=ramp_up_seconds, browsers=browsers,
        seconds=seconds, page_runs=len(runs),
        last_arrival_s=max((record.arrived - began for record in (*protocol, *browser_records)
                            if record.arrived is not None), default=None),
        errors=errors,
        protocol_median_s=statistics.median(runs) if runs else None, protocol_p95_s=percentile(runs, 0.95),
        browser_pages=len(drawn), browser_median_s=statistics.median(drawn) if drawn else None,
        browser_p95_s=percentile(drawn, 0.95), memory_at_start_mb=at_start,
        memory_peak_mb=max([at_start, at_end, *(mb for _, mb in memory)]), memory_at_end_mb=at_end,
        memory_after_idle_mb=after_idle, memory_slope_after_warm_up_mb_per_min=memory_slope_mb_per_min(memory),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=25, help="concurrent protocol sessions (default 25)")
    parser.add_argument("--seconds", type=float, default=120.0, help="how long they keep going (default 120)")
    parser.add_argument("--browsers", type=int, default=1, help="Chromium pages timed to drawn (default 1)")
    parser.add_argument("--think", type=float, default=THINK_SECONDS,
                        help="mean seconds a visitor reads a page before the next choice (default 2)")
    parser.add_argument("--ramp-up", type=float, default=0.0, metavar="SECONDS",
                        help="spread the sessions' arrivals evenly over this many seconds (default 0: all at once)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the result here as JSON")
    arguments = parser.parse_args(argv)

    from data_access.engine import published_db_url

    env = {"FAMILIES_PUBLISHED_DB_URL": published_db_url()}
    visits = dashboard_visits(arguments.seed, years=published_years(env["FAMILIES_PUBLISHED_DB_URL"]))
    with tempfile.TemporaryDirectory() as folder:
        env["FAMILIES_ACCESS_LOG_DIR"] = str(Path(folder) / "access-log")
        result = run_load_test(PROJECT_ROOT / "app.py", env, visits, sessions=arguments.sessions,
                               seconds=arguments.seconds, browsers=arguments.browsers,
                               log=Path(folder) / "server.log", think_seconds=arguments.think,
                               ramp_up_seconds=arguments.ramp_up)
    summary = asdict(result)
    print(json.dumps(summary, indent=2))
    if arguments.json:
        arguments.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if result.error_count() else 0


if __name__ == "__main__":
    raise SystemExit(main())
