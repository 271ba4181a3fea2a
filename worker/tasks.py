"""Celery tasks: ids in, a small summary out; the work is in ``worker.process``."""
from __future__ import annotations

from worker.app import app
from worker.process import TRANSIENT_ERRORS, process_report as _process


@app.task(bind=True, name="gongkai.process_report", autoretry_for=TRANSIENT_ERRORS,
          retry_backoff=2, retry_backoff_max=120, retry_jitter=True, max_retries=8)
def process_report(self, report_id: str, force: bool = False) -> dict:
    # the time limit is the task's soft_time_limit (worker.app.configure)
    return _process(report_id, task_id=self.request.id or report_id, force=force,
                    local_limits=False)


@app.task(name="gongkai.sweep", ignore_result=True)
def sweep() -> dict:
    """Re-enqueue what no message will bring (worker.sweep); beat may schedule it."""
    from worker.sweep import sweep_once

    return sweep_once()
