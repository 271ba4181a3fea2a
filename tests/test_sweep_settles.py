"""An ingest through the broker that does not wait leaves its near-duplicate findings
past the cap to the workers' sweep (worker/sweep.py ``settle_idle``): a real worker on
real Redis settles them to the findings of a local ingest in another order, leaving no
report marked to be settled, and nothing settles a year still being processed or one
whose lease another holds."""
import json
import shutil
import time
import uuid

import pytest

from tests.conftest import open_store, run_cli
from tests.fault_support import FAST, db_of, until, worker
from tests.test_duplicate_cap import _findings, _ingest, graded  # noqa: F401 - a fixture

pytestmark = pytest.mark.services
CAP = 5


def _unsettled(db) -> int:
    return db.reports.count_documents({"duplicate_rank.dirty": True})


@pytest.mark.faults
def test_a_worker_sweep_settles_an_ingest_that_did_not_wait(graded, cli_env, redis_url,  # noqa: F811
                                                            procs, tmp_path):
    expected = _findings(_ingest(graded, "forward", cli_env, cap=CAP)[2])
    env = {**cli_env, **FAST, "GONGKAI_BROKER_URL": redis_url,
           "GONGKAI_DB_NAME": "gk_sweep_" + uuid.uuid4().hex[:8],
           "GONGKAI_DUPLICATE_CANDIDATES": str(CAP), "GONGKAI_LOG_LEVEL": "INFO"}
    folder = tmp_path / "reverse"
    folder.mkdir()
    for i, path in enumerate(sorted(graded.glob("*.txt"), reverse=True)):
        shutil.copy(path, folder / f"{i:03d}_{path.name}")  # arrival order = name order
    procs.append(worker(env, tmp_path / "w.log", concurrency=2))
    proc = run_cli(["ingest", str(folder), "--json"], env, timeout=300)  # submit and go
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert summary["enqueued"] == len(list(folder.glob("*.txt"))) and not summary["settled"]
    db = db_of(env)
    total = summary["enqueued"]
    until(lambda: db.reports.count_documents({"status": "done", "pending": None}) == total,
          300, "every report done")
    until(lambda: _unsettled(db) == 0, 120, "the sweep to settle every marked report")
    assert db.reports.count_documents({"duplicate_check.status": "truncated"}) >= 14
    assert _findings(env) == expected
    until(lambda: "sweep: settled" in procs[0].output(), 30,
          "the sweep's log line (written once its chunk is saved)")
    with open_store(env["GONGKAI_MONGO_URL"], env["GONGKAI_DB_NAME"]) as store:
        with store.locked(["year:2023"]):  # as a worker relating or settling the year
            marked = db.reports.update_many({"duplicate_check.status": "truncated"},
                                            {"$set": {"duplicate_rank.dirty": True}})
            time.sleep(3 * float(FAST["GONGKAI_SWEEP_SECONDS"]))
            assert _unsettled(db) == marked.modified_count >= 14  # left to a later sweep
        until(lambda: _unsettled(db) == 0, 60, "the sweep to settle once the lease is free")
    assert _findings(env) == expected
    assert "settling skipped" not in procs[0].output()


def test_a_year_still_processed_is_busy_and_a_held_lease_is_not_waited_for(store):
    from storage import work
    from storage.related import LeaseHeld

    def report(i: int, **fields) -> dict:
        rid = f"{i:064x}"
        return {"_id": rid, "sha256": rid, "size": 1, "sources": [], "status": "done", **fields}

    store.db.reports.insert_many([report(1, year=2021), report(2, status="failed"),
                                  report(3, year=2022, pending=["relate"])])
    assert work.busy_years(store.db) == {2022}
    store.db.reports.insert_one(report(4, status="processing", year=2020))
    assert work.busy_years(store.db) == {2020, 2022}
    store.db.reports.insert_one(report(5, status="queued"))  # not read yet: any year
    assert None in work.busy_years(store.db)
    with store.locked(["year:2023"]):
        with pytest.raises(LeaseHeld):
            with store.locked(["year:2023"], wait=0):
                pass
    with store.locked(["year:2023"], wait=0):
        pass  # released: free again
