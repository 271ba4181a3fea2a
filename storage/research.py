"""The researchers' query layer over the stored reports, cells, claims, commitments and
findings: typed filters, field selection, sorting, keyset pagination with opaque
cursors, streamed exports (the only code of the research API that knows MongoDB).

- Filters arrive as a :class:`~storage.research_params.ResearchQuery` (pydantic, every
  value typed and bounded); this module turns them into equalities, ``$in`` lists of
  validated values and ranges, so no request value can become an operator.
- Counted once: research queries see only *canonical* documents (``canonical: True``):
  a done report that is no other report's rendering (storage/related.py decides
  renderings: the same body and year, equal cells or near-identical text), and what is
  derived from it.  ``renderings=True`` lifts that.  ``canonical`` is written with the
  items (:func:`canonical_of`) and kept current by :func:`mark_canonical` whenever
  renderings are decided or a report fails.
- Pages: keyset on (sort key, ``_id``), so a page never repeats or skips a row when
  documents are inserted meanwhile.  The cursor is base64url JSON of the last row's
  sort value and id plus a fingerprint of the filter; anything else is refused
  (:class:`CursorError`).  How a page's queries are put to the server (the "after
  (v, id)" condition as up to three index-friendly queries, a year range one year at a
  time, a filter no index serves whole split into an indexed ``$match`` and the rest) is
  storage/research_plan.py.

Hand-written: keyset pagination over MongoDB is a few lines that no maintained library
offers for PyMongo without an ORM.
"""
from __future__ import annotations

import math

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database

from storage.research_params import MAX_EXPORT, ResearchQuery
from storage.research_plan import after, by_year, explain_part, fetch, fetch_cursor
from storage.research_spec import COLLECTIONS, SPECS, Spec

ITEMS = ("cells", "claims", "commitments", "findings")
_HIGH = "\U0010ffff"  # sorts after every character: the end of a prefix range


class CursorError(ValueError):
    """A cursor that this server did not make for this query."""


class ExportTooLarge(ValueError):
    """More rows than the export limit: narrow the filter."""


# --------------------------------------------------------------------------- set-up, writes
def indexes() -> list[tuple[str, list[tuple[str, int]]]]:
    """The research indexes, (collection, keys), that ``Store.setup`` creates: each spec
    index with ``_id`` last, so that the keyset conditions stay inside the index."""
    out = []
    for name, spec in SPECS.items():
        for keys in spec.indexes:
            fields = [(k, ASCENDING) for k in keys]
            if keys[0] == "canonical":
                fields.append(("_id", ASCENDING))
            out.append((name, fields))
    return out


def canonical_of(db: Database, report_id: str) -> bool:
    """Whether a report that is being stored counts as itself (not a rendering)."""
    doc = db.reports.find_one({"_id": report_id}, {"rendering_of": 1})
    return not (doc or {}).get("rendering_of")


def save_cells(db: Database, report_id: str, cells: list[dict], base: dict,
               fresh: bool = False) -> None:
    """The report's table cells as one document each (``_id`` = report id : ordinal);
    ``fresh``: its first processing, nothing stored to delete."""
    if not fresh:
        db.cells.delete_many({"report_id": report_id})
    docs = cell_docs(report_id, cells, base)
    if docs:
        db.cells.insert_many(docs, ordered=False)


def cell_docs(report_id: str, cells: list[dict], base: dict) -> list[dict]:
    """The ``cells`` documents of a report's table."""
    return [{**base, **c, "_id": f"{report_id}:{i:04d}", "i": i} for i, c in enumerate(cells)]


def describe_findings(db: Database, report_id: str, docs: list[dict]) -> None:
    """Give findings about to be stored the measures and topics of their cells and, when the
    caller did not say (cross-year and near-duplicate findings), ``canonical``."""
    from extractors.measures import measure_of, topic_of

    canonical = None
    for d in docs:
        template = d.get("template")
        cells = [c for c in d.get("cells") or () if isinstance(c, dict)]
        found = {measure_of(c.get("key"), c.get("column"), template) for c in cells}
        d["measures"] = sorted(m for m in found if m)
        d["topics"] = sorted({t for t in (topic_of(c.get("key")) for c in cells) if t})
        if "canonical" not in d:
            canonical = canonical_of(db, report_id) if canonical is None else canonical
            d["canonical"] = canonical


def mark_canonical(db: Database, report_ids: list[str], canonical: bool) -> None:
    """Set ``canonical`` on the reports and everything derived from them."""
    ids = list(report_ids)
    if not ids:
        return
    db.reports.update_many({"_id": {"$in": ids}}, {"$set": {"canonical": canonical}})
    for name in ITEMS:
        db[name].update_many({"report_id": {"$in": ids}}, {"$set": {"canonical": canonical}})


# --------------------------------------------------------------------------- filters
def _prefix_range(prefix: str) -> dict:
    return {"$gte": prefix, "$lt": prefix + _HIGH}


def _one_or_in(values: list) -> Any:
    return values[0] if len(values) == 1 else {"$in": values}


