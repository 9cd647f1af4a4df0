"""Render argmap's Graphviz maps for a hand-made, realistic corpus, to look at them.

    .venv/bin/python scripts/demo_maps.py [OUT_DIR] [FORMAT ...]

Defaults: /tmp/mapcheck, png and svg. demo_data() is plain data: 3 issues with 5-16
claims from 6 analysts on Kim Jong-un's visits to Beijing (text written for this demo).
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from argmap.issues import pivot_and_sides  # noqa: E402
from argmap.models import Claim, Document, Issue, Relation  # noqa: E402
from argmap.render import MapData, render_maps  # noqa: E402

DOCS = (
    Document(id="chinafile-conversation", path="corpus/chinafile-conversation.md",
             title="What Does Kim Jong-un's Beijing Visit Mean?", outlet="ChinaFile",
             date="2018-03-28"),
    Document(id="rfa-dual-message", path="corpus/rfa-dual-message.md",
             title="Kim's Trip Sends a Dual Message", outlet="Radio Free Asia",
             date="2018-03-29"),
    Document(id="lse-hill", path="corpus/lse-hill.md",
             title="China's Leverage Over Pyongyang Is Overstated", outlet="LSE IDEAS",
             date="2018-04-02"),
    Document(id="38north-sanctions", path="corpus/38north-sanctions.md",
             title="Sanctions After the Summit", outlet="38 North", date="2018-06-20"),
)

# (analyst, document, text); issue membership below lists claims most-central-first.
CLAIMS = {
    # issue 1: is China regaining leverage over North Korea?
    "k01": ("Christopher Hill", "lse-hill",
            "Beijing has far less leverage over Pyongyang than Washington assumes; Kim came "
            "to China because he needed cover before meeting Trump, not because Xi summoned him."),
    "k02": ("ChinaFile contributor D", "chinafile-conversation",
            "The visit shows that Xi Jinping has reasserted China's role as the indispensable "
            "broker on the Korean Peninsula."),
    "k03": ("Jean H. Lee", "rfa-dual-message",
            "Kim's first trip abroad as leader went to Beijing, a clear signal that China "
            "remains North Korea's most important patron."),
    "k04": ("Christopher Hill", "lse-hill",
            "Chinese leverage is mostly economic, and Beijing has repeatedly shown it will not "
            "use it to the point of destabilising the regime."),
    "k05": ("Yun Sun", "chinafile-conversation",
            "Beijing feared being sidelined by a Trump–Kim summit; hosting Kim first "
            "restored its seat at the table."),
    "k06": ("Andrei Lankov", "38north-sanctions",
            "North Korea plays its neighbours against each other, as it did during the "
            "Sino-Soviet split, and will not let China dictate terms."),
    "k07": ("ChinaFile contributor D", "chinafile-conversation",
            "Trade figures show Chinese enforcement of sanctions tightened sharply in 2017, "
            "which is what brought Kim to the table."),
    "k08": ("Yun Sun", "chinafile-conversation",
            "The warm reception in the Great Hall was meant to show Washington that "
            "any deal must run through Beijing."),
    "k09": ("Andrei Lankov", "38north-sanctions",
            "Pyongyang's \"friendship\" with Beijing has always been transactional and "
            "cold underneath the ceremonies."),
    "k10": ("Jean H. Lee", "rfa-dual-message",
            "State media coverage of the trip was unusually lavish, stressing a "
            "\"blood alliance\" that had looked frayed a year earlier."),
    "k11": ("Christopher Hill", "lse-hill",
            "Analysts who speak of a restored tributary relationship misread a tactical "
            "visit as a strategic realignment; Kim has spent six years purging the officials "
            "closest to China, executed his uncle Jang Song-thaek who managed the Chinese "
            "relationship, and had his half-brother, who lived under Chinese protection, "
            "killed in Kuala Lumpur, which is not the record of a client state."),
    "k12": ("ChinaFile contributor D", "chinafile-conversation",
            "China also wants to keep US troops out of any post-settlement arrangement."),
    "k13": ("Yun Sun", "chinafile-conversation",
            "Xi needs a stable North Korea more than Kim needs Xi."),
    "k14": ("Andrei Lankov", "38north-sanctions",
            "The relationship is a marriage of convenience."),
    "k15": ("Jean H. Lee", "rfa-dual-message",
            "Pyongyang studied Chinese reform zones closely during the visit."),
    "k16": ("Victor Cha", "38north-sanctions",
            "Beijing's priority is stability on its border, not denuclearisation."),
    # issue 2: will sanctions hold after the summits?
    "s01": ("Victor Cha", "38north-sanctions",
            "Once Kim had been received in Beijing, Chinese enforcement of sanctions at the "
            "Dandong border crossing visibly loosened."),
    "s02": ("ChinaFile contributor D", "chinafile-conversation",
            "China will keep implementing UN sanctions because it cares about its reputation "
            "as a responsible Security Council member."),
    "s03": ("Andrei Lankov", "38north-sanctions",
            "Sanctions relief is exactly what Kim came to ask for, and Beijing is inclined to "
            "give it quietly."),
    "s04": ("Yun Sun", "chinafile-conversation",
            "Beijing will not openly break UN sanctions, but it will interpret them generously."),
    "s05": ("Christopher Hill", "lse-hill",
            "Maximum pressure only works if China participates, and after March 2018 it "
            "stopped doing so."),
    "s06": ("Victor Cha", "38north-sanctions",
            "Smuggling of refined petroleum through ship-to-ship transfers rose in 2018."),
    # issue 3: what the visit means for the Trump summit
    "t01": ("Jean H. Lee", "rfa-dual-message",
            "The trip sent a dual message: to Washington that Kim has a powerful friend, and "
            "to Beijing that he is ready to talk to Trump."),
    "t02": ("Andrei Lankov", "38north-sanctions",
            "Kim was coordinating positions with Xi before the Singapore summit, so the US "
            "will face a united front."),
    "t03": ("Yun Sun", "chinafile-conversation",
            "China and North Korea do not share goals on the summit; Kim wants US "
            "recognition, Xi wants a say in the outcome."),
    "t04": ("Christopher Hill", "lse-hill",
            "The timing suggests Kim wanted Chinese backing for a phased, 'action for action' "
            "approach to denuclearisation."),
}

ISSUES = (
    Issue(id="issue-1", label="China's leverage over Pyongyang after Kim's Beijing visit",
          keyphrases=("leverage", "Beijing visit", "patron"), central_claim="k01",
          claim_ids=tuple(f"k{i:02d}" for i in range(1, 17))),
    Issue(id="issue-2", label="Chinese enforcement of UN sanctions",
          keyphrases=("sanctions", "enforcement"), central_claim="s01",
          claim_ids=("s01", "s02", "s03", "s04", "s05", "s06")),
    Issue(id="issue-3", label="What the visit means for the Trump–Kim summit",
          keyphrases=("summit", "dual message"), central_claim="t01",
          claim_ids=("t01", "t02", "t03", "t04")),
)

RELATIONS = (
    # issue 1: Hill and Lankov (leverage overstated) vs ChinaFile D, Lee, Yun Sun (restored)
    ("k01", "k02", "disagree", 0.91, "issue-1"),
    ("k01", "k03", "disagree", 0.84, "issue-1"),
    ("k01", "k05", "disagree", 0.71, "issue-1"),
    ("k01", "k06", "agree", 0.88, "issue-1"),
    ("k02", "k03", "agree", 0.82, "issue-1"),
    ("k02", "k05", "agree", 0.77, "issue-1"),
    ("k04", "k07", "disagree", 0.79, "issue-1"),
    ("k04", "k09", "agree", 0.62, "issue-1"),
    ("k06", "k08", "disagree", 0.58, "issue-1"),
    ("k03", "k11", "disagree", 0.87, "issue-1"),
    ("k09", "k10", "disagree", 0.74, "issue-1"),
    ("k05", "k08", "agree", 0.40, "issue-1"),  # same analyst: ignored
    ("k02", "k09", "disagree", 0.55, "issue-1"),
    ("k07", "k13", "agree", 0.33, "issue-1"),
    ("k12", "k13", "agree", 0.52, "issue-1"),
    # issue 2: Cha, Lankov, Hill (loosening) vs ChinaFile D (holding); Yun Sun in between
    ("s01", "s02", "disagree", 0.86, "issue-2"),
    ("s01", "s03", "agree", 0.81, "issue-2"),
    ("s02", "s03", "disagree", 0.78, "issue-2"),
    ("s02", "s05", "disagree", 0.69, "issue-2"),
    ("s02", "s04", "agree", 0.44, "issue-2"),
    ("s03", "s04", "agree", 0.47, "issue-2"),
    ("s01", "s05", "agree", 0.73, "issue-2"),
    ("s05", "s06", "agree", 0.52, "issue-2"),
    # issue 3
    ("t01", "t02", "agree", 0.57, "issue-3"),
    ("t02", "t03", "disagree", 0.83, "issue-3"),
    ("t01", "t03", "disagree", 0.49, "issue-3"),
    ("t02", "t04", "agree", 0.61, "issue-3"),
)


def demo_data() -> MapData:
    docs = {d.id: d for d in DOCS}
    claims = {}
    for cid, (analyst, doc, text) in CLAIMS.items():
        claims[cid] = Claim(id=cid, text=text, analyst=analyst, document=doc, paragraph=1,
                            start=0, end=len(text))
    claims["u01"] = Claim(id="u01", text="The train was the same armoured train his father used.",
                          analyst="Jean H. Lee", document="rfa-dual-message", paragraph=3,
                          start=0, end=54)
    relations = [Relation(a=a, b=b, kind=k, score=s, issue=i) for a, b, k, s, i in RELATIONS]
    # pivot and sides as argmap's issue stage finds them
    issues = [replace(i, **dict(zip(("pivot", "backing", "disputing"),
                                    pivot_and_sides(i.claim_ids, i.central_claim, relations, claims))))
              for i in ISSUES]
    return MapData(documents=docs, claims=claims, issues=issues, relations=relations,
                   unclustered=("u01",))


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("/tmp/mapcheck")
    formats = argv[1:] or ["png", "svg"]
    for fmt in formats:
        for path in render_maps(demo_data(), out, fmt):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
