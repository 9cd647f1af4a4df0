"""The analyst palette: 24 colours, far apart for every reader, readable under text, and a
second cue (the border) where colour-blind readers would confuse two fills."""
import re

import pytest

from argmap import palette, style
from argmap.render import analyst_border, analyst_palette


def test_oklab_and_contrast_match_published_values():
    # OKLab of sRGB white and red (Ottosson's reference values) and WCAG's extreme contrast
    assert palette.oklab("#FFFFFF") == pytest.approx([1.0, 0.0, 0.0], abs=1e-4)
    assert palette.oklab("#FF0000") == pytest.approx([0.62796, 0.22486, 0.12585], abs=1e-4)
    assert palette.contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    # a red and a green of equal lightness look alike to a deuteranope, not to everyone else
    red, green = "#D05050", "#6A9A2A"
    assert palette.min_distance([red, green], "normal") > 2.5 * palette.min_distance([red, green], "deuteranopia")


def test_twenty_four_distinct_colours_each_with_a_border():
    colors = style.ANALYST_COLORS
    assert len(colors) >= 24
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colors)
    assert len(set(colors)) == len(colors)
    assert {b for _, b in style.ANALYST_PALETTE} <= set(style.ANALYST_BORDERS)


def test_colours_are_far_apart_and_readable():
    colors = style.ANALYST_COLORS
    # 0.02 in OKLab is about a just-noticeable difference: every two fills are 3x that apart
    assert palette.min_distance(colors, "normal") >= 0.06
    for vision in palette.VISIONS[1:]:
        assert palette.min_distance(colors, vision) >= 0.03, vision
    # the fills whose colours come closest for some reader differ in border (the second cue)
    borders = [b for _, b in style.ANALYST_PALETTE]
    assert palette.min_distance_same_border(colors, borders) > palette.min_distance(colors)
    for c in colors:
        assert palette.contrast(c, style.TEXT_COLOR) >= 6.0, c
        assert palette.min_distance([c, style.BACKGROUND], "normal") >= 0.05, c  # never the page white


def test_borders_are_what_the_script_assigns():
    colors = list(style.ANALYST_COLORS)
    assert [b for _, b in style.ANALYST_PALETTE] == palette.assign_borders(colors, style.ANALYST_BORDERS)


def test_twenty_analysts_of_a_map_all_differ():
    names = [f"Analyst {i:02d}" for i in range(24)]
    fills = analyst_palette(names)
    assert len(set(fills.values())) == 24
    # past 24 the colours repeat with another border: colour and border never both shared
    more = analyst_palette(names + [f"Zed {i:02d}" for i in range(72)])
    pairs = {(more[a], analyst_border(more, a)) for a in more}
    assert len(pairs) == 96
