"""Sending reports to the broker, and the sweep that sends again what no message brings.

The store is the source of truth (storage/work.py): a report ``queued`` while the
broker's queues are empty lost its message (a broker restarted without persistence), a
report ``processing`` with an expired lease lost its worker (killed), a report ``done``
with a pending step lost its worker between two saves.  The sweep sends each of them
again; a duplicate message is harmless (the lease lets one worker take a report, the
others skip it).  It runs in ``ingest --wait`` (over its own reports), in every worker
at start and then every ``sweep_seconds`` (a timer thread of the worker's main process),
and as the ``gongkai.sweep`` task for Celery beat.

Heavy formats (PDF, DOCX) and large documents go to their own queue, so that slow
documents never hold the workers of the light ones.
"""
from __future__ import annotations

import logging
import threading
import time

from config.settings import Settings, current
from extractors.errors import BrokerUnreachable
from storage import work

log = logging.getLogger("gongkai.sweep")

LIGHT, HEAVY = "gongkai", "gongkai.heavy"
QUEUES = (LIGHT, HEAVY)


def queue_for(doc: dict, settings: Settings) -> str:
    name = (doc.get("filename") or "").lower()
    heavy = name.endswith(settings.heavy_suffixes) or \
        (doc.get("size") or 0) > settings.heavy_mb * 1024 * 1024
    return HEAVY if heavy else LIGHT


def send(store, ids: list[str], force: bool, settings: Settings) -> int:
    """One task per id, on its queue; raises BrokerUnreachable (nothing is marked sent)."""
    from kombu.exceptions import OperationalError

    from worker.app import app
    from worker.tasks import process_report

    if not ids:
        return 0
    docs = {d["_id"]: d for d in store.db.reports.find({"_id": {"$in": ids}},
                                                        {"filename": 1, "size": 1})}
    try:
        with app.connection_for_write(settings.broker_url or None) as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
            for rid in ids:
                process_report.apply_async(
                    (rid, force), task_id=f"{rid}:{time.time_ns()}", connection=conn,
                    queue=queue_for(docs.get(rid, {}), settings), retry=False)
    except (OperationalError, OSError) as exc:
        raise broker_error(settings, exc) from exc
    work.mark_enqueued(store.db, ids)
    return len(ids)


def broker_error(settings: Settings, exc: BaseException) -> BrokerUnreachable:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    return BrokerUnreachable(
        f"the broker at {settings.broker_url} is unreachable ({first}); start it or fix "
        "broker_url, then run the same command again (the reports stay stored, queued)")


def queue_sizes(settings: Settings) -> dict[str, int]:
    """Messages waiting in each queue; raises BrokerUnreachable."""
    from kombu.exceptions import ChannelError, OperationalError

    from worker.app import app

    sizes = {}
    try:
        with app.connection_for_write(settings.broker_url or None) as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
            for name in QUEUES:
                try:
                    sizes[name] = conn.default_channel.queue_declare(
                        queue=name, passive=True).message_count
                except ChannelError:  # never declared: empty
                    sizes[name] = 0
                    conn.default_channel  # a new channel after the error (AMQP closes it)
    except (OperationalError, OSError) as exc:
        raise broker_error(settings, exc) from exc
    return sizes


def workers_alive(settings: Settings, timeout: float = 2.0) -> int:
    """How many workers answer a ping (0 when none consumes)."""
    from worker.app import app

    try:
        return len(app.control.ping(timeout=timeout) or [])
    except Exception:  # noqa: BLE001 - a broker error here means: no answer
        return 0


def sweep_once(store=None, settings: Settings | None = None,
               ids: list[str] | None = None) -> dict[str, int]:
    """Send again what no message brings (over ``ids``, or every report)."""
    settings = settings or current()
    if store is None:
        from worker.process import get_store

        store = get_store(settings)
    empty = not any(queue_sizes(settings).values())
    found = work.stale(store.db, settings.requeue_after_seconds, empty, ids)
    again = sorted(set(found["expired"]) | set(found["pending"]) | set(found["lost"]))
    send(store, again, False, settings)
    counts = {k: len(v) for k, v in found.items()}
    if again:
        log.warning("sweep: re-enqueued %d reports (%s)", len(again),
                    ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    return counts


class Sweeper(threading.Thread):
    """The worker's timer: a sweep at start, then one every ``sweep_seconds``."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(daemon=True, name="gongkai-sweep")
        self.settings = settings
        self.stopped = threading.Event()

    def run(self) -> None:
        from storage.store import Store

        store = None
        while not self.stopped.is_set():
            try:
                if store is None:
                    store = Store.from_settings(self.settings)
                sweep_once(store, self.settings)
            except Exception as exc:  # noqa: BLE001 - the store or broker is away: later
                log.warning("sweep skipped: %s", str(exc).splitlines()[0][:200] if str(exc)
                            else type(exc).__name__)
                if store is not None:
                    store.close()
                store = None
            self.stopped.wait(self.settings.sweep_seconds)
        if store is not None:
            store.close()


_sweeper: list[Sweeper] = []


def start_sweeper(settings: Settings | None = None) -> None:
    if _sweeper:
        return
    _sweeper.append(Sweeper(settings or current()))
    _sweeper[0].start()


def stop_sweeper() -> None:
    for s in _sweeper:
        s.stopped.set()
