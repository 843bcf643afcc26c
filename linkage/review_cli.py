"""`python -m linkage review --db URL (--export FILE | --import FILE)`: clerical review of uncertain pairs.

--export writes the review queue of the latest `linkage run` side by side (personal data: the file is 0600; keep it
where the partner extracts are kept, and delete it once imported: docs/linkage.md, "Clerical review"). --import
checks every row and stores the decisions (nothing at all when a row is wrong); the next `linkage run` relinks with
them, and every later run keeps them. Exit 0 done, 2 a file that cannot be applied, 1 failure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import inspect

from data_access.engine import linked_db_url, make_engine
from data_access.partner_schema import linkage_review_pair
from linkage.contract import load_partner_contract
from linkage.review import ReviewFileError, import_decisions, review_sheet, write_private_csv

EXIT_BAD_FILE, EXIT_FAILURE = 2, 1


def add_review_command(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser("review", help="export the review queue for an analyst, or import decisions",
                                    description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="database URL (default: FAMILIES_DB_URL or data/families.db)")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--export", type=Path, help="write the uncertain pairs side by side to this CSV file")
    action.add_argument("--import", dest="import_file", type=Path,
                        help="apply the decisions in this CSV file (its decision column: match, not_match or blank)")
    parser.set_defaults(handler=run_review)


def run_review(args: argparse.Namespace) -> int:
    engine = make_engine(args.db or linked_db_url())
    try:
        if not inspect(engine).has_table(linkage_review_pair.name):
            print("linkage review: no linkage has run on this database yet (python -m linkage run first)",
                  file=sys.stderr)
            return EXIT_FAILURE
        if args.export:
            sheet = review_sheet(engine, load_partner_contract())
            write_private_csv(sheet, args.export)
            print(f"linkage review: {sheet.height:,} pair(s) written to {args.export} (personal data: readable by "
                  "you only; delete it once its decisions are imported). Fill in the decision column with match, "
                  "not_match or leave it blank, then: python -m linkage review --import FILE")
            return 0
        summary = import_decisions(engine, args.import_file)
    except ReviewFileError as error:
        print(f"linkage review: {args.import_file}: {error}", file=sys.stderr)
        return EXIT_BAD_FILE
    except Exception as error:  # name the kind only: a driver's message could quote data
        print(f"linkage review failed: {type(error).__name__} (details withheld: they could quote partner data)",
              file=sys.stderr)
        return EXIT_FAILURE
    finally:
        engine.dispose()
    print(f"linkage review: {summary.matches:,} match and {summary.not_matches:,} not_match decision(s) stored, "
          f"{summary.blank:,} row(s) left undecided. Run python -m linkage run to relink with them.")
    return 0
