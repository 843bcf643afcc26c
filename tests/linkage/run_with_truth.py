"""`python tests/linkage/run_with_truth.py TRUTH_CSV <linkage run arguments>`: the real command with the truth
stand-in linker, for tests that need a separate process (killing a run part-way). Tests only."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from linkage.run_cli import main  # noqa: E402
from tests.linkage.standin_linkers import truth_linker  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[2:], link_people=truth_linker(Path(sys.argv[1]))))
