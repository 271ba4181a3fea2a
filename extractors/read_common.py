"""What every format reader shares: the error-naming helpers, the final normalisation
step, and the table grid (rowspan/colspan expansion, `` | `` rendering, cell cleaning).

Hand-written for the reasons given in :mod:`extractors.reader`.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from extractors import errors
from extractors.models import Document
from extractors.normalize import normalize_text


def _name(filename: str | None) -> str:
    return repr(filename) if filename else "the document"


def _finish(text: str, fmt: str, filename: str | None, **kw: object) -> Document:
    text = normalize_text(text)
    if not text.strip():
        raise errors.NoReportText(
            f"{_name(filename)} ({fmt}) opens but holds no text: if it is scanned pages it needs OCR first"
        )
    return Document(text=text, format=fmt, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------- grid


_NUMBER_CELL = re.compile(r"^\s*[-+]?\d[\d,]*(?:\.\d+)?\s*(?:%|万元|元)?\s*$")


def is_number_cell(text: str | None) -> bool:
    """A printed number, with its unit when the cell prints one ("75394432.52元").

    >>> is_number_cell("1,234"), is_number_cell("75394432.52元"), is_number_cell("12%"), is_number_cell("1.属于")
    (True, True, True, False)
    """
    return bool(text) and bool(_NUMBER_CELL.match(text))


MAX_GRID_CELLS = 100_000  # a statistics table has a few hundred; a page of real tables, a few thousand
# A spanned cell's text is repeated in the positions it covers only up to this length: a
# label or header (under 100 characters in every report seen); a longer text, such as a
# nested table rendered into its cell, is written once, or nesting would multiply it.
MAX_SPANNED_TEXT = 200


# Grid positions all tables of one document may fill with their spans expanded: a report's
# tables fill a few thousand; past this a table is laid out as written (linear in its cells).
MAX_PAGE_GRID_CELLS = 50_000


@dataclass
class Notes:
    """What reading one document met and spent: document flags (``table_spans_ignored``)
    and the grid positions its tables may still fill (:data:`MAX_PAGE_GRID_CELLS`)."""

    flags: set[str] = field(default_factory=set)
    cells_left: int = MAX_PAGE_GRID_CELLS


class GridTooLarge(ValueError):
    """A table whose spans would expand past :data:`MAX_GRID_CELLS` positions."""


def expand_grid(rows: Iterable[Iterable[tuple[str, int, int]]],
                max_cells: int = MAX_GRID_CELLS) -> list[list[str | None]]:
    """Place ``(text, rowspan, colspan)`` cells on a grid, repeating a spanned cell's text
    in every position it covers, except a number: a value counts once, so the positions
    it covers are holes (``None``: empty inside a row, dropped at its end); so are the
    positions of a text longer than :data:`MAX_SPANNED_TEXT`.

    A rowspan ends at the table's last row (as a browser lays it out).  The work is linear
    in the positions filled, and those are capped: past ``max_cells`` it raises
    :class:`GridTooLarge` (the caller lays the table out as written, see
    :func:`unspanned_grid`), so a small hostile page of ``rowspan=500 colspan=100`` cells
    cannot take minutes and gigabytes.

    >>> expand_grid([[("a", 2, 1), ("b", 1, 2)], [("c", 1, 1), ("d", 1, 1)]])
    [['a', 'b', 'b'], ['a', 'c', 'd']]
    >>> expand_grid([[("行政许可", 1, 1), ("550", 1, 3)]])
    [['行政许可', '550', None, None]]
    >>> expand_grid([[("a", 9, 1)], [("b", 1, 1)]])
    [['a'], ['a', 'b']]
    """
    rows = [list(row) for row in rows]
    grid: list[dict[int, str | None]] = [{} for _ in rows]
    filled = 0
    for r, row in enumerate(rows):
        c = 0
        for text, rowspan, colspan in row:
            while c in grid[r]:
                c += 1
            copy = None if is_number_cell(text) or len(text) > MAX_SPANNED_TEXT else text
            height = max(1, min(rowspan, len(rows) - r))
            filled += height * colspan
            if filled > max_cells:
                raise GridTooLarge(f"the table's spans expand past {max_cells} cells")
            for dr in range(height):
                line = grid[r + dr]
                for dc in range(colspan):
                    line.setdefault(c + dc, text if dr == dc == 0 else copy)
            c += colspan
    return [[line.get(c, "") for c in range(max(line) + 1)] if line else [] for line in grid]


def unspanned_grid(rows: Iterable[Iterable[tuple[str, int, int]]]) -> list[list[str | None]]:
    """The table as written, every cell once (spans ignored): the fallback for a table too
    large to expand."""
    return [[text for text, _, _ in row] for row in rows]


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


_WRAP = re.compile(r"[ \t]*\n[ \t]*")


def join_wrapped(text: str) -> str:
    r"""A cell's wrapped lines as one line: no space where Chinese text or a number was
    wrapped ("本年制发\n件数" → "本年制发件数", "300\n1" → "3001" in a narrow column), a
    space between two Latin words.

    >>> join_wrapped("300\n1"), join_wrapped("结果\n维持"), join_wrapped("e-mail\naddress")
    ('3001', '结果维持', 'e-mail address')
    """
    def gap(m: re.Match) -> str:
        a, b = text[m.start() - 1: m.start()], text[m.end(): m.end() + 1]
        latin = a.isascii() and b.isascii() and a.isalpha() and b.isalpha()
        return " " if latin else ""

    return _WRAP.sub(gap, text.strip())


def clean_line(text: str) -> str:
    return re.sub(r"[ \t\r\n\u00a0]+", " ", text).strip(" \u3000")
