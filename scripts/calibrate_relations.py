#!/usr/bin/env python3
"""Calibrate the relation threshold: how often the pair model's two-way stance between two
claims is right, as a function of its confidence |s|, on dev claim-claim pairs.

Pairs: PERSPECTRUM dev perspective pairs from different clusters of one claim (agree = same
stance toward it) and IBM held-out-topic claim pairs (agree = same stance toward the topic),
scored without the topic, as argmap scores corpus claims. For each threshold: coverage (share
of pairs with |s| >= t), accuracy of sign(s) on those, and precision of "disagree".
argmap/relations.py uses the threshold chosen here (DEFAULT_THRESHOLD).

Usage: .venv/bin/python scripts/calibrate_relations.py ../shared/data [--split dev]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--split", default="dev")
    args = ap.parse_args()
    from argmap.evaluate import ibm_claim_claim_pairs, load_claim_stance, load_perspectrum, perspectrum_pp_pairs
    from argmap.pairmodel import PairModel
    from argmap.relations import two_way

    model = PairModel.load()
    sets = (("PERSPECTRUM perspective pairs", perspectrum_pp_pairs(load_perspectrum(args.data, args.split), per_claim=12)),
            ("IBM claim pairs", ibm_claim_claim_pairs(load_claim_stance(args.data, args.split), per_topic=60)))
    print("| pairs | threshold | coverage | accuracy | disagree precision |\n|---|---|---|---|---|")
    for name, sp in sets:
        y = np.array(sp.labels)
        s = two_way(model.stance, sp.a, sp.b)
        for t in (0.0, 0.2, 0.4, 0.5, 0.6):
            sel = np.abs(s) >= t
            dis = sel & (s < 0)
            acc = (np.sign(s[sel]) == y[sel]).mean() if sel.any() else float("nan")
            prec = (y[dis] == -1).mean() if dis.any() else float("nan")
            print(f"| {name} ({len(y)}) | {t:.1f} | {sel.mean():.2f} | {acc:.3f} | {prec:.3f} |")


if __name__ == "__main__":
    main()
