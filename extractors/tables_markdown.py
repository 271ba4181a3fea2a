"""Reader for ``a | b | c`` table rows: HTML/DOCX grids, GitHub markdown from converters.

Every line holding a pipe is a row; a ``|---|`` separator line is not.  Markdown adds
habits of its own, normalised here before the builder in :mod:`extractors.tables` sees
the rows:

* leading/trailing frame pipes (``| a | b |``); ``\\|`` inside a cell; ``<br>`` line
  breaks and ``**bold**`` marks inside cells;
* a line that is prose, not a row, although it ends in `` |`` (one long cell, or one that
  ends a sentence);
* a row printed without pipes inside a table (``行政许可 97``): a short line of a label
  and numbers becomes a candidate row the builder takes only where the label names a
  row of the current table;
* a long label wrapped onto following rows, the values on its first or on its last row:
  the fragments are joined back when the catalogue recognises the join and not the
  fragment alone.

Merged cells (left empty or repeated), labels cut across merged label columns, header
rows repeated after a page break and values spread under a spanning header are handled
by the builder, which knows the header.  Hand-written: a markdown parser (markdown-it,
mistune) gives the same cells but none of these repairs, which are the point.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from typing import Iterator

from extractors.catalogue import Catalogue
from extractors.tables_rows import Heading, Piece, Row, is_unit, is_value_like

_SEPARATOR = re.compile(r"\s*\|?[\s:|-]*-[\s:|-]*")
_PIPE = re.compile(r"(?<!\\)\|")
_BREAK = re.compile(r"<br\s*/?>", re.I)
_EMPHASIS = re.compile(r"^(\*\*|__)(.+)\1$")
_SENTENCE_END = ("。", "；", "！", "？", "：")
PROSE_CELL = 60  # a single cell this long is prose, not a table row
_UNPIPED = re.compile(r"(?P<label>[^\d\s|][^|]*?)(?P<values>(?:\s+[-+]?\d[\d,]*(?:\.\d+)?(?:万元|元)?)+)\s*")
MAX_WRAP = 8  # rows one wrapped label may occupy


# ----------------------------------------------------------------------------- lines

def split_pipe_line(line: str, offset: int, trailing_frames: bool = True) -> list[Piece]:
    """The cells of one ``|`` line with their offsets in the report text."""
    pieces, pos = [], offset
    for part in _PIPE.split(line):
        text = part.strip()
        if text[:1] in ("*", "_") or "<" in text or "\\|" in text:
            pieces.append(_piece(part, pos))  # markup to step over
        else:  # a plain cell (nearly all): _piece without the call
            start = pos + len(part) - len(part.lstrip())
            pieces.append(Piece(text, start, start + len(text)))
        pos += len(part) + 1
    # "| a | b |" (markdown) and "a | b |" (a terminator pipe on most rows of the
    # document): the outer empty pieces are not cells; "a | b | " in a document whose
    # rows do not end in a pipe is a join whose last cell is empty, kept as blank.
    framed = line.startswith("|")
    if framed and pieces and not pieces[0].text:
        pieces = pieces[1:]
    if (framed or trailing_frames) and line.rstrip().endswith("|") and pieces and not pieces[-1].text:
        pieces = pieces[:-1]
    return pieces


def _piece(part: str, start: int) -> Piece:
    """A stripped cell; markup around a value is stepped over so the offsets stay on it."""
    lead = len(part) - len(part.lstrip())
    text = part.strip()
    start += lead
    m = _EMPHASIS.match(text) if text[:1] in ("*", "_") else None
    if m:
        start, text = start + len(m.group(1)), m.group(2)
    if "<" in text or "\\|" in text:
        return Piece(_BREAK.sub(" ", text).replace("\\|", "｜").strip(), start, start + len(text))
    return Piece(text, start, start + len(text))


def _trailing_frames(text: str) -> bool:
    """Whether most table lines end with a pipe (then it frames the row, not a cell)."""
    lines = [ln for ln in text.split("\n") if "|" in ln and not ln.startswith("|")]
    return bool(lines) and sum(ln.rstrip().endswith("|") for ln in lines) / len(lines) > 0.5


def is_prose_row(pieces: list[Piece]) -> bool:
    """A line with one cell of prose (a paragraph that happens to end in `` |``)."""
    texts = [p.text for p in pieces if p.text]
    return len(texts) == 1 and (len(texts[0]) > PROSE_CELL or texts[0].endswith(_SENTENCE_END))


def unpiped_row(line: str, offset: int, n: int) -> Row | None:
    """``行政许可 97`` as a row (label, values), for the builder to take or leave."""
    m = _UNPIPED.fullmatch(line)
    if not m or len(m.group("label").strip()) > PROSE_CELL:
        return None
    label = Piece(m.group("label").strip(), offset + m.start("label"), offset + m.end("label"))
    values = [Piece(v.group(), offset + m.start("values") + v.start(), offset + m.start("values") + v.end())
              for v in re.finditer(r"\S+", m.group("values"))]
    return Row([label, *values], n)


def read_pipe_rows(text: str) -> Iterator[Row | Heading]:
    """Rows of ``a | b | c`` lines; other short lines become headings."""
    offset, trailing = 0, _trailing_frames(text)
    for n, line in enumerate(text.split("\n")):
        if "-" in line and _SEPARATOR.fullmatch(line):  # (a separator holds a dash)
            pass
        elif "|" in line:
            pieces = split_pipe_line(line, offset, trailing)
            if pieces and not is_prose_row(pieces):
                yield Row(pieces, n)
        elif line.strip() and len(line.strip()) <= PROSE_CELL:
            yield Heading(line.strip().lstrip("#").strip(), offset, unpiped_row(line, offset, n))
        offset += len(line) + 1


# ----------------------------------------------------------------------------- wrapped labels

def label_run(pieces: list[Piece], units: bool = True) -> int:
    """How many leading pieces form the row's label area: up to its last label before
    the first value (or unit), so empty cells among labels are merged label columns.

    >>> label_run([Piece("", 0, 0), Piece("（一）予以公开", 0, 0), Piece("", 0, 0), Piece("3", 0, 0)])
    2
    >>> label_run([Piece("规章", 0, 0), Piece("", 0, 0), Piece("0", 0, 0)])
    1
    """
    end = 0
    for i, p in enumerate(pieces):
        if not p.text:
            continue
        if is_value_like(p.text) or (units and end and is_unit(p.text)):
            break  # (a unit follows a label: "项" in front is the rest of a wrapped label)
        end = i + 1
    return end


def _parts(row: Row) -> tuple[list[Piece], list[Piece]]:
    n = label_run(row.pieces)
    labels = [p for p in row.pieces[:n] if p.text]
    labels = [p for i, p in enumerate(labels) if i == 0 or p.text != labels[i - 1].text]
    return labels, row.pieces[n:]


def join_wrapped(events: list[Row | Heading], cat: Catalogue, template: str | None) -> list[Row | Heading]:
    """The events with wrapped labels re-joined into one row each (across a page break:
    the page number, running header and repeated header rows between are kept after it)."""
    running = _running_lines(events, cat, template)
    furniture = [_event_key(e) in running for e in events]
    rows_at = [k for k, f in enumerate(furniture) if not f]  # the events that are no furniture
    wrap = _Wrapping(cat, template)
    out: list[Row | Heading] = []
    i = 0
    while i < len(events):
        if wrap.alone(events[i]):  # most events: what follows cannot change them
            out.append(events[i])
            i += 1
            continue
        rows, skipped = _following(furniture, rows_at, i)
        merged, n = wrap.at([events[k] for k in rows])
        out.append(merged)
        if n > 1:
            out += [events[k] for k in skipped if k < rows[n - 1]]
            i = rows[n - 1] + 1
        else:
            i += 1
    return out


def _running_lines(events: list, cat: Catalogue, template: str | None) -> set:
    """Lines a wrapped label may run across: text lines that name no row and open no
    section (page numbers, running headers) and label-free rows printed more than once
    (a header repeated on the next page)."""
    from extractors.tables import _section_named

    counts: dict = {}
    for e in events:
        if isinstance(e, Row):
            key = tuple(p.text for p in e.pieces)
            counts[key] = counts.get(key, 0) + 1
    out: set = {k for k, n in counts.items() if n > 1 and not any(map(is_value_like, k))}
    return out | {e.text for e in events if isinstance(e, Heading) and not cat.match_any(e.text, template)
                  and not _section_named(e.text, False)[0]}  # (any section pattern)


def _event_key(e: Row | Heading) -> str | tuple[str, ...]:
    return e.text if isinstance(e, Heading) else tuple(p.text for p in e.pieces)


def _following(furniture: list[bool], rows_at: list[int], i: int) -> tuple[list[int], list[int]]:
    """Indices of the row at ``i`` and the rows after it (page furniture, the events
    marked in ``furniture``, stepped over), and of the furniture stepped over; ``rows_at``
    lists the events that are not furniture, in order."""
    stop = min(len(furniture), i + 4 * MAX_WRAP)
    k = bisect_right(rows_at, i)
    rows = [i] + [r for r in rows_at[k:k + MAX_WRAP] if r < stop]
    last = rows[-1] if len(rows) > MAX_WRAP else stop - 1  # the scan ends at the last row taken
    return rows, [r for r in range(i + 1, last + 1) if furniture[r]]


class _Wrapping:
    """The wrapped-label joins of one table: each row's label/value split and each label
    text's catalogue answer are worked out once (a row is looked at from every one of the
    up to MAX_WRAP rows before it)."""

    def __init__(self, cat: Catalogue, template: str | None) -> None:
        self.cat, self.template = cat, template
        self._parts: dict[int, tuple[Row, tuple[list[Piece], list[Piece]]]] = {}
        self._known: dict[str, bool] = {}

    def parts(self, row: Row) -> tuple[list[Piece], list[Piece]]:
        got = self._parts.get(id(row))
        if got is None or got[0] is not row:
            got = self._parts[id(row)] = (row, _parts(row))  # the row held: its id stays its own
        return got[1]

    def label_only(self, row: Row) -> bool:
        labels, rest = self.parts(row)
        return bool(labels) and all(not p.text for p in rest)

    def has_label(self, event) -> bool:
        return isinstance(event, Row) and not event.values_only and bool(self.parts(event)[0])

    def known(self, text: str) -> bool:
        if text not in self._known:
            self._known[text] = bool(self.cat.match_any(text, self.template))
        return self._known[text]

    def own(self, row: Row) -> Piece:
        return self.parts(row)[0][-1]

    def join(self, rows: list[Row]) -> Piece | None:
        """The own labels of ``rows`` joined, if the catalogue knows the join."""
        owns = [self.own(r) for r in rows]
        text = "".join(p.text for p in owns)
        return Piece(text, owns[0].start, owns[-1].end) if self.known(text) else None

    def alone(self, event) -> bool:
        """Whether ``event`` stands as it is whatever follows it: it is no labelled row, or
        it prints values after a label the catalogue knows (:meth:`at` takes it alone)."""
        if not self.has_label(event):
            return True
        return not self.label_only(event) and self.known(self.own(event).text)

    def at(self, rows: list) -> tuple[Row | Heading, int]:
        """(``rows[0]`` with the rows its label wraps onto joined in, how many rows it took)."""
        row = rows[0]
        if self.alone(row):
            return row, 1
        run = 1  # the label rows (values blank) that follow
        while run < len(rows) and self.has_label(rows[run]) and self.label_only(rows[run]):
            run += 1
        if not self.label_only(row):  # values on the first row, the label's rest below
            for end in range(1, run):
                joined = self.join(rows[:end + 1])
                if joined:
                    return _merge(row, joined, row), end + 1
            return row, 1
        last = rows[run] if run < len(rows) else None  # values on the last row
        if self.has_label(last) and not self.label_only(last) and not (  # a complete label after a complete one
                self.known(self.own(last).text) and self.known(self.own(row).text)):
            start = next((s for s in range(run - 1, -1, -1) if self.join(rows[s:run + 1])), None)
            if start == 0:
                return _merge(row, self.join(rows[:run + 1]), last), run + 1
            run = start if start is not None else run  # the rows before that join stand alone
        if self.known(self.own(row).text):
            return row, 1
        for end in range(1, run):  # a row of empty cells, its label wrapped
            joined = self.join(rows[:end + 1])
            if joined:
                return _merge(row, joined, rows[end]), end + 1
        return row, 1


def _merge(first: Row, own: Piece, last: Row) -> Row:
    """One row: ``first``'s labels with its own label replaced by the joined ``own``,
    then ``last``'s cells after them (the positions are kept: a header may count them)."""
    n = label_run(first.pieces)
    at = max(i for i, p in enumerate(first.pieces[:n]) if p.text)
    return Row([*first.pieces[:at], own, *first.pieces[at + 1:n], *last.pieces[n:]], first.line)
