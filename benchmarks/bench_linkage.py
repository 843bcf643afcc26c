"""Time the person linkage at scale (target: about a million partner records linked in <= 120 s with ingest,
<= 4 GB; a month's 10,000 new records against the existing million in <= 10 s).

    .venv/bin/python benchmarks/bench_linkage.py [--families 100000] [--new 10000] [--seed 1] [--extracts]

The records are those `linkage run` gives the linker from synthetic partner extracts (--extracts: the extracts are
written and ingested first), or made by tests/linkage/messy_people.py. Stages timed: identity profiles (normalising),
training on the configured sample (training_sample_size), linking every record with the stored model (profiles,
scoring, clustering, review queue) in this process and in a fresh one (its peak memory is the linkage's alone), and
incremental linking of --new records against the rest (with and without their normalised form kept). Wall and CPU
seconds (time.process_time of this process; DuckDB's threads count in it) and the peak resident memory are printed,
and pairwise precision/recall against the planted truth. Figures go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl  # noqa: E402

from data_access.engine import make_engine  # noqa: E402
from data_access.staging import read_staged  # noqa: E402
from linkage.config import load_linkage_config  # noqa: E402
from linkage.contract import load_partner_contract  # noqa: E402
from linkage.incremental import link_new_records  # noqa: E402
from linkage.ingest import ingest_inbox, staged_tables  # noqa: E402
from linkage.normalise import normalise_people  # noqa: E402
from linkage.person_linking import link_people, train_model  # noqa: E402
from linkage.person_records import person_records  # noqa: E402
from linkage.profiles import identity_profiles  # noqa: E402
from synthetic import generate_world  # noqa: E402
from synthetic.partner_extracts import write_partner_extracts  # noqa: E402
from tests.linkage.messy_people import messy_person_records, pairwise_quality  # noqa: E402


def peak_memory_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def timed(label: str, function, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    print(
        f"{label:<52} wall {time.perf_counter() - wall:7.1f} s   cpu {time.process_time() - cpu:7.1f} s   "
        f"peak rss {peak_memory_gb():4.1f} GB",
        flush=True,
    )
    return result


def link_in_fresh_process(records: pl.DataFrame, model_json: str) -> None:
    """Link again in a new process that holds only the records and the model: its peak memory is the linkage's."""
    with tempfile.TemporaryDirectory() as folder:
        records.write_parquet(Path(folder) / "records.parquet")
        (Path(folder) / "model.json").write_text(model_json)
        subprocess.run([sys.executable, __file__, "--link-only", folder], check=True)


def link_only(folder: Path) -> None:
    records = pl.read_parquet(folder / "records.parquet")
    model_json = (folder / "model.json").read_text()
    timed("fresh process: read records, link with the model", link_people, records, model_json=model_json)


def partner_extract_records(families: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Person records as `linkage run` gives them to the linker: synthetic partner extracts, ingested into a
    temporary SQLite file; and their truth (record_id, person_id) for the quality line."""
    with tempfile.TemporaryDirectory() as folder:
        inbox = Path(folder) / "inbox"
        write_partner_extracts(generate_world(families, seed), inbox)
        engine = make_engine(f"sqlite:///{Path(folder) / 'staged.db'}")
        contract = load_partner_contract()
        ingest_inbox(engine, inbox, contract)
        records = person_records(contract, {source: read_staged(engine, table)
                                            for source, table in staged_tables(contract).items()})
        engine.dispose()
        truth = pl.read_csv(inbox / "truth" / "records.csv", infer_schema=False).filter(
            pl.col("person_key").is_not_null()).select("record_id", pl.col("person_key").alias("person_id"))
    return records, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=10_000, help="records held back and linked incrementally")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--extracts", action="store_true",
                        help="link the person records of synthetic partner extracts (as linkage run does) instead of "
                             "tests/linkage/messy_people.py's")
    parser.add_argument("--link-only", type=Path, help=argparse.SUPPRESS)  # child process: see link_in_fresh_process
    arguments = parser.parse_args()
    if arguments.link_only:
        link_only(arguments.link_only)
        return
    config = load_linkage_config()
    load = os.getloadavg()[0]
    print(f"{platform.node()}: {os.cpu_count()} cores, load {load:.1f}, python {platform.python_version()}")

    if arguments.extracts:
        records, truth = timed("synthetic partner extracts, ingested", partner_extract_records, arguments.families,
                               arguments.seed)
    else:
        people = timed("generate messy records", messy_person_records, arguments.families, arguments.seed)
        records, truth = people.records, people.truth
    print(f"{records.height:,} records of {truth.get_column('person_id').n_unique():,} people")

    profiles = timed("normalise into identity profiles", identity_profiles, records)
    print(f"{profiles.table.height:,} identity profiles")
    model = timed(f"train on a sample of {min(config.training_sample_size, profiles.table.height):,} profiles",
                  train_model, profiles.table, config)
    model_json = json.dumps(model)
    links = timed("link all records with the stored model", link_people, records, model_json=model_json)
    link_in_fresh_process(records, model_json)
    print("quality against the planted truth:", pairwise_quality(links.clusters, truth),
          f"review queue {links.review_pairs.height:,} pairs")

    is_new = pl.Series([index % (records.height // arguments.new) == 0 for index in range(records.height)])
    new, existing = records.filter(is_new).head(arguments.new), records.filter(~is_new)
    before = timed(f"link {existing.height:,} existing records", link_people, existing, model_json=model_json)
    timed(f"incremental: {new.height:,} new against {existing.height:,}", link_new_records, new, existing,
          before.clusters, model_json=model_json)
    existing_normalised = normalise_people(existing)
    timed("incremental, existing records normalised before", link_new_records, new, existing, before.clusters,
          model_json=model_json, existing_normalised=existing_normalised)


if __name__ == "__main__":
    main()
