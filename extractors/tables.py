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

import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from extractors.catalogue import Catalogue, load_catalogue, normalize_label
from extractors.models import Cell, Table

UNIT_TOKENS = ("万元", "人次", "元", "条", "件", "次", "篇", "个", "人", "项")
_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(万元|元|%)?$")
_DASHES = {"-", "—", "－", "--", "——", "–", "―"}
_SLASHES = {"/", "／", "\\"}

# Section headings, tried on short non-table lines (data, not prose: see _heading_section).
_SECTION_PATTERNS = (
    ("t2", re.compile(r"第二十条\s*第\s*[（(][一二三四五六七八九十]+[)）]\s*项")),
    ("t3", re.compile(r"收到和处理政府信息公开申请情况")),
    ("t4", re.compile(r"行政法?复议[、,，]?\s*行政诉讼情况")),
    ("end", re.compile(r"存在的主要问题|其他需要报告的事项|^[五六]、")),
)


@dataclass(frozen=True)
class Piece:
    """A stripped cell (or label fragment) with its offsets in the report text."""

    text: str
    start: int
    end: int


@dataclass
class Row:
    """One table row as a reader saw it."""

    pieces: list[Piece]
    line: int = 0
    candidates: tuple[str, ...] = ()  # extra label readings (wrapped layout labels)
    values_only: bool = False  # the reader already split labels from values
    labels: list[Piece] = field(default_factory=list)


@dataclass
class Heading:
    text: str
    start: int = 0


def cell_state(raw: str) -> tuple[str, float | int | None, int, str | None]:
    """(state, value, precision, unit) of a printed cell.

    >>> cell_state("24252.311082")
    ('number', 24252.311082, 6, None)
    >>> cell_state("75394432.52元")
    ('number', 75394432.52, 2, '元')
    >>> cell_state("0"), cell_state(""), cell_state("/"), cell_state("无")[0], cell_state("—")[0]
    (('zero', 0, 0, None), ('blank', None, 0, None), ('slash', None, 0, None), 'none', 'slash')
    >>> cell_state("-18")
    ('number', -18, 0, None)
    """
    s = raw.strip()
    if not s:
        return "blank", None, 0, None
    if s in _SLASHES or s in _DASHES:
        return "slash", None, 0, None
    if s == "无":
        return "none", None, 0, None
    m = _NUMBER.match(s)
    if not m or m.group(4) == "%":
        return "text", None, 0, None
    sign, whole, frac, unit = m.groups()
    digits = whole.replace(",", "")
    value: float | int = float(f"{sign}{digits}.{frac}") if frac else int(f"{sign}{digits}")
    return ("zero" if value == 0 else "number"), value, len(frac or ""), unit


def is_value_like(text: str) -> bool:
    return cell_state(text)[0] != "text"


def is_unit(text: str) -> bool:
    return text.replace(" ", "") in UNIT_TOKENS


# ----------------------------------------------------------------------------- pipe reader

def _split_pipe_line(line: str, offset: int, trailing_frames: bool = True) -> list[Piece]:
    pieces, pos = [], 0
    for part in line.split("|"):
        lead = len(part) - len(part.lstrip())
        text = part.strip()
        start = offset + pos + lead
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


def _trailing_frames(text: str) -> bool:
    """Whether most table lines end with a pipe (then it frames the row, not a cell)."""
    lines = [ln for ln in text.split("\n") if "|" in ln and not ln.startswith("|")]
    return bool(lines) and sum(ln.rstrip().endswith("|") for ln in lines) / len(lines) > 0.5


def read_pipe_rows(text: str) -> Iterator[Row | Heading]:
    """Rows of ``a | b | c`` lines; other short lines become headings."""
    offset, trailing = 0, _trailing_frames(text)
    for n, line in enumerate(text.split("\n")):
        if "|" in line and not re.fullmatch(r"\s*\|?[\s:|-]*-[\s:|-]*", line):
            pieces = _split_pipe_line(line, offset, trailing)
            if pieces:
                yield Row(pieces, n)
        elif line.strip() and len(line.strip()) <= 60:
            yield Heading(line.strip().lstrip("#").strip(), offset)
        offset += len(line) + 1


