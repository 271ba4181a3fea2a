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
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator

from extractors import errors
from extractors.models import Document
from extractors.normalize import PAGE_NUMBER_LINE, normalize_text

# ---------------------------------------------------------------------------- detection

_HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html|head|body|div|p|table|meta|span|br|td)\b", re.I)
_HTML_EXTS = (".htm", ".html", ".shtml", ".xhtml", ".jsp", ".asp", ".aspx", ".php")
_CHINESE_ENCODINGS = ["gb18030", "gbk", "gb2312", "big5", "big5hkscs", "utf_8"]
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def read_document(data: bytes, filename: str | None = None) -> Document:
    """Read one report.  Raises a :class:`extractors.errors.DocumentError` subclass for an
    empty, binary, undecodable, corrupt or text-less input; returns ``Document(text="",
    flags=("needs_ocr",))`` for a PDF without a text layer."""
    if not data or not data.strip():
        raise errors.EmptyDocument(f"{_name(filename)} is empty (0 bytes or only whitespace)")
    kind = detect_format(data, filename)
    if kind == "pdf":
        return _read_pdf(data, filename)
    if kind == "docx":
        return _read_docx(data, filename)
    if kind == "html":
        return _read_html(data, filename)
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


def _name(filename: str | None) -> str:
    return repr(filename) if filename else "the document"


def _finish(text: str, fmt: str, filename: str | None, **kw: object) -> Document:
    text = normalize_text(text)
    if not text.strip():
        raise errors.NoReportText(
            f"{_name(filename)} ({fmt}) opens but holds no text: if it is scanned pages it needs OCR first"
        )
    return Document(text=text, format=fmt, **kw)  # type: ignore[arg-type]


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
    controls = sum(1 for b in sample if b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D, 0x1A))
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
    if not normalize_text(text).strip():
        raise errors.EmptyDocument(f"{_name(filename)} holds only whitespace")
    flags = ("encoding_uncertain",) if uncertain else ()
    return _finish(text, "txt", filename, encoding=enc, flags=flags)


# --------------------------------------------------------------------------------- grid


_NUMBER_CELL = re.compile(r"^\s*[-+]?\d[\d,]*(?:\.\d+)?\s*%?\s*$")


def is_number_cell(text: str | None) -> bool:
    return bool(text) and bool(_NUMBER_CELL.match(text))


def expand_grid(rows: Iterable[Iterable[tuple[str, int, int]]]) -> list[list[str | None]]:
    """Place ``(text, rowspan, colspan)`` cells on a grid, repeating a spanned cell's text
    in every position it covers, except a number: a value counts once, so the positions
    it covers are holes (``None``: empty inside a row, dropped at its end).

    >>> expand_grid([[("a", 2, 1), ("b", 1, 2)], [("c", 1, 1), ("d", 1, 1)]])
    [['a', 'b', 'b'], ['a', 'c', 'd']]
    >>> expand_grid([[("行政许可", 1, 1), ("550", 1, 3)]])
    [['行政许可', '550', None, None]]
    """
    grid: dict[tuple[int, int], str | None] = {}
    n_rows = 0
    for r, row in enumerate(rows):
        n_rows = r + 1
        c = 0
        for text, rowspan, colspan in row:
            while (r, c) in grid:
                c += 1
            copy = None if is_number_cell(text) else text
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid.setdefault((r + dr, c + dc), text if dr == dc == 0 else copy)
            c += colspan
    return [_grid_row(grid, r) for r in range(n_rows)]


def _grid_row(grid: dict[tuple[int, int], str | None], r: int) -> list[str | None]:
    cols = [c for (rr, c) in grid if rr == r]
    return [grid.get((r, c), "") for c in range(max(cols) + 1)] if cols else []


def render_rows(rows: Iterable[list[str | None]]) -> list[str]:
    """One line per row, cells joined by `` | ``; holes (``None``) at a row's end are
    dropped, inside it they are empty cells; rows with no text are dropped."""
    lines = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        cells = [clean_cell(c) for c in row]
        if any(cells):
            lines.append(" | ".join(cells))
    return lines


