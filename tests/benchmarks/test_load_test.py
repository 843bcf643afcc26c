"""The load-test script (benchmarks/load_test.py) kept working: a small version of it runs here, in CI.

A few protocol sessions and one real Chromium page, for a few seconds, against the real app over the session's
demo database: every session gets pages drawn, none sees an error, and the figures it reports are there. The
control: the same run against a stand-in page that raises on some visits counts those errors, so a load test that
misses failures would fail here. Timings are recorded by the script (docs/benchmarks.md), never asserted.
"""

from __future__ import annotations

import pytest

from benchmarks.load_test import (
    Visit,
    arrival_delays,
    dashboard_visits,
    memory_slope_mb_per_min,
    percentile,
    published_years,
    run_load_test,
)
from tests.browser import harness

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_small_load_test_of_the_real_app_draws_pages_without_errors(chromium_path, demo_database_env, tmp_path):
    env = demo_database_env | {"FAMILIES_ACCESS_LOG_DIR": str(tmp_path / "log")}
    visits = dashboard_visits(seed=3, count=40)
    result = run_load_test(harness.PROJECT_ROOT / "app.py", env, visits, sessions=3, seconds=8, browsers=1,
                           log=tmp_path / "server.log", idle_seconds=1)
    assert result.errors == {}, (result.errors, (tmp_path / "server.log").read_text()[-3000:])
    assert result.page_runs >= 3 and result.browser_pages >= 1
    assert 0 < result.protocol_median_s <= result.protocol_p95_s
    assert result.memory_at_start_mb > 50 and result.memory_peak_mb >= result.memory_at_start_mb


def test_the_load_test_counts_a_page_that_fails(chromium_path, tmp_path):
    standin = harness.PROJECT_ROOT / "tests" / "browser" / "standin_app.py"
    visits = [Visit("", {}), Visit("", {"fail": "1"})]
    result = run_load_test(standin, {}, visits, sessions=2, seconds=4, browsers=0, log=tmp_path / "server.log",
                           idle_seconds=0)
    assert result.page_runs >= 2
    assert result.errors.get("exception", 0) >= 1, result.errors


def test_a_page_run_lasts_until_the_rerun_it_asked_for_has_finished(chromium_path, tmp_path):
    """A script that calls st.rerun ends its first run early ("finished early for rerun"); the page is drawn by the
    next run, which here takes a second. Stopping at the early end timed a page at about 1 ms and left the next
    run's messages to be read as the following visit's answer."""
    standin = harness.PROJECT_ROOT / "tests" / "browser" / "standin_app.py"
    result = run_load_test(standin, {}, [Visit("", {"rerun": "1"})], sessions=1, seconds=3, browsers=0,
                           log=tmp_path / "server.log", idle_seconds=0, think_seconds=0.1)
    assert result.errors == {} and result.page_runs >= 1
    assert result.protocol_median_s >= 1.0, result


def test_dashboard_visits_ask_only_for_pages_a_role_may_open():
    from data_access.config import load_roles

    pages_by_role = {role.id: set(role.pages) for role in load_roles().roles}
    visits = dashboard_visits(seed=1, count=300)
    assert {visit.page for visit in visits} == set().union(*pages_by_role.values())
    assert all(visit.page in pages_by_role[visit.query["role"]] for visit in visits)


def test_arrivals_are_spread_over_the_ramp_up():
    assert arrival_delays(4, 0.0) == [0.0, 0.0, 0.0, 0.0]  # the default: everyone at once, as before
    assert arrival_delays(4, 20.0) == [0.0, 5.0, 10.0, 15.0]  # one every 5 s, the first at once
    assert arrival_delays(0, 20.0) == []


