"""Shared fixtures: the real corpus, a real embedded MongoDB-compatible server and real
Redis. No mocks: tests that need a service use the service."""
from __future__ import annotations

from contextlib import contextmanager

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pymongo
import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()
GOLD = ROOT / "corpus" / "gold"
REDIS_URL = os.environ.get("GONGKAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not (CORPUS / "reports").is_dir():
        pytest.skip(f"real corpus not present at {CORPUS} (../shared/corpus beside the checkout)")
    return CORPUS


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory) -> str:
    """A real embedded server for this test session (or GONGKAI_TEST_MONGO_URL)."""
    if os.environ.get("GONGKAI_TEST_MONGO_URL"):
        yield os.environ["GONGKAI_TEST_MONGO_URL"]
        return
    from storage import embedded

    data_dir = tmp_path_factory.mktemp("mongo")
    url = embedded.ensure_server(data_dir)
    yield url
    embedded.stop_server(data_dir)


@pytest.fixture
def db_name() -> str:
    return "gk_test_" + uuid.uuid4().hex[:10]


@contextmanager
def open_store(mongo_url: str, db_name: str, drop: bool = False):
    """A set-up ``Store`` on a real server, closed (and its database dropped) after."""
    from storage.store import Store

    client = pymongo.MongoClient(mongo_url, tz_aware=True)
    s = Store(client, db_name)
    s.setup()
    try:
        yield s
    finally:
        if drop:
            client.drop_database(db_name)
        client.close()


@pytest.fixture
def store(mongo_url, db_name):
    with open_store(mongo_url, db_name, drop=True) as s:
        yield s


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _redis_reachable(url: str) -> bool:
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    return port_open(host or "127.0.0.1", int(port or 6379))


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not _redis_reachable(REDIS_URL):
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}; .ci/run should start it")
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (start redis-server)")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


@pytest.fixture
def cli_env(mongo_url, db_name, tmp_path) -> dict[str, str]:
    """Environment for running the real ``gongkai`` CLI against the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(GONGKAI_MONGO_URL=mongo_url, GONGKAI_DB_NAME=db_name,
               GONGKAI_DATA_DIR=str(tmp_path / "data"), GONGKAI_NER="false",
               GONGKAI_WORKERS="2")
    return env


def run_cli(args: list[str], env: dict[str, str], cwd: Path | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "gongkai", *args]
    return subprocess.run(cmd, env=env, cwd=cwd or ROOT, capture_output=True, text=True,
                          timeout=timeout)


def scan_of(plan: dict) -> dict:
    """The IXSCAN or COLLSCAN stage under an ``explain()``'s winning plan."""
    while plan.get("stage") not in ("IXSCAN", "COLLSCAN") and plan.get("inputStage"):
        plan = plan["inputStage"]
    return plan


@pytest.fixture
def procs():
    """Processes a test starts (tests/fault_support.py ``Proc``), stopped last first."""
    started = []
    yield started
    for p in reversed(started):
        p.stop()
