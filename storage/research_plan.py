"""How a research query is put to the server (storage/research.py builds the filter):
the keyset conditions of the pages after a cursor, one query a year for a year range
sorted by year, and the split of a filter into what one index serves and what is
checked after it.  The only MongoDB here is ``find`` and ``aggregate``.

The embedded server (SecantusDB) plans a filter on an index only when the filter's
equalities are the index's leading keys (in any order) followed by at most one range or
``$in``; any other filter, even one whose every field is indexed, is answered by a
collection scan or a walk of the whole ``canonical`` prefix (issue 10: a text search
within a claim kind, 16.7 s a page at 20,000 reports).  It also fetches, filters and sorts every
document a query selects before it applies the limit, so a page costs what its query
selects, not what it shows.  So:

- :func:`after`: MongoDB has no row-value comparison and the embedded server plans
  ``$or`` as a collection scan, so the "after (v, id)" condition is run as up to three
  index-friendly queries (same value with a larger id; larger values; nulls, which sort
  first ascending and last descending).
- :func:`by_year`: a year range sorted by year becomes one query a year, in the sort's
  order, so a first page reads one year's rows.
- :func:`plan`: a filter no index serves as a whole is split into the largest part
  that one index serves (a first ``$match``) and the rest (a second ``$match``); several
  text words keep one word in the first part (the longest: a longer jieba token is
  usually the rarer, so fewer rows to check) and the others in the second.  MongoDB merges adjacent
  ``$match`` stages, so a real server plans them as one; the rows are the same.
"""
from __future__ import annotations

from typing import Any

from storage.research_spec import Spec

_NOTHING = {"$in": []}  # a condition no value meets
_TESTS = {"$gt": lambda a, b: a > b, "$gte": lambda a, b: a >= b,
          "$lt": lambda a, b: a < b, "$lte": lambda a, b: a <= b,
          "$eq": lambda a, b: a == b, "$ne": lambda a, b: a != b,
          "$in": lambda a, b: a in b, "$all": lambda a, b: False}


def _holds(value: Any, ops: dict) -> bool:
    """Whether ``value`` meets every operator of ``ops`` (MongoDB compares within a type)."""
    try:
        return all(_TESTS[op](value, v) for op, v in ops.items())
    except (TypeError, KeyError):
        return False


def _is_ops(cond: Any) -> bool:
    return isinstance(cond, dict) and bool(cond) and all(str(k).startswith("$") for k in cond)


def _merge(f: dict, path: str, cond: Any) -> dict:
    """``f`` with ``cond`` (a value or an operator dict) also required of ``path``.

    An equality stays a plain equality when the filter allows its value (the embedded
    server plans an equality inside a range as a collection scan), and becomes a
    condition nobody meets when it does not (a cursor cannot widen its query)."""
    out = dict(f)
    if path not in out:
        out[path] = cond
        return out
    have = out[path] if _is_ops(out[path]) else {"$eq": out[path]}
    merged = dict(have)
    for op, v in (cond.items() if _is_ops(cond) else [("$eq", cond)]):
        if op in merged and op in ("$gt", "$gte"):
            merged[op] = max(merged[op], v)
        elif op in merged and op in ("$lt", "$lte"):
            merged[op] = min(merged[op], v)
        elif op == "$eq" and "$eq" in merged and merged["$eq"] != v:
            merged = dict(_NOTHING)
            break
        else:
            merged[op] = v
    if "$eq" in merged:
        value = merged.pop("$eq")
        merged = value if _holds(value, merged) else dict(_NOTHING)
    out[path] = merged
    return out


def after(f: dict, path: str, desc: bool, value: Any, row_id: Any) -> list[dict]:
    """The queries that together return the rows after (value, row_id), in order."""
    idop = "$lt" if desc else "$gt"
    same = _merge(_merge(f, path, value), "_id", {idop: row_id})
    if path == "_id":
        return [_merge(f, "_id", {idop: row_id})]
    if value is None:
        return [same] if desc else [same, _merge(f, path, {"$ne": None})]
    beyond = _merge(f, path, {"$lt" if desc else "$gt": value})
    return [same, beyond, _merge(f, path, None)] if desc else [same, beyond]


def _served(spec: Spec, f: dict) -> bool:
    """Whether the embedded server plans ``f`` on one of the spec's indexes: its
    equalities are an index's leading keys (in any order), then at most one range or
    ``$in`` on the next key."""
    if any(str(k).startswith("$") for k in f):
        return False
    ops = [k for k, v in f.items() if _is_ops(v)]
    if len(ops) > 1 or (ops and not _ranged(f[ops[0]])):
        return False
    eq = set(f) - set(ops)
    return any(set(keys[:len(eq)]) == eq and (not ops or keys[len(eq):len(eq) + 1] == (ops[0],))
               for keys in _indexes(spec))


MAX_YEAR_SPLIT = 15  # at most this many one-year queries for a page (open ranges: one)


