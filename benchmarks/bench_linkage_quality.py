"""Linkage quality against the planted truth, over several seeds (the figures in docs/linkage.md).

    .venv/bin/python benchmarks/bench_linkage_quality.py [--families 20000] [--seeds 20240401,1,2] [--thresholds ...]

For each seed: synthetic partner extracts -> the whole `linkage run` on SQLite (the real person linker, trained on
the data) -> pairwise person precision/recall, family B-cubed F1, the spread between groups of the share of records
linked to another record of their person (tests/linkage/test_quality_at_scale.py holds the same checks for one seed),
the review queue and the run's wall and CPU seconds. --thresholds relinks the same staged records with the trained
model at other automatic-link thresholds (persons only: clustering and queue, no families).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl  # noqa: E402

from data_access.config import load_breakdowns, load_localities, load_measures  # noqa: E402
from data_access.engine import make_engine  # noqa: E402
from data_access.staging import latest_model_json, read_staged  # noqa: E402
from linkage.config import load_linkage_config  # noqa: E402
from linkage.contract import load_partner_contract  # noqa: E402
from linkage.evaluation import (  # noqa: E402
    b_cubed,
    family_assignments,
    found_rates,
    pairwise,
    person_assignments,
    world_groups,
)
from linkage.ingest import staged_tables  # noqa: E402
from linkage.person_linking import link_people  # noqa: E402
from linkage.person_records import person_records  # noqa: E402
from linkage.run import run  # noqa: E402
from synthetic import generate_world  # noqa: E402
from synthetic.partner_extracts import write_partner_extracts  # noqa: E402
from tests.linkage.conftest import read_linked  # noqa: E402
from tests.linkage.standin_linkers import read_truth  # noqa: E402


def spread(rates: pl.DataFrame) -> float:
    values = rates.get_column("rate")
    return float(values.max() - values.min()) if values.len() else float("nan")


def one_seed(families: int, seed: int, folder: Path, thresholds: list[float]) -> None:
    world = generate_world(families, seed)
    write_partner_extracts(world, folder / "inbox")
    engine = make_engine(f"sqlite:///{folder / 'linked.db'}")
    wall, cpu = time.perf_counter(), time.process_time()
    report = run(engine, folder / "inbox", load_partner_contract(), link_people,
                 measures=load_measures(), localities=load_localities(), is_synthetic=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    tables = read_linked(engine)
    truth = read_truth(folder / "inbox" / "truth" / "records.csv")
    people = person_assignments(truth, tables["record_link"])
    persons = pairwise(people, "predicted", "true")
    family = b_cubed(family_assignments(truth, tables["record_link"], tables["family_member"]), "predicted", "true")
    groups = world_groups(world["person_identifier"], world.data_as_of, load_breakdowns())
    spreads = {by: spread(found_rates(people, groups, by)) for by in ("sex", "age_band", "ethnic_group")}
    print(f"seed {seed}: {report.linked['rows']['record_link']:,} person records; precision {persons.precision:.5f} "
          f"recall {persons.recall:.5f}; family B-cubed F1 {family.f1:.4f} (P {family.precision:.4f}, "
          f"R {family.recall:.4f}); spreads sex {spreads['sex']:.4f} age {spreads['age_band']:.4f} "
          f"ethnic {spreads['ethnic_group']:.4f}; review queue {report.linked['review_pairs']:,}, ambiguous "
          f"{report.linked['ambiguous_records']:,}; linkage run {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    if thresholds:
        contract = load_partner_contract()
        records = person_records(contract, {source: read_staged(engine, table)
                                            for source, table in staged_tables(contract).items()})
        model = latest_model_json(engine)
        for threshold in thresholds:
            config = dataclasses.replace(load_linkage_config(), auto_link_probability=threshold)
            links = link_people(records, model_json=model, config=config)
            assigned = links.clusters.rename({"person_key": "predicted"}).join(
                people.select("record_id", "true"), on="record_id")
            scores = pairwise(assigned, "predicted", "true")
            print(f"  threshold {threshold}: precision {scores.precision:.5f} recall {scores.recall:.5f} "
                  f"review queue {links.review_pairs.height:,}", flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument("--seeds", default="20240401,1,2")
    parser.add_argument("--thresholds", default="", help="comma-separated automatic-link thresholds to compare")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {args.families:,} families; "
          f"auto_link_probability {load_linkage_config().auto_link_probability}")
    thresholds = [float(value) for value in args.thresholds.split(",") if value]
    for seed in (int(value) for value in args.seeds.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            one_seed(args.families, seed, Path(folder), thresholds)


if __name__ == "__main__":
    main()
