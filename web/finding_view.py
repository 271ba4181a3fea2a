"""Everything the finding page shows, as one dict (the page renders it, ``/api/findings/
{id}`` returns it): the finding, its rule in words, its report's tables with the involved
cells, the text around its spans, last year's side for cross-year findings and the two
texts for near-duplicates, the review and its audit trail."""
from __future__ import annotations

import re

from fastapi import Request

from extractors.catalogue import load_catalogue
from extractors.rules import load_rules
from storage import audit, review
from web import evidence
from web.errors import ApiError

SIMILARITY_KINDS = ("similarity", "section_similarity")
SIDE_BY_SIDE_CHARS = 20000


def load_finding(request: Request, finding_id: str, user: dict) -> dict:
    """The stored finding, 404 when absent, 403 when outside the user's regions."""
    doc = review.finding(request.app.state.store.db, finding_id)
    if doc is None:
        raise ApiError(404, f"no finding {finding_id}")
    if not review.in_scope(doc, user.get("regions") or []):
        raise ApiError(403, "this finding is outside the regions of your account",
                       code="out_of_scope")
    return doc


def finding_data(request: Request, finding_id: str, user: dict) -> dict:
    store = request.app.state.store
    doc = load_finding(request, finding_id, user)
    report = audit.report_meta(store.db, doc["report_id"]) or {}
    text = store.get_text(doc["report_id"]) or ""
    rule = load_rules().get(doc.get("code") or "")
    data = {"finding": doc, "report": report, "rule": _rule_info(rule, doc),
            "tables": _grids(store.db, doc["report_id"], report, doc, "cur"),
            "windows": evidence.text_windows(text, doc.get("spans") or []),
            "trail": review.trail(store.db, finding_id), "other": None, "shared": None}
    if doc.get("prev_report_id"):
        other = audit.report_meta(store.db, doc["prev_report_id"]) or {}
        other_text = store.get_text(doc["prev_report_id"]) or ""
        data["other"] = other
        if rule is not None and rule.kind in SIMILARITY_KINDS:
            data["shared"] = _shared(doc, text, other_text, report, other)
        else:
            data["other_tables"] = _grids(store.db, doc["prev_report_id"], other, doc, "prev")
            data["other_windows"] = evidence.text_windows(
                other_text, (doc.get("extra") or {}).get("prev_spans") or [])
            data["carried"] = _carried(doc)
    return data


def _rule_info(rule, doc: dict) -> dict | None:
    if rule is None:
        return None
    cat, rs = load_catalogue(), load_rules()
    return {"id": rule.id, "version": rule.version, "ref": rule.ref, "kind": rule.kind,
            "strength": rule.strength, "severity": rule.severity,
            "templates": list(rule.templates), "message": _blanks(rule.message),
            "message_en": _blanks(rule.message_en),
            "terms": evidence.rule_terms(rule, cat, rs.column_names),
            "outdated": bool(doc.get("rule")) and doc.get("rule") != rule.ref}


def _blanks(template: str) -> str:
    """A message template as a sentence: each {placeholder} shown as …"""
    return re.sub(r"\{[a-z_]+\}", "…", template or "")


def _grids(db, report_id: str, report: dict, doc: dict, side: str) -> list[dict]:
    """This report's tables; the involved cells are those of ``side`` (cur/prev)."""
    table = audit.table_cells(db, report_id)
    involved = {(c.get("key"), c.get("column")) for c in doc.get("cells") or []
                if c.get("year", "cur") == side}
    template = report.get("template") or table.get("template")
    return evidence.table_grids(table["cells"], load_catalogue(), template, involved)


def _carried(doc: dict) -> list[dict]:
    """Cross-year: this year's involved cells each beside last year's cell of the same
    column (the carried key may differ: 上年结转 now against 结转下年度 then)."""
    cells = doc.get("cells") or []
    prev = [c for c in cells if c.get("year") == "prev"]
    rows = []
    for i, c in enumerate(x for x in cells if x.get("year", "cur") == "cur"):
        match = next((p for p in prev if p.get("column") == c.get("column")),
                     prev[i] if i < len(prev) else None)
        rows.append({"column": c.get("column"), "cur": _side(c), "prev": _side(match)})
    return rows


def _side(c: dict | None) -> dict | None:
    if c is None:
        return None
    return {k: c.get(k) for k in ("key", "label", "raw", "value", "state")}


def _shared(doc: dict, text: str, other_text: str, report: dict, other: dict) -> dict:
    kind = (doc.get("extra") or {}).get("section_kind")
    a, b = _section(text, report, kind), _section(other_text, other, kind)
    a, b = a[:SIDE_BY_SIDE_CHARS], b[:SIDE_BY_SIDE_CHARS]
    parts_a, parts_b, share = evidence.shared_passages(a, b)
    return {"section_kind": kind, "this": parts_a, "other": parts_b, "share": share,
            "truncated": max(len(text), len(other_text)) > SIDE_BY_SIDE_CHARS,
            "similarity": (doc.get("extra") or {}).get("similarity")}


def _section(text: str, report: dict, kind: str | None) -> str:
    if not kind:
        return text
    secs = [s for s in report.get("sections") or [] if s.get("kind") == kind]
    return "".join(text[s["start"]:s["end"]] for s in secs) or text
