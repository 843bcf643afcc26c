"""Small seeded synthetic worlds shared by the synthetic tests (generated once per session)."""

from __future__ import annotations

import pytest

from synthetic import SyntheticWorld, generate_world

WORLD_FAMILIES = 3000
WORLD_SEED = 11


@pytest.fixture(scope="session")
def world() -> SyntheticWorld:
    return generate_world(WORLD_FAMILIES, WORLD_SEED)


@pytest.fixture(scope="session")
def world_without_effect() -> SyntheticWorld:
    """The same seed with effect_scale 0: the programme changes nothing."""
    return generate_world(WORLD_FAMILIES, WORLD_SEED, effect_scale=0.0)
