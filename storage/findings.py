"""Stored findings: stable, distinct ids, reviews that survive re-evaluation, and the one
count of a report's findings that ``reports``, ``show`` and the ingest summary share.

A finding's id is a hash of what it is about: its report, scope, rule code, cells (with
the year they come from), spans, the numbers it compares, what it names besides (the
section kind, the other report) and, for cross-year and near-duplicate findings, the
other report.  The message is not part of it (a reworded rule keeps its findings' ids
and so their reviews).  Two findings that still share all of that (nothing tells them
apart) get an ordinal, so nothing ``check`` prints is lost by storing it.
Hand-written: the identity of a finding is our own domain's, a hash over its fields.
"""
from __future__ import annotations

import hashlib
from typing import Iterable

from pymongo import ReplaceOne

from storage import queue_index, research, review

RELATED_SCOPES = ("cross_year", "duplicate")
_ABOUT = ("section_kind", "other", "prev_spans")  # what a finding names besides cells and spans


def _number(v) -> str:
    if v is None:
        return "-"
    try:
        return format(float(v), ".10g")
    except (TypeError, ValueError):
        return str(v)


def _cell(c: dict) -> str:
    return f"{c.get('key')}@{c.get('column')}" + (f"@{c['year']}" if c.get("year") else "")


def finding_id(report_id: str, finding: dict) -> str:
    """Stable id: the same report, scope, code, cells, spans, values, what it names and
    other report give the same id (see the module docstring)."""
    extra = finding.get("extra") or {}
    about = ";".join(f"{k}={extra[k]}" for k in _ABOUT if extra.get(k) is not None)
    basis = "|".join([
        report_id, finding.get("scope") or "report", finding.get("code", ""),
        ",".join(_cell(c) for c in finding.get("cells") or []),
        ",".join(f"{s[0]}-{s[1]}" for s in finding.get("spans") or []),
        ",".join(_number(v) for v in finding.get("values") or []),
        about, finding.get("prev_report_id") or ""])
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:20]


def distinct_ids(report_id: str, findings: list[dict]) -> list[str]:
    """``finding_id`` of each, the second and later of identical ones numbered."""
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        fid = finding_id(report_id, f)
        seen[fid] = seen.get(fid, 0) + 1
        out.append(fid if seen[fid] == 1 else hashlib.sha1(
            f"{fid}#{seen[fid]}".encode()).hexdigest()[:20])
    return out


def counts_of(record: dict) -> dict[str, int]:
    """The counts of one report record (``check`` or ``show`` shape): the one count."""
    findings = record.get("findings", [])
    return {
        "cells": len((record.get("table") or {}).get("cells") or []),
        "claims": len(record.get("claims") or []),
        "commitments": len(record.get("commitments") or []),
        "entities": len(record.get("entities") or []),
        **finding_counts(findings),
    }


def finding_counts(findings: Iterable[dict]) -> dict[str, int]:
    statuses = [f.get("status") for f in findings]
    return {"findings": len(statuses), "fail": statuses.count("fail"),
            "warn": statuses.count("warn")}


class FindingStore:
    """The findings half of ``storage.store.Store`` (needs ``self.db``)."""

    db: object

    def replace_findings(self, report_id: str, findings: Iterable[dict], base: dict,
                         scope: str, prev_report_id: str | None = None,
                         fresh: bool = False, bump: bool = True) -> None:
        """Make ``findings`` the report's findings of this scope (and other report).

        ``fresh``: none of this report's findings of this scope are stored yet (its first
        processing): one insert, nothing to delete, no reviews to carry over.  ``bump``:
        False when the caller writes many and calls ``bump_findings`` once after them."""
        query = {"report_id": report_id, "scope": scope}
        if prev_report_id:
            query["prev_report_id"] = prev_report_id
        docs = self.finding_docs(report_id, findings, base, scope, prev_report_id)
        if fresh:
            if docs:
                review.carry_reviews(self.db, docs, old={}, bump=bump)
                self.db.findings.insert_many(docs, ordered=False)
            return
        keep = {d["_id"] for d in docs}
        self._delete_ids([d["_id"] for d in self.db.findings.find(query, {"_id": 1})
                          if d["_id"] not in keep])
        review.carry_reviews(self.db, docs, bump=bump)  # a review survives unless it changed
        if not docs:
            return
        self.db.findings.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs],
                                    ordered=False)

    def bump_findings(self) -> None:
        """Findings were replaced: the review queues of serving processes reload."""
        queue_index.bump(self.db)

    def finding_docs(self, report_id: str, findings: Iterable[dict], base: dict, scope: str,
                     prev_report_id: str | None = None) -> list[dict]:
        """The documents ``replace_findings`` stores (reviews not yet carried over)."""
        docs = [{**base, **f, "report_id": report_id, "scope": scope,
                 "prev_report_id": prev_report_id, "i": i} for i, f in enumerate(findings)]
        research.describe_findings(self.db, report_id, docs)  # measures, canonical
        for doc, fid in zip(docs, distinct_ids(report_id, docs)):
            doc["_id"] = fid
        return docs

    def _delete_ids(self, ids: list) -> int:
        """Delete these findings by ``_id`` (found first by a query one index serves: the
        embedded server plans ``$nin`` or a second ``$in`` as a collection scan)."""
        return self.db.findings.delete_many({"_id": {"$in": ids}}).deleted_count if ids else 0

    def drop_related(self, report_ids: list[str]) -> set[str]:
        """Remove the cross-year and near-duplicate findings stored on ``report_ids`` and
        those other reports hold about them; return every report whose findings changed."""
        if not report_ids:
            return set()
        about = {"prev_report_id": {"$in": report_ids}}
        touched = {d["report_id"] for d in self.db.findings.find(about, {"report_id": 1})}
        gone = self.db.findings.delete_many(about).deleted_count
        gone += self._delete_ids([d["_id"] for d in self.db.findings.find(
            {"report_id": {"$in": report_ids}}, {"scope": 1}) if d.get("scope") in RELATED_SCOPES])
        if gone:
            queue_index.bump(self.db)  # the review queues of serving processes reload
        return touched | set(report_ids)

    def drop_cross_year(self, report_id: str, keep_prev: list[str]) -> None:
        """Cross-year findings of ``report_id`` against reports no longer its previous year."""
        gone = self._delete_ids([d["_id"] for d in self.db.findings.find(
            {"report_id": report_id, "scope": "cross_year"}, {"prev_report_id": 1})
            if d.get("prev_report_id") not in keep_prev])
        if gone:
            queue_index.bump(self.db)

    def refresh_counts(self, report_ids: Iterable[str]) -> dict[str, dict]:
        """Recount the stored findings of ``report_ids`` (every scope) into their counts."""
        ids = sorted(set(report_ids))
        if not ids:
            return {}
        statuses: dict[str, list[dict]] = {rid: [] for rid in ids}
        for f in self.db.findings.find({"report_id": {"$in": ids}}, {"report_id": 1, "status": 1}):
            statuses[f["report_id"]].append(f)
        out = {}
        for doc in self.db.reports.find({"_id": {"$in": ids}}, {"counts": 1, "status": 1}):
            if doc.get("status") != "done":
                continue
            counts = {**(doc.get("counts") or {}), **finding_counts(statuses[doc["_id"]])}
            self.db.reports.update_one({"_id": doc["_id"]}, {"$set": {"counts": counts}})
            out[doc["_id"]] = counts
        return out
