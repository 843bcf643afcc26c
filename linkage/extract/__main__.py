"""`python -m linkage.extract national-impact-study --db URL --out DIR ...` (linkage/extract/command.py)."""

import sys

from linkage.extract.command import main

if __name__ == "__main__":
    sys.exit(main())
