"""Near-duplicate findings between reports of other bodies in the same year, past the
candidate cap as under it a function of the stored reports, not of their arrival order.

The pairs checked (each stored on both reports) are::

    S = {(A, B) sharing a MinHash band : B in top(A) or A in top(B)}

where ``top(X)`` is the ``duplicate_candidates`` (cap) reports of X's pool sharing most
bands with it, ties by id (storage/duplicates.py).  A report whose pool is within the cap
has its whole pool as top, so under the cap S is every pair sharing a band.

Ingest (``run_duplicates``, under the year's lease) compares a newcomer with its pairs of
S *as stored so far*: its top, the reports of its pool within the cap, and the reports over
the cap whose top it entered (ranking within what their last check compared).  A
report's top can only lose members as the store grows, so that finds every pair of S and
maybe pairs that later leave it.  ``settle`` (end of a local ``ingest``, ``ingest --wait``,
``reprocess``, ``gongkai relate --settle``; ``settle_some`` in the workers' sweep, for the
ingests that do not wait, worker/sweep.py) brings the store to S for every report marked
to be settled: one that a newcomer took past the cap, or entered while it has a pair
stored (the pair the newcomer displaced may have left S), or drawn on entry with odds
of one in a quarter of the cap, fixed by the two ids (its threshold exact again about
that often: ``_resettle_after``).  The
pairs of S not yet checked are checked and the stored pairs outside S are removed.
Which pairs were checked is read from ``duplicate_rank`` (``covers``), not by checking
again.  Work per newcomer: one read of its pool's band keys, the checks of its pairs,
one lookup of the stored pairs of the reports entered; per chunk of ``SETTLE_CHUNK``
settled reports of a year: one read of that year's band keys, ranks and marks
(``ranked_pools``), and per report a few lookups, the similarity checks it was missing
and one write of its rank and mark.
"""
from __future__ import annotations

import time
from collections import defaultdict
from typing import Iterable

from config.settings import current
from extractors.related import truncated_mark
from storage.duplicates import covers
from storage.store import Store

# reports settled under one take of their year's lease (which expires after 120 s: a
# report costs ~0.6 s of store work at a pool of 3,000, plus the checks it was missing),
# letting workers relate that year's newcomers in between (they mark what they change)
SETTLE_CHUNK = 20


def finding_base(record: dict) -> dict:
    """The report fields stored on each of its related findings."""
    rep = record["report"]
    return {"body": rep.get("body"), "body_key": record.get("body_key"),
            "year": rep.get("year"), "region": rep.get("region"),
            "province": rep.get("province"), "template": rep.get("template"),
            "level": rep.get("level")}


def check_pairs(store: Store, report_id: str, this: dict, others: list[dict],
                stored: set[tuple[str, str]]) -> set[str]:
    """Compare ``this`` (a light record with text) with each of ``others`` (candidate
    docs) and store what is found on both reports; ``stored``: the pairs that have
    findings now (a pair with none that finds none needs no write).  Returns the reports
    whose findings were written."""
    from extractors.crossyear import similarity_findings

    touched: set[str] = set()
    texts = store.get_texts_and_shingles([o["id"] for o in others]) if others else {}
    for other in others:
        text, shingles = texts.get(other["id"]) or ("", None)
        other = {**other, "text": text, "shingles": shingles}
        for this_id, a, that_id, b in ((report_id, this, other["id"], other),
                                       (other["id"], other, report_id, this)):
            found = [f.to_dict() for f in similarity_findings(b, a)]
            if not found and (this_id, that_id) not in stored:
                continue  # nothing stored, nothing to store: no write
            store.replace_findings(this_id, found, finding_base(a), scope="duplicate",
                                   prev_report_id=that_id, bump=False)
            touched.add(this_id)
    if touched:  # once for the pairs, not per pair (~6 ms each at 50,000 stored)
        store.bump_findings()
    return touched


