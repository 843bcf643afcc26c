"""The Splink model of a person: comparisons, blocking rules and the training recipe, for every backend.

Why one module: DuckDB (embedded, the default), Spark (beyond one machine) and the two-file `pairs` linker must
score pairs with the same model, so the settings are built here once, from Splink's dialect-neutral comparison
library and plain SQL that both DuckDB and Spark accept. The columns are those of linkage.normalise.

Training recipe (Fellegi-Sunter, Splink's method). EM alone collapses on this data (the prior runs to 1), so the
prior and u are fixed first and EM estimates only m:
1. the prior (probability two random records match) from deterministic rules and an assumed recall;
2. u by random sampling of record pairs (almost all random pairs are non-matches);
3. m by EM, in two sessions with different blocking, so every comparison is estimated in one of them.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from typing import Any

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

from linkage.config import LinkageConfig

SPLINK_LOGGERS = ("splink",)


class _ExpectedTrainingNotices(logging.Filter):
    """Drops Splink's warnings about what training is expected to meet: a level EM never saw among matches (its m is
    floored: with_probability_floor) and a blocking probe with no pairs (EM then uses every pair). A council's
    analyst running `linkage run` cannot act on them; every other warning still shows."""

    EXPECTED = ("not observed in dataset, unable to train m value", "Probe returned zero blocked pairs")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(text in message for text in self.EXPECTED)


_NOTICE_FILTER = _ExpectedTrainingNotices()
_NOTICE_LOGGERS = ("splink.internals.expectation_maximisation", "splink.internals.em_sampling")
"""Where those notices are logged (a filter on a parent logger does not see its children's records)."""


def quiet_splink_logging() -> None:
    """Splink logs progress at INFO, and some of its messages could quote SQL or values: keep it to WARNING."""
    for name in SPLINK_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _NOTICE_LOGGERS:
        logger = logging.getLogger(name)
        if _NOTICE_FILTER not in logger.filters:
            logger.addFilter(_NOTICE_FILTER)


def duckdb_api(config: LinkageConfig) -> DuckDBAPI:
    """Splink's DuckDB backend on an in-memory database capped at config.duckdb_memory_limit.

    DuckDB otherwise plans to use 80% of the machine's memory; capped, it spills to a private temporary folder
    instead (the linkage target is <= 4 GB for a million records, and the process holds the records too); the
    folder is removed with the connection.
    """
    connection = duckdb.connect(":memory:")
    connection.execute(f"SET memory_limit = '{config.duckdb_memory_limit}'")
    connection.execute("SET preserve_insertion_order = false")
    # What DuckDB spills is personal data: into a private folder (0700), not ".tmp" in the working directory.
    spill = tempfile.mkdtemp(prefix="linkage-duckdb-")
    connection.execute(f"SET temp_directory = '{spill}'")
    api = DuckDBAPI(connection)
    weakref.finalize(api, shutil.rmtree, spill, ignore_errors=True)
    return api


def _names_swapped(this_side: str, other_side: str) -> cll.CustomLevel:
    """First name written as surname (or the reverse), a common clerical error: symmetric in the two records."""
    mirror = {"first_name_l": "first_name_r", "surname_r": "surname_l", "surname_l": "surname_r",
              "first_name_r": "first_name_l"}
    return cll.CustomLevel(
        f"({this_side} = {other_side} OR {mirror[this_side]} = {mirror[other_side]})",
        label_for_charts="First name and surname swapped",
    )


def _first_name_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="first_name",
        comparison_description="First name: exact (term-frequency adjusted), close spelling, nickname, similar",
        comparison_levels=[
            cll.NullLevel("first_name"),
            cll.ExactMatchLevel("first_name").configure(tf_adjustment_column="first_name", tf_adjustment_weight=1.0),
            cll.JaroWinklerLevel("first_name", 0.92),
            cll.ArrayIntersectLevel("first_name_forms", min_intersection=1).configure(
                label_for_charts="Nickname of the same name"
            ),
            _names_swapped("first_name_l", "surname_r"),
            cll.JaroWinklerLevel("first_name", 0.8),
            cll.ElseLevel(),
        ],
    )


