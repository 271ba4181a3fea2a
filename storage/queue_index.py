"""The review queue held in the serving process: a slim row per finding (id, status,
review state, severity, rule, body, region, province, level, year, template), filtered,
counted and sorted in memory; only the page's findings are then read from the store.

Why: the embedded store (SecantusDB) plans ``$in`` and sorted queries as collection scans
and reads documents slowly, so counting and sorting tens of thousands of findings per
request takes seconds; holding ~100 bytes per finding in memory answers in milliseconds.
Freshness: writers bump a generation counter (``meta`` document ``findings``) whenever
findings are replaced or decided; the index reloads when the counter moved (at most every
``MIN_RELOAD`` seconds, so a running ingest does not make every request reload) or its
copy is older than ``MAX_AGE`` seconds (a replace bumps before its write lands).  This
process's own decisions update the copy in place.
Semantics match :meth:`storage.review.QueueFilter.query`; a test checks both agree.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from pymongo.database import Database

from storage.review import SEVERITY_RANK, STATES, QueueFilter, in_scope

MAX_AGE = 30.0
MIN_RELOAD = 5.0
FIELDS = {"status": 1, "review.state": 1, "severity_rank": 1, "code": 1, "body": 1,
          "region": 1, "province": 1, "level": 1, "year": 1, "template": 1, "report_id": 1}
SORT_KEYS = {"severity": "rank", "year": "year", "body": "body", "code": "code",
             "status": "status", "region": "region"}


def generation(db: Database) -> int:
    doc = db.meta.find_one({"_id": "findings"})
    return int(doc["gen"]) if doc else 0


def bump(db: Database) -> None:
    db.meta.update_one({"_id": "findings"}, {"$inc": {"gen": 1}}, upsert=True)


@dataclass(slots=True)
class Row:
    id: str
    status: str
    state: str
    rank: int
    code: str
    body: str
    region: str
    province: str
    level: str
    year: int | None
    template: str
    report_id: str


def _row(d: dict) -> Row:
    return Row(d["_id"], d.get("status") or "", (d.get("review") or {}).get("state", "open"),
               d.get("severity_rank", SEVERITY_RANK.get(d.get("severity"), 3)),
               d.get("code") or "", d.get("body") or "", d.get("region") or "",
               d.get("province") or "", d.get("level") or "", d.get("year"),
               d.get("template") or "", d.get("report_id") or "")


def _matches(r: Row, f: QueueFilter, regions: list[str] | None, with_state: bool) -> bool:
    return ((not f.status or r.status in f.status)
            and (not with_state or not f.state or r.state in f.state)
            and (not f.severity or r.rank in {SEVERITY_RANK.get(s) for s in f.severity})
            and (not f.code or r.code == f.code) and (not f.body or r.body == f.body)
            and (not f.level or r.level == f.level)
            and (not f.template or r.template == f.template)
            and (not f.report or r.report_id == f.report)
            and (not f.region or r.region.startswith(f.region))
            and (not f.province or r.province.startswith(f.province))
            and (f.year is None or r.year == f.year)
            and in_scope(_scope_doc(r), regions))


def _scope_doc(r: Row) -> dict:
    return {"region": r.region, "province": r.province, "body": r.body}


class QueueIndex:
    def __init__(self, min_reload: float = MIN_RELOAD) -> None:
        self.min_reload = min_reload
        self.rows: dict[str, Row] = {}
        self.gen: int | None = None
        self.loaded_at = 0.0
        self._lock = threading.Lock()

    def refresh(self, db: Database) -> None:
        gen, age = generation(db), time.monotonic() - self.loaded_at
        if age < MAX_AGE and (gen == self.gen or age < self.min_reload):
            return
        with self._lock:
            rows = {d["_id"]: _row(d) for d in db.findings.find({}, FIELDS)}
            self.rows, self.gen, self.loaded_at = rows, gen, time.monotonic()

    def invalidate(self) -> None:
        """Reload on the next request (after this process changed many findings)."""
        self.loaded_at = 0.0

    def decided(self, db: Database, finding_id: str, state: str) -> None:
        """This process recorded a decision (and bumped once): no reload needed."""
        row = self.rows.get(finding_id)
        if row is not None:
            row.state = state
        if self.gen is not None and generation(db) == self.gen + 1:
            self.gen += 1

    def select(self, db: Database, f: QueueFilter, regions: list[str] | None) -> list[Row]:
        self.refresh(db)
        rows = [r for r in self.rows.values() if _matches(r, f, regions, True)]
        return self._sorted(rows, f)

    def _sorted(self, rows: list[Row], f: QueueFilter) -> list[Row]:
        key = SORT_KEYS.get(f.sort, "rank")
        rows.sort(key=lambda r: (r.rank, r.id))
        if key != "rank" or f.desc:
            rows.sort(key=lambda r: (r.year is not None, r.year or 0)
                      if key == "year" else getattr(r, key), reverse=f.desc)
        return rows

    def neighbours(self, db: Database, f: QueueFilter, regions: list[str] | None,
                   finding_id: str) -> dict[str, str | None]:
        """The previous and next finding of the queue around ``finding_id`` (for j/k)."""
        ids = [r.id for r in self.select(db, f, regions)]
        if finding_id not in ids:
            return {"prev": None, "next": ids[0] if ids else None}
        i = ids.index(finding_id)
        return {"prev": ids[i - 1] if i else None,
                "next": ids[i + 1] if i + 1 < len(ids) else None}

    def queue(self, db: Database, f: QueueFilter, regions: list[str] | None) -> dict:
        """Same answer as :func:`storage.review.queue`."""
        self.refresh(db)
        states: dict[str, int] = {}
        rules: dict[str, int] = {}
        chosen = []
        for r in self.rows.values():
            if not _matches(r, f, regions, False):
                continue
            states[r.state] = states.get(r.state, 0) + 1
            if not f.state or r.state in f.state:
                rules[r.code] = rules.get(r.code, 0) + 1
                chosen.append(r)
        chosen = self._sorted(chosen, f)
        per_page, page = max(1, min(int(f.per_page), 500)), max(1, int(f.page))
        ids = [r.id for r in chosen[(page - 1) * per_page: page * per_page]]
        from storage.review import LIST_FIELDS

        docs = {d["_id"]: d for d in db.findings.find({"_id": {"$in": ids}}, LIST_FIELDS)}
        return {"total": len(chosen), "page": page, "per_page": per_page,
                "items": [docs[i] for i in ids if i in docs],
                "states": dict(sorted(states.items(), key=lambda kv: STATES.index(kv[0])
                                      if kv[0] in STATES else 9)),
                "rules": dict(sorted(rules.items(), key=lambda kv: (-kv[1], kv[0])))}

    def values(self, db: Database, regions: list[str] | None) -> dict[str, list]:
        self.refresh(db)
        rows = [r for r in self.rows.values() if in_scope(_scope_doc(r), regions)]
        return {"code": sorted({r.code for r in rows if r.code}),
                "level": sorted({r.level for r in rows if r.level}),
                "province": sorted({r.province for r in rows if r.province}),
                "template": sorted({r.template for r in rows if r.template}),
                "year": sorted({r.year for r in rows if r.year is not None})}
