"""The parsed table as the cross-check rules see it: cells by (key, column), the sides of a
relation, and what a cell the table lacks means.

A rule names cells (``key@column``).  Each one the table has is *present* (a number, or a
blank / slash / 无 / text cell: an unknown non-negative count, see extractors/expr.py).
One the table lacks is *absent*, and an absent cell is one of two things:

* **unread** — the form prints it but the parser did not read it (a PDF page break, a
  converter rendering, a cut label read as an ``unknown:`` row, numbers left in
  ``unknown:<n>`` columns).  It counts as an unknown non-negative count, like a blank, and
  the finding names it (``extra["unread"]``).  A fail then stands only where the printed,
  correctly placed numbers prove it whatever the unread cells hold (the present parts
  already exceed the total); otherwise the check is ``not_assessable``.
* **not in this variant** — the form does not print it; the term is dropped, and a rule
  none of whose cells exist yields nothing.

Which one (:class:`Absence`):

* 2019trial and 2021 are fixed national forms: the catalogue knows every row and column of
  表二/三/四, so an absent cell the catalogue lists for the template is unread.
* pre-2019 tables differ by locality, so an absent cell is unread only on a sign that the
  table was read in part, and only in a column the table prints at all: the table is
  flagged ``table_partial`` (a row every variant prints is missing); the row itself is
  present in other columns or has numbers in ``unknown:<n>`` columns; its block (catalogue
  section) holds an ``unknown:`` row (placed by its neighbours in reading order), a row
  with unplaced numbers, or a gap in the printed item numbers (1、 then 3、); the table is
  flagged ``cells_unaligned`` with no unplaced cell to locate it; or the row's catalogue
  label is printed in the report on a line from which no cell was read (the parser saw
  the row but did not read it).  Without such a sign the row is taken as not printed by
  this variant: a 福建 table that prints no 政务微博 row is checked without it.

Hand-written because these semantics are the point of the module; no library models a
statistics form whose printed layout varies while its identities do not.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Iterable

from extractors.catalogue import Catalogue, label_forms, load_catalogue, normalize_label
from extractors.expr import (UNKNOWN, Interval, cell_bounds, cell_interval, cell_known, fmt_cell,
                             fmt_interval, fmt_number, split_ref)
from extractors.models import Cell, Table
from extractors.rules import Rule, RuleSet, Term

FIXED_FORMS = ("2019trial", "2021")
UNREAD = "未读"  # how a cell that was not read shows in an expression
_MISSING = object()
_PIECES = re.compile(r"\s*\|\s*|\s{2,}|\t")


def ref_of(key: str, column: str | None) -> str:
    return f"{key}@{column}" if column else key


def is_unknown_row(key: str) -> bool:
    return key.startswith("unknown:")


def is_unplaced(column: str) -> bool:
    return column.startswith("unknown")


@dataclass
class Side:
    """One side of a relation: the present cells with weights, the references of the cells
    that were not read, and the interval they stand for."""

    items: list[tuple[Cell, float]] = field(default_factory=list)
    interval: Interval = Interval(0, 0)
    unread: list[str] = field(default_factory=list)
    order: list[tuple[Cell | None, float]] = field(default_factory=list)  # terms as written

    @property
    def known(self) -> bool:
        return not self.unread and all(cell_known(c) for c, _ in self.items)

    @property
    def known_any(self) -> bool:
        return any(cell_known(c) for c, _ in self.items)

    @property
    def empty(self) -> bool:
        return not self.items and not self.unread

    def add(self, cell: Cell, weight: float, rounded: bool = False) -> None:
        self.items.append((cell, weight))
        self.order.append((cell, weight))
        # interval + cell_interval(cell).scale(weight), the same float operations without
        # the two intermediate Intervals (thousands of cells a report)
        own = cell_interval(cell, rounded)
        a, b = own.lo * weight, own.hi * weight
        self.interval = Interval(self.interval.lo + min(a, b), self.interval.hi + max(a, b))

    def add_unread(self, ref: str, weight: float) -> None:
        self.unread.append(ref)
        self.order.append((None, weight))
        self.interval = self.interval + UNKNOWN.scale(weight)

    def extend(self, other: "Side", weight: float = 1.0) -> None:
        """Add ``weight`` × the other side (−1 for a difference "a−b")."""
        self.items += [(c, w * weight) for c, w in other.items]
        self.unread += other.unread
        self.order += [(c, w * weight) for c, w in other.terms()]
        self.interval = self.interval + other.interval.scale(weight)

    def terms(self) -> list[tuple[Cell | None, float]]:
        """The terms in written order (None: a cell not read)."""
        if len(self.order) == len(self.items) + len(self.unread):
            return self.order
        return list(self.items) + [(None, 1.0)] * len(self.unread)  # built by hand

    def text(self) -> str:
        """"70 + 0", or for long sums the non-zero terms, blanks and unread cells counted,
        and the total; a cell that was not read shows as 未读."""
        terms = self.terms()
        shown, counted = terms, ""
        if len(terms) > 4:
            blanks = sum(1 for c, _ in terms if c is not None and not cell_known(c))
            unread = sum(1 for c, _ in terms if c is None)
            shown = [(c, w) for c, w in terms if c is not None and cell_known(c) and c.value] \
                or terms[:1]
            counted = (f" + 空×{blanks}" if blanks else "") + \
                (f" + {UNREAD}×{unread}" if unread else "")
        out = ""
        for i, (c, w) in enumerate(shown):
            sign = (" − " if w < 0 else " + ") if i else ("−" if w < 0 else "")
            factor = "" if abs(w) == 1 else f"{fmt_number(abs(w))}×"
            out += sign + factor + (fmt_cell(c) if c is not None else UNREAD)
        out += counted
        if len(terms) > 2:
            out += f" ({fmt_interval(self.interval)})"
        return out


class Absence:
    """Decides whether a cell the table lacks is unread or not in this variant."""

    def __init__(self, table: Table, cat: Catalogue, text: str | None = None) -> None:
        self.table, self.cat, self.text = table, cat, text
        self.fixed = table.template in FIXED_FORMS
        self.rows = {c.key for c in table.cells}
        self.unplaced_rows = {c.key for c in table.cells if is_unplaced(c.column)}
        self.columns = {c.column for c in table.cells if not is_unplaced(c.column)}

    def unread(self, key: str, column: str | None) -> bool:
        entry = self.cat.entries.get(key)
        template = self.table.template
        if entry is None or not column or (template != "unknown" and template not in entry.templates):
            return False
        if self.fixed:
            return column in entry.columns_for(template) and self._in_form(entry)
        if column not in self.columns and key not in self.unplaced_rows:
            return False  # this variant prints no such column
        return self._partly_read(key)

    def _in_form(self, entry) -> bool:
        """A row that sums its children (其他处理) is printed only where they are not, and a
        child only where its parent is not printed alone (the 2021 single-row variant)."""
        if any(child in self.rows for child in entry.children):
            return False
        parent = self.cat.entries.get(entry.parent or "")
        return not (parent is not None and parent.relation == "sum" and parent.id in self.rows
                    and not any(child in self.rows for child in parent.children))

    def _partly_read(self, key: str) -> bool:
        flags = self.table.flags
        if "table_partial" in flags or key in self.rows:
            return True
        if "cells_unaligned" in flags and not self.unplaced_rows:
            return True
        return self._block(key) in self.suspect_blocks or self._printed(key)

    def _block(self, key: str) -> str | None:
        entry = self.cat.entries.get(key)
        return entry.section if entry else None

    @cached_property
    def suspect_blocks(self) -> set[str | None]:
        """Blocks holding an ``unknown:`` row (placed by its known neighbours), a row with
        numbers in unknown columns, or a gap in the printed numbering of the rows."""
        out = {self._block(k) for k in self.unplaced_rows}
        keys = list(dict.fromkeys(c.key for c in self.table.cells))
        for i, key in enumerate(keys):
            if not is_unknown_row(key):
                continue
            base = key.removeprefix("unknown:").removesuffix("#dup")
            if base in self.cat.entries:
                out.add(self._block(base))
                continue
            out |= {self._block(k) for k in _neighbours(keys, i)}
        return out | {self._block(k) for k in numbering_gaps(self.table)}

    def _printed(self, key: str) -> bool:
        return not _label_forms(self.cat.entries[key].labels).isdisjoint(self.unread_lines)

    @cached_property
    def unread_lines(self) -> set[str]:
        """Normalized pieces of the report's lines from which no placed cell was read."""
        if not self.text:
            return set()
        starts = sorted(c.start for c in self.table.cells
                        if c.start is not None and not is_unknown_row(c.key)
                        and not is_unplaced(c.column))
        out, offset = set(), 0
        for line in self.text.split("\n"):
            end = offset + len(line)
            i = bisect.bisect_left(starts, offset)
            if not (i < len(starts) and starts[i] <= end):
                for piece in _PIECES.split(line.strip()):
                    if piece:
                        out.update(label_forms(piece))
            offset = end + 1
        out.discard("")
        return out


