"""Parse the statistics tables of a report into canonical cells.

Input is the normalized report text.  Three renderings of a table occur and each has a
small reader that turns it into the same row events:

* ``cell | cell | cell`` lines (HTML/DOCX readers, markdown from OCR), read here;
* the seed's flattened form, one cell per line ending in ``|`` (``tables_flat``);
* ``pdftotext -layout`` text, columns separated by space runs (``tables_layout``).

A ``_Builder`` then walks the events: section headings (第二十条第（一）项, 三、收到和处理…)
decide which table a row belongs to; header rows give the value columns; each data row's
label is looked up in the catalogue (with the rows above it as context) and its value
cells are aligned to the columns.  The alignment rules are hand-written because the
renderings do not expand rowspans: label cells of a spanned parent are peeled off the
left, the value cells must then match a known column list exactly, and anything that
does not align is kept with column ``unknown:<position>`` (1-based among the row's
value cells) and the flag ``cells_unaligned`` rather than guessed.

Cell states (DOMAIN.md "Cell states are not numbers"): ``0`` → zero, empty → blank,
``/`` → slash, ``无`` → none, dashes (``-``, ``—``, ``－``) → slash (they mean "nothing to
report here", like the slash, and are never read as a number), other text → text.
"""
from __future__ import annotations

import itertools
import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Iterable

from extractors.catalogue import Catalogue, load_catalogue, normalize_label
from extractors.models import Cell, Table
from extractors.tables_rows import (  # noqa: F401 - the readers' names, importable here too
    UNIT_TOKENS, Heading, Piece, Row, cell_state, detect_form, is_unit, is_value_like)


# Section headings, tried on short non-table lines (data, not prose: see _heading_section).
MIN_NEXT = 4  # characters of a truncated label that may name the next row of 表三
MAX_LINES = 8  # text lines (and label fragments) above a row that may hold the start of its label
_SECTION_PATTERNS = (
    ("t2", re.compile(r"第二十条\s*第\s*[（(][一二三四五六七八九十]+[)）]\s*项")),
    ("t3", re.compile(r"收到和处理政府信息公开申请情况")),
    ("t4", re.compile(r"行政法?复议[、,，]?\s*行政诉讼情况")),
    ("end", re.compile(r"存在的主要问题|其他需要报告的事项|^[五六]、")),
)


# ----------------------------------------------------------------------------- builder