_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\uff00-\uffef\u3000-\u303f“”])\s+(?=[\u3400-\u9fff\uff00-\uffef\u3000-\u303f“”])")


def clean_cell(text: str | None) -> str:
    """A cell's text on one line: wrapped lines joined, whitespace between Chinese
    characters dropped ("总 计" → "总计"), a literal ``|`` made full-width."""
    text = re.sub(r"\s+", " ", (text or "").replace("\u00a0", " ")).strip()
    return _CJK_GAP.sub("", text).replace("|", "｜")


# --------------------------------------------------------------------------------- html

_WORD_JUNK = re.compile(rb"<!\[(?:if[^\]]*|endif)\]>|<!--\[if[^\]]*\]>.*?<!\[endif\]-->", re.I | re.S)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w-]+)", re.I)
_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd br tr table section article center blockquote "
    "pre header footer main form hr caption tbody thead tfoot".split()
)
_DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "select", "button", "svg", "template")


def _read_html(data: bytes, filename: str | None) -> Document:
    text, enc, uncertain = _decode_html(data, filename)
    root = _parse_html(text, filename)
    title = _html_title(root)
    article = find_article(root)
    lines = list(render_html(article)) if article is not None else []
    if sum(len(_CJK.findall(line)) for line in lines) < 20:
        raise errors.NoReportText(
            f"{_name(filename)} is an HTML page without report text (the article is empty; "
            "the report may be an attachment or an image: fetch that instead)"
        )
    flags = ("encoding_uncertain",) if uncertain else ()
    return _finish("\n".join(lines), "html", filename, encoding=enc, flags=flags, title_hint=title)


def _decode_html(data: bytes, filename: str | None) -> tuple[str, str, bool]:
    declared = _META_CHARSET.search(data[:4096])
    if declared and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        enc = declared.group(1).decode("ascii").lower()
        enc = "gb18030" if enc in ("gb2312", "gbk") else enc
        try:
            return data.decode(enc), enc, False
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(data, filename)


def _parse_html(text: str, filename: str | None):
    import lxml.html
    from lxml import etree

    cleaned = _WORD_JUNK.sub(b"", text.encode("utf-8"))
    try:
        root = lxml.html.document_fromstring(cleaned, parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (etree.ParserError, ValueError) as exc:
        raise errors.NoReportText(f"{_name(filename)} looks like HTML but has no parsable content: {exc}") from exc
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction, *_DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    return root


def _html_title(root) -> str | None:
    titles = root.xpath("//title")
    text = clean_cell(titles[0].text_content()) if titles else ""
    return text or None


_TEXT_BLOCKS = ("p", "td", "th", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "dd", "div")
_HEADING_HINT = re.compile(r"年度报告|年报告")


def _cjk(text: str) -> int:
    return len(_CJK.findall(text))


def _own_text(el) -> str:
    """Text directly in the element and its inline children (not in nested blocks)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in _BLOCK_TAGS and child.tag != "a":
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def find_article(root):
    """The element holding the report, readability-style: every text block gives its
    Chinese character count to its parent and half to its grandparent (link text counts
    nothing); the best container wins, widened to take in the report's heading."""
    scores: dict = {}
    for el in root.iter(*_TEXT_BLOCKS):
        n = _cjk(_own_text(el))
        # a div/td holding text itself is a container; a paragraph credits its container
        holder = el if el.tag in ("div", "td") else el.getparent()
        if n < 2 or holder is None:
            continue
        scores[holder] = scores.get(holder, 0) + n
        grand = holder.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0) + n / 2
    for table in root.iter("table"):  # data tables (no nested table) belong to the article
        parent = table.getparent()
        if parent is not None and not table.xpath(".//table"):
            scores[parent] = scores.get(parent, 0) + _cjk(table.text_content()) / 2
    if not scores:
        return None
    best = max(scores, key=scores.get)
    return _widen_to_heading(best)


