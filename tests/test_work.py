"""Leases, fencing, pending steps and the sweep's queries (storage/work.py) on the real
embedded store; the queue each report is sent to (worker/sweep.py)."""
import time
from datetime import datetime, timedelta, timezone

import pytest

from storage import work

V = {"extractors": "x1", "rules": "r1"}

pytestmark = pytest.mark.services


def _stored(store, text: bytes = b"report", filename: str = "a.txt") -> str:
    rid, _ = store.put_raw(text, {"source": filename, "filename": filename})
    return rid


def _expire(store, rid):
    store.db.reports.update_one({"_id": rid}, {"$set": {
        "lease.until": datetime.now(timezone.utc) - timedelta(seconds=1)}})


def test_a_report_is_taken_once_and_a_lost_lease_fences_its_old_holder(store):
    rid = _stored(store)
    first = work.take(store.db, rid, V, "task-1", 60)
    assert first["status"] == "processing"
    assert work.take(store.db, rid, V, "task-1", 60) is None  # the same message again: no
    assert work.take(store.db, rid, V, "task-2", 60) is None
    _expire(store, rid)  # its worker died
    second = work.take(store.db, rid, V, "task-2", 60)
    assert second and second["lease"]["token"] != first["lease"]["token"]
    assert not work.mark_pending(store.db, rid, first["lease"]["token"])  # fenced off
    assert work.mark_pending(store.db, rid, second["lease"]["token"])


def test_heartbeat_renews_the_lease_until_stopped(store):
    rid = _stored(store)
    lease = work.take(store.db, rid, V, "t", 6)["lease"]
    with work.Heartbeat(store.db, rid, lease["token"], 6) as beat:
        time.sleep(4.5)  # two beats
        until = store.db.reports.find_one({"_id": rid})["lease"]["until"]
    assert until > lease["until"] and not beat.lost


def test_done_with_a_pending_step_is_unfinished_and_swept(store):
    rid = _stored(store)
    lease = work.take(store.db, rid, V, "t", 60)["lease"]
    assert work.mark_pending(store.db, rid, lease["token"])
    store.db.reports.update_one({"_id": rid}, {"$set": {"status": "done", "versions": V},
                                               "$unset": {"lease": ""}})  # saved, then died
    assert work.progress(store.db, [rid]) == {"pending": 1}
    assert work.stale(store.db, 60, False, [rid])["pending"] == [rid]
    taken = work.take_pending(store.db, rid, V, "t2", 60)
    assert taken and taken["status"] == "done"
    work.complete(store.db, rid, taken["lease"]["token"])
    assert work.progress(store.db, [rid]) == {"done": 1}


def test_sweep_finds_expired_leases_and_lost_messages(store):
    held, lost, fresh = (_stored(store, t) for t in (b"one", b"two", b"three"))
    work.take(store.db, held, V, "t", 60)
    _expire(store, held)
    old = datetime.now(timezone.utc) - timedelta(seconds=120)
    store.db.reports.update_one({"_id": lost}, {"$set": {"enqueued_at": old}})
    work.mark_enqueued(store.db, [fresh])
    found = work.stale(store.db, 60, True, [held, lost, fresh])
    assert found["expired"] == [held] and found["lost"] == [lost]
    assert store.report(held)["status"] == "queued"
    assert work.stale(store.db, 60, False, [lost])["lost"] == []  # messages still waiting


def test_release_of_dead_local_processes(store):
    rid = _stored(store)
    work.take(store.db, rid, V, "t", 600)
    store.db.reports.update_one({"_id": rid}, {"$set": {
        "lease.host": work.host_id().rsplit(":", 1)[0] + ":999999999"}})  # no such pid
    assert work.release_dead_local(store.db, [rid]) == 1
    assert store.report(rid)["status"] == "queued"


@pytest.fixture
def no_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("GONGKAI_"):
            monkeypatch.delenv(name)


def test_heavy_formats_and_large_files_have_their_own_queue(no_env):
    from config.settings import load_settings
    from worker.sweep import HEAVY, LIGHT, queue_for

    s = load_settings()
    assert queue_for({"filename": "r.PDF", "size": 10}, s) == HEAVY
    assert queue_for({"filename": "r.docx", "size": 10}, s) == HEAVY
    assert queue_for({"filename": "r.txt", "size": 10 * 1024 * 1024}, s) == HEAVY
    assert queue_for({"filename": "r.html", "size": 40_000}, s) == LIGHT


def test_worker_limits_reach_celery(no_env):
    from config.settings import load_settings
    from worker.app import app, configure

    s = load_settings(document_seconds=42)
    try:
        configure(s)
        assert app.conf.task_soft_time_limit == 42
        assert app.conf.task_time_limit == pytest.approx(42 * 1.25 + 30)
        assert app.conf.worker_max_tasks_per_child == s.worker_max_tasks_per_child
        assert app.conf.worker_max_memory_per_child == int(s.worker_max_memory_mb * 1024)
    finally:
        configure(load_settings())


def test_sweep_requeues_a_report_processing_without_a_lease(store):
    """What a killed store can hand back after a restart: the result's ``done`` lost, the
    lease's removal kept.  No lease will expire, so the sweep must take it as stale."""
    rid = _stored(store)
    work.take(store.db, rid, V, "t", 60)
    store.db.reports.update_one({"_id": rid}, {"$unset": {"lease": ""}})
    assert work.stale(store.db, 60, False, [rid])["expired"] == [rid]
    assert store.report(rid)["status"] == "queued"
    assert work.take(store.db, rid, V, "t2", 60) is not None


def test_needing_work_is_what_ingest_still_has_to_do(store):
    """Queued, processing, done with other versions and done with a step pending need
    work; done at the current versions and failed do not; unknown ids are not there."""
    states = {"queued": {}, "processing": {}, "old": {"status": "done", "versions": {**V, "rules": "r0"}},
              "pending": {"status": "done", "versions": V, "pending": [work.RELATE]},
              "done": {"status": "done", "versions": V}, "failed": {"status": "failed"}}
    ids = {}
    for name, change in states.items():
        ids[name] = _stored(store, name.encode(), f"{name}.txt")
        change = {"status": "processing"} if name == "processing" else change
        if change:
            store.db.reports.update_one({"_id": ids[name]}, {"$set": change})
    wanted = work.needing_work(store.db, [*ids.values(), "f" * 64], V)
    assert wanted == {ids[n] for n in ("queued", "processing", "old", "pending")}
    assert work.needing_work(store.db, [], V) == set()