def _surname_and_residence_comparison() -> cl.CustomComparison:
    """Surname, postcode and address as one comparison, because in households they agree together.

    Scored separately, a sibling or a twin at the same address would collect the surname's weight and the
    address's weight as if they were independent evidence (they are not: people at one address nearly always
    share a surname), and a same-name father and son would link. As one comparison, "same surname at the same
    address" gets the weight it has in the data: strong, but household-strength, not person-strength.
    """
    surname_same = cll.ExactMatchLevel("surname")
    surname_close = cll.Or(cll.JaroWinklerLevel("surname", 0.92), _names_swapped("surname_l", "first_name_r"))
    both_same = cll.And(cll.ExactMatchLevel("postcode"), cll.ExactMatchLevel("address"))
    one_same = cll.Or(cll.ExactMatchLevel("postcode"), cll.ExactMatchLevel("address"))
    close = cll.Or(
        cll.JaroWinklerLevel("address", 0.9),
        cll.DamerauLevenshteinLevel("postcode", 1),
        cll.ExactMatchLevel("postcode_sector"),
    )
    unknown = cll.CustomLevel(
        "(postcode_l IS NULL OR postcode_r IS NULL) AND (address_l IS NULL OR address_r IS NULL)",
        label_for_charts="No residence to compare",
    )

    def labelled(level, label: str, *, term_frequency: bool = False):
        level = level.configure(label_for_charts=label)
        if term_frequency:
            level = level.configure(tf_adjustment_column="surname", tf_adjustment_weight=1.0)
        return level

    return cl.CustomComparison(
        output_column_name="surname_residence",
        comparison_description="Surname with postcode and address",
        comparison_levels=[
            cll.And(cll.NullLevel("surname"), unknown).configure(is_null_level=True),
            labelled(cll.And(surname_same, both_same), "Same surname, postcode and address", term_frequency=True),
            labelled(cll.And(surname_same, one_same), "Same surname, postcode or address", term_frequency=True),
            labelled(cll.And(surname_close, one_same), "Close surname, same postcode or address"),
            labelled(cll.And(surname_same, close), "Same surname, close address or postcode"),
            labelled(cll.And(surname_same, unknown), "Same surname, residence unknown", term_frequency=True),
            labelled(surname_same, "Same surname, different residence", term_frequency=True),
            labelled(both_same, "Same postcode and address, surname differs or missing"),
            labelled(one_same, "Same postcode or address, surname differs or missing"),
            labelled(surname_close, "Close surname, different residence"),
            labelled(close, "Close address or postcode"),
            labelled(cll.JaroWinklerLevel("surname", 0.8), "Similar surname"),
            cll.ElseLevel(),
        ],
    )


def _middle_name_comparison() -> cl.CustomComparison:
    initial_only = cll.CustomLevel(
        "substr(middle_name_l, 1, 1) = substr(middle_name_r, 1, 1) "
        "AND (length(middle_name_l) = 1 OR length(middle_name_r) = 1)",
        label_for_charts="One is the initial of the other",
    )
    return cl.CustomComparison(
        output_column_name="middle_name",
        comparison_description="Middle name: exact, close spelling, initial",
        comparison_levels=[
            cll.NullLevel("middle_name"),
            cll.ExactMatchLevel("middle_name"),
            cll.JaroWinklerLevel("middle_name", 0.88),
            initial_only,
            cll.ElseLevel(),
        ],
    )


def _date_of_birth_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="Date of birth: exact, day and month swapped, one character, same year",
        comparison_levels=[
            cll.NullLevel("date_of_birth"),
            cll.ExactMatchLevel("date_of_birth"),
            cll.CustomLevel(
                "date_of_birth_l = dob_day_month_swapped_r", label_for_charts="Day and month swapped"
            ),
            cll.DamerauLevenshteinLevel("date_of_birth", 1),
            cll.ExactMatchLevel("birth_year").configure(label_for_charts="Same year of birth"),
            cll.ElseLevel(),
        ],
    )


def _surname_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="surname",
        comparison_description="Surname: exact (term-frequency adjusted), close spelling, similar",
        comparison_levels=[
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname").configure(tf_adjustment_column="surname", tf_adjustment_weight=1.0),
            cll.JaroWinklerLevel("surname", 0.92),
            _names_swapped("surname_l", "first_name_r"),
            cll.JaroWinklerLevel("surname", 0.8),
            cll.ElseLevel(),
        ],
    )


