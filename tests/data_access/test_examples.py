"""Example rows from the declarations (data_access/examples.py): valid for the loader and the database, and one
disallowed value in any checked column makes the loader say which table and column."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from data_access.config import load_localities
from data_access.engine import make_engine
from data_access.examples import ExampleContext, example_dataset, example_rows
from data_access.identifiers import is_valid_nhs_number, is_valid_upn
from data_access.loader import ALLOWED_VALUES, IDENTIFIER_RULES, ROW_RULES, load_linked_data, validate_linked_frames
from data_access.schema import LINKED_TABLES_IN_LOAD_ORDER

N = 4


@pytest.fixture(scope="module")
def dataset() -> dict[str, pl.DataFrame]:
    return example_dataset(N)


def _with_value(frames: dict[str, pl.DataFrame], table: str, column: str, value, row: int = 0):
    frame = frames[table]
    changed = frame.with_columns(pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value, dtype=frame.schema[column]))
                                 .otherwise(pl.col(column)).alias(column))
    return {**frames, table: changed}


@pytest.mark.parametrize("n", [1, 3, 12])
def test_example_rows_of_every_table_pass_validation(n: int) -> None:
    frames = example_dataset(n)
    assert validate_linked_frames(frames) == []
    localities = len(load_localities())  # 6 in the shipped config: a locality row for each at most
    for table in LINKED_TABLES_IN_LOAD_ORDER:
        assert frames[table.name].height == (min(n, localities) if table.name == "locality" else n), table.name


def test_the_database_accepts_them_too(sqlite_url: str, dataset) -> None:
    """The database's own CHECK constraints and foreign keys agree with the loader's reading of the declarations."""
    written = load_linked_data(make_engine(sqlite_url), dataset)
    assert written["person_identifier"] == N and written["need_observation"] == N


def test_identifier_examples_are_valid_by_the_published_rules() -> None:
    """Independent of the loader: the plain-Python checks of the check digit and check letter."""
    people = example_rows("person_identifier", 30)
    assert all(is_valid_nhs_number(value) for value in people["nhs_number"])
    assert all(is_valid_upn(value) for value in people["upn"])
    assert people["nhs_number"].n_unique() == 30


def test_example_rows_is_the_tables_part_of_the_dataset(dataset) -> None:
    assert example_rows("programme_episode", N).equals(dataset["programme_episode"])
    with pytest.raises(KeyError):
        example_rows("published_statistic")


def _checked_columns() -> list[tuple[str, str, object]]:
    """(table, column, a value the declarations refuse) for every closed list and format rule, and the codes that
    must come from config."""
    cases = [(table, column, "zz") for (table, column) in ALLOWED_VALUES]
    cases += [(table, column, "X") for (table, column) in IDENTIFIER_RULES]
    cases += [("locality", "locality_code", "ZZZ"), ("need_observation", "measure_id", "M99"),
              ("eligibility_need", "headline_outcome", "nothing")]
    return cases


@pytest.mark.parametrize(("table", "column", "bad"), _checked_columns())
def test_one_disallowed_value_is_refused_naming_the_column(dataset, table: str, column: str, bad) -> None:
    problems = validate_linked_frames(_with_value(dataset, table, column, bad))
    assert any(problem.startswith(f"{table}.{column}:") and "1 row(s)" in problem for problem in problems), problems


ROW_RULE_BREAKS = {
    "ck_deprivation_decile": ("family", "deprivation_decile", 11, 0),
    "ck_member_end_after_start": ("family_member", "end_date", date(2023, 12, 31), 0),
    "ck_attachment_matches_cohort": ("programme_episode", "attachment_date", None, 0),  # row 0 is supported
    "ck_closure_after_eligibility": ("programme_episode", "closure_date", date(2023, 12, 31), 0),
}


def test_every_row_rule_has_a_break_here() -> None:
    assert set(ROW_RULE_BREAKS) == set(ROW_RULES)


@pytest.mark.parametrize("rule", sorted(ROW_RULE_BREAKS))
def test_breaking_a_row_rule_is_refused_with_its_message(dataset, rule: str) -> None:
    table, column, bad, row = ROW_RULE_BREAKS[rule]
    problems = validate_linked_frames(_with_value(dataset, table, column, bad, row))
    rule_table, declared = ROW_RULES[rule]
    assert rule_table == table
    assert any(problem.startswith(f"{table}.{', '.join(declared.columns)}:") and declared.message in problem
               for problem in problems), problems


def test_the_context_follows_the_config_given(tmp_path) -> None:
    """Codes come from the config folder passed in: fewer localities, fewer locality rows."""
    context = ExampleContext(("AAA", "BBB"), ("Alpha", "Beta"), ("education",), ("M01",))
    frames = example_dataset(3, context=context)
    assert frames["locality"]["locality_code"].to_list() == ["AAA", "BBB"]
    assert set(frames["family"]["locality_code"]) == {"AAA", "BBB"}
    assert set(frames["need_observation"]["measure_id"]) == {"M01"}
