"""The only module that knows MongoDB: collections, indexes, validation and queries.

Documents
- ``reports``: one per distinct content (``_id`` = SHA-256 of the raw bytes) with its
  sources, status (queued / processing / done / failed + error), report metadata, counts
  and the versions it was processed with.  Raw bytes and normalized text are kept
  under the same id in ``raw_inline`` / ``text_inline`` (up to 8 MB) or in the GridFS
  buckets ``raw`` and ``text`` (larger).
- ``tables``: one per report (``_id`` = report id), the parsed cells.
- ``claims``, ``commitments``: one document per item, denormalised with
  body/year/region/province and an indexed jieba ``tokens`` array (no ``$text``: Chinese needs our own tokens).
- ``entities``: one document per report.
- ``findings``: one per finding, ``_id`` stable across re-evaluation (so an auditor's
  review, kept in ``reviews``, survives a rule-set upgrade) and distinct for findings that
  say different things (storage/findings.py).
- ``reports.rendering_of`` / ``reports.renderings``: the same report stored in two forms
  (text and PDF, HTML and PDF) is one report and its renderings (storage/related.py).
- ``locks``, ``counters``: leases for relating reports, the arrival number of reports.
- ``meta``: ``setup`` (the fingerprint of the indexes last created, ``Store.setup``).

The class is split along its seams: findings in storage/findings.py, relations between
reports in storage/related.py, near-duplicate candidates in storage/duplicates.py.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

import gridfs
import pymongo
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import CollectionInvalid, DuplicateKeyError, OperationFailure

from extractors.errors import InputError
from storage import accounts, embedded, research, review
from storage.findings import FindingStore, counts_of, finding_counts, finding_id  # noqa: F401
from storage.blobs import INLINE_BLOB_BYTES, BlobStore, text_doc  # noqa: F401  (imported from here)
from storage.duplicates import DuplicateStore
from storage.related import ARRIVAL_ORDER, RelatedStore

STATUSES = ("queued", "processing", "done", "failed")
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
        # same_body_year's equalities, neighbours' body and years (status checked after)
        ([("body_key", ASCENDING), ("year", ASCENDING), ("status", ASCENDING)], {}),
        ([("report.template", ASCENDING)], {}),
        ([("year", ASCENDING), ("lsh", ASCENDING)], {}),  # a near-duplicate pool: year, bands
        ([("rendering_of", ASCENDING)], {}),
        ([("seq", ASCENDING)], {}),
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
        ([("prev_report_id", ASCENDING)], {}),
        # a report's findings of a scope (about another report): replace_findings, pairs
        ([("report_id", ASCENDING), ("scope", ASCENDING), ("prev_report_id", ASCENDING)], {}),
        ([("prev_report_id", ASCENDING), ("scope", ASCENDING)], {}),
        ([("code", ASCENDING), ("status", ASCENDING)], {}),
        ([("body_key", ASCENDING), ("year", ASCENDING)], {}),
        ([("review.state", ASCENDING)], {}),
    ],
    "reviews": [([("finding_id", ASCENDING), ("at", DESCENDING)], {})],
}


def all_indexes() -> list[tuple[str, list[tuple[str, int]], dict]]:
    """Every index ``Store.setup`` creates, (collection, keys, options): this module's, the
    review app's, the research API's and the accounts'."""
    out = [(name, keys, options) for name, specs in INDEXES.items() for keys, options in specs]
    for module in (review, research, accounts):
        out += [(name, keys, {}) for name, keys in module.indexes()]
    return out


def setup_fingerprint() -> str:
    """A digest of what ``Store.setup`` creates (the reports validator, every index)."""
    spec = json.dumps({"validator": REPORT_VALIDATOR, "indexes": all_indexes()},
                      sort_keys=True, default=str)
    return hashlib.sha256(spec.encode("utf-8")).hexdigest()


