"""A real `celery worker` subprocess consumes what `gongkai ingest` enqueues on real Redis."""
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT, port_open, run_cli


AMQP_URL = os.environ.get("GONGKAI_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _amqp_reachable() -> bool:
    return port_open("127.0.0.1", 5672)


@pytest.fixture(params=["redis", "rabbitmq"])
def broker_url(request, redis_url):
    if request.param == "redis":
        return redis_url
    if not _amqp_reachable():
        pytest.skip("RabbitMQ is not reachable on 127.0.0.1:5672 (optional broker)")
    return AMQP_URL


@pytest.fixture
def celery_worker(cli_env, broker_url):
    env = {**cli_env, "GONGKAI_BROKER_URL": broker_url}
    log = open(os.path.join(cli_env["GONGKAI_DATA_DIR"] + "-worker.log"), "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker", "worker", "-Q", "gongkai",
         "--concurrency=2", "--loglevel=INFO", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    yield env
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def test_worker_processes_an_enqueued_corpus_once(celery_worker, corpus_dir, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("2017_pingjiang_mzj.txt", "2022_pingtan_zhsyq.txt", "2023_pingtan_zhsyq.txt"):
        shutil.copy(corpus_dir / "reports" / name, folder / name)
    (folder / "empty.txt").write_bytes(b"")
    env = celery_worker
    proc = run_cli(["ingest", str(folder), "--wait", "--json"], env, timeout=300)
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert summary["mode"] == "celery" and summary["enqueued"] == 4
    assert summary["status"] == {"done": 3, "failed": 1}, proc.stderr
    assert proc.returncode == 1  # the empty file failed
    rows = [json.loads(l) for l in run_cli(["reports", "--json"], env).stdout.splitlines()]
    assert len(rows) == 4
    # cross-year findings were computed by the worker for 2022 -> 2023 of the same body
    again = run_cli(["ingest", str(folder), "--wait", "--json"], env, timeout=300)
    s2 = json.loads(again.stdout.splitlines()[-1])
    assert s2["enqueued"] == 0 and s2["new"] == 0


@pytest.mark.parametrize("broker_url", ["redis"], indirect=True)
def test_real_corpus_through_the_broker_twice(celery_worker, corpus_dir):
    import hashlib

    env = celery_worker
    paths = [str(corpus_dir / "reports"), str(corpus_dir / "pdf")]
    files = sorted((corpus_dir / "reports").glob("*.txt")) + sorted((corpus_dir / "pdf").glob("*.pdf"))
    distinct = {hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    first = json.loads(run_cli(["ingest", *paths, "--wait", "--json"], env, timeout=900)
                       .stdout.splitlines()[-1])
    assert first["enqueued"] == len(distinct)
    second = json.loads(run_cli(["ingest", *paths, "--wait", "--json"], env, timeout=900)
                        .stdout.splitlines()[-1])
    assert second["new"] == 0 and second["enqueued"] == 0
    rows = [json.loads(l) for l in
            run_cli(["reports", "--json", "--renderings"], env).stdout.splitlines()]
    assert {r["id"] for r in rows} == distinct
    assert all(r["status"] == "done" or r["error"]["message"] for r in rows)
    # cross-year findings exist for the body that reports every year
    from storage.store import Store
    import pymongo

    store = Store(pymongo.MongoClient(env["GONGKAI_MONGO_URL"]), env["GONGKAI_DB_NAME"])
    assert store.db.findings.count_documents({"scope": "cross_year"}) > 0