def _residence_comparison() -> cl.CustomComparison:
    """Postcode and address together: members of one household share both, so scoring them as two independent
    comparisons would count the same evidence twice and link siblings and parents to each other."""
    postcode_same = cll.ExactMatchLevel("postcode")
    address_same = cll.ExactMatchLevel("address")
    address_close = cll.JaroWinklerLevel("address", 0.9)
    return cl.CustomComparison(
        output_column_name="residence",
        comparison_description="Postcode and address: both, either, close, same area",
        comparison_levels=[
            cll.And(cll.NullLevel("postcode"), cll.NullLevel("address")).configure(is_null_level=True),
            cll.And(postcode_same, address_same).configure(label_for_charts="Same postcode and address"),
            cll.And(postcode_same, address_close).configure(label_for_charts="Same postcode, close address"),
            cll.ExactMatchLevel("address").configure(label_for_charts="Same address, postcode differs or missing"),
            cll.ExactMatchLevel("postcode").configure(label_for_charts="Same postcode, address differs or missing"),
            cll.JaroWinklerLevel("address", 0.9).configure(label_for_charts="Close address"),
            cll.DamerauLevenshteinLevel("postcode", 1).configure(label_for_charts="Postcode one character off"),
            cll.ExactMatchLevel("postcode_sector").configure(label_for_charts="Same postcode sector"),
            cll.ArrayIntersectLevel("address_tokens", min_intersection=3).configure(
                label_for_charts="Three address words in common"
            ),
            cll.ExactMatchLevel("postcode_district").configure(label_for_charts="Same postcode district"),
            cll.ElseLevel(),
        ],
    )


def comparisons(*, with_uk_identifiers: bool = True) -> list:
    """One comparison per identifier, for partner data (with_uk_identifiers) or the two-file linker.

    Partner data: surname, postcode and address are one household-aware comparison (see
    _surname_and_residence_comparison), plus NI number and UPN. The two-file linker scores surname and residence
    separately (it links one-to-one, so a sibling rarely beats the person themself, and on FEBRL dataset 4 the
    separate comparisons keep more heavily corrupted true pairs: F1 0.9993 against 0.990 with the joint one).
    """
    if with_uk_identifiers:
        names_and_places = [_surname_and_residence_comparison()]
    else:
        names_and_places = [_surname_comparison(), _residence_comparison()]
    shared = [
        _first_name_comparison(),
        _middle_name_comparison(),
        *names_and_places,
        _date_of_birth_comparison(),
        cl.ExactMatch("sex"),
        cl.ExactMatch("nhs_number"),
    ]
    if with_uk_identifiers:
        shared += [cl.ExactMatch("ni_number"), cl.ExactMatch("upn")]
    return shared


def prediction_blocking_rules(*, with_uk_identifiers: bool = True) -> list:
    """Which pairs are scored at all: any one rule admits a pair, so together they bound recall.

    Each rule leaves out at least one identifier that a real error can change (a move changes the postcode,
    marriage the surname, a typo the date of birth), so a person with one error is still compared. The last
    rule catches a mistyped year of birth after a move; "same first name, surname and sex" did too, but at a
    million records it generated 5.4 million of the 9.1 million scored pairs, for 0.3% more recall.
    For partner data "same surname and postcode" also needs the same first letter of the first name: on its own it
    compares everyone in a household with everyone else (70% of the candidate pairs at 20,000 families), and the
    letter cut scoring time by a third for 0.0001 less recall (docs/linkage.md). The two-file linker keeps the wider
    rule (FEBRL's heavily corrupted records need it).
    """
    household = (block_on("surname", "postcode", "substr(first_name, 1, 1)") if with_uk_identifiers
                 else block_on("surname", "postcode"))
    rules = [
        block_on("nhs_number"),
        block_on("date_of_birth", "surname"),
        block_on("date_of_birth", "first_name"),
        block_on("date_of_birth", "postcode"),
        block_on("first_name", "surname", "birth_year"),
        household,
        block_on("first_name", "postcode"),
        block_on("first_name", "surname", "birth_month_day"),
    ]
    if with_uk_identifiers:
        rules[1:1] = [block_on("ni_number"), block_on("upn")]
    return rules


BROAD_BLOCKING_KEYS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("first_name", "surname"), ("surname", "first_name")),
    (("date_of_birth",), ("date_of_birth",)),
    (("postcode",), ("postcode",)),
    (("surname",), ("surname",)),
    (("first_name",), ("first_name",)),
    (("first_name", "surname"), ("first_name", "surname")),
    (("address",), ("address",)),
)
"""Single-key rules (left columns equal to right columns) that reach records with several identifiers wrong at
once; the first pairs names written the wrong way round. The two-file linker adds each one only while it
generates few enough pairs (linkage.pairs.affordable_broad_rules): on a million records "same surname" alone
would score billions of pairs."""


def broad_blocking_rule(left: tuple[str, ...], right: tuple[str, ...]):
    if left == right:
        return block_on(*left)
    return CustomRule(" AND ".join(f"l.{a} = r.{b}" for a, b in zip(left, right, strict=True)))


def deterministic_rules(*, with_uk_identifiers: bool = True) -> list:
    """Rules that admit almost no false links, used only to estimate the prior."""
    rules = [block_on("nhs_number"), block_on("first_name", "surname", "date_of_birth")]
    if with_uk_identifiers:
        rules.append(block_on("ni_number"))
    return rules