def run_duplicates(store: Store, report_id: str, record: dict, fresh: bool = False,
                   cap: int | None = None) -> set[str]:
    """Near-duplicates between bodies of the same year with the report's top (the
    ``cap`` candidates sharing most bands among those stored so far), stored on both reports
    (one body's consecutive years are the cross-year checks' business); returns the
    reports whose findings were written.  ``fresh``: the report's first processing: an
    empty result writes nothing.  A report with more than ``cap`` candidates is marked
    ``truncated`` (``duplicate_check``), and so is every report it takes past the cap;
    those and the reports over the cap whose top it may have entered are marked to be
    settled: ``settle`` completes what arrival order left out."""
    from extractors.related import light

    cap = cap or current().duplicate_candidates
    lsh, year, body_key = record.get("lsh", []), record["report"].get("year"), record.get("body_key")
    seq = store.next_relate_seq()
    pool = store.ranked_pool(report_id, lsh, year, body_key, limit=cap + 1)
    ranked = pool.ranked
    top = ranked[:cap]
    check = truncated_mark(cap, len(top)) if len(ranked) > cap else None
    if not check and not fresh:  # a reprocessed report within the cap now (a cut check
        store.set_duplicate_check(report_id, None)  # is marked with its rank, below)
    # its pairs of S: its top, the reports within the cap (its whole pool is their top)
    # and those over it whose top it entered (by their last exact threshold: a superset)
    compared = list(dict.fromkeys([rid for rid, _ in top] + [rid for rid, _ in pool.unmarked]
                                  + pool.entered))
    docs = store.candidate_docs(compared)
    candidates = [docs[rid] for rid in compared if rid in docs]
    stored = set() if fresh else store.duplicate_pairs(report_id)
    touched = check_pairs(store, report_id, light(record), candidates, stored)
    rank = {} if fresh else store.duplicate_ranks([report_id]).get(report_id, {})
    first = fresh or not rank.get("since")
    store.record_rank(report_id, "relate", seq, top[-1][::-1] if check else None,
                      len(ranked), known=rank, check=check)
    if first and ranked:  # it joined the pools of its candidates
        store.grow_pools(report_id, lsh, year, body_key, cap, members=pool.members)
    # a fresh report has nothing stored outside S; a reprocessed one over the cap may have
    store.mark_unsettled(store.entered(report_id, pool, _resettle_after(cap))
                         + ([report_id] if check and not fresh else []))
    return touched


