"""The Celery application, configured from the settings (config.settings).

Tasks are idempotent (keyed by content hash and extractor/rule versions), so they are
acknowledged late and re-queued when a worker dies mid-task.  Per-process objects (the
Mongo client, jieba/spaCy) are built lazily after the worker forks.
"""
from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init

from config.settings import current

app = Celery("gongkai", include=["worker.tasks"])
app.conf.update(
    broker_url=current().broker_url or "memory://",
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    result_backend=None,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_default_queue="gongkai",
    worker_hijack_root_logger=False,
)


@worker_process_init.connect
def _fresh_process(**_: object) -> None:
    """A forked worker child must not reuse the parent's Mongo client."""
    from worker import process

    process.reset()
