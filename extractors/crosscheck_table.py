"""The table against its own identities: ``sum``, ``balance`` and ``le`` relations per row
and per column, and ``nonzero_implies`` (channels non-zero ⇒ their total non-zero).

Each instance (a rule bound to one row / column) compares the intervals of its two sides
(extractors/expr.py).  A cell the table lacks is unread or not in this variant
(extractors/crosscheck_view.py); an unread cell is an unknown non-negative count, so a
``fail`` stands only where the printed, correctly placed numbers prove it on their own
(e.g. the present parts already exceed the total), and the finding names the unread cells.
Hand-written: the rule interpreter is the project's own (config/rules.yaml).
"""
from __future__ import annotations

from typing import Any

from extractors.crosscheck_findings import (OpenChecks, label_of, make_finding, mid, short_label,
                                            tolerance, violated_status)
from extractors.crosscheck_view import UNREAD, Side, TableView
from extractors.expr import SYMBOL, cell_known, compare, fmt_cell, fmt_interval, split_ref
from extractors.models import Finding
from extractors.rules import Rule, Term

_COMPARE_OP = {"sum": "eq", "balance": "eq", "le": "le"}


def _relation_sides(rule: Rule) -> tuple[tuple[Term, ...], tuple[Term, ...]]:
    if rule.kind == "sum":
        return rule.terms["cell"], rule.terms["terms"]
    return rule.terms["lhs"], rule.terms["rhs"]


def _skipped(rule: Rule, view: TableView) -> bool:
    blockers = rule.terms.get("unless_present", ())
    return any(t.ref and split_ref(t.ref)[0] in view.keys for t in blockers)


def _assessed(left: Side, right: Side) -> bool:
    """Both sides name a printed or unread cell, and some present cell holds a number: a
    row or column not in this variant, or printed wholly blank, yields nothing."""
    return not left.empty and not right.empty and (left.known_any or right.known_any)


def check_relation(rule: Rule, view: TableView, **_: Any) -> list[Finding]:
    """sum / balance / le rules, per row and per column."""
    if _skipped(rule, view):
        return []
    left_terms, right_terms = _relation_sides(rule)
    op = _COMPARE_OP[rule.kind]
    rounded, tol = tolerance(rule)
    out, open_checks = [], OpenChecks(rule)
    for row, col in view.bindings(rule):
        left = view.side(left_terms, row, col, rounded)
        if left.empty:
            continue  # nothing to check (the other side would not be assessed either)
        right = view.side(right_terms, row, col, rounded)
        if not _assessed(left, right):
            continue
        status = compare(op, left.interval, right.interval, tol)
        if status == "pass":
            continue
        expr = f"{left.text()} {SYMBOL[op]} {right.text()}"
        cells = [c for c, _ in left.items + right.items]
        unread = left.unread + right.unread
        fields = _relation_fields(view, left, right, row, col, expr)
        if status == "not_assessable":
            open_checks.add(expr, cells, fields, unread)
            continue
        out.append(make_finding(rule, violated_status(rule), fields, cells,
                                values=(mid(left.interval), mid(right.interval)),
                                expression=expr + " ✗", unread=unread))
    return out + open_checks.finding()


def _relation_fields(view: TableView, left: Side, right: Side, row: str | None,
                     col: str | None, expr: str) -> dict:
    rs = view.rs
    first = (left.items or right.items)[0][0]
    if left.items:
        label = label_of(first, rs, with_column=True)
    else:  # the checked cell was not read: its row's printed label from the catalogue
        label = short_label(view.label(left.unread[0]))
    return {"expr": expr, "lhs": _shown(left), "rhs": _shown(right), "label": label,
            "row": row or first.key, "col": col or first.column,
            "col_name": rs.column_names.get(col or "", col or "")}


def _shown(side: Side) -> str:
    """A side's number for a message: its interval, or 未读 when no cell of it was read."""
    return fmt_interval(side.interval) if side.items else UNREAD


def check_nonzero(rule: Rule, view: TableView, **_: Any) -> list[Finding]:
    out, open_checks = [], OpenChecks(rule)
    for row, col in view.bindings(rule):
        target = view.side(rule.terms["then_nonzero"], row, col)
        parts = view.side(rule.terms["if_nonzero"], row, col)
        nonzero = [c for c, _ in parts.items if cell_known(c) and c.value]
        if target.empty or not nonzero:
            continue
        t = target.items[0][0] if target.items else None
        shown = fmt_cell(t) if t is not None else UNREAD
        expr = f"{' + '.join(fmt_cell(c) for c in nonzero)} > 0 ⇒ {shown} > 0"
        label = short_label(t.label if t is not None else view.label(target.unread[0]))
        parts_shown = "、".join(f"{short_label(c.label)} {fmt_cell(c)}" for c in nonzero)
        fields = {"expr": expr, "lhs": parts_shown,
                  "rhs": shown, "label": label, "row": t.key if t else target.unread[0],
                  "col": t.column if t else col}
        if t is None or not cell_known(t):
            open_checks.add(expr, [t] if t is not None else [], fields, target.unread)
        elif t.value == 0:
            out.append(make_finding(rule, violated_status(rule), fields, [t, *nonzero],
                                    values=(sum(c.value for c in nonzero), 0),
                                    expression=expr + " ✗"))
    return out + open_checks.finding()