def _widen_to_heading(el, levels: int = 6):
    """Go up while an ancestor holds a short 年度报告 heading that ``el`` lacks and adds
    little other text."""
    node = el
    for _ in range(levels):
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        extra = _cjk(parent.text_content()) - _cjk(node.text_content())
        if extra > 0.5 * _cjk(node.text_content()) + 80:
            break
        if _has_heading_outside(parent, node):
            return parent
        node = parent
    return el


def _has_heading_outside(parent, child) -> bool:
    for el in parent.iter("h1", "h2", "h3", "p", "div", "td", "strong", "b", "span"):
        text = el.text_content().strip()
        if len(text) >= 60 or not _HEADING_HINT.search(text) or _is_inside(el, child) or _is_inside(child, el):
            continue
        if sum(_cjk(a.text_content()) for a in el.iter("a")) * 2 < _cjk(text):  # not a link list
            return True
    return False


def _is_inside(el, ancestor) -> bool:
    return el is ancestor or any(a is ancestor for a in el.iterancestors())


def render_html(el) -> Iterator[str]:
    """Lines of an element: one paragraph per line, each table row one `` | `` line."""
    buf: list[str] = []
    for kind, value in _walk(el):
        if kind == "text":
            buf.append(value)
            continue
        line = clean_line("".join(buf))
        buf = []
        if line:
            yield line
        if kind == "table":
            yield from value
    line = clean_line("".join(buf))
    if line:
        yield line


def clean_line(text: str) -> str:
    return re.sub(r"[ \t\r\n\u00a0]+", " ", text).strip(" \u3000")


def _walk(el) -> Iterator[tuple[str, object]]:
    """Yield ("text", str), ("break", None) and ("table", [lines]) in document order."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in ("ul", "ol", "li", "nav", "div") and _is_link_list(el):
        yield "break", None  # site navigation (tabs, menus, related links) inside the article container
    elif tag == "table":
        yield "table", render_rows(html_table_grid(el))
    else:
        if tag in _BLOCK_TAGS:
            yield "break", None
        if el.text and tag:
            yield "text", el.text
        for child in el:
            yield from _walk(child)
        if tag in _BLOCK_TAGS:
            yield "break", None
    if el.tail:
        yield "text", el.tail


def _is_link_list(el) -> bool:
    text = _cjk(el.text_content())
    return text > 0 and text == sum(_cjk(a.text_content()) for a in el.iter("a")) and el.find(".//table") is None


def html_table_grid(table) -> list[list[str]]:
    """The table's rows with rowspan/colspan expanded (nested tables flattened into their cell)."""
    rows = []
    for tr in table.iter("tr"):
        if _owning_table(tr) is not table:
            continue
        cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
        rows.append([(_cell_text(c), _span(c, "rowspan", 500), _span(c, "colspan", 100)) for c in cells])
    return expand_grid(rows)


def _owning_table(tr):
    for anc in tr.iterancestors("table"):
        return anc
    return None


def _span(cell, attr: str, cap: int) -> int:
    m = re.match(r"\s*(\d+)", cell.get(attr) or "")
    return max(1, min(int(m.group(1)), cap)) if m else 1


def _cell_text(cell) -> str:
    parts = [clean_line(p) for p in render_html(cell)]
    return "".join(p for p in parts if p)


# ---------------------------------------------------------------------------------- pdf


def _read_pdf(data: bytes, filename: str | None) -> Document:
    pdfplumber, pdf_errors = _pdf_modules()
    if b"%%EOF" not in data[-2048:]:
        raise errors.CorruptDocument(
            f"{_name(filename)} is a truncated PDF (no %%EOF trailer): download it again"
        )
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            title = _pdf_title(pdf.doc.info)
            pages = pdf_lines(pdf.pages)
    except pdf_errors as exc:
        raise errors.CorruptDocument(f"{_name(filename)} is a damaged PDF ({type(exc).__name__}: {exc})") from exc
    lines = [line for page in pages for line in page]
    if not any(line.strip() for line in lines):
        return Document(text="", format="pdf", flags=("needs_ocr",), title_hint=title)
    flags = ("needs_ocr_pages",) if any(not p for p in pages) else ()
    return _finish("\n".join(lines), "pdf", filename, flags=flags, title_hint=title)


