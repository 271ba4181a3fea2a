"""A report's raw bytes and normalized text: one small document each when they fit (one
round trip) and GridFS chunks when they do not (BSON documents stop at 16 MB), with the
text's shingle fingerprints beside it for the near-duplicate checks of later reports.
The blob half of ``storage.store.Store`` (needs ``self.db``, ``self.raw``, ``self.texts``)."""
from __future__ import annotations

from typing import Any

import gridfs

INLINE_BLOB_BYTES = 8 * 1024 * 1024


def text_doc(report_id: str, text: str) -> dict | None:
    """A report's inline text document: the normalized text and, when both fit, its shingle
    fingerprints (``shingles``, scheme ``fingerprints``), which the near-duplicate checks
    of later reports read instead of tokenizing the text again; None: too large to be
    inline (GridFS, no fingerprints)."""
    from extractors.crossyear import FINGERPRINTS, fingerprint_bytes

    data = text.encode("utf-8")
    if len(data) > INLINE_BLOB_BYTES:
        return None
    doc: dict[str, Any] = {"_id": report_id, "data": data}
    shingles = fingerprint_bytes(text)
    if len(data) + len(shingles) <= INLINE_BLOB_BYTES:
        doc.update(shingles=shingles, fingerprints=FINGERPRINTS)
    return doc


class BlobStore:
    """Raw bytes and texts of ``storage.store.Store``."""

    db: Any
    raw: gridfs.GridFS
    texts: gridfs.GridFS

    def _put_blob(self, name: str, bucket: gridfs.GridFS, key: str, data: bytes) -> None:
        if len(data) <= INLINE_BLOB_BYTES:
            self.db[name].replace_one({"_id": key}, {"_id": key, "data": data}, upsert=True)
            return
        if bucket.exists(key):
            bucket.delete(key)
        bucket.put(data, _id=key)

    def _get_blob(self, name: str, bucket: gridfs.GridFS, key: str) -> bytes | None:
        doc = self.db[name].find_one({"_id": key}, {"data": 1})  # not a text's fingerprints
        if doc is not None:
            return bytes(doc["data"])
        return bucket.get(key).read() if bucket.exists(key) else None

    def get_raw(self, report_id: str) -> bytes:
        data = self._get_blob("raw_inline", self.raw, report_id)
        if data is None:
            raise KeyError(f"no raw bytes stored for report {report_id}")
        return data

    def get_text(self, report_id: str) -> str | None:
        data = self._get_blob("text_inline", self.texts, report_id)
        return None if data is None else data.decode("utf-8")

    def _put_text(self, report_id: str, text: str) -> None:
        doc = text_doc(report_id, text)
        if doc is None:
            self._put_blob("text_inline", self.texts, report_id, text.encode("utf-8"))
        else:
            self.db.text_inline.replace_one({"_id": report_id}, doc, upsert=True)

    def _texts(self, report_ids: list[str], fields: dict) -> tuple[dict[str, dict], dict[str, str]]:
        """The inline text documents of ``report_ids`` with ``fields`` (one round trip)
        and, for those too large to be inline, their GridFS texts."""
        inline = {d["_id"]: d for d in self.db.text_inline.find({"_id": {"$in": list(report_ids)}},
                                                                fields)}
        large = {rid: self.texts.get(rid).read().decode("utf-8") for rid in report_ids
                 if rid not in inline and self.texts.exists(rid)}
        return inline, large

    def get_texts_and_shingles(self, report_ids: list[str]) -> dict[str, tuple[str, Any]]:
        """(text, shingle fingerprints or None) of several reports in one round trip; the
        fingerprints only when stored under the current scheme (see :func:`text_doc`)."""
        from extractors.crossyear import FINGERPRINTS, fingerprints_from

        inline, large = self._texts(report_ids, {"data": 1, "shingles": 1, "fingerprints": 1})
        out = {rid: (text, None) for rid, text in large.items()}
        for rid, d in inline.items():
            fp = (fingerprints_from(bytes(d["shingles"]))
                  if d.get("fingerprints") == FINGERPRINTS and d.get("shingles") is not None else None)
            out[rid] = (bytes(d["data"]).decode("utf-8"), fp)
        return out

    def get_texts(self, report_ids: list[str]) -> dict[str, str]:
        """The normalized texts of several reports in one round trip (GridFS for the
        few too large to be inline), without their stored fingerprints."""
        inline, large = self._texts(report_ids, {"data": 1})
        return {**large, **{rid: bytes(d["data"]).decode("utf-8") for rid, d in inline.items()}}
