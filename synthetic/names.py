"""Name pools for synthetic people, taken once from Faker's en_GB person provider and sampled with numpy.

Calling Faker once per record is slow (about 11 s per 100,000 people); drawing from small fixed pools
with the world's seeded numpy Generator is fast and fully determined by the seed.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from faker.providers.person.en_GB import Provider as EnglishPersonProvider


@cache
def name_pools() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Pools as (names, sampling probabilities): "female", "male" given names and "surname"."""

    def uniform(names) -> tuple[np.ndarray, np.ndarray]:
        unique = np.array(sorted(set(names)))
        return unique, np.full(len(unique), 1 / len(unique))

    surnames = EnglishPersonProvider.last_names
    surname_array = np.array(list(surnames.keys()))
    weights = np.array(list(surnames.values()), dtype=np.float64)
    return {
        "female": uniform(EnglishPersonProvider.first_names_female),
        "male": uniform(EnglishPersonProvider.first_names_male),
        "surname": (surname_array, weights / weights.sum()),
    }


def draw_names(rng: np.random.Generator, pool: str, n: int) -> np.ndarray:
    names, probabilities = name_pools()[pool]
    return names[rng.choice(len(names), size=n, p=probabilities)]
