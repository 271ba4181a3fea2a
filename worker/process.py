"""Process one stored report: load raw bytes, run the extractor pipeline, save results,
then run the cross-year checks against the same body's neighbouring years.

The same function serves the Celery task and the local (no broker) process pool.
A bad document becomes a ``failed`` status with its error; only transient storage and
broker errors propagate (the Celery task retries those).
"""
from __future__ import annotations

import logging
import os
import uuid

from kombu.exceptions import OperationalError as KombuOperationalError
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout

from extractors.errors import DocumentError
from gongkai.settings import current
from storage.store import Store

log = logging.getLogger("gongkai.worker")

TRANSIENT_ERRORS = (AutoReconnect, ConnectionFailure, NetworkTimeout, KombuOperationalError)
INTERNAL_ERROR = "E900"

_state: dict[str, object] = {}


def reset() -> None:
    """Forget per-process objects (after a fork)."""
    _state.clear()


def get_store() -> Store:
    if _state.get("pid") != os.getpid():
        _state.clear()
        store = Store.from_settings(current())
        store.setup()
        _state.update(pid=os.getpid(), store=store)
    return _state["store"]  # type: ignore[return-value]


def process_report(report_id: str, task_id: str | None = None, force: bool = False) -> dict:
    from extractors.pipeline import analyse, versions

    store = get_store()
    vers = versions()
    doc = store.begin(report_id, vers, task_id or uuid.uuid4().hex, force=force)
    if doc is None:
        current_doc = store.report(report_id) or {}
        return {"id": report_id, "status": current_doc.get("status", "missing"),
                "skipped": True}
    source = (doc.get("sources") or [{}])[0]
    settings = current()
    try:
        analysis = analyse(store.get_raw(report_id), source=source.get("source"),
                           filename=doc.get("filename"), use_ner=settings.ner,
                           max_bytes=settings.max_document_bytes)
    except DocumentError as exc:
        store.mark_failed(report_id, exc.to_dict(), vers)
        return {"id": report_id, "status": "failed", "error": exc.to_dict()}
    except Exception as exc:  # an extractor bug: keep the report, say so, never retry
        log.exception("extractor error on report %s", report_id)
        error = {"code": INTERNAL_ERROR, "error": type(exc).__name__,
                 "message": f"internal extractor error ({type(exc).__name__}: {exc}); "
                            "please report it with this report id"}
        store.mark_failed(report_id, error, vers)
        return {"id": report_id, "status": "failed", "error": error}
    counts = store.save_result(report_id, analysis.record, analysis.text, _tokens)
    run_cross_year(store, report_id, analysis.record)
    return {"id": report_id, "status": "done", "counts": counts,
            "template": analysis.record["report"].get("template")}


def _tokens(text: str) -> list[str]:
    from extractors.nlp import tokens

    return sorted({t for t in tokens(text) if t.strip()})


def run_cross_year(store: Store, report_id: str, record: dict) -> int:
    """Cross-year findings with each done neighbour; stored on the later year's report."""
    from extractors.crossyear import cross_year

    body_key, year = record.get("body_key"), record["report"].get("year")
    if not body_key or not year:
        return 0
    made = 0
    for neighbour in store.neighbours(body_key, year):
        other = store.full_record(neighbour["_id"])
        if other is None:
            continue
        if neighbour["year"] < year:
            prev, cur, prev_id, cur_id = other, record, neighbour["_id"], report_id
        else:
            prev, cur, prev_id, cur_id = record, other, report_id, neighbour["_id"]
        findings = [f.to_dict() if hasattr(f, "to_dict") else f for f in cross_year(prev, cur)]
        base = {"body": cur["report"].get("body"), "body_key": body_key,
                "year": cur["report"].get("year"), "region": cur["report"].get("region"),
                "template": cur["report"].get("template")}
        store.replace_findings(cur_id, findings, base, scope="cross_year",
                               prev_report_id=prev_id)
        made += len(findings)
    return made
