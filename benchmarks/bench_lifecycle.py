"""Time the data's life cycle at scale: the national impact study extract, a retention listing, an erasure.

    .venv/bin/python benchmarks/bench_lifecycle.py [--families 20000] [--partner-families 5000] [--seed 1]

1. A synthetic linked database of --families families (SQLite, loaded directly): the extract built, written to CSV
   and encrypted with age in memory (read, build, package timed apart; sizes printed), identified and pseudonymised.
2. The same database: a retention listing as of a day that expires about half the families (the deletions run and
   are rolled back).
3. --partner-families families sent as partner files, ingested and linked with the truth stand-in: finding one
   person among every staged record (normalising them all) and erasing them (one transaction, VACUUM), no republish.
Wall and CPU seconds (time.process_time of this process) and the peak resident memory are printed; the figures go
into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl  # noqa: E402
import pyrage  # noqa: E402
from pyrage import x25519  # noqa: E402

from data_access.config import load_measures  # noqa: E402
from data_access.engine import make_engine  # noqa: E402
from data_access.extract_reads import read_extract_inputs  # noqa: E402
from data_access.loader import load_linked_data  # noqa: E402
from data_access.retention import run_retention  # noqa: E402
from data_access.retention_schedule import load_retention_schedule  # noqa: E402
from linkage.contract import load_partner_contract  # noqa: E402
from linkage.erasure import erase, find_person  # noqa: E402
from linkage.erasure_register import council_key  # noqa: E402
from linkage.extract.national_impact_study import build_extract  # noqa: E402
from linkage.extract.package import csv_bytes, manifest, tar_bytes  # noqa: E402
from linkage.run_cli import main as linkage_run  # noqa: E402
from synthetic import generate_world  # noqa: E402
from synthetic.partner_extracts import write_partner_extracts  # noqa: E402
from tests.linkage.standin_linkers import truth_linker  # noqa: E402


def peak_memory_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def timed(label: str, function, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    print(f"{label:<58} wall {time.perf_counter() - wall:7.2f} s   cpu {time.process_time() - cpu:7.2f} s   "
          f"peak rss {peak_memory_gb():4.1f} GB", flush=True)
    return result


def package(tables, recipient) -> bytes:
    files = {name: csv_bytes(frame) for name, frame in tables.as_files().items()}
    content = manifest(files, {name: frame.height for name, frame in tables.as_files().items()}, {"bench": True})
    archive = tar_bytes({"manifest.json": str(content).encode(), **files}, datetime.now())
    return pyrage.encrypt(archive, [recipient])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=20000)
    parser.add_argument("--partner-families", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{platform.python_version()} on {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    catalogue = load_measures()
    recipient = x25519.Identity.generate().to_public()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'linked.db'}"
        engine = make_engine(url)
        world = generate_world(args.families, args.seed)
        load_linked_data(engine, world)
        print(f"{args.families:,} families, {world['person_identifier'].height:,} people, "
              f"{world['need_observation'].height:,} observations")
        inputs = timed("extract: read the linked tables (identifiers included)", read_extract_inputs, engine)
        tables = timed("extract: build the layout (identified)", build_extract, inputs, catalogue)
        print(f"  rows: {', '.join(f'{name} {frame.height:,}' for name, frame in tables.as_files().items())}")
        encrypted = timed("extract: CSV, tar and age-encrypt in memory", package, tables, recipient)
        print(f"  encrypted size {len(encrypted) / 1e6:.1f} MB")
        timed("extract: build the layout (pseudonymised, HMAC tokens)", build_extract, inputs, catalogue,
              token_key=bytes(range(32)))
        schedule = load_retention_schedule()
        listing = timed("retention: listing as of 2032-06-01 (rolled back)", run_retention, engine, schedule,
                        date(2032, 6, 1), apply=False, operator="bench")
        families = listing.types[[t.record_type.id for t in listing.types].index("linked_families")].counts
        print(f"  past their date: {families.get('family', 0):,} families, {families.get('person_identifier', 0):,} "
              f"people, {families.get('need_observation', 0):,} observations")
        engine.dispose()

        inbox = Path(folder) / "inbox"
        partner_world = generate_world(args.partner_families, args.seed + 1)
        summary = write_partner_extracts(partner_world, inbox)
        partner_url = f"sqlite:///{Path(folder) / 'partner.db'}"
        timed(f"partner data: linkage run, truth stand-in ({summary.total_records:,} rows)", linkage_run,
              ["--inbox", str(inbox), "--db", partner_url, "--synthetic"],
              link_people=truth_linker(summary.truth_path))
        os.environ.setdefault("FAMILIES_ERASURE_KEY", "42" * 32)
        partner_engine = make_engine(partner_url)
        person = partner_world["person_identifier"].filter(pl.col("nhs_number").is_not_null()).row(0, named=True)
        request = pl.DataFrame([{"person_id": 0, "nhs_number": person["nhs_number"]}]).with_columns(
            *(pl.lit(None, dtype=pl.String).alias(name) for name in (
                "given_name", "family_name", "date_of_birth", "postcode", "ni_number", "upn")))
        contract = load_partner_contract()
        found = timed("erasure: find one person among every staged record", find_person, partner_engine,
                      contract, request, council_key())
        print(f"  {len(found.person_ids)} person, {found.record_count} records")
        timed("erasure: erase (one transaction), no republish", erase, partner_engine, contract, request,
              operator="bench", all_matches=False)
        partner_engine.dispose()


if __name__ == "__main__":
    main()
