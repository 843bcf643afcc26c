"""Readable text on chart colours (pages/_contrast.py), against published WCAG figures."""

from __future__ import annotations

import pytest

from pages._charts import COMPARISON_COLOURS
from pages._contrast import BLACK, MINIMUM_CONTRAST, WHITE, contrast_ratio, text_colour_on


@pytest.mark.parametrize(("foreground", "background", "ratio"), [
    (BLACK, WHITE, 21.0),  # the largest contrast there is
    ("#777777", WHITE, 4.48),  # WebAIM's often-quoted grey that just fails AA
    ("#767676", WHITE, 4.54),  # and the darkest grey that passes
    (WHITE, WHITE, 1.0),
])
def test_contrast_ratio_matches_published_wcag_figures(foreground: str, background: str, ratio: float):
    assert contrast_ratio(foreground, background) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(background, foreground) == pytest.approx(ratio, abs=0.01)


def test_text_on_every_comparison_colour_passes_aa():
    for label, colour in COMPARISON_COLOURS.items():
        assert contrast_ratio(text_colour_on(colour), colour) >= MINIMUM_CONTRAST, label


def test_dark_backgrounds_get_white_text_and_light_ones_black():
    assert text_colour_on("#0072B2") == WHITE  # Okabe-Ito blue: white 5.2:1, black 4.0:1
    assert text_colour_on("#D55E00") == BLACK  # vermillion: black 5.2:1, white 4.0:1
    assert text_colour_on("#F0E442") == BLACK
