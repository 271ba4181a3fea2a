"""Ingest: store every document raw first, then process it — through Celery when a broker
is configured, else locally on every core with the very same task code."""
from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable

from pymongo.errors import PyMongoError

from extractors.errors import BrokerUnreachable
from gongkai.inputs import Limits, iter_items
from storage import work
from storage.store import Store


@dataclass
class IngestSummary:
    documents: int = 0  # items read from the inputs
    new: int = 0  # distinct contents stored for the first time
    duplicates: int = 0  # items whose content was already stored
    ids: list[str] = field(default_factory=list)  # distinct report ids of this ingest
    enqueued: int = 0
    mode: str = "local"
    status: dict[str, int] = field(default_factory=dict)
    failed: list[dict] = field(default_factory=list)
    reports: int = 0  # distinct reports: renderings of one report count once
    renderings: list[dict] = field(default_factory=list)  # {id, source, rendering_of, of_source}
    seconds: float = 0.0
    requeued: int = 0  # stale or lost reports sent again while waiting
    unfinished_reason: str | None = None  # why waiting stopped with work left
    settled: dict = field(default_factory=dict)  # near-duplicate settling (worker/duplicates.py)

    def to_dict(self) -> dict:
        return {"documents": self.documents, "distinct": len(self.ids), "new": self.new,
                "duplicates": self.duplicates, "reports": self.reports,
                "renderings": self.renderings, "enqueued": self.enqueued,
                "mode": self.mode, "status": self.status, "failed": self.failed,
                "requeued": self.requeued, "unfinished": self.unfinished,
                "reason": self.unfinished_reason, "settled": self.settled,
                "seconds": round(self.seconds, 2)}

    @property
    def unfinished(self) -> int:
        return work.unfinished(self.status)

    @property
    def ok(self) -> bool:
        return not self.status.get("failed") and not self.unfinished


def store_inputs(store: Store, paths: list[str], summary: IngestSummary,
                 limits: Limits | None = None) -> None:
    seen: set[str] = set()
    for item in iter_items(paths, limits):
        source = {"source": item.source, "filename": item.filename, **item.meta}
        rid, created = store.put_raw(item.data, source, failure=item.failure)
        summary.documents += 1
        summary.new += created
        summary.duplicates += not created
        if rid not in seen:
            seen.add(rid)
            summary.ids.append(rid)


def pending(store: Store, ids: list[str], force: bool) -> list[str]:
    """Ids that need work: queued, or done with other versions (or all, with force)."""
    from extractors.pipeline import versions

    if force:
        return list(ids)
    wanted = work.needing_work(store.db, ids, versions())
    return [i for i in ids if i in wanted]


def _pool_init() -> None:
    from worker import process

    process.reset()


def _pool_task(report_id: str, force: bool, settings) -> dict:
    from worker.process import process_report

    return process_report(report_id, force=force, settings=settings)


def _pool_batch(report_ids: list[str], force: bool, settings) -> list[dict]:
    from worker.batch import process_batch

    return process_batch(report_ids, force, settings)