def detect_form(text: str) -> str:
    """pipe | flat | layout, from how the table rows are rendered."""
    lines = text.split("\n")
    multi = sum(1 for ln in lines if ln.count("|") >= 2 and re.search(r"\S\s*\|\s*\S", ln))
    single = sum(1 for ln in lines if re.fullmatch(r"[^|]*\|\s*", ln))
    if single >= 20 and multi < 3:
        return "flat"
    if multi >= 3:
        return "pipe"
    return "layout"


# ----------------------------------------------------------------------------- builder

@dataclass
class _Builder:
    cat: Catalogue
    template: str
    section: str | None = None
    t4_block: str | None = None
    columns: tuple[str, ...] = ()
    has_unit: bool = False
    parents: tuple[str, ...] = ()
    last_t3: str | None = None
    cells: list[Cell] = field(default_factory=list)
    seen: set = field(default_factory=set)
    flags: list[str] = field(default_factory=list)
    header_text: list[str] = field(default_factory=list)

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
        for name, pattern in _SECTION_PATTERNS:
            if name in ("t2", "t3", "t4") and self.template == "pre2019":
                continue  # a pre-2019 report's prose headings do not open the new tables
            if pattern.search(text):
                self._enter(None if name == "end" else name)
                return
        key = self.match(text)
        if key and key.startswith("t4."):
            self.t4_block = key
        elif key:
            self.set_context(key)

    def _enter(self, section: str | None) -> None:
        if section != self.section:
            self.columns, self.has_unit, self.parents, self.t4_block = (), False, (), None
        self.section = section

    # rows -----------------------------------------------------------------------
    def row(self, row: Row) -> None:
        if not row.values_only and self._header(row.pieces):
            return
        labels, unit, values = self._split(row)
        if self._header_only(unit, values):
            values = []  # a pre-2019 heading row: "一、主动公开情况 | / | /"
        if not values:
            for piece in labels:
                self.heading(piece.text)
        elif not labels and (self.section == "t4" or (self.t4_block and len(values) in (5, 15))):
            self._t4_row(values)
        elif labels or row.candidates:
            key, label = self._resolve(labels, row.candidates)
            self._emit_row(key, label, unit, values)
        elif any(cell_state(v.text)[0] in ("number", "zero") for v in values):
            self._emit_row(None, f"row{row.line + 1}", unit, values)  # numbers without a label

    def _header_only(self, unit: Piece | None, values: list[Piece]) -> bool:
        """A unit-column row with no real unit and nothing but "/" or empty values."""
        if not self.has_unit or (unit and is_unit(unit.text)):
            return False
        return all(cell_state(v.text)[0] in ("blank", "slash") for v in values)

    def _header(self, pieces: list[Piece]) -> bool:
        texts = [p.text for p in pieces if p.text]
        if not texts or any(is_value_like(t) for t in texts):
            return False
        cols = [self.cat.match_column(t) for t in texts]
        roles = [self.cat.header_role(t) for t in texts]
        if not any(cols) and not any(r in ("label", "unit") for r in roles):
            return False
        if any(c is None and r is None for c, r in zip(cols, roles)) and not any(r == "label" for r in roles):
            return False
        if self.section in ("t3", "t4"):
            return True  # fixed column sets; multi-line headers carry nothing more
        if self.section is None and ("unit" in roles or "value" in cols or "cumulative" in cols):
            self._enter("pre2019")
        self.columns = tuple(c or "unknown" for c, r in zip(cols, roles) if r is None)
        self.has_unit = "unit" in roles
        self.header_text = texts
        return True

    def _split(self, row: Row) -> tuple[list[Piece], Piece | None, list[Piece]]:
        if row.values_only:
            return row.labels, None, row.pieces
        pieces = list(row.pieces)
        labels: list[Piece] = []
        while pieces and pieces[0].text and not is_value_like(pieces[0].text) \
                and not (self.has_unit and is_unit(pieces[0].text)):
            labels.append(pieces.pop(0))
        unit = None
        if self.has_unit and pieces and (is_unit(pieces[0].text) or len(pieces) > len(self.columns)):
            unit = pieces.pop(0)
        return labels, unit, pieces

    def _resolve(self, labels: list[Piece], candidates: tuple[str, ...]) -> tuple[str | None, str]:
        for piece in labels[:-1]:
            parent = self.match(piece.text)
            if parent:
                self.set_context(parent)
        own = labels[-1].text if labels else ""
        for label in (own, *candidates):
            key = self.match(label) if label else None
            if key:
                return key, label
        if self.section == "t3" and (own or candidates):
            key = self._next_t3(own or candidates[0])
            if key:
                return key, own or candidates[0]
        return None, own or (candidates[0] if candidates else "")

    def _next_t3(self, fragment: str) -> str | None:
        """The next row of the t3 order, if the (truncated) printed label fits it."""
        order = [e.id for e in self.cat.entries.values()
                 if e.section == "t3" and self.template in e.templates and not _heading_only(e.id)]
        start = order.index(self.last_t3) + 1 if self.last_t3 in order else 0
        frag = normalize_label(fragment)
        for key in order[start:start + 2]:
            forms = [normalize_label(lab) for lab in self.cat.entry(key).labels]
            if len(frag) >= 2 and any(frag in form for form in forms):
                return key
        return None

    def _emit_row(self, key: str | None, label: str, unit: Piece | None, values: list[Piece]) -> None:
        if key:
            self.set_context(key)
            if key.startswith("t3."):
                self.last_t3 = key
        while len(values) > 1 and not values[-1].text and len(values) > len(self._columns_for(key, values)):
            values = values[:-1]  # trailing empty cells of a ragged row
        columns = self._align(key, values)
        name = key or f"unknown:{normalize_label(label) or label}"
        if columns is None:
            self.flags.append("cells_unaligned")
            columns = [f"unknown:{i}" for i in range(1, len(values) + 1)]
        for col, piece in zip(columns, values):
            self._add(name, label, col, piece, unit, known=key is not None)

    def _columns_for(self, key: str | None, values: list[Piece]) -> tuple[str, ...]:
        options = []
        if self.section == "t3":
            options.append(self.cat.column_sets.get("t3", ()))
        if self.columns:
            options.append(self.columns)
        if key:
            options.append(self.cat.entry(key).columns_for(self.match_template))
        for cols in options:
            if len(cols) == len(values):
                return tuple(cols)
        return options[0] if options else ()

    def _align(self, key: str | None, values: list[Piece]) -> list[str] | None:
        cols = self._columns_for(key, values)
        return list(cols) if len(cols) == len(values) else None

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
        coldef = self.cat.columns.get(column)
        if coldef and coldef.unit and key in self.cat.entries \
                and self.cat.entry(key).unit_for(column) == coldef.unit:
            return coldef.unit
        return self.cat.entry(key).unit_for(column) if key in self.cat.entries else None


