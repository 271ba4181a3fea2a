"""Process one stored report: load raw bytes, run the extractor pipeline, save results,
then relate it to the stored reports: renderings of the same report, cross-year checks
against the same body's neighbouring years, near-duplicates among the same year's
reports of other bodies (``relate_report``, with the functions ``gongkai check`` uses
for several files: extractors/related.py).

The same function serves the Celery task and the local (no broker) process pool.
A bad document becomes a ``failed`` status with its error; only transient storage and
broker errors propagate (the Celery task retries those).  The report is held under a
renewed lease (storage/work.py) while it is worked on, every write is fenced by the
lease's token, it is ``done`` with ``pending: ["relate"]`` until the relating step is
saved, and one document may not take more than its time and memory limits
(worker/limits.py) nor be retried forever after killing its worker (``max_attempts``).
"""
from __future__ import annotations

import logging
import os
import uuid
from contextlib import nullcontext
from typing import Callable

from billiard.exceptions import SoftTimeLimitExceeded
from kombu.exceptions import OperationalError as KombuOperationalError
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout

from config.settings import Settings, current
from extractors.errors import DocumentError, TooManyAttempts
from storage import work
from storage.store import Store, is_fresh, is_input_failure
from worker import limits
from worker.duplicates import finding_base as _base, left_pools, run_duplicates

log = logging.getLogger("gongkai.worker")

TRANSIENT_ERRORS = (AutoReconnect, ConnectionFailure, NetworkTimeout, KombuOperationalError)
INTERNAL_ERROR = "E900"

_state: dict[str, object] = {}


def reset() -> None:
    """Forget per-process objects (after a fork)."""
    _state.clear()


def reconnect() -> None:
    """Drop this process's store after a connection failure: the next ``get_store``
    resolves the address again (and restarts the embedded server if it is gone)."""
    store = _state.get("store") if _state.get("pid") == os.getpid() else None
    _state.clear()
    if store is not None:
        store.close()  # type: ignore[attr-defined]


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
                   settings: Settings | None = None, local_limits: bool = True) -> dict:
    """Process one report with ``settings`` (the CLI's, handed on explicitly) or, in a
    Celery worker, the process's own.  ``local_limits``: keep the time limit here (the
    local pool); a Celery task has its soft_time_limit instead."""
    settings = settings or current()
    store = get_store(settings)
    try:
        return _process_leased(store, report_id, task_id or uuid.uuid4().hex, force,
                               settings, local_limits)
    except TRANSIENT_ERRORS:
        reconnect()  # the next attempt re-resolves the store's address
        raise


def _process_leased(store: Store, report_id: str, task_id: str, force: bool,
                    settings: Settings, local_limits: bool) -> dict:
    from extractors.pipeline import versions

    vers = versions()
    before = store.report(report_id) or {}
    doc = work.take(store.db, report_id, vers, task_id, settings.lease_seconds, force=force)
    if doc is None:
        doc = work.take_pending(store.db, report_id, vers, task_id, settings.lease_seconds)
        if doc is None:
            return {"id": report_id, "status": before.get("status", "missing"), "skipped": True}
        return _finish_pending(store, report_id, doc, settings)
    lease = doc["lease"]
    if force:
        work.reset_attempts(store.db, report_id)
    elif doc.get("attempts", 1) > settings.max_attempts:
        return _fail(store, report_id, lease, _attempts_error(doc, settings), vers)
    if is_input_failure(doc.get("error")):  # bad input stays failed, with its reason
        return _fail(store, report_id, lease, doc["error"], vers)
    try:
        with work.Heartbeat(store.db, report_id, lease["token"], settings.lease_seconds) as beat:
            result = _work(store, report_id, doc, before, vers, force, settings, local_limits,
                           lease)
    except SoftTimeLimitExceeded:  # past the limit outside the extractors (saving)
        return _fail(store, report_id, lease,
                     limits.time_error(settings.document_seconds).to_dict(), vers)
    except BaseException:  # Ctrl-C, a transient error, a hard limit: give it back
        _release_quietly(store, report_id, lease["token"])
        raise
    if beat.lost:
        log.warning("report %s: lease lost while processing (another worker took it)", report_id)
    return result


def _release_quietly(store: Store, report_id: str, token: str) -> None:
    """Give the report back after an interruption (Ctrl-C, a transient error)."""
    try:
        work.release(store.db, report_id, token)
    except Exception:  # the store is away: the lease expires and the sweep takes it
        log.warning("report %s: could not release its lease", report_id)


