"""Per-document limits of time and memory, the same in a Celery worker and the local pool.

Time: under Celery the task's ``soft_time_limit`` raises ``SoftTimeLimitExceeded`` in the
task (and ``time_limit`` kills a child that ignores it); in the local pool an interval
timer (``SIGALRM``) raises ``DocumentTimeLimit`` the same way.  Memory: the data segment
of the process may grow by at most the limit while one document is worked on
(``RLIMIT_DATA``, which Linux applies to heap and anonymous mappings), so an allocation
past it raises ``MemoryError`` in that document and not in its neighbours.  Both are the
standard library's; no process supervisor is needed for a limit one process can keep.
"""
from __future__ import annotations

import resource
import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from extractors.errors import DocumentMemoryLimit, DocumentTimeLimit


def _data_bytes() -> int:
    """The current data segment size (VmData), 0 when /proc is not there."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@contextmanager
def memory_limit(mb: float) -> Iterator[None]:
    if mb <= 0 or not hasattr(resource, "RLIMIT_DATA"):
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = _data_bytes() + int(mb * 1024 * 1024)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``DocumentTimeLimit`` in this (main) thread after ``seconds``."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(_signum, _frame):
        raise DocumentTimeLimit(_time_message(seconds))

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _time_message(seconds: float) -> str:
    return (f"processing took longer than the per-document limit of {seconds:g} s "
            "(document_seconds); the report is failed so that the others go on")


def time_error(seconds: float) -> DocumentTimeLimit:
    return DocumentTimeLimit(_time_message(seconds))


def memory_error(mb: float) -> DocumentMemoryLimit:
    return DocumentMemoryLimit(
        f"processing needed more than the per-document memory limit of {mb:g} MB "
        "(document_memory_mb); the report is failed so that the others go on")
