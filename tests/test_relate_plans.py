"""The store queries of relating one report (issue 11: time per report flat as the store
grows) as the embedded server plans them: every read, update and delete the near-duplicate
pool, the cross-year neighbours and the findings of a pair send is answered on an index,
none by a collection scan.  The commands are recorded as the client sends them (pymongo's
command monitoring) and the filter of each is put to the server's ``explain``."""
from __future__ import annotations

import pymongo
from pymongo import monitoring

from tests.conftest import scan_of

READS = {"find": "filter", "update": "updates", "delete": "deletes"}


class Recorder(monitoring.CommandListener):
    """The find, update and delete commands sent (their filters, by collection)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict]] = []

    def started(self, event) -> None:
        cmd = event.command
        if event.command_name == "find":
            self.sent.append(("find", cmd["find"], dict(cmd.get("filter") or {})))
        elif event.command_name in ("update", "delete"):
            key = READS[event.command_name]
            for op in cmd.get(key) or ():
                self.sent.append((event.command_name, cmd[event.command_name], dict(op["q"])))

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


def _report(i: int, body: str, year: int, bands: list[str], **extra) -> dict:
    rid = f"{i:064x}"
    return {"_id": rid, "sha256": rid, "size": 1, "sources": [{"source": f"r{i}.txt"}],
            "status": "done", "year": year, "body_key": body, "rendering_of": None, "seq": i,
            "report": {"year": year, "body": body}, "sections": [], "lsh": bands, **extra}


def _plan(db, coll: str, q: dict) -> dict:
    """The plan of a filter as a ``find``: the embedded server's update and delete pick
    their index as its find does, while its ``explain`` of an update or delete always
    answers COLLSCAN, even by ``_id``."""
    return db[coll].find(q).explain()["queryPlanner"]["winningPlan"]


def test_relating_a_report_reads_and_writes_on_indexes(mongo_url, db_name):
    from storage.store import Store

    recorder = Recorder()
    client = pymongo.MongoClient(mongo_url, tz_aware=True, event_listeners=[recorder])
    store = Store(client, db_name)
    store.setup()
    try:
        bands = [f"{b}:x" for b in range(16)]
        docs = [_report(i, f"body{i}", 2023, bands[: 4 + i % 12],
                        duplicate_rank={"since": 1, "pool": 1}) for i in range(40)]
        me, other = docs[1], docs[2]
        later = _report(101, "body1", 2024, bands)
        rendering = _report(102, "body1", 2023, bands, rendering_of=me["_id"])
        docs += [_report(100, "body1", 2022, bands), later, rendering]
        store.db.reports.insert_many(docs)
        base = {"body_key": "body1", "year": 2023}
        found = [{"code": "D1", "status": "warn", "message": "similar"}]
        store.replace_findings(other["_id"], found, base, scope="duplicate",
                               prev_report_id=me["_id"], fresh=True)
        store.replace_findings(later["_id"], found, base, scope="cross_year",
                               prev_report_id=me["_id"], fresh=True)
        recorder.sent.clear()

        pool = store.ranked_pool(me["_id"], me["lsh"], 2023, "body1", limit=201)
        assert len(pool.ranked) == 39 and me["_id"] not in dict(pool.ranked)
        assert rendering["_id"] not in dict(pool.ranked)  # a rendering is in no pool
        store.grow_pools(me["_id"], me["lsh"], 2023, "body1", cap=200)
        near = store.neighbours("body1", 2023)
        assert sorted(n["year"] for n in near) == [2022, 2024]
        store.same_body_year("body1", 2023)
        assert store.duplicate_pairs(me["_id"]) == {(other["_id"], me["_id"])}
        assert store.paired([me["_id"], other["_id"], docs[3]["_id"]]) == {me["_id"], other["_id"]}
        store.replace_findings(other["_id"], [], base, scope="duplicate", prev_report_id=me["_id"])
        store.replace_findings(later["_id"], found, base, scope="cross_year",
                               prev_report_id=me["_id"])
        store.drop_cross_year(later["_id"], [me["_id"]])
        store.refresh_counts([me["_id"], other["_id"]])

        sent = [(k, c, q) for k, c, q in recorder.sent if c in ("reports", "findings")]
        assert {c for _, c, _ in sent} == {"reports", "findings"}
        scans = [(k, c, q) for k, c, q in sent
                 if scan_of(_plan(store.db, c, q)).get("stage") != "IXSCAN"]
        assert not scans, scans
    finally:
        client.drop_database(db_name)
        client.close()


def test_the_pools_of_a_chunk_from_one_read_are_each_read_alone(store):
    """``ranked_pools`` (one read per year of the union of the bands of the reports
    settled together) gives each report the pool ``ranked_pool`` reads for it alone: the
    same best, the same members within the cap, the same tops entered; a report with no
    bands has an empty pool."""
    import random

    rng = random.Random(5)
    cut = {"status": "truncated", "cap": 3, "compared": 3}
    docs = []
    for i in range(80):
        year = 2022 + i % 2
        bands = sorted(rng.sample([f"{b}:{v}" for b in range(16) for v in "abc"], 6))
        extra = {"duplicate_check": cut, "duplicate_rank": {
            "since": 1, "relate": [2, rng.randint(1, 3), f"{rng.randint(0, 99):064x}"]}} if i % 3 else {}
        docs.append(_report(i, f"body{i % 7}", year, bands, **extra))
    docs.append(_report(90, "body1", 2022, bands, rendering_of=docs[0]["_id"]))  # in no pool
    store.db.reports.insert_many(docs)
    chunk = [{"_id": d["_id"], "lsh": d["lsh"], "year": d["year"], "body_key": d["body_key"]}
             for d in docs[:40]] + [{"_id": "f" * 64, "lsh": [], "year": 2022, "body_key": "x"}]
    together = store.ranked_pools(chunk, limit=4)
    assert len(together) == len(chunk) and together["f" * 64].ranked == []
    for rep in chunk[:-1]:
        alone = store.ranked_pool(rep["_id"], rep["lsh"], rep["year"], rep["body_key"], limit=4)
        got = together[rep["_id"]]
        assert got.ranked == alone.ranked and alone.ranked
        assert sorted(got.unmarked) == sorted(alone.unmarked)
        assert sorted(got.entered) == sorted(alone.entered)
        assert sorted(m["_id"] for m in got.members) == sorted(m["_id"] for m in alone.members)
    assert scan_of(_plan(store.db, "reports", {"year": 2022})).get("stage") == "IXSCAN"  # the year read


def test_entries_settle_a_report_with_a_pair_stored_or_drawn_one_in_every(store):
    """A newcomer entering the tops of reports over the cap marks for settling those with
    a near-duplicate pair stored (their displaced pair may have left S) and about one in
    ``every`` of the others, drawn from the two ids (the same answer in any process or
    order), writing nothing; relating or settling a report within the cap records its
    pool count (over it the count is never read)."""
    from storage.duplicates import Pool, resettle_due

    cut = {"status": "truncated", "cap": 2, "compared": 2}
    docs = [_report(i, f"body{i}", 2023, ["0:a"], duplicate_check=cut,
                    duplicate_rank={"since": 1, "relate": [1, 1, f"{9:064x}"], "pool": 3})
            for i in range(300)]
    store.db.reports.insert_many(docs)
    ids = [d["_id"] for d in docs]
    store.replace_findings(ids[0], [{"code": "D1", "status": "warn", "message": "similar"}],
                           {"body_key": "body0", "year": 2023}, scope="duplicate",
                           prev_report_id=f"{777:064x}", fresh=True)
    pool = Pool(ranked=[], unmarked=[], entered=ids, members=docs)
    newcomer = f"{500:064x}"
    due = store.entered(newcomer, pool, every=4)
    drawn = {rid for rid in ids if resettle_due(rid, newcomer, 4)}
    assert due == sorted(drawn | {ids[0]})  # the drawn ones and the one with a pair
    assert 40 <= len(drawn) <= 110, len(drawn)  # ~75 of 300 (binomial sd 7.5)
    assert store.entered(newcomer, pool, every=4) == due  # fixed by the ids
    other = {rid for rid in ids if resettle_due(rid, f"{501:064x}", 4)}
    assert other != drawn and 40 <= len(other) <= 110  # another newcomer, another draw
    assert store.entered(newcomer, pool, every=1) == sorted(ids)  # every entry settles
    assert store.db.duplicate_pools.count_documents({}) == 0  # nothing written
    store.db.reports.update_one({"_id": ids[1]}, {"$set": {"duplicate_rank.dirty": True}})
    now = store.record_rank(ids[1], "settle", 5, (1, ids[0]), 4)  # its rank read
    assert now["since"] == 1 and now["settle"] == [5, 1, ids[0]] and "dirty" not in now
    assert store.duplicate_ranks([ids[1]])[ids[1]] == now  # what is stored, returned
    now = store.record_rank(ids[4], "relate", 6, (1, ids[0]), 5, known={"since": 3})
    assert now == {"since": 3, "relate": [6, 1, ids[0]]}  # the rank given, not read
    assert store.duplicate_ranks([ids[4]])[ids[4]]["since"] == 3
    assert store.db.duplicate_pools.count_documents({}) == 0  # over the cap: no count
    mark = {"status": "truncated", "cap": 2, "compared": 2, "message": "m"}
    store.record_rank(ids[5], "settle", 7, (1, ids[0]), 9, check=mark)  # marked, same write
    assert store.db.reports.find_one({"_id": ids[5]})["duplicate_check"] == mark
    store.record_rank(ids[6], "settle", 8, None, 2)  # within the cap: its pool counted
    left = {d["_id"]: d["pool"] for d in store.db.duplicate_pools.find()}
    assert left == {ids[6]: 2}
    assert store.entered(newcomer, Pool([], [], [], []), every=1) == []


def test_a_newcomer_counts_itself_into_the_pools_within_the_cap(store):
    """``grow_pools`` adds one to the pool count of each related member within the cap
    (in ``duplicate_pools``; a store written before the counts moved there starts from
    ``duplicate_rank.pool``) and marks those it takes past the cap to be settled."""
    cut = {"status": "truncated", "cap": 3, "compared": 3}
    docs = [_report(1, "b1", 2023, ["0:a"], duplicate_rank={"since": 1, "pool": 3}),
            _report(2, "b2", 2023, ["0:a"], duplicate_rank={"since": 1, "pool": 1}),
            _report(3, "b3", 2023, ["0:a"], duplicate_rank={"since": 1, "pool": 2}),
            _report(4, "b4", 2023, ["0:a"], duplicate_check=cut, duplicate_rank={"since": 1}),
            _report(5, "b5", 2023, ["0:a"])]  # never related: no count
    store.db.reports.insert_many(docs)
    ids = [d["_id"] for d in docs]
    store.db.duplicate_pools.insert_one({"_id": ids[2], "pool": 2})
    me = _report(9, "b9", 2023, ["0:a"])
    crossed = store.grow_pools(me["_id"], me["lsh"], 2023, "b9", cap=3)
    assert crossed == [ids[0]]
    counts = {d["_id"]: d["pool"] for d in store.db.duplicate_pools.find()}
    assert counts == {ids[0]: 4, ids[1]: 2, ids[2]: 3}
    marked = store.db.reports.find_one({"_id": ids[0]})
    assert marked["duplicate_check"]["status"] == "truncated" and marked["duplicate_rank"]["dirty"]