def filter_of(collection: str, q: ResearchQuery, regions: list[str] | None = None) -> dict:
    """The MongoDB filter of a validated query (``q.check_for`` has run)."""
    spec = SPECS[collection]
    f: dict[str, Any] = {} if q.renderings else {"canonical": True}
    p = spec.filters
    for name in ("measure", "topic", "kind", "status", "severity", "state", "template", "level",
                 "scope", "cell_state"):
        values = getattr(q, name)
        if values and name in p:
            f[p[name]] = _one_or_in([str(v) for v in values])
    for name in ("body", "body_key", "metric", "column", "report"):
        value = getattr(q, name)
        if value is not None and name in p:
            f[p[name]] = str(value)
    if q.region is not None:
        f[p["region"]] = _prefix_range(str(q.region))
    if q.code is not None:
        code = str(q.code)
        f[p["code"]] = _prefix_range(code[:-1]) if code.endswith("*") else code
    if q.years is not None:
        lo, hi = q.years
        f[p["year"]] = lo if lo == hi else {"$gte": lo, "$lt": hi + 1}
    # Upper bounds as "$lt" the next value: the embedded server treats "$lte" as exclusive
    # on an index; "$lt" of the next integer / float is the same range on any MongoDB.
    top = None if q.value_max is None else math.nextafter(float(q.value_max), math.inf)
    rng = {k: v for k, v in (("$gte", q.value_min), ("$lt", top)) if v is not None}
    if rng:
        f[p["value"]] = rng
    if q.text_tokens:
        toks = [str(t) for t in q.text_tokens]
        f[p["text"]] = toks[0] if len(toks) == 1 else {"$all": toks}
    return _scoped(spec, f, regions)


def _scoped(spec: Spec, f: dict, regions: list[str] | None) -> dict:
    """A region-scoped account sees rows whose region starts with, or whose body name
    contains, one of its regions (the review app's rule, storage/review.py)."""
    if not regions:
        return f
    import re

    region, body = spec.filters["region"], spec.filters["body"]
    alts: list[dict] = []
    for r in map(str, regions):
        alts += [{region: _prefix_range(r)}, {body: {"$regex": re.escape(r)}}]
    return {"$and": [f, {"$or": alts}]}


# --------------------------------------------------------------------------- cursors
def fingerprint(collection: str, q: ResearchQuery) -> str:
    """What a cursor must belong to: the collection, filters and sort (not the page size
    or the fields shown)."""
    basis = {"c": collection, **q.model_dump(exclude={"cursor", "limit", "fields", "format"})}
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _encode_id(value: Any) -> Any:
    return {"oid": str(value)} if isinstance(value, ObjectId) else value


def _decode_id(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"oid"} and ObjectId.is_valid(value["oid"]):
        return ObjectId(value["oid"])
    if isinstance(value, str) and len(value) <= 200:
        return value
    raise CursorError("the cursor's row id is not valid")