@pytest.mark.parametrize(("ramp_up", "last_arrival"), [(0.0, (0.0, 1.0)), (6.0, (3.0, 4.0))])
def test_a_ramp_up_spreads_the_arrivals(chromium_path, tmp_path, ramp_up, last_arrival):
    """Two sessions over a 6 s ramp-up: the second asks for its first page 3 s in; without one, at once."""
    standin = harness.PROJECT_ROOT / "tests" / "browser" / "standin_app.py"
    result = run_load_test(standin, {}, [Visit("", {})], sessions=2, seconds=5, browsers=0,
                           log=tmp_path / "server.log", idle_seconds=0, ramp_up_seconds=ramp_up, think_seconds=0.2)
    assert result.errors == {} and result.page_runs >= 2, result.errors
    assert last_arrival[0] <= result.last_arrival_s < last_arrival[1]


def test_visits_ask_for_the_years_the_publication_holds(demo_database_env):
    years = published_years(demo_database_env["FAMILIES_PUBLISHED_DB_URL"])
    assert years and years == sorted(years) and all(len(year) == 7 and year[4] == "/" for year in years)
    visits = dashboard_visits(seed=2, count=200, years=years)
    asked = {visit.query["year"] for visit in visits if "year" in visit.query}
    assert asked and asked <= set(years)
    assert all("year" not in visit.query for visit in dashboard_visits(seed=2, count=50))  # none known: page default


def test_percentile_is_the_nearest_rank():
    values = [float(value) for value in range(1, 21)]  # 1..20: the 95th percentile by nearest rank is the 19th
    assert percentile(values, 0.95) == 19.0
    assert percentile(values, 0.5) == 10.0
    assert percentile([4.0], 0.95) == 4.0
    assert percentile([], 0.95) is None


def test_memory_slope_ignores_warm_up_and_finds_a_leak():
    flat_after_warm_up = [(float(second), 100.0 + 2.5 * second if second < 20 else 150.0) for second in range(100)]
    assert abs(memory_slope_mb_per_min(flat_after_warm_up)) < 1e-6
    leaking = [(float(second), 100.0 + second) for second in range(100)]  # 1 MB a second
    assert memory_slope_mb_per_min(leaking) == pytest.approx(60.0)


def _first_run_labels(base_url: str, page_name: str, barrier) -> list[str]:
    """Open a session on `page_name` (after every other session is ready to) and collect the widget labels it draws."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    labels = []
    with connect(base_url.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"],
                 origin=base_url, open_timeout=30, max_size=None) as websocket:
        request = BackMsg()
        request.rerun_script.query_string = "role=analyst"
        request.rerun_script.page_name = page_name
        barrier.wait(timeout=60)
        websocket.send(request.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(websocket.recv(timeout=120))
            if reply.WhichOneof("type") == "delta" and reply.delta.WhichOneof("type") == "new_element":
                element = reply.delta.new_element
                if element.WhichOneof("type") == "selectbox":
                    labels.append(element.selectbox.label)
            finished = reply.WhichOneof("type") == "script_finished"
            if finished and reply.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN and labels:
                return labels


def test_sessions_starting_together_on_a_fresh_server_all_go_through_app_py(chromium_path, demo_database_env,
                                                                             tmp_path):
    """The first runs after a start go through the legacy pages/ folder; each must be sent back through app.py (its
    role picker is the proof), not only the first one to notice."""
    import threading

    process, base_url = harness.start_streamlit(harness.PROJECT_ROOT / "app.py",
                                                demo_database_env | {"FAMILIES_ACCESS_LOG_DIR": str(tmp_path / "l")},
                                                tmp_path / "server.log")
    try:
        pages = ["measures", "localities", "impact", "methodology", "disclosure", "overview"]
        barrier = threading.Barrier(len(pages))
        found: dict[str, list[str]] = {}
        threads = [threading.Thread(target=lambda name=name: found.__setitem__(name, _first_run_labels(
            base_url, name, barrier))) for name in pages]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        harness.stop_process_group(process)
    assert set(found) == set(pages)
    assert all("Viewing as (demo)" in labels for labels in found.values()), found
