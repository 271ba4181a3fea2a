"""The only module that knows MongoDB: collections, indexes, validation and queries.

Documents
- ``reports``: one per distinct content (``_id`` = SHA-256 of the raw bytes) with its
  sources, status (queued / processing / done / failed + error), report metadata, counts
  and the versions it was processed with.  Raw bytes and normalized text are kept
  under the same id in ``raw_inline`` / ``text_inline`` (up to 8 MB) or in the GridFS
  buckets ``raw`` and ``text`` (larger).
- ``tables``: one per report (``_id`` = report id), the parsed cells.
- ``claims``, ``commitments``: one document per item, denormalised with body/year/region
  and an indexed jieba ``tokens`` array (no ``$text``: Chinese needs our own tokens).
- ``entities``: one document per report.
- ``findings``: one per finding, ``_id`` stable across re-evaluation (so an auditor's
  review, kept in ``reviews``, survives a rule-set upgrade).
"""
from __future__ import annotations

import hashlib
import os
import socket
import time
from datetime import datetime, timezone
from typing import Any, Iterable

import gridfs
import pymongo
from pymongo import ASCENDING, DESCENDING, ReplaceOne, ReturnDocument
from pymongo.errors import CollectionInvalid, DuplicateKeyError, OperationFailure

from storage import accounts, embedded, review

STATUSES = ("queued", "processing", "done", "failed")
LEASE_SECONDS = 600
INLINE_BLOB_BYTES = 8 * 1024 * 1024
ITEM_COLLECTIONS = ("claims", "commitments")

REPORT_VALIDATOR = {
    "$jsonSchema": {
        "bsonType": "object",
        "required": ["sha256", "status", "size", "sources"],
        "properties": {
            "sha256": {"bsonType": "string", "minLength": 64, "maxLength": 64},
            "status": {"enum": list(STATUSES)},
            "size": {"bsonType": ["int", "long"], "minimum": 0},
            "sources": {"bsonType": "array"},
        },
    }
}

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict]]] = {
    "reports": [
        ([("status", ASCENDING)], {}),
        ([("body_key", ASCENDING), ("year", ASCENDING)], {}),
        ([("report.template", ASCENDING)], {}),
        ([("lsh", ASCENDING)], {}),
    ],
    "claims": [
        ([("report_id", ASCENDING)], {}),
        ([("metric", ASCENDING)], {}),
        ([("body_key", ASCENDING), ("year", ASCENDING)], {}),
        ([("tokens", ASCENDING)], {}),
    ],
    "commitments": [
        ([("report_id", ASCENDING)], {}),
        ([("body_key", ASCENDING), ("deadline", ASCENDING)], {}),
    ],
    "findings": [
        ([("report_id", ASCENDING)], {}),
        ([("code", ASCENDING), ("status", ASCENDING)], {}),
        ([("body_key", ASCENDING), ("year", ASCENDING)], {}),
        ([("review.state", ASCENDING)], {}),
    ],
    "reviews": [([("finding_id", ASCENDING), ("at", DESCENDING)], {})],
}


def now() -> datetime:
    return datetime.now(timezone.utc)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def finding_id(report_id: str, finding: dict) -> str:
    """Stable id: same report, rule code, cells and spans give the same id."""
    cells = ",".join(f"{c.get('key')}@{c.get('column')}" for c in finding.get("cells", []))
    spans = ",".join(f"{s[0]}-{s[1]}" for s in finding.get("spans", []))
    basis = "|".join([report_id, finding.get("code", ""), cells, spans,
                      finding.get("prev_report_id") or ""])
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:20]


