"""Process one stored report: load raw bytes, run the extractor pipeline, save results,
then relate it to the stored reports: renderings of the same report, cross-year checks
against the same body's neighbouring years, near-duplicates among the same year's
reports of other bodies (``relate_report``, with the functions ``gongkai check`` uses
for several files: extractors/related.py).

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
from config.settings import Settings, current
from storage.store import Store, is_fresh, is_input_failure

log = logging.getLogger("gongkai.worker")

TRANSIENT_ERRORS = (AutoReconnect, ConnectionFailure, NetworkTimeout, KombuOperationalError)
INTERNAL_ERROR = "E900"

_state: dict[str, object] = {}


def reset() -> None:
    """Forget per-process objects (after a fork)."""
    _state.clear()


def get_store(settings: Settings | None = None) -> Store:
    """This process's store for ``settings`` (default: the process's settings)."""
    settings = settings or current()
    if _state.get("pid") != os.getpid() or _state.get("settings") != settings:
        _state.clear()
        store = Store.from_settings(settings)
        store.setup()
        _state.update(pid=os.getpid(), settings=settings, store=store)
    return _state["store"]  # type: ignore[return-value]


def process_report(report_id: str, task_id: str | None = None, force: bool = False,
                   settings: Settings | None = None) -> dict:
    """Process one report with ``settings`` (the CLI's, handed on explicitly) or, in a
    Celery worker, the process's own."""
    from extractors.pipeline import analyse, versions

    settings = settings or current()
    store = get_store(settings)
    vers = versions()
    before = store.report(report_id) or {}
    doc = store.begin(report_id, vers, task_id or uuid.uuid4().hex, force=force)
    if doc is None:
        return {"id": report_id, "status": before.get("status", "missing"), "skipped": True}
    if is_input_failure(doc.get("error")):  # bad input stays failed, with its reason
        store.mark_failed(report_id, doc["error"], vers)
        return {"id": report_id, "status": "failed", "error": doc["error"]}
    if not force and before.get("status") == "done" and only_rules_changed(
            before.get("versions") or {}, vers):
        return recheck_report(store, report_id, vers)
    source = (doc.get("sources") or [{}])[0]
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
    fresh = is_fresh(before, doc)  # first attempt: nothing of it stored, fewer round trips
    saved = store.save_result(report_id, analysis.record, analysis.text, _tokens, fresh=fresh)
    mine = {**analysis.record, "id": report_id, "text": analysis.text}
    counts = relate_safely(store, report_id, mine, saved if fresh else None)
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
    store.save_findings(report_id, findings, vers)
    counts = relate_safely(store, report_id, record)
    return {"id": report_id, "status": "done", "counts": counts, "rechecked": True}


def _tokens(text: str) -> list[str]:
    from extractors.nlp import tokens

    return sorted({t for t in tokens(text) if t.strip()})


def relate_safely(store: Store, report_id: str, mine: dict, saved: dict | None = None) -> dict:
    """``relate_report``; an error in the relating code (not a transient one) leaves the
    report done with its own findings, logged, instead of stopping the whole ingest."""
    try:
        return relate_report(store, report_id, mine, saved)
    except TRANSIENT_ERRORS:
        raise
    except Exception:
        log.exception("relating report %s to the stored reports failed", report_id)
        return store.refresh_counts([report_id]).get(report_id, {})


def relate_report(store: Store, report_id: str, mine: dict | None = None,
                  saved: dict | None = None) -> dict:
    """Relate a freshly stored report to the stored ones and return its counts.

    Under leases on its body and its year (so that two workers never relate the same
    reports at once): recognise the renderings among the done reports of its body and
    year, drop what renderings no longer hold, and run the cross-year and near-duplicate
    checks of the reports that are not renderings.  ``mine``: the report's record with
    its text, when the caller has it (saves reading it back).  ``saved``: the counts
    ``save_result`` stored for a fresh report (its first processing: nothing about it is
    stored yet, so there is nothing to drop, and its counts need no recount unless a
    related finding was written on it)."""
    from extractors.related import renderings

    fresh = saved is not None and mine is not None
    if fresh:
        body_key, year = mine.get("body_key"), (mine.get("report") or {}).get("year")
    else:
        doc = store.report(report_id) or {}
        body_key, year = doc.get("body_key"), doc.get("year")
    if not body_key or not year:
        return saved if fresh else store.refresh_counts([report_id]).get(report_id, {})
    with store.locked([f"body:{body_key}", f"year:{year}"]):
        ids = store.same_body_year(body_key, year)
        stored = store.records_for_relating([rid for rid in ids if not (mine and rid == report_id)])
        group = [r for r in (mine if mine and rid == report_id else stored.get(rid)
                             for rid in ids) if r is not None]
        roles = renderings(group)
        if fresh and roles == {report_id: None}:  # alone, as save_result stored it
            touched: set[str] = set()
        else:
            touched = store.drop_related(store.set_renderings(roles)) | {report_id}
        for record in group:
            if roles.get(record["id"]) is None:
                new = fresh and record["id"] == report_id
                touched |= run_cross_year(store, record["id"], record, fresh=new)
                touched |= run_duplicates(store, record["id"], record, fresh=new)
        if fresh and not touched:
            return saved
        return store.refresh_counts(touched | {report_id}).get(report_id, {})


def run_cross_year(store: Store, report_id: str, record: dict, fresh: bool = False) -> set[str]:
    """Cross-year findings with each neighbour that is not a rendering, stored on the
    later year's report; returns the reports whose findings were written.  ``fresh``:
    the report's first processing (no cross-year findings of it or about it to drop)."""
    from extractors.crossyear import cross_year

    body_key, year = record.get("body_key"), record["report"].get("year")
    if not body_key or not year:
        return set()
    touched, prev_ids = set() if fresh else {report_id}, []
    neighbours = store.neighbours(body_key, year)
    stored = store.records_for_relating([n["_id"] for n in neighbours])
    for neighbour in neighbours:
        other = stored.get(neighbour["_id"])
        if other is None:
            continue
        if neighbour["year"] < year:
            prev, cur, prev_id, cur_id = other, record, neighbour["_id"], report_id
            prev_ids.append(prev_id)
        else:
            prev, cur, prev_id, cur_id = record, other, report_id, neighbour["_id"]
        findings = [f.to_dict() for f in cross_year(prev, cur)]
        if fresh and not findings:
            continue  # nothing to write; nothing of the pair to remove (see run_duplicates)
        store.replace_findings(cur_id, findings, {**_base(cur), "body_key": body_key},
                               scope="cross_year", prev_report_id=prev_id)
        touched.add(cur_id)
    if not fresh:
        store.drop_cross_year(report_id, prev_ids)
    return touched


def _with_text(store: Store, report_id: str) -> dict | None:
    record = store.full_record(report_id)
    if record is not None:
        record["text"] = store.get_text(report_id) or ""
    return record


def _base(record: dict) -> dict:
    rep = record["report"]
    return {"body": rep.get("body"), "body_key": record.get("body_key"),
            "year": rep.get("year"), "region": rep.get("region"),
            "province": rep.get("province"), "template": rep.get("template"),
            "level": rep.get("level")}


def run_duplicates(store: Store, report_id: str, record: dict, fresh: bool = False) -> set[str]:
    """Near-duplicates between bodies of the same year among the best LSH candidates,
    stored on both reports (one body's consecutive years are the cross-year checks'
    business); returns the reports whose findings were written.  ``fresh``: the
    report's first processing: an empty result writes nothing.  (Another worker may have
    related this pair already — once the report is done it is a candidate of theirs — but
    it found the same, so what is stored is empty too; a non-empty result is written as
    a replacement, never blindly inserted.)"""
    from extractors.crossyear import similarity_findings
    from extractors.related import light, rank_candidates

    this = light(record)
    candidates = rank_candidates(record.get("lsh", []), store.duplicate_candidates(
        report_id, record.get("lsh", []), record["report"].get("year"), record.get("body_key")))
    touched = set()
    texts = store.get_texts([o["id"] for o in candidates]) if candidates else {}
    for other in candidates:
        other["text"] = texts.get(other["id"]) or ""
        for this_id, a, that_id, b in ((report_id, this, other["id"], other),
                                       (other["id"], other, report_id, this)):
            found = [f.to_dict() for f in similarity_findings(b, a)]
            if fresh and not found:
                continue
            store.replace_findings(this_id, found, _base(a), scope="duplicate",
                                   prev_report_id=that_id)
            touched.add(this_id)
    return touched
