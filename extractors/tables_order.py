"""Rows of 表三 whose label was lost, placed by the template's fixed row order.

Converters often print a merged label cell as text outside the table and keep only the
row's numbers (``| 0 | 0 | 0 | 0 | 0 | 0 | 0 |``), or keep a fragment of the label that
names no row by itself ("行政机关不再处理其政府信息公").  The 2019 and 2021 formats fix
the order of 表三's rows, so such a row is placed when, and only when, it is one of the
rows between two rows that were recognised and the number of such rows equals the
number of template rows missing between those two; a row that kept a fragment must fit
the label of the row it is placed on.  Anything less certain stays ``unknown:`` (its
identities become not assessable).  Placed tables carry the flag ``rows_by_order``.

Hand-written: the order is this domain's template, read from the catalogue.
"""
from __future__ import annotations

from dataclasses import replace
from itertools import groupby

from extractors.catalogue import Catalogue, normalize_label
from extractors.models import Cell

TEMPLATES = ("2019trial", "2021")


def place_by_order(cells: list[Cell], cat: Catalogue, template: str) -> tuple[list[Cell], bool]:
    """The cells with unknown 表三 rows placed where the order allows; whether any was."""
    if template not in TEMPLATES:
        return [c for c in cells if not (c.key.startswith("unknown:row") and c.state == "blank")], False
    rows = [(key, list(group)) for key, group in groupby(cells, key=lambda c: c.key)]
    orders = _orders(cat, template, {c.key for c in cells if c.known})
    columns = set(cat.column_sets.get("t3", ()))
    placed: dict[int, str] = {}
    for a, c in _known_pairs(rows, orders[0], columns):
        gap = list(range(a + 1, c))
        fits = {tuple(slots) for order in orders
                for slots in [order[order.index(rows[a][0]) + 1:order.index(rows[c][0])]]
                if len(slots) == len(gap) and all(_fits(rows[i][1], k, cat) for i, k in zip(gap, slots))}
        if gap and len(fits) == 1:  # one reading of the template fits: no guess
            placed.update(zip(gap, fits.pop()))
    out = []
    for i, (_, group) in enumerate(rows):
        if i in placed:
            out += [replace(x, key=placed[i], known=True) for x in group]
        elif not _empty(group):
            out += group
    return out, bool(placed)


def _orders(cat: Catalogue, template: str, present: set[str]) -> list[list[str]]:
    """表三's value rows in template order, one list per reading: a row with parts is
    printed either alone or as its parts (2021's （六）其他处理); when neither is
    recognised both readings are kept.  Heading cells (（三）不予公开…) hold no values."""
    from extractors.tables import _heading_only

    readings: list[tuple[list[str], set[str]]] = [([], set())]
    for e in cat.entries.values():
        if e.section != "t3" or template not in e.templates or _heading_only(e.id):
            continue
        parts = {k for k in e.children if template in cat.entry(k).templates}
        out = []
        for order, skip in readings:
            if e.id in skip:
                out.append((order, skip))
            elif not parts or (e.id in present and not parts & present):
                out.append((order + [e.id], skip | parts))
            elif parts & present:
                out.append((order, skip))
            else:
                out += [(order + [e.id], skip | parts), (order, skip)]
        readings = out
    return [order for order, _ in readings]


def _known_pairs(rows: list[tuple[str, list[Cell]]], order: list[str], columns: set[str]) -> list[tuple[int, int]]:
    """Consecutive recognised 表三 rows with only unknown 表三-shaped rows between them."""
    pairs, last = [], None
    for i, (key, group) in enumerate(rows):
        if key in order:
            if last is not None and order.index(key) > order.index(rows[last][0]):
                pairs.append((last, i))
            last = i
        elif not _unknown_row(group, columns):
            last = None
    return pairs


def _unknown_row(group: list[Cell], columns: set[str]) -> bool:
    """An unrecognised row whose values were aligned to 表三's columns."""
    return all(not c.known and not c.key.endswith("#dup") for c in group) \
        and {c.column for c in group} <= columns


def _empty(group: list[Cell]) -> bool:
    """An unlabelled row of empty cells: kept only if the order places it."""
    return all(not c.known and not c.label and c.state == "blank" for c in group)


def _fits(group: list[Cell], key: str, cat: Catalogue) -> bool:
    """An unlabelled row fits any slot; a fragment must be part of the slot's label."""
    if not _unknown_row(group, set(cat.column_sets.get("t3", ()))):
        return False
    frag = normalize_label(group[0].label)
    return not frag or any(frag in normalize_label(lab) for lab in cat.entry(key).labels)
