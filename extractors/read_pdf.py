"""PDF reports (pdfplumber): page text and ruled tables from the page geometry, merged cells filled, tables continued across pages.

Each page gives text lines outside its ruled tables and the tables themselves (merged
cells filled from the geometry, each cell's wrapped lines joined); a table that opens a
page carries on the one that closed the previous page (:mod:`extractors.read_pdf_pages`).

Hand-written for the reasons given in :mod:`extractors.reader`.
"""
from __future__ import annotations

import io

from extractors import errors
from extractors.models import Document
from extractors.normalize import PAGE_NUMBER_LINE
from extractors.read_common import _finish, _name, clean_line, is_number_cell, join_wrapped, render_rows
from extractors.read_pdf_pages import PdfTable, continues, join_pages

# ---------------------------------------------------------------------------------- pdf


def read_pdf(data: bytes, filename: str | None) -> Document:
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
    lines = [line for page in pages if page for line in page]
    if not any(line.strip() for line in lines):
        return Document(text="", format="pdf", flags=("needs_ocr",), title_hint=title)
    flags = ("needs_ocr_pages",) if any(p == [] for p in pages) else ()
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


def pdf_lines(pages) -> list[list[str] | None]:
    """Lines of every page.  A table that opens a page carries on the table that closed
    the previous one (:mod:`extractors.read_pdf_pages`); its rows are then printed with
    that table, on the page where it started (``None`` for a page that held nothing else).
    """
    page_items: list[list[str | PdfTable]] = []
    last: PdfTable | None = None  # the table that closed the pages read so far
    for page in pages:
        items = pdf_page_items(page)
        page.close()  # drop the page's parsed objects: memory stays flat on long PDFs
        moved = bool(items) and isinstance(items[0], PdfTable) and last is not None and continues(last, items[0])
        if moved:
            join_pages(last, items.pop(0))
        if items:
            last = items[-1] if isinstance(items[-1], PdfTable) else None
        page_items.append(items if items or not moved else None)
    return [None if items is None else
            [ln for it in items for ln in ([clean_line(it)] if isinstance(it, str) else table_lines(fill_label_gaps(it.rows)))]
            for items in page_items]


def pdf_page_items(page) -> list[str | PdfTable]:
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
    return [PdfTable(_table_rows(page, item), _edges(item)) if is_table else str(item)
            for _, is_table, item in items]


def _edges(table) -> list[float]:
    cols = table.columns
    return [c.bbox[0] for c in cols] + [cols[-1].bbox[2]] if cols else [table.bbox[0], table.bbox[2]]


def _table_rows(page, table) -> list[list[str | None]]:
    """A table's rows with merged cells filled and each cell's wrapped lines joined.  A
    row that is one ruled cell (a page frame drawn around prose, a caption) is re-read
    from its strip of the page, widened so that punctuation hanging past the frame's
    edge stays in its line, its line breaks kept."""
    rows = fill_merged(page, table)
    for r, row in enumerate(rows):
        if len({c for c in row if c and c.strip()}) == 1 and sum(b is not None for b in table.rows[r].cells) == 1:
            x0, top, x1, bottom = table.rows[r].bbox
            strip = page.within_bbox((max(0, x0 - 2 * _HANGING_MARGIN), top, min(page.width, x1 + 2 * _HANGING_MARGIN), bottom))
            rows[r] = [strip.extract_text() or ""]
        else:
            rows[r] = [None if c is None else join_wrapped(c) for c in row]
    return rows


def fill_label_gaps(rows: list[list[str | None]]) -> list[list[str | None]]:
    """In a label column (one holding no number anywhere in the table), an empty cell
    right of a filled label cell continues that label: the drawn split is not a second
    label ("（六）其他处理 | (empty) | 0" → "（六）其他处理 | （六）其他处理 | 0").  Done on
    the whole table, once its parts on several pages are joined (an empty cell of a row's
    rest on the next page is empty, not a copy of its neighbour).

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
    as one big box, a caption row) are plain text, their own line breaks kept, unless
    that text is a number printed in several cells (a row of zeros is a row); other rows
    are `` | `` lines with wrapped cell text joined.

    >>> table_lines([["0", "0", "0"], ["第二十条第（一）项"]])
    ['0 | 0 | 0', '第二十条第（一）项']
    """
    lines: list[str] = []
    for row in rows:
        filled = [c for c in row if c and c.strip()]
        if len(set(filled)) <= 1 and not (len(filled) > 1 and is_number_cell(filled[0])):
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


