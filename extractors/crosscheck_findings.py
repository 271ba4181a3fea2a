"""Building the findings of the cross-check: messages from the rule's templates, the cells
with their offsets, and the list of cells a check could not read.

Hand-written: the finding shape is the project's own contract (DESIGN.md, ``gongkai check
--json``); the only library used is :class:`string.Formatter` for the message templates.
A ``not_assessable`` finding says why in its message and in ``extra``: which cells were
printed blank, and which cells the check needed but the table parser did not read
(``extra["unread"]``, as ``key@column`` references).  A blank is not 0, and neither is a
cell that was not read.
"""
from __future__ import annotations

import math
import re
import string
from typing import Iterable

from extractors.expr import Interval, cell_known
from extractors.models import Cell, Finding
from extractors.rules import Rule, RuleSet

_SHOWN_UNREAD = 4  # references listed in a message; the rest are counted


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def cell_dict(c: Cell) -> dict:
    return {"key": c.key, "column": c.column, "label": c.label, "value": c.value,
            "raw": c.raw, "state": c.state, "start": c.start, "end": c.end}


def _unread_text(unread: list[str]) -> tuple[str, str]:
    shown = unread[:_SHOWN_UNREAD]
    more = len(unread) - len(shown)
    zh = "、".join(shown) + (f"等{len(unread)}个" if more else "")
    en = ", ".join(shown) + (f" and {more} more" if more else "")
    return zh, en


def not_assessable_prefix(blank: bool, unread: list[str]) -> tuple[str, str]:
    """Why a check is open: blank cells, cells that were not read, or both."""
    if not unread:
        return "无法核验（相关单元格空白）：", "Not assessable (blank cells): "
    zh, en = _unread_text(unread)
    if blank:
        return (f"无法核验（相关单元格空白，且未读出单元格{zh}）：",
                f"Not assessable (blank cells; cells not read: {en}): ")
    return f"无法核验（未读出单元格{zh}）：", f"Not assessable (cells not read: {en}): "


def make_finding(rule: Rule, status: str, fields: dict, cells: Iterable[Cell] = (),
                 values: Iterable[float | None] = (), expression: str | None = None,
                 spans: Iterable[tuple[int, int]] | None = None, reading: str | None = None,
                 extra: dict | None = None, unread: Iterable[str] = ()) -> Finding:
    """One finding; ``unread`` lists the cells the check needed but the table lacks."""
    cells = list(dict.fromkeys(cells))
    unread = list(dict.fromkeys(unread))
    if fields.get("quote"):
        fields = {**fields, "quote": re.sub(r"\s*\n\s*", "", fields["quote"])}  # wrapped PDF lines
    fmt = string.Formatter()
    msg = fmt.vformat(rule.message, (), _Blank(fields))
    msg_en = fmt.vformat(rule.message_en, (), _Blank(fields))
    if status == "not_assessable":
        blank = any(not cell_known(c) for c in cells) or not unread
        zh, en = not_assessable_prefix(blank, unread)
        msg, msg_en = zh + msg, en + msg_en
    if spans is None:
        spans = [(c.start, c.end) for c in cells if c.start is not None and c.end is not None]
    extra = {**(extra or {}), **({"unread": unread} if unread else {})}
    return Finding(code=rule.id, status=status, severity=rule.severity, message=msg,
                   message_en=msg_en, cells=tuple(cell_dict(c) for c in cells),
                   values=tuple(values), expression=expression, spans=tuple(spans),
                   rule=rule.ref, reading=reading, extra=extra)


def violated_status(rule: Rule) -> str:
    return "fail" if rule.strength == "hard" else "warn"


_NOTE = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")
_NUMBERING = re.compile(r"^(?:其中[:：]?\s*|[一二三四五六七八九十]+[、.．]\s*|\d{1,2}[、.．](?!\d)\s*)+")


def short_label(label: str) -> str:
    """A printed label without numbering and trailing note.

    >>> short_label("1、专职人员数 (不包括政府公报及政府网站工作人员数)")
    '专职人员数'
    >>> short_label("其中：1、网站公开")
    '网站公开'
    """
    return _NUMBERING.sub("", _NOTE.sub("", label)) or label


def label_of(c: Cell, rs: RuleSet, with_column: bool = False) -> str:
    if with_column and c.column not in ("value", "total"):
        return f"{short_label(c.label)}（{rs.column_names.get(c.column, c.column)}）"
    return short_label(c.label)


def tolerance(rule: Rule) -> tuple[bool, float]:
    """(integer terms rounded?, absolute tolerance) from the rule's ``tolerance`` field."""
    tol = rule.params.get("tolerance", "printed_precision")
    if isinstance(tol, (int, float)):
        return False, float(tol)
    return tol == "rounded", 0.0


def mid(iv: Interval) -> float | None:
    """The number a side stands for: its value, or the printed lower bound when blanks
    leave it open above (the expression shows "≥")."""
    return (iv.lo + iv.hi) / 2 if math.isfinite(iv.hi) else iv.lo


class _OpenChecks:
    """Collects the not-assessable instances of one rule into one finding."""

    def __init__(self, rule: Rule) -> None:
        self.rule, self.exprs, self.cells, self.fields = rule, [], [], None
        self.unread: list[str] = []

    def add(self, expr: str, cells: list[Cell], fields: dict, unread: Iterable[str] = ()) -> None:
        self.exprs.append(expr)
        self.cells += [c for c in cells if not cell_known(c)]
        self.unread += list(unread)
        self.fields = self.fields or fields

    def finding(self) -> list[Finding]:
        if not self.exprs:
            return []
        shown = "; ".join(self.exprs[:3]) + (" …" if len(self.exprs) > 3 else "")
        return [make_finding(self.rule, "not_assessable", self.fields or {}, self.cells,
                             expression=shown, unread=self.unread,
                             extra={"instances": len(self.exprs), "expressions": self.exprs})]


OpenChecks = _OpenChecks
