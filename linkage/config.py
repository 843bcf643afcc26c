"""Loading config/linkage.toml: the thresholds and training sizes of the person linkage.

Why a file: where an automatic link ends and clerical review starts is a council's decision (it trades analysts'
time against wrong links), so it lives in config a council can edit, validated here with the file and field named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from data_access.config import ConfigError, _build, read_config_file


@dataclass(frozen=True)
class LinkageConfig:
    auto_link_probability: float
    review_floor: float
    training_sample_size: int
    u_sample_pairs: int
    deterministic_rules_recall: float
    em_max_pairs: int
    seed: int
    pairs_one_to_one_floor: float
    duckdb_memory_limit: str

    def __post_init__(self) -> None:
        if not 0 < self.review_floor <= self.auto_link_probability < 1:
            raise ConfigError(
                "linkage.toml: need 0 < review_floor <= auto_link_probability < 1 "
                f"(got {self.review_floor} and {self.auto_link_probability})."
            )
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)?\s*(MB|GB|MiB|GiB)", self.duckdb_memory_limit):
            raise ConfigError("linkage.toml: duckdb_memory_limit must look like \"2GB\" or \"1500MB\".")
        if not 0 < self.pairs_one_to_one_floor < 1:
            raise ConfigError("linkage.toml: pairs_one_to_one_floor must be in (0, 1).")
        if not 0 < self.deterministic_rules_recall <= 1:
            raise ConfigError("linkage.toml: deterministic_rules_recall must be in (0, 1].")
        if min(self.training_sample_size, self.u_sample_pairs, self.em_max_pairs) <= 0:
            raise ConfigError("linkage.toml: training_sample_size, u_sample_pairs and em_max_pairs must be positive.")


@cache
def load_linkage_config(config_dir: Path | None = None) -> LinkageConfig:
    return _build(LinkageConfig, read_config_file("linkage.toml", config_dir), "linkage.toml")
