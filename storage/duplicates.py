"""Stored near-duplicate candidates: same-year reports of other bodies sharing a MinHash
band key (the ``(year, lsh)`` index), ranked, and what each report's check covered.

A report's candidate *pool* is every done report (not a rendering) of the same year and
another body sharing at least one band with it; pools are symmetric.  Its *top* is the
``cap`` of its pool sharing most bands, ties by id: a function of the stored set, not of
the order reports came in (``ranked_pool``: one query on the index reading the pool's
band keys, ranked by the caller's process).

``reports.duplicate_rank`` records, per report, what its checks covered, so that the
settling pass (worker/duplicates.py) knows which pairs were checked without checking them
again: ``since`` (the relate number at which it first took part), ``relate`` and
``settle`` ([number, shared, id]: compared with every report present at that number whose
rank is at least (shared, id); shared None: with every one) and ``dirty`` (its pairs may
have left or joined S: to be settled).  A count per report lives in ``duplicate_pools``
(``_id``: the report), a collection with no index but ``_id``, because every newcomer
changes it on many reports: ``pool`` (its pool size as last counted, at most cap + 1;
kept up to date while under the cap by the reports joining it, ``grow_pools``).  An
update of a report document costs the embedded server ~4.6 ms (its twelve indexes,
sixteen band keys among them, written again), one of these ~1.2.  A store written before
the counts moved has them in ``duplicate_rank.pool``: read from there until the report's
next count.  (Stores of stop 19 also hold an ``entries`` count there, no longer read.)
``reports.duplicate_check`` marks a report whose pool exceeds the cap (shown by
``gongkai show`` and the review app).
"""
from __future__ import annotations

import heapq
import zlib
from dataclasses import dataclass
from typing import Iterable

from pymongo.errors import DuplicateKeyError

from extractors.related import rank_key, truncated_mark
from storage.related import done_primary

_PRIMARY = {"rendering_of": None}
_TRUNCATED = "truncated"
_POOL_CHECKED = {"status": 1, "body_key": 1, "rendering_of": 1}  # what in_pool reads


def in_pool(doc: dict, report_id: str, body_key: str | None) -> bool:
    """A report read by ``pool_read`` (same year, a shared band) is in the pool of
    ``report_id`` (of ``body_key``): done, of another body, not a rendering; the
    conditions ``{_id: {$ne}, status: "done", body_key: {$ne}, rendering_of: None}``."""
    return doc["_id"] != report_id and doc.get("body_key") != body_key and done_primary(doc)


def resettle_due(report: str, newcomer: str, every: int) -> bool:
    """Whether a newcomer entering the top of ``report`` (over the cap) has it settled
    again: true for about one pair in ``every``, fixed by the two ids (a CRC-32 of both,
    the same in every process and order), so that a report is settled about every
    ``every`` entries without counting them: a count was a write on each of the hundreds
    of reports a newcomer enters at 50,000 stored, the largest store cost there
    (bench/bench_ingest.py ``--scale``).  An entry not drawn only leaves the threshold
    looser (a check too many), never a pair of S unchecked."""
    return every <= 1 or zlib.crc32(f"{report}|{newcomer}".encode()) % every == 0


def _latest(rank: dict | None) -> list | None:
    """The latest of a report's relate and settle records (what it is compared with now:
    a pair an earlier, looser record covered may have been dropped since)."""
    recs = [r for r in ((rank or {}).get("relate"), (rank or {}).get("settle")) if r]
    return max(recs, key=lambda r: r[0]) if recs else None


def covers(rank: dict | None, other_since: int | None, shared: int, other_id: str) -> bool:
    """A report whose checks are ``rank`` was compared with ``other`` (which first took
    part at ``other_since`` and shares ``shared`` bands with it)."""
    rec = _latest(rank)
    if rec is None or other_since is None or other_since >= rec[0]:
        return False
    return rec[1] is None or rank_key(shared, other_id) <= rank_key(rec[1], rec[2])


