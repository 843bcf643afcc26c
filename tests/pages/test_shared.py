"""The shared-results cache (pages/_shared.py): computed once for every session over stable inputs, never a wrong
answer (keys by identity hold their objects), bounded, one computation per key at a time; and every page's warm run
computes nothing new and shows exactly what a cold run showed."""

from __future__ import annotations

import gc
import threading
import time

import plotly.graph_objects as go
import polars as pl
import pytest

from pages import _shared
from pages._chart_style import finish_figure
from pages._published import clear_published_caches
from pages._shared import clear_shared, is_stable, mark_stable, shared, shared_counts
from tests.pages.conftest import page_text, role_page_pairs

calls: list[str] = []


@shared
def total(frame: pl.DataFrame, column: str) -> int:
    calls.append(column)
    return int(frame[column].sum())


@shared
def doubled(frame: pl.DataFrame) -> pl.DataFrame:
    calls.append("doubled")
    return frame.with_columns(pl.col("x") * 2)


@shared
def names(frame: pl.DataFrame) -> list[str]:
    return frame["name"].to_list()


@shared
def titled(frame: pl.DataFrame, title: str) -> go.Figure:
    return go.Figure(go.Bar(x=frame["x"].to_list()), layout={"title": title})


@pytest.fixture(autouse=True)
def empty_cache():
    clear_shared()
    calls.clear()
    yield
    clear_shared()


def test_a_stable_frame_is_computed_once_for_every_caller():
    frame = mark_stable(pl.DataFrame({"x": [1, 2, 3]}))
    assert [total(frame, "x") for _ in range(5)] == [6] * 5
    assert calls == ["x"]
    assert shared_counts()["misses"] == 1 and shared_counts()["hits"] == 4


def test_a_frame_made_on_the_page_is_computed_every_time():
    frame = pl.DataFrame({"x": [1, 2, 3]})  # not stable: a page made it
    assert total(frame, "x") == total(frame, "x") == 6
    assert calls == ["x", "x"]
    assert shared_counts()["unkeyed"] == 2 and shared_counts()["entries"] == 0


def test_shared_results_are_stable_so_what_is_made_from_them_is_shared_too():
    frame = mark_stable(pl.DataFrame({"x": [1, 2, 3]}))
    first = doubled(frame)
    assert is_stable(first) and doubled(frame) is first
    assert total(first, "x") == total(doubled(frame), "x") == 12
    assert calls == ["doubled", "x"]


def test_equal_frames_are_different_inputs():
    """Identity, not content: two editions' equal-looking tables never share an entry by accident."""
    one, other = mark_stable(pl.DataFrame({"x": [1]})), mark_stable(pl.DataFrame({"x": [1]}))
    total(one, "x"), total(other, "x")
    assert calls == ["x", "x"]


def test_a_new_frame_never_gets_an_old_frames_answer():
    """Keys hold their frames, so a dead frame's id cannot come back with its entry: 300 frames made and dropped in
    turn (CPython reuses ids of freed objects at once) each get their own sum."""
    for value in range(300):
        frame = mark_stable(pl.DataFrame({"x": [value]}))
        assert total(frame, "x") == value
        del frame
        gc.collect(0)  # the youngest generation, where the frame was made: a full collection per frame took
        # 0.45 s in CI's session (137 s in all) and frees nothing more for this loop


def test_lists_are_handed_out_as_copies():
    frame = mark_stable(pl.DataFrame({"name": ["a", "b"]}))
    names(frame).append("changed by a page")
    assert names(frame) == ["a", "b"]


def test_a_shared_figure_is_stored_finished_and_not_changed_again():
    frame = mark_stable(pl.DataFrame({"x": [1, 2]}))
    figure = titled(frame, "A title long enough to be wrapped onto two lines on a 390 px wide phone")
    assert "<br>" in figure.layout.title.text and figure.layout.font.size == 14
    before = figure.to_plotly_json()
    finish_figure(figure)
    assert figure.to_plotly_json() == before
    assert titled(frame, "A title long enough to be wrapped onto two lines on a 390 px wide phone") is figure


def test_one_computation_per_key_at_a_time():
    frame = mark_stable(pl.DataFrame({"x": [1]}))
    started = threading.Barrier(8)

    @shared
    def slow(frame: pl.DataFrame) -> int:
        calls.append("slow")
        time.sleep(0.2)
        return frame.height

    def ask():
        started.wait()
        assert slow(frame) == 1

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["slow"]


def test_a_failure_is_not_kept():
    attempts: list[int] = []

    @shared
    def fails_once(flag: str) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first time")
        return flag

    with pytest.raises(ValueError):
        fails_once("x")
    assert fails_once("x") == "x" and len(attempts) == 2


def test_the_cache_is_bounded():
    frame = mark_stable(pl.DataFrame({"x": [1]}))
    for index in range(_shared.SHARED_ENTRIES + 200):
        doubled_key(frame, index)
    assert shared_counts()["entries"] == _shared.SHARED_ENTRIES


@shared
def doubled_key(frame: pl.DataFrame, index: int) -> int:
    return 2 * index


def test_functions_and_unhashable_values_are_not_keys():
    frame = mark_stable(pl.DataFrame({"x": [1]}))

    @shared
    def with_function(frame: pl.DataFrame, how) -> int:
        return how(frame.height)

    assert with_function(frame, lambda n: n + 1) == 2
    assert shared_counts()["unkeyed"] == 1 and shared_counts()["entries"] == 0


PAGES = sorted(role_page_pairs(allowed=True))


@pytest.mark.parametrize(("role", "page_id"), PAGES)
def test_a_second_visitor_gets_the_same_page_and_computes_nothing(open_page, role: str, page_id: str):
    """A new session on a page another has drawn: every shared view is a hit (no miss, no input that could not be
    keyed), and what it shows is exactly what the first, computed, run showed. The table reads start afresh too: one
    kept since an earlier test could expire (10 minutes) between the two runs and be read again as a new frame, whose
    views the second run would then rightly compute again (this failed once under two workers)."""
    clear_published_caches()
    clear_shared()
    first = open_page(role, page_id)
    assert not first.exception
    cold = shared_counts()
    if page_id != "methodology":  # text and the configuration's tables only: nothing to share
        assert cold["misses"] > 0  # the first run computed its views
    second = open_page(role, page_id)
    assert not second.exception
    warm = shared_counts()
    assert warm["misses"] == cold["misses"], f"{page_id}: a warm run computed {warm['misses'] - cold['misses']} views"
    assert warm["unkeyed"] == cold["unkeyed"], f"{page_id}: a warm run made {warm['unkeyed'] - cold['unkeyed']} " \
                                               "calls with inputs that could not be shared"
    assert page_text(second) == page_text(first)
