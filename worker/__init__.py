"""Celery app and thin tasks (``celery -A worker worker`` finds ``worker.app``).

The app is imported when it is first asked for (a module ``__getattr__``), not with the
package: the local ingest runs ``worker.process`` with no broker and needs no Celery.
``worker.celery`` names it too (Celery's other lookup), so ``-A worker`` still finds it
when ``worker.app`` was imported first as the submodule."""
from __future__ import annotations

__all__ = ["app"]


def __getattr__(name: str):
    if name in ("app", "celery"):
        from worker.app import app

        globals()["app"] = app  # importing the submodule set ``worker.app`` to it
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
