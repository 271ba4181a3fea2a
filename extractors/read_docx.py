"""DOCX reports (python-docx): paragraphs and tables in body order, merged cells (gridSpan/vMerge) expanded.

Hand-written for the reasons given in :mod:`extractors.reader`.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from extractors import errors
from extractors.models import Document
from extractors.read_common import _finish, _name, clean_line, is_number_cell, render_rows

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

