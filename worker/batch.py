"""A batch of reports for one process of the local pool (``gongkai ingest`` without a
broker): its reports are leased together, analysed one after another, then saved,
related and completed with a few writes per collection for the whole batch
(storage/bulk.py) instead of a few dozen round trips per report.

Same outcome as ``process_report`` one by one: the same conditions to take a report, the
same documents stored, relating by the same functions (``relate_safely``), ``done`` with
``pending: ["relate"]`` between the save and the end of relating, fencing by the lease's
token (one for the batch), the same failure statuses and the same per-document time and
memory limits.  A report that is not a plain analysis (nothing to do, a pending relating
step, a rule-set-only recheck, lost to another taker) goes to ``process_report``.

The pool's processes each run whole batches (two clients keep the embedded server busy
while the other analyses); the ingest process only hands out batches of ids.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from config.settings import Settings
from storage import bulk, work
from storage.store import ITEM_COLLECTIONS, Store, is_fresh, is_input_failure
from worker import process


def process_batch(ids: list[str], force: bool, settings: Settings) -> list[dict]:
    """Process ``ids`` as one batch in this process; every report's result."""
    return Batch(process.get_store(settings), ids, force, settings).run()


class Batch:
    """Reports leased together under one token, then analysed, saved, related, completed."""

    def __init__(self, store: Store, ids: list[str], force: bool, settings: Settings) -> None:
        from extractors.pipeline import versions

        self.store, self.ids, self.force, self.settings = store, list(ids), force, settings
        self.vers = versions()
        self.results: list[dict] = []
        self.taken: dict[str, dict] = {}

    def run(self) -> list[dict]:
        store, settings = self.store, self.settings
        docs = {d["_id"]: d for d in store.db.reports.find({"_id": {"$in": self.ids}})}
        plain = [docs[rid] for rid in self.ids if rid in docs and self._plain(docs[rid])]
        before = {d["_id"]: {k: v for k, v in d.items() if k != "lease"} for d in plain}
        taken = bulk.take_many(store.db, plain, self.vers, uuid.uuid4().hex,
                               settings.lease_seconds, self.force)
        self.taken = {d["_id"]: d for d in taken}
        if self.force:
            bulk.reset_attempts(store.db, list(self.taken))
        for rid in self.ids:
            if rid not in self.taken:
                self.results.append(process.process_report(rid, force=self.force,
                                                           settings=settings))
        if not taken:
            return self.results
        token = taken[0]["lease"]["token"]
        try:
            with bulk.Heartbeat(store.db, list(self.taken), token, settings.lease_seconds):
                analysed = self._analyse()
                self._save_and_relate(analysed, before, token)
        except BaseException:  # Ctrl-C, a transient error: give back what is still held
            _release_quietly(store, list(self.taken), token)
            raise
        return self.results

    def _plain(self, doc: dict) -> bool:
        """Takeable, for a plain analysis (else ``process_report`` decides)."""
        if not work._takeable(doc, self.vers, datetime.now(timezone.utc), self.force):
            return False
        return self.force or doc.get("status") != "done" or not process.only_rules_changed(
            doc.get("versions") or {}, self.vers)

    def _analyse(self) -> list[dict]:
        """Analyse each taken report within its limits; fail those that fail."""
        store, settings = self.store, self.settings
        todo = []
        for rid, doc in self.taken.items():
            if not self.force and doc.get("attempts", 1) > settings.max_attempts:
                self._fail(rid, process._attempts_error(doc, settings))
            elif is_input_failure(doc.get("error")):  # bad input stays failed
                self._fail(rid, doc["error"])
            else:
                todo.append(rid)
        raws = bulk.get_raws(store, todo)  # one round trip; GridFS ones read one by one
        out = []
        for rid in todo:
            raw = raws.get(rid)
            analysis, error = process.analyse_document(
                (lambda raw=raw: raw) if raw is not None else (lambda rid=rid: store.get_raw(rid)),
                rid, self.taken[rid], settings, True)
            if error is not None:
                self._fail(rid, error)
                continue
            record = analysis.record  # type: ignore[attr-defined]
            tokens: dict[str, list[str]] = {}
            for name in ITEM_COLLECTIONS:
                for item in record[name]:
                    text = item.get("text", "")
                    if text not in tokens:
                        tokens[text] = process._tokens(text)
            out.append({"id": rid, "record": record, "text": analysis.text,  # type: ignore[attr-defined]
                        "tokens": tokens})
        return out

    def _fail(self, rid: str, error: dict) -> None:
        self.results.append(process._fail(self.store, rid, self.taken[rid]["lease"], error,
                                          self.vers))

    def _save_and_relate(self, analysed: list[dict], before: dict[str, dict], token: str) -> None:
        store, settings, db = self.store, self.settings, self.store.db
        ours = bulk.mark_pending(db, [o["id"] for o in analysed], token)
        self.results += [process._fenced(o["id"]) for o in analysed if o["id"] not in ours]
        analysed = [o for o in analysed if o["id"] in ours]
        fresh = {o["id"] for o in analysed if is_fresh(before[o["id"]], self.taken[o["id"]])}
        saved = bulk.save_fresh(store, [
            bulk.Saved(o["id"], o["record"], o["text"], o["tokens"].__getitem__,
                       not before[o["id"]].get("rendering_of"))
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
        with store.locked(names):  # the leases of the whole batch, taken once
            for o in analysed:
                mine = {**o["record"], "id": o["id"], "text": o["text"]}
                counts[o["id"]] = process.relate_safely(
                    store, o["id"], mine, saved.get(o["id"]), cap=settings.duplicate_candidates,
                    held=True)
        bulk.complete(db, [o["id"] for o in analysed], token)
        self.results += [{"id": o["id"], "status": "done", "counts": counts[o["id"]],
                          "template": o["record"]["report"].get("template")} for o in analysed]


def _release_quietly(store: Store, ids: list[str], token: str) -> None:
    """``work.release`` of every report of the batch still held under ``token``."""
    try:
        bulk.release(store.db, ids, token)
    except Exception:  # the store is away: the leases expire and the sweep takes them
        process.log.warning("a batch of %d reports: could not release its leases", len(ids))
