"""Storage against a real embedded MongoDB-compatible server: idempotent raw storage,
validation, leases and findings whose review survives re-evaluation."""
import time

import pymongo
import pytest

from storage.store import finding_id


def test_setup_is_idempotent_and_creates_indexes(store):
    store.setup()
    store.setup()
    names = {i["name"] for i in store.db.reports.list_indexes()}
    assert any("body_key" in n and "year" in n for n in names)
    assert any(n.startswith("status") for n in names)
    assert any("tokens" in i["name"] for i in store.db.claims.list_indexes())


def test_same_content_is_stored_once_with_every_source(store):
    rid, created = store.put_raw("报告".encode(), {"source": "a.txt"})
    assert created
    assert store.put_raw("报告".encode(), {"source": "a.txt"}) == (rid, False)
    assert store.put_raw("报告".encode(), {"source": "b/a.txt"}) == (rid, False)
    doc = store.report(rid)
    assert [s["source"] for s in doc["sources"]] == ["a.txt", "b/a.txt"]
    assert store.db.reports.count_documents({}) == 1
    assert store.get_raw(rid) == "报告".encode()


def test_validation_rejects_a_bad_status(store):
    with pytest.raises(pymongo.errors.WriteError):
        store.db.reports.insert_one({"_id": "x", "sha256": "0" * 64, "size": 1,
                                     "sources": [], "status": "bogus"})


def _take(store, rid, versions, task, seconds=600):
    from storage import work

    return work.take(store.db, rid, versions, task, seconds)


def test_take_a_report_once_per_version(store):
    rid, _ = store.put_raw(b"x", {"source": "x"})
    assert _take(store, rid, {"v": 1}, "task-1")["status"] == "processing"
    assert _take(store, rid, {"v": 1}, "task-2") is None  # leased by task-1
    assert _take(store, rid, {"v": 1}, "task-1") is None  # a redelivery never takes a live lease
    store.db.reports.update_one({"_id": rid}, {"$set": {"status": "done", "versions": {"v": 1}},
                                               "$unset": {"lease": ""}})
    assert _take(store, rid, {"v": 1}, "task-3") is None  # done with these versions
    assert _take(store, rid, {"v": 2}, "task-3") is not None  # new rule/extractor version


def test_take_an_expired_lease_and_count_attempts(store):
    from datetime import datetime, timedelta, timezone

    rid, _ = store.put_raw(b"y", {"source": "y"})
    assert _take(store, rid, {"v": 1}, "task-1")["attempts"] == 1
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    store.db.reports.update_one({"_id": rid}, {"$set": {"lease.until": past}})
    taken = _take(store, rid, {"v": 1}, "task-2")  # the first worker died
    assert taken["attempts"] == 2 and taken["lease"]["task"] == "task-2"
    stored = store.db.reports.find_one({"_id": rid})
    assert stored["attempts"] == 2 and stored["lease"]["token"] == taken["lease"]["token"]
    assert _take(store, rid, {"v": 1}, "task-3") is None


def test_take_gives_a_report_to_one_of_many_takers_at_once(store):
    from concurrent.futures import ThreadPoolExecutor

    rid, _ = store.put_raw(b"z", {"source": "z"})
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: _take(store, rid, {"v": 1}, f"task-{i}"), range(8)))
    assert sum(g is not None for g in got) == 1
    assert store.report(rid)["attempts"] == 1


