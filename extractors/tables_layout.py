"""Reader for tables rendered by ``pdftotext -layout``: columns are runs of spaces.

A layout line is split into tokens; the numbers at its right end are the value cells and
the text before them is the label, cut into fragments at runs of two or more spaces (a
rowspan parent such as （四）无法提供 and the row's own label share a line).  Lines
without numbers are label fragments: page numbers (-3-) are dropped, and wrapped labels
are rebuilt by joining the fragments printed just above and below a data line in the
same text column (wrapping in the PDF keeps the left edge).  The joins to try are passed
to the builder as candidates; the first one the catalogue recognises wins and its lines
are consumed so the next row cannot reuse them.  This is hand-written because the
geometry is all pdftotext leaves: no cell borders, multi-line headers, labels centred
vertically on their rowspan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from extractors.catalogue import Catalogue, load_catalogue
from extractors.tables_rows import Piece, Row, cell_state

_PAGE_NUMBER = re.compile(r"^\s*[-－—]\s*\d{1,3}\s*[-－—]\s*$")
_START = re.compile(r"第二十条\s*第\s*[（(]|统计指标|指标名称|政府信息公开情况统计表")
_END = re.compile(r"存在的主要问题|其他需要报告的事项")
_VALUE_STATES = ("number", "zero", "slash", "none")
_TOKEN = re.compile(r"\S+")
_PHRASE = re.compile(r"\S+(?: \S+)*")  # tokens joined by single spaces
COLUMN_SLACK = 4  # how far (in characters) a wrapped fragment's left edge may drift
MAX_WRAP = 3  # label lines joined above or below a data line


@dataclass
class _Line:
    n: int
    start: int
    fragments: list[Piece]
    values: list[Piece] = field(default_factory=list)
    used: bool = False

    def column(self, piece: Piece) -> int:
        return piece.start - self.start


def _tokens(line: str, offset: int) -> list[Piece]:
    return [Piece(m.group(), offset + m.start(), offset + m.end()) for m in _TOKEN.finditer(line)]


def _fragments(line: str, offset: int, end: int) -> list[Piece]:
    out = []
    for m in _PHRASE.finditer(line[:end]):
        out.append(Piece(m.group(), offset + m.start(), offset + m.end()))
    return out


def _parse_line(n: int, line: str, offset: int) -> _Line:
    tokens = _tokens(line, offset)
    values: list[Piece] = []
    while tokens and cell_state(tokens[-1].text)[0] in _VALUE_STATES:
        values.insert(0, tokens.pop())
    label_end = (tokens[-1].end - offset) if tokens else 0
    return _Line(n, offset, _fragments(line, offset, label_end), values)


def _region_lines(text: str) -> list[_Line]:
    lines, offset, inside = [], 0, False
    for n, line in enumerate(text.split("\n")):
        inside = inside or bool(_START.search(line))
        if inside and _END.search(line):
            break
        if inside and line.strip() and not _PAGE_NUMBER.match(line):
            lines.append(_parse_line(n, line, offset))
        offset += len(line) + 1
    return lines


def _near(line: _Line, anchor: int | None) -> list[Piece]:
    if anchor is None:
        return line.fragments[-1:]
    return [p for p in line.fragments if abs(line.column(p) - anchor) <= COLUMN_SLACK]


def _windows(before: list[_Line], own: str, after: list[_Line], anchor: int | None) -> list[tuple[str, list[_Line]]]:
    """Label joins to try, fewest added lines first, with the lines each one uses."""
    above = [(ln, _near(ln, anchor)) for ln in before if not ln.used][-MAX_WRAP:]
    below = [(ln, _near(ln, anchor)) for ln in after if not ln.used][:MAX_WRAP]
    above = [(ln, ps) for ln, ps in above if ps]
    below = [(ln, ps) for ln, ps in below if ps]
    out = []
    for size in range(1, len(above) + len(below) + 1):
        for j in range(min(size, len(above)), -1, -1):  # labels wrap downwards: above first
            k = size - j
            if k > len(below):
                continue
            parts = above[len(above) - j:] + [(None, [Piece(own, 0, 0)])] + below[:k]
            text = "".join(p.text for _, ps in parts for p in ps)
            out.append((text, [ln for ln, _ in parts if ln is not None]))
    return out


def _resolve_wrap(lines: list[_Line], i: int, cat: Catalogue) -> tuple[str, ...]:
    """Candidate labels for data line ``i`` built from the label lines around it."""
    line = lines[i]
    own = line.fragments[-1] if line.fragments else None
    anchor = line.column(own) if own else None
    prev = next((k for k in range(i - 1, -1, -1) if lines[k].values), -1)
    nxt = next((k for k in range(i + 1, len(lines)) if lines[k].values), len(lines))
    windows = _windows(lines[prev + 1:i], own.text if own else "", lines[i + 1:nxt], anchor)
    for text, used in windows:
        if cat.match_row(text) or cat.match_row(text, None, {"parents": ("t3.other",)}):
            for ln in used:
                ln.used = True
            return (text,)
    return ()


def read_layout_rows(text: str, catalogue: Catalogue | None = None) -> Iterator[Row]:
    cat = catalogue or load_catalogue()
    lines = _region_lines(text)
    for i, line in enumerate(lines):
        if not line.values:
            yield Row(line.fragments, line.n)
            continue
        own_matches = line.fragments and cat.match_row(line.fragments[-1].text)
        candidates = () if own_matches else _resolve_wrap(lines, i, cat)
        yield Row(line.values, line.n, candidates=candidates, values_only=True,
                  labels=list(line.fragments))
