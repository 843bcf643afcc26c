"""Build a complete synthetic linked database: python -m synthetic --families N --seed S --db URL.

Replaces any linked tables already in the database (in one transaction, through data_access.loader).
With --partner-extracts DIR it writes the same world as the files partners would send (and DIR/truth/) instead;
add --db as well to load the database too.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from data_access.engine import linked_db_url, make_engine
from data_access.loader import LoadError, load_linked_data
from synthetic.partner_extracts import write_partner_extracts
from synthetic.world import DEFAULT_DATA_AS_OF, generate_world


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=5000, help="eligible families (default 5000)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--db", default=None, help="database URL (default: FAMILIES_DB_URL or data/families.db)")
    parser.add_argument("--effect-scale", type=float, default=1.0,
                        help="multiplies the planted programme effects; 0 = the programme changes nothing")
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_DATA_AS_OF,
                        help=f"data extract date YYYY-MM-DD (default {DEFAULT_DATA_AS_OF})")
    parser.add_argument("--partner-extracts", type=Path, default=None, metavar="DIR",
                        help="write partner extract files and DIR/truth/records.csv (docs/partner-data.md)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    url = args.db or linked_db_url()
    started = time.perf_counter()
    try:
        world = generate_world(args.families, args.seed, effect_scale=args.effect_scale, data_as_of=args.as_of)
    except ValueError as error:
        print(f"Cannot generate: {error}", file=sys.stderr)
        return 2
    generated = time.perf_counter()
    if args.partner_extracts is not None:
        summary = write_partner_extracts(world, args.partner_extracts)
        print(f"Partner extracts: {len(summary.files)} files, {summary.total_records:,} records -> "
              f"{args.partner_extracts} (truth in {summary.truth_path}); world generated in "
              f"{generated - started:.2f} s, extracts written in {summary.seconds:.2f} s.")
        if args.db is None:
            return 0
        generated = time.perf_counter()
    engine = make_engine(url)
    try:
        counts = load_linked_data(engine, world, loaded_at=datetime.now(UTC))
    except LoadError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    loaded = time.perf_counter()
    print(
        f"Synthetic Dorset: {counts['family']:,} families, {counts['person_identifier']:,} people, "
        f"{counts['need_observation']:,} observations (seed {args.seed}, effect scale {args.effect_scale:g}, "
        f"as of {args.as_of}) -> {engine.url.render_as_string(hide_password=True)}; "
        f"generated in {generated - started:.2f} s, loaded in {loaded - generated:.2f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
