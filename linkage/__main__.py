"""`python -m linkage <command>`: a thin dispatcher; each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import sys

from linkage.pairs_cli import add_pairs_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m linkage", description="Link partner data about people.")
    subcommands = parser.add_subparsers(dest="command", required=True)
    add_pairs_command(subcommands)
    arguments = parser.parse_args(argv)
    return arguments.handler(arguments)


if __name__ == "__main__":
    sys.exit(main())