def test_reports_are_numbered_once_each_by_concurrent_writers(store):
    """The arrival counter is created by whichever writer comes first; the others retry.
    Each writer gets its own number (what arrival order needs); the numbers may have gaps:
    the embedded server can apply a racing upsert's increment yet answer with no
    document, and the retry takes the next number."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: store.next_seq(), range(16)))
    assert len(set(got)) == 16 and min(got) >= 1


def test_failed_input_is_stored_with_reason(store):
    rid, _ = store.put_raw(b"", {"source": "e.jsonl:2"}, failure={"code": "E300", "message": "empty"})
    doc = store.report(rid)
    assert doc["status"] == "failed" and doc["error"]["message"] == "empty"
    assert _take(store, rid, {"v": 1}, "t") is None  # a bad document is not retried


def test_review_survives_re_evaluation(store):
    rid, _ = store.put_raw(b"r", {"source": "r"})
    finding = {"code": "T3.BALANCE", "status": "fail", "cells": [{"key": "t3.new", "column": "total"}],
               "spans": [[1, 4]]}
    store.replace_findings(rid, [finding], {"year": 2021}, scope="report")
    fid = finding_id(rid, finding)
    store.db.findings.update_one({"_id": fid}, {"$set": {"review": {"state": "confirmed"}}})
    store.replace_findings(rid, [{**finding, "message": "reworded"}], {"year": 2021}, scope="report")
    doc = store.db.findings.find_one({"_id": fid})
    assert doc["review"]["state"] == "confirmed" and doc["message"] == "reworded"
    store.replace_findings(rid, [], {}, scope="report")
    assert store.db.findings.count_documents({"report_id": rid}) == 0


def test_resolve_id_by_prefix(store):
    rid, _ = store.put_raw(b"prefix", {"source": "p"})
    assert store.resolve_id(rid[:12]) == rid
    assert store.resolve_id("zzzz") is None


def test_large_raw_bytes_go_to_gridfs_and_come_back(store):
    from storage.store import INLINE_BLOB_BYTES

    big = b"x" * (INLINE_BLOB_BYTES + 10)
    rid, _ = store.put_raw(big, {"source": "big"})
    assert store.db.raw_inline.count_documents({"_id": rid}) == 0
    assert store.get_raw(rid) == big
    small_id, _ = store.put_raw(b"small", {"source": "small"})
    assert store.db.raw_inline.count_documents({"_id": small_id}) == 1


def _mandatory(kind: str, title: str) -> dict:
    return {"code": "STRUCT.MANDATORY", "status": "warn", "cells": [], "spans": [],
            "message": f"缺少该模板规定的「{title}」部分。", "extra": {"section_kind": kind}}


def test_findings_without_cells_or_spans_stay_distinct_and_keep_their_ids(store):
    rid, _ = store.put_raw(b"m", {"source": "m"})
    findings = [_mandatory("review_litigation", "复议"), _mandatory("problems", "存在的主要问题"),
                {"code": "TABLE.PARTIAL", "status": "warn", "cells": [], "spans": []},
                {"code": "TABLE.PARTIAL", "status": "warn", "cells": [], "spans": []}]
    store.replace_findings(rid, findings, {}, scope="report")
    ids = sorted(d["_id"] for d in store.db.findings.find({"report_id": rid}))
    assert len(ids) == 4  # nothing is lost by storing it
    store.replace_findings(rid, findings, {}, scope="report")  # re-evaluation: same ids
    assert sorted(d["_id"] for d in store.db.findings.find({"report_id": rid})) == ids
    one = {**findings[0], "values": [1]}, {**findings[0], "values": [2]}
    assert finding_id(rid, one[0]) != finding_id(rid, one[1])  # the numbers compared differ


def test_counts_are_recounted_from_every_stored_finding(store):
    rid, _ = store.put_raw(b"c", {"source": "c"})
    store.db.reports.update_one({"_id": rid}, {"$set": {"status": "done", "counts": {"cells": 3}}})
    store.replace_findings(rid, [_mandatory("problems", "问题")], {}, scope="report")
    store.replace_findings(rid, [{"code": "X.IN_FORCE", "status": "warn"},
                                 {"code": "X.CARRIED_OVER", "status": "fail"}], {},
                           scope="cross_year", prev_report_id="p" * 64)
    counts = store.refresh_counts([rid])[rid]
    assert counts == {"cells": 3, "findings": 3, "fail": 1, "warn": 3 - 1}
    assert store.report(rid)["counts"] == counts


def test_renderings_are_listed_once_under_their_report(store):
    first, _ = store.put_raw(b"txt", {"source": "a.txt"})
    copy, _ = store.put_raw(b"pdf", {"source": "a.pdf"})
    store.db.reports.update_many({}, {"$set": {"status": "done"}})
    store.replace_findings(first, [{"code": "X.DUPLICATE", "status": "warn"}], {},
                           scope="duplicate", prev_report_id=copy)
    assert store.set_renderings({first: None, copy: first}) == [copy]
    assert store.drop_related([copy]) == {first, copy}  # what others said about it goes
    assert store.db.findings.count_documents({}) == 0
    rows = store.list_reports()
    assert [r["_id"] for r in rows] == [first]
    assert rows[0]["renderings"] == [{"id": copy, "source": "a.pdf"}]
    assert {r["_id"] for r in store.list_reports(renderings=True)} == {first, copy}
    record = store.full_record(copy)
    assert record["rendering_of"] == {"id": first, "source": "a.txt"}
    assert any("rendering_of" in i["name"] for i in store.db.reports.list_indexes())


def test_a_lease_is_held_by_one_holder_and_taken_over_when_it_expires(store):
    from datetime import datetime, timedelta, timezone

    with store.locked(["body:x", "year:2023"]):
        held = {d["_id"] for d in store.db.locks.find()}
        assert held == {"body:x", "year:2023"}
        with pytest.raises(pymongo.errors.DuplicateKeyError):
            store.db.locks.find_one_and_update(
                {"_id": "body:x", "until": {"$lt": datetime.now(timezone.utc)}},
                {"$set": {"holder": "other"}}, upsert=True)
    assert store.db.locks.count_documents({}) == 0
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    store.db.locks.insert_one({"_id": "body:y", "holder": "dead worker", "until": past})
    with store.locked(["body:y"]):
        assert store.db.locks.find_one({"_id": "body:y"})["holder"] != "dead worker"


def test_content_first_met_as_a_bad_input_line_is_read_when_given_as_a_document(store):
    bad = {"code": "E300", "error": "InputError", "message": "line 3: not valid JSON"}
    rid, _ = store.put_raw(b"{broken", {"source": "p.jsonl:3"}, failure=bad)
    assert store.report(rid)["status"] == "failed"
    store.put_raw(b"{broken", {"source": "p.jsonl:3"}, failure=bad)  # the same line again
    assert store.report(rid)["status"] == "failed"
    store.put_raw(b"{broken", {"source": "notes.txt", "filename": "notes.txt"})
    doc = store.report(rid)
    assert doc["status"] == "queued" and doc["error"] is None and doc["filename"] == "notes.txt"


def test_duplicate_candidates_are_bounded_and_ranked_not_by_arrival(store):
    """However many same-year reports share a MinHash band, a report is given at most
    ``limit`` of them: those sharing most bands, then by id, whatever order they were
    stored in (oldest are not preferred)."""
    limit = 30
    docs = [{"_id": f"{i:064x}", "sha256": f"{i:064x}", "size": 1, "sources": [{"source": f"s{i}"}],
             "status": "done", "year": 2021, "body_key": f"body{i}", "seq": 1000 - i,
             "lsh": ["b0:shared", f"b1:{i}"], "report": {"body": f"body{i}"}, "sections": []}
            for i in range(limit + 25)]
    docs[-1]["lsh"].append("b2:also")  # the last stored shares two bands
    store.db.reports.insert_many(docs)
    found = store.duplicate_candidates("x" * 64, ["b0:shared", "b2:also"], 2021, "mine", limit)
    assert [c["id"] for c in found] == [docs[-1]["_id"]] + sorted(d["_id"] for d in docs)[:limit - 1]
    assert store.duplicate_candidates("x" * 64, ["b0:shared"], 2020, "mine", limit) == []


def test_a_lease_held_longer_than_its_length_is_renewed_and_released(store):
    """A holder working past ``lock_seconds`` keeps its lease (renewed from a thread),
    so another taker waits; a holder that died stops renewing and its lease expires a
    lease length later, not after a fixed two minutes."""
    from storage.related import LeaseHeld

    store.lock_seconds = 1.5
    with store.locked(["year:2023"]):
        time.sleep(3)  # two lease lengths
        with pytest.raises(LeaseHeld):
            with store.locked(["year:2023"], wait=0):
                pass
    assert store.db.locks.count_documents({}) == 0
    with store.locked(["year:2024"]):
        store.db.locks.update_one({"_id": "year:2024"}, {"$set": {"holder": "dead worker"}})
        start = time.monotonic()
        with store.locked(["year:2024"], wait=10):  # the dead holder is not renewed
            waited = time.monotonic() - start
    assert waited < 3


def test_a_texts_shingle_fingerprints_are_stored_beside_it_and_read_back(store):
    import numpy as np

    from extractors.crossyear import text_shingles

    text = "本机关全年主动公开政府信息425条，其中规范性文件12件。" * 20
    store._put_text("r-fp", text)
    [(got_text, got)] = store.get_texts_and_shingles(["r-fp"]).values()
    assert got_text == text and np.array_equal(got, text_shingles(text))
    # stored under another scheme: not used (the checks tokenize the text again)
    store.db.text_inline.update_one({"_id": "r-fp"}, {"$set": {"fingerprints": "shingles.v0"}})
    assert store.get_texts_and_shingles(["r-fp"])["r-fp"] == (text, None)
