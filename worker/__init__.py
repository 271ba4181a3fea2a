"""Celery app and thin tasks (``celery -A worker worker`` finds ``worker.app``)."""
from worker.app import app

__all__ = ["app"]
