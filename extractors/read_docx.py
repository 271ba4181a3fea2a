"""DOCX reports (python-docx): paragraphs and tables in body order, merged cells (gridSpan/vMerge) expanded.

Hand-written for the reasons given in :mod:`extractors.reader`.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from extractors import errors
from extractors.models import Document
from extractors.read_common import MAX_SPANNED_TEXT, Notes, _finish, _name, clean_line, is_number_cell, render_rows

# --------------------------------------------------------------------------------- docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(data: bytes, filename: str | None) -> Document:
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
    notes = Notes()
    try:
        lines = list(docx_lines(docx_doc, notes))
    except (IndexError, ValueError, KeyError) as exc:  # python-docx on a malformed table grid
        raise errors.CorruptDocument(f"{_name(filename)} has a malformed table ({type(exc).__name__}: {exc})") from exc
    props = docx_doc.core_properties
    return _finish("\n".join(lines), "docx", filename, title_hint=(props.title or None),
                   flags=tuple(sorted(notes.flags)))


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


def docx_lines(docx_doc, notes=None) -> Iterator[str]:
    """Paragraphs and tables in body order (content controls opened)."""
    notes = notes if notes is not None else Notes()
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
                yield from render_rows(docx_table_grid(table, notes))
            elif child.tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):
                yield from walk(child)

    yield from walk(docx_doc.element.body)


def docx_table_grid(table, notes=None) -> list[list[str | None]]:
    """A table's grid: a merged cell (gridSpan, vMerge) repeated in every position it
    covers, except a number or a long text, which becomes a hole (as in :func:`expand_grid`).

    Read from the XML in one pass, keeping the text above each grid column for vertical
    merges: python-docx's ``row.cells`` looks each continued cell up through every row
    above it (a 400-row merge took 9 s; a longer one overflowed the recursion limit).
    Past the page's grid budget (``notes``, as for HTML) the table is laid out as written."""
    from docx.oxml.simpletypes import ST_Merge
    from docx.table import _Cell

    notes = notes if notes is not None else Notes()
    rows = table._tbl.tr_lst
    positions = sum(max(1, tc.grid_span) for tr in rows for tc in tr.tc_lst)
    if positions > notes.cells_left:
        notes.flags.add("table_spans_ignored")
        return [[_Cell(tc, table).text for tc in tr.tc_lst] for tr in rows]
    notes.cells_left -= positions
    above: dict[int, str] = {}  # grid column -> the text of the cell covering it
    grid = []
    for tr in rows:
        col, out = tr.grid_before, []
        for tc in tr.tc_lst:
            span = max(1, tc.grid_span)
            continued = tc.vMerge == ST_Merge.CONTINUE and col in above
            text = above[col] if continued else _Cell(tc, table).text
            copy = None if is_number_cell(text) or len(text) > MAX_SPANNED_TEXT else text
            for k in range(span):
                out.append(copy if continued or k else text)
                above[col + k] = text
            col += span
        grid.append(out)
    return grid
