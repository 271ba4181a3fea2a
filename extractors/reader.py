"""Turn a report's raw bytes (PDF, DOCX, HTML or plain text) into one normalized text.

Every format ends in the same shape: paragraphs one per line, each table row one line
with its cells joined by `` | `` and merged cells (rowspan/colspan, PDF merged cells,
Word gridSpan/vMerge) expanded into a full grid, the spanned text repeated in every
covered cell -- except a number, which counts once (its other positions are empty, and
dropped at a row's end: "行政许可 | 550", not "行政许可 | 550 | 550 | 550").  A table
parser that reads `` | `` rows therefore works on every format.

Hand-written because no library does the three things reports need together: find the
article inside a government site's chrome, keep table rows as rows (pdftotext -layout
loses them), and refuse bad input with an error a person can act on instead of
returning empty text.  Heavy lifting is delegated: lxml (broken-markup recovery),
pdfplumber (PDF geometry and ruled tables), python-docx, charset-normalizer.

Each format has its own module (``read_html``, ``read_pdf``, ``read_docx``, imported when
first needed); this one detects the format, reads plain text and dispatches.
"""
from __future__ import annotations

import re

from extractors import errors
from extractors.models import Document
from extractors.normalize import normalize_text
from extractors.read_common import (_finish, _name, clean_cell, expand_grid,  # noqa: F401 (re-exported)
                                    is_number_cell, render_rows)

# ---------------------------------------------------------------------------- detection

_HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html|head|body|div|p|table|meta|span|br|td)\b", re.I)
_HTML_EXTS = (".htm", ".html", ".shtml", ".xhtml", ".jsp", ".asp", ".aspx", ".php")
_CHINESE_ENCODINGS = ["gb18030", "gbk", "gb2312", "big5", "big5hkscs", "utf_8"]
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Control bytes a text file does not hold (tab, newline, form feed, CR and DOS EOF excepted).
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0C, 0x0D, 0x1A))


def read_document(data: bytes, filename: str | None = None) -> Document:
    """Read one report.  Raises a :class:`extractors.errors.DocumentError` subclass for an
    empty, binary, undecodable, corrupt or text-less input; returns ``Document(text="",
    flags=("needs_ocr",))`` for a PDF without a text layer."""
    if not data or not data.strip():
        raise errors.EmptyDocument(f"{_name(filename)} is empty (0 bytes or only whitespace)")
    kind = detect_format(data, filename)
    if kind == "pdf":
        from extractors.read_pdf import read_pdf
        return read_pdf(data, filename)
    if kind == "docx":
        from extractors.read_docx import read_docx
        return read_docx(data, filename)
    if kind == "html":
        from extractors.read_html import read_html
        return read_html(data, filename)
    return _read_text(data, filename)


def detect_format(data: bytes, filename: str | None = None) -> str:
    """``pdf`` | ``docx`` | ``html`` | ``txt``: magic bytes first, then the extension."""
    head = data[:1024].lstrip()
    ext = (filename or "").lower()
    if head.startswith(b"%PDF") or (ext.endswith(".pdf") and b"%PDF" in data[:1024]):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise errors.UnsupportedFormat(
            f"{_name(filename)} is a legacy Word/Excel (OLE2 .doc/.xls) file: convert it to DOCX or PDF first"
        )
    if len(_HTML_SNIFF.findall(data[:8192])) >= 2:
        return "html"
    if ext.endswith(".docx"):
        return "docx"
    return "html" if ext.endswith(_HTML_EXTS) else "txt"




# --------------------------------------------------------------------------------- text


def decode_bytes(data: bytes, filename: str | None = None) -> tuple[str, str, bool]:
    """Decode text bytes: BOM, then strict UTF-8, then charset-normalizer restricted to
    Chinese encodings.  Returns ``(text, encoding, uncertain)``."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc, False
            except UnicodeDecodeError as exc:
                raise errors.UndecodableDocument(
                    f"{_name(filename)} starts with a {enc} byte-order mark but is not valid {enc}: {exc}"
                ) from exc
    _refuse_binary(data, filename)
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    nearly = data.decode("utf-8", errors="replace")
    if nearly.count("\ufffd") <= max(1, len(nearly) // 1000):  # UTF-8 cut mid-character, a stray byte
        return nearly, "utf-8", True
    return _guess_chinese(data, filename)


def _refuse_binary(data: bytes, filename: str | None) -> None:
    sample = data[:65536]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if b"\x00" in sample or controls > len(sample) * 0.02:
        raise errors.BinaryDocument(
            f"{_name(filename)} holds binary data (NUL/control bytes) and is not a PDF, DOCX, "
            "HTML or text file: check the download or convert it to one of these formats"
        )


def _guess_chinese(data: bytes, filename: str | None) -> tuple[str, str, bool]:
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_CHINESE_ENCODINGS).best()
    if best is None:
        raise errors.UndecodableDocument(
            f"{_name(filename)} is neither UTF-8, GB18030/GBK nor Big5 text: "
            "re-save it as UTF-8 or supply the original PDF/HTML"
        )
    text = str(best)
    enc = best.encoding
    cjk = len(_CJK.findall(text))
    non_ascii = sum(1 for ch in text if ord(ch) > 127) or 1
    uncertain = best.chaos > 0.1 or cjk / non_ascii < 0.6
    return text, enc, uncertain


def _read_text(data: bytes, filename: str | None) -> Document:
    text, enc, uncertain = decode_bytes(data, filename)
    text = normalize_text(text)  # idempotent: _finish's normalization returns it unchanged
    if not text.strip():
        raise errors.EmptyDocument(f"{_name(filename)} holds only whitespace")
    flags = ("encoding_uncertain",) if uncertain else ()
    return Document(text=text, format="txt", encoding=enc, flags=flags)


