"""Stored relations between reports: renderings of one report (``rendering_of`` on the
renderings, ``renderings`` on the report they render), the same body's neighbouring
years, and the leases that keep two workers from relating the same reports at once
(same-year near-duplicate candidates: storage/duplicates.py).

Which reports are renderings of which is decided by ``extractors.related``; this half of
``storage.store.Store`` only finds the reports to compare and records the answer.
The leases are a few lines of standard MongoDB (an upsert on a unique ``_id`` with an
expiry); a lock library would add a service (Redis) that ingest without a broker lacks.
"""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator

from pymongo.errors import DuplicateKeyError, PyMongoError

from storage.work import Heartbeat

log = logging.getLogger("gongkai.store")

RELATE_LEASE_SECONDS = 120  # renewed while held: a dead holder's lease expires after this
RELATE_WAIT_SECONDS = 600
RELEASE_TRIES = 3  # a release the store refused is tried again this many times, a second apart


class LeaseHeld(TimeoutError):
    """Another holder kept a lease for longer than the taker would wait."""


class _LockBeat(Heartbeat):
    """Renews the leases on bodies and years taken so far (``names`` grows as they are)."""

    def __init__(self, db, names: list[str], holder: str, seconds: float) -> None:
        super().__init__(db, "locks", holder, seconds)
        self.names = names

    def _renew(self, query: dict) -> bool:
        if not self.names:
            return True
        res = self.db.locks.update_many(
            {"_id": {"$in": list(self.names)}, "holder": self.token},
            {"$set": {"until": datetime.now(timezone.utc) + timedelta(seconds=self.seconds)}})
        return res.matched_count > 0

def done_primary(doc: dict) -> bool:
    """A stored report read without the conditions in its query is done and not a
    rendering (``rendering_of`` None or absent: stored before renderings existed)."""
    return doc.get("status") == "done" and doc.get("rendering_of") is None


# oldest first: the first stored of a report's renderings is the report itself
ARRIVAL_ORDER = [("seq", 1), ("created_at", 1), ("_id", 1)]


class RelatedStore:
    """The relations half of ``storage.store.Store`` (needs ``self.db``)."""

    db: object

    lock_seconds: float = RELATE_LEASE_SECONDS  # Store.from_settings: the lease_seconds setting

    @contextmanager
    def locked(self, names: list[str], wait: float = RELATE_WAIT_SECONDS) -> Iterator[None]:
        """Hold a lease on each of ``names`` (taken in sorted order, so two holders never
        wait on each other), renewed from a thread while held, so that a dead holder's
        lease expires ``lock_seconds`` after its last renewal whereas a long relating step
        keeps it.  Raises LeaseHeld when one is still held after ``wait`` seconds (0: one
        try).  A release the store refuses (it is restarting) is tried again a few times,
        then left to expire."""
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        taken: list[str] = []
        with _LockBeat(self.db, taken, holder, self.lock_seconds):
            try:
                for name in sorted(set(names)):
                    self._take_lease(name, holder, wait)
                    taken.append(name)
                yield
            finally:
                self._release(taken, holder)

    def _release(self, names: list[str], holder: str) -> None:
        for attempt in range(RELEASE_TRIES):
            try:
                if names:
                    self.db.locks.delete_many({"_id": {"$in": names}, "holder": holder})
                return
            except PyMongoError:
                if attempt + 1 < RELEASE_TRIES:
                    time.sleep(1)
        log.warning("could not release the leases %s: they expire in %g s", names,
                    self.lock_seconds)

    def _take_lease(self, name: str, holder: str, wait: float) -> None:
        deadline = time.monotonic() + wait
        pause = 0.02
        while True:
            t = datetime.now(timezone.utc)
            try:
                self.db.locks.find_one_and_update(
                    {"_id": name, "until": {"$lt": t}},
                    {"$set": {"holder": holder,
                              "until": t + timedelta(seconds=self.lock_seconds)}},
                    upsert=True)
                return
            except DuplicateKeyError:  # held by another worker
                if time.monotonic() >= deadline:
                    raise LeaseHeld(f"lease {name} still held after {wait:g} s")
                time.sleep(pause)
                pause = min(pause * 2, 0.5)

    def next_seq(self) -> int:
        """Arrival number of a newly stored report.  Two processes creating the counter at
        once race on the upsert: the loser gets a duplicate key (MongoDB) or no document
        (the embedded server) and tries again, the counter now existing."""
        for _ in range(5):
            try:
                doc = self.db.counters.find_one_and_update(
                    {"_id": "reports"}, {"$inc": {"n": 1}}, upsert=True, return_document=True)
            except DuplicateKeyError:
                doc = None
            if doc is not None:
                return int(doc["n"])
            time.sleep(0.05)
        raise RuntimeError("could not number a new report: the reports counter kept changing")

    def same_body_year(self, body_key: str, year: int) -> list[str]:
        """Ids of the done reports of one body and year, oldest first."""
        docs = self.db.reports.find({"body_key": body_key, "year": year, "status": "done"},
                                    {"_id": 1}).sort(ARRIVAL_ORDER)
        return [d["_id"] for d in docs]

    def renderings_of(self, ids: list[str]) -> dict[str, str | None]:
        """The stored role of each of ``ids``: the report it is a rendering of, None for a
        report of its own."""
        if not ids:
            return {}
        return {d["_id"]: d.get("rendering_of")
                for d in self.db.reports.find({"_id": {"$in": list(ids)}}, {"rendering_of": 1})}

    def set_renderings(self, roles: dict[str, str | None]) -> list[str]:
        """Record which report each of ``roles`` renders (None: a report of its own);
        return the ids that are renderings."""
        homes: dict[str, list[str]] = {rid: [] for rid, of in roles.items() if of is None}
        for rid, of in roles.items():
            if of is not None:
                homes.setdefault(of, []).append(rid)
                self.db.reports.update_one({"_id": rid}, {  # a rendering has no duplicate check
                    "$set": {"rendering_of": of, "renderings": []}, "$unset": {"duplicate_check": "", "duplicate_rank": ""}})
        for rid, copies in homes.items():
            if roles.get(rid) is None:
                self.db.reports.update_one({"_id": rid}, {"$set": {"rendering_of": None,
                                                                   "renderings": copies}})
        from storage import research  # research queries count each report once

        research.mark_canonical(self.db, [r for r, of in roles.items() if of is not None], False)
        research.mark_canonical(self.db, [r for r, of in roles.items() if of is None], True)
        return [rid for rid, of in roles.items() if of is not None]

    def neighbours(self, body_key: str, year: int) -> list[dict]:
        """Done reports of the same body in the adjacent years (not renderings)."""
        docs = self.db.reports.find(  # the body's two years on the (body_key, year) index
            {"body_key": body_key, "year": {"$in": [year - 1, year + 1]}},
            {"_id": 1, "year": 1, "status": 1, "rendering_of": 1}).sort(ARRIVAL_ORDER)
        return [{"_id": d["_id"], "year": d["year"]} for d in docs if done_primary(d)]

    def sources_of(self, ids: list[str]) -> dict[str, str | None]:
        """The first source of each report."""
        docs = self.db.reports.find({"_id": {"$in": list(ids)}}, {"sources": {"$slice": 1}})
        return {d["_id"]: (d.get("sources") or [{}])[0].get("source") for d in docs}