def run_local(ids: list[str], workers: int, force: bool,
              progress: Callable[[dict], None], settings=None, store: Store | None = None) -> None:
    """Process ids on ``workers`` local processes (inline when one is enough) with
    ``settings``, passed to each task: no process reads them from the caller's os.environ.
    Ctrl-C stops at once: the pool's processes are ended and their reports queued again."""
    if workers <= 1 or len(ids) <= 1:
        for rid in ids:
            progress(_pool_task(rid, force, settings))
        return
    context = multiprocessing.get_context("spawn")  # no Mongo client crosses a fork
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_pool_init)
    size = min(getattr(settings, "ingest_batch", 1), -(-len(ids) // workers))  # all busy
    try:
        if size > 1:  # each process a batch at a time (worker/batch.py)
            futures = [pool.submit(_pool_batch, ids[i:i + size], force, settings)
                       for i in range(0, len(ids), size)]
        else:
            futures = [pool.submit(_pool_task, rid, force, settings) for rid in ids]
        for future in as_completed(futures):
            for result in future.result() if size > 1 else [future.result()]:
                progress(result)
    except BaseException:
        _stop_pool(pool, ids, store)
        raise
    pool.shutdown(wait=True)


def _stop_pool(pool: ProcessPoolExecutor, ids: list[str], store: Store | None) -> None:
    """End the pool's processes now and put what they held back to ``queued``."""
    children = multiprocessing.active_children()
    pool.shutdown(wait=False, cancel_futures=True)
    for child in children:
        child.terminate()
    for child in children:
        child.join(timeout=5)
    if store is not None:
        hosts = [f"{work.host_id().rsplit(':', 1)[0]}:{c.pid}" for c in children]
        work.release_hosts(store.db, ids, hosts)
        # a lease write a killed process had already sent (a batch's take is several
        # updates) may be applied by the server after that: release once more
        time.sleep(0.5)
        work.release_hosts(store.db, ids, hosts)


def run_local_until_done(store: Store, ids: list[str], workers: int, force: bool,
                         progress: Callable[[dict], None], settings) -> None:
    """``run_local``, then the reports another process held meanwhile: those whose holder
    died (its lease expired, or a local process that is gone) are processed here, and
    those of a live holder (another ingest of the same files) are waited for."""
    work.release_dead_local(store.db, ids)
    run_local(ids, workers, force, progress, settings, store)
    idle_since = time.monotonic()
    while True:
        counts = work.progress(store.db, ids)
        if not work.unfinished(counts):
            return
        work.release_dead_local(store.db, ids)
        found = work.stale(store.db, 0, True, ids)
        again = sorted(set(found["expired"]) | set(found["pending"]) | set(found["lost"]))
        if again:
            run_local(again, workers, False, progress, settings, store)
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > settings.wait_idle_seconds:
            return  # held by a live process that does not finish: reported unfinished
        else:
            time.sleep(0.5)


def enqueue(store: Store, ids: list[str], force: bool, settings) -> int:
    """Send ids to the broker, each on its queue (heavy formats apart)."""
    from worker.sweep import send

    return send(store, ids, force, settings)


@dataclass
class WaitOutcome:
    finished: bool = False
    reason: str | None = None
    requeued: int = 0


def wait_for(store: Store, ids: list[str], settings, progress: Callable[[dict[str, int]], None],
             note: Callable[[str], None] = lambda _m: None, poll: float = 0.5) -> WaitOutcome:
    """Poll the stored statuses until none of ``ids`` is unfinished, sending again what
    is lost or stale every ``sweep_seconds``; stop (unfinished) when nothing changed for
    ``wait_idle_seconds``, saying why."""
    from worker.sweep import sweep_once, workers_alive

    out, last, changed, swept = WaitOutcome(), None, time.monotonic(), 0.0
    broker_down = store_down = False
    while True:
        try:
            counts = work.progress(store.db, ids)
            store_down = False
        except PyMongoError:
            counts, store_down = last or {}, True
            note("the database is unreachable; retrying (start it, or see `gongkai db status`)")
            store = _reconnect(store, settings)
        if counts != last:
            last, changed = counts, time.monotonic()
            progress(counts)
        if not store_down and not work.unfinished(counts):
            out.finished = True
            return out
        if not store_down and time.monotonic() - swept > settings.sweep_seconds:
            swept = time.monotonic()
            try:
                found = sweep_once(store, settings, ids)
                broker_down = False
                n = sum(found.values())
                if n:
                    out.requeued += n
                    note(f"re-enqueued {n} stale or lost reports ({out.requeued} so far)")
            except BrokerUnreachable as exc:
                broker_down = True
                note(exc.message)
            except PyMongoError:
                pass
        idle = time.monotonic() - changed
        if idle > settings.wait_idle_seconds:
            out.reason = _idle_reason(idle, broker_down, store_down, settings, workers_alive)
            return out
        time.sleep(poll)


def _idle_reason(idle: float, broker_down: bool, store_down: bool, settings,
                 workers_alive) -> str:
    if store_down:
        return f"the database has been unreachable for {idle:.0f} s"
    if broker_down:
        return f"the broker at {settings.broker_url} has been unreachable for {idle:.0f} s"
    if not workers_alive(settings):
        return (f"no worker has taken a task for {idle:.0f} s and none answers: start "
                "`gongkai worker` with the same broker_url and mongo_url")
    return (f"no report changed status for {idle:.0f} s although workers answer "
            f"({_waiting(settings)}; a worker for each queue? busy with other work, or "
            "stuck: see their logs)")


def _waiting(settings) -> str:
    from worker.sweep import queue_sizes

    try:
        return "waiting: " + ", ".join(f"{q} {n}" for q, n in queue_sizes(settings).items())
    except BrokerUnreachable:
        return "the broker does not answer"


def _reconnect(store: Store, settings) -> Store:
    """The database is away: the embedded server is started again for its data folder
    (on the port it had, so this handle reconnects by itself); a real MongoDB is waited
    for (PyMongo reconnects)."""
    if not settings.mongo_url:
        from storage import embedded

        try:
            embedded.ensure_server(settings.data_path, timeout=20)
        except Exception:  # noqa: BLE001 - it will not start yet: try again next poll
            pass
    return store


def finish(store: Store, summary: IngestSummary) -> None:
    summary.status = work.progress(store.db, summary.ids)
    failed = store.db.reports.find({"_id": {"$in": summary.ids}, "status": "failed"},
                                   {"error": 1, "sources": {"$slice": 1}})
    summary.failed = [{"id": d["_id"], "source": (d.get("sources") or [{}])[0].get("source"),
                       **(d.get("error") or {})} for d in failed]
    copies = list(store.db.reports.find(
        {"_id": {"$in": summary.ids}, "rendering_of": {"$ne": None}},
        {"rendering_of": 1, "sources": {"$slice": 1}}))
    order = {rid: i for i, rid in enumerate(summary.ids)}
    copies.sort(key=lambda d: order[d["_id"]])
    of_sources = store.sources_of([d["rendering_of"] for d in copies])
    summary.renderings = [{"id": d["_id"], "source": (d.get("sources") or [{}])[0].get("source"),
                           "rendering_of": d["rendering_of"],
                           "of_source": of_sources.get(d["rendering_of"])} for d in copies]
    summary.reports = len(summary.ids) - len(copies)


def default_workers(setting: int) -> int:
    return setting or os.cpu_count() or 1


def dispatch(settings, store: Store, summary: IngestSummary, todo: list[str], force: bool,
             wait: bool, workers: int | None, on_result: Callable[[dict], None],
             on_counts: Callable[[dict[str, int]], None],
             note: Callable[[str], None] = lambda _m: None, settle_all: bool = False) -> None:
    """Process ``todo`` through Celery (waiting when asked) or the local pool, then settle
    the near-duplicate findings of the years processed (``settle_all``: even when nothing
    was to do)."""
    if settings.broker_url:
        summary.enqueued = enqueue(store, todo, force, settings)
        if not wait:
            return
        outcome = wait_for(store, summary.ids, settings, on_counts, note)
        summary.requeued = outcome.requeued
        summary.unfinished_reason = outcome.reason
        if not outcome.finished:
            return
    else:
        run_local_until_done(store, todo, default_workers(workers or settings.workers), force,
                             on_result, settings)
    if todo or settle_all:
        settle_duplicates(store, summary, settings, note)


def settle_duplicates(store: Store, summary: IngestSummary, settings,
                      note: Callable[[str], None]) -> None:
    """Make the near-duplicate findings of the years of ``summary.ids`` independent of
    the order the reports came in (worker/duplicates.py ``settle``)."""
    from worker.duplicates import settle

    try:
        summary.settled = settle(store, store.years_of(summary.ids),
                                 settings.duplicate_candidates)
    except (TimeoutError, PyMongoError) as exc:
        note(f"E506 near-duplicate findings not settled ({exc}); run `gongkai relate --settle`")
