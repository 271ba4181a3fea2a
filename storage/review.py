"""Auditors' review of findings, on the MongoDB side: the queue query, decisions, the
append-only audit trail and how a review is carried across re-evaluation.

- A finding's current review lives on the finding (``review``: state, who, when, reason,
  note, the rule it was decided under, and the ``basis`` — a fingerprint of what the
  auditor saw).  Every decision is also appended to ``reviews``; nothing here updates or
  deletes a ``reviews`` document, so the trail is never rewritten.
- Re-evaluation (``Store.replace_findings``) calls :func:`carry_reviews`: a finding with the
  same id keeps its review unless its basis changed (a new rule version, other values or
  cells from a new extractor), in which case it re-opens and the trail says why.
- Filters arrive typed (:class:`QueueFilter`); each value is coerced to ``str``/``int``
  and used only as an equality, ``$in`` member or an escaped prefix, so no request value
  can become a MongoDB operator.

The review model (states, reasons, fingerprints) is gongkai's own; no library has it.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database

STATES = ("open", "confirmed", "dismissed", "needs_info")
ACTIONS = {"confirm": "confirmed", "dismiss": "dismissed", "needs_info": "needs_info"}
REASONS = ("parse_error", "different_basis", "not_applicable", "other")
STATUSES = ("fail", "warn", "not_assessable")
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
SORTS = {"severity": "severity_rank", "year": "year", "body": "body", "code": "code",
         "status": "status", "region": "region"}
LIST_FIELDS = {"code": 1, "rule": 1, "status": 1, "severity": 1, "message": 1,
               "message_en": 1, "expression": 1, "body": 1, "body_key": 1, "year": 1,
               "region": 1, "province": 1, "level": 1, "template": 1, "report_id": 1,
               "review": 1, "scope": 1}
INDEXES = [
    [("review.state", ASCENDING), ("status", ASCENDING), ("severity_rank", ASCENDING)],
    [("region", ASCENDING)], [("province", ASCENDING)], [("level", ASCENDING)], [("template", ASCENDING)],
    [("year", ASCENDING)], [("body", ASCENDING)], [("rule", ASCENDING)],
]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def indexes() -> list[tuple[str, list[tuple[str, int]]]]:
    """The review app's indexes, (collection, keys), that ``Store.setup`` creates."""
    return [*(("findings", keys) for keys in INDEXES),
            ("reviews", [("rule", ASCENDING), ("at", DESCENDING)]),
            ("reviews", [("by", ASCENDING), ("at", DESCENDING)])]


# ------------------------------------------------------------------------- scope
def scope_query(regions: list[str] | None) -> dict:
    """Findings/reports a user scoped to ``regions`` may see ({} = everything).

    A region matches a stored ``region`` or ``province`` that starts with it ("江苏"
    matches "江苏省淮安市", and "淮安市洪泽区" whose province is "江苏省") or a body name
    that contains it."""
    if not regions:
        return {}
    alts: list[dict] = []
    for r in regions:
        pat = re.escape(str(r))
        alts += [{"region": {"$regex": "^" + pat}}, {"province": {"$regex": "^" + pat}},
                 {"body": {"$regex": pat}}]
    return {"$or": alts}


def in_scope(doc: dict, regions: list[str] | None) -> bool:
    """The same test as :func:`scope_query`, for one loaded document."""
    if not regions:
        return True
    region, body = str(doc.get("region") or ""), str(doc.get("body") or "")
    province = str(doc.get("province") or "")
    return any((region.startswith(r) or province.startswith(r) or r in body)
               for r in map(str, regions))


# ------------------------------------------------------------------------- queue
@dataclass
class QueueFilter:
    status: list[str] = field(default_factory=lambda: ["fail", "warn"])
    state: list[str] = field(default_factory=lambda: ["open"])
    severity: list[str] = field(default_factory=list)
    code: str | None = None
    body: str | None = None
    region: str | None = None
    province: str | None = None
    level: str | None = None
    year: int | None = None
    template: str | None = None
    report: str | None = None
    sort: str = "severity"
    desc: bool = False
    page: int = 1
    per_page: int = 50

    def query(self, regions: list[str] | None = None) -> dict:
        q: dict = {}
        for name, allowed in (("status", STATUSES), ("state", STATES),
                              ("severity", tuple(SEVERITY_RANK))):
            vals = [str(v) for v in getattr(self, name) if str(v) in allowed]
            if vals:
                q["review.state" if name == "state" else name] = {"$in": vals}
        for name in ("code", "body", "level", "template"):
            val = getattr(self, name)
            if val:
                q[name] = str(val)
        if self.report:
            q["report_id"] = str(self.report)
        for name in ("region", "province"):  # a prefix: "江苏" selects 江苏省
            val = getattr(self, name)
            if val:
                q[name] = {"$regex": "^" + re.escape(str(val))}
        if self.year is not None:
            q["year"] = int(self.year)
        scope = scope_query(regions)
        return {"$and": [q, scope]} if scope and q else (scope or q)

    def sort_spec(self) -> list[tuple[str, int]]:
        key = SORTS.get(self.sort, "severity_rank")
        direction = DESCENDING if self.desc else ASCENDING
        spec = [(key, direction)]
        if key != "severity_rank":
            spec.append(("severity_rank", ASCENDING))
        return spec + [("_id", ASCENDING)]


