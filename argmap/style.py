"""Every Graphviz style default of argmap's maps, declared in one place.

render.py reads all fonts, shapes, colours, line styles, wrap widths, caps and legend
wording from here; it hard-codes none. Colours are hex strings, sizes are points.
"""
from __future__ import annotations

# --- fonts -----------------------------------------------------------------------------
# A family list: SVG viewers use it as CSS font-family; Graphviz's cairo/pango renderer
# (PNG, PDF) picks the first installed family (Liberation Sans / DejaVu Sans on Debian).
FONT = "Helvetica,Arial,sans-serif"
FONT_SIZE = 14  # claim text, analyst nodes (>= 12 pt for PNG at normal zoom)
TITLE_FONT_SIZE = 20  # graph title (issue label / overview title)
CLUSTER_FONT_SIZE = 15  # issue and camp boxes on the overview
EDGE_FONT_SIZE = 12  # relation score on issue maps
LEGEND_FONT_SIZE = 13
TEXT_COLOR = "#222222"
MUTED_COLOR = "#555555"  # "+N more" notes, legend headings

# --- page layout -----------------------------------------------------------------------
BACKGROUND = "#FFFFFF"
ISSUE_RANKDIR = "LR"  # sides of an issue map side by side, left to right
OVERVIEW_RANKDIR = "LR"  # per issue: one side box left, the other right; issues stacked
NODESEP = "0.35"  # inches between nodes of a rank
RANKSEP = "1.4"  # inches between ranks: room for edge labels between camps
OVERVIEW_RANKSEP = "1.0"
PAD = "0.3"
DPI = "110"  # PNG resolution; text stays sharp at normal zoom
CLUSTER_MARGIN = "14"
SPLINES = "true"

# --- claim nodes (issue maps) ----------------------------------------------------------
CLAIM_SHAPE = "box"
CLAIM_STYLE = "rounded,filled"  # plus the analyst's border style
CLAIM_MARGIN = "0.18,0.10"
CLAIM_PENWIDTH = "1.4"
CLAIM_BORDER_COLOR = "#444444"
CLAIM_WRAP = 40  # characters per line of claim text
CLAIM_MAX_CHARS = 220  # longer claims are cut at a word boundary and end with ELLIPSIS
ELLIPSIS = "…"
NAME_MAX_CHARS = 40  # analyst and document names on maps; the tooltip keeps the whole name
TOOLTIP_MAX_CHARS = 2_500  # each part of a tooltip (a name, a title), and 5,000 in all: escaped, at most
# three times as long, within the 16,384 characters Graphviz takes in one string
PAGE_NAME_MAX_CHARS = 80  # analyst names in the debate handout and Markdown; the HTML title keeps the whole name
ANALYST_PREFIX = "— "  # line under the claim text naming the analyst
CAMP_BOX_STYLE = "rounded,dashed"  # a side on an issue map: a dashed rounded box
CAMP_BOX_COLOR = "#999999"
CAMP_BOX_FILL = "#FFFFFF"

# --- analyst palette -------------------------------------------------------------------
# 24 light fills, each with a border style, chosen by scripts/make_palette.py (which says how):
# every first k colours as far apart as possible (OKLab distance, for normal vision and, weighted,
# for simulated protanopia, deuteranopia and tritanopia), all with a text contrast of at least 6:1,
# and the colours closest for a colour-blind reader given different borders. Analysts are given
# slots in sorted name order over the whole corpus, so one analyst has one colour on every map,
# in the report and in the handouts; past 24 analysts the colours repeat with the next border
# style, so no two analysts share both (up to 96). Every map also names the analyst in text.
ANALYST_PALETTE = (
    ("#77AADD", "solid"),
    ("#F8F07C", "dashed"),
    ("#DC9430", "dotted"),
    ("#44F8FC", "bold"),
    ("#FCBCB0", "solid"),
    ("#B8CC60", "bold"),
    ("#98AC8C", "dashed"),
    ("#94D0FC", "dotted"),
    ("#C0FCD4", "dotted"),
    ("#C890B8", "bold"),
    ("#44CCD4", "dashed"),
    ("#F89CBC", "dotted"),
    ("#B0B0FC", "bold"),
    ("#D0B88C", "dotted"),
    ("#E8D48C", "dotted"),
    ("#B4DCD4", "dashed"),
    ("#84C064", "solid"),
    ("#90F8B0", "dashed"),
    ("#9C98F8", "dotted"),
    ("#D8B038", "dashed"),
    ("#FCD4F0", "solid"),
    ("#74C0A8", "bold"),
    ("#E4B0E4", "bold"),
    ("#64E0A8", "bold"),
)