@dataclass
class _Builder:
    cat: Catalogue
    template: str
    section: str | None = None
    t4_block: str | None = None
    columns: tuple[str, ...] = ()  # the header's value columns, a spanning header repeated
    has_unit: bool = False
    parents: tuple[str, ...] = ()
    last_t3: str | None = None
    t3_gap: bool = False  # a row not recognised since last_t3: the t3 order says nothing
    lines: list[str] = field(default_factory=list)  # text lines since the last row
    cells: list[Cell] = field(default_factory=list)
    seen: set = field(default_factory=set)
    flags: list[str] = field(default_factory=list)
    header_text: list[str] = field(default_factory=list)
    headers: list[tuple[str, ...]] = field(default_factory=list)  # this table's header rows
    width: tuple[int, int] = (0, 0)  # (positions, label positions) of a full-width header row

    @property
    def match_template(self) -> str | None:
        return None if self.template == "unknown" else self.template

    def match(self, label: str) -> str | None:
        return self.cat.match_row(label, self.match_template, {"parents": self.parents})

    def set_context(self, key: str) -> None:
        entry = self.cat.entry(key)
        chain = [key] if entry.children else []
        parent = entry.parent
        while parent:
            chain.append(parent)
            parent = self.cat.entry(parent).parent
        self.parents = tuple(chain)

    # headings -------------------------------------------------------------------
    def heading(self, text: str) -> None:
        self.lines.append(text)
        if self._section_heading(text):
            return
        key = self.match(text)
        if key and key.startswith("t4."):
            self.t4_block = key
        elif key:
            self.set_context(key)

    def _section_heading(self, text: str) -> bool:
        found, section = _section_named(text, self.template == "pre2019")
        if found:
            self._enter(section)
        return found

    def _enter(self, section: str | None) -> None:
        if section != self.section:
            self.columns, self.has_unit, self.parents, self.t4_block = (), False, (), None
            self.headers, self.width = [], (0, 0)
        self.section = section

    def takes(self, row: Row) -> bool:
        """Whether a line printed without pipes (行政许可 97) is a row of the current table."""
        if self.section not in ("t2", "t3", "t4", "pre2019"):
            return False
        key = self.match(row.pieces[0].text)
        if not key or not (self.cat.entry(key).section or "").startswith(self.section):
            return False
        return any(len(cols) == len(row.pieces) - 1 for cols in self._column_options(key))

    # rows -----------------------------------------------------------------------
    def row(self, row: Row) -> None:
        if not row.values_only and self._header(row.pieces):
            self.lines = []
            return
        labels, unit, values = self._split(row)
        fragment = self._empty_label_row(labels, values, row.candidates)
        if fragment or self._header_only(unit, values):
            values = []  # a heading row ("一、主动公开情况 | / | /"), a wrapped label's rest
        if not values:
            for piece in labels:
                self.heading(piece.text)
        elif not labels and (self.section == "t4" or (self.t4_block and len(values) in (5, 15))):
            self._t4_row(values)
        elif labels or row.candidates:
            key, label = self._resolve(labels, row.candidates)
            self._emit_row(key, label, unit, values)
        elif self.section == "t3" or any(cell_state(v.text)[0] in ("number", "zero") for v in values):
            # numbers without a label (an empty 表三 row too: tables_order may place it)
            key, label = self._outside("")
            self._emit_row(key, label, unit, values, None if key else f"row{row.line + 1}")
        if not fragment:
            self.lines = []  # text lines above a row are its own, not the next one's

    def _outside(self, label: str) -> tuple[str | None, str]:
        """The row named by the text lines printed just above it and ``label`` (a converter
        prints a merged label cell, or the start of a cut one, outside the table).  All
        the lines since the last row are taken together, or none: lines holding the labels
        of several rows name none of them."""
        if self.section not in ("t2", "t3", "pre2019") or not 0 < len(self.lines) <= MAX_LINES:
            return None, label
        text = "".join(self.lines) + label
        key = self.match(text)
        return (key, text) if key else (None, label)

    def _header_only(self, unit: Piece | None, values: list[Piece]) -> bool:
        """A unit-column row with no real unit and nothing but "/" or empty values."""
        if not self.has_unit or (unit and is_unit(unit.text)):
            return False
        return all(cell_state(v.text)[0] in ("blank", "slash") for v in values)

    def _empty_label_row(self, labels: list[Piece], values: list[Piece], candidates: tuple[str, ...]) -> bool:
        """Labels over empty cells that name no row: a header fragment or a label's rest."""
        if not labels or any(v.text for v in values):
            return False
        if self.section == "t4" or all(self.cat.header_role(p.text) for p in labels):
            return True  # 表四's rows are values only; header cells over nothing
        parents = self.parents
        key, label = self._identify(labels, candidates, guess=False)
        self.parents = parents
        return key is None and self._outside(label)[0] is None

    def _header(self, pieces: list[Piece]) -> bool:
        texts = [p.text for p in pieces if p.text]
        if not texts or any(is_value_like(t) for t in texts):
            return False
        pairs = [self._header_cell(t) for t in texts]
        cols, roles = [c for c, _ in pairs], [r for _, r in pairs]
        if not any(cols) and not any(r in ("label", "unit") for r in roles):
            return False
        if any(c is None and r is None for c, r in pairs) and not any(r == "label" for r in roles):
            return False
        for text in texts:  # a title row collapsed into the header (第二十条第（一）项 信息内容)
            self._section_heading(text.split()[0])
        self._header_width(pieces)
        if self.section in ("t3", "t4"):
            return True  # fixed column sets; multi-line headers carry nothing more
        if self.section is None and ("unit" in roles or "value" in cols or "cumulative" in cols):
            self._enter("pre2019")
        if tuple(texts) in self.headers and tuple(texts) != self.headers[-1]:
            return True  # an earlier header repeated after a page break: the columns stay
        self.headers.append(tuple(texts))
        self.columns = tuple(c or "unknown" for c, r in pairs if r is None)
        self.has_unit = "unit" in roles
        self.header_text = texts
        return True

    def _header_width(self, pieces: list[Piece]) -> None:
        """Remember where a header row printed as a full grid (positions left empty or
        repeated, as converters do) starts its value columns."""
        first = next((i for i, p in enumerate(pieces) if p.text and self._header_cell(p.text)[0]), None)
        texts = [p.text for p in pieces]
        if first is not None and (not all(texts) or len(set(texts)) < len(texts)):
            same = self.width[0] == len(pieces)
            self.width = (len(pieces), min(first, self.width[1]) if same else first)

    def _header_cell(self, text: str) -> tuple[str | None, str | None]:
        """(column, role) of a header cell; a collapsed header row's cell is named by its
        last line ("法人或其他组织 商业企业")."""
        col, role = self.cat.match_column(text), self.cat.header_role(text)
        if col or role or len(text.split()) < 2:
            return col, role
        last = text.split()[-1]
        return self.cat.match_column(last), self.cat.header_role(last)

    def _split(self, row: Row) -> tuple[list[Piece], Piece | None, list[Piece]]:
        if row.values_only:
            return row.labels, None, row.pieces
        from extractors.tables_markdown import label_run

        n = label_run(row.pieces, units=self.has_unit)
        if len(row.pieces) == self.width[0] and n <= self.width[1]:
            n = self.width[1]  # the header says where the labels end
        labels = [p for p in row.pieces[:n] if p.text]
        labels = [p for i, p in enumerate(labels) if i == 0 or p.text != labels[i - 1].text]
        pieces = list(row.pieces[n:])
        unit = None
        if self.has_unit and pieces and (is_unit(pieces[0].text) or len(pieces) > len(self.columns)):
            unit = pieces.pop(0)
        return labels, unit, pieces

    def _resolve(self, labels: list[Piece], candidates: tuple[str, ...]) -> tuple[str | None, str]:
        key, label = self._identify(labels, candidates)
        if key is None and label:
            key, label = self._outside(label)
        if key is None and self.section in ("t2", "t3", "pre2019") and label:
            seen = {k for k, _ in self.seen}
            for text in dict.fromkeys((label, labels[-1].text if labels else label)):
                key = self.cat.match_fragment(text, self.match_template, self.section, exclude=seen)
                if key:
                    self.flags.append("label_cut")  # recognised from a part of a cut label
                    break
        return key, label

    def _identify(self, labels: list[Piece], candidates: tuple[str, ...],
                  guess: bool = True) -> tuple[str | None, str]:
        """The row a printed label names: its own cell, a reading from the rows around it,
        or its cells joined (a label cut across merged label columns).  Unnamed, the label
        is the cells after the last one naming a parent row, joined."""
        first_own = 0
        for i, piece in enumerate(labels[:-1]):
            parent = self.match(piece.text)
            if parent:
                self.set_context(parent)
                first_own = i + 1
        own = labels[-1].text if labels else ""
        joins = ("".join(p.text for p in labels[-k:]) for k in range(2, len(labels) + 1))
        for label in itertools.chain((own, *candidates), joins):  # joined only if needed
            key = self.match(label) if label else None
            if key:
                return key, label
        joined = "".join(p.text for p in labels[first_own:])
        if guess and self.section == "t3" and (own or candidates) and not self.t3_gap:
            key = self._sub_row(own) or self._next_t3(joined or candidates[0])
            if key:
                return key, own or candidates[0]
        return None, joined or (candidates[0] if candidates else "")

    def _t3_order(self) -> list[str]:
        return [e.id for e in self.cat.entries.values()
                if e.section == "t3" and self.template in e.templates and not _heading_only(e.id)]

    def _sub_row(self, label: str) -> str | None:
        """A generic sub-row label (3.其他) under the next group of the t3 order, when the
        group's own heading cell was lost."""
        order = self._t3_order()
        start = order.index(self.last_t3) + 1 if self.last_t3 in order else 0
        near = [k for k in self.cat.match_any(label, self.match_template)
                if self.cat.entry(k).context and self.cat.entry(k).parent in order[start:start + 2]]
        return near[0] if len(near) == 1 else None

    def _next_t3(self, fragment: str) -> str | None:
        """The next row of the t3 order, if the (truncated) printed label fits it."""
        order = self._t3_order()
        start = order.index(self.last_t3) + 1 if self.last_t3 in order else 0
        frag = normalize_label(fragment)
        for key in order[start:start + 2]:
            forms = [normalize_label(lab) for lab in self.cat.entry(key).labels]
            if len(frag) >= MIN_NEXT and any(frag in form for form in forms):
                return key
        return None

    def _emit_row(self, key: str | None, label: str, unit: Piece | None, values: list[Piece],
                  name: str | None = None) -> None:
        if key:
            self.set_context(key)
        if key and key.startswith("t3."):
            self.last_t3, self.t3_gap = key, False
        elif self.section == "t3" and not key:
            self.t3_gap = True
        name = key or f"unknown:{name or normalize_label(label) or label}"
        fitted = self._fit(key, values)
        if fitted is None:
            self.flags.append("cells_unaligned")
            fitted = [f"unknown:{i}" for i in range(1, len(values) + 1)], values
        for col, piece in zip(*fitted):
            self._add(name, label, col, piece, unit, known=key is not None)

    def _column_options(self, key: str | None) -> list[tuple[str, ...]]:
        """Column lists a row may fill: the table's fixed set, the header's (if it fits
        the row's key), the key's own."""
        from extractors.tables_align import distinct

        options = []
        if self.section == "t3":
            options.append(tuple(self.cat.column_sets.get("t3", ())))
        allowed = set(self.cat.entry(key).columns_for(self.match_template)) if key else set()
        header = distinct(self.columns)
        if header and (not allowed or set(header) - {"unknown"} <= allowed):
            options.append(header)
        if key:
            options.append(self.cat.entry(key).columns_for(self.match_template))
        return [o for i, o in enumerate(options) if o and o not in options[:i]]

    def _fit(self, key: str | None, values: list[Piece]) -> tuple[list[str], list[Piece]] | None:
        """(columns, values) of a row, or None when its values fit no column list.  Where
        the header is printed as a full grid as wide as the row, the header's columns and
        the row's count must agree; when they do not, the count decides and the table is
        flagged ``cells_realigned`` (a guess an auditor should see)."""
        from extractors.tables_align import collapse_spans, distinct, fit_count

        readings = [values]
        spread = collapse_spans(self.columns, values)
        if spread is not None:
            readings.insert(0, spread)  # values repeated (or left empty) under a spanning header
        options = self._column_options(key)
        gridded = bool(self.width[0]) and len(values) == self.width[0] - self.width[1]
        for cols in options:
            for vals in readings:
                fitted = fit_count(len(cols), vals)
                if fitted is not None:
                    if gridded and distinct(self.columns) in options and cols != distinct(self.columns):
                        self.flags.append("cells_realigned")  # the header says otherwise
                    return list(cols), fitted
        filled = [v for v in values if v.text]
        cols = next((c for c in options if len(c) == len(filled) > 1), None)
        if cols and gridded:
            self.flags.append("cells_realigned")  # empty cells where the header has none
            return list(cols), filled
        return None

    def _t4_row(self, values: list[Piece]) -> None:
        cols = self.cat.column_sets.get("t4", ())
        blocks = ["t4.review", "t4.litigation_direct", "t4.litigation_after_review"]
        if len(values) == 5 and self.t4_block:
            blocks = [self.t4_block]
        elif len(values) != 15:
            blocks = []
        if not blocks:
            self.flags.append("cells_unaligned")
            for i, piece in enumerate(values, 1):
                self._add("unknown:t4", "", f"unknown:{i}", piece, None, known=False)
            return
        for i, key in enumerate(blocks):
            for col, piece in zip(cols, values[i * 5:(i + 1) * 5]):
                self._add(key, self.cat.entry(key).labels[0], col, piece, None, known=True)

    def _add(self, key: str, label: str, column: str, piece: Piece, unit: Piece | None, known: bool) -> None:
        state, value, precision, printed_unit = cell_state(piece.text)
        if (key, column) in self.seen:
            if state == "blank":
                return  # an empty repeat of a row already read (a rendering artefact)
            self.flags.append("duplicate_row")
            key, known = f"unknown:{key}#dup", False
            if (key, column) in self.seen:
                return
        self.seen.add((key, column))
        self.cells.append(Cell(
            key=key, label=label, column=column, value=value, raw=piece.text, state=state,
            unit=printed_unit or self._unit(key, column, unit), precision=precision,
            start=piece.start, end=piece.end, known=known,
        ))

    def _unit(self, key: str, column: str, unit: Piece | None) -> str | None:
        if unit and is_unit(unit.text):
            return unit.text.replace(" ", "")
        return self.cat.cell_unit(key, column)


