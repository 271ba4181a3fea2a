"""What is left to do, kept in the store (the source of truth): leases on reports being
processed, their renewal while a worker lives, fencing, the steps still pending after a
report's own result is saved, and the sweep that finds lost and stale work.

A lease is ``reports.lease = {task, token, host, until}``; ``token`` is fresh for every
take, so a worker that lost its lease (it hung past ``until`` and another took over)
cannot save over the new holder's work: every write of a holder is conditional on its
token (fencing).  A report is ``done`` with ``pending: ["relate"]`` between the save of
its own result and the end of its cross-year and near-duplicate step; a re-run finishes
only that step.  A few lines of standard MongoDB (conditional updates), no lock service:
ingest without a broker has none.
"""
from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from pymongo.errors import PyMongoError

RELATE = "relate"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def host_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _lease(task_id: str, seconds: float) -> dict:
    return {"task": task_id, "token": uuid.uuid4().hex, "host": host_id(),
            "until": _now() + timedelta(seconds=seconds)}


def _expired(lease: dict | None, t: datetime) -> bool:
    until = (lease or {}).get("until")
    if until is None:
        return True
    if until.tzinfo is None:  # a client without tz_aware
        until = until.replace(tzinfo=timezone.utc)
    return until < t


def _takeable(doc: dict, versions: dict, t: datetime, force: bool) -> bool:
    status = doc.get("status")
    return (status == "queued" or (status == "done" and doc.get("versions") != versions)
            or (status == "processing" and _expired(doc.get("lease"), t))
            or (force and status in ("done", "failed")))


def _compare_and_set(db, doc: dict, update: dict) -> bool:
    """Update ``doc`` only if it is still as read (status, attempts, lease token): of two
    takers only one matches.  A read and an update by ``_id`` instead of one
    ``find_one_and_update`` with an ``$or``: the embedded server answers findAndModify and
    ``$or`` by scanning the whole collection (50 ms a report at 3,000 stored), while these
    stay at a few ms at any size."""
    return db.reports.update_one(as_read(doc), update).modified_count == 1


def as_read(doc: dict) -> dict:
    """The filter matching a report only while it is as read (``_compare_and_set``)."""
    return {"_id": doc["_id"], "status": doc.get("status"), "attempts": doc.get("attempts"),
            "lease.token": (doc.get("lease") or {}).get("token")}


def take(db, report_id: str, versions: dict, task_id: str, seconds: float,
         force: bool = False) -> dict | None:
    """Take the report for processing under a fresh lease, or None when there is nothing
    to do (done with these versions, failed, or leased by a live worker)."""
    t = _now()
    doc = db.reports.find_one({"_id": report_id})
    if doc is None or not _takeable(doc, versions, t, force):
        return None
    lease = _lease(task_id, seconds)
    if not _compare_and_set(db, doc, {"$set": {"status": "processing", "lease": lease,
                                               "updated_at": t}, "$inc": {"attempts": 1}}):
        return None  # another worker took it in between
    doc.update(status="processing", lease=lease, updated_at=t,
               attempts=(doc.get("attempts") or 0) + 1)
    return doc


def take_pending(db, report_id: str, versions: dict, task_id: str,
                 seconds: float) -> dict | None:
    """Take a ``done`` report whose relating step is still pending (its status stays
    ``done``: the relating step reads the done reports of its body and year)."""
    t = _now()
    doc = db.reports.find_one({"_id": report_id})
    if (doc is None or doc.get("status") != "done" or RELATE not in (doc.get("pending") or ())
            or doc.get("versions") != versions or not _expired(doc.get("lease"), t)):
        return None
    lease = _lease(task_id, seconds)
    if not _compare_and_set(db, doc, {"$set": {"lease": lease, "updated_at": t}}):
        return None
    doc.update(lease=lease, updated_at=t)
    return doc


def reset_attempts(db, report_id: str) -> None:
    db.reports.update_one({"_id": report_id}, {"$set": {"attempts": 1}})