@lru_cache(maxsize=1 << 10)
def _label_forms(labels: tuple[str, ...]) -> frozenset[str]:
    """The normalized forms of a catalogue row's labels, with and without notes (the same
    rows are asked about in every report)."""
    return frozenset(normalize_label(lab, drop_notes=d) for lab in labels for d in (False, True))


_ITEM = re.compile(r"^(?:其中[:：]?\s*)?(\d{1,2})[、.．](?!\d)")


def numbering_gaps(table: Table) -> list[str]:
    """Rows printed right after a gap in the numbered items of a list (…1、 3、…, or a
    list opening with 2、): a row between them was not read.  Only the innermost items
    (1、 2、) count: the 一、 / （一） rows above them are often headings without values,
    which the table does not keep.

    >>> from extractors.models import Cell
    >>> rows = [("a", "其中：1、当面申请数"), ("b", "3、网络申请数"), ("c", "1、按时办结数")]
    >>> numbering_gaps(Table("pre2019", tuple(Cell(k, lab, "value", 0, "0", "zero") for k, lab in rows)))
    ['b']
    """
    out, before = [], None
    for key, label in dict.fromkeys((c.key, c.label) for c in table.cells):
        m = _ITEM.match(label.strip())
        if not m:
            continue
        n = int(m.group(1))
        if n > 1 and (before is None or n > before + 1 or n <= before):
            out.append(key)
        before = n
    return out