ANALYST_COLORS = tuple(color for color, _ in ANALYST_PALETTE)
ANALYST_BORDERS = ("solid", "dashed", "dotted", "bold")
# The same border styles in HTML pages (the debate handout, the report): a CSS `border` value
ANALYST_CSS_BORDER = {"solid": "1px solid #444444", "dashed": "2px dashed #444444",
                      "dotted": "2px dotted #444444", "bold": "3px solid #444444"}
UNKNOWN_ANALYST_COLOR = "#FFFFFF"  # an analyst missing from the palette

# --- relation edges --------------------------------------------------------------------
AGREE = "agree"
DISAGREE = "disagree"
EDGE_STYLE = {
    # kind: colour, line style, pen width, arrowheads -- differ in colour AND line style
    AGREE: {"color": "#228833", "style": "solid", "penwidth": "2.2", "dir": "none"},
    DISAGREE: {"color": "#CC3311", "style": "dashed", "penwidth": "2.2", "dir": "both",
               "arrowhead": "tee", "arrowtail": "tee"},
}
SCORE_FORMAT = "{:.2f}"  # relation score shown as the edge label

# --- overview --------------------------------------------------------------------------
ISSUE_BOX_STYLE = "rounded"
ISSUE_BOX_COLOR = "#666666"
ISSUE_BOX_FILL = "#F7F7F7"
OVERVIEW_CAMP_FILL = "#FFFFFF"
OVERVIEW_CAMP_COLOR = "#AAAAAA"
ISSUE_LABEL_WRAP = 72  # characters per line of an issue label
ISSUE_LABEL_MAX_CHARS = 120

# --- caps ------------------------------------------------------------------------------
MAX_CLAIMS_PER_ISSUE = 14  # the most central claims (issue.claim_ids order)
MAX_RELATIONS_PER_ISSUE = 20  # the strongest relations among the claims shown
MAX_OVERVIEW_ISSUES = 12  # first issues in id order (issue-1 is the largest)
MAX_OVERVIEW_ANALYSTS = 9  # per side box on the overview
OVERVIEW_CAMP_COLUMNS = 3  # analyst chips per row in a side box