def _pdf_modules():
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    excs = (PdfminerException, PDFSyntaxError, PSException, PDFPasswordIncorrect, PDFEncryptionError, ValueError,
            KeyError, TypeError, AssertionError, IndexError, AttributeError, EOFError, NotImplementedError,
            RecursionError, ZeroDivisionError, OverflowError)
    return pdfplumber, excs


def _pdf_title(infos: list) -> str | None:
    raw = next((info.get("Title") for info in infos or [] if isinstance(info, dict) and info.get("Title")), None)
    if hasattr(raw, "resolve"):
        raw = raw.resolve()
    if isinstance(raw, bytes):
        if raw[:2] in (b"\xfe\xff", b"\xff\xfe"):
            raw = raw.decode("utf-16", "replace")
        else:
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raw = raw.decode("latin-1")
    raw = clean_line(raw) if isinstance(raw, str) else ""
    return raw or None


def pdf_lines(pages) -> list[list[str]]:
    """Lines of every page.  A table that starts a page continues the table that ended
    the previous one (same number of columns): a label cell split by the page break is
    joined, empty leading label cells take the labels of the row above."""
    page_items: list[list[str | list[list[str | None]]]] = []
    for page in pages:
        items = pdf_page_items(page)
        prev = page_items[-1][-1] if page_items and page_items[-1] else None
        if items and isinstance(items[0], list) and isinstance(prev, list) and _same_width(prev, items[0]):
            join_split_labels(prev, items[0])
            items[0] = continue_rows(prev[-1], items[0])
        page_items.append(items)
        page.close()  # drop the page's parsed objects: memory stays flat on long PDFs
    return [[ln for it in items for ln in ([clean_line(it)] if isinstance(it, str) else table_lines(it))]
            for items in page_items]


def _same_width(a: list[list[str | None]], b: list[list[str | None]]) -> bool:
    return bool(a and b) and len(a[-1]) == len(b[0])


def pdf_page_items(page) -> list[str | list[list[str | None]]]:
    """A page in reading order: text lines outside tables (str) and ruled tables (their
    rows, merged cells filled) at the height where each table stands."""
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]
    items: list[tuple[float, int, object]] = []
    outside = page.filter(lambda obj: not _in_any(obj, boxes)) if boxes else page
    for line in outside.extract_text_lines(keep_blank_chars=True):
        if line["text"].strip() and not PAGE_NUMBER_LINE.match(line["text"]):
            items.append((line["top"], 0, line["text"]))
    for table in tables:
        items.append((table.bbox[1], 1, table))
    items.sort(key=lambda it: (round(it[0]), it[1]))
    return [_table_rows(page, item) if is_table else str(item) for _, is_table, item in items]


def _table_rows(page, table) -> list[list[str | None]]:
    """A table's rows with merged cells filled.  A row holding one text only (a page frame
    drawn around prose, a caption) is re-read from its strip of the page, widened so that
    punctuation hanging past the frame's edge stays in its line."""
    rows = fill_label_gaps(fill_merged(page, table))
    for r, row in enumerate(rows):
        if len({c for c in row if c and c.strip()}) == 1:
            x0, top, x1, bottom = table.rows[r].bbox
            strip = page.within_bbox((max(0, x0 - 2 * _HANGING_MARGIN), top, min(page.width, x1 + 2 * _HANGING_MARGIN), bottom))
            rows[r] = [strip.extract_text() or ""]
    return rows


