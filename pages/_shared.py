"""Results every visitor shares: the page-side views, tables and figures made from the published tables, computed
once per edition and selection instead of on every run of every visitor's page (issue #12 item 6, #14 item 5).

`@shared` memoises a pure page-side function whose inputs are *stable*: frames and figures that came from the
published-table cache (pages._published) or from another shared result, and plain values (text, numbers, None;
lists, tuples, sets and dicts of them are keyed by their contents). A stable frame or figure is keyed by identity and
the key holds it, so its id cannot be reused while the entry lives. Called with anything else (a frame a page made
itself, a function), the function simply runs: a missed saving, never a wrong answer. Entries are bounded in number
and age, like the table caches; a new edition's tables are new objects, so its views are new entries.

Shared results are read-only. Frames cannot be changed in place here (no page does); a figure is finished for the
page (pages._chart_style) before it is stored, so chart_with_table leaves it alone; a list or dict result is handed
out as a copy. Like the table caches, this is a plain module-level cache, not st.cache_data, which any browser can
clear for everyone (pages/_published.py).
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import plotly.graph_objects as go
import polars as pl
from cachetools import TTLCache

from pages._chart_style import finish_figure

SHARED_ENTRIES = 2048
"""Views, tables and figures kept at once (a selection's entries are a few kilobytes each)."""
SHARED_SECONDS = 600
"""How long an entry is kept: the same as the published-table caches, so no view outlives its edition's tables."""

Result = TypeVar("Result")

_results: TTLCache = TTLCache(maxsize=SHARED_ENTRIES, ttl=SHARED_SECONDS)
_condition = threading.Condition()
_pending: set[tuple] = set()
_stable: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
_counts: Counter[str] = Counter()
_UNKEYABLE = object()


class _Same:
    """A key part that is equal only to the very same object (and keeps it alive, so its id stays its own)."""

    __slots__ = ("item",)

    def __init__(self, item: object) -> None:
        self.item = item

    def __hash__(self) -> int:
        return id(self.item)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.item is self.item


def mark_stable(item: Result) -> Result:
    """Declare a frame or figure read-only and shared (the published-table cache's frames, shared results)."""
    _stable[id(item)] = item
    return item


def is_stable(item: object) -> bool:
    return _stable.get(id(item)) is item


def _key_part(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, pl.DataFrame | go.Figure):
        return _Same(value) if is_stable(value) else _UNKEYABLE
    if isinstance(value, list | tuple):
        parts = tuple(_key_part(item) for item in value)
        return _UNKEYABLE if any(part is _UNKEYABLE for part in parts) else (type(value).__name__, parts)
    if isinstance(value, dict):
        parts = tuple((_key_part(name), _key_part(item)) for name, item in value.items())
        return _UNKEYABLE if any(_UNKEYABLE in part for part in parts) else ("dict", parts)
    if isinstance(value, set | frozenset):
        parts = frozenset(_key_part(item) for item in value)
        return _UNKEYABLE if _UNKEYABLE in parts else ("set", parts)
    if callable(value):  # a lambda made on each run would fill the cache with entries never asked for again
        return _UNKEYABLE
    try:
        hash(value)  # frozen configuration records (a measure, the breakdown catalogue)
    except TypeError:
        return _UNKEYABLE
    return value


def _key(name: str, args: tuple, kwargs: dict) -> tuple | None:
    parts = _key_part(args), _key_part(tuple(sorted(kwargs.items())))
    return None if _UNKEYABLE in parts else (name, *parts)


def _stabilise(result: object) -> object:
    if isinstance(result, go.Figure):
        finish_figure(result)
    if isinstance(result, pl.DataFrame | go.Figure):
        mark_stable(result)
    elif isinstance(result, tuple):  # a NamedTuple of frames and figures
        for item in result:
            _stabilise(item)
    return result


def _handed_out(result: Result) -> Result:
    if isinstance(result, list | dict | set):
        return type(result)(result)  # a caller may change its copy, never the shared one
    return result


def shared(function: Callable[..., Result]) -> Callable[..., Result]:
    """Memoise `function` for every session over stable inputs (above); one session computes a missing entry while
    the others asking for it wait, instead of all computing it at once."""
    name = f"{function.__module__}.{function.__qualname__}"

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Result:
        key = _key(name, args, kwargs)
        if key is None:
            _counts["unkeyed"] += 1
            return function(*args, **kwargs)
        with _condition:
            _condition.wait_for(lambda: key not in _pending)
            try:
                result = _results[key]
            except KeyError:
                _pending.add(key)
            else:
                _counts["hits"] += 1
                return _handed_out(result)
        try:
            result = _stabilise(function(*args, **kwargs))
        except BaseException:
            with _condition:
                _pending.discard(key)
                _condition.notify_all()
            raise
        with _condition:  # stored before the waiting sessions are woken, so none of them computes it again
            _results[key] = result
            _pending.discard(key)
            _counts["misses"] += 1
            _condition.notify_all()
        return _handed_out(result)

    wrapper.uncached = function  # type: ignore[attr-defined]  # for tests that compare with the plain function
    return wrapper


def shared_counts() -> dict[str, int]:
    """Hits, misses (computed and stored) and unkeyed calls (an input that is not stable) so far, and the entries
    held (tests/pages/test_shared.py: a warm page run computes nothing and has no unkeyed call)."""
    with _condition:
        return {"hits": _counts["hits"], "misses": _counts["misses"], "unkeyed": _counts["unkeyed"],
                "entries": len(_results)}


def clear_shared() -> None:
    """Forget every shared result (tests)."""
    with _condition:
        _results.clear()
        _counts.clear()