# --- text ------------------------------------------------------------------------------
ISSUE_TITLE = "{label}"
ISSUE_SUBTITLE = "{issue_id} · {n_claims} claim{s} · {n_analysts} analyst{s2}"
MORE_CLAIMS = "+{n} more claim{s} not shown"
MORE_RELATIONS = "+{n} weaker relation{s} not shown"
OVERVIEW_TITLE = "Argument map: {n_issues} issue{s}, {n_analysts} analyst{s2}"
MORE_ISSUES = "+{n} more issue{s} not shown"
MORE_ANALYSTS = "+{n} more"
UNCLUSTERED_NOTE = "{n} claim{s} in no issue"
ISSUE_BOX_LABEL = "{issue_id}: {label}"
ISSUE_BOX_COUNTS = "{n_claims} claim{s}"
SIDE_BACKS = "backs the pivot"  # the pivot and the claims (analysts) on its side
SIDE_DISPUTES = "disputes it"
SIDE_NONE = "on the question, no link to a side"
NO_SIDES = "no agree/disagree link yet"  # an issue without relations: everyone speaks, no sides
PIVOT_TAG = "PIVOT "  # before the analyst's name on the pivot claim
PIVOT_PENWIDTH = "3.2"  # the pivot claim's border
LEGEND_TITLE = "Legend"
LEGEND_ANALYSTS = "Analysts"
LEGEND_EDGES = "Relations between claims"
LEGEND_AGREE = "agree (score)"
LEGEND_DISAGREE = "disagree (score)"
LEGEND_AGREE_LINE = "━━━━"  # drawn in the agree colour: a solid line
LEGEND_DISAGREE_LINE = "╺━ ╺━ ╺━"  # drawn in the disagree colour: a dashed line
LEGEND_SIDES = "Dashed boxes: sides of the question; thick border: the pivot (most agreed or disagreed with)"
OVERVIEW_LEGEND_SIDES = "White boxes: who backs the issue's pivot claim, who disputes it, who speaks without a side"
OVERVIEW_LEGEND_DISAGREE = "the sides disagree"
TOOLTIP = "{analyst}\n{title}{source}"  # source: " — outlet, date" when known
DOCUMENT_UNKNOWN = "(unknown document {document})"
LEGEND_BORDER_COLOR = "#999999"
LEGEND_FILL = "#FFFFFF"
LEGEND_CELLPADDING = "4"
LEGEND_CELLSPACING = "2"
LEGEND_CHIP_SPACING = "4"  # between analyst colour chips
TITLE_CELLPADDING = "3"
# How each ANALYST_BORDERS entry is drawn on an HTML-like legend cell: (STYLE, BORDER).
LEGEND_CELL_BORDER = {
    "solid": ("", "1"),
    "dashed": ("dashed", "1"),
    "dotted": ("dotted", "1"),
    "bold": ("", "3"),
}
LEGEND_ANALYSTS_PER_ROW = 4


# =======================================================================================
# --- viewpoint maps: `argmap compare` and `argmap debate` (argmap/compare.py, debate.py)
#     and the matplotlib pictures of `argmap matrix` (argmap/matrix.py)
# =======================================================================================
COMPARE_MAX_CLAIMS_PER_SIDE = 12  # claims per side on a comparison map
COMPARE_RANKSEP = "2.0"  # inches between the two sides: room for the score labels
COMPARE_NOTE_WRAP = 90  # characters per line of the summary under the title
COMPARE_ISSUE_TAG = "[{issue_id}]"  # after the analyst's name on each claim
COMPARE_NOTHING_SHARED = "They speak on no common issue: each side shows what it says alone."

DEBATE_MAX_CLAIMS_PER_SIDE = 8
DEBATE_RANKSEP = "1.2"
DEBATE_TITLE = "Motion: {motion}"
DEBATE_MOTION_WRAP = 28
DEBATE_MOTION_SHAPE = "box"
DEBATE_MOTION_STYLE = "rounded,filled,bold"
DEBATE_MOTION_FILL = "#FFF6D5"
DEBATE_MOTION_FONT_SIZE = 18
DEBATE_FOR_LABEL = "FOR the motion"
DEBATE_AGAINST_LABEL = "AGAINST the motion"
DEBATE_LEGEND_SUPPORT = "supports the motion"
DEBATE_LEGEND_CLASH = "undermines the motion / clash"

# Stance matrix cells (Paul Tol's "bright" blue/red/yellow + greys): colour-blind safe,
# and every cell also carries a symbol (+ − ± •), so colour is never the only cue.
MATRIX_POSITION_COLORS = {"for": "#4477AA", "against": "#EE6677", "mixed": "#CCBB44",
                          "speaks": "#DDDDDD", "silent": "#FFFFFF"}