def now() -> datetime:
    return datetime.now(timezone.utc)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_fresh(before: dict, taken: dict) -> bool:
    """The report, as it was before ``work.take`` and as ``take`` returned it, is on its first
    attempt and was never processed: nothing derived from it is stored anywhere (its
    own items, others' cross-year or near-duplicate findings about it)."""
    return not before.get("processed_at") and taken.get("attempts") == 1


def is_input_failure(error: dict | None) -> bool:
    """The report failed because of its ingest input (an invalid JSONL line, a damaged
    archive), not its content: processing it again cannot help."""
    return bool(error) and error.get("code") == InputError.code


def result_docs(report_id: str, result: dict, tokens_of, canonical: bool) -> dict:
    """What ``save_result`` stores of a report's check record besides its cells and
    findings, by collection (``tables``, ``entities``: one document; ``claims``,
    ``commitments``: lists), with the ``base`` fields every derived document repeats.
    Shared by the per-report and the batched save (storage/bulk.py): both store the same."""
    report = result["report"]
    base = {"report_id": report_id, "body": report.get("body"),
            "body_key": result.get("body_key"), "year": report.get("year"),
            "region": report.get("region"), "province": report.get("province"),
            "template": report.get("template"), "level": report.get("level"),
            "canonical": canonical}
    docs: dict[str, Any] = {
        "base": base, "tables": {**result["table"], "_id": report_id, **base},
        "entities": {"_id": report_id, "entities": result["entities"]}}
    for name in ITEM_COLLECTIONS:
        docs[name] = [{**base, **item, "i": i, "tokens": tokens_of(item.get("text", ""))}
                      for i, item in enumerate(result[name])]
    return docs


def report_fields(result: dict, counts: dict, canonical: bool, fresh: bool) -> dict:
    """The fields ``save_result`` sets on the report document."""
    report = result["report"]
    fields = {"status": "done", "error": None, "report": report,
              "body_key": result.get("body_key"), "year": report.get("year"),
              "format": result.get("format"), "encoding": result.get("encoding"),
              "flags": result.get("flags", []), "sections": result.get("sections"),
              "announced_sections": result.get("announced_sections", []),
              "announced_span": result.get("announced_span"),
              "lsh": result.get("lsh", []), "canonical": canonical,
              "counts": counts, "versions": result["versions"],
              "updated_at": now(), "processed_at": now()}
    if fresh:  # a report of its own until relating says otherwise
        fields.update(rendering_of=None, renderings=[])
    return fields