def em_blocking_rules(*, with_uk_identifiers: bool = True) -> list:
    """EM sessions: the first estimates m for everything but date of birth, the second for the rest.

    With NHS numbers the second session blocks on them: pairs sharing an NHS number are nearly all true matches,
    whereas pairs sharing first name and surname include fathers and sons with the same name at one address,
    whose different dates of birth would teach EM that true matches often disagree on date of birth.
    """
    second = block_on("nhs_number") if with_uk_identifiers else block_on("first_name", "surname")
    return [block_on("date_of_birth"), second]


def settings(link_type: str, *, with_uk_identifiers: bool = True, extra_blocking_rules: list | None = None
             ) -> SettingsCreator:
    rules = prediction_blocking_rules(with_uk_identifiers=with_uk_identifiers) + list(extra_blocking_rules or [])
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="record_id",
        comparisons=comparisons(with_uk_identifiers=with_uk_identifiers),
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
        em_convergence=0.001,
    )


def train(linker: Linker, config: LinkageConfig, *, with_uk_identifiers: bool = True) -> dict[str, Any]:
    """Train the linker's model as the module docstring says; returns the trained settings (Splink JSON)."""
    quiet_splink_logging()
    training = linker.training
    training.estimate_probability_two_random_records_match(
        deterministic_rules(with_uk_identifiers=with_uk_identifiers), recall=config.deterministic_rules_recall
    )
    training.estimate_u_using_random_sampling(max_pairs=config.u_sample_pairs, seed=config.seed)
    for blocking_rule in em_blocking_rules(with_uk_identifiers=with_uk_identifiers):
        training.estimate_parameters_using_expectation_maximisation(
            blocking_rule, max_pairs=config.em_max_pairs
        )
    return with_probability_floor(linker.misc.save_model_to_json())


M_PROBABILITY_FLOOR = 0.001
"""Smallest m a level may have. EM drives the m of a level it never sees among matches (e.g. two different NHS
numbers) to zero, and log2(0) would make one disagreement veto every other identifier: a floor keeps the weights
finite, so a true match with one wrong identifier can still link on the rest."""
U_PROBABILITY_FLOOR = 1e-9
"""u comes from random pairs and is legitimately tiny for strong evidence (two records sharing an NHS number by
chance: about one in the number of people); it is only kept off zero, for a level random sampling never saw."""


def with_probability_floor(model: dict[str, Any]) -> dict[str, Any]:
    """The model with every trained m raised to at least M_PROBABILITY_FLOOR and u to U_PROBABILITY_FLOOR (each
    comparison's m and u renormalised).

    A level EM never saw among matches has no m at all (Splink leaves it out of the JSON, and on loading falls back
    to a default that gives, e.g., "dates of birth in the same year but different" a weight of only -1): such a
    level gets the floor, because "never seen among true matches" is what the data said. A level seen neither among
    matches nor in the random pairs (e.g. middle-name initials in data that have none) keeps Splink's defaults.
    """
    for comparison in model["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        trained = [level for level in levels
                   if level.get("m_probability") is not None or level.get("u_probability") is not None]
        for parameter, floor in (("m_probability", M_PROBABILITY_FLOOR), ("u_probability", U_PROBABILITY_FLOOR)):
            if all(level.get(parameter) is None for level in trained):
                continue
            raised = [max(level.get(parameter) or 0.0, floor) for level in trained]
            total = sum(raised)
            for level, value in zip(trained, raised, strict=True):
                level[parameter] = value / total
    return model


def model_in_dialect(model: dict[str, Any], sql_dialect: str, *, with_uk_identifiers: bool = True) -> dict[str, Any]:
    """A trained model rewritten for another SQL backend (e.g. "spark"): the same comparisons and blocking rules,
    written in that dialect, carrying the trained prior and every level's m and u.

    Why: Splink stores a model as SQL text in the dialect it was trained in (DuckDB quotes identifiers with
    double quotes, which Spark reads as string literals), so the parameters move, not the SQL.
    """
    fresh = settings(model["link_type"], with_uk_identifiers=with_uk_identifiers).create_settings_dict(sql_dialect)
    trained = {comparison["output_column_name"]: comparison for comparison in model["comparisons"]}
    for comparison in fresh["comparisons"]:
        source_levels = trained[comparison["output_column_name"]]["comparison_levels"]
        if len(source_levels) != len(comparison["comparison_levels"]):
            raise ValueError(f"The stored model's {comparison['output_column_name']} comparison has other levels.")
        for level, source in zip(comparison["comparison_levels"], source_levels, strict=True):
            for key in ("m_probability", "u_probability"):
                if key in source:
                    level[key] = source[key]
    fresh["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    return fresh
