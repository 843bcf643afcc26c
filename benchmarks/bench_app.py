"""How fast the dashboard starts and draws: figures for docs/benchmarks.md (timings never go in tests).

Measures, over the existing demo database (`make bench` builds it first if missing):
1. the run command (`bash scripts/run.sh`, set-up already done) to GET /_stcore/health == "ok";
2. the same start to the Overview page fully drawn in Debian's Chromium (harness wait: script finished,
   no skeletons, no error);
3. the Overview page in Streamlit's AppTest: the first run in this process (cold imports, empty caches)
   and warm reruns.

    .venv/bin/python benchmarks/bench_app.py [--starts 3] [--reruns 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tests.browser import harness  # noqa: E402


def time_one_start(browser, log: Path) -> tuple[float, float]:
    """Seconds from `bash scripts/run.sh` to health OK, and to the Overview page drawn in Chromium."""
    port = harness.free_port()
    env = {**os.environ, "PORT": str(port)}
    started = time.perf_counter()
    with log.open("a") as output:
        process = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        harness.wait_for_health(base_url, process, log)
        healthy = time.perf_counter() - started
        _, drawn = harness.time_first_page(browser, base_url, started)
    finally:
        harness.stop_process_group(process)
    return healthy, drawn


def time_apptest(reruns: int) -> tuple[float, list[float]]:
    """Seconds for the first AppTest run of app.py (Overview is the default page) and for warm reruns."""
    from streamlit.testing.v1 import AppTest

    from data_access.engine import published_db_url

    # In this process, as in the web process scripts/run.sh starts: the published tables' URL, no FAMILIES_DB_URL.
    os.environ["FAMILIES_PUBLISHED_DB_URL"] = published_db_url()
    os.environ.pop("FAMILIES_DB_URL", None)
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    started = time.perf_counter()
    app.run()
    cold = time.perf_counter() - started
    if app.exception:
        raise RuntimeError(f"the Overview page raised: {app.exception[0].value}")
    warm = []
    for _ in range(reruns):
        started = time.perf_counter()
        app.run()
        warm.append(time.perf_counter() - started)
    return cold, warm


def describe(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="cold server starts to time")
    parser.add_argument("--reruns", type=int, default=10, help="warm AppTest reruns to time")
    args = parser.parse_args()
    database = os.environ.get("FAMILIES_DB_URL", "sqlite:///data/families.db")

    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp(prefix="bench-app-")) / "server.log"
    healthy, drawn = [], []
    with sync_playwright() as playwright:
        browser = harness.launch_chromium(playwright)
        try:
            for _ in range(args.starts):
                to_health, to_drawn = time_one_start(browser, log)
                healthy.append(to_health)
                drawn.append(to_drawn)
        finally:
            browser.close()
    cold, warm = time_apptest(args.reruns)

    print(f"bench_app on {os.cpu_count()} cores, database {database}")
    print(f"run command -> health ok:               {describe(healthy)}")
    print(f"run command -> Overview drawn (Chromium): {describe(drawn)}")
    print(f"AppTest Overview, first run (cold):     {cold:.2f} s")
    print(f"AppTest Overview, warm reruns:          {describe(warm)}")


if __name__ == "__main__":
    main()