class Store:
    """Narrow methods over one database; build one per process (PyMongo is not fork-safe)."""

    def __init__(self, client: pymongo.MongoClient, db_name: str) -> None:
        self.client = client
        self.db = client[db_name]
        self.raw = gridfs.GridFS(self.db, collection="raw")
        self.texts = gridfs.GridFS(self.db, collection="text")

    # ---------------------------------------------------------------- blobs
    # A report's raw bytes and text are one small document when they fit (one round trip)
    # and GridFS chunks when they do not (BSON documents stop at 16 MB).
    def _put_blob(self, name: str, bucket: gridfs.GridFS, key: str, data: bytes) -> None:
        if len(data) <= INLINE_BLOB_BYTES:
            self.db[name].replace_one({"_id": key}, {"_id": key, "data": data}, upsert=True)
            return
        if bucket.exists(key):
            bucket.delete(key)
        bucket.put(data, _id=key)

    def _get_blob(self, name: str, bucket: gridfs.GridFS, key: str) -> bytes | None:
        doc = self.db[name].find_one({"_id": key})
        if doc is not None:
            return bytes(doc["data"])
        return bucket.get(key).read() if bucket.exists(key) else None

    # ---------------------------------------------------------------- set-up
    @classmethod
    def from_settings(cls, settings) -> "Store":
        url = settings.mongo_url or embedded.ensure_server(settings.data_path)
        client = pymongo.MongoClient(url, serverSelectionTimeoutMS=10000, tz_aware=True)
        return cls(client, settings.db_name)

    def setup(self) -> None:
        """Create collections, validation and indexes; safe to run any number of times."""
        try:
            self.db.create_collection("reports", validator=REPORT_VALIDATOR)
        except CollectionInvalid:
            pass
        except OperationFailure as exc:  # created concurrently by another process
            if exc.code != 48:
                raise
        for name, indexes in INDEXES.items():
            for keys, options in indexes:
                self.db[name].create_index(keys, **options)
        review.setup(self.db)  # the review app's collections and indexes
        accounts.setup(self.db)

    def close(self) -> None:
        self.client.close()

    # ---------------------------------------------------------------- ingest
    def put_raw(self, data: bytes, source: dict[str, Any], *,
                failure: dict | None = None) -> tuple[str, bool]:
        """Store raw bytes once per content; return (report_id, created).

        ``failure`` pre-sets a failed status for input that is known to be bad before
        processing (a truncated archive, an invalid JSONL line)."""
        rid = sha256(data)
        entry = {**source, "added_at": now()}
        if self.db.reports.find_one({"_id": rid}, {"_id": 1}):
            self._add_source(rid, entry)
            return rid, False
        self._put_blob("raw_inline", self.raw, rid, data)
        doc = {"_id": rid, "sha256": rid, "size": len(data), "sources": [entry],
               "filename": source.get("filename"), "status": "queued", "error": None,
               "created_at": now(), "updated_at": now(), "attempts": 0}
        if failure:
            doc.update(status="failed", error=failure)
        try:
            self.db.reports.insert_one(doc)
        except DuplicateKeyError:  # a concurrent ingest of the same content won
            self._add_source(rid, entry)
            return rid, False
        return rid, True

    def _add_source(self, rid: str, entry: dict) -> None:
        """Record another place the same content came from (once per source)."""
        self.db.reports.update_one(
            {"_id": rid, "sources.source": {"$ne": entry.get("source")}},
            {"$push": {"sources": entry}, "$set": {"updated_at": now()}})

    def get_raw(self, report_id: str) -> bytes:
        data = self._get_blob("raw_inline", self.raw, report_id)
        if data is None:
            raise KeyError(f"no raw bytes stored for report {report_id}")
        return data

    def get_text(self, report_id: str) -> str | None:
        data = self._get_blob("text_inline", self.texts, report_id)
        return None if data is None else data.decode("utf-8")

    # ---------------------------------------------------------------- processing
    def begin(self, report_id: str, versions: dict, task_id: str,
              force: bool = False) -> dict | None:
        """Take the report for processing, or None when there is nothing to do
        (already done with these versions, failed for this content, or leased)."""
        t = now()
        todo: list[dict] = [
            {"status": "queued"},
            {"status": "done", "versions": {"$ne": versions}},
            {"status": "processing", "lease.until": {"$lt": t}},
            {"status": "processing", "lease.task": task_id},
        ]
        if force:
            todo.append({"status": {"$in": ["done", "failed"]}})
        lease = {"task": task_id, "host": f"{socket.gethostname()}:{os.getpid()}",
                 "until": datetime.fromtimestamp(time.time() + LEASE_SECONDS, timezone.utc)}
        return self.db.reports.find_one_and_update(
            {"_id": report_id, "$or": todo},
            {"$set": {"status": "processing", "lease": lease, "updated_at": t},
             "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER)

    def mark_failed(self, report_id: str, error: dict, versions: dict) -> None:
        self.db.reports.update_one(
            {"_id": report_id},
            {"$set": {"status": "failed", "error": error, "versions": versions,
                      "updated_at": now(), "processed_at": now()},
             "$unset": {"lease": ""}})

    def save_result(self, report_id: str, result: dict, text: str, tokens_of) -> dict:
        """Replace everything derived from this report with ``result`` (the check record)."""
        report = result["report"]
        base = {"report_id": report_id, "body": report.get("body"),
                "body_key": result.get("body_key"), "year": report.get("year"),
                "region": report.get("region"), "template": report.get("template")}
        self._put_blob("text_inline", self.texts, report_id, text.encode("utf-8"))
        self.db.tables.replace_one(
            {"_id": report_id}, {**result["table"], "_id": report_id, **base}, upsert=True)
        self.db.entities.replace_one(
            {"_id": report_id}, {"_id": report_id, "entities": result["entities"]},
            upsert=True)
        for name in ITEM_COLLECTIONS:
            items = [{**base, **item, "i": i, "tokens": tokens_of(item.get("text", ""))}
                     for i, item in enumerate(result[name])]
            self._replace_items(name, report_id, items)
        self.replace_findings(report_id, result["findings"],
                              {**base, "level": report.get("level"),
                               "versions": result["versions"]}, scope="report")
        counts = counts_of(result)
        self.db.reports.update_one(
            {"_id": report_id},
            {"$set": {"status": "done", "error": None, "report": report,
                      "body_key": result.get("body_key"), "year": report.get("year"),
                      "format": result.get("format"), "encoding": result.get("encoding"),
                      "flags": result.get("flags", []), "sections": result.get("sections"),
                      "announced_sections": result.get("announced_sections", []),
                      "announced_span": result.get("announced_span"),
                      "lsh": result.get("lsh", []),
                      "counts": counts, "versions": result["versions"],
                      "updated_at": now(), "processed_at": now()},
             "$unset": {"lease": ""}})
        return counts

    def save_findings(self, report_id: str, findings: list[dict], versions: dict) -> dict:
        """Store re-evaluated findings (tables and claims untouched) and the new versions."""
        doc = self.report(report_id) or {}
        rep = doc.get("report") or {}
        base = {"report_id": report_id, "body": rep.get("body"), "body_key": doc.get("body_key"),
                "year": rep.get("year"), "region": rep.get("region"),
                "template": rep.get("template"), "level": rep.get("level"), "versions": versions}
        self.replace_findings(report_id, findings, base, scope="report")
        fresh = counts_of({"findings": findings})
        counts = {**(doc.get("counts") or {}),
                  **{k: fresh[k] for k in ("findings", "fail", "warn")}}
        self.db.reports.update_one(
            {"_id": report_id},
            {"$set": {"status": "done", "counts": counts, "versions": versions,
                      "updated_at": now(), "rechecked_at": now()}, "$unset": {"lease": ""}})
        return counts

    def _replace_items(self, name: str, report_id: str, items: list[dict]) -> None:
        self.db[name].delete_many({"report_id": report_id})
        if items:
            self.db[name].insert_many(items, ordered=False)

    def replace_findings(self, report_id: str, findings: Iterable[dict], base: dict,
                         scope: str, prev_report_id: str | None = None) -> None:
        query = {"report_id": report_id, "scope": scope}
        if prev_report_id:
            query["prev_report_id"] = prev_report_id
        docs = []
        for f in findings:
            doc = {**base, **f, "report_id": report_id, "scope": scope,
                   "prev_report_id": prev_report_id}
            doc["_id"] = finding_id(report_id, doc)
            docs.append(doc)
        keep = [d["_id"] for d in docs]
        self.db.findings.delete_many({**query, "_id": {"$nin": keep}})
        review.carry_reviews(self.db, docs)  # a review survives unless the finding changed
        if not docs:
            return
        self.db.findings.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs],
                                    ordered=False)

    # ---------------------------------------------------------------- queries
    def report(self, report_id: str) -> dict | None:
        return self.db.reports.find_one({"_id": report_id}, {"lease": 0})

    def resolve_id(self, prefix: str) -> str | None:
        """A full report id from a unique prefix (as printed by ``gongkai reports``)."""
        if len(prefix) == 64:
            return prefix
        hits = list(self.db.reports.find(
            {"_id": {"$gte": prefix, "$lt": prefix + "~"}}, {"_id": 1}).limit(2))
        return hits[0]["_id"] if len(hits) == 1 else None

    def list_reports(self, status: str | None = None, limit: int = 0) -> list[dict]:
        query = {"status": status} if status else {}
        fields = {"sources": {"$slice": 1}, "status": 1, "error": 1, "report": 1,
                  "counts": 1, "size": 1, "filename": 1, "flags": 1, "created_at": 1}
        return list(self.db.reports.find(query, fields).sort("created_at", 1).limit(limit))

    def status_counts(self, ids: list[str] | None = None) -> dict[str, int]:
        match = {"_id": {"$in": ids}} if ids is not None else {}
        rows = self.db.reports.aggregate(
            [{"$match": match}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}])
        return {r["_id"]: r["n"] for r in rows}

    def full_record(self, report_id: str) -> dict | None:
        """The stored report in the shape ``gongkai check --json`` prints."""
        doc = self.report(report_id)
        if doc is None:
            return None
        table = self.db.tables.find_one({"_id": report_id}) or {}
        strip = {"_id": 0, "report_id": 0, "body": 0, "body_key": 0, "year": 0,
                 "region": 0, "template": 0, "i": 0, "tokens": 0}
        items = {n: list(self.db[n].find({"report_id": report_id}, strip).sort("i", 1))
                 for n in ITEM_COLLECTIONS}
        findings = list(self.db.findings.find({"report_id": report_id}, strip))
        entities = (self.db.entities.find_one({"_id": report_id}) or {}).get("entities", [])
        source = (doc.get("sources") or [{}])[0]
        return {
            "id": report_id, "source": source.get("source"), "sha256": doc["sha256"],
            "body_key": doc.get("body_key"),
            "status": doc["status"], "error": doc.get("error"),
            "report": doc.get("report") or {}, "flags": doc.get("flags", []),
            "table": {k: table.get(k) for k in ("template", "variant", "flags", "cells")
                      if k in table} or {"cells": []},
            "claims": items["claims"], "commitments": items["commitments"],
            "entities": entities, "findings": findings,
            "versions": doc.get("versions"), "sources": doc.get("sources", []),
            "sections": doc.get("sections") or [],
            "announced_sections": doc.get("announced_sections") or [],
            "announced_span": doc.get("announced_span"),
        }

    def duplicate_candidates(self, report_id: str, lsh: list[str], year: int | None,
                             body_key: str | None, limit: int = 20) -> list[dict]:
        """Done reports of other bodies in the same year sharing MinHash band keys with
        this one, most shared bands first (at most ``limit``), with what the similarity
        check reads besides the text."""
        if not lsh or year is None:
            return []
        query = {"lsh": {"$in": lsh}, "_id": {"$ne": report_id}, "status": "done",
                 "year": year, "body_key": {"$ne": body_key}}
        fields = {"report": 1, "sections": 1, "body_key": 1, "lsh": 1,
                  "sources": {"$slice": 1}}
        found = list(self.db.reports.find(query, fields))
        mine = set(lsh)
        found.sort(key=lambda d: -len(mine & set(d.get("lsh") or [])))
        return [{"id": d["_id"], "report": d.get("report") or {}, "body_key": d.get("body_key"),
                 "sections": d.get("sections") or [],
                 "source": (d.get("sources") or [{}])[0].get("source"),
                 "table": {"cells": []}} for d in found[:limit]]

    def neighbours(self, body_key: str, year: int) -> list[dict]:
        """Done reports of the same body in the adjacent years."""
        return list(self.db.reports.find(
            {"body_key": body_key, "year": {"$in": [year - 1, year + 1]}, "status": "done"},
            {"_id": 1, "year": 1}))


def counts_of(record: dict) -> dict[str, int]:
    findings = record.get("findings", [])
    return {
        "cells": len(record.get("table", {}).get("cells", [])),
        "claims": len(record.get("claims", [])),
        "commitments": len(record.get("commitments", [])),
        "entities": len(record.get("entities", [])),
        "findings": len(findings),
        "fail": sum(1 for f in findings if f.get("status") == "fail"),
        "warn": sum(1 for f in findings if f.get("status") == "warn"),
    }