def mark_pending(db, report_id: str, token: str) -> bool:
    """Before the report's own result is saved: it is not finished until the relating
    step is.  False when the lease is no longer ours (fenced off)."""
    res = db.reports.update_one({"_id": report_id, "lease.token": token},
                                {"$set": {"pending": [RELATE], "updated_at": _now()}})
    return res.matched_count == 1


def holds(db, report_id: str, token: str) -> bool:
    return db.reports.count_documents({"_id": report_id, "lease.token": token}, limit=1) == 1


def rehold(db, report_id: str, lease: dict, seconds: float) -> None:
    """Keep the lease after the result was saved (saving clears it) until the relating
    step ends, so no sweep re-enqueues a report that is being related."""
    db.reports.update_one({"_id": report_id, "pending": RELATE},
                          {"$set": {"lease": {**lease,
                                              "until": _now() + timedelta(seconds=seconds)}}})


def complete(db, report_id: str, token: str) -> None:
    """Every step saved: nothing pending, no lease, attempts start again from zero."""
    db.reports.update_one({"_id": report_id, "lease.token": token},
                          {"$unset": {"pending": "", "lease": ""},
                           "$set": {"attempts": 0, "updated_at": _now()}})


def release(db, report_id: str, token: str) -> None:
    """Give the report back (a transient error, Ctrl-C): queued again, unless it is done."""
    db.reports.update_one({"_id": report_id, "lease.token": token, "status": "processing"},
                          {"$set": {"status": "queued", "updated_at": _now()},
                           "$unset": {"lease": ""}})
    db.reports.update_one({"_id": report_id, "lease.token": token}, {"$unset": {"lease": ""}})


def release_hosts(db, ids: list[str], hosts: list[str]) -> int:
    """Reports of ``ids`` held by processes ``hosts`` (host:pid) go back to ``queued``."""
    res = db.reports.update_many(
        {"_id": {"$in": ids}, "status": "processing", "lease.host": {"$in": hosts}},
        {"$set": {"status": "queued", "updated_at": _now()}, "$unset": {"lease": ""}})
    db.reports.update_many({"_id": {"$in": ids}, "lease.host": {"$in": hosts}},
                           {"$unset": {"lease": ""}})
    return res.modified_count


def release_dead_local(db, ids: list[str]) -> int:
    """Reports held by processes of this machine that no longer exist (a killed local
    ingest) go back to ``queued`` at once, without waiting for their leases to expire."""
    me = socket.gethostname() + ":"
    docs = db.reports.find({"_id": {"$in": ids}, "lease.host": {"$gte": me, "$lt": me + "~"}},
                           {"lease.host": 1})
    dead = sorted({d["lease"]["host"] for d in docs if not _pid_alive(d["lease"]["host"])})
    return release_hosts(db, ids, dead) if dead else 0


