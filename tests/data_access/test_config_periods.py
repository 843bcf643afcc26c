"""config/periods.toml: the pooled periods' calendar, validated with a message that names the file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from data_access.config import (
    ConfigError,
    load_pooled_calendar_start,
    load_publish_settings,
    load_quarter_breakdowns,
    resolve_config_dir,
)


def config_with_periods(tmp_path: Path, text: str | None) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(resolve_config_dir(), folder)
    if text is None:
        (folder / "periods.toml").unlink()
    else:
        (folder / "periods.toml").write_text(text, encoding="utf-8")
    return folder


def test_the_shipped_calendar_is_loaded_into_the_publish_settings() -> None:
    assert load_pooled_calendar_start() == "2020/21"
    assert load_publish_settings().pooled_calendar_start == "2020/21"
    assert "periods.toml" in dict(load_publish_settings().method_files)


def test_an_edited_calendar_reaches_the_settings_and_changes_the_method(tmp_path: Path) -> None:
    folder = config_with_periods(tmp_path, 'pooled_periods_start = "2021/22"\n')
    settings = load_publish_settings(folder)
    assert settings.pooled_calendar_start == "2021/22"
    assert dict(settings.method_files)["periods.toml"] != dict(load_publish_settings().method_files)["periods.toml"]


@pytest.mark.parametrize(("text", "message"), [
    (None, "periods.toml is missing"),
    ("", "missing field(s) pooled_periods_start"),
    ('pooled_periods_start = "2020/22"\n', "must be a financial year"),
    ('pooled_periods_start = "2020"\n', "must be a financial year"),
    ("pooled_periods_start = 2020\n", "must be a financial year"),
    ('pooled_periods_start = "2020/21"\nwidth = 4\n', "unknown field(s) width"),
])
def test_a_broken_calendar_is_refused_with_a_clear_message(tmp_path: Path, text: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match="periods.toml") as refused:
        load_pooled_calendar_start(config_with_periods(tmp_path, text))
    assert message in str(refused.value)


def test_quarters_are_not_broken_down_unless_the_file_says_so(tmp_path: Path) -> None:
    assert load_quarter_breakdowns() is False
    assert load_publish_settings().quarter_breakdowns is False
    assert load_quarter_breakdowns(config_with_periods(tmp_path, 'pooled_periods_start = "2020/21"\n')) is False
    folder = config_with_periods(tmp_path / "on", 'pooled_periods_start = "2020/21"\nquarter_breakdowns = true\n')
    assert load_publish_settings(folder).quarter_breakdowns is True


def test_a_quarter_breakdowns_setting_that_is_not_true_or_false_is_refused(tmp_path: Path) -> None:
    folder = config_with_periods(tmp_path, 'pooled_periods_start = "2020/21"\nquarter_breakdowns = "yes"\n')
    with pytest.raises(ConfigError, match="quarter_breakdowns must be true or false"):
        load_quarter_breakdowns(folder)
