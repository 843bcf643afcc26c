"""Identity profiles (linkage/profiles.py): which records are scored once, on hand-made records."""

from __future__ import annotations

import polars as pl

from linkage.profiles import identity_profiles

COLUMNS = ("record_id", "source", "first_name", "surname", "date_of_birth", "postcode", "nhs_number")
RECORDS = pl.DataFrame([
    ("a", "police", "Sarah", "Hardy", "1988-11-03", "DT4 7QE", None),
    ("b", "health", " SARAH", "hardy", "03/11/1988", "dt47qe", None),   # the same identifiers once normalised
    ("c", "police", "Sarah", "Hardy", "1988-11-03", "DT4 7QE", "9434765919"),  # one more identifier: its own
    ("d", "police", None, "Smith", None, "DT1 1AA", None),              # too few identifiers to merge ...
    ("e", "police", None, "Smith", None, "DT1 1AA", None),              # ... with its twin record
    ("f", "health", "Sarah", "Hardy", "1988-11-03", "DT4 7QE", None),   # like a and b, but decided about
    ("g", "police", None, "Smith", None, "DT1 1AA", None),              # written exactly like d: still apart
], schema=list(COLUMNS), orient="row")


def test_identical_well_identified_records_share_a_profile_and_nothing_else_does():
    profiles = identity_profiles(RECORDS, keep_apart=["f"])
    profile = dict(profiles.members.iter_rows())
    assert sorted(profile) == list("abcdefg")
    assert profile["a"] == profile["b"]
    assert len({profile[record] for record in "acdefg"}) == 6
    assert profiles.table.height == 6
    assert profiles.table.get_column("record_id").to_list() == list(range(6))
    assert profiles.representative.to_list()[profile["a"]] == "a"  # the first record stands for the profile
    # each profile row carries its records' identifiers
    row = profiles.table.filter(pl.col("record_id") == profile["c"]).row(0, named=True)
    assert (row["first_name"], row["nhs_number"]) == ("sarah", "9434765919")


def test_pairs_move_between_record_ids_and_profile_numbers():
    profiles = identity_profiles(RECORDS)
    pairs = pl.DataFrame({"record_id_l": ["b", "d"], "record_id_r": ["c", "x-unknown"]})
    numbered = profiles.profile_numbers(pairs, "record_id_l", "record_id_r")
    assert numbered.height == 1  # the pair with an unknown record is dropped
    back = profiles.record_ids(numbered, "record_id_l", "record_id_r")
    assert back.rows() == [("a", "c")]  # b is represented by a, the first record of its profile