def _neighbours(keys: list[str], i: int) -> list[str]:
    """The nearest catalogue rows before and after position i."""
    before = next((k for k in reversed(keys[:i]) if not is_unknown_row(k)), None)
    after = next((k for k in keys[i + 1:] if not is_unknown_row(k)), None)
    return [k for k in (before, after) if k]


class TableView:
    """Cells indexed by (key, column), with the rule-set's reference conventions and the
    absence semantics above."""

    def __init__(self, table: Table, rs: RuleSet, text: str | None = None,
                 catalogue: Catalogue | None = None) -> None:
        self.table, self.rs = table, rs
        self.index: dict[tuple[str, str], Cell] = {}
        for c in table.cells:
            self.index.setdefault((c.key, c.column), c)
        self.keys = {k for k, _ in self.index}
        self.absence = Absence(table, catalogue or load_catalogue(), text)
        self._derivations: dict[tuple[str, str], list] | None = None
        # the view never changes: each (key, column) is looked up once (the rules ask
        # for the same cells thousands of times a report)
        self._cells: dict[tuple[str, str | None], Cell | None] = {}
        self._unread: dict[tuple[str, str | None], bool] = {}
        self._terms: dict[tuple[str, str | None, bool], tuple[Cell, float, float] | str | None] = {}

    def cell(self, key: str, column: str | None) -> Cell | None:
        """The cell at (key, column); a bare key takes the catalogue's default column, or
        the only placed column its row has (t2.licensing -> decisions)."""
        found = self._cells.get((key, column), _MISSING)  # (a miss as often as a hit: no try)
        if found is _MISSING:
            found = self._cells[key, column] = self._cell(key, column)
        return found

    def _cell(self, key: str, column: str | None) -> Cell | None:
        column = column or self.rs.default_column(key)
        if column:
            return self.index.get((key, column))
        cols = [c for k, c in self.index if k == key and not is_unplaced(c)]
        return self.index[(key, cols[0])] if len(cols) == 1 else None

    def column_of(self, key: str, column: str | None) -> str | None:
        """The column a reference means (its own, the default, or the catalogue's only one)."""
        column = column or self.rs.default_column(key)
        if column:
            return column
        entry = self.absence.cat.entries.get(key)
        cols = entry.columns_for(self.table.template) if entry else ()
        return cols[0] if len(cols) == 1 else None

    def unread(self, key: str, column: str | None) -> bool:
        found = self._unread.get((key, column))
        if found is None:
            found = self._unread[key, column] = self.absence.unread(key, self.column_of(key, column))
        return found

    def label(self, ref: str) -> str:
        """The catalogue's printed label of a reference's row (for cells not read)."""
        entry = self.absence.cat.entries.get(split_ref(ref)[0])
        return entry.labels[0] if entry else ref

    def resolve(self, ref: str, row: str | None, col: str | None) -> tuple[str, str | None]:
        return _resolve(ref, row, col)

    def bindings(self, rule: Rule) -> list[tuple[str | None, str | None]]:
        rows: Iterable[str | None] = [None]
        if rule.per_row == "*":
            rows = sorted(self.keys)
        elif rule.per_row:
            rows = rule.per_row
        cols = list(rule.per_column) if rule.per_column else [None]
        return [(r, c) for r in rows for c in cols]

    def side(self, terms: tuple[Term, ...], row: str | None, col: str | None,
             rounded: bool = False) -> Side:
        """The present cells of the terms, and the references of the unread ones.

        The same sums as :meth:`Side.add` / :meth:`Side.add_unread` term by term, in the
        same order (so the same floats), without a Side method call and an Interval per
        term: the rules ask for ~100 sides of ~5 terms a report."""
        items: list[tuple[Cell, float]] = []
        unread: list[str] = []
        order: list[tuple[Cell | None, float]] = []
        lo = hi = 0
        terms_of = self._terms
        for step in _plan(terms, row, col):
            refs = (step,) if type(step) is tuple else self._chosen(step, row, col)
            for key, column, w in refs:
                found = terms_of.get((key, column, rounded), _MISSING)
                if found is _MISSING:
                    found = self._term(key, column, rounded)
                if found is None:
                    continue  # not in this variant: the term is dropped
                if type(found) is str:  # unread: its reference, an unknown count
                    unread.append(found)
                    order.append((None, w))
                    own_lo, own_hi = UNKNOWN.lo, UNKNOWN.hi
                else:
                    cell, own_lo, own_hi = found
                    items.append((cell, w))
                    order.append((cell, w))
                a, b = own_lo * w, own_hi * w
                lo, hi = lo + min(a, b), hi + max(a, b)
        return Side(items, Interval(lo, hi), unread, order)

    def _term(self, key: str, column: str | None,
              rounded: bool) -> tuple[Cell, float, float] | str | None:
        """What a term (key, column) is in this table, remembered in ``_terms`` (the view
        never changes): the present cell with its interval's bounds, the reference of an
        unread cell, or None for a cell not in this variant."""
        cell = self.cell(key, column)
        if cell is not None:
            found: tuple[Cell, float, float] | str | None = (cell, *cell_bounds(cell, rounded))
        elif self.unread(key, column):
            found = ref_of(key, self.column_of(key, column))
        else:
            found = None
        self._terms[key, column, rounded] = found
        return found

    def _chosen(self, term: Term, row: str | None,
                col: str | None) -> list[tuple[str, str | None, float]]:
        return [(*self.resolve(ref, row, col), w) for ref, w in self._choose(term, row, col)]

    def _choose(self, term: Term, row: str | None, col: str | None) -> list[tuple[str, float]]:
        """A plain term, or the alternative of a one_of the table prints: the first with a
        present cell, else the first whose rows are present, else the first the table was
        expected to print (so its cells are named as unread)."""
        if term.ref is not None:
            return [(term.ref, term.weight)]
        alts = [[(t.ref, t.weight) for t in alt if t.ref is not None] for alt in term.one_of]
        keys = [[self.resolve(r, row, col) for r, _ in alt] for alt in alts]
        tests = (lambda k, c: self.cell(k, c) is not None, lambda k, c: k in self.keys,
                 lambda k, c: self.unread(k, c))
        for test in tests:
            for alt, refs in zip(alts, keys):
                if any(test(k, c) for k, c in refs):
                    return alt
        return []

    # -- metric references used by claims ("key", "key@col", "a+b", group names)
    def metric(self, expr: str) -> tuple[Side, list[str]] | None:
        """The cells a metric expression names (None if a part is neither in the table nor
        unread), plus the derivations used for blank or absent cells."""
        total, derived, found = Side(), [], False
        for sign, part in re.findall(r"([+-]?)\s*([^+-]+)", expr):  # "a+b", "a-b"
            got = self._metric_part(part.strip())
            if got is None:
                return None
            side, how = got
            found = True
            total.extend(side, -1.0 if sign == "-" else 1.0)
            derived += how
        return (total, derived) if found else None

    def _metric_part(self, part: str) -> tuple[Side, list[str]] | None:
        key, column = split_ref(part)
        if key in self.rs.groups:
            side = self.side(self.rs.groups[key], None, column or self.rs.default_column(key + "."))
            return (side, []) if not side.empty else None
        cell = self.cell(key, column)
        if cell is not None and cell_known(cell):
            return Side([(cell, 1.0)], cell_interval(cell)), []
        derived = self._derive(key, column or self.rs.default_column(key))
        if derived is not None:
            return derived
        if cell is not None:
            return Side([(cell, 1.0)], cell_interval(cell)), []
        if self.unread(key, column):
            return Side(interval=UNKNOWN, unread=[ref_of(key, self.column_of(key, column))]), []
        return None

    def _derive(self, key: str, column: str | None) -> tuple[Side, list[str]] | None:
        for rule, row, col in self.derivations().get((key, column or ""), []):
            side = self.side(rule.terms["terms"], row, col)
            if side.items and any(cell_known(c) for c, _ in side.items):
                return side, [f"{key}@{column} derived by {rule.ref}"]
        return None

    def derivations(self) -> dict[tuple[str, str], list]:
        if self._derivations is None:
            self._derivations = {}
            for rule in self.rs.of_kind("sum"):
                if not rule.params.get("derivable") or not applies(rule, self.table):
                    continue
                for row, col in self.bindings(rule):
                    target = self.resolve(rule.terms["cell"][0].ref or "", row, col)
                    self._derivations.setdefault((target[0], target[1] or ""), []).append(
                        (rule, row, col))
        return self._derivations


