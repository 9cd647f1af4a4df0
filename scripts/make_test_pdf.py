"""Write the PDFs that tests/test_import.py reads, with raw PDF operators (no PDF library needed):

* tests/fixtures/import/two-column.pdf: a title across the page, then two columns of three
  paragraphs each, with a text layer and Info metadata (Title, Author, CreationDate);
* tests/fixtures/import/image-only.pdf: one page holding only an image, as a scan without
  OCR would be (no text layer).

Run it again after changing the text: python scripts/make_test_pdf.py
"""
from __future__ import annotations

import textwrap
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "import"

TITLE = "Two Views on the Beijing Visit"
LEFT = [
    "Left column first paragraph. The visit to Beijing strengthened the hand of Pyongyang before "
    "the second summit with Washington, and officials in Seoul noticed it at once.",
    "Left column second paragraph. China remains the largest trading partner of North Korea, "
    "which gives Beijing leverage that no other capital can match in the region.",
    "Left column third paragraph. Sanctions relief, however, can only come from the United "
    "Nations Security Council, where Washington holds a veto over any change.",
]
RIGHT = [
    "Right column first paragraph. Skeptics argue that the trip was mostly symbolic and that "
    "little of substance was agreed behind the closed doors of the state guesthouse.",
    "Right column second paragraph. The joint statement repeated familiar language about "
    "traditional friendship without naming a single new project or commitment.",
    "Right column third paragraph. Markets in Seoul barely moved on the news, which suggests "
    "that investors also expected no change in the diplomatic balance on the peninsula.",
]


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _column(paragraphs: list[str], x: int, top: int, width_chars: int = 42, leading: int = 13) -> list[str]:
    ops, y = [], top
    for par in paragraphs:
        for line in textwrap.wrap(par, width_chars):
            ops.append(f"BT /F1 10 Tf {x} {y} Td ({_esc(line)}) Tj ET")
            y -= leading
        y -= 2 * leading  # a blank line's worth of space between paragraphs
    return ops


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file from its objects (object 1 is the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    info = len(objects)  # the last object is the Info dictionary
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(data: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(data)} {extra}>>\nstream\n".encode() + data + b"\nendstream"


def two_column() -> bytes:
    ops = [f"BT /F1 16 Tf 72 740 Td ({_esc(TITLE)}) Tj ET"]
    ops += _column(LEFT, 72, 700) + _column(RIGHT, 320, 700)
    ops.append("BT /F1 9 Tf 300 40 Td (1) Tj ET")  # a page number, which is not a paragraph
    content = "\n".join(ops).encode("latin-1")
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Title ({_esc(TITLE)}) /Author (Mina Cho) /CreationDate (D:20190110120000Z) >>".encode(),
    ])


def image_only() -> bytes:
    pixels = zlib.compress(bytes(range(0, 256, 4)) * 64)  # a 64 x 64 grey gradient
    content = b"q 400 0 0 400 100 200 cm /Im1 Do Q"
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
        _stream(content),
        _stream(pixels, "/Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray "
                        "/BitsPerComponent 8 /Filter /FlateDecode "),
        b"<< /Title (Scanned letter) >>",
    ])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "two-column.pdf").write_bytes(two_column())
    (OUT / "image-only.pdf").write_bytes(image_only())
    print(f"wrote {OUT / 'two-column.pdf'} and {OUT / 'image-only.pdf'}")


if __name__ == "__main__":
    main()