def fill_label_gaps(rows: list[list[str | None]]) -> list[list[str | None]]:
    """In a label column (one holding no number anywhere in the table), an empty cell
    right of a filled label cell continues that label: the drawn split is not a second
    label ("（六）其他处理 | (empty) | 0" → "（六）其他处理 | （六）其他处理 | 0").

    >>> fill_label_gaps([["（一）予以公开", "", "5"], ["（三）不予公开", "1.属于国家秘密", "0"]])
    [['（一）予以公开', '（一）予以公开', '5'], ['（三）不予公开', '1.属于国家秘密', '0']]
    """
    width = max((len(r) for r in rows), default=0)
    label_cols = {c for c in range(width) if not any(c < len(r) and is_number_cell(r[c]) for r in rows)}
    for row in rows:
        for c in range(1, len(row)):
            if c in label_cols and c - 1 in label_cols and row[c] == "" and row[c - 1]:
                row[c] = row[c - 1]
    return rows


_ORDINAL_START = re.compile(r"^\s*(?:[（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+\s*、|\d+\s*[.、．])")
_NUMERIC = re.compile(r"^\s*[-+]?\d[\d,.]*\s*%?\s*$")


def join_split_labels(prev: list[list[str | None]], rows: list[list[str | None]]) -> None:
    """Join a label the page break cut in two ("（四）无" | "法提供" → "（四）无法提供"), in
    place in both tables: the part above starts with an ordinal, the part below does not.

    >>> a, b = [["三", "（四）无", "1.x"]], [["", "法提供", "2.y"], ["", "法提供", "3.z"], ["", "（五）不予处理", "1.w"]]
    >>> join_split_labels(a, b); a[0][1], [r[1] for r in b]
    ('（四）无法提供', ['（四）无法提供', '（四）无法提供', '（五）不予处理'])
    """
    top, below = prev[-1], rows[0]
    for c, (x, y) in enumerate(zip(top, below)):
        if not x or not y or x == y or _NUMERIC.match(y) or not _ORDINAL_START.match(x) or _ORDINAL_START.match(y):
            continue
        joined = x + y
        for table, part in ((reversed(prev), x), (rows, y)):
            for row in table:
                if row[c] != part:
                    break
                row[c] = joined


def continue_rows(prev: list[str | None], rows: list[list[str | None]]) -> list[list[str | None]]:
    """Fill the empty leading label cells of a table continued from the previous page.

    >>> continue_rows(["三", "（四）", "2.x", "3"], [["", "", "3.y", "0"], ["", "（五）", "1.z", "1"], ["四", "", "", "0"]])
    [['三', '（四）', '3.y', '0'], ['三', '（五）', '1.z', '1'], ['四', '', '', '0']]
    """
    if not rows or len(rows[0]) != len(prev):
        return rows
    out = []
    for n, row in enumerate(rows):
        if (row[0] or "").strip():
            return out + rows[n:]
        lead = next((c for c, v in enumerate(row) if (v or "").strip()), len(row))
        out.append([prev[c] if c < lead else v for c, v in enumerate(row)])
        prev = out[-1]
    return out


_HANGING_MARGIN = 6.0  # points


def _in_any(obj: dict, boxes: list[tuple[float, float, float, float]]) -> bool:
    if obj.get("object_type") != "char":
        return False
    cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    # a small side margin swallows punctuation hanging past a frame's edge (a lone "、")
    m = _HANGING_MARGIN
    return any(x0 - m <= cx <= x1 + m and top <= cy <= bottom for x0, top, x1, bottom in boxes)


def table_lines(rows: list[list[str | None]]) -> list[str]:
    """Table rows as lines.  Rows with a single distinct non-empty cell (a page frame drawn
    as one big box, a caption row) are plain text, their own line breaks kept; other rows
    are `` | `` lines with wrapped cell text joined."""
    lines: list[str] = []
    for row in rows:
        filled = [c for c in row if c and c.strip()]
        if len(set(filled)) <= 1:
            lines.extend(clean_line(x) for x in (filled[0] if filled else "").split("\n"))
        else:
            lines.extend(render_rows([row]))
    return [ln for ln in lines if ln]