def _years(cond: Any) -> range | None:
    """The years of a bounded integer range condition on ``year``; None otherwise."""
    if not _is_ops(cond) or set(cond) - {"$gte", "$gt", "$lt", "$lte"}:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in cond.values()):
        return None
    lows = [cond[k] + (k == "$gt") for k in ("$gte", "$gt") if k in cond]
    highs = [cond[k] + (k == "$lte") for k in ("$lt", "$lte") if k in cond]
    if not lows or not highs:
        return None
    years = range(max(lows), min(highs))
    return years if len(years) <= MAX_YEAR_SPLIT else None


def by_year(spec: Spec, parts: list[dict], path: str, desc: bool) -> list[dict]:
    """The queries of a page sorted by year, a year range made into one query per year
    in the sort's order, when an index serves them by year: the embedded server fetches,
    filters and sorts every document a query selects before it applies the limit, so
    a first page then reads the first year's rows instead of the whole range (the same
    rows in the same order: ``year`` is an integer and the sort is (year, ``_id``))."""
    if path != "year":
        return parts
    out: list[dict] = []
    for part in parts:
        years = _years(part.get("year"))
        split = [{**part, "year": y} for y in (reversed(years) if desc else years)] if years else []
        out += split if split and "year" in plan(spec, split[0])[0] else [part]
    return out


def _indexes(spec: Spec) -> list[tuple[str, ...]]:
    """The spec's indexes as ``research.setup`` creates them (``_id`` last after
    ``canonical``)."""
    return [(*keys, "_id") if keys[0] == "canonical" else keys for keys in spec.indexes]


_RANGE_OPS = {"$eq", "$gt", "$gte", "$lt", "$lte", "$in"}  # what an index bound can be


def _ranged(cond: Any) -> bool:
    return _is_ops(cond) and set(cond) <= _RANGE_OPS


def _served_part(keys: tuple[str, ...], f: dict) -> list[str]:
    """The fields of ``f`` that the index ``keys`` serves: its leading keys that ``f``
    holds as equalities, then at most one that ``f`` holds as a range or ``$in``."""
    used: list[str] = []
    for k in keys:
        if k not in f or (_is_ops(f[k]) and not _ranged(f[k])):
            break
        used.append(k)
        if _is_ops(f[k]):
            break
    return used


def plan(spec: Spec, f: dict) -> tuple[dict, dict]:
    """(the part of ``f`` one index serves, the rest: ``{}`` when ``f`` is served whole).
    Together they select exactly the rows ``f`` selects."""
    if _served(spec, f):
        return f, {}
    rest: dict[str, Any] = {}
    inner = dict(f)
    if set(inner) == {"$and"} and inner["$and"] and isinstance(inner["$and"][0], dict):
        # a region scope (research._scoped): the query's own filter, then the scope
        inner, rest["$and"] = dict(inner["$and"][0]), inner["$and"][1:]
    text = spec.filters.get("text")
    words = inner.get(text) if text else None
    if isinstance(words, dict) and set(words) == {"$all"} and words["$all"]:
        first = max(words["$all"], key=lambda w: (len(w), w))
        inner[text] = first
        others = [w for w in words["$all"] if w != first]
        if others:
            rest[text] = {"$all": others}
    best = max((_served_part(keys, inner) for keys in _indexes(spec)), key=len, default=[])
    if not best or any(str(k).startswith("$") for k in inner):
        return f, {}
    served = {k: inner[k] for k in best}
    rest.update({k: v for k, v in inner.items() if k not in served})
    if text in rest and text not in served:  # the word kept back goes with the others
        rest[text] = words
    return served, rest


def _pipeline(served: dict, rest: dict, proj: dict, sort: list, limit: int = 0) -> list[dict]:
    stages = [{"$match": served}, {"$match": rest}, {"$sort": dict(sort)}]
    return stages + ([{"$limit": limit}] if limit else []) + [{"$project": proj}]


def fetch(coll, spec: Spec, f: dict, proj: dict, sort: list, limit: int) -> list[dict]:
    """The first ``limit`` rows of ``f`` in ``sort`` order (one ``find``, or an
    ``aggregate`` of the two parts when no index serves ``f`` whole)."""
    served, rest = plan(spec, f)
    if not rest:
        return list(coll.find(f, proj).sort(sort).limit(limit))
    return list(coll.aggregate(_pipeline(served, rest, proj, sort, limit)))


def fetch_cursor(coll, spec: Spec, f: dict, proj: dict, sort: list, batch: int):
    """A cursor over every row of ``f`` in ``sort`` order (for exports)."""
    served, rest = plan(spec, f)
    if not rest:
        return coll.find(f, proj).sort(sort).batch_size(batch)
    return coll.aggregate(_pipeline(served, rest, proj, sort), batchSize=batch)


def explain_part(coll, spec: Spec, f: dict, sort: list, limit: int) -> dict:
    """The server's plan of :func:`fetch`'s query (``queryPlanner`` and, for a ``find``,
    ``executionStats``)."""
    served, rest = plan(spec, f)
    if not rest:
        return coll.find(f).sort(sort).limit(limit).explain()
    return coll.database.command("aggregate", coll.name, explain=True,
                                 pipeline=_pipeline(served, rest, {"_id": 1}, sort, limit))