def make_cursor(fp: str, value: Any, row_id: Any) -> str:
    raw = json.dumps({"f": fp, "v": value, "id": _encode_id(row_id)}, ensure_ascii=False,
                     separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def read_cursor(cursor: str, fp: str) -> tuple[Any, Any]:
    """(sort value, row id) of a cursor made for this query; CursorError otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise CursorError("the cursor is not one this API made (not base64 JSON)") from exc
    if not isinstance(data, dict) or set(data) != {"f", "v", "id"}:
        raise CursorError("the cursor is not one this API made (unexpected fields)")
    if data["f"] != fp:
        raise CursorError("the cursor belongs to another query (filters or sort changed); "
                          "start again without a cursor")
    value = data["v"]
    if not (value is None or isinstance(value, (str, int, float, bool))):
        raise CursorError("the cursor's sort value is not valid")
    return value, _decode_id(data["id"])


# --------------------------------------------------------------------------- reading
def _projection(spec: Spec, fields: list[str]) -> dict:
    proj = {"_id": 1}
    for name in fields:
        path = spec.fields[name][0]
        proj[path.split(".0.")[0] if ".0." in path else path] = 1
    return proj


def _get(doc: dict, path: str) -> Any:
    cur: Any = doc
    for part in path.split("."):
        if isinstance(cur, list):
            cur = cur[int(part)] if part.isdigit() and int(part) < len(cur) else None
        elif isinstance(cur, dict):
            cur = cur.get(part)
        else:
            return None
    return cur


def row_of(spec: Spec, doc: dict, fields: list[str]) -> dict:
    out = {}
    for name in fields:
        path = spec.fields[name][0]
        value = doc.get(path) if "." not in path else _get(doc, path)
        out[name] = str(value) if isinstance(value, ObjectId) else value
    return out


def _sort(q: ResearchQuery, spec: Spec) -> tuple[str, bool]:
    name = q.sort or spec.default_sort
    return ("_id" if name == "id" else spec.sorts[name]), q.desc


def page(db: Database, collection: str, q: ResearchQuery,
         regions: list[str] | None = None) -> dict:
    """One page of rows and the cursor of the next (None at the end)."""
    spec = SPECS[collection]
    q.check_for(collection)
    fields = q.fields or list(spec.default_fields)
    base = filter_of(collection, q, regions)
    path, desc = _sort(q, spec)
    fp = fingerprint(collection, q)
    queries = _queries(spec, base, path, desc, q.cursor, fp)
    direction = DESCENDING if desc else ASCENDING
    proj = {**_projection(spec, fields), path: 1}
    sort = [(path, direction), ("_id", direction)]
    docs: list[dict] = []
    for part in queries:
        want = q.limit + 1 - len(docs)
        if want <= 0:
            break
        docs += fetch(db[collection], spec, part, proj, sort, want)
    more = len(docs) > q.limit
    docs = docs[:q.limit]
    nxt = make_cursor(fp, _plain(_get(docs[-1], path)), docs[-1]["_id"]) if more else None
    return {"collection": collection, "items": [row_of(spec, d, fields) for d in docs],
            "next": nxt, "limit": q.limit, "sort": q.sort or spec.default_sort,
            "desc": desc, "fields": fields}


def _queries(spec: Spec, base: dict, path: str, desc: bool, cursor: str | None,
             fp: str) -> list[dict]:
    """The queries, in order, whose rows make one page (after ``cursor``)."""
    parts = [base] if cursor is None else after(base, path, desc, *read_cursor(cursor, fp))
    return by_year(spec, parts, path, desc)


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def export_rows(db: Database, collection: str, q: ResearchQuery,
                regions: list[str] | None = None, max_rows: int = MAX_EXPORT
                ) -> tuple[list[str], Iterator[dict]]:
    """(fields, rows) of every row the query selects, streamed from one cursor; raises
    ExportTooLarge (before anything is read) when more than ``max_rows`` match.

    The limit is checked by a count only when the collection holds more documents than
    the limit (on the embedded server a count costs as much as reading the rows).  The
    cursor is read one batch ahead by a thread (:func:`_read_ahead`), so the server
    prepares the next batch while the caller writes this one."""
    spec = SPECS[collection]
    fields, base, proj, sort = export_query(collection, q, regions)
    limit = min(max_rows, q.export_limit or max_rows)
    coll = db[collection]
    if coll.estimated_document_count() > limit:
        if coll.count_documents(base, limit=limit + 1) > limit:
            raise ExportTooLarge(f"the query selects more than {limit} rows (the export "
                                 "limit); narrow the filter (year, measure, region, ...)")
    cursor = fetch_cursor(coll, spec, base, proj, sort, EXPORT_BATCH)
    return fields, _rows(spec, fields, _read_ahead(cursor, EXPORT_BATCH))


def export_query(collection: str, q: ResearchQuery, regions: list[str] | None = None
                 ) -> tuple[list[str], dict, dict, list]:
    """(fields, filter, projection, sort) of an export's one query."""
    spec = SPECS[collection]
    q.check_for(collection)
    fields = q.fields or list(spec.default_fields)
    path, desc = _sort(q, spec)
    direction = DESCENDING if desc else ASCENDING
    return (fields, filter_of(collection, q, regions), _projection(spec, fields),
            [(path, direction), ("_id", direction)])


EXPORT_BATCH = 5000


def _rows(spec: Spec, fields: list[str], batches: Iterator[list[dict]]) -> Iterator[dict]:
    for batch in batches:
        for d in batch:
            yield row_of(spec, d, fields)


def _read_ahead(cursor, size: int) -> Iterator[list[dict]]:
    """The cursor's documents in lists of ``size``, read by a thread that stays one list
    ahead; the cursor is closed when the caller stops early (a client hung up)."""
    import queue
    import threading

    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            batch: list[dict] = []
            for doc in cursor:
                batch.append(doc)
                if len(batch) >= size:
                    if not put(batch):
                        return
                    batch = []
            put(batch)
            put(done)
        except Exception as exc:  # handed to the caller, raised there
            put(exc)
        finally:
            cursor.close()

    thread = threading.Thread(target=read, name="export-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is done:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def explain(db: Database, collection: str, q: ResearchQuery) -> list[dict]:
    """The server's plans of the queries one page of ``q`` may run (a page stops at the
    first queries that fill it): one without a cursor, two or three after one, a year
    range sorted by year one a year (for the index test)."""
    spec = SPECS[collection]
    q.check_for(collection)
    path, desc = _sort(q, spec)
    queries = _queries(spec, filter_of(collection, q), path, desc, q.cursor,
                       fingerprint(collection, q))
    direction = DESCENDING if desc else ASCENDING
    sort = [(path, direction), ("_id", direction)]
    return [explain_part(db[collection], spec, part, sort, q.limit + 1) for part in queries]


__all__ = [
    "COLLECTIONS",
    "CursorError",
    "ExportTooLarge",
    "canonical_of",
    "describe_findings",
    "explain",
    "export_query",
    "export_rows",
    "filter_of",
    "mark_canonical",
    "page",
    "save_cells",
    "setup",
]