def _heading_only(key: str) -> bool:
    return key in {"t3.results", "t3.denied", "t3.unable", "t3.rejected"}


# ----------------------------------------------------------------------------- entry point

def _events(text: str, form: str, cat: Catalogue) -> Iterable[Row | Heading]:
    if form == "flat":
        from extractors.tables_flat import read_flat_rows
        return read_flat_rows(text, cat)
    if form == "layout":
        from extractors.tables_layout import read_layout_rows
        return read_layout_rows(text, cat)
    return read_pipe_rows(text)


def parse_tables(text: str, catalogue: Catalogue | None = None) -> Table:
    """All statistics-table cells of a report, keyed by the catalogue."""
    from extractors.template import detect_template, variant_of

    cat = catalogue or load_catalogue()
    form = detect_form(text)
    template = detect_template(text)
    builder = _Builder(cat, template)
    for event in _events(text, form, cat):
        if isinstance(event, Heading):
            builder.heading(event.text)
        else:
            builder.row(event)
    cells = tuple(builder.cells)
    table = Table(template=template, cells=cells)
    template = detect_template(text, table)
    flags = _flags(cat, template, cells, builder.flags)
    return Table(template=template, cells=cells, flags=flags,
                 variant=variant_of(template, cells, form, builder.header_text) if cells else None)


def _flags(cat: Catalogue, template: str, cells: tuple[Cell, ...], extra: list[str]) -> tuple[str, ...]:
    if not any(c.known for c in cells):
        return ("table_missing",)
    keys = {c.key for c in cells}
    mandatory = cat.mandatory(template)
    flags = ["table_partial"] if any(k not in keys for k in mandatory) else []
    return tuple(dict.fromkeys(flags + extra))


def missing_rows(table: Table, catalogue: Catalogue | None = None) -> list[str]:
    """Mandatory keys of the table's template that no cell carries (why table_partial)."""
    cat = catalogue or load_catalogue()
    keys = {c.key for c in table.cells}
    return [k for k in cat.mandatory(table.template) if k not in keys]