def _resettle_after(cap: int) -> int:
    """Entries after which, on average, a report over the cap is settled again (drawn per
    entry: ``storage.duplicates.resettle_due``): each may leave its threshold one place
    looser than its top (a newcomer compared that its top no longer holds, one check too
    many), settling reads its pool once (bench/bench_ingest.py ``--scale``: a re-read per
    entry made the time per report grow with the store)."""
    return max(1, cap // 4)


def left_pools(store: Store, records: list[dict]) -> None:
    """``records`` are renderings now (in no pool): the reports over the cap whose top
    they were in have a place free, to be settled."""
    for rec in records:
        pool = store.ranked_pool(rec["id"], rec.get("lsh") or [], rec["report"].get("year"),
                                 rec.get("body_key"), limit=0)
        store.mark_unsettled(pool.entered)


def settle(store: Store, years: Iterable[int] | None = None, cap: int | None = None,
           everything: bool = False) -> dict:
    """Bring the near-duplicate findings of ``years`` (None: all) to S (module doc): the
    reports over the cap marked to be settled (``everything``: all over the cap).
    Returns {"settled", "checked", "dropped", "unmarked"} counts."""
    cap = cap or current().duplicate_candidates
    by_year: dict[int, list[dict]] = defaultdict(list)
    for doc in store.truncated_reports(years, unsettled=not everything):
        by_year[doc["year"]].append(doc)
    stats = _no_stats()
    touched: set[str] = set()
    for year in sorted(by_year):
        marked = by_year[year]
        for i in range(0, len(marked), SETTLE_CHUNK):  # the year's lease a few seconds at a time
            with store.locked([f"year:{year}"]):
                touched |= _settle_year(store, marked[i:i + SETTLE_CHUNK], cap, stats)
    store.refresh_counts(touched)
    return stats


def settle_some(store: Store, years: Iterable[int], cap: int, seconds: float) -> dict:
    """``settle`` the marked reports of ``years`` a chunk at a time, each chunk read
    under the year's lease, for about ``seconds`` (at least one chunk); a year whose lease
    another holds (a worker relating or settling it) is left for next time: nothing here
    waits.  Returns the ``settle`` counts."""
    from storage.related import LeaseHeld

    deadline = time.monotonic() + seconds
    stats = _no_stats()
    touched: set[str] = set()
    try:
        for year in years:
            while True:
                try:
                    with store.locked([f"year:{year}"], wait=0):
                        marked = store.truncated_reports([year], limit=SETTLE_CHUNK)
                        touched |= _settle_year(store, marked, cap, stats)
                except LeaseHeld:
                    break
                if len(marked) < SETTLE_CHUNK or time.monotonic() >= deadline:
                    break
            if time.monotonic() >= deadline:
                break
    finally:
        store.refresh_counts(touched)
    return stats


def _no_stats() -> dict:
    return {"settled": 0, "checked": 0, "dropped": 0, "unmarked": 0}


def _settle_year(store: Store, marked: list[dict], cap: int, stats: dict) -> set[str]:
    """Settle ``marked`` (reports of one year, under its lease).  A report of another
    chunk still marked but now within the cap is seen as over it here: its pairs with
    these are then checked from its side when its own chunk unmarks it, and kept here
    (``_Tops.of`` finds it within the cap)."""
    pools: dict[str, list[tuple[str, int]]] = {}
    within: dict[str, dict[str, int]] = {}  # per report: the reports of its pool within the cap
    # the checks' records as read under this lease (kept up to date below: only this
    # chunk changes them while the lease is held)
    ranks = {doc["_id"]: doc.get("duplicate_rank") or {} for doc in marked}
    read = store.ranked_pools(marked, limit=cap + 1)  # one read of the chunk's pools
    seq = store.next_relate_seq()  # no newcomer of the year relates while the lease is held
    for doc in marked:  # first every mark made exact: who is over the cap now
        pool = read[doc["_id"]]
        pools[doc["_id"]], within[doc["_id"]] = pool.ranked, dict(pool.unmarked)
        for member in pool.members or ():
            ranks.setdefault(member["_id"], member.get("duplicate_rank") or {})
        if len(pool.ranked) <= cap:
            store.set_duplicate_check(doc["_id"], None)
            stats["unmarked"] += 1
    for rid, ranked in pools.items():  # unmarked now: its whole pool is ``ranked``
        if len(ranked) <= cap:
            for other, shared in ranked:
                within.setdefault(other, {})[rid] = shared
    tops = _Tops(store, cap, {rid: dict(r[:cap]) for rid, r in pools.items() if len(r) > cap})
    touched: set[str] = set()
    for doc in marked:
        rid, ranked = doc["_id"], pools[doc["_id"]]
        over = len(ranked) > cap
        want = dict(ranked[:cap])
        if over:  # and the reports within the cap, which have it in their top
            want.update(within[rid])
        touched |= _check_missing(store, rid, want, stats, ranks)
        if over:
            touched |= _drop_unselected(store, rid, want, tops, stats)
        ranks[rid] = store.record_rank(rid, "settle", seq, ranked[cap - 1][::-1] if over else None,
                                       len(ranked), known=ranks[rid],
                                       check=truncated_mark(cap, cap) if over else None)
        stats["settled"] += 1
    return touched


class _Tops:
    """The top of each report over the cap: those being settled, and others' on demand
    (a marked report not to be settled, partner of a stored pair; None: within the cap)."""

    def __init__(self, store: Store, cap: int, known: dict[str, dict[str, int]]) -> None:
        self.store, self.cap, self.known = store, cap, dict(known)

    def of(self, rid: str) -> dict[str, int] | None:
        if rid not in self.known:
            doc = self.store.candidate_docs([rid]).get(rid)
            ranked = self.store.ranked_pool(
                rid, doc["lsh"] if doc else [], (doc or {}).get("report", {}).get("year"),
                (doc or {}).get("body_key"), limit=self.cap + 1).ranked
            self.known[rid] = dict(ranked[:self.cap]) if len(ranked) > self.cap else None
        return self.known[rid]


def _check_missing(store: Store, rid: str, want: dict[str, int], stats: dict,
                   known: dict[str, dict]) -> set[str]:
    """Check the pairs of ``rid`` with ``want`` that neither report's checks covered;
    ``known``: ``duplicate_rank`` of reports as read under the lease held (the others
    are read)."""
    from extractors.related import light

    ranks = {k: known[k] for k in (rid, *want) if k in known}
    ranks.update(store.duplicate_ranks([k for k in (rid, *want) if k not in known]))
    mine = ranks.get(rid) or {}
    missing = [b for b, shared in sorted(want.items())
               if b in ranks and not (covers(mine, (ranks[b] or {}).get("since"), shared, b)
                                      or covers(ranks[b], mine.get("since"), shared, rid))]
    if not missing:
        return set()
    docs = store.candidate_docs([rid, *missing])
    if rid not in docs:
        return set()
    this = light({**docs[rid], "text": store.get_text(rid) or ""})
    stats["checked"] += len(missing)
    return check_pairs(store, rid, this, [docs[b] for b in missing if b in docs],
                       store.duplicate_pairs(rid))


def _drop_unselected(store: Store, rid: str, want: dict[str, int], tops: _Tops,
                     stats: dict) -> set[str]:
    """Remove the stored pairs of ``rid`` (over the cap) outside S: the other is over the
    cap too and neither has the other in its top."""
    touched: set[str] = set()
    for a, b in store.duplicate_pairs(rid):
        other = b if a == rid else a
        if other in want:
            continue
        top = tops.of(other)
        if top is None or rid in top:
            continue
        if store.drop_duplicate_pair(rid, other):
            stats["dropped"] += 1
            touched |= {rid, other}
    return touched
