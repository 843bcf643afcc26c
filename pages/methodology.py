"""Methodology & privacy: the measures catalogue, disclosure rules, lawful basis and retention, data status."""

from __future__ import annotations

import polars as pl
import streamlit as st

from pages._access import log_download
from pages._downloads import DATASET_FILE, MIME, dataset_files, kept, tables_for_pages
from pages._layout import SYMBOL_MEANINGS, page_header
from pages._published import (
    privacy_notice,
    publication_info,
    published_revisions,
    published_table,
    require_page,
    settings,
)
from pages._views import revisions_summary

role = require_page("methodology")
page_header("Methodology and privacy", "What each number means, how it is protected, and how personal data are used.")

config = settings()
catalogue = config.measures
policy = config.policy
info = publication_info()
privacy = privacy_notice()
outcome_label = {outcome.id: outcome.label for outcome in catalogue.headline_outcomes}

st.header("The twelve measures")
st.info(catalogue.list_statement)
table = pl.DataFrame(
    [
        {
            "Id": m.id, "Measure": m.label, "Headline outcome": outcome_label[m.headline_outcome],
            "Unit counted": m.unit, "Population": m.population, "Need present when": m.definition,
            "Numerator": m.numerator, "Denominator": m.denominator, "Source": m.source,
            "Polarity": "Higher % improved / sustained is better", "Caveats": m.caveats,
        }
        for m in catalogue.measures
    ]
)
st.dataframe(table, hide_index=True, key="catalogue")
st.download_button("Download the measures catalogue (CSV)", table.write_csv(), file_name="measures-catalogue.csv",
                   mime="text/csv", key="catalogue-download", on_click=log_download,
                   args=("methodology", "measures-catalogue.csv"))
st.markdown(
    f"""
**Who is counted.** For each measure, the people or families who had the need in the six months before support
began (the latest record on or before that date). A person measure counts people whose age on that date is within
the measure's age range; a person whose date of birth is not recorded is counted. The same rule decides who is in the
impact comparison.

**Improved**: the need was no longer present at the six-month review (182 days after support began), or at closure
if support ended before then. Only records up to that point count: a later record, such as the 12-month check used
for the impact estimate, does not change it. Of those who have reached their review, the share improved.

**Sustained**: improved, without the need when support ended, and without it at every check in the six months after
(the Supporting Families rule). Of those whose support ended at least six months ago, the share sustained.

**Maturing years**: figures are by the financial year support began. A year is complete once it has ended and at
least 95% of its people and families are due (reviewed, for "improved"; six months after closure, for "sustained").
Until then it is marked maturing, with the share due so far, it is not compared with Dorset, and it is not part of a
trend: its figures rest on the cases that were quickest to close.

**Pooled periods**: besides single years, figures are shown for three-year periods ("2023/24-2025/26": the latest
three complete years added together, and the three years before them), so that localities and small groups show a
figure more often. A locality's breakdowns (sex, age, ethnic group and so on) are shown for three-year periods only.

**Percentages** are worked out from the published, rounded counts. Where the result could be more than 2.5
percentage points from the exact percentage (small numbers), it is marked **[u]** (low reliability).

**Confidence intervals**: Wilson score intervals at {policy.confidence_level}%, computed from the published
(rounded) counts. **Comparison with Dorset**: better or worse when Dorset's value lies outside a locality's
interval, similar when inside; "better" follows the figure shown (a higher share improved is better, a higher share
still with the need is worse). A comparison is not shown for a maturing year, or when the rounding of the counts
could change it.

**Trends**: chi-square test for trend over the last five complete years, at 99.8% rather than
{policy.confidence_level}%: every publication tests about 170 trends, and at {policy.confidence_level}% some would show
a "trend" by chance alone. A trend is reported only if leaving out any one year does not reverse its direction.
"""
)

st.header("How we protect people's privacy in these figures")
st.markdown(
    f"""
- Every figure counts distinct people or families, never events.
- A count of 0 is shown as 0. Counts from 1 to {policy.threshold - 1} are not shown: they appear as **[c]**.
- Every other count is rounded to the nearest {policy.rounding_base}.
- A percentage is shown only when at least {policy.percentage_min_each_side} people or families are on each side of it
  (in the group and not in it); otherwise it is **[c]**. A 0% of a group smaller than
  {policy.class_disclosure_min_group} is hidden too, because it would say something about everyone in that group.
- Where a hidden number could be worked out by subtracting other figures (for example from a total and the other
  localities or categories), further figures are hidden as well, and every publication is checked by a computer
  "attacker" that tries to work hidden numbers out from everything published.
- Breakdowns are available one at a time (never combined), from a fixed set of tables.
"""
)
st.markdown("\n".join(f"- **{symbol}**: {meaning}" for symbol, meaning in SYMBOL_MEANINGS.items()))

