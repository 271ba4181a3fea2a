"""Reader for the seed's flattened table form: one cell per line, each ending in ``|``.

The seed report (corpus/2017_pingjiang_mzj.txt) lost its row structure when its page was
turned into text: every cell became its own ``label |`` / ``unit |`` / ``value |`` line,
an empty cell became a bare ``|`` line and a value's pipe sometimes moved to the next
line (``0`` then ``|``).  Cells are therefore read as the text between consecutive pipes
of the table area, and rows are rebuilt by starting a new row at every cell that is
neither a value nor a unit.  Cells before the header row (统计指标 | 单位 | 统计数) are
the table title and are passed on as headings.
"""
from __future__ import annotations

import re
from typing import Iterator

from extractors.catalogue import Catalogue, load_catalogue
from extractors.tables_rows import Heading, Piece, Row, is_unit, is_value_like


def _area(text: str) -> tuple[int, int]:
    """Start and end offsets of the lines that hold pipes."""
    first, last = text.find("|"), text.rfind("|")
    start = text.rfind("\n", 0, first) + 1
    return start, last


def _cells(text: str) -> list[Piece]:
    start, last = _area(text)
    cells, pos = [], start
    for m in re.finditer(r"\|", text[start:last + 1]):
        end = start + m.start()
        raw = text[pos:end]
        lead = len(raw) - len(raw.lstrip())
        stripped = raw.strip()
        cells.append(Piece(stripped, pos + lead, pos + lead + len(stripped)))
        pos = end + 1
    return cells


def _is_header(text: str, cat: Catalogue) -> bool:
    return bool(text) and (cat.match_column(text) is not None or cat.header_role(text) in ("label", "unit"))


def read_flat_rows(text: str, catalogue: Catalogue | None = None) -> Iterator[Row | Heading]:
    cat = catalogue or load_catalogue()
    if "|" not in text:
        return
    cells = _cells(text)
    i = 0
    while i < len(cells) and not _is_header(cells[i].text, cat):
        if cells[i].text:
            yield Heading(cells[i].text, cells[i].start)
        i += 1
    header = []
    while i < len(cells) and _is_header(cells[i].text, cat):
        header.append(cells[i])
        i += 1
    if header:
        yield Row(header)
    row: list[Piece] = []
    for cell in cells[i:]:
        starts_row = cell.text and not is_value_like(cell.text) and not is_unit(cell.text)
        if starts_row and row:
            yield Row(row)
            row = []
        row.append(cell)
    if row:
        yield Row(row)
