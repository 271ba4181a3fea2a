"""Sending reports to the broker, and the sweep that sends again what no message brings.

The store is the source of truth (storage/work.py): a report ``queued`` while the
broker's queues are empty lost its message (a broker restarted without persistence), a
report ``processing`` with an expired lease lost its worker (killed), a report ``done``
with a pending step lost its worker between two saves.  The sweep sends each of them
again; a duplicate message is harmless (the lease lets one worker take a report, the
others skip it).  It runs in ``ingest --wait`` (over its own reports), in every worker
at start and then every ``sweep_seconds`` (a timer thread of the worker's main process),
and as the ``gongkai.sweep`` task for Celery beat.

The sweep of a worker (or of beat) also settles the near-duplicate findings past the
candidate cap (worker/duplicates.py) that an ingest not waiting for its reports left
marked, after its re-enqueueing: the years no report of which is still queued,
processing or pending (a batch still arriving is not settled again and again; a queued
report whose year is not known yet holds every year), a chunk at a time under the year's
lease taken without waiting (a year another worker relates or settles is left to the
next sweep), chunks for about half of ``sweep_seconds`` per sweep.  A failure is one
line logged; what was re-enqueued stays so.  Waiting for quiet years saves work and is
not needed for correctness: a report related after its year was settled marks what it
changes, for a later sweep.

This happens in the sweep itself, not in a ``gongkai.settle`` task sent from it: the
year's lease is all the coordination two workers need, whereas a task would need its
own de-duplication (every worker's sweep would send one, and they would queue behind
one another on the lease) and would reach a child only after the messages already
queued.  A chunk is a few seconds of store work and similarity checks (no model is
loaded), which the timer thread of the main process bears; beat's ``gongkai.sweep``
does the same in a child, under the task limits.

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
    return BrokerUnreachable(
        f"the broker at {settings.broker_url} is unreachable ({one_line(exc)}); start it or fix "
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
    """Send again what no message brings (over ``ids``, or every report, and then settle
    the quiet years: ``settle_idle``)."""
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
    if ids is None:
        counts["settled"] = settle_idle(store, settings)
    return counts


def settle_idle(store, settings: Settings) -> int:
    """Settle the marked reports of the years nothing is still processed for (module
    doc); the number of reports settled.  A failure is one line logged, not raised."""
    from worker.duplicates import settle_some

    try:
        busy = work.busy_years(store.db)
        if None in busy:
            return 0
        years = [y for y in store.unsettled_years() if y not in busy]
        if not years:
            return 0
        stats = settle_some(store, years, settings.duplicate_candidates,
                            settings.sweep_seconds / 2)
    except Exception as exc:  # noqa: BLE001 - the store is away or slow: next sweep
        log.warning("sweep: near-duplicate settling skipped: %s", one_line(exc))
        return 0
    if stats["settled"]:
        log.info("sweep: settled %d reports past the near-duplicate cap (%d pairs checked, "
                 "%d dropped)", stats["settled"], stats["checked"], stats["dropped"])
    return stats["settled"]


def one_line(exc: BaseException) -> str:
    """The first line of an error's message (its type when it has none)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:200] if lines else type(exc).__name__


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
                log.warning("sweep skipped: %s", one_line(exc))
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
