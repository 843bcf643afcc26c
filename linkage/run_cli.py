"""Command line of `python -m linkage run --inbox DIR --db URL [--report FILE] [--as-of DATE] [--synthetic]`.

Prints one line per file and a summary, writes the JSON report when asked, and exits 0 (all clean), 3 (rows
quarantined or files rejected) or 1 (failure). Failures are reported by kind, never with a value from a file or
a database driver's message (which can quote a row).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from data_access.config import ConfigError, load_localities, load_measures
from data_access.engine import linked_db_url, make_engine
from data_access.loader import LoadError
from data_access.staging import StagingError
from linkage.contract import load_partner_contract
from linkage.run import EXIT_FAILURE, LinkPeople, RunFailure, run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inbox", type=Path, required=True, help="folder of partner files (sub-folders ignored)")
    parser.add_argument("--db", default=None, help="database URL (default: FAMILIES_DB_URL or data/families.db)")
    parser.add_argument("--report", type=Path, default=None, help="write the JSON report to this file")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                        help="data extract date YYYY-MM-DD (default: the oldest of the sources' latest extracts)")
    parser.add_argument("--synthetic", action="store_true", help="label the linked data as synthetic")


def _default_linker() -> LinkPeople:
    try:
        from linkage.person_linking import link_people
    except ImportError as error:
        raise RunFailure("The person linker (linkage/person_linking.py) is not part of this build.") from error
    return link_people


def main(argv: Sequence[str] | None = None, *, link_people: LinkPeople | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m linkage run", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run_command(parser.parse_args(argv), link_people=link_people)


def run_command(args: argparse.Namespace, *, link_people: LinkPeople | None = None) -> int:
    engine = make_engine(args.db or linked_db_url())
    try:
        contract = load_partner_contract()
        report = run(engine, args.inbox, contract, link_people or _default_linker(), measures=load_measures(),
                     localities=load_localities(), data_as_of=args.as_of, is_synthetic=args.synthetic)
    except (ConfigError, FileNotFoundError, RunFailure, StagingError) as error:
        print(f"linkage run failed: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except LoadError as error:
        print(f"linkage run failed: the linked tables were not replaced ({len(error.problems)} problem(s)):\n"
              + "\n".join(f"- {problem}" for problem in error.problems), file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:  # anything else: name its kind only (its message could quote data)
        print(f"linkage run failed: {type(error).__name__} (details withheld: they could quote partner data)",
              file=sys.stderr)
        return EXIT_FAILURE
    finally:
        engine.dispose()
    for line in report.files:
        counts = f"{line.rows_read:,} read, {line.rows_accepted:,} accepted, {line.rows_quarantined:,} quarantined"
        print(f"{line.status:>14}  {line.file}  [{line.source or '-'}]  {counts}"
              + (f"  ({line.reason})" if line.reason else ""))
    linked = report.linked
    if linked.get("status") == "loaded":
        rows = linked["rows"]
        print(f"linked tables replaced: {rows['person_identifier']:,} people, {rows['family']:,} families, "
              f"{rows['need_observation']:,} observations, {rows['record_link']:,} records linked")
        if linked.get("review_pairs"):
            print(f"review queue: {linked['review_pairs']:,} uncertain pair(s) for an analyst: "
                  "python -m linkage review --export FILE")
    else:
        print(f"linked tables: {linked.get('status')}")
    if report.seconds:
        phases = ", ".join(f"{name} {times['wall']:.1f}" for name, times in report.seconds.items())
        cpu = sum(times["cpu"] for times in report.seconds.values())
        print(f"seconds (wall): {phases}; CPU {cpu:.1f} in all")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report.as_json(), indent=2, default=str) + "\n", encoding="utf-8")
    return report.exit_code