st.header("Personal data: purposes, lawful basis and retention")
st.markdown("\n".join(f"- {purpose}" for purpose in privacy["purposes"]))
st.markdown(f"**Our promise:** {privacy['promise']}")
st.dataframe(pl.DataFrame(privacy["lawful_basis"]).rename({"data": "Data", "basis": "Lawful basis"}),
             hide_index=True, key="lawful-basis")
st.dataframe(pl.DataFrame(privacy["retention"]).rename({"record": "Record", "period": "Kept for"}), hide_index=True,
             key="retention")
st.markdown(f"{privacy['sharing']['government']} {privacy['sharing']['access']}")

st.header("About these data")
synthetic = info.get("is_synthetic") == "true"
st.markdown(
    f"""
- **Status:** {privacy['status']['statistics']}
- **Data up to:** {info.get('data_as_of', 'unknown')}; **published:** {info.get('published_at', 'unknown')}.
- **Data:** {'synthetic (made up for demonstration)' if synthetic else 'linked records from partner agencies'}.
- **Maintained by:** {privacy['status']['maintainer']}. {privacy['status']['errors']}
"""
)

st.header("What changed since the last edition")
revisions = published_revisions()
edition = info.get("edition", "?")
if revisions.is_empty():
    st.info(f"Edition {edition}: no figure published in an earlier edition has been revised (this is the first "
            "edition, or the figures have not changed).")
else:
    st.markdown(
        f"Edition {edition} (data up to {info.get('data_as_of', 'unknown')}) revises {revisions.height:,} figures "
        f"published in edition {revisions['previous_edition'][0]}. **New data**: the period was still open, or the "
        "figure counts reviews and sustainment checks that keep arriving after the period ends. **Late records**: a "
        "count that is fixed once its period is over (families attached, closed or open at the end; units with the "
        "need at baseline) changed because records dated in that period arrived late or were corrected. "
        "**Change of method**: the disclosure policy or the measures' definitions changed. Figures that are new in "
        "this edition (a new quarter, say) are not revisions."
    )
    st.dataframe(revisions_summary(revisions).rename({"table": "Published table", "all": "all reasons"}),
                 hide_index=True, key="revisions-summary")
    st.caption("Numbers of revised figures, not of people. Every value here is a published figure of one of the two "
               "editions (docs/disclosure.md, \"Refreshes\").")
    every = "every table"
    chosen = st.selectbox("Revised figures of", [every, *sorted(revisions["table"].unique().to_list())],
                          key="revisions-table")
    shown = revisions if chosen == every else revisions.filter(pl.col("table") == chosen)
    shown = shown.drop("edition", "previous_edition")
    st.dataframe(shown, hide_index=True, key="revisions-rows")
    st.download_button("Download these revised figures (CSV)", shown.write_csv(),
                       file_name=f"revisions-edition-{edition}.csv", mime="text/csv", key="revisions-download",
                       on_click=log_download, args=("methodology", f"revisions-edition-{edition}.csv"))

st.header("Download the published statistics")
visible_tables = tables_for_pages(role.pages)
st.write("Every published figure of the pages you may open, one sheet per table, with a cover sheet of dates, "
         "rules, symbols and definitions. Numbers are stored as numbers; each percentage sits beside the published "
         "counts it is made of. The file is made when you click: the Excel file in a few seconds, the OpenDocument "
         "file (for LibreOffice and other open-standard software) in up to a few minutes.")


def whole_dataset(extension: str) -> bytes:
    """The whole dataset the role may see in one format, built on the first click and kept for the edition."""
    key = (info.get("edition_digest"), info.get("published_at"), tuple(visible_tables), extension)
    return kept(key, lambda: dataset_files(info, {name: published_table(name) for name in visible_tables},
                                           formats=(extension,)))[extension]


dataset_columns = st.columns(2)
for column, (extension, label) in zip(dataset_columns, (("xlsx", "Excel"), ("ods", "OpenDocument")), strict=True):
    name = DATASET_FILE.removesuffix(".xlsx") + f".{extension}"
    column.download_button(f"Download all published statistics, {label} (.{extension})",
                           lambda extension=extension: whole_dataset(extension), file_name=name, mime=MIME[extension],
                           key=f"dataset-{extension}", on_click=log_download, args=("methodology", name))
