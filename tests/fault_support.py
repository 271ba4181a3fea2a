"""Real processes for the fault tests: `gongkai worker`s, a Redis server of their own,
background CLI runs, and bounded waits (every helper gives up after a deadline)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pymongo

from tests.conftest import ROOT

# recovery settings scaled down so that a fault test ends in seconds, not minutes
FAST = {"GONGKAI_LEASE_SECONDS": "6", "GONGKAI_SWEEP_SECONDS": "2",
        "GONGKAI_REQUEUE_AFTER_SECONDS": "3", "GONGKAI_WAIT_IDLE_SECONDS": "120"}
SMALL = ["2017_pingjiang_mzj.txt", "2021_pingtan_zhsyq.txt", "2022_pingtan_zhsyq.txt",
         "2019_shanghai_shizfbgt.txt", "2011_pingtan_xianzf.txt", "2012_pingtan_xianzf.txt"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def until(predicate, timeout: float, what: str, pause: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")


def copy_reports(corpus_dir: Path, folder: Path, names=SMALL) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(corpus_dir / "reports" / name, folder / name)
    return folder


PLAIN_LINE = "本机关持续加强政府信息公开工作，不断完善制度机制，主动回应社会关切。\n"
FIGURE_LINE = "全年主动公开政府信息12条，其中政府网站公开9条，受理申请3件，办结3件。\n"


def slow_report(corpus_dir: Path, path: Path, sentences: int = 60000,
                line: str = PLAIN_LINE) -> Path:
    """A real report followed by many lines of prose: slow to read and tokenize
    (linearly), valid.  Only the first 500,000 characters are analysed (the text cap), so
    plain lines cost ~3 s of CPU at most and leave few items to store; ``FIGURE_LINE``s
    cost ~9 s (every line states figures) and are for tests that stop it on a limit."""
    text = (corpus_dir / "reports" / "2017_pingjiang_mzj.txt").read_text("utf-8")
    path.write_text(text + line * sentences, "utf-8")
    return path


def db_of(env: dict) -> pymongo.database.Database:
    url = env.get("GONGKAI_MONGO_URL") or _embedded_url(env)
    return pymongo.MongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)[
        env["GONGKAI_DB_NAME"]]


def _embedded_url(env: dict) -> str:
    import json

    return json.loads((Path(env["GONGKAI_DATA_DIR"]) / "server.json").read_text())["url"]


def statuses(db) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in db.reports.find({}, {"status": 1, "pending": 1}):
        key = "pending" if d["status"] == "done" and d.get("pending") else d["status"]
        out[key] = out.get(key, 0) + 1
    return out


class Proc:
    """A background process in its own session (so a kill reaches its children too)."""

    def __init__(self, args: list[str], env: dict, log: Path) -> None:
        self.log_path = log
        self.log = open(log, "w")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid

    def children(self) -> list[int]:
        out = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == self.pid:
                        out.append(int(entry.name))
                except (OSError, IndexError, ValueError):
                    continue
        return out

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, sig)
                self.proc.wait(timeout)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)  # whatever is left of the group
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(10)
        self.log.close()


def gongkai(args: list[str], env: dict, log: Path) -> Proc:
    return Proc([sys.executable, "-m", "gongkai", *args], env, log)


def worker(env: dict, log: Path, concurrency: int = 1, queues: str = "all") -> Proc:
    return gongkai(["worker", "-c", str(concurrency), "--queues", queues, "--loglevel", "INFO",
                    "--without-gossip", "--without-mingle", "-n", f"w{free_port()}@%h"],
                   env, log)


class RedisServer:
    """A redis-server of the test's own on a free port (stopped and started at will)."""

    def __init__(self, folder: Path, persistent: bool) -> None:
        self.folder, self.persistent, self.port = folder, persistent, free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if shutil.which("redis-server") is None:
            import pytest

            pytest.skip("redis-server is not installed")
        args = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                "--dir", str(self.folder), "--save", ""]
        args += (["--appendonly", "yes", "--appendfsync", "always"] if self.persistent
                 else ["--appendonly", "no"])
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        until(lambda: _port_open(self.port), 20, "redis-server to listen")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: with appendonly the log is complete
            self.proc.wait(20)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
