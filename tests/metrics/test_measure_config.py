"""Adding a thirteenth measure is a change to config/measures.toml only."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from data_access.config import ConfigError, load_measures
from tests.metrics.linked_fixture import hand_linked
from tests.shipped_config import shipped_true_cells

CONFIG = Path(__file__).resolve().parents[2] / "config"
THIRTEENTH = """
[[measure]]
id = "M13"
label = "Young carer without support"
short_label = "Young carers"
headline_outcome = "health"
unit = "person"
min_age = 5
max_age = 17
population = "Children aged 5 to 17 in supported families"
definition = "A young carer with no carer's assessment or support."
numerator = "Young carers with support in place at the follow-up review or closure."
denominator = "Young carers without support when support began."
source = "Young carers service"
polarity = "higher_is_better"
caveats = "Many young carers are not known to services."
"""


def test_a_thirteenth_measure_needs_only_the_config_file(tmp_path: Path):
    shutil.copytree(CONFIG, tmp_path, dirs_exist_ok=True)
    with (tmp_path / "measures.toml").open("a", encoding="utf-8") as handle:
        handle.write(THIRTEENTH)
    catalogue = load_measures(tmp_path)
    assert [m.id for m in catalogue.measures][-1] == "M13"
    cells = shipped_true_cells(hand_linked(), catalogue)
    m13 = cells.filter(pl.col("measure") == "M13")
    assert m13.height > 0
    assert set(m13["breakdown"].unique()) >= {"none", "sex", "age_band", "ethnic_group"}  # a person measure
    assert (m13["true_value"] == 0).all()  # nobody in the fixture has it


def test_a_measure_with_an_unknown_headline_outcome_is_refused_with_its_id(tmp_path: Path):
    shutil.copytree(CONFIG, tmp_path, dirs_exist_ok=True)
    with (tmp_path / "measures.toml").open("a", encoding="utf-8") as handle:
        handle.write(THIRTEENTH.replace('headline_outcome = "health"', 'headline_outcome = "weather"'))
    with pytest.raises(ConfigError, match="M13.*weather"):
        load_measures(tmp_path)