def _work(store: Store, report_id: str, doc: dict, before: dict, vers: dict, force: bool,
          settings: Settings, local_limits: bool, lease: dict) -> dict:
    if not force and before.get("status") == "done" and only_rules_changed(
            before.get("versions") or {}, vers):
        return recheck_report(store, report_id, vers, lease, settings)
    analysis, error = analyse_document(lambda: store.get_raw(report_id), report_id, doc,
                                       settings, local_limits)
    if error is not None:
        return _fail(store, report_id, lease, error, vers)
    if not work.mark_pending(store.db, report_id, lease["token"]):
        return _fenced(report_id)
    fresh = is_fresh(before, doc)  # first attempt: nothing of it stored, fewer round trips
    saved = store.save_result(report_id, analysis.record, analysis.text, _tokens, fresh=fresh)
    work.rehold(store.db, report_id, lease, settings.lease_seconds)
    mine = {**analysis.record, "id": report_id, "text": analysis.text}
    counts = relate_safely(store, report_id, mine, saved if fresh else None,
                           cap=settings.duplicate_candidates)
    work.complete(store.db, report_id, lease["token"])
    return {"id": report_id, "status": "done", "counts": counts,
            "template": analysis.record["report"].get("template")}


def analyse_document(read: Callable[[], bytes], report_id: str, doc: dict, settings: Settings,
                     local_limits: bool) -> tuple[object, dict | None]:
    """Run the pipeline over the bytes ``read`` returns within the document's limits:
    (its analysis, None), or (None, the error a bad document fails with).  Transient
    storage errors propagate."""
    from extractors.pipeline import analyse

    source = (doc.get("sources") or [{}])[0]
    _warm_up(settings)
    try:
        with limits.time_limit(settings.document_seconds if local_limits else 0), \
                limits.memory_limit(settings.document_memory_mb):
            return analyse(read(), source=source.get("source"),
                           filename=doc.get("filename"), use_ner=settings.ner,
                           max_bytes=settings.max_document_bytes), None
    except DocumentError as exc:
        return None, exc.to_dict()
    except SoftTimeLimitExceeded:
        return None, limits.time_error(settings.document_seconds).to_dict()
    except MemoryError:
        return None, limits.memory_error(settings.document_memory_mb).to_dict()
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:  # an extractor bug: keep the report, say so, never retry
        log.exception("extractor error on report %s", report_id)
        return None, {"code": INTERNAL_ERROR, "error": type(exc).__name__,
                      "message": f"internal extractor error ({type(exc).__name__}: {exc}); "
                                 "please report it with this report id"}


def _finish_pending(store: Store, report_id: str, doc: dict, settings: Settings) -> dict:
    """A done report whose relating step did not finish (its worker died): only that."""
    lease = doc["lease"]
    with work.Heartbeat(store.db, report_id, lease["token"], settings.lease_seconds):
        counts = relate_report(store, report_id, _with_text(store, report_id),
                               cap=settings.duplicate_candidates)
    work.complete(store.db, report_id, lease["token"])
    return {"id": report_id, "status": "done", "counts": counts, "related": True}


_WARM_TEXT = "2023年政府信息公开工作年度报告。本年度共收到政府信息公开申请12件。".encode()


def warm_up(settings: Settings | None = None) -> None:
    """Load the models of this process now (a fresh worker child, before its first task
    and that task's time limit)."""
    _warm_up(settings or current())


def _warm_up(settings: Settings) -> None:
    """Load the per-process models (jieba, spaCy, NER) before the first document's
    limits are armed: the limits measure the document, not the process's start-up."""
    from extractors.pipeline import analyse

    if _state.get("warm") == settings.ner:
        return
    try:
        analyse(_WARM_TEXT, source="warm-up.txt", filename="warm-up.txt", use_ner=settings.ner,
                max_bytes=settings.max_document_bytes)
    except DocumentError:
        pass
    _state["warm"] = settings.ner


def _fail(store: Store, report_id: str, lease: dict, error: dict, vers: dict) -> dict:
    if not work.holds(store.db, report_id, lease["token"]):
        return _fenced(report_id)
    store.mark_failed(report_id, error, vers)
    work.complete(store.db, report_id, lease["token"])
    return {"id": report_id, "status": "failed", "error": error}


def _fenced(report_id: str) -> dict:
    log.warning("report %s: another worker holds it now; this result is dropped", report_id)
    return {"id": report_id, "status": "processing", "skipped": True, "fenced": True}


def _attempts_error(doc: dict, settings: Settings) -> dict:
    return TooManyAttempts(
        f"processing stopped {doc.get('attempts', 1) - 1} times before finishing (its "
        "worker was killed: over a hard time or memory limit, or by the system); "
        "see the worker log, then `gongkai reprocess --failed`").to_dict()