def _pid_alive(host: str) -> bool:
    try:
        os.kill(int(host.rsplit(":", 1)[1]), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def needing_work(db, ids: list[str], versions: dict) -> set[str]:
    """Those of ``ids`` that need work: ``queued`` or ``processing``, or ``done`` with
    other versions or a step pending.  Read by ``_id`` alone, a thousand at a time, and
    the conditions checked here: the embedded server plans an ``$in`` beside an ``$or``
    as a collection scan (2.8 s for 100 ids at 20,000 stored, a cost every ``ingest``
    paid once however few its reports)."""
    out: set[str] = set()
    for i in range(0, len(ids), 1000):
        for d in db.reports.find({"_id": {"$in": ids[i:i + 1000]}},
                                 {"status": 1, "versions": 1, "pending": 1}):
            status = d.get("status")
            if status in ("queued", "processing") or status == "done" and (
                    d.get("versions") != versions or RELATE in (d.get("pending") or ())):
                out.add(d["_id"])
    return out


def mark_enqueued(db, ids: list[str]) -> None:
    db.reports.update_many({"_id": {"$in": ids}}, {"$set": {"enqueued_at": _now()}})


def stale(db, requeue_after: float, queues_empty: bool, ids: list[str] | None = None) -> dict:
    """Work no message will bring: ``processing`` with an expired lease or none (set back
    to ``queued``; a report ``processing`` without a lease is what a store that lost its
    last writes when killed can hand back: the result saved as ``done`` lost, the lease's
    removal kept), ``done`` with a pending step and no live lease, and — when the broker's
    queues are empty — ``queued`` for longer than ``requeue_after`` seconds."""
    t = _now()
    scope: dict[str, Any] = {"_id": {"$in": ids}} if ids is not None else {}
    no_live_lease = [{"lease": None}, {"lease.until": {"$lt": t}}]
    expired = [d["_id"] for cond in no_live_lease  # two queries: each on the status index
               for d in db.reports.find({**scope, "status": "processing", **cond}, {"_id": 1})]
    if expired:
        db.reports.update_many({"_id": {"$in": expired}, "status": "processing",
                                "$or": no_live_lease},
                               {"$set": {"status": "queued", "updated_at": t},
                                "$unset": {"lease": ""}})
    pending = [d["_id"] for d in db.reports.find(
        {**scope, "status": "done", "pending": RELATE, "$or": no_live_lease}, {"_id": 1})]
    lost: list[str] = []
    if queues_empty:
        before = t - timedelta(seconds=requeue_after)
        lost = [d["_id"] for d in db.reports.find(
            {**scope, "status": "queued", "_id": {"$nin": expired},
             "$or": [{"enqueued_at": {"$lt": before}},
                     {"enqueued_at": None, "updated_at": {"$lt": before}}]}, {"_id": 1})]
    return {"expired": expired, "pending": pending, "lost": lost}


def busy_years(db) -> set[int | None]:
    """The years of the reports still to be processed or related: ``queued`` or
    ``processing`` (their stored year, None when it is not known yet: any year) and
    ``done`` with a pending step."""
    unread = {"status": {"$in": ["queued", "processing"]}}
    years = set(db.reports.distinct("year", unread))
    years |= set(db.reports.distinct("year", {"status": "done", "pending": RELATE}))
    if None not in years and db.reports.count_documents({**unread, "year": None}, limit=1):
        years.add(None)
    return years


def progress(db, ids: list[str]) -> dict[str, int]:
    """Status counts of ``ids``; ``done`` reports with a step still pending count as
    ``pending``, not ``done``."""
    rows = db.reports.aggregate([{"$match": {"_id": {"$in": ids}}},
                                 {"$group": {"_id": "$status", "n": {"$sum": 1}}}])
    counts = {r["_id"]: r["n"] for r in rows}
    waiting = db.reports.count_documents({"_id": {"$in": ids}, "status": "done",
                                          "pending": RELATE})
    if waiting:
        counts["done"] -= waiting
        counts["pending"] = waiting
        if not counts["done"]:
            del counts["done"]
    return counts


UNFINISHED = ("queued", "processing", "pending")


def unfinished(counts: dict[str, int]) -> int:
    return sum(counts.get(k, 0) for k in UNFINISHED)


class Heartbeat:
    """Renews a lease every third of its length from a thread while a document is
    worked on; stops renewing (and says so) when the lease was taken by another."""

    def __init__(self, db, report_id: str, token: str, seconds: float) -> None:
        self.db, self.report_id, self.token, self.seconds = db, report_id, token, seconds
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"lease-{report_id[:8]}")

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                held = self._renew({"_id": self.report_id, "lease.token": self.token})
            except PyMongoError:
                continue  # the store is away: try again next beat
            if not held:
                self.lost = True
                return

    def _renew(self, query: dict) -> bool:
        res = self.db.reports.update_many(
            query, {"$set": {"lease.until": _now() + timedelta(seconds=self.seconds)}})
        return res.matched_count > 0
