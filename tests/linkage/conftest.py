"""Shared fixtures: small synthetic worlds written as partner extracts (once per session), and helpers."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select

from data_access.bulk import read_frame
from data_access.schema import LINKED_TABLES_IN_LOAD_ORDER
from synthetic import generate_world
from synthetic.partner_errors import ExtractSettings
from synthetic.partner_extracts import write_partner_extracts

FAMILIES = 250
SEED = 4242


@dataclass(frozen=True)
class Extracts:
    world: object
    directory: Path

    @property
    def truth_csv(self) -> Path:
        return self.directory / "truth" / "records.csv"

    def inbox_copy(self, target: Path, names: list[str] | None = None) -> Path:
        """A copy of the extracts (only `names` when given, truth left out) in a new inbox folder."""
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.directory.iterdir()):
            if path.is_file() and (names is None or any(path.name.startswith(name) for name in names)):
                shutil.copy(path, target / path.name)
        return target


@pytest.fixture(scope="session")
def clean_extracts(tmp_path_factory: pytest.TempPathFactory) -> Extracts:
    """Extracts with no identifier errors: the records -> observations rule alone."""
    world = generate_world(FAMILIES, SEED)
    directory = tmp_path_factory.mktemp("clean_extracts")
    write_partner_extracts(world, directory, settings=ExtractSettings.clean())
    return Extracts(world, directory)


@pytest.fixture(scope="session")
def messy_extracts(tmp_path_factory: pytest.TempPathFactory) -> Extracts:
    """Extracts with the default planted errors."""
    world = generate_world(FAMILIES, SEED + 1)
    directory = tmp_path_factory.mktemp("messy_extracts")
    write_partner_extracts(world, directory)
    return Extracts(world, directory)


def read_linked(engine: Engine) -> dict[str, pl.DataFrame]:
    with engine.connect() as connection:
        return {table.name: read_frame(connection, select(table)) for table in LINKED_TABLES_IN_LOAD_ORDER}