# The plain references of a rule side, resolved for one (row, col) binding: the rules are
# loaded once a process and bound to the same rows and columns in every report, so each
# side is resolved once, not once a report.  Keyed by the identity of the terms tuple,
# which the entry holds (so the id is not reused while the entry lives); bounded for
# callers that build terms on the fly (extractors/crossyear.py).
_PLANS: dict[tuple[int, str | None, str | None], tuple[tuple[Term, ...], tuple]] = {}
MAX_PLANS = 4096


def _plan(terms: tuple[Term, ...], row: str | None,
          col: str | None) -> tuple[tuple[str, str | None, float] | Term, ...]:
    """Per term, (key, column, weight) of a plain reference, or the one_of term itself
    (which alternative holds depends on the table)."""
    got = _PLANS.get((id(terms), row, col))
    if got is not None and got[0] is terms:
        return got[1]
    plan = tuple(term if term.ref is None else (*_resolve(term.ref, row, col), term.weight)
                 for term in terms)
    if len(_PLANS) >= MAX_PLANS:
        _PLANS.clear()
    _PLANS[id(terms), row, col] = (terms, plan)
    return plan


def _resolve(ref: str, row: str | None, col: str | None) -> tuple[str, str | None]:
    """(key, column) of a reference bound to a row and a column ("{row}@total")."""
    key, column = split_ref(ref.replace("{row}", row or "").replace("{col}", col or ""))
    return key, column or col


def applies(rule: Rule, table: Table) -> bool:
    return table.template in rule.templates
