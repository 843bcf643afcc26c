"""`python -m linkage <command>`: a thin dispatcher; each command lives in its own module.

run    ingest an inbox of partner files, link, and replace the linked tables (linkage/run_cli.py)
pairs  link two files of person records (linkage/pairs_cli.py)
review export the review queue for an analyst, or import their decisions (linkage/review_cli.py)
docs   regenerate the contract tables in docs/partner-data.md from config/partners.toml (linkage/contract_docs.py)
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m linkage", description="Partner data in: ingest and link.")
    commands = parser.add_subparsers(dest="command", required=True)
    from linkage import contract_docs, run_cli
    from linkage.pairs_cli import add_pairs_command
    from linkage.review_cli import add_review_command

    run_cli.add_arguments(commands.add_parser("run", help="ingest, link and load partner data"))
    contract_docs.add_arguments(commands.add_parser("docs", help="regenerate docs/partner-data.md's tables"))
    add_pairs_command(commands)
    add_review_command(commands)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_cli.run_command(args)
    if args.command == "docs":
        return contract_docs.docs_command(args)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
