"""Smells of the table (placeholder numbers, an all-zero table beside active prose, the
parser's table flags) and the report's structure (the sections the introduction announces,
the sections the template requires).

These checks look at the table as a whole or at the section list, never at one identity,
so cells that were not read do not enter them.  Hand-written: each is a few lines over the
project's own data (config/rules.yaml ``settings`` and ``section_kinds``).
"""
from __future__ import annotations

import statistics
from typing import Any

from extractors.crosscheck_findings import make_finding, short_label
from extractors.crosscheck_view import TableView
from extractors.expr import cell_known, fmt_cell, fmt_number
from extractors.models import Claim, Finding, Sections
from extractors.rules import Rule, RuleSet


def check_placeholder(rule: Rule, view: TableView, **_: Any) -> list[Finding]:
    suspects = {float(v) for v in rule.params["values"]}
    known = [c for c in view.table.cells if cell_known(c) and c.known]
    others = [float(c.value) for c in known if c.value and float(c.value) not in suspects]
    if not others:
        return []
    median = statistics.median(others)
    hits = [c for c in known
            if float(c.value) in suspects and float(c.value) >= rule.params["ratio"] * median]
    if not hits:
        return []
    shown = "、".join(f"{short_label(c.label)} {fmt_cell(c)}" for c in hits)
    expr = f"{', '.join(fmt_cell(c) for c in hits)} ≥ {rule.params['ratio']}×{fmt_number(median)}"
    fields = {"label": shown, "lhs": "", "rhs": fmt_number(median),
              "row": ", ".join(c.key for c in hits), "expr": expr}
    return [make_finding(rule, "warn", fields, hits, values=(*[c.value for c in hits], median),
                         expression=expr)]


def check_all_zero(rule: Rule, view: TableView, claims: list[Claim], **_: Any) -> list[Finding]:
    known = [c for c in view.table.cells if cell_known(c)]
    if len(known) < rule.params["min_cells"] or any(c.value for c in known):
        return []
    active = [cl for cl in claims if cl.kind == "figure" and cl.metric and (cl.value or 0) > 0]
    if not active:
        return []
    fields = {"quote": active[0].text, "expr": f"Σ表 = 0; {active[0].text}"}
    return [make_finding(rule, "warn", fields, values=(0, active[0].value),
                         expression=fields["expr"], spans=[(a.start, a.end) for a in active])]


def check_table_flag(rule: Rule, view: TableView, **_: Any) -> list[Finding]:
    if rule.params["flag"] not in view.table.flags:
        return []
    return [make_finding(rule, "warn", {}, spans=[], expression=rule.params["flag"])]


# ---------------------------------------------------------------- sections

def section_kind(title: str, rs: RuleSet) -> str | None:
    for kind, words in rs.section_kinds.items():
        if any(w in title for w in words):
            return kind
    return None


def _kinds(sections: Sections, rs: RuleSet) -> set[str | None]:
    """The kinds the report's sections are (their own, or their title's): asked once a
    check rather than once per kind and section."""
    own = {s.kind for s in sections.sections}
    return own | {section_kind(s.title, rs) for s in sections.sections}


def _mentioned_elsewhere(kind: str, text: str | None, sections: Sections, rs: RuleSet) -> bool:
    if not text:
        return False
    a, b = sections.announced_span or (0, 0)
    rest = text[:a] + text[b:]
    return any(w in rest for w in rs.section_kinds.get(kind, ()))


def check_announced(rule: Rule, view: TableView, sections: Sections | None = None,
                    text: str | None = None, **_: Any) -> list[Finding]:
    if sections is None or not sections.announced:
        return []
    out, seen = [], set()
    skip = set(rule.params.get("skip_kinds") or ())
    present = None
    for title in sections.announced:
        kind = section_kind(title, view.rs)
        if kind is None or kind in skip or kind in seen:
            continue
        seen.add(kind)
        present = _kinds(sections, view.rs) if present is None else present
        if kind in present or _mentioned_elsewhere(kind, text, sections, view.rs):
            continue
        span = [sections.announced_span] if sections.announced_span else []
        out.append(make_finding(rule, "warn", {"title": title}, spans=span,
                                expression=f"announced: {title}; body: —",
                                extra={"section_kind": kind}))
    return out


def check_mandatory(rule: Rule, view: TableView, sections: Sections | None = None,
                    **_: Any) -> list[Finding]:
    if sections is None or not sections.sections:
        return []
    out, present = [], _kinds(sections, view.rs)
    for kind in rule.params["required"]:
        if kind not in present:
            title = (view.rs.section_kinds.get(kind) or (kind,))[0]
            out.append(make_finding(rule, "warn", {"title": title}, spans=[],
                                    expression=f"required: {kind}", extra={"section_kind": kind}))
    return out
