"""Serving the Streamlit app and driving Debian's Chromium: plain functions shared by tests and benchmarks.

Fixtures in tests/conftest.py wrap these; benchmarks/bench_app.py calls them directly. No pytest here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# The probe-tested flags: without the networking ones Chromium floods a closed network with connection attempts.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_SEED = 7
WEB_PROCESS_BASICS = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
"""What scripts/run.sh passes from its own environment to Streamlit (plus FAMILIES_PUBLISHED_DB_URL)."""


class HarnessError(RuntimeError):
    """The app could not be built or served; the message carries the end of the log."""


def free_port() -> int:
    """A loopback port nothing is listening on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log_tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


@dataclass(frozen=True)
class DemoDatabase:
    """A built demo: the linked (personal) database, and the published tables the web process reads."""

    linked_url: str
    published_url: str

    @property
    def web_env(self) -> dict[str, str]:
        """The one database variable the web process gets (as scripts/run.sh gives it)."""
        return {"FAMILIES_PUBLISHED_DB_URL": self.published_url}


def web_process_env(overrides: dict[str, str]) -> dict[str, str]:
    """A clean environment like the one scripts/run.sh gives Streamlit: the basics, then `overrides`."""
    env = {name: os.environ[name] for name in WEB_PROCESS_BASICS if name in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    return {**env, **overrides}


def wait_for_health(base_url: str, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    """Poll /_stcore/health until it answers "ok"; stop early, with the log, if the server died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HarnessError(f"streamlit exited with {process.returncode} before it was healthy:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise HarnessError(f"streamlit was not healthy within {timeout:.0f} s:\n{log_tail(log)}")


def streamlit_command(app: Path, port: int, extra_args: tuple[str, ...] = ()) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", *extra_args,
    ]  # fmt: skip


def start_streamlit(app: Path, env_overrides: dict[str, str], log: Path,
                    extra_args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """Start `streamlit run app` on a free loopback port in its own process group; return it once healthy.

    Its environment is clean, as scripts/run.sh makes it (web_process_env): the test runner's database URLs never
    reach it. `extra_args` go to `streamlit run` (e.g. ("--secrets.files", PATH) for sign-in).
    """
    port = free_port()
    env = web_process_env(env_overrides)
    with log.open("a") as output:
        process = subprocess.Popen(
            streamlit_command(app, port, extra_args),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base_url, process, log)
    except BaseException:
        stop_process_group(process)
        raise
    return process, base_url


def stop_process_group(process: subprocess.Popen) -> None:
    """Terminate the server and anything it started; kill the group if it ignores SIGTERM for 10 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def process_environment(pid: int) -> dict[str, str]:
    """A running process's environment as anything running as its user can read it (Linux /proc)."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(entry.split("=", 1) for entry in raw.decode(errors="replace").split("\0") if "=" in entry)


def descendants(pid: int) -> list[int]:
    """The ids of every process below `pid` (Linux /proc)."""
    found, pending = [], [pid]
    while pending:
        parent = pending.pop()
        children = Path(f"/proc/{parent}/task/{parent}/children")
        if children.exists():
            kids = [int(child) for child in children.read_text().split()]
            found += kids
            pending += kids
    return found


def launch_chromium(playwright, executable: Path = CHROMIUM):
    """Playwright's Chromium driver on Debian's browser (never a downloaded one)."""
    return playwright.chromium.launch(executable_path=str(executable), headless=True, args=CHROMIUM_ARGS)


SETTLE_MS = 300
"""How long the page's script state must stay unchanged before a wait counts it as settled."""

_SCRIPT_STATE_CHANGES = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) { return "no app"; }
    if (app.scriptStateChanges === undefined) {
        app.scriptStateChanges = 0;
        new MutationObserver(() => { app.scriptStateChanges += 1; })
            .observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
    }
    return app.scriptStateChanges + " " + app.getAttribute("data-test-script-state");
}"""
"""The number of script-state changes seen so far and the state now (the observer is installed on first use)."""


def wait_for_streamlit_page(page, timeout_ms: int = 30_000, settle_ms: int = SETTLE_MS) -> None:
    """Wait until the Streamlit page has connected, finished running the script and drawn everything.

    The signals Streamlit's own e2e tests use: the stApp element's data-test-connection-state becomes
    CONNECTED and data-test-script-state becomes notRunning (initial -> running -> notRunning); the
    status widget's "Running..." icon is gone; no skeleton placeholders remain. Then the script state must stay
    unchanged for `settle_ms` (counted by a MutationObserver on stApp): a run that ends early for `st.rerun`, or a
    rerun a click asked for that has not started yet, shows notRunning for a moment, and a wait that stopped there
    would read the page between two runs. 0 skips that check (the benchmarks, which time the first signal). Then
    the page must show no exception or error box.
    """
    from playwright.sync_api import expect

    app = '[data-testid="stApp"]'
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        if time.monotonic() > deadline:
            raise AssertionError(f"the page's script state did not settle for {settle_ms} ms within {timeout_ms} ms")
        page.wait_for_selector(app, state="attached", timeout=timeout_ms)
        page.wait_for_selector(f'{app}[data-test-connection-state="CONNECTED"]', state="attached",
                               timeout=timeout_ms)
        page.wait_for_selector(f'{app}[data-test-script-state="notRunning"]', state="attached", timeout=timeout_ms)
        expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=timeout_ms)
        expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)
        if settle_ms <= 0:
            break
        # The state is read with the count: a rerun that started between the wait above and the observer's
        # installation changed nothing the observer saw, but the state now reads running, so the wait goes on.
        changes = page.evaluate(_SCRIPT_STATE_CHANGES)
        page.wait_for_timeout(settle_ms)
        if page.evaluate(_SCRIPT_STATE_CHANGES) == changes and changes.endswith(" notRunning"):
            break
    assert_no_streamlit_errors(page)


def time_first_page(browser, url: str, started: float, timeout_ms: int = 60_000) -> tuple[float, float]:
    """Seconds since `started` (a perf_counter reading) until the page at `url` shows its first heading and until
    it is fully drawn, in a fresh desktop-sized browser context (closed afterwards). For the start-up benchmarks
    (benchmarks/bench_app.py, benchmarks/bench_pages.py)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.goto(url)
        page.get_by_role("heading", level=1).first.wait_for(state="visible", timeout=timeout_ms)
        painted = time.perf_counter() - started
        wait_for_streamlit_page(page, timeout_ms=timeout_ms, settle_ms=0)
        return painted, time.perf_counter() - started
    finally:
        context.close()


def assert_no_streamlit_errors(page) -> None:
    """Raise AssertionError with the page's own text if it shows an exception or an st.error box."""
    problems = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
    count = problems.count()
    if count:
        texts = "\n---\n".join(problems.all_inner_texts())
        raise AssertionError(f"the page shows {count} error(s):\n{texts}")
