"""The embedded MongoDB-wire-compatible server (SecantusDB) for zero-setup use.

One server process per data folder, shared by every gongkai process (ingest, workers,
serve): its address and pid are recorded in ``<data_dir>/server.json``; it is started if
absent, reused if running, and stopped by ``gongkai db stop``.  Restarted after a crash
it takes the port it had (when free), so clients of the old address reconnect by
themselves; a process whose connection fails asks ``ensure_server`` again.  A file lock serialises
start-up so two commands never start two servers on one folder.

SecantusDB is GPL-2.0, so gongkai never imports it: it runs as a separate child process
(``python -m secantus``), installed by the optional ``embedded`` extra.  Nothing here is
specific to it beyond the command line: any real MongoDB is used instead when
``mongo_url`` is set.
"""
from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pymongo

from extractors.errors import GongkaiError


class EmbeddedServerError(GongkaiError):
    code = "E400"


INFO_FILE = "server.json"


@contextmanager
def _locked(data_dir: Path):
    with open(data_dir / "server.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _free_port(wanted: int = 0) -> int:
    """``wanted`` when it is free (the address a data folder had before), else any."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", wanted))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child, exited: reap it
            return False
    except ChildProcessError:
        pass  # not our child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(url: str, timeout_ms: int = 1500) -> bool:
    client = pymongo.MongoClient(url, serverSelectionTimeoutMS=timeout_ms, connect=False)
    try:
        client.admin.command("ping")
        return True
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()


def read_info(data_dir: Path) -> dict | None:
    try:
        return json.loads((data_dir / INFO_FILE).read_text("utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def status(data_dir: Path) -> dict | None:
    """The running server's info, or None when none answers for this folder."""
    info = read_info(data_dir)
    if info and _alive(info["pid"]) and _answers(info["url"]):
        return info
    return None


def _spawn(data_dir: Path, port: int) -> subprocess.Popen:
    if importlib.util.find_spec("secantus") is None:
        raise EmbeddedServerError(
            "no MongoDB is configured (set GONGKAI_MONGO_URL) and the embedded server is "
            "not installed: pip install 'gongkai[embedded]'"
        )
    log = open(data_dir / "server.log", "ab")
    cmd = [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(port),
           "--storage-path", str(data_dir / "db"), "--log-level", "WARNING"]
    return subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                            start_new_session=True, cwd=data_dir)


def ensure_server(data_dir: Path, timeout: float = 60.0) -> str:
    """Return the URL of the server for ``data_dir``, starting it if none runs."""
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _locked(data_dir):
        info = status(data_dir)
        if info:
            return info["url"]
        old = read_info(data_dir) or {}
        _end_silent(old)
        port = _free_port(int(old.get("port") or 0))  # same address as before when free
        url = f"mongodb://127.0.0.1:{port}/"
        proc = _spawn(data_dir, port)
        deadline = time.monotonic() + timeout
        while not _answers(url, 500):
            if proc.poll() is not None:
                raise EmbeddedServerError(
                    f"the embedded server exited with code {proc.returncode}; "
                    f"see {data_dir / 'server.log'}")
            if time.monotonic() > deadline:
                proc.kill()
                raise EmbeddedServerError(f"the embedded server did not answer in {timeout:.0f} s")
            time.sleep(0.2)
        info = {"pid": proc.pid, "port": port, "url": url, "started": time.time()}
        (data_dir / INFO_FILE).write_text(json.dumps(info), "utf-8")
        return url


def _end_silent(info: dict) -> None:
    """A recorded server process that is alive but does not answer is ended, so that two
    servers never run on one folder."""
    pid = info.get("pid")
    if not pid or not _alive(pid) or not _is_server(pid):
        return
    if _answers(info.get("url", ""), 5000):
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    for _ in range(100):
        if not _alive(pid):
            return
        time.sleep(0.05)


def _is_server(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"secantus" in handle.read()
    except OSError:
        return False


def stop_server(data_dir: Path, timeout: float = 20.0) -> bool:
    """Stop the server for ``data_dir``; True if one was running."""
    data_dir = Path(data_dir).resolve()
    if not data_dir.exists():
        return False
    with _locked(data_dir):
        info = read_info(data_dir)
        if not info or not _alive(info["pid"]):
            (data_dir / INFO_FILE).unlink(missing_ok=True)
            return False
        os.kill(info["pid"], signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(info["pid"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(info["pid"]):
            os.kill(info["pid"], signal.SIGKILL)
        (data_dir / INFO_FILE).unlink(missing_ok=True)
        return True
