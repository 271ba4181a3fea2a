"""Storage against a real embedded MongoDB-compatible server: idempotent raw storage,
validation, leases and findings whose review survives re-evaluation."""
import pymongo
import pytest

from storage.store import Store, finding_id


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


def test_begin_takes_a_report_once_per_version(store):
    rid, _ = store.put_raw(b"x", {"source": "x"})
    assert store.begin(rid, {"v": 1}, "task-1")["status"] == "processing"
    assert store.begin(rid, {"v": 1}, "task-2") is None  # leased by task-1
    assert store.begin(rid, {"v": 1}, "task-1") is not None  # redelivered to a new worker
    store.db.reports.update_one({"_id": rid}, {"$set": {"status": "done", "versions": {"v": 1}}})
    assert store.begin(rid, {"v": 1}, "task-3") is None  # done with these versions
    assert store.begin(rid, {"v": 2}, "task-3") is not None  # new rule/extractor version


def test_failed_input_is_stored_with_reason(store):
    rid, _ = store.put_raw(b"", {"source": "e.jsonl:2"}, failure={"code": "E300", "message": "empty"})
    doc = store.report(rid)
    assert doc["status"] == "failed" and doc["error"]["message"] == "empty"
    assert store.begin(rid, {"v": 1}, "t") is None  # a bad document is not retried


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
