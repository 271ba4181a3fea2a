"""A batch of reports for the local pool (``gongkai ingest`` without a broker): the pool's
processes only analyse (CPU); the ingest process takes the batch's leases, saves the
results and relates them with a few writes per collection for the whole batch
(storage/bulk.py) instead of a few dozen round trips per report.

Same outcome as ``process_report`` one by one: the same conditions to take a report, the
same documents stored, relating by the same functions (``relate_safely``), ``done`` with
``pending: ["relate"]`` between the save and the end of relating, fencing by the lease's
token, the same failure statuses.  A report that is not a plain analysis (nothing to do,
a pending relating step, a rule-set-only recheck, lost to another taker) is sent to
``process_report`` in the pool as before.
"""
from __future__ import annotations

import uuid
from concurrent.futures import Future, as_completed
from typing import Callable

from config.settings import Settings
from storage import bulk, work
from storage.store import ITEM_COLLECTIONS, Store, is_fresh, is_input_failure
from worker import process

TAKE_FIELDS = ("sources", "filename")  # what the analysis reads of the report document


def analyse_task(report_id: str, raw: bytes | None, doc: dict, settings: Settings) -> dict:
    """In a pool process: analyse one report (its raw bytes read by the batch, or here
    when they are not inline) and tokenize its items."""
    store_raw = (lambda: raw) if raw is not None else (
        lambda: process.get_store(settings).get_raw(report_id))
    analysis, error = process.analyse_document(store_raw, report_id, doc, settings, True)
    if error is not None:
        return {"id": report_id, "analysed": True, "error": error}
    record = analysis.record  # type: ignore[attr-defined]
    tokens: dict[str, list[str]] = {}
    for name in ITEM_COLLECTIONS:
        for item in record[name]:
            text = item.get("text", "")
            if text not in tokens:
                tokens[text] = process._tokens(text)
    return {"id": report_id, "analysed": True, "record": record,
            "text": analysis.text, "tokens": tokens}  # type: ignore[attr-defined]


def process_task(report_id: str, force: bool, settings: Settings) -> dict:
    """In a pool process: one report the whole way (``process_report``)."""
    return process.process_report(report_id, force=force, settings=settings)


class Batch:
    """Reports leased together; ``start`` sends their analyses to the pool, ``finish``
    saves, relates and completes them and returns every report's result."""

    def __init__(self, store: Store, ids: list[str], force: bool, settings: Settings) -> None:
        self.store, self.ids, self.force, self.settings = store, list(ids), force, settings
        self.results: list[dict] = []
        self.before: dict[str, dict] = {}
        self.taken: dict[str, dict] = {}
        self.futures: list[Future] = []
        self.beat: bulk.Heartbeat | None = None
        self.token = ""

    def start(self, pool) -> "Batch":
        from extractors.pipeline import versions

        store, settings, vers = self.store, self.settings, versions()
        self.vers = vers
        docs = {d["_id"]: d for d in store.db.reports.find({"_id": {"$in": self.ids}})}
        plain = [d for d in docs.values() if not self._not_plain(d)]
        self.before = {d["_id"]: {k: v for k, v in d.items() if k != "lease"} for d in plain}
        taken = bulk.take_many(store.db, plain, vers, uuid.uuid4().hex, settings.lease_seconds,
                               self.force)
        self.taken = {d["_id"]: d for d in taken}
        if taken:
            self.token = taken[0]["lease"]["token"]
            self.beat = bulk.Heartbeat(store.db, list(self.taken), self.token,
                                       settings.lease_seconds).__enter__()
        if self.force:
            bulk.reset_attempts(store.db, list(self.taken))
        for rid in [r for r in self.ids if r not in self.taken]:
            self.futures.append(pool.submit(process_task, rid, self.force, settings))
        analyse = []
        for rid, doc in self.taken.items():
            if not self.force and doc.get("attempts", 1) > settings.max_attempts:
                self._fail(rid, process._attempts_error(doc, settings))
            elif is_input_failure(doc.get("error")):  # bad input stays failed, with its reason
                self._fail(rid, doc["error"])
            else:
                analyse.append(rid)
        raws = bulk.get_raws(store, analyse)
        for rid in analyse:
            doc = {k: self.taken[rid].get(k) for k in TAKE_FIELDS}
            self.futures.append(pool.submit(analyse_task, rid, raws.get(rid), doc, settings))
        return self

    def _not_plain(self, doc: dict) -> bool:
        """Nothing to take, or not a plain analysis: ``process_report`` decides."""
        from datetime import datetime, timezone

        if not work._takeable(doc, self.vers, datetime.now(timezone.utc), self.force):
            return True
        return not self.force and doc.get("status") == "done" and process.only_rules_changed(
            doc.get("versions") or {}, self.vers)

    def _fail(self, rid: str, error: dict) -> None:
        self.results.append(process._fail(self.store, rid, self.taken[rid]["lease"], error,
                                          self.vers))

    def finish(self, progress: Callable[[dict], None]) -> None:
        try:
            analysed = []
            for future in as_completed(self.futures):
                out = future.result()
                if not out.get("analysed"):
                    progress(out)  # process_report's own result
                elif "error" in out:
                    self._fail(out["id"], out["error"])
                else:
                    analysed.append(out)
            order = {rid: i for i, rid in enumerate(self.ids)}
            analysed.sort(key=lambda o: order[o["id"]])
            self._save_and_relate(analysed)
        finally:
            if self.beat is not None:
                self.beat.__exit__(None, None, None)
        for result in self.results:
            progress(result)

    def _save_and_relate(self, analysed: list[dict]) -> None:
        store, settings, db = self.store, self.settings, self.store.db
        ours = bulk.mark_pending(db, [o["id"] for o in analysed], self.token)
        self.results += [process._fenced(o["id"]) for o in analysed if o["id"] not in ours]
        analysed = [o for o in analysed if o["id"] in ours]
        fresh = {o["id"] for o in analysed if is_fresh(self.before[o["id"]], self.taken[o["id"]])}
        saved = bulk.save_fresh(store, [
            bulk.Saved(o["id"], o["record"], o["text"], o["tokens"].__getitem__,
                       not self.before[o["id"]].get("rendering_of"))
            for o in analysed if o["id"] in fresh])
        for o in analysed:
            if o["id"] not in fresh:
                store.save_result(o["id"], o["record"], o["text"], o["tokens"].__getitem__)
                work.rehold(db, o["id"], self.taken[o["id"]]["lease"], settings.lease_seconds)
        names = sorted({name for o in analysed
                        if o["record"].get("body_key") and o["record"]["report"].get("year")
                        for name in process.relate_locks(o["record"]["body_key"],
                                                         o["record"]["report"]["year"])})
        counts = {}
        with store.locked(names):
            for o in analysed:
                mine = {**o["record"], "id": o["id"], "text": o["text"]}
                counts[o["id"]] = process.relate_safely(
                    store, o["id"], mine, saved.get(o["id"]), cap=settings.duplicate_candidates,
                    held=True)
        bulk.complete(db, [o["id"] for o in analysed], self.token)
        self.results += [{"id": o["id"], "status": "done", "counts": counts[o["id"]],
                          "template": o["record"]["report"].get("template")} for o in analysed]
