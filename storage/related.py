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

import os
import socket
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator

from pymongo.errors import DuplicateKeyError

RELATE_LEASE_SECONDS = 120  # a dead worker's lease on a body or year expires after this
RELATE_WAIT_SECONDS = 600

# oldest first: the first stored of a report's renderings is the report itself
ARRIVAL_ORDER = [("seq", 1), ("created_at", 1), ("_id", 1)]
_PRIMARY = {"rendering_of": None}  # also matches reports stored before renderings existed


class RelatedStore:
    """The relations half of ``storage.store.Store`` (needs ``self.db``)."""

    db: object

    @contextmanager
    def locked(self, names: list[str]) -> Iterator[None]:
        """Hold a lease on each of ``names`` (taken in sorted order, so two holders never
        wait on each other); a lease whose holder died expires after RELATE_LEASE_SECONDS."""
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        taken: list[str] = []
        try:
            for name in sorted(set(names)):
                self._take_lease(name, holder)
                taken.append(name)
            yield
        finally:
            for name in taken:
                self.db.locks.delete_one({"_id": name, "holder": holder})

    def _take_lease(self, name: str, holder: str) -> None:
        deadline = time.monotonic() + RELATE_WAIT_SECONDS
        pause = 0.02
        while True:
            t = datetime.now(timezone.utc)
            try:
                self.db.locks.find_one_and_update(
                    {"_id": name, "until": {"$lt": t}},
                    {"$set": {"holder": holder,
                              "until": t + timedelta(seconds=RELATE_LEASE_SECONDS)}},
                    upsert=True)
                return
            except DuplicateKeyError:  # held by another worker
                if time.monotonic() > deadline:
                    raise TimeoutError(f"lease {name} still held after {RELATE_WAIT_SECONDS} s")
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
        return list(self.db.reports.find(
            {"body_key": body_key, "year": {"$in": [year - 1, year + 1]}, "status": "done",
             **_PRIMARY}, {"_id": 1, "year": 1}).sort(ARRIVAL_ORDER))

    def sources_of(self, ids: list[str]) -> dict[str, str | None]:
        """The first source of each report."""
        docs = self.db.reports.find({"_id": {"$in": list(ids)}}, {"sources": {"$slice": 1}})
        return {d["_id"]: (d.get("sources") or [{}])[0].get("source") for d in docs}
