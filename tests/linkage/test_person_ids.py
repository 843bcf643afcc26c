"""Stable person_ids across runs, on hand-made clusters whose right answers are worked out by hand."""

from __future__ import annotations

import polars as pl

from linkage.person_ids import assign_person_ids


def _clusters(mapping: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame({"record_id": list(mapping), "person_key": list(mapping.values())})


def _ids(frame: pl.DataFrame) -> dict[str, int]:
    return dict(frame.iter_rows())


def test_first_run_numbers_people_by_their_first_record():
    links = assign_person_ids(_clusters({"b1": "x", "a1": "y", "a2": "y", "c1": "z"}))
    assert _ids(links) == {"a1": 1, "a2": 1, "b1": 2, "c1": 3}


def test_same_people_keep_their_ids_even_when_the_linker_renames_them():
    previous = pl.DataFrame({"record_id": ["a1", "a2", "b1"], "person_id": [7, 7, 9]})
    links = assign_person_ids(_clusters({"a1": "k2", "a2": "k2", "b1": "k1", "d1": "k3"}), previous)
    assert _ids(links) == {"a1": 7, "a2": 7, "b1": 9, "d1": 10}  # a new person gets the next id after 9


def test_a_split_keeps_the_id_with_the_larger_part_and_a_merge_keeps_the_majoritys():
    previous = pl.DataFrame({"record_id": ["a1", "a2", "a3", "b1", "c1"], "person_id": [1, 1, 1, 2, 3]})
    # person 1 splits into (a1, a2) and (a3); persons 2 and 3 merge with b1 and c1 plus a new record c2
    links = assign_person_ids(_clusters({"a1": "p", "a2": "p", "a3": "q", "b1": "r", "c1": "r", "c2": "r"}),
                              previous)
    assert _ids(links) == {"a1": 1, "a2": 1, "a3": 4, "b1": 2, "c1": 2, "c2": 2}
