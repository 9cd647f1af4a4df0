"""Choose argmap's analyst palette: 24 light fills, as far apart as possible for every reader.

    .venv/bin/python scripts/make_palette.py          # prints the palette and its distances

Candidates are the sRGB colours on a 6-bit grid that black text (style.TEXT_COLOR) reads on at
a contrast of at least MIN_CONTRAST (WCAG) and that are not near-grey. Starting from Paul Tol's
light blue, the script adds, one at a time, the candidate whose *smallest* distance to the colours
already chosen is largest (farthest-point order, so any first k colours are spread as well as
the greedy rule allows). Distance is OKLab distance, taken as the minimum over normal vision and
simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009, severity 1): a colour is
only far from another if it is far for everyone. 24 light colours cannot all be told apart by a
reader with no red-green vision, so each colour also gets a border style (style.ANALYST_BORDERS),
chosen here so that the colours that stay closest under colour-blindness differ in border, and
every map names the analyst in text as well.

The output is pasted into style.ANALYST_PALETTE; tests/test_palette.py checks the shipped values
against the same measures (argmap.palette).
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argmap import palette, style  # noqa: E402

N = 24
MIN_CONTRAST = 6.0  # text on fill; WCAG AA is 4.5, AAA 7
MIN_CHROMA = 0.04  # OKLab chroma: not grey (grey is for unknown analysts and the legend) ...
MAX_CHROMA = 0.14  # ... nor loud: fills under text stay soft
LIGHTNESS = (0.72, 0.94)  # OKLab L: light fills, none near white (the page)
CVD_WEIGHT = 1.6  # a colour-blind view counts this much more: borders and names carry the rest
SEED = "#77AADD"  # Tol's light blue, the palette's first colour since argmap began


def candidates() -> list[str]:
    levels = range(0, 256, 4)
    out = []
    for r, g, b in itertools.product(levels, levels, levels):
        hx = f"#{r:02X}{g:02X}{b:02X}"
        if palette.contrast(hx, style.TEXT_COLOR) < MIN_CONTRAST:
            continue
        lab = palette.oklab(hx)
        if not MIN_CHROMA <= float(np.hypot(lab[1], lab[2])) <= MAX_CHROMA or not LIGHTNESS[0] <= lab[0] <= LIGHTNESS[1]:
            continue
        out.append(hx)
    return [SEED] + out


def choose(pool: list[str], n: int = N) -> list[str]:
    views = {name: palette.oklab_view(pool, name) for name in palette.VISIONS}
    index = {hx: i for i, hx in enumerate(pool)}
    chosen = [index[SEED]]
    nearest = np.full(len(pool), np.inf)
    while len(chosen) < n:
        last = chosen[-1]
        for name, lab in views.items():
            weight = 1.0 if name == "normal" else CVD_WEIGHT
            nearest = np.minimum(nearest, weight * np.linalg.norm(lab - lab[last], axis=1))
        nearest[chosen] = -1
        chosen.append(int(np.argmax(nearest)))
    return [pool[i] for i in chosen]


def main() -> None:
    pool = candidates()
    colors = choose(pool)
    borders = palette.assign_borders(colors, style.ANALYST_BORDERS)
    print(f"# {len(pool):,} candidates; chosen {len(colors)}")
    print("ANALYST_PALETTE = (")
    for hx, border in zip(colors, borders):
        print(f'    ("{hx}", "{border}"),')
    print(")")
    print(f"# smallest distance, normal vision: {palette.min_distance(colors, 'normal'):.3f}")
    for name in palette.VISIONS[1:]:
        print(f"# smallest distance, {name}: {palette.min_distance(colors, name):.3f}")
    print(f"# smallest distance, any vision, same border: {palette.min_distance_same_border(colors, borders):.3f}")
    print(f"# lowest text contrast: {min(palette.contrast(c, style.TEXT_COLOR) for c in colors):.2f}")


if __name__ == "__main__":
    main()
