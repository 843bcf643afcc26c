"""Command line of the national impact study extract (docs/national-extract.md).

    python -m linkage.extract national-impact-study --db URL --out DIR
        (--recipient AGE_PUBLIC_KEY | --recipient-file FILE | --no-encryption)
        [--pseudonymised (--token-key-file FILE | --token-key-env NAME)] [--operator NAME]

Runs on the pipeline host as the linked data's owner (there is no sign-in on the command line): it refuses the
published tier and the dashboard's reader role. Writes the extract encrypted to the recipient's age public key
(never an unencrypted byte on disk when a key is given), logs it in extract_log (who, when, rows, digests), and
prints counts and digests only. Exit status 0 on success, 1 on failure, 2 for a wrong command line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from data_access.config import ConfigError, benchmark_name, load_measures
from data_access.engine import linked_db_url
from data_access.extract_reads import NotPrivateTier, open_private_tier, read_extract_inputs
from data_access.lifecycle_log import ExtractRecord, operator_name, record_extract
from data_access.lifecycle_schema import LifecycleStoreError
from linkage.extract.national_impact_study import EXTRACT_NAME, LAYOUT_VERSION, build_extract
from linkage.extract.package import (
    RecipientKeyError,
    csv_bytes,
    manifest,
    read_recipients,
    remove_output,
    write_encrypted,
    write_plain,
)
from linkage.extract.tokens import TokenKeyError, key_id, read_key
from linkage.secret_keys import QuietArgumentParser

EXIT_OK, EXIT_FAILURE = 0, 1


def build_parser() -> argparse.ArgumentParser:
    parser = QuietArgumentParser(prog="python -m linkage.extract", description=__doc__.splitlines()[0],
                                     allow_abbrev=False)
    extracts = parser.add_subparsers(dest="extract", required=True)
    study = extracts.add_parser(EXTRACT_NAME, help="the national impact study extract (docs/national-extract.md)",
                                allow_abbrev=False)
    study.add_argument("--db", default=None, help="the linked database, as its owner (default: FAMILIES_DB_URL)")
    study.add_argument("--out", type=Path, required=True, help="folder the extract is written to")
    keys = study.add_mutually_exclusive_group(required=True)
    keys.add_argument("--recipient", action="append", default=[], metavar="AGE_PUBLIC_KEY",
                      help="the recipient's age public key (age1...); may be repeated")
    keys.add_argument("--recipient-file", type=Path, help="a file of age public keys, one per line")
    keys.add_argument("--no-encryption", action="store_true",
                      help="write plain CSV files (0600, in a 0700 folder): for checks on the pipeline host only")
    study.add_argument("--pseudonymised", action="store_true",
                       help="keyed HMAC-SHA256 tokens in place of the identifiers (needs the recipient's token key)")
    token_key = study.add_mutually_exclusive_group()
    token_key.add_argument("--token-key-file", type=Path, help="file holding the recipient's token key (hex)")
    token_key.add_argument("--token-key-env", metavar="NAME",
                           help="name of the environment variable holding the token key (hex)")
    study.add_argument("--operator", default=None, help="who runs the extract (default: the operating-system user)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    has_token_key = args.token_key_file is not None or args.token_key_env is not None
    if args.pseudonymised != has_token_key:
        parser.error("--pseudonymised needs --token-key-file or --token-key-env, and they need --pseudonymised")
    try:
        result = run_national_impact_study(args)
    except (NotPrivateTier, RecipientKeyError, TokenKeyError, ConfigError, LifecycleStoreError,
            FileExistsError) as error:
        print(f"extract failed: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:  # anything else: its kind only (a driver's message could quote data)
        print(f"extract failed: {type(error).__name__} (details withheld: they could quote personal data)",
              file=sys.stderr)
        return EXIT_FAILURE
    print(result)
    return EXIT_OK


def run_national_impact_study(args: argparse.Namespace) -> str:
    """Build, write and log the extract; returns the summary printed (counts and digests only)."""
    recipients = None if args.no_encryption else read_recipients(recipient=args.recipient,
                                                                 recipient_file=args.recipient_file)
    token_key = read_key(key_file=args.token_key_file, key_env=args.token_key_env) if args.pseudonymised else None
    url = args.db or linked_db_url()
    engine = open_private_tier(url)
    try:
        inputs = read_extract_inputs(engine)
        tables = build_extract(inputs, load_measures(), token_key=token_key)
        created_at = datetime.now(UTC).replace(microsecond=0)
        files = {name: csv_bytes(frame) for name, frame in tables.as_files().items()}
        rows = {name: frame.height for name, frame in tables.as_files().items()}
        mode = "pseudonymised" if token_key is not None else "identified"
        facts: dict[str, object] = {
            "extract": EXTRACT_NAME, "layout_version": LAYOUT_VERSION, "mode": mode, "council": benchmark_name(),
            "data_as_of": inputs.data_as_of.isoformat(),
            "is_synthetic": inputs.info.get("is_synthetic", "false").lower() == "true",
            "created_at": created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if token_key is not None:
            facts["tokens"] = {"algorithm": "HMAC-SHA256", "key_id": key_id(token_key),
                               "normalisation": f"docs/national-extract.md, layout version {LAYOUT_VERSION}"}
        content = manifest(files, rows, facts)
        name = f"{EXTRACT_NAME}_{inputs.data_as_of.isoformat()}_{created_at:%Y%m%dT%H%M%SZ}"
        if recipients is None:
            written = write_plain(args.out, name, files, content)
        else:
            written = write_encrypted(args.out, name, files, content, recipients, created_at)
        del files
        record = ExtractRecord(
            extract=EXTRACT_NAME, created_at=created_at.replace(tzinfo=None), operator=operator_name(args.operator),
            mode=mode, encrypted=recipients is not None,
            recipient=None if recipients is None else "\n".join(str(recipient) for recipient in recipients),
            token_key_id=None if token_key is None else key_id(token_key), data_as_of=inputs.data_as_of,
            row_counts=rows, output_path=written.path.resolve(), output_sha256=written.sha256,
            manifest_sha256=written.manifest_sha256)
        try:
            extract_id = record_extract(engine, record, tables.person_ids)
        except LifecycleStoreError:
            remove_output(written.path)  # an extract that is not logged must not exist
            raise
    finally:
        engine.dispose()
    counts = ", ".join(f"{name} {count:,} rows" for name, count in rows.items())
    how = "encrypted to the recipient's key" if recipients is not None else "NOT encrypted (pipeline host only)"
    return (f"{EXTRACT_NAME} ({mode}, {how}): {counts}\n"
            f"written to {written.path} (sha256 {written.sha256})\n"
            f"logged as extract {extract_id} by {record.operator}")
