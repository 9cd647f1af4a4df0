"""Write a debate pack as Markdown and as a printable HTML handout (and PDF where possible).

The HTML is one self-contained file (CSS and the debate map inlined) styled for A4/Letter
printing, with a Content-Security-Policy that allows nothing else (no script, no fetch). Corpus
text is escaped in both (in Markdown: no raw HTML, no link, no math), and only http(s) URLs
become links (``output.safe_url``). PDF is made with Debian's headless Chromium when it is
installed, else with WeasyPrint when that Python package is importable; otherwise it is skipped.
"""
from __future__ import annotations

import base64
import html
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Mapping

from . import style
from .debate import STRENGTH_RULE, DebateClaim, DebatePack, short_analyst
from .output import clean_text, make_folder, safe_url, temporary_beside, write_all_atomic
from .render import analyst_border

HOW_TO = [
    "Each side has its own list of claims (FOR and AGAINST the motion), strongest first. "
    "Every claim is an exact quote, with the analyst who made it and the source.",
    "Read your own side's claims first, then the other side's: you must answer them.",
    "\u201cClashes\u201d pairs each claim with the claim from the other side that answers it. "
    "Expect these exchanges in the debate.",
    "The questions at the end are ready to put to the other side. Check the quotes in the "
    "sources before you use them.",
]
ABOUT = ("Claims were chosen by their meaning's similarity to the motion and sorted into FOR and "
         "AGAINST by argmap's stance model. Machines make mistakes: if a claim seems to be on the "
         "wrong side, say why \u2014 that is a good debating point too.")


# CSP of the handout: its inline <style> and the debate map inlined as a data: image, nothing else
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#$])")
_MD_SCHEME = re.compile(r"\b(javascript|vbscript|data|file)(:)", re.I)


def md(text: str) -> str:
    """Corpus text as inline Markdown that reads the same and can do nothing: one line, HTML
    escaped (<script> becomes &lt;script&gt;), link, emphasis, table and math syntax
    backslash-escaped, and the colon of a script-capable scheme (javascript:) escaped."""
    text = html.escape(" ".join(clean_text(text).split()), quote=False)
    return _MD_SCHEME.sub(r"\1\\\2", _MD_SPECIAL.sub(r"\\\1", text))


def _md_link(url: str, before: str = "") -> str:
    """``before`` and an autolink to an http(s) URL, else nothing."""
    url = safe_url(url)
    return f"{before}<{url}>" if url else ""


def _md_claim(d: DebateClaim) -> str:
    src = md(d.source()) + (_md_link(d.document.url, " \u2014 ") if d.document else "")
    backers = f" Also backed by: {md(', '.join(map(short_analyst, d.backers)))}." if d.backers else ""
    return (f"**{d.ref}. {md(short_analyst(d.claim.analyst))}** ({src}), strength {d.strength:.2f}:{backers}\n\n"
            f"> {md(d.claim.text)}\n")


def markdown(pack: DebatePack, map_name: str | None = None) -> str:
    motion = md(pack.motion)
    out = [f"# Debate pack: {motion}", "", f"*Motion:* **{motion}**  ", f"*Prepared:* {md(pack.prepared)}", "",
           "## How to use this pack", ""]
    out += [f"{k}. {t}" for k, t in enumerate(HOW_TO, 1)] + ["", f"*{STRENGTH_RULE}*", ""]
    for title, items in (("Arguments FOR the motion", pack.pro), ("Arguments AGAINST the motion", pack.con)):
        out += [f"## {title}", ""]
        out += [_md_claim(d) for d in items] or ["*No claim in the corpus argues this side.*", ""]
    out += ["## Clashes", "", "| FOR | AGAINST | why paired |", "|---|---|---|"]
    for c in pack.clashes:
        cell = lambda d: f"**{d.ref}** {md(short_analyst(d.claim.analyst))}: \u201c{md(d.claim.text)}\u201d"  # noqa: E731
        out.append(f"| {cell(c.pro)} | {cell(c.con)} | {md(c.reason)} ({c.score:.2f}) |")
    for side, title in (("for", "Questions the FOR side can ask"), ("against", "Questions the AGAINST side can ask")):
        out += ["", f"## {title}", ""]
        out += [f"{k}. {md(q.text)}" for k, q in enumerate((q for q in pack.questions if q.asked_by == side), 1)]
    if map_name:
        out += ["", "## Debate map", "", f"![Debate map: FOR left, motion centre, AGAINST right]({map_name})"]
    out += ["", "## Sources", ""]
    for d in pack.sources:
        out.append(f"- {md(d.title)} \u2014 {md(d.outlet or 'unknown outlet')}, {md(d.date or 'undated')}"
                   + _md_link(d.url, ". "))
    out += ["", f"*{ABOUT}*", ""]
    return "\n".join(out)


CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Serif", Georgia, serif; font-size: 10.5pt; line-height: 1.4; color: #222;
       max-width: 190mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 18pt; margin: 0 0 2mm; }
