"""A seeded synthetic Dorset with planted, known programme effects (`python -m synthetic`).

Use `generate_world(n_families, seed)` for frames in memory, or the CLI to build a database.
docs/synthetic-data.md describes the model.
"""

from synthetic.world import DEFAULT_DATA_AS_OF, GENERATOR_VERSION, SyntheticWorld, Truth, generate_world

__all__ = ["DEFAULT_DATA_AS_OF", "GENERATOR_VERSION", "SyntheticWorld", "Truth", "generate_world"]
