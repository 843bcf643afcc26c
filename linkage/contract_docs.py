"""docs/partner-data.md's contract tables, generated from config/partners.toml (the declaration is the truth).

The prose of the page is written by hand; everything between the markers below is generated, so the page can
never drift from the contract: `python -m linkage docs` rewrites it and tests/linkage/test_contract_docs.py
fails when the committed page differs from what the contract generates.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from data_access.config import MeasureCatalogue, load_measures
from linkage.contract import PartnerContract, Source, load_partner_contract
from linkage.validation import QUARANTINE_REASONS

BEGIN = "<!-- generated from config/partners.toml by `python -m linkage docs`: do not edit by hand -->"
END = "<!-- end of generated tables -->"
DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "partner-data.md"
TYPE_WORDS = {"text": "text", "name": "name", "date": "date", "code": "code", "integer": "whole number",
              "decimal": "number"}
KIND_WORDS = {"person": "one row per person record", "family": "one row per family", "episode": "one row per episode",
              "episode_need": "one row per need of an episode", "family_review": "one row per family review"}
CODE_LIST_WORDS = {"localities": "a locality code from config/localities.toml",
                   "headline_outcomes": "a headline outcome id from config/measures.toml",
                   "ethnic_groups": "one of the 19 ONS 2021 ethnic groups, exactly as in docs/data-contract.md"}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _allowed(column) -> str:
    parts = []
    if column.codes_from:
        parts.append(CODE_LIST_WORDS[column.codes_from])
    elif column.codes:
        meanings = column.means
        parts.append(", ".join(f"`{code}`" + (f" ({meanings[code] or 'not known'})" if meanings
                                              and meanings.get(code) != code else "") for code in column.codes))
    if column.minimum is not None or column.maximum is not None:
        parts.append(f"{_number(column.minimum)} to {_number(column.maximum)}")
    if column.type in ("text", "name"):
        parts.append(f"at most {column.length} characters")
    if column.type == "date":
        parts.append("date")
    return "; ".join(parts)


def _number(value) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else str(value)


def _rule_sentence(source: Source, rule, measures) -> str:
    measure = measures.by_id(rule.measure)
    conditions = " and ".join(condition.describe() for condition in rule.when) or "every row"
    who = "the family of the person (on the record's date)" if measure.unit == "family" and source.kind == "person" \
        else ("the family" if measure.unit == "family" else "the person")
    if rule.kind == "event":
        return (f"**{measure.id} {measure.label}** ({measure.unit} measure): an event. A row where {conditions} "
                f"counts for {who}, dated by `{rule.date_column}`: the need is present at a key date when such a "
                "row falls in its window.")
    return (f"**{measure.id} {measure.label}** ({measure.unit} measure): an assessment, dated by "
            f"`{rule.date_column}`, for {who}. The latest row in a key date's window decides: need present when "
            f"{conditions}, absent otherwise; no row in the window: absent.")


def _example_csv(source: Source) -> str:
    header = ",".join(column.name for column in source.columns)
    values = [column.example for column in source.columns]
    row = ",".join(f'"{value}"' if "," in value else value for value in values)
    return f"```csv\n{header}\n{row}\n```"


def generated_tables(contract: PartnerContract, measures: MeasureCatalogue) -> str:
    lines = [BEGIN, "", "### The sources at a glance", "",
             "| source | partner | file names | formats | rows | feeds measures |", "|---|---|---|---|---|---|"]
    for source in contract.sources:
        fed = ", ".join(rule.measure for rule in source.rules) or "none (identity, address or case records)"
        lines.append(f"| `{source.id}` | {_cell(source.partner)} | `{source.file_pattern}` | "
                     f"{', '.join(source.formats)} | {KIND_WORDS[source.kind]} | {fed} |")
    lines += ["", "### Which source feeds each measure", "", "| measure | unit | source | rule |", "|---|---|---|---|"]
    for measure in measures.measures:
        rules = contract.rules_for(measure.id)
        if not rules:
            lines.append(f"| {measure.id} {_cell(measure.label)} | {measure.unit} | none | - |")
        for source, rule in rules:
            lines.append(f"| {measure.id} {_cell(measure.label)} | {measure.unit} | `{source.id}` | {rule.kind} |")
    lines += ["", f"Windows look back at most **{contract.lookback_days} days** (`lookback_days`).", ""]
    lines += ["### Quarantine reasons", "", "| reason | a row is quarantined when |", "|---|---|"]
    lines += [f"| `{code}` | {text} |" for code, text in QUARANTINE_REASONS.items()]
    for source in contract.sources:
        lines += ["", f"### `{source.id}`: {source.label}", "",
                  f"{source.description} From: {source.partner}. Files named `{source.file_pattern}` "
                  f"({', '.join(source.formats)}); dates in CSV files written `{source.date_format}`.", "",
                  "| column | meaning | type | required | allowed values | example | used as |",
                  "|---|---|---|---|---|---|---|"]
        for column in source.columns:
            lines.append(f"| `{column.name}` | {_cell(column.description)} | {TYPE_WORDS[column.type]} | "
                         f"{'yes' if column.required else 'no'} | {_cell(_allowed(column))} | "
                         f"{_cell(column.example) if column.example else '(blank)'} | "
                         f"{('`' + column.field + '`') if column.field else '-'} |")
        if source.rules:
            lines += ["", "Need observations:", ""]
            lines += [f"- {_rule_sentence(source, rule, measures)}" for rule in source.rules]
        lines += ["", "Example:", "", _example_csv(source)]
    lines += ["", END]
    return "\n".join(lines)


def render(page: str, contract: PartnerContract, measures: MeasureCatalogue) -> str:
    """The page with its generated part replaced (the markers must be there)."""
    start, end = page.index(BEGIN), page.index(END) + len(END)
    return page[:start] + generated_tables(contract, measures) + page[end:]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is out of date, without writing")


def docs_command(args: argparse.Namespace) -> int:
    page = DOCS_PATH.read_text(encoding="utf-8")
    fresh = render(page, load_partner_contract(), load_measures())
    if args.check:
        return 0 if fresh == page else 1
    DOCS_PATH.write_text(fresh, encoding="utf-8")
    print(f"wrote {DOCS_PATH}")
    return 0
