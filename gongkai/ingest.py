"""Ingest: store every document raw first, then process it — through Celery when a broker
is configured, else locally on every core with the very same task code."""
from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable

from gongkai.inputs import Limits, iter_items
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

    def to_dict(self) -> dict:
        return {"documents": self.documents, "distinct": len(self.ids), "new": self.new,
                "duplicates": self.duplicates, "reports": self.reports,
                "renderings": self.renderings, "enqueued": self.enqueued,
                "mode": self.mode, "status": self.status, "failed": self.failed,
                "seconds": round(self.seconds, 2)}

    @property
    def ok(self) -> bool:
        return not self.status.get("failed")


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
    query = {"_id": {"$in": ids}, "$or": [
        {"status": "queued"}, {"status": "processing"},
        {"status": "done", "versions": {"$ne": versions()}}]}
    wanted = {d["_id"] for d in store.db.reports.find(query, {"_id": 1})}
    return [i for i in ids if i in wanted]


def _pool_init() -> None:
    from worker import process

    process.reset()


def _pool_task(report_id: str, force: bool, settings) -> dict:
    from worker.process import process_report

    return process_report(report_id, force=force, settings=settings)


def run_local(ids: list[str], workers: int, force: bool,
              progress: Callable[[dict], None], settings=None) -> None:
    """Process ids on ``workers`` local processes (inline when one is enough) with
    ``settings``, passed to each task: no process reads them from the caller's os.environ."""
    if workers <= 1 or len(ids) <= 1:
        for rid in ids:
            progress(_pool_task(rid, force, settings))
        return
    context = multiprocessing.get_context("spawn")  # no Mongo client crosses a fork
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_pool_init) as pool:
        futures = [pool.submit(_pool_task, rid, force, settings) for rid in ids]
        for future in as_completed(futures):
            progress(future.result())


def enqueue(ids: list[str], force: bool, broker_url: str | None = None) -> int:
    """Send ids to the broker at ``broker_url`` (default: the Celery app's)."""
    from worker.app import app
    from worker.tasks import process_report

    with app.connection_for_write(broker_url or None) as conn:
        for rid in ids:
            process_report.apply_async((rid, force), task_id=f"{rid}:{time.time_ns()}",
                                       connection=conn)
    return len(ids)


def wait_for(store: Store, ids: list[str], progress: Callable[[dict[str, int]], None],
             timeout: float | None = None, poll: float = 0.5) -> bool:
    """Poll the stored statuses until none of ``ids`` is queued or processing."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        counts = store.status_counts(ids)
        progress(counts)
        if not counts.get("queued") and not counts.get("processing"):
            return True
        if deadline is not None and time.monotonic() > deadline:
            return False
        time.sleep(poll)


def finish(store: Store, summary: IngestSummary) -> None:
    summary.status = store.status_counts(summary.ids)
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
             on_counts: Callable[[dict[str, int]], None]) -> None:
    """Process ``todo`` through Celery (waiting when asked) or the local pool."""
    if settings.broker_url:
        summary.enqueued = enqueue(todo, force, settings.broker_url)
        if wait:
            wait_for(store, todo, on_counts)
    else:
        run_local(todo, default_workers(workers or settings.workers), force, on_result,
                  settings)