def queue(db: Database, flt: QueueFilter, regions: list[str] | None = None) -> dict:
    """One page of findings with the total and counts per review state and per rule.

    The state counts ignore the state filter (so the tabs show what each would hold)."""
    query = flt.query(regions)
    per_page = max(1, min(int(flt.per_page), 500))
    page = max(1, int(flt.page))
    rows = list(db.findings.find(query, LIST_FIELDS).sort(flt.sort_spec())
                .skip((page - 1) * per_page).limit(per_page))
    total = db.findings.count_documents(query)
    without_state = QueueFilter(**{**flt.__dict__, "state": []}).query(regions)
    return {"total": total, "page": page, "per_page": per_page, "items": rows,
            "states": _count(db, without_state, "$review.state"),
            "rules": _count(db, query, "$code")}


def _count(db: Database, query: dict, key: str) -> dict[str, int]:
    rows = db.findings.aggregate([{"$match": query}, {"$group": {"_id": key, "n": {"$sum": 1}}}])
    return {str(r["_id"]): r["n"] for r in sorted(rows, key=lambda r: (-r["n"], str(r["_id"])))}


def queue_ids(db: Database, flt: QueueFilter, regions: list[str] | None,
              limit: int = 5000) -> list[str]:
    """Ids of every finding a filter selects (for bulk decisions), at most ``limit``."""
    return [d["_id"] for d in db.findings.find(flt.query(regions), {"_id": 1})
            .sort(flt.sort_spec()).limit(limit)]


def filter_values(db: Database, regions: list[str] | None = None) -> dict[str, list]:
    """Distinct values for the queue's filter menus."""
    scope = scope_query(regions)
    return {name: sorted(v for v in db.findings.distinct(name, scope) if v)
            for name in ("code", "level", "province", "template", "year")}


# ------------------------------------------------------------------------- one finding
def finding(db: Database, finding_id: str) -> dict | None:
    return db.findings.find_one({"_id": str(finding_id)})


def trail(db: Database, finding_id: str) -> list[dict]:
    return list(db.reviews.find({"finding_id": str(finding_id)}, {"_id": 0}).sort("at", ASCENDING))


# ------------------------------------------------------------------------- decisions
def basis_of(doc: dict) -> str:
    """Fingerprint of what an auditor decided on: rule version, status, values, cells."""
    cells = [(c.get("key"), c.get("column"), c.get("value"), c.get("state"))
             for c in doc.get("cells") or []]
    parts = [doc.get("rule"), doc.get("status"), doc.get("expression"),
             doc.get("values") or [], cells]
    return hashlib.sha1(json.dumps(parts, ensure_ascii=False, default=str)
                        .encode("utf-8")).hexdigest()[:16]


def decide(db: Database, finding_id: str, action: str, user: dict, reason: str | None = None,
           note: str = "") -> dict:
    """Record one decision: append it to the trail, then set the finding's review."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
    if action == "dismiss" and reason not in REASONS:
        raise ValueError(f"a dismissal needs a reason: {', '.join(REASONS)}")
    doc = finding(db, finding_id)
    if doc is None:
        raise KeyError(finding_id)
    entry = _entry(doc, action, ACTIONS[action], user, reason if action == "dismiss" else None,
                   note)
    db.reviews.insert_one(dict(entry))
    review = {k: entry[k] for k in ("state", "action", "by", "at", "reason", "note", "rule",
                                     "basis")}
    db.findings.update_one({"_id": doc["_id"]}, {"$set": {"review": review}})
    _bump(db)
    return review


def _entry(doc: dict, action: str, state: str, user: dict, reason: str | None,
           note: str) -> dict:
    return {"finding_id": doc["_id"], "report_id": doc.get("report_id"),
            "code": doc.get("code"), "rule": doc.get("rule"), "at": _now(),
            "by": user.get("_id"), "role": user.get("role"), "action": action,
            "state": state, "reason": reason, "note": str(note or "")[:2000],
            "versions": doc.get("versions"), "basis": doc.get("basis") or basis_of(doc)}


def decide_many(db: Database, ids: list[str], action: str, user: dict,
                reason: str | None = None, note: str = "") -> int:
    done = 0
    for fid in ids:
        try:
            decide(db, fid, action, user, reason, note)
            done += 1
        except KeyError:  # removed by a concurrent re-evaluation
            continue
    return done


def carry_reviews(db: Database, docs: list[dict], old: dict | None = None,
                  bump: bool = True) -> None:
    """Give each re-evaluated finding doc its review (called by ``replace_findings``).

    Kept when the finding is unchanged (or the review predates fingerprints); re-opened,
    with a trail entry by ``system``, when a new rule or extractor version changed what
    the decision was about.  ``old``: the stored reviews by finding id when the caller
    knows them (``{}`` for a report's first findings), else they are read.  ``bump``:
    move the review queues' generation now (False: the caller does once it has written
    several reports' findings)."""
    if old is None:
        old = {d["_id"]: d.get("review") for d in
               db.findings.find({"_id": {"$in": [d["_id"] for d in docs]}}, {"review": 1})}
    reopened = []
    for doc in docs:
        doc["basis"] = basis_of(doc)
        doc["severity_rank"] = SEVERITY_RANK.get(doc.get("severity"), 3)
        review = old.get(doc["_id"]) or {"state": "open"}
        decided = review.get("state", "open") != "open"
        if decided and review.get("basis") and review["basis"] != doc["basis"]:
            entry = _entry(doc, "reopen", "open", {"_id": "system", "role": "system"}, None,
                           f"changed since {review.get('state')} under {review.get('rule')}")
            reopened.append(entry)
            review = {"state": "open", "action": "reopen", "by": "system", "at": entry["at"],
                      "note": entry["note"], "rule": doc.get("rule"), "basis": doc["basis"],
                      "previous": review.get("state")}
        doc["review"] = review
    if reopened:
        db.reviews.insert_many(reopened)
    if bump:
        _bump(db)


def _bump(db: Database) -> None:
    from storage.queue_index import bump

    bump(db)
