"""Read-side queries of the review app beyond the queue: a report's evidence, one body's
years, rule reliability from the audit trail, confirmed findings for export, and a
back-fill of the fields the queue filters on for findings stored before they existed.
These are queries over gongkai's own collections; nothing to take from a library.
"""
from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database

from storage.review import SEVERITY_RANK, QueueFilter, scope_query

REPORT_FIELDS = {"report": 1, "body_key": 1, "year": 1, "sources": 1, "filename": 1,
                 "status": 1, "flags": 1, "versions": 1, "counts": 1, "sections": 1,
                 "format": 1, "size": 1, "duplicate_check": 1}


def report_meta(db: Database, report_id: str) -> dict | None:
    """A stored report's metadata (no blobs), with ``body``/``region`` at the top for the
    scope test."""
    doc = db.reports.find_one({"_id": str(report_id)}, REPORT_FIELDS)
    if doc is None:
        return None
    rep = doc.get("report") or {}
    doc.update(body=rep.get("body"), region=rep.get("region"), province=rep.get("province"),
               level=rep.get("level"),
               template=rep.get("template"), title=rep.get("title"))
    doc["source"] = (doc.get("sources") or [{}])[0].get("source")
    return doc


def table_cells(db: Database, report_id: str) -> dict:
    doc = db.tables.find_one({"_id": str(report_id)}, {"cells": 1, "template": 1,
                                                       "variant": 1, "flags": 1}) or {}
    return {"cells": doc.get("cells") or [], "template": doc.get("template"),
            "variant": doc.get("variant"), "flags": doc.get("flags") or []}


# ------------------------------------------------------------------------- one body
def body_reports(db: Database, body_key: str, regions: list[str] | None) -> list[dict]:
    """Done reports of one body, oldest year first (only those in the user's scope)."""
    query = {"body_key": str(body_key), "status": "done"}
    docs = [d for d in db.reports.find(query, REPORT_FIELDS).sort("year", ASCENDING)]
    out = []
    for d in docs:
        meta = report_meta(db, d["_id"])
        if meta and _visible(meta, regions):
            out.append(meta)
    return out


def _visible(doc: dict, regions: list[str] | None) -> bool:
    from storage.review import in_scope

    return in_scope(doc, regions)


def body_findings(db: Database, report_ids: list[str]) -> list[dict]:
    fields = {"code": 1, "rule": 1, "status": 1, "severity": 1, "message": 1,
              "message_en": 1, "expression": 1, "year": 1, "report_id": 1, "review": 1,
              "scope": 1}
    return list(db.findings.find({"report_id": {"$in": list(report_ids)}}, fields)
                .sort([("year", ASCENDING), ("severity_rank", ASCENDING)]))


def body_commitments(db: Database, report_ids: list[str]) -> list[dict]:
    fields = {"_id": 0, "report_id": 1, "year": 1, "text": 1, "deadline": 1, "metric": 1,
              "direction": 1, "action": 1, "measurable": 1, "start": 1, "end": 1}
    return list(db.commitments.find({"report_id": {"$in": list(report_ids)}}, fields)
                .sort([("year", ASCENDING), ("i", ASCENDING)]))


def bodies(db: Database, regions: list[str] | None, limit: int = 500) -> list[dict]:
    """Bodies with stored findings: key, name, years, open findings."""
    rows = db.findings.aggregate([
        {"$match": scope_query(regions)},
        {"$group": {"_id": "$body_key", "body": {"$first": "$body"},
                    "region": {"$first": "$region"}, "province": {"$first": "$province"},
                    "years": {"$addToSet": "$year"},
                    "findings": {"$sum": 1}}},
        {"$sort": {"findings": -1}}, {"$limit": int(limit)}])
    return [{"body_key": r["_id"], "body": r.get("body"), "region": r.get("region"),
             "province": r.get("province"),
             "years": sorted(y for y in r.get("years") or [] if y is not None),
             "findings": r["findings"]} for r in rows if r.get("_id")]