def only_rules_changed(stored: dict, current: dict) -> bool:
    """Only the rule set moved on: the stored table and claims are still valid."""
    return bool(stored) and stored.get("rules") != current.get("rules") and all(
        stored.get(k) == v for k, v in current.items() if k != "rules")


def recheck_report(store: Store, report_id: str, vers: dict, lease: dict,
                   settings: Settings) -> dict:
    """Re-evaluate findings from the stored table and claims (no reading, no parsing)."""
    from extractors.pipeline import recheck

    record = _with_text(store, report_id)
    findings = recheck(record, record["text"])
    if not work.mark_pending(store.db, report_id, lease["token"]):
        return _fenced(report_id)
    store.save_findings(report_id, findings, vers)
    work.rehold(store.db, report_id, lease, settings.lease_seconds)
    counts = relate_safely(store, report_id, record, cap=settings.duplicate_candidates)
    work.complete(store.db, report_id, lease["token"])
    return {"id": report_id, "status": "done", "counts": counts, "rechecked": True}


def _tokens(text: str) -> list[str]:
    from extractors.nlp import tokens

    return sorted({t for t in tokens(text) if t.strip()})


def relate_safely(store: Store, report_id: str, mine: dict, saved: dict | None = None,
                  cap: int | None = None, held: bool = False) -> dict:
    """``relate_report``; an error in the relating code (not a transient one) leaves the
    report done with its own findings, logged, instead of stopping the whole ingest."""
    try:
        return relate_report(store, report_id, mine, saved, cap, held)
    except (TimeoutError, *TRANSIENT_ERRORS):  # still pending: a re-run relates it
        raise
    except Exception:
        log.exception("relating report %s to the stored reports failed", report_id)
        return store.refresh_counts([report_id]).get(report_id, {})


def relate_report(store: Store, report_id: str, mine: dict | None = None,
                  saved: dict | None = None, cap: int | None = None,
                  held: bool = False) -> dict:
    """Relate a freshly stored report to the stored ones and return its counts.

    Under leases on its body and its year (so that two workers never relate the same
    reports at once): recognise the renderings among the done reports of its body and
    year, drop what renderings no longer hold, and run the cross-year and near-duplicate
    checks of the reports that are not renderings.  ``mine``: the report's record with
    its text, when the caller has it (saves reading it back).  ``saved``: the counts
    ``save_result`` stored for a fresh report (its first processing: nothing about it is
    stored yet, so there is nothing to drop, and its counts need no recount unless a
    related finding was written on it).  ``cap``: near-duplicate candidates compared per
    report (default: the ``duplicate_candidates`` setting).  ``held``: the caller holds
    the leases on the body and year already (a batch of reports, worker/batch.py)."""
    from extractors.related import renderings

    fresh = saved is not None and mine is not None
    if fresh:
        body_key, year = mine.get("body_key"), (mine.get("report") or {}).get("year")
    else:
        doc = store.report(report_id) or {}
        body_key, year = doc.get("body_key"), doc.get("year")
    if not body_key or not year:
        return saved if fresh else store.refresh_counts([report_id]).get(report_id, {})
    with nullcontext() if held else store.locked(relate_locks(body_key, year)):
        ids = store.same_body_year(body_key, year)
        stored = store.records_for_relating([rid for rid in ids if not (mine and rid == report_id)])
        group = [r for r in (mine if mine and rid == report_id else stored.get(rid)
                             for rid in ids) if r is not None]
        roles = renderings(group)
        # a newcomer changes no other member's role when it arrived last; those whose role
        # it leaves as it was are in none of its pairs (same body and year): not related
        # again (at 50,000 stored, group members related again cost 1.1-1.5 relates a report)
        was = store.renderings_of([r for r in roles if r != report_id]) if fresh else {}
        changed = {rid for rid, of in roles.items()
                   if not fresh or rid == report_id or rid not in was or was[rid] != of}
        if fresh and roles == {report_id: None}:  # alone, as save_result stored it
            touched: set[str] = set()
        else:
            touched = store.drop_related(
                [rid for rid in store.set_renderings(roles) if rid in changed]) | {report_id}
            left_pools(store, [r for r in group if roles.get(r["id"]) and r["id"] in changed])
        for record in group:
            if roles.get(record["id"]) is None and record["id"] in changed:
                new = fresh and record["id"] == report_id
                touched |= run_cross_year(store, record["id"], record, fresh=new)
                touched |= run_duplicates(store, record["id"], record, fresh=new, cap=cap)
        if fresh and not touched:
            return saved
        return store.refresh_counts(touched | {report_id}).get(report_id, {})


def relate_locks(body_key: str, year: int) -> list[str]:
    """The leases held while a report of this body and year is related."""
    return [f"body:{body_key}", f"year:{year}"]


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
