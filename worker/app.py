"""The Celery application, configured from the settings (config.settings).

Tasks are idempotent (keyed by content hash and extractor/rule versions), so they are
acknowledged late and re-queued when a worker dies mid-task.  Per-process objects (the
Mongo client, jieba/spaCy) are built lazily after the worker forks.  Each task has the
per-document time limit (soft: the report ends failed; hard: the child is killed), and
children are replaced after ``worker_max_tasks_per_child`` tasks or once they pass
``worker_max_memory_mb``.  Two queues: ``gongkai`` (light) and ``gongkai.heavy`` (PDF,
DOCX, large documents); a worker consumes both unless told otherwise.  The main process
of every worker sweeps for lost work at start and every ``sweep_seconds`` (worker/sweep.py).
"""
from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init, worker_ready, worker_shutdown

from config.settings import Settings, current

app = Celery("gongkai", include=["worker.tasks"])
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    result_backend=None,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    broker_connection_max_retries=None,  # a worker outlives a broker restart
    task_default_queue="gongkai",
    worker_hijack_root_logger=False,
    worker_proc_alive_timeout=120,  # a child loads its models before it says it is up
    beat_schedule={},
)


def configure(settings: Settings) -> None:
    """Broker, limits and recycling from ``settings`` (at import, and again by
    ``gongkai worker`` with the command's settings)."""
    app.conf.update(
        broker_url=settings.broker_url or "memory://",
        task_soft_time_limit=settings.document_seconds,
        task_time_limit=settings.hard_seconds,
        worker_max_tasks_per_child=settings.worker_max_tasks_per_child or None,
        worker_max_memory_per_child=int(settings.worker_max_memory_mb * 1024) or None,
        broker_transport_options={"visibility_timeout": max(3600, settings.hard_seconds * 2)},
        beat_schedule={"gongkai-sweep": {"task": "gongkai.sweep",
                                         "schedule": settings.sweep_seconds}},
    )


configure(current())


@worker_process_init.connect
def _fresh_process(**_: object) -> None:
    """A forked worker child must not reuse the parent's Mongo client; it loads its
    models before its first task (whose time limit is the document's alone)."""
    from worker import process

    process.reset()
    process.warm_up()


@worker_ready.connect
def _start_sweeping(**_: object) -> None:
    from worker.sweep import start_sweeper

    start_sweeper()


@worker_shutdown.connect
def _stop_sweeping(**_: object) -> None:
    from worker.sweep import stop_sweeper

    stop_sweeper()
