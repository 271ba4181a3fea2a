"""Fitting a row's value cells to a column list, by the header's structure and by count.

Renderings disagree about the positions a merged cell covers: an HTML grid expanded by
the reader, a converter's markdown and a DOCX table print them empty, repeat the cell in
each, or drop them.  Two repairs make a row's values fit its columns, and only these:

* under a header cell spanning several positions (the header repeats its text, so the
  column list repeats its id), the values of those positions are one value when they are
  all equal (repeated) or all but the first are empty (left empty);
* a row with more positions than columns may drop empty positions at its end (a ragged
  row) and then at its start (the empty label columns of a merged label).

Anything else does not fit, and the builder keeps the row's cells as ``unknown:<n>``
columns with the flag ``cells_unaligned``: a guess would put a number under the wrong
heading.  Hand-written: the rules are about this domain's renderings, not generic tables.
"""
from __future__ import annotations

from typing import Sequence, TypeVar

from extractors.tables_rows import Piece

T = TypeVar("T")


def distinct(columns: Sequence[str]) -> tuple[str, ...]:
    """The column list with a spanning header's repeats folded.

    >>> distinct(("decisions", "decisions", "decisions"))
    ('decisions',)
    >>> distinct(("prev_items", "change", "change", "unknown", "unknown"))
    ('prev_items', 'change', 'unknown', 'unknown')
    """
    out: list[str] = []
    for col in columns:
        if not out or col != out[-1] or col == "unknown":
            out.append(col)
    return tuple(out)


def _spans(columns: Sequence[str]) -> list[range]:
    spans: list[range] = []
    for i, col in enumerate(columns):
        if spans and col == columns[i - 1] and col != "unknown":
            spans[-1] = range(spans[-1].start, i + 1)
        else:
            spans.append(range(i, i + 1))
    return spans


def collapse_spans(columns: Sequence[str], values: list[Piece]) -> list[Piece] | None:
    """One value per spanning header cell, or None (no span, another width, or the values
    under a span disagree)."""
    spans = _spans(columns)
    if len(values) != len(columns) or len(spans) == len(columns):
        return None
    out = []
    for span in spans:
        group = [values[i] for i in span]
        texts = {p.text for p in group}
        if len(texts) > 1 and any(p.text for p in group[1:]):
            return None
        out.append(group[0])
    return out


def fit_count(n: int, values: list[T], text=lambda p: p.text) -> list[T] | None:
    """``values`` cut to ``n`` by dropping empty cells at the end, then at the start.

    >>> fit_count(2, ["5", "", ""], text=str)
    ['5', '']
    >>> fit_count(2, ["", "", "5", "6"], text=str)
    ['5', '6']
    >>> fit_count(2, ["", "5", "6", "7"], text=str) is None
    True
    """
    surplus = len(values) - n
    if surplus < 0:
        return None
    trail = 0
    while trail < surplus and not text(values[len(values) - 1 - trail]):
        trail += 1
    lead = surplus - trail
    if any(text(v) for v in values[:lead]):
        return None
    return values[lead:len(values) - trail]