# ------------------------------------------------------------------------- reliability
def reliability(db: Database) -> list[dict]:
    """Per rule (id@version): findings decided by their latest decision, with the
    dismissal reasons — the precision of each rule as measured by its users."""
    latest = db.reviews.aggregate([
        {"$match": {"action": {"$in": ["confirm", "dismiss", "needs_info", "reopen"]}}},
        {"$sort": {"at": DESCENDING}},
        {"$group": {"_id": "$finding_id", "rule": {"$first": "$rule"},
                    "code": {"$first": "$code"}, "action": {"$first": "$action"},
                    "reason": {"$first": "$reason"}}}])
    per: dict[str, dict] = {}
    for row in latest:
        rule = row.get("rule") or row.get("code") or "?"
        r = per.setdefault(rule, {"rule": rule, "code": row.get("code"), "confirmed": 0,
                                  "dismissed": 0, "needs_info": 0, "reopened": 0,
                                  "reasons": {}})
        key = {"confirm": "confirmed", "dismiss": "dismissed", "needs_info": "needs_info",
               "reopen": "reopened"}[row["action"]]
        r[key] += 1
        if row["action"] == "dismiss":
            reason = row.get("reason") or "other"
            r["reasons"][reason] = r["reasons"].get(reason, 0) + 1
    for r in per.values():
        decided = r["confirmed"] + r["dismissed"]
        r["precision"] = round(r["confirmed"] / decided, 3) if decided else None
    open_counts = {str(x["_id"]): x["n"] for x in db.findings.aggregate(
        [{"$group": {"_id": "$rule", "n": {"$sum": 1}}}])}
    for rule, n in open_counts.items():
        per.setdefault(rule, {"rule": rule, "code": rule.split("@")[0], "confirmed": 0,
                              "dismissed": 0, "needs_info": 0, "reopened": 0,
                              "reasons": {}, "precision": None})["findings"] = n
    return sorted(per.values(), key=lambda r: (r["precision"] is None, r["precision"] or 0,
                                               r["rule"]))


# ------------------------------------------------------------------------- exports
def confirmed_findings(db: Database, flt: QueueFilter, regions: list[str] | None,
                       limit: int = 50000) -> list[dict]:
    """Findings a filter selects whose review is ``confirmed`` (state filter replaced)."""
    query = QueueFilter(**{**flt.__dict__, "state": ["confirmed"]}).query(regions)
    fields = {"code": 1, "rule": 1, "status": 1, "severity": 1, "message": 1,
              "message_en": 1, "expression": 1, "body": 1, "region": 1, "level": 1,
              "year": 1, "template": 1, "report_id": 1, "review": 1}
    return list(db.findings.find(query, fields).sort(flt.sort_spec()).limit(int(limit)))


# ------------------------------------------------------------------------- back-fill
def backfill(db: Database) -> int:
    """Set ``severity_rank``, ``level`` and ``province`` on findings stored before they
    were written (a no-op once done); returns how many findings were updated."""
    changed = 0
    for sev, rank in SEVERITY_RANK.items():
        changed += db.findings.update_many({"severity": sev, "severity_rank": None},
                                           {"$set": {"severity_rank": rank}}).modified_count
    missing = db.findings.distinct("report_id", {"level": None})
    for rid in missing:
        level = ((db.reports.find_one({"_id": rid}, {"report.level": 1}) or {})
                 .get("report") or {}).get("level")
        if level:
            changed += db.findings.update_many({"report_id": rid, "level": None},
                                               {"$set": {"level": level}}).modified_count
    return changed + _backfill_province(db)


def _backfill_province(db: Database) -> int:
    """Reports stored before ``province`` was extracted get it from their stored body
    name (the same pure function ``check`` uses), and so do their findings."""
    from extractors.metadata import province_of_body

    changed = 0
    for rid in db.findings.distinct("report_id", {"province": {"$exists": False}}):
        rep = (db.reports.find_one({"_id": rid}, {"report": 1}) or {}).get("report") or {}
        province = rep.get("province")
        if "province" not in rep and rep.get("body"):
            province = province_of_body(str(rep["body"]))
            db.reports.update_one({"_id": rid}, {"$set": {"report.province": province}})
        changed += db.findings.update_many({"report_id": rid, "province": {"$exists": False}},
                                           {"$set": {"province": province}}).modified_count
    return changed