h2 { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 13pt; border-bottom: 2px solid #444;
     padding-bottom: 1mm; margin: 7mm 0 3mm; break-after: avoid; page-break-after: avoid; }
.motion { font-size: 14pt; font-weight: bold; background: #FFF6D5; border: 2px solid #C9A227;
          border-radius: 4px; padding: 3mm 4mm; margin: 3mm 0; }
.meta { color: #555; font-size: 9.5pt; }
.howto { background: #F3F6FA; border-left: 4px solid #4477AA; padding: 2mm 4mm; }
.howto ol { margin: 1mm 0; padding-left: 6mm; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 6mm; }
.side h2 { margin-top: 4mm; }
.for h2 { color: #225588; border-color: #4477AA; }
.against h2 { color: #AA3344; border-color: #EE6677; }
.claim { border: 1px solid #ccc; border-radius: 4px; padding: 2mm 3mm; margin: 0 0 3mm;
         break-inside: avoid; page-break-inside: avoid; }
.for .claim { border-left: 4px solid #4477AA; }
.against .claim { border-left: 4px solid #EE6677; }
.claim .who { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9pt; font-weight: bold; }
.claim blockquote { margin: 1mm 0; font-style: italic; overflow-wrap: anywhere; }
.claim .src { font-size: 8.5pt; color: #555; overflow-wrap: anywhere; }
.ref { display: inline-block; min-width: 7mm; font-weight: bold; }
.chip { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: -0.1em;
        border-radius: 2px; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
table { width: 100%; border-collapse: collapse; font-size: 9.5pt; }
td, th { border: 1px solid #bbb; padding: 1.5mm 2mm; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eee; font-family: "DejaVu Sans", Arial, sans-serif; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.why { width: 18%; color: #555; font-size: 8.5pt; }
ol.q li { margin-bottom: 2mm; break-inside: avoid; page-break-inside: avoid; }
.map { break-before: page; page-break-before: always; }
.map img { max-width: 100%; max-height: 240mm; display: block; margin: 0 auto; }
.sources li { margin-bottom: 1mm; overflow-wrap: anywhere; }
.note { color: #555; font-size: 9pt; font-style: italic; }
@media print { body { padding: 0; } a { color: inherit; } }
"""


def _e(text: str) -> str:
    """Corpus text as HTML text or attribute value (``clean_text`` applied)."""
    return html.escape(clean_text(text), quote=True)


def _a(url: str, before: str = "") -> str:
    """``before`` and a link to an http(s) URL, else nothing."""
    url = safe_url(url)
    return f'{before}<a href="{_e(url)}">{_e(url)}</a>' if url else ""


def _who(name: str, palette: Mapping[str, str] | None = None) -> str:
    """An analyst name in the handout: shortened, the whole name in its title (hover), after a chip
    in the analyst's colour and border, as on the maps (``render.analyst_palette``)."""
    chip = ""
    if palette and name in palette:
        border = style.ANALYST_CSS_BORDER[analyst_border(palette, name)]
        chip = f'<span class="chip" style="background:{palette[name]};border:{border}" aria-hidden="true"></span>'
    return f'<span title="{_e(name)}">{chip}{_e(short_analyst(name))}</span>'


def _html_claim(d: DebateClaim, palette: Mapping[str, str] | None = None) -> str:
    link = _a(d.document.url, " \u2014 ") if d.document else ""
    backers = f"<br>Also backed by: {', '.join(_who(b, palette) for b in d.backers)}" if d.backers else ""
    return (f'<div class="claim"><div class="who"><span class="ref">{d.ref}</span> {_who(d.claim.analyst, palette)}</div>'
            f"<blockquote>\u201c{_e(d.claim.text)}\u201d</blockquote>"
            f'<div class="src">{_e(d.source())}{link} \u00b7 strength {d.strength:.2f}{backers}</div></div>')


def html_handout(pack: DebatePack, map_svg: bytes | None = None, palette: Mapping[str, str] | None = None) -> str:
    """The handout page; ``palette`` (``render.analyst_palette`` of the whole corpus) puts each
    analyst's map colour beside their name."""
    sides = []
    for cls, title, items in (("for", "FOR the motion", pack.pro), ("against", "AGAINST the motion", pack.con)):
        body = "".join(_html_claim(d, palette) for d in items) or '<p class="note">No claim in the corpus argues this side.</p>'
        who = ", ".join(_who(a, palette) for a in pack.analysts(cls))
        sides.append(f'<section class="side {cls}"><h2>{title}</h2><p class="meta">{len(items)} claims by '
                     f"{who or 'nobody'}</p>{body}</section>")
    rows = "".join(
        f"<tr><td><b>{c.pro.ref}</b> {_who(c.pro.claim.analyst, palette)}: \u201c{_e(c.pro.claim.text)}\u201d</td>"
        f"<td><b>{c.con.ref}</b> {_who(c.con.claim.analyst, palette)}: \u201c{_e(c.con.claim.text)}\u201d</td>"
        f'<td class="why">{_e(c.reason)} ({c.score:.2f})</td></tr>' for c in pack.clashes)
    qs = []
    for cls, title in (("for", "Questions FOR can ask AGAINST"), ("against", "Questions AGAINST can ask FOR")):
        items = "".join(f"<li>{_e(q.text)}</li>" for q in pack.questions if q.asked_by == cls)
        qs.append(f'<section class="side {cls}"><h2>{title}</h2><ol class="q">{items}</ol></section>')
    sources = "".join(
        f"<li>{_e(d.title)} \u2014 {_e(d.outlet or 'unknown outlet')}, {_e(d.date or 'undated')}"
        + _a(d.url, ". ") + "</li>" for d in pack.sources)
    figure = ""
    if map_svg:
        data = base64.b64encode(map_svg).decode("ascii")
        figure = (f'<section class="map"><h2>Debate map</h2><p class="meta">FOR on the left, the motion in the '
                  f'middle, AGAINST on the right; red dashed lines are clashes.</p>'
                  f'<img alt="Debate map" src="data:image/svg+xml;base64,{data}"></section>')
    how = "".join(f"<li>{_e(t)}</li>" for t in HOW_TO)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}"><title>Debate pack: {_e(pack.motion)}</title>
<style>{CSS}</style></head><body>
<h1>Debate preparation pack</h1>
<div class="motion">Motion: {_e(pack.motion)}</div>
<p class="meta">Prepared {_e(pack.prepared)} with argmap \u00b7 {len(pack.pro)} claims for, {len(pack.con)} against,
{len(pack.clashes)} clashes, {len(pack.sources)} sources</p>
<div class="howto"><b>How to use this pack</b><ol>{how}</ol><p class="note">{_e(STRENGTH_RULE)}</p></div>
<div class="cols">{''.join(sides)}</div>
<h2>Clashes: where the two sides meet</h2>
<table><thead><tr><th>FOR</th><th>AGAINST</th><th>why paired</th></tr></thead><tbody>{rows}</tbody></table>
<div class="cols">{''.join(qs)}</div>
<h2>Sources</h2><ul class="sources">{sources}</ul>
<p class="note">{_e(ABOUT)}</p>
{figure}
</body></html>
"""


def find_pdf_maker() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    try:
        import weasyprint  # noqa: F401
        return "weasyprint"
    except Exception:  # noqa: BLE001 - missing or broken native libraries
        return None


def whole_pdf(path: Path) -> bool:
    """True when ``path`` is a PDF written to its end (``%PDF-`` first, ``%%EOF`` in its last bytes)."""
    try:
        with open(path, "rb") as f:
            head = f.read(5)
            f.seek(max(0, os.fstat(f.fileno()).st_size - 1024))
            return head == b"%PDF-" and b"%%EOF" in f.read()
    except OSError:
        return False


def write_pdf(html_path: Path, pdf_path: Path) -> bool:
    """Print the HTML handout to PDF: into a temporary file beside ``pdf_path``, which replaces it
    only when it is a whole PDF. False when no converter is available or it fails (a full disk, a
    crash): then no ``pdf_path`` is left either, since one from an earlier run would belong to
    another handout."""
    tmp = temporary_beside(pdf_path)
    try:
        if _print_pdf(html_path, tmp) and whole_pdf(tmp):
            os.replace(tmp, pdf_path)
            return True
        pdf_path.unlink(missing_ok=True)
        return False
    finally:
        tmp.unlink(missing_ok=True)


def _print_pdf(html_path: Path, out: Path) -> bool:
    maker = find_pdf_maker()
    if maker is None:
        return False
    if maker == "weasyprint":
        import weasyprint

        try:
            weasyprint.HTML(filename=str(html_path)).write_pdf(str(out))
        except OSError:
            return False
        return True
    with tempfile.TemporaryDirectory(prefix="argmap-chromium-") as profile:
        cmd = [shutil.which(maker), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
               f"--user-data-dir={profile}", f"--print-to-pdf={out}", html_path.resolve().as_uri()]
        try:
            subprocess.run(cmd, capture_output=True, timeout=120, check=False,
                           env={**os.environ, "HOME": profile})
        except (OSError, subprocess.TimeoutExpired):
            return False
    return True


def write_pack(pack: DebatePack, out_dir: Path, map_svg: bytes | None = None, pdf: bool = True,
               palette: Mapping[str, str] | None = None) -> list[Path]:
    """Write debate.md, debate.html (+ debate-map.svg, debate.pdf) into ``out_dir``; return the paths."""
    make_folder(out_dir)
    map_name = "debate-map.svg" if map_svg else None
    files = ([(out_dir / map_name, map_svg)] if map_svg else []) + [
        (out_dir / "debate.md", markdown(pack, map_name).encode("utf-8")),
        (out_dir / "debate.html", html_handout(pack, map_svg, palette).encode("utf-8"))]
    written = write_all_atomic(files)  # the handout's files all or none: never one motion's beside another's
    if pdf:
        target = out_dir / "debate.pdf"
        if write_pdf(out_dir / "debate.html", target):
            written.append(target)
    return written
