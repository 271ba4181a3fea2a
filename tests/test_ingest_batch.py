"""The local pool's batched path (worker/batch.py, storage/bulk.py) stores exactly what
processing the same reports one by one stores: the same reports, cells, claims,
commitments, findings, tables, entities and texts (timestamps and leases aside), on a
first ingest and on a forced re-run, with the real pipeline, real pool processes and
the real embedded store (one database per path)."""
from __future__ import annotations

import shutil

import pytest

from tests.conftest import open_store

pytestmark = pytest.mark.services

NAMES = ["2011_pingtan_xianzf.txt", "2011_pingtan_zhsyq.txt",  # two bodies, one text
         "2023_pingtan_zhsyq.txt", "2024_pingtan_zhsyq.txt",  # one body, two years
         "2023_huaian_hongzequ_zf.txt", "2024_huaian_hongzequ_zf.txt",
         "2017_pingjiang_mzj.txt"]
PDF = "2024_huaian_hongzequ_zf.pdf"  # a rendering of one of the texts
COLLECTIONS = ("reports", "cells", "claims", "commitments", "findings", "tables", "entities",
               "text_inline")
# when things happened, and the near-duplicate step's own bookkeeping (relate numbers and
# pool counts: storage/duplicates.py), which follow the processing order by design
TIMES = {"updated_at", "processed_at", "created_at", "added_at", "at", "lease", "enqueued_at",
         "duplicate_rank"}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in TIMES}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _contents(db) -> dict[str, list]:
    out = {}
    for name in COLLECTIONS:
        docs = [_plain(d) for d in db[name].find()]
        if name in ("claims", "commitments"):  # ObjectIds: random
            docs = sorted(({k: v for k, v in d.items() if k != "_id"} for d in docs),
                          key=lambda d: (d["report_id"], d["i"]))
        out[name] = sorted(docs, key=lambda d: str(d.get("_id", "")))
    return out


@pytest.fixture
def folder(corpus_dir, tmp_path):
    out = tmp_path / "in"
    out.mkdir()
    for name in NAMES:
        shutil.copy(corpus_dir / "reports" / name, out / name)
    shutil.copy(corpus_dir / "pdf" / PDF, out / PDF)
    (out / "empty.txt").write_bytes(b"")  # fails, with its reason
    return out


def _ingest(mongo_url, db_name, folder, tmp_path, batch: int, force: bool = False) -> list[dict]:
    from config.settings import Settings
    from gongkai.ingest import IngestSummary, run_local_until_done, store_inputs

    settings = Settings(mongo_url=mongo_url, db_name=db_name, data_dir=str(tmp_path / "data"),
                        workers=2, ingest_batch=batch, ner=False)
    results: list[dict] = []
    with open_store(mongo_url, db_name) as store:
        summary = IngestSummary()
        store_inputs(store, [str(folder)], summary)
        run_local_until_done(store, summary.ids, 2, force, results.append, settings)
    return results


def test_batched_local_ingest_stores_what_one_by_one_stores(mongo_url, folder, tmp_path,
                                                            monkeypatch):
    import pymongo

    monkeypatch.delenv("GONGKAI_TEST_REDIS_URL", raising=False)  # the pool imports worker
    client = pymongo.MongoClient(mongo_url, tz_aware=True)
    one, batched = "gk_test_one_" + tmp_path.name[-8:], "gk_test_batch_" + tmp_path.name[-8:]
    try:
        for force in (False, True):  # a first ingest, then every report again (not fresh)
            by_one = _ingest(mongo_url, one, folder, tmp_path, batch=1, force=force)
            by_batch = _ingest(mongo_url, batched, folder, tmp_path, batch=3, force=force)
            assert sorted(r["status"] for r in by_batch) == sorted(r["status"] for r in by_one)
            a, b = _contents(client[one]), _contents(client[batched])
            for name in COLLECTIONS:
                assert a[name] == b[name], (name, force)
        reports = a["reports"]
        assert {r["status"] for r in reports} == {"done", "failed"}
        assert all(not r.get("pending") and r["attempts"] == 0
                   for r in reports if r["status"] == "done")
        assert any(r.get("rendering_of") for r in reports)  # the PDF is a rendering
        scopes = {f["scope"] for f in a["findings"]}
        assert scopes == {"report", "cross_year", "duplicate"}
        assert len(a["cells"]) > 100
    finally:
        client.drop_database(one)
        client.drop_database(batched)
        client.close()


def _related(db) -> set[tuple]:
    return {(f["report_id"], f.get("prev_report_id"), f["scope"], f["code"])
            for f in db.findings.find({"scope": {"$in": ["cross_year", "duplicate"]}})}


def test_a_newcomer_of_a_body_and_year_leaves_the_others_of_it_as_they_were(
        mongo_url, corpus_dir, tmp_path, monkeypatch):
    """A second report of a body and year (another text) and a rendering of the first
    arrive later: the first is not related again (its pairs do not involve them: same
    body and year), it keeps its role and gains the rendering, and the related findings
    are those of ingesting everything at once."""
    import pymongo

    monkeypatch.delenv("GONGKAI_TEST_REDIS_URL", raising=False)
    reports = corpus_dir / "reports"
    first, later = tmp_path / "first", tmp_path / "later"
    first.mkdir(), later.mkdir()
    for name in ("2023_huaian_hongzequ_zf.txt", "2024_huaian_hongzequ_zf.txt",
                 "2023_pingtan_zhsyq.txt"):
        shutil.copy(reports / name, first / name)
    other = (reports / "2023_huaian_hongzequ_zf.txt").read_text(encoding="utf-8")
    (later / "another_2024.txt").write_text(other.replace("2023", "2024"), encoding="utf-8")
    shutil.copy(corpus_dir / "pdf" / PDF, later / PDF)
    client = pymongo.MongoClient(mongo_url, tz_aware=True)
    staged, whole = "gk_test_staged_" + tmp_path.name[-8:], "gk_test_whole_" + tmp_path.name[-8:]
    try:
        _ingest(mongo_url, staged, first, tmp_path, batch=3)
        db = client[staged]
        home = db.reports.find_one({"filename": "2024_huaian_hongzequ_zf.txt"})
        _ingest(mongo_url, staged, later, tmp_path, batch=3)
        now = db.reports.find_one({"_id": home["_id"]})
        assert now["duplicate_rank"] == home["duplicate_rank"]  # not related again
        pdf = db.reports.find_one({"filename": PDF})
        own = db.reports.find_one({"filename": "another_2024.txt"})
        assert pdf["rendering_of"] == home["_id"] and own["rendering_of"] is None
        assert now["rendering_of"] is None and now["renderings"] == [pdf["_id"]]
        assert own["body_key"] == home["body_key"] and own["year"] == home["year"]
        together = tmp_path / "together"
        shutil.copytree(first, together)
        for path in later.iterdir():
            shutil.copy(path, together / path.name)
        _ingest(mongo_url, whole, together, tmp_path, batch=3)
        assert _related(db) == _related(client[whole]) and _related(db)
    finally:
        client.drop_database(staged)
        client.drop_database(whole)
        client.close()