MATRIX_VERDICT_MARKS = {"consensus": "✔ consensus", "divisive": "⚡ divisive", "open": ""}
MATRIX_AGREEMENT_CMAP = "PuOr"  # diverging: orange = disagree, purple = agree
MATRIX_NO_DATA_COLOR = "#EEEEEE"
MATRIX_MAX_ANALYSTS = 40  # columns of the stance matrix picture (the CSV has every analyst)
MATRIX_MAX_ISSUES = 60  # its rows
MATRIX_MAX_AGREEMENT = 24  # analysts in the agreement picture: a cell each pair


# =======================================================================================
# --- the offline HTML report: `argmap report` (argmap/report.py, resources/report/)
#     Analyst colours come from render.analyst_palette (above); these are the report's own.
#     Every colour is also given a symbol and a word, so colour is never the only cue.
# =======================================================================================
REPORT_TITLE = "Argument map report"
REPORT_FONT = 'system-ui, "DejaVu Sans", "Liberation Sans", Arial, sans-serif'
REPORT_QUOTE_FONT = 'Georgia, "DejaVu Serif", "Liberation Serif", serif'  # claim text
REPORT_FONT_SIZE_PX = 17  # body text; everything else is relative to it
REPORT_SMALL_SIZE = "0.88rem"  # meta lines, chips, badges (about 15 px)
REPORT_MAX_WIDTH_PX = 1180  # the reading column
REPORT_TEXT_COLOR = "#1A1A1A"
REPORT_MUTED_COLOR = "#4D4D4D"  # 8.2:1 on white
REPORT_LINK_COLOR = "#1A4F9C"  # 7.9:1 on white
REPORT_BACKGROUND = "#FFFFFF"
REPORT_PANEL = "#F5F6F8"  # cards, the header
REPORT_RULE = "#C9CDD3"  # borders
REPORT_FOCUS_COLOR = "#B35900"  # focus outline (3 px), distinct from every side and link colour
REPORT_CURRENT_CLAIM = "#000000"  # outline of the claim shown in its document
# A side of an issue: its word, its symbol, a strong colour (borders) and a tint with dark ink
# (badges: 7:1 or better). Paul Tol's "bright" blue/red as in the stance matrix.
REPORT_SIDES = {
    1: {"label": "backs the pivot", "short": "backs", "symbol": "+", "color": "#4477AA",
        "tint": "#E2ECF6", "ink": "#1B3F66"},
    -1: {"label": "disputes it", "short": "disputes", "symbol": "\u2212", "color": "#EE6677",
         "tint": "#FCE3E6", "ink": "#7F1A2A"},
    0: {"label": "on the question, no side", "short": "no side", "symbol": "\u2022", "color": "#8A8A8A",
        "tint": "#EDEDED", "ink": "#333333"},
}
REPORT_NO_SIDES = "no agree/disagree link yet: everyone speaks on the question"
REPORT_PIVOT = "pivot"  # tag on the pivot claim (the claim the others most agree or disagree with)
# A relation: word, symbol and colour (EDGE_STYLE's colours, as on the maps).
REPORT_RELATIONS = {
    AGREE: {"label": "agrees with", "symbol": "=", "color": EDGE_STYLE[AGREE]["color"]},
    DISAGREE: {"label": "clashes with", "symbol": "\u2260", "color": EDGE_STYLE[DISAGREE]["color"]},
}
# How contested an issue is (matrix.stance_matrix's verdict): word and symbol.
REPORT_VERDICTS = {
    "divisive": {"label": "divisive", "symbol": "\u26a1", "help": "a disagree link joins two analysts"},
    "consensus": {"label": "consensus", "symbol": "\u2714", "help": "analysts agree and nobody disagrees"},
    "open": {"label": "open", "symbol": "\u25cb", "help": "no link between analysts yet"},
}
REPORT_MAP_FIT = True  # issue maps start fitted to the page width (a button shows them at full size)
REPORT_MATRIX_DPI = 110  # the stance matrix picture (PNG inlined); its table is below it
REPORT_SNIPPET_CHARS = 160  # claim text in compact lists (the whole text on its own page)