class Store(BlobStore, FindingStore, RelatedStore, DuplicateStore):
    """Narrow methods over one database; build one per process (PyMongo is not fork-safe)."""

    def __init__(self, client: pymongo.MongoClient, db_name: str) -> None:
        self.client = client
        self.db = client[db_name]
        self.raw = gridfs.GridFS(self.db, collection="raw")
        self.texts = gridfs.GridFS(self.db, collection="text")

    # ---------------------------------------------------------------- set-up
    @classmethod
    def from_settings(cls, settings) -> "Store":
        url = settings.mongo_url or embedded.ensure_server(settings.data_path)
        client = pymongo.MongoClient(url, serverSelectionTimeoutMS=10000, tz_aware=True)
        store = cls(client, settings.db_name)
        store.lock_seconds = settings.lease_seconds
        return store

    def setup(self, force: bool = False) -> None:
        """Create collections, validation and indexes; safe to run any number of times.

        Every process that opens the store calls this, so once it has all been created the
        ``meta`` document ``setup`` keeps :func:`setup_fingerprint` and a set-up that finds
        the same fingerprint is that one read (not ~80 ``createIndexes``).  A new or changed
        index changes the fingerprint; ``force``: create everything again regardless (after
        indexes were dropped by hand)."""
        fingerprint = setup_fingerprint()
        if not force and (self.db.meta.find_one({"_id": "setup"}) or {}).get("fingerprint") == fingerprint:
            return
        try:
            self.db.create_collection("reports", validator=REPORT_VALIDATOR)
        except CollectionInvalid:
            pass
        except OperationFailure as exc:  # created concurrently by another process
            if exc.code != 48:
                raise
        for name, keys, options in all_indexes():
            self.db[name].create_index(keys, **options)
        self.db.meta.update_one({"_id": "setup"}, {"$set": {"fingerprint": fingerprint,
                                                           "at": now()}}, upsert=True)

    def close(self) -> None:
        self.client.close()

    # ---------------------------------------------------------------- ingest
    def put_raw(self, data: bytes, source: dict[str, Any], *,
                failure: dict | None = None) -> tuple[str, bool]:
        """Store raw bytes once per content; return (report_id, created).

        ``failure`` pre-sets a failed status for input that is known to be bad before
        processing (a truncated archive, an invalid JSONL line).  Content stored so and
        now given as a document of its own is queued to be read as that document."""
        rid = sha256(data)
        entry = {**source, "added_at": now()}
        known = self.db.reports.find_one({"_id": rid}, {"_id": 1, "error": 1})
        if known:
            self._add_source(rid, entry)
            if failure is None and is_input_failure(known.get("error")):
                self._requeue(rid, source.get("filename"))
            return rid, False
        self._put_blob("raw_inline", self.raw, rid, data)
        doc = {"_id": rid, "sha256": rid, "size": len(data), "sources": [entry],
               "filename": source.get("filename"), "status": "queued", "error": None,
               "created_at": now(), "updated_at": now(), "attempts": 0, "seq": self.next_seq()}
        if failure:
            doc.update(status="failed", error=failure)
        try:
            self.db.reports.insert_one(doc)
        except DuplicateKeyError:  # a concurrent ingest of the same content won
            self._add_source(rid, entry)
            return rid, False
        return rid, True

    def _requeue(self, rid: str, filename: str | None) -> None:
        """Content first met as a bad input line, now met as a document: read it as one."""
        self.db.reports.update_one(
            {"_id": rid, "status": "failed"},
            {"$set": {"status": "queued", "error": None, "filename": filename,
                      "updated_at": now()}})

    def _add_source(self, rid: str, entry: dict) -> None:
        """Record another place the same content came from (once per source)."""
        self.db.reports.update_one(
            {"_id": rid, "sources.source": {"$ne": entry.get("source")}},
            {"$push": {"sources": entry}, "$set": {"updated_at": now()}})

    # ---------------------------------------------------------------- processing
    def mark_failed(self, report_id: str, error: dict, versions: dict) -> None:
        """A failed report is no report's rendering and has none (they stand alone until
        related again); its cross-year and near-duplicate findings go."""
        self.db.reports.update_one(
            {"_id": report_id},
            {"$set": {"status": "failed", "error": error, "versions": versions,
                      "rendering_of": None, "renderings": [],
                      "updated_at": now(), "processed_at": now()},
             "$unset": {"lease": "", "duplicate_check": "", "duplicate_rank": ""}})
        freed = [d["_id"] for d in self.db.reports.find({"rendering_of": report_id}, {"_id": 1})]
        self.db.reports.update_many({"rendering_of": report_id}, {"$set": {"rendering_of": None}})
        research.mark_canonical(self.db, [report_id], False)  # researchers see done reports
        research.mark_canonical(self.db, freed, True)
        self.refresh_counts(self.drop_related([report_id]))

    def save_result(self, report_id: str, result: dict, text: str, tokens_of,
                    fresh: bool = False) -> dict:
        """Replace everything derived from this report with ``result`` (the check record).

        ``fresh``: the report's first processing attempt (never processed before, see
        :func:`is_fresh`), so nothing derived from it is stored yet: no deletes, no
        earlier reviews to carry over, counts straight from ``result`` (7 round trips
        instead of 14; the embedded server answers each in 1-3 ms)."""
        docs = result_docs(report_id, result, tokens_of, research.canonical_of(self.db, report_id))
        base = docs["base"]
        self._put_text(report_id, text)
        self.db.tables.replace_one({"_id": report_id}, docs["tables"], upsert=True)
        self.db.entities.replace_one({"_id": report_id}, docs["entities"], upsert=True)
        research.save_cells(self.db, report_id, result["table"].get("cells") or [], base, fresh=fresh)
        for name in ITEM_COLLECTIONS:
            self._replace_items(name, report_id, docs[name], fresh=fresh)
        self.replace_findings(report_id, result["findings"],
                              {**base, "versions": result["versions"]}, scope="report", fresh=fresh)
        counts = {**counts_of(result), **(finding_counts(result["findings"]) if fresh
                                          else self._stored_finding_counts(report_id))}
        self.db.reports.update_one({"_id": report_id},
                                   {"$set": report_fields(result, counts, base["canonical"], fresh),
                                    "$unset": {"lease": ""}})
        return counts

    def save_findings(self, report_id: str, findings: list[dict], versions: dict) -> dict:
        """Store re-evaluated findings (tables and claims untouched) and the new versions."""
        doc = self.report(report_id) or {}
        rep = doc.get("report") or {}
        base = {"report_id": report_id, "body": rep.get("body"), "body_key": doc.get("body_key"),
                "year": rep.get("year"), "region": rep.get("region"),
                "province": rep.get("province"), "template": rep.get("template"),
                "level": rep.get("level"), "versions": versions,
                "canonical": research.canonical_of(self.db, report_id)}
        self.replace_findings(report_id, findings, base, scope="report")
        counts = {**(doc.get("counts") or {}), **self._stored_finding_counts(report_id)}
        self.db.reports.update_one(
            {"_id": report_id},
            {"$set": {"status": "done", "counts": counts, "versions": versions,
                      "updated_at": now(), "rechecked_at": now()}, "$unset": {"lease": ""}})
        return counts

    def _stored_finding_counts(self, report_id: str) -> dict[str, int]:
        """Counts of every finding stored on the report (its own, cross-year, duplicate)."""
        return finding_counts(self.db.findings.find({"report_id": report_id}, {"status": 1}))

    def _replace_items(self, name: str, report_id: str, items: list[dict],
                       fresh: bool = False) -> None:
        if not fresh:
            self.db[name].delete_many({"report_id": report_id})
        if items:
            self.db[name].insert_many(items, ordered=False)

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

    def list_reports(self, status: str | None = None, limit: int = 0,
                     renderings: bool = False) -> list[dict]:
        """Stored reports in arrival order, each listing its renderings (id and source);
        the renderings themselves only with ``renderings`` (a report is counted once)."""
        query: dict[str, Any] = {"status": status} if status else {}
        if not renderings:
            query["rendering_of"] = None
        fields = {"sources": {"$slice": 1}, "status": 1, "error": 1, "report": 1,
                  "counts": 1, "size": 1, "filename": 1, "flags": 1, "created_at": 1,
                  "rendering_of": 1, "renderings": 1}
        rows = list(self.db.reports.find(query, fields).sort(ARRIVAL_ORDER).limit(limit))
        sources = self.sources_of([r for row in rows for r in row.get("renderings") or []])
        for row in rows:
            row["renderings"] = [{"id": r, "source": sources.get(r)}
                                 for r in row.get("renderings") or []]
        return rows

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
                 "region": 0, "province": 0, "template": 0, "level": 0, "canonical": 0,
                 "i": 0, "tokens": 0}
        items = {n: list(self.db[n].find({"report_id": report_id}, strip).sort("i", 1))
                 for n in ITEM_COLLECTIONS}
        findings = self._findings_in_order(report_id, {k: v for k, v in strip.items()
                                                       if k != "level"})
        entities = (self.db.entities.find_one({"_id": report_id}) or {}).get("entities", [])
        source = (doc.get("sources") or [{}])[0]
        record = {
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
            "lsh": doc.get("lsh") or [],
            "duplicate_check": doc.get("duplicate_check"),  # None: not truncated
            **self._rendering_fields(doc),
        }
        record["counts"] = counts_of(record)
        return record

    def records_for_relating(self, report_ids: list[str]) -> dict[str, dict]:
        """What relating reads of stored reports (renderings, cross-year, near-duplicate
        checks): report, flags, sections, lsh, table, claims, commitments and text, in the
        shape of :meth:`full_record`; one round trip per collection for all of
        ``report_ids`` instead of seven per report."""
        ids = list(dict.fromkeys(report_ids))
        if not ids:
            return {}
        fields = {"sha256": 1, "body_key": 1, "status": 1, "report": 1, "flags": 1,
                  "sections": 1, "announced_sections": 1, "announced_span": 1, "lsh": 1,
                  "versions": 1, "sources": {"$slice": 1}}
        docs = {d["_id"]: d for d in self.db.reports.find({"_id": {"$in": ids}}, fields)}
        if not docs:
            return {}
        ids = [rid for rid in ids if rid in docs]
        tables = {d["_id"]: d for d in self.db.tables.find({"_id": {"$in": ids}})}
        strip = {"_id": 0, "body": 0, "body_key": 0, "year": 0, "region": 0, "template": 0,
                 "tokens": 0}
        items: dict[str, dict[str, list]] = {rid: {n: [] for n in ITEM_COLLECTIONS} for rid in ids}
        for name in ITEM_COLLECTIONS:
            for item in self.db[name].find({"report_id": {"$in": ids}}, strip):
                items[item.pop("report_id")][name].append(item)
        texts = self.get_texts(ids)
        out = {}
        for rid in ids:
            doc, table = docs[rid], tables.get(rid) or {}
            for name in ITEM_COLLECTIONS:
                items[rid][name].sort(key=lambda x: x.get("i", 0))
                for x in items[rid][name]:
                    x.pop("i", None)
            out[rid] = {
                "id": rid, "source": (doc.get("sources") or [{}])[0].get("source"),
                "sha256": doc.get("sha256"), "body_key": doc.get("body_key"),
                "status": doc.get("status"), "report": doc.get("report") or {},
                "flags": doc.get("flags", []),
                "table": {k: table.get(k) for k in ("template", "variant", "flags", "cells")
                          if k in table} or {"cells": []},
                "claims": items[rid]["claims"], "commitments": items[rid]["commitments"],
                "versions": doc.get("versions"), "sections": doc.get("sections") or [],
                "announced_sections": doc.get("announced_sections") or [],
                "announced_span": doc.get("announced_span"), "lsh": doc.get("lsh") or [],
                "text": texts.get(rid) or ""}
        return out

    def _findings_in_order(self, report_id: str, strip: dict) -> list[dict]:
        """The report's own findings in the order ``check`` printed them, then the
        cross-year and near-duplicate ones."""
        found = list(self.db.findings.find({"report_id": report_id},
                                           {k: v for k, v in strip.items() if k != "i"}))
        found.sort(key=lambda f: (f.get("scope") != "report", f.get("scope") or "",
                                  f.get("prev_report_id") or "", f.get("i", 0)))
        for f in found:
            f.pop("i", None)
        return found

    def _rendering_fields(self, doc: dict) -> dict:
        """``rendering_of`` ({id, source} or None) and ``renderings`` ([{id, source}])."""
        of, copies = doc.get("rendering_of"), doc.get("renderings") or []
        sources = self.sources_of(([of] if of else []) + copies) if (of or copies) else {}
        return {"rendering_of": {"id": of, "source": sources.get(of)} if of else None,
                "renderings": [{"id": r, "source": sources.get(r)} for r in copies]}


