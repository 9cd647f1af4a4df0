"""Colour measures behind the analyst palette (style.ANALYST_PALETTE).

How far apart two fills look, for readers with normal vision and with each common colour
blindness, and how readable text is on them. ``scripts/make_palette.py`` chooses the palette with
these; tests/test_palette.py checks the shipped palette with the same measures.

* OKLab (Björn Ottosson, 2020): a perceptual colour space; Euclidean distance ~ visible difference.
* Colour-blindness simulation: Machado, Oliveira & Fernandes (2009), severity 1.0, in linear RGB.
* Contrast: WCAG 2 relative-luminance contrast ratio.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

VISIONS = ("normal", "protanopia", "deuteranopia", "tritanopia")
_MACHADO = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
_LMS = np.array([[0.4122214708, 0.5363325363, 0.0514459929],
                 [0.2119034982, 0.6806995451, 0.1073969566],
                 [0.0883024619, 0.2817188376, 0.6299787005]])
_LAB = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
                 [1.9779984951, -2.4285922050, 0.4505937099],
                 [0.0259040371, 0.7827717662, -0.8086757660]])


def linear_rgb(colors: Sequence[str] | str) -> np.ndarray:
    """'#RRGGBB' (or a list of them) to linear-light RGB in [0, 1], shape (n, 3)."""
    colors = [colors] if isinstance(colors, str) else list(colors)
    srgb = np.array([[int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)] for c in colors], dtype=float)
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def oklab_view(colors: Sequence[str] | str, vision: str = "normal") -> np.ndarray:
    """OKLab coordinates (n, 3) of the colours as a reader with ``vision`` sees them."""
    rgb = np.clip(linear_rgb(colors) @ _MACHADO[vision].T, 0.0, 1.0)
    return np.cbrt(rgb @ _LMS.T) @ _LAB.T


def oklab(color: str) -> np.ndarray:
    return oklab_view(color)[0]


def luminance(color: str) -> float:
    r, g, b = linear_rgb(color)[0]
    return float(0.2126 * r + 0.7152 * g + 0.0722 * b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def distances(colors: Sequence[str], vision: str | None = None) -> np.ndarray:
    """Pairwise OKLab distances (n, n); with ``vision=None`` the smallest over every vision."""
    views = [oklab_view(colors, v) for v in ((vision,) if vision else VISIONS)]
    d = np.min([np.linalg.norm(v[:, None, :] - v[None, :, :], axis=2) for v in views], axis=0)
    np.fill_diagonal(d, np.inf)
    return d


def min_distance(colors: Sequence[str], vision: str | None = None) -> float:
    return float(distances(colors, vision).min())


def assign_borders(colors: Sequence[str], borders: Sequence[str]) -> list[str]:
    """A border style per colour, in order: each takes the style whose colours so far are
    farthest from it (smallest distance over every vision), so look-alikes differ in border."""
    d = distances(colors)
    out: list[str] = []
    for i in range(len(colors)):
        def nearest_with(style: str) -> float:
            same = [j for j in range(i) if out[j] == style]
            return min((d[i, j] for j in same), default=np.inf)
        out.append(max(borders, key=lambda s: (nearest_with(s), -borders.index(s))))
    return out


def min_distance_same_border(colors: Sequence[str], borders: Sequence[str]) -> float:
    """The smallest distance (any vision) between two colours that also share a border style."""
    d = distances(colors)
    same = np.array([[a == b for b in borders] for a in borders])
    return float(np.where(same, d, np.inf).min())