def enters(rank: dict | None, shared: int, newcomer: str) -> bool:
    """A newcomer sharing ``shared`` bands with a report over the cap whose checks are
    ``rank`` ranks within what its latest check compared (its top may have changed)."""
    rec = _latest(rank)
    return rec is None or rec[1] is None or rank_key(shared, newcomer) <= rank_key(rec[1], rec[2])


_RANKED = {"lsh": 1, "duplicate_check.status": 1, "duplicate_rank": 1}  # what _ranked reads


@dataclass
class Pool:
    """A report's candidate pool: ``ranked``, (id, shared bands) of its best, best first
    (most shared bands, then id); ``unmarked``, those of its members within the cap (not
    marked truncated: each has every report of its pool among its top; few, as a band
    shared by more than cap + 1 reports marks every one of them); ``entered``, members
    over the cap whose top the report may have entered (to be settled)."""

    ranked: list[tuple[str, int]]
    unmarked: list[tuple[str, int]]
    entered: list[str]
    members: list[dict] | None = None  # as read (mark and rank): for grow_pools


def _ranked(report_id: str, mine: set[str], docs: list[dict], limit: int) -> Pool:
    """The :class:`Pool` of ``report_id`` (band keys ``mine``) from its members ``docs``
    as read (band keys, mark and rank): its ``limit`` best, those within the cap, the tops
    it may enter."""
    scored, unmarked, entered = [], [], []
    for d in docs:
        shared = len(mine & set(d.get("lsh") or ()))
        scored.append(rank_key(shared, d["_id"]))
        if (d.get("duplicate_check") or {}).get("status") != _TRUNCATED:
            unmarked.append((d["_id"], shared))
        elif enters(d.get("duplicate_rank"), shared, report_id):
            entered.append(d["_id"])
    top = [(rid, -neg) for neg, rid in heapq.nsmallest(limit, scored)]
    return Pool(top, unmarked, entered, docs)


