"""A checker over a plotly figure's JSON: every hidden published value ([c], [x], [z]) has a label at its place.

A point is hidden when its value on the value axis is missing (None) where its category (the other axis, text) is
present. It is labelled when any of these hold:
- its own trace's text at that point holds a symbol;
- its category's name holds a symbol (the Impact balance chart writes "[c]" into the axis label);
- a text trace in the same offset group (grouped bars: pages._charts.grouped_bar) has a symbol at that category;
- an annotation with a symbol sits at that category on the same axis (one symbol in it per hidden point).
Points both of whose coordinates are categories (the heat map's squares) must show a non-empty text.
Traces drawn only as decoration (hoverinfo "skip": confidence bands, the spine's range) are not points.
"""

from __future__ import annotations

from base64 import b64decode
from collections import Counter

import numpy as np

SYMBOLS = ("[c]", "[x]", "[z]")


def _values(array: object) -> list:
    if isinstance(array, dict) and "bdata" in array:  # plotly's typed arrays (no missing values in them)
        return np.frombuffer(b64decode(array["bdata"]), dtype=np.dtype(array["dtype"])).tolist()
    return list(array) if isinstance(array, list | tuple) else []


def _has_symbol(text: object) -> bool:
    return isinstance(text, str) and any(symbol in text for symbol in SYMBOLS)


def _axis(reference: str | None, letter: str) -> str:
    return (reference or letter).removesuffix(" domain")


def _category_axis(trace: dict) -> str | None:
    """'x' or 'y': which coordinate names the category; None if neither or both do."""
    if trace.get("type") == "bar" and trace.get("orientation") == "h":
        return "y"
    if trace.get("type") == "bar":
        return "x"
    xs = [v for v in _values(trace.get("x")) if v is not None]
    ys = [v for v in _values(trace.get("y")) if v is not None]
    x_text = bool(xs) and all(isinstance(v, str) for v in xs)
    y_text = bool(ys) and all(isinstance(v, str) for v in ys)
    if x_text and not y_text:
        return "x"
    if y_text and not x_text:
        return "y"
    return None


def hidden_points(spec: dict) -> list[tuple[int, str, str]]:
    """(trace index, trace name, category) of every hidden point of the figure."""
    found = []
    for index, trace in enumerate(spec.get("data", [])):
        if trace.get("hoverinfo") == "skip" or trace.get("mode") == "text":
            continue
        category_axis = _category_axis(trace)
        if category_axis is None:
            continue
        value_axis = "y" if category_axis == "x" else "x"
        categories, values = _values(trace.get(category_axis)), _values(trace.get(value_axis))
        found += [(index, trace.get("name", ""), category) for category, value in zip(categories, values, strict=False)
                  if category is not None and value is None]
    return found


def unlabelled(spec: dict) -> list[str]:
    """A description of every hidden value without a label at its place, and of every categorical point with no
    text; [] when every hidden value is labelled."""
    traces = spec.get("data", [])
    notes: Counter = Counter()
    for note in spec.get("layout", {}).get("annotations", []):
        labels = sum(str(note.get("text", "")).count(symbol) for symbol in SYMBOLS)  # "Chesil [c], Dorset [x]": 2
        if labels:
            notes[("x", _axis(note.get("xref"), "x"), note.get("x"))] += labels
            notes[("y", _axis(note.get("yref"), "y"), note.get("y"))] += labels
    text_marks: Counter = Counter()
    for trace in traces:
        if "text" in trace.get("mode", "") and trace.get("offsetgroup") is not None:
            for x, text in zip(_values(trace.get("x")), _values(trace.get("text")), strict=False):
                if _has_symbol(text):
                    text_marks[(trace["offsetgroup"], _axis(trace.get("xaxis"), "x"), x)] += 1
    problems = []
    for index, name, category in hidden_points(spec):
        trace = traces[index]
        letter = _category_axis(trace)
        axis = _axis(trace.get(f"{letter}axis"), letter)
        position = _values(trace.get(letter)).index(category)
        texts = _values(trace.get("text"))
        if _has_symbol(category) or (position < len(texts) and _has_symbol(texts[position])):
            continue
        group_key = (trace.get("offsetgroup"), axis, category)
        if trace.get("offsetgroup") is not None and text_marks[group_key]:
            text_marks[group_key] -= 1
            continue
        if notes[(letter, axis, category)]:
            notes[(letter, axis, category)] -= 1
            continue
        problems.append(f"{spec.get('layout', {}).get('title', {}).get('text', '(untitled)')!s:.60}: "
                        f"{name or 'trace ' + str(index)} at {category!r} is hidden without a label")
    for index, trace in enumerate(traces):
        if "text" in trace.get("mode", "") and _category_axis(trace) is None and trace.get("type") == "scatter":
            xs, texts = _values(trace.get("x")), _values(trace.get("text"))
            problems += [f"trace {index} at {x!r} shows no text" for x, text in zip(xs, texts, strict=False)
                         if not text]
            if len(texts) < len(xs):
                problems.append(f"trace {index}: {len(xs) - len(texts)} point(s) without text")
    return problems