@lru_cache(maxsize=1 << 12)
def _section_named(text: str, pre2019: bool) -> tuple[bool, str | None]:
    """(whether ``text`` is a section heading, the section it opens: None after the
    tables).  Cached: every heading and header cell of every report is asked about."""
    for name, pattern in _SECTION_PATTERNS:
        if name in ("t2", "t3", "t4") and pre2019:
            continue  # a pre-2019 report's prose headings do not open the new tables
        if pattern.search(text):
            return True, (None if name == "end" else name)
    return False, None


def _heading_only(key: str) -> bool:
    return key in {"t3.results", "t3.denied", "t3.unable", "t3.rejected"}


# ----------------------------------------------------------------------------- entry point

def _events(text: str, form: str, cat: Catalogue, template: str) -> Iterable[Row | Heading]:
    if form == "flat":
        from extractors.tables_flat import read_flat_rows
        return read_flat_rows(text, cat)
    if form == "layout":
        from extractors.tables_layout import read_layout_rows
        return read_layout_rows(text, cat)
    from extractors.tables_markdown import join_wrapped, read_pipe_rows
    return join_wrapped(list(read_pipe_rows(text)), cat, None if template == "unknown" else template)


def parse_tables(text: str, catalogue: Catalogue | None = None) -> Table:
    """All statistics-table cells of a report, keyed by the catalogue."""
    from extractors.template import detect_template, variant_of

    cat = catalogue or load_catalogue()
    form = detect_form(text)
    template = detect_template(text)
    builder = _Builder(cat, template)
    for event in _events(text, form, cat, template):
        if isinstance(event, Heading) and not (event.row and builder.takes(event.row)):
            builder.heading(event.text)
        else:
            builder.row(event.row if isinstance(event, Heading) else event)
    from extractors.tables_order import place_by_order

    template = detect_template(text, Table(template=template, cells=tuple(builder.cells)))
    placed, by_order = place_by_order(builder.cells, cat, template)
    cells = tuple(placed)
    flags = _flags(cat, template, cells, builder.flags + ["rows_by_order"] * by_order)
    return Table(template=template, cells=cells, flags=flags,
                 variant=variant_of(template, cells, form, builder.header_text) if cells else None)


def _flags(cat: Catalogue, template: str, cells: tuple[Cell, ...], extra: list[str]) -> tuple[str, ...]:
    unknown = any(not c.known and not c.key.endswith("#dup") and not c.column.startswith("unknown")
                  for c in cells)  # a row whose label names no row of the catalogue
    if not any(c.known for c in cells):
        return ("table_missing", "rows_unknown") if unknown else ("table_missing",)
    keys = {c.key for c in cells}
    mandatory = cat.mandatory(template)
    flags = ["table_partial"] if any(k not in keys for k in mandatory) else []
    return tuple(dict.fromkeys(flags + ["rows_unknown"] * unknown + extra))
