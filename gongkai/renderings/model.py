"""The document model every rendering is printed from: paragraphs and tables whose grid
holds the merged (rowspan/colspan) cells as a government page or a Word table has them.
:mod:`gongkai.renderings.layout` builds it from a real report (and documents the API).

Hand-written: plain dataclasses; the layout of these reports is this project's own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

KINDS = ("header", "label", "value")


@dataclass(frozen=True)
class GridCell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    kind: str = "value"  # header | label | value


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class TableModel:
    section: str  # t2 | t3 | t4 | pre2019
    grid: tuple[tuple[GridCell, ...], ...]
    header_rows: int = 0
    caption: str | None = None

    @property
    def n_cols(self) -> int:
        return len(self.matrix()[0]) if self.grid else 0

    def matrix(self) -> list[list[tuple[GridCell, bool]]]:
        """Every grid position with the cell covering it and whether it is its origin."""
        placed: dict[tuple[int, int], tuple[GridCell, bool]] = {}
        for r, row in enumerate(self.grid):
            c = 0
            for cell in row:
                while (r, c) in placed:
                    c += 1
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        placed[(r + dr, c + dc)] = (cell, dr == 0 and dc == 0)
                c += cell.colspan
        width = max((c for _, c in placed), default=-1) + 1
        return [[placed.get((r, c), (GridCell(""), True)) for c in range(width)]
                for r in range(len(self.grid))]


Block = Union[Paragraph, TableModel]


@dataclass(frozen=True)
class ReportModel:
    report_id: str
    template: str
    blocks: tuple[Block, ...]
    gold_cells: tuple[dict, ...]
    text: str

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if isinstance(b, Paragraph))

    @property
    def tables(self) -> tuple[TableModel, ...]:
        return tuple(b for b in self.blocks if isinstance(b, TableModel))

    @property
    def title(self) -> str:
        """The report's title: its first one or two short paragraphs when they name the
        report (a title printed over two lines), else the first short paragraph."""
        head = [p for p in self.paragraphs[:2] if len(p) <= 40]
        for n in (2, 1):
            joined = "".join(head[:n])
            if len(head) >= n and "报告" in joined:
                return joined
        return head[0] if head else ""


