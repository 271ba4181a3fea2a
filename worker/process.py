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
    before = store.report(report_id) or {}
    doc = store.begin(report_id, vers, task_id or uuid.uuid4().hex, force=force)
    if doc is None:
        return {"id": report_id, "status": before.get("status", "missing"), "skipped": True}
    if not force and before.get("status") == "done" and only_rules_changed(
            before.get("versions") or {}, vers):
        return recheck_report(store, report_id, vers)
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
    record = {**analysis.record, "text": analysis.text}
    run_cross_year(store, report_id, record)
    run_duplicates(store, report_id, record)
    return {"id": report_id, "status": "done", "counts": counts,
            "template": analysis.record["report"].get("template")}


def only_rules_changed(stored: dict, current: dict) -> bool:
    """Only the rule set moved on: the stored table and claims are still valid."""
    return bool(stored) and stored.get("rules") != current.get("rules") and all(
        stored.get(k) == v for k, v in current.items() if k != "rules")


def recheck_report(store: Store, report_id: str, vers: dict) -> dict:
    """Re-evaluate findings from the stored table and claims (no reading, no parsing)."""
    from extractors.pipeline import recheck

    record = _with_text(store, report_id)
    findings = recheck(record, record["text"])
    counts = store.save_findings(report_id, findings, vers)
    record["lsh"] = (store.report(report_id) or {}).get("lsh", [])
    run_cross_year(store, report_id, record)
    run_duplicates(store, report_id, record)
    return {"id": report_id, "status": "done", "counts": counts, "rechecked": True}


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
        other = _with_text(store, neighbour["_id"])
        if other is None:
            continue
        if neighbour["year"] < year:
            prev, cur, prev_id, cur_id = other, record, neighbour["_id"], report_id
        else:
            prev, cur, prev_id, cur_id = record, other, report_id, neighbour["_id"]
        findings = [f.to_dict() for f in cross_year(prev, cur)]
        store.replace_findings(cur_id, findings, {**_base(cur), "body_key": body_key},
                               scope="cross_year",
                               prev_report_id=prev_id)
        made += len(findings)
    return made


def _with_text(store: Store, report_id: str) -> dict | None:
    record = store.full_record(report_id)
    if record is not None:
        record["text"] = store.get_text(report_id) or ""
    return record


def _base(record: dict) -> dict:
    rep = record["report"]
    return {"body": rep.get("body"), "body_key": record.get("body_key"),
            "year": rep.get("year"), "region": rep.get("region"),
            "template": rep.get("template"), "level": rep.get("level")}


def run_duplicates(store: Store, report_id: str, record: dict) -> int:
    """Near-duplicates between bodies of the same year among the LSH candidates, stored on
    both reports (one body's consecutive years are the cross-year checks' business)."""
    from extractors.crossyear import similarity_findings

    made = 0
    light = {**record, "table": {"cells": []}}  # the similarity checks read text, not cells
    candidates = store.duplicate_candidates(report_id, record.get("lsh", []),
                                            record["report"].get("year"), record.get("body_key"))
    for other in candidates:
        other["text"] = store.get_text(other["id"]) or ""
        for this_id, this, that_id, that in ((report_id, light, other["id"], other),
                                             (other["id"], other, report_id, light)):
            found = [f.to_dict() for f in similarity_findings(that, this)]
            store.replace_findings(this_id, found, _base(this), scope="duplicate",
                                   prev_report_id=that_id)
            made += len(found)
    return made
