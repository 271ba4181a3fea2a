"""Batched store writes for the local ingest pool (gongkai/ingest.py): the leases, saves
and completions of several reports in one round trip per collection instead of a few
dozen per report (the embedded server answers ~500 operations/s, ~3,000 documents/s).

Each function does what its per-report counterpart in storage/work.py or
``Store.save_result`` does, for many reports: the same conditions, the same documents
(built by the same functions).  A batch holds one lease token for all its reports, so
fencing works as for one report: a report taken over by another holder has another
token and no write of the batch's matches it any more.
"""
from __future__ import annotations

from typing import Callable, Iterable

from pymongo import ReplaceOne, UpdateOne

from storage import research, review, work
from storage.findings import counts_of, finding_counts
from storage.store import ITEM_COLLECTIONS, Store, report_fields, result_docs, text_doc


def take_many(db, docs: list[dict], versions: dict, task_id: str, seconds: float,
              force: bool = False) -> list[dict]:
    """``work.take`` of every report of ``docs`` (as just read) that can be taken, under
    one lease: two round trips.  Returns the docs taken, updated as ``take`` returns them."""
    t = work._now()
    wanted = [d for d in docs if work._takeable(d, versions, t, force)]
    if not wanted:
        return []
    lease = work._lease(task_id, seconds)
    change = {"$set": {"status": "processing", "lease": lease, "updated_at": t},
              "$inc": {"attempts": 1}}
    db.reports.bulk_write([UpdateOne(work.as_read(d), change) for d in wanted], ordered=False)
    got = holding(db, [d["_id"] for d in wanted], lease["token"])
    taken = []
    for d in wanted:
        if d["_id"] in got:
            d.update(status="processing", lease=lease, updated_at=t,
                     attempts=(d.get("attempts") or 0) + 1)
            taken.append(d)
    return taken


def holding(db, ids: list[str], token: str) -> set[str]:
    """Those of ``ids`` still held under ``token``."""
    return {d["_id"] for d in db.reports.find({"_id": {"$in": ids}, "lease.token": token},
                                              {"_id": 1})}


def reset_attempts(db, ids: list[str]) -> None:
    if ids:
        db.reports.update_many({"_id": {"$in": ids}}, {"$set": {"attempts": 1}})


def mark_pending(db, ids: list[str], token: str) -> set[str]:
    """``work.mark_pending`` of each; returns those still ours (the others are fenced off)."""
    if not ids:
        return set()
    db.reports.update_many({"_id": {"$in": ids}, "lease.token": token},
                           {"$set": {"pending": [work.RELATE], "updated_at": work._now()}})
    return holding(db, ids, token)


def complete(db, ids: list[str], token: str) -> None:
    """``work.complete`` of each."""
    if ids:
        db.reports.update_many({"_id": {"$in": ids}, "lease.token": token},
                               {"$unset": {"pending": "", "lease": ""},
                                "$set": {"attempts": 0, "updated_at": work._now()}})


def release(db, ids: list[str], token: str) -> None:
    """``work.release`` of each (queued again unless done; the lease goes)."""
    if ids:
        db.reports.update_many({"_id": {"$in": ids}, "lease.token": token, "status": "processing"},
                               {"$set": {"status": "queued", "updated_at": work._now()},
                                "$unset": {"lease": ""}})
        db.reports.update_many({"_id": {"$in": ids}, "lease.token": token},
                               {"$unset": {"lease": ""}})


class Heartbeat(work.Heartbeat):
    """Renews the batch's lease on all its reports still held (one update)."""

    def __init__(self, db, ids: list[str], token: str, seconds: float) -> None:
        super().__init__(db, f"batch of {len(ids)}", token, seconds)
        self.ids = list(ids)

    def _renew(self, query: dict) -> bool:
        return super()._renew({"_id": {"$in": self.ids}, "lease.token": self.token})


def get_raws(store: Store, ids: list[str]) -> dict[str, bytes]:
    """The raw bytes of the reports stored inline, in one round trip (the few in GridFS
    are left to ``Store.get_raw``)."""
    return {d["_id"]: bytes(d["data"]) for d in store.db.raw_inline.find({"_id": {"$in": ids}})}


class Saved:
    """One report of a batch to save: its record, text and the tokens of its items."""

    __slots__ = ("report_id", "record", "text", "tokens_of", "canonical")

    def __init__(self, report_id: str, record: dict, text: str,
                 tokens_of: Callable[[str], list[str]], canonical: bool) -> None:
        self.report_id, self.record, self.text = report_id, record, text
        self.tokens_of, self.canonical = tokens_of, canonical


def save_fresh(store: Store, items: Iterable[Saved]) -> dict[str, dict]:
    """``Store.save_result(..., fresh=True)`` of every item (each on its first processing:
    nothing derived from it stored yet), one write per collection for all of them; the
    lease stays on the reports (their relating step follows).  Returns their counts."""
    items = list(items)
    if not items:
        return {}
    db = store.db
    out: dict[str, dict] = {}
    texts, tables, entities, findings, reports = [], [], [], [], []
    many: dict[str, list[dict]] = {"cells": [], **{n: [] for n in ITEM_COLLECTIONS}}
    for it in items:
        rid, result = it.report_id, it.record
        docs = result_docs(rid, result, it.tokens_of, it.canonical)
        text = text_doc(rid, it.text)
        if text is not None:
            texts.append(ReplaceOne({"_id": rid}, text, upsert=True))
        else:  # too large to be inline: GridFS, as one at a time
            store._put_text(rid, it.text)
        tables.append(ReplaceOne({"_id": rid}, docs["tables"], upsert=True))
        entities.append(ReplaceOne({"_id": rid}, docs["entities"], upsert=True))
        many["cells"] += research.cell_docs(rid, result["table"].get("cells") or [], docs["base"])
        for name in ITEM_COLLECTIONS:
            many[name] += docs[name]
        findings += store.finding_docs(rid, result["findings"],
                                       {**docs["base"], "versions": result["versions"]}, "report")
        counts = {**counts_of(result), **finding_counts(result["findings"])}
        reports.append(UpdateOne({"_id": rid}, {"$set": report_fields(result, counts,
                                                                      it.canonical, True)}))
        out[rid] = counts
    for name, ops in (("text_inline", texts), ("tables", tables), ("entities", entities)):
        if ops:
            db[name].bulk_write(ops, ordered=False)
    for name, docs in many.items():
        if docs:
            db[name].insert_many(docs, ordered=False)
    if findings:
        review.carry_reviews(db, findings, old={})
        db.findings.insert_many(findings, ordered=False)
    db.reports.bulk_write(reports, ordered=False)
    return out

