"""config/disclosure.toml: the class-disclosure group size is a checked field of the policy, not a constant."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_access.config import ConfigError, load_disclosure_policy, resolve_config_dir

SHIPPED = (Path(resolve_config_dir()) / "disclosure.toml").read_text(encoding="utf-8")


def _policy_file(tmp_path: Path, text: str) -> Path:
    (tmp_path / "disclosure.toml").write_text(text, encoding="utf-8")
    return tmp_path


def _with_group(text: str, line: str | None) -> str:
    lines = [row for row in text.splitlines() if not row.startswith("class_disclosure_min_group")]
    return "\n".join(lines + ([line] if line else [])) + "\n"


def test_shipped_policy_has_the_class_disclosure_group_size() -> None:
    policy = load_disclosure_policy()
    assert policy.class_disclosure_min_group == 20
    assert policy.class_disclosure_min_group >= 2 * policy.percentage_min_each_side


def test_a_council_can_raise_the_group_size(tmp_path: Path) -> None:
    folder = _policy_file(tmp_path, _with_group(SHIPPED, "class_disclosure_min_group = 30"))
    assert load_disclosure_policy(folder).class_disclosure_min_group == 30


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (None, "missing field(s) class_disclosure_min_group"),
        ("class_disclosure_min_group = 19", "at least 2 x percentage_min_each_side = 20"),
        ("class_disclosure_min_group = 25.5", "whole number"),
        ('class_disclosure_min_group = "20"', "whole number"),
        ("class_disclosure_min_group = true", "whole number"),
    ],
)
def test_a_missing_or_weaker_group_size_is_refused(tmp_path: Path, line: str | None, message: str) -> None:
    folder = _policy_file(tmp_path, _with_group(SHIPPED, line))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_disclosure_policy(folder)
