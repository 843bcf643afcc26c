"""Generated identifiers always validate, and the validators catch what they should (property-based)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.config import load_localities
from data_access.identifiers import (
    is_valid_nhs_number,
    is_valid_ni_number,
    is_valid_postcode,
    is_valid_upn,
    postcode_district,
)
from synthetic.identifiers import (
    NI_PREFIXES,
    generate_nhs_numbers,
    generate_ni_numbers,
    generate_postcodes,
    generate_upns,
    upn_la_codes,
)

seeds = st.integers(min_value=0, max_value=2**32 - 1)
FAST = settings(deadline=None, max_examples=40)


@FAST
@given(seeds)
def test_generated_nhs_numbers_are_valid_distinct_and_in_english_ranges(seed):
    values = generate_nhs_numbers(np.random.default_rng(seed), 300).to_list()
    assert all(is_valid_nhs_number(value) for value in values)
    assert len(set(values)) == len(values)
    assert all(400 <= int(value[:3]) <= 499 or 600 <= int(value[:3]) <= 799 for value in values)


@FAST
@given(seeds, st.integers(0, 9), st.integers(1, 9))
def test_any_single_digit_substitution_in_an_nhs_number_is_detected(seed, position, shift):
    value = generate_nhs_numbers(np.random.default_rng(seed), 1)[0]
    changed = value[:position] + str((int(value[position]) + shift) % 10) + value[position + 1:]
    assert changed != value
    assert not is_valid_nhs_number(changed)


@FAST
@given(seeds)
def test_generated_ni_numbers_are_valid_and_avoid_administrative_prefixes(seed):
    values = generate_ni_numbers(np.random.default_rng(seed), 300).to_list()
    assert all(is_valid_ni_number(value) for value in values)
    assert not {value[:2] for value in values} & {"OO", "CR", "FY", "MW", "NC"}
    assert len({value[:8] for value in values}) == len(values)


def test_ni_prefix_list_is_exactly_the_valid_non_administrative_prefixes():
    assert all(is_valid_ni_number(f"{prefix}000000A") for prefix in NI_PREFIXES)
    assert len(NI_PREFIXES) == 20 * 19 - 7 - 3  # minus unused BG GB KN NK NT TN ZZ and administrative CR MW NC


@FAST
@given(seeds, st.floats(0, 1))
def test_generated_upns_are_valid_distinct_and_carry_dorset_la_codes(seed, temporary_share):
    rng = np.random.default_rng(seed)
    issued = np.datetime64("2012-09-01") + rng.integers(0, 14 * 365, 400).astype("timedelta64[D]")
    values = generate_upns(rng, issued, rng.integers(2000, 2003, 400), temporary_share=temporary_share).to_list()
    assert all(is_valid_upn(value) for value in values)
    assert len(set(values)) == len(values)
    expected_la = np.where(issued < np.datetime64("2019-04-01"), "835", "838")
    assert [value[1:4] for value in values] == expected_la.tolist()
    assert [value[8:10] for value in values] == [str(day.astype("datetime64[Y]"))[2:4] for day in issued]


def test_upn_la_code_changes_on_1_april_2019():
    days = np.array(["2019-03-31", "2019-04-01"], dtype="datetime64[D]")
    assert upn_la_codes(days).tolist() == [835, 838]


def test_some_upns_are_temporary_when_asked():
    values = generate_upns(np.random.default_rng(1), np.full(200, np.datetime64("2020-09-01")),
                           np.full(200, 2100), temporary_share=0.5).to_list()
    temporary = [value for value in values if value[-1].isalpha()]
    assert 50 < len(temporary) < 150
    assert all(is_valid_upn(value) for value in temporary)


@FAST
@given(seeds)
def test_generated_postcodes_are_valid_and_in_the_district_asked_for(seed):
    rng = np.random.default_rng(seed)
    localities = load_localities()
    locality = rng.integers(0, len(localities), 200)
    districts = [localities[i].postcode_districts[rng.integers(0, len(localities[i].postcode_districts))]
                 for i in locality]
    postcodes = generate_postcodes(rng, np.array(districts)).to_list()
    assert all(is_valid_postcode(postcode) for postcode in postcodes)
    assert [postcode_district(postcode) for postcode in postcodes] == districts
    assert all(postcode_district(postcode) in localities[i].postcode_districts
               for postcode, i in zip(postcodes, locality, strict=True))


def test_a_nearly_full_school_year_still_gets_distinct_upns_and_a_full_one_is_refused():
    """990 pupils of one school and year: redrawing alone would take many rounds; the free serials finish it."""
    rng = np.random.default_rng(4)
    values = generate_upns(rng, np.full(990, np.datetime64("2021-09-01")), np.full(990, 2345)).to_list()
    assert len(set(values)) == 990 and all(is_valid_upn(value) for value in values)
    with pytest.raises(ValueError, match="1001 pupils share school 2345"):
        generate_upns(rng, np.full(1001, np.datetime64("2021-09-01")), np.full(1001, 2345))