class DuplicateStore:
    """The near-duplicate half of ``storage.store.Store`` (needs ``self.db``)."""

    db: object

    def pool_read(self, lsh: list[str], year: int) -> dict:
        """The filter a pool is read with: the year and any of its bands, which the
        ``(year, lsh)`` index serves whole (the embedded server plans a filter with any
        further condition, such as the ``$ne`` of the pool's other bodies, as a
        collection scan); :func:`in_pool` checks the rest."""
        return {"year": year, "lsh": {"$in": sorted(set(lsh))}}

    def _pool_docs(self, report_id: str, lsh: list[str], year: int, body_key: str | None,
                   fields: dict) -> list[dict]:
        """The pool's members with ``fields`` (and what :func:`in_pool` reads)."""
        docs = self.db.reports.find(self.pool_read(lsh, year), {**fields, **_POOL_CHECKED})
        return [d for d in docs if in_pool(d, report_id, body_key)]

    def ranked_pool(self, report_id: str, lsh: list[str], year: int | None,
                    body_key: str | None, limit: int) -> Pool:
        """The report's pool (see :class:`Pool`) in one query on the ``(year, lsh)``
        index reading only the band keys, mark and rank of its members, ranked here: the
        embedded server's ``$setIntersection`` in an aggregation costs 7-10x the read
        itself (bench/bench_duplicates.py)."""
        if not lsh or year is None:
            return Pool([], [], [])
        docs = self._pool_docs(report_id, lsh, year, body_key, _RANKED)
        return _ranked(report_id, set(lsh), docs, limit)

    def ranked_pools(self, reports: list[dict], limit: int) -> dict[str, Pool]:
        """``ranked_pool`` of each of ``reports`` (``_id``, ``lsh``, ``year``,
        ``body_key``), from one read per year: the reports settled together share most of
        their pool, which one read each fetched again and again.  Of a chunk of several,
        the year's reports are read whole (its members sharing none of the chunk's bands
        dropped as they come): the embedded server matches an ``$in`` on the multikey
        ``(year, lsh)`` index by testing the year's every band key against every value,
        so at 12,000 stored one report's 16 bands cost 383 ms (1,619 docs), a chunk of 20's
        231 bands 3,047 ms, the year's 4,000 docs read whole 738 ms (/tmp micro-benchmark,
        stop 20; on a real MongoDB the ``$in`` seeks each value instead, and the whole year
        costs more than 20 reads only when pools are a small part of it)."""
        out: dict[str, Pool] = {}
        by_year: dict[int, list[dict]] = {}
        for rep in reports:
            if rep.get("lsh") and rep.get("year") is not None:
                by_year.setdefault(rep["year"], []).append(rep)
            else:
                out[rep["_id"]] = Pool([], [], [])
        for year, reps in by_year.items():
            if len(reps) == 1:
                rep = reps[0]
                out[rep["_id"]] = self.ranked_pool(rep["_id"], rep["lsh"], year,
                                                   rep.get("body_key"), limit)
                continue
            bands = {b for rep in reps for b in rep["lsh"]}
            docs, holders = [], {}  # band: the docs holding it
            for d in self.db.reports.find({"year": year}, {**_RANKED, **_POOL_CHECKED}):
                mine = bands.intersection(d.get("lsh") or ())
                if mine:
                    for b in mine:
                        holders.setdefault(b, []).append(len(docs))
                    docs.append(d)
            for rep in reps:
                mine = set(rep["lsh"])
                near = sorted({i for b in mine for i in holders.get(b, ())})
                members = [docs[i] for i in near
                           if in_pool(docs[i], rep["_id"], rep.get("body_key"))]
                out[rep["_id"]] = _ranked(rep["_id"], mine, members, limit)
        return out

    def ranked_candidates(self, report_id: str, lsh: list[str], year: int | None,
                          body_key: str | None, limit: int) -> list[tuple[str, int]]:
        """(id, shared bands) of the ``limit`` best of the report's pool, best first."""
        return self.ranked_pool(report_id, lsh, year, body_key, limit).ranked

    def grow_pools(self, report_id: str, lsh: list[str], year: int | None,
                   body_key: str | None, cap: int, members: list[dict] | None = None) -> list[str]:
        """A report joined the pools of the reports it shares a band with: count it in
        those within the cap, and mark those it takes past the cap (to be settled);
        return them.  The pool is read on its index (or given: ``members``, as
        ``ranked_pool`` read it under the same year lease) and written by ``_id``."""
        if not lsh or year is None:
            return []
        if members is None:
            members = self._pool_docs(report_id, lsh, year, body_key,
                                      {"duplicate_check.status": 1, "duplicate_rank": 1})
        docs = [d for d in members
                if (d.get("duplicate_check") or {}).get("status") != _TRUNCATED
                and d.get("duplicate_rank") is not None]
        counts = self._count(docs)
        ids = [d["_id"] for d in docs if counts[d["_id"]] > cap]
        if ids:
            self.db.reports.update_many({"_id": {"$in": ids}},
                                        {"$set": {"duplicate_check": truncated_mark(cap, cap),
                                                  "duplicate_rank.dirty": True}})
        return ids

    def entered(self, newcomer: str, pool: Pool, every: int) -> list[str]:
        """The newcomer whose ``pool`` this is was compared with each of ``pool.entered``
        (reports over the cap whose top it may have entered): return those to settle:
        with a near-duplicate pair stored (the pair the newcomer displaced from its top
        may have left S, or the newcomer, entering only by a threshold loosened by earlier
        entries, is paired outside S), and about one entry in ``every`` otherwise
        (:func:`resettle_due`: each entry may loosen the threshold ``enters`` compares
        with by one place, settling makes it exact again).  Reads the stored pairs; writes
        nothing."""
        if not pool.entered:
            return []
        due = {rid for rid in pool.entered if resettle_due(rid, newcomer, every)}
        return sorted(due | self.paired(pool.entered))

    def _count(self, docs: list[dict]) -> dict[str, int]:
        """Add one to the pool count of each of ``docs`` (pool members as read, with their
        ``duplicate_rank``) in ``duplicate_pools``; return the new counts.  A report with no
        counts document yet (stored before they moved there) starts from its
        ``duplicate_rank.pool``."""
        if not docs:
            return {}
        ids = [d["_id"] for d in docs]
        have = {d["_id"]: d.get("pool") or 0
                for d in self.db.duplicate_pools.find({"_id": {"$in": ids}}, {"pool": 1})}
        if have:
            self.db.duplicate_pools.update_many({"_id": {"$in": sorted(have)}}, {"$inc": {"pool": 1}})
        new = [{"_id": d["_id"], "pool": ((d.get("duplicate_rank") or {}).get("pool") or 0) + 1}
               for d in docs if d["_id"] not in have]
        if new:  # under the year's lease: no other process counts these reports
            self.db.duplicate_pools.insert_many(new)
        out = {rid: n + 1 for rid, n in have.items()}
        out.update((doc["_id"], doc["pool"]) for doc in new)
        return out

    def paired(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` with a near-duplicate pair stored (on either report)."""
        ids = sorted(set(ids))
        out: set[str] = set()
        for side in ("report_id", "prev_report_id"):  # two indexed queries, not an $or;
            # the scope checked here: the embedded server plans an $in beside any other
            # condition as a collection scan
            out |= {d[side] for d in self.db.findings.find({side: {"$in": ids}},
                                                           {side: 1, "scope": 1})
                    if d.get("scope") == "duplicate"}
        return out

    def mark_unsettled(self, ids: Iterable[str]) -> None:
        """These reports' near-duplicate pairs may have left or joined S: settle them."""
        ids = list(ids)
        if ids:
            self.db.reports.update_many({"_id": {"$in": ids}},
                                        {"$set": {"duplicate_rank.dirty": True}})

    def candidate_docs(self, ids: Iterable[str]) -> dict[str, dict]:
        """What the similarity check reads of stored reports besides the text."""
        ids = list(ids)
        if not ids:
            return {}
        fields = {"report": 1, "sections": 1, "body_key": 1, "lsh": 1,
                  "sources": {"$slice": 1}}
        return {d["_id"]: {"id": d["_id"], "report": d.get("report") or {},
                           "body_key": d.get("body_key"), "sections": d.get("sections") or [],
                           "lsh": d.get("lsh") or [],
                           "source": (d.get("sources") or [{}])[0].get("source"),
                           "table": {"cells": []}}
                for d in self.db.reports.find({"_id": {"$in": ids}}, fields)}

    def duplicate_candidates(self, report_id: str, lsh: list[str], year: int | None,
                             body_key: str | None, limit: int) -> list[dict]:
        """The ``limit`` best candidates (``ranked_candidates``) with what the similarity
        check reads, best first; ask for one more than compared to learn whether there
        were more."""
        ranked = self.ranked_candidates(report_id, lsh, year, body_key, limit)
        docs = self.candidate_docs(rid for rid, _ in ranked)
        return [docs[rid] for rid, _ in ranked if rid in docs]

    def duplicate_pairs(self, report_id: str) -> set[tuple[str, str]]:
        """(report, other) of the near-duplicate findings stored on or about a report, in
        two queries: a pair that has none and gets none needs no write."""
        out = set()
        for side in ("report_id", "prev_report_id"):  # two indexed queries, not an $or
            docs = self.db.findings.find({side: report_id, "scope": "duplicate"},
                                         {"report_id": 1, "prev_report_id": 1})
            out |= {(d["report_id"], d["prev_report_id"]) for d in docs}
        return out

    def drop_duplicate_pair(self, a: str, b: str) -> bool:
        """Remove the near-duplicate findings of the pair (on both reports)."""
        gone = 0
        for this, that in ((a, b), (b, a)):
            gone += self.db.findings.delete_many(
                {"report_id": this, "prev_report_id": that, "scope": "duplicate"}).deleted_count
        if gone:
            from storage import queue_index

            queue_index.bump(self.db)  # the review queues of serving processes reload
        return bool(gone)

    def set_duplicate_check(self, report_id: str, check: dict | None) -> None:
        """Record how complete a report's near-duplicate check was (None: complete)."""
        change = {"$set": {"duplicate_check": check}} if check else {"$unset": {"duplicate_check": ""}}
        self.db.reports.update_one({"_id": report_id}, change)

    def duplicate_ranks(self, ids: Iterable[str]) -> dict[str, dict]:
        """``duplicate_rank`` of each of ``ids`` (absent: never related)."""
        ids = list(ids)
        if not ids:
            return {}
        return {d["_id"]: d.get("duplicate_rank") or {}
                for d in self.db.reports.find({"_id": {"$in": ids}}, {"duplicate_rank": 1})}

    def record_rank(self, report_id: str, name: str, seq: int, last: tuple[int, str] | None,
                    pool: int, known: dict | None = None, check: dict | None = None) -> dict:
        """What a relate (``name`` "relate") or settle ("settle") of the report covered:
        every report present at ``seq`` ranking at least ``last`` (None: all, the report
        within the cap: its pool count ``pool`` is stored; over it, the count is never
        read).  ``known``: its ``duplicate_rank`` as read under the lease held now (``{}``
        for a report never related), so that ``since`` is not read again; ``check``: its
        ``duplicate_check`` set in the same write.  Returns the ``duplicate_rank`` now
        stored."""
        old = known if known is not None else self.duplicate_ranks([report_id]).get(report_id, {})
        since = old.get("since") if old.get("since") is not None else seq
        rec = [seq, last[0], last[1]] if last else [seq, None, None]
        sets = {"duplicate_rank.since": since, f"duplicate_rank.{name}": rec}
        if check is not None:
            sets["duplicate_check"] = check
        change: dict = {"$set": sets}
        if name == "settle":
            change["$unset"] = {"duplicate_rank.dirty": ""}
        self.db.reports.update_one({"_id": report_id}, change)
        if last is None:  # within the cap: counted again (grow_pools reads it)
            self.db.duplicate_pools.update_one(
                {"_id": report_id}, {"$set": {"pool": pool}}, upsert=True)
        now = {k: v for k, v in old.items() if not (name == "settle" and k == "dirty")}
        now.update({"since": since, name: rec})
        return now

    def _truncated_query(self, unsettled: bool) -> dict:
        query: dict = {"duplicate_check.status": _TRUNCATED, "status": "done", **_PRIMARY}
        if unsettled:
            query["duplicate_rank.dirty"] = True
        return query

    def truncated_reports(self, years: Iterable[int] | None, unsettled: bool = True,
                          limit: int = 0) -> list[dict]:
        """Done reports (not renderings) marked truncated, of ``years`` (None: all), by id;
        ``unsettled``: only those marked to be settled; ``limit``: the first so many."""
        query = self._truncated_query(unsettled)
        if years is not None:
            query["year"] = {"$in": sorted(set(years))}
        fields = {"lsh": 1, "year": 1, "body_key": 1, "duplicate_rank": 1}
        return list(self.db.reports.find(query, fields).sort("_id", 1).limit(limit))

    def unsettled_years(self) -> list[int]:
        """The years of the reports marked to be settled."""
        return sorted(y for y in self.db.reports.distinct("year", self._truncated_query(True))
                      if y is not None)

    def years_of(self, ids: Iterable[str]) -> list[int]:
        """The years of the done reports among ``ids``."""
        docs = self.db.reports.find({"_id": {"$in": list(ids)}, "status": "done"}, {"year": 1})
        return sorted({d["year"] for d in docs if d.get("year") is not None})

    def next_relate_seq(self) -> int:
        """A number for a relate or settle step (one counter, increasing).  Two processes
        creating the counter at once race on the upsert: the loser gets a duplicate key
        (MongoDB) or no document (the embedded server) and increments the counter now
        existing."""
        try:
            doc = self.db.counters.find_one_and_update(
                {"_id": "duplicate_relates"}, {"$inc": {"n": 1}}, upsert=True,
                return_document=True)
        except DuplicateKeyError:
            doc = None
        if doc is None:
            doc = self.db.counters.find_one_and_update(
                {"_id": "duplicate_relates"}, {"$inc": {"n": 1}}, return_document=True)
        return int(doc["n"])