def fill_merged(page, table) -> list[list[str | None]]:
    """``table.extract()`` with each ``None`` (a position covered by a merged cell, or by
    no ruled cell at all) replaced by the text that stands there, found from the geometry;
    a position covered by a number stays ``None`` (see :func:`expand_grid`)."""
    texts = table.extract()
    origins = {}
    for r, row in enumerate(table.rows):
        for c, bbox in enumerate(row.cells):
            if bbox is not None:
                origins[bbox] = texts[r][c] or ""
    xs = sorted({b[0] for b in origins} | {b[2] for b in origins})
    ys = sorted({b[1] for b in origins} | {b[3] for b in origins})
    out = []
    for r, row in enumerate(texts):
        out.append([v if v is not None else _covering(page, origins, xs, ys, table, r, c) for c, v in enumerate(row)])
    return out


def _covering(page, origins: dict, xs: list[float], ys: list[float], table, r: int, c: int) -> str | None:
    x0 = table.columns[c].bbox[0]
    top = table.rows[r].bbox[1]
    x1 = next((x for x in xs if x > x0 + 0.5), table.bbox[2])
    bottom = next((y for y in ys if y > top + 0.5), table.bbox[3])
    cx, cy = (x0 + x1) / 2, (top + bottom) / 2
    for (bx0, btop, bx1, bbottom), text in origins.items():
        if bx0 <= cx <= bx1 and btop <= cy <= bbottom:
            return None if is_number_cell(text) else text  # a value counts once
    return page.crop((x0, top, x1, bottom), strict=False).extract_text() or ""


# --------------------------------------------------------------------------------- docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _read_docx(data: bytes, filename: str | None) -> Document:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise errors.CorruptDocument(
            f"{_name(filename)} is a damaged or truncated ZIP/DOCX ({exc}): download it again"
        ) from exc
    if "word/document.xml" not in names:
        raise errors.UnsupportedFormat(f"{_name(filename)} is a ZIP archive but not a DOCX (no word/document.xml)")
    docx_doc = _open_docx(data, filename)
    try:
        lines = list(docx_lines(docx_doc))
    except (IndexError, ValueError, KeyError) as exc:  # python-docx on a malformed table grid
        raise errors.CorruptDocument(f"{_name(filename)} has a malformed table ({type(exc).__name__}: {exc})") from exc
    props = docx_doc.core_properties
    return _finish("\n".join(lines), "docx", filename, title_hint=(props.title or None))


def _open_docx(data: bytes, filename: str | None):
    import zlib

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        return docx.Document(io.BytesIO(data))
    except (KeyError, ValueError, zipfile.BadZipFile, etree.XMLSyntaxError, EOFError, zlib.error,
            PackageNotFoundError, NotImplementedError, RuntimeError) as exc:
        raise errors.CorruptDocument(f"{_name(filename)} is a damaged DOCX ({type(exc).__name__}: {exc})") from exc


def docx_lines(docx_doc) -> Iterator[str]:
    """Paragraphs and tables in body order (content controls opened)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    def walk(parent_el) -> Iterator[str]:
        for child in parent_el.iterchildren():
            if child.tag == _W + "p":
                line = clean_line(Paragraph(child, docx_doc).text)
                if line:
                    yield line
            elif child.tag == _W + "tbl":
                table = Table(child, docx_doc)
                yield from render_rows(docx_table_grid(table))
            elif child.tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):
                yield from walk(child)

    yield from walk(docx_doc.element.body)


def docx_table_grid(table) -> list[list[str | None]]:
    """python-docx already repeats a merged cell (gridSpan, vMerge) in every position it
    covers; a repeated number becomes a hole, as in :func:`expand_grid`."""
    seen: dict[int, object] = {}  # id -> element, kept alive so ids stay unique
    grid = []
    for row in table.rows:
        out: list[str | None] = []
        for cell in row.cells:
            covered = id(cell._tc) in seen
            seen[id(cell._tc)] = cell._tc
            out.append(None if covered and is_number_cell(cell.text) else cell.text)
        grid.append(out)
    return grid
