"""The input digest (metrics.editions.input_digest): the same inputs in any row order give the same digest, and any
change to a value, a table, the method or the code gives another (then the publish step computes everything)."""

from __future__ import annotations

import polars as pl
import pytest

from metrics.editions import input_digest
from metrics.publish import code_digest


def _tables() -> dict[str, pl.DataFrame]:
    return {
        "dataset_info": pl.DataFrame({"key": ["data_as_of", "loaded_at"], "value": ["2026-09-30", "2026-11-30T03:00"]}),
        "need_observation": pl.DataFrame({"person_id": [1, 2, 3, 3], "need": ["a", "b", "a", "a"],
                                          "value": [1.0, 0.0, None, None]}),
        "family": pl.DataFrame({"family_id": [10, 11], "locality": ["Purbeck", "Chesil"]}),
    }


def test_the_same_inputs_in_another_row_order_give_the_same_digest() -> None:
    tables = _tables()
    shuffled = {name: frame.reverse() for name, frame in reversed(list(tables.items()))}
    assert input_digest(tables, "method") == input_digest(shuffled, "method")


def test_the_load_time_is_not_an_input() -> None:
    tables = _tables()
    reloaded = tables | {"dataset_info": tables["dataset_info"].with_columns(
        value=pl.when(pl.col("key") == "loaded_at").then(pl.lit("2026-12-01T09:00")).otherwise("value"))}
    assert input_digest(tables, "method") == input_digest(reloaded, "method")


@pytest.mark.parametrize("change", ["value", "duplicate row dropped", "data date", "table added", "column type"])
def test_any_change_to_the_data_changes_the_digest(change: str) -> None:
    tables = _tables()
    observations = tables["need_observation"]
    changed = tables | {
        "value": {"need_observation": observations.with_columns(value=pl.Series([1.0, 1.0, None, None]))},
        "duplicate row dropped": {"need_observation": observations.unique(maintain_order=True)},
        "data date": {"dataset_info": tables["dataset_info"].with_columns(value=pl.lit("2026-10-31"))},
        "table added": {"locality": pl.DataFrame({"locality": ["Purbeck"]})},
        "column type": {"family": tables["family"].with_columns(pl.col("family_id").cast(pl.Int32))},
    }[change]
    assert input_digest(tables, "method") != input_digest(changed, "method")


def test_the_method_and_the_code_are_inputs_too() -> None:
    tables = _tables()
    assert input_digest(tables, "method one") != input_digest(tables, "method two")
    assert input_digest(tables, "method", code_digest()) != input_digest(tables, "method", "other code")
    assert code_digest() == code_digest()


def test_the_digest_is_the_documented_construction() -> None:
    """The sha256 of the context, then per table (by name) its name, schema, height and its rows' two polars hashes
    sorted together: computed here independently with numpy, so a digest stored with an edition stays comparable."""
    import hashlib

    import numpy as np

    tables = _tables() | {"family": pl.DataFrame({"family_id": list(range(500, 0, -1)),
                                                  "locality": ["Purbeck", "Chesil"] * 250})}
    expected = hashlib.sha256(b"method\0")
    for name in sorted(tables):
        frame = tables[name]
        if name == "dataset_info":
            frame = frame.filter(pl.col("key") != "loaded_at")
        first, second = (frame.hash_rows(seed=seed).to_numpy().astype(np.uint64) for seed in (0, 1))
        order = np.lexsort((second, first))
        expected.update(f"{name}\0{frame.schema}\0{frame.height}\0".encode())
        expected.update(first[order].tobytes() + second[order].tobytes())
    assert input_digest(tables, "method") == expected.hexdigest()
