"""Corpus statistics for researchers: standard MongoDB aggregation over the stored reports,
findings, claims and tables (the only module of the research statistics that knows
MongoDB; web/routes_stats.py and gongkai/cli_stats.py call these functions).

Every statistic counts a report once: only *canonical* documents enter (``canonical:
true``, storage/research.py: a done report that is no other report's rendering, and the
cells, claims and findings derived from it), so each query starts on the research
indexes, which all begin with ``canonical``.  Each returns
``{"stat", "filter", "columns", "rows"}`` with flat rows, so the same value is the JSON
answer, the CSV (one row per row) and the data of the dashboard's plots.

The embedded server's one aggregation gap (a ``$field.sub`` path over an array of
sub-documents yields ``{}``) is avoided by reading the flat ``cells`` collection (one
document per cell) and flat item fields; ``report.*`` paths go into a sub-document.  Quantiles
and histogram bins are computed here from the grouped values (``$percentile`` is
MongoDB 7 only), by the standard library's :func:`statistics.quantiles`.
"""
from __future__ import annotations

import bisect
import math
import re
import statistics
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from pymongo.database import Database

PROSE_CODES = ("PROSE.FIGURE", "PROSE.IN_FORCE", "PROSE.STATEMENT", "PROSE.RATE")
TIME_CODE = "TIME.DEADLINE"
TIME_FROM_RULES = 7  # the rule-set version that added TIME.DEADLINE
DIMENSIONS = {"year": "$year", "region": "$report.region", "level": "$report.level",
              "template": "$report.template"}
NUMBER_STATES = ("number", "zero")


@dataclass(frozen=True)
class StatsFilter:
    """What every statistic can be narrowed to (already validated by the caller)."""

    year_from: int | None = None
    year_to: int | None = None
    level: str | None = None
    region: str | None = None  # a prefix of the stored region ("江苏", "淮安市")
    template: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


# ------------------------------------------------------------------ matches
def _years(flt: StatsFilter) -> Any:
    """The year condition: an equality for one year, else ``$gte``/``$lt`` (years are
    integers).  Not ``$lte``: the embedded server treats an ``$lte`` bound of an index
    range as exclusive (``{year: {$gte: 2021, $lte: 2021}}`` over an index on
    (canonical, code, year) finds nothing), so the upper bound is always ``$lt``."""
    lo, hi = flt.year_from, flt.year_to
    if lo is not None and lo == hi:
        return lo
    rng = {}
    if lo is not None:
        rng["$gte"] = lo
    if hi is not None:
        rng["$lt"] = hi + 1
    return rng


def _and(*parts: dict) -> dict:
    """The conjunction of filters as one flat document when their fields differ (the
    embedded server plans an index only for a flat filter, never inside ``$and``); equal
    values of one field are merged, anything else goes into ``$and``."""
    merged: dict[str, Any] = {}
    rest: list[dict] = []
    for part in (p for p in parts if p):
        for k, v in part.items():
            if k not in merged:
                merged[k] = v
            elif merged[k] != v:
                rest.append({k: v})
    return {**merged, "$and": rest} if rest else merged


def _matches(match: dict, later: dict | None = None) -> list[dict]:
    """``match`` (and ``later``) as ``$match`` stages whose first the embedded server can
    plan on an index: it does only for equalities and at most one range or ``$in``
    (storage/research_spec.py), so the first stage keeps the equalities and the first
    range, and a second stage holds the other conditions, ``$or``/``$and`` and ``later``
    (conditions no research index has, such as ``versions.rules``).  MongoDB merges
    adjacent ``$match`` stages, so a real server plans them as one."""
    first: dict[str, Any] = {}
    rest: dict[str, Any] = dict(later or {})
    ranged = False
    for k, v in match.items():
        is_op = k.startswith("$") or isinstance(v, dict)
        if k.startswith("$") or (is_op and ranged):
            rest = _and(rest, {k: v})
        else:
            first[k] = v
            ranged = ranged or is_op
    return [{"$match": first}] + ([{"$match": rest}] if rest else [])


def _prefix(text: str) -> dict:
    """Values that start with ``text`` as a range (an index serves it; no regex)."""
    return {"$gte": text, "$lt": text + "\U0010ffff"}


def _scope(regions: list[str] | None, region: str, body: str) -> dict:
    """A region-scoped account sees reports whose region starts with, or whose body name
    contains, one of its regions (the rule of storage/review.py, on these field paths)."""
    if not regions:
        return {}
    alts: list[dict] = []
    for r in regions:
        pat = re.escape(str(r))
        alts += [{region: {"$regex": "^" + pat}}, {body: {"$regex": pat}}]
    return {"$or": alts}


def report_match(flt: StatsFilter, regions: list[str] | None = None) -> dict:
    """The canonical reports a filter selects, on the ``reports`` collection."""
    return _match(flt, regions, "report.")


def item_match(flt: StatsFilter, regions: list[str] | None = None) -> dict:
    """The same filter on a collection of denormalised items (cells, claims, findings:
    flat ``canonical``, ``year``, ``region``, ``level``, ``template``, ``body``)."""
    return _match(flt, regions, "")


def _match(flt: StatsFilter, regions: list[str] | None, at: str) -> dict:
    """``at`` is where the report's fields sit: under ``report.`` or flat."""
    m: dict[str, Any] = {"canonical": True}
    if _years(flt) not in ({}, None):
        m["year"] = _years(flt)
    for name in ("level", "template"):
        if getattr(flt, name):
            m[at + name] = getattr(flt, name)
    if flt.region:
        m[at + "region"] = _prefix(flt.region)
    return _and(m, _scope(regions, at + "region", at + "body"))


def _result(stat: str, flt: StatsFilter, columns: list[str], rows: list[dict], **extra) -> dict:
    return {"stat": stat, "filter": flt.as_dict(), **extra, "columns": columns,
            "rows": [{c: r.get(c) for c in columns} for r in rows]}


def _key(v: Any) -> tuple:
    return (v is None, "" if v is None else v) if not isinstance(v, (int, float)) else (False, v)


# ------------------------------------------------------------------ reports
def reports_by(db: Database, by: Iterable[str], flt: StatsFilter = StatsFilter(),
               regions: list[str] | None = None) -> dict:
    """Canonical reports counted per combination of dimensions (year, region, level,
    template)."""
    dims = list(dict.fromkeys(by))
    unknown = [d for d in dims if d not in DIMENSIONS]
    if not dims or unknown:
        raise ValueError(f"dimensions {unknown or dims} not in {sorted(DIMENSIONS)}")
    rows = db.reports.aggregate([
        *_matches(report_match(flt, regions)),
        {"$group": {"_id": {d: DIMENSIONS[d] for d in dims}, "reports": {"$sum": 1}}}])
    out = [{**{d: (r["_id"] or {}).get(d) for d in dims}, "reports": r["reports"]} for r in rows]
    out.sort(key=lambda r: tuple(_key(r[d]) for d in dims))
    return _result("reports", flt, [*dims, "reports"], out, by=dims)


def _reports_per(db: Database, flt: StatsFilter, regions, dims: list[str],
                 extra: dict | None = None) -> dict[tuple, int]:
    rows = db.reports.aggregate([
        *_matches(report_match(flt, regions), extra),
        {"$group": {"_id": {d: DIMENSIONS[d] for d in dims}, "n": {"$sum": 1}}}])
    return {tuple((r["_id"] or {}).get(d) for d in dims): r["n"] for r in rows}


# ------------------------------------------------------------------ rules
def rule_failures(db: Database, flt: StatsFilter = StatsFilter(),
                  regions: list[str] | None = None, code_prefix: str | None = None) -> dict:
    """Per rule and year: how many canonical reports have a ``fail`` of the rule, a
    ``warn``, either, and the shares of the year's canonical reports."""
    match = item_match(flt, regions)
    if code_prefix:
        match = _and(match, {"code": _prefix(code_prefix)})
    per_report = db.findings.aggregate([
        *_matches(_and(match, {"status": {"$in": ["fail", "warn"]}})),
        {"$group": {"_id": {"code": "$code", "year": "$year", "report": "$report_id"},
                    "fail": {"$max": {"$cond": [{"$eq": ["$status", "fail"]}, 1, 0]}},
                    "warn": {"$max": {"$cond": [{"$eq": ["$status", "warn"]}, 1, 0]}}}},
        {"$group": {"_id": {"code": "$_id.code", "year": "$_id.year"},
                    "fail": {"$sum": "$fail"}, "warn": {"$sum": "$warn"}, "flagged": {"$sum": 1}}}])
    totals = _reports_per(db, flt, regions, ["year"])
    rows = []
    for r in per_report:
        code, year = r["_id"]["code"], r["_id"]["year"]
        n = totals.get((year,), 0)
        rows.append({"code": code, "year": year, "reports": n, "fail": r["fail"],
                     "warn": r["warn"], "flagged": r["flagged"],
                     "fail_share": _share(r["fail"], n), "flagged_share": _share(r["flagged"], n)})
    rows.sort(key=lambda r: (r["code"], _key(r["year"])))
    return _result("rules", flt, ["code", "year", "reports", "fail", "warn", "flagged",
                                  "fail_share", "flagged_share"], rows)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# ------------------------------------------------------------------ prose vs table
def prose_agreement(db: Database, flt: StatsFilter = StatsFilter(),
                    regions: list[str] | None = None, by_level: bool = False) -> dict:
    """Per year (and level): canonical reports whose prose states at least one figure the
    table can check (a verifiable claim), how many of them have a prose-vs-table ``fail``
    or ``warn`` (PROSE.*), and the agreement rate (the share with none)."""
    dims = ["year", "level"] if by_level else ["year"]
    first = {d: {"$first": f"${d}"} for d in dims}
    group = {d: f"${d}" for d in dims}
    match, verifiable = item_match(flt, regions), {"verifiable": True}
    # (canonical, verifiable, year) serves the years alone; with a level, template or region
    # their index does, and ``verifiable`` is checked in the second stage
    checked = db.claims.aggregate([
        *(_matches(_and(match, verifiable)) if set(match) <= {"canonical", "year"}
          else _matches(match, verifiable)),
        {"$group": {"_id": "$report_id", **first, "claims": {"$sum": 1}}},
        {"$group": {"_id": group, "reports": {"$sum": 1}, "claims": {"$sum": "$claims"}}}])
    bad = db.findings.aggregate([
        *_matches(_and(item_match(flt, regions), {"code": {"$in": list(PROSE_CODES)},
                                                  "status": {"$in": ["fail", "warn"]}})),
        {"$group": {"_id": "$report_id", **first, "findings": {"$sum": 1}}},
        {"$group": {"_id": group, "reports": {"$sum": 1}, "findings": {"$sum": "$findings"}}}])
    bad_by = {tuple(r["_id"].get(d) for d in dims): r for r in bad}
    rows = []
    for r in checked:
        k = tuple(r["_id"].get(d) for d in dims)
        b = bad_by.get(k, {})
        n, d = r["reports"], b.get("reports", 0)
        rows.append({**dict(zip(dims, k)), "reports_checked": n, "reports_disagreeing": d,
                     "agreement_rate": _share(n - d, n), "disagreement_rate": _share(d, n),
                     "claims_verifiable": r["claims"], "prose_findings": b.get("findings", 0)})
    rows.sort(key=lambda r: tuple(_key(r[d]) for d in dims))
    return _result("prose", flt, [*dims, "reports_checked", "reports_disagreeing",
                                  "agreement_rate", "disagreement_rate", "claims_verifiable",
                                  "prose_findings"], rows)


# ------------------------------------------------------------------ timeliness
def timeliness(db: Database, flt: StatsFilter = StatsFilter(),
               regions: list[str] | None = None, rules_version: int | None = None) -> dict:
    """Per year: canonical reports evaluated with TIME.DEADLINE, published late (``warn``),
    not assessable (no date, or the body kind would decide), on time (the rest), the
    on-time share of those assessed and the median days late of the late ones."""
    from extractors.rules import load_rules

    current = rules_version or load_rules().version
    evaluated = {"versions.rules": {"$in": [str(v) for v in range(TIME_FROM_RULES, current + 1)]}}
    totals = _reports_per(db, flt, regions, ["year"], evaluated)
    found = db.findings.aggregate([
        *_matches(_and(item_match(flt, regions), {"code": TIME_CODE})),
        {"$group": {"_id": "$report_id", "year": {"$first": "$year"},
                    "status": {"$first": "$status"},
                    "late": {"$first": "$extra.timeliness.days_late"}}},
        {"$group": {"_id": {"year": "$year", "status": "$status"}, "n": {"$sum": 1},
                    "days": {"$push": "$late"}}}])
    per: dict[Any, dict] = {}
    for r in found:
        per.setdefault(r["_id"]["year"], {})[r["_id"]["status"]] = r
    rows = []
    for (year,), n in sorted(totals.items(), key=lambda kv: _key(kv[0][0])):
        got = per.get(year, {})
        late = got.get("warn", {}).get("n", 0)
        open_ = got.get("not_assessable", {}).get("n", 0)
        days = [d for d in got.get("warn", {}).get("days", []) if isinstance(d, (int, float))]
        on_time = n - late - open_
        rows.append({"year": year, "reports": n, "on_time": on_time, "late": late,
                     "not_assessable": open_, "on_time_share": _share(on_time, on_time + late),
                     "median_days_late": statistics.median(days) if days else None})
    return _result("timeliness", flt, ["year", "reports", "on_time", "late", "not_assessable",
                                       "on_time_share", "median_days_late"], rows)


# ------------------------------------------------------------------ a measure's distribution
def measure_cells(measure: str | None, metric: str | None) -> dict[str, tuple[str, ...]]:
    """Template → the ``key@column`` cells whose sum is the measure (config/measures.yaml)
    or the one metric cell in every template."""
    if metric:
        return {"*": (metric,)}
    from extractors.measures import load_measures

    m = load_measures().get(measure or "")
    if m is None:
        raise KeyError(measure)
    return {t: tuple(c) for t, c in m.cells.items() if c}


def measure_values(db: Database, measure: str | None, metric: str | None,
                   flt: StatsFilter, regions: list[str] | None = None) -> list[dict]:
    """One value per canonical report: the sum of its cells of the measure (or its one
    metric cell) when every cell the report's template has for it was printed as a
    number (a blank, a slash or an unread cell leaves the report out)."""
    cells = measure_cells(measure, metric)
    if metric:
        key, _, column = metric.partition("@")
        which: dict[str, Any] = {"key": key, "column": column}
    else:
        which = {"measure": measure}
    known = {"$cond": [{"$in": ["$state", list(NUMBER_STATES)]}, 1, 0]}
    rows = db.cells.aggregate([
        *_matches(_and({"canonical": True, **which}, item_match(flt, regions))),
        {"$group": {"_id": "$report_id", "template": {"$first": "$template"},
                    "year": {"$first": "$year"}, "level": {"$first": "$level"},
                    "value": {"$sum": {"$cond": [{"$in": ["$state", list(NUMBER_STATES)]},
                                                 "$value", 0]}},
                    "known": {"$sum": known}, "cells": {"$sum": 1}}}])
    out = []
    for r in rows:
        need = len(cells.get("*") or cells.get(r.get("template"), ()))
        if need and r["known"] == r["cells"] == need:
            out.append({"report_id": r["_id"], "year": r.get("year"), "level": r.get("level"),
                        "value": r["value"]})
    return out


def distribution(db: Database, measure: str | None = None, metric: str | None = None,
                 flt: StatsFilter = StatsFilter(), regions: list[str] | None = None,
                 bins: int = 10, by: Iterable[str] = ("level", "year")) -> dict:
    """A measure's (or one cell's) distribution per level and year: count, min, quartiles,
    max, mean, and a histogram over bins shared by every group (equal width from 0 to the
    largest value; ``log`` bins when the values span more than three orders)."""
    dims = [d for d in by if d in ("level", "year")]
    values = measure_values(db, measure, metric, flt, regions)
    edges = _edges([v["value"] for v in values], bins)
    groups: dict[tuple, list[float]] = {}
    for v in values:
        groups.setdefault(tuple(v[d] for d in dims), []).append(float(v["value"]))
    labels = [f"{_num(a)}-{_num(b)}" for a, b in zip(edges, edges[1:])]
    rows = []
    for k in sorted(groups, key=lambda k: tuple(_key(x) for x in k)):
        xs = sorted(groups[k])
        rows.append({**dict(zip(dims, k)), **_summary(xs), **dict(zip(labels, _hist(xs, edges)))})
    cols = [*dims, "n", "min", "p25", "median", "p75", "max", "mean", *labels]
    return _result("distribution", flt, cols, rows, measure=measure, metric=metric,
                   bins=[_num(e) for e in edges], by=dims)


def _summary(xs: list[float]) -> dict:
    q = statistics.quantiles(xs, n=4, method="inclusive") if len(xs) > 1 else [xs[0]] * 3
    return {"n": len(xs), "min": _num(xs[0]), "p25": _num(q[0]), "median": _num(q[1]),
            "p75": _num(q[2]), "max": _num(xs[-1]), "mean": _num(statistics.fmean(xs))}


def _edges(values: list[float], bins: int) -> list[float]:
    if not values:
        return []
    hi = max(float(max(values)), 1.0)
    lo = min(0.0, float(min(values)))
    if lo >= 0 and hi / max(min((v for v in values if v > 0), default=1.0), 1.0) > 1000:
        top = math.ceil(math.log10(hi))  # decades 0, 1, 10, 100, ...
        return [0.0] + [10.0 ** i for i in range(top + 1)]
    step = _nice((hi - lo) / bins)
    n = max(1, math.ceil((hi - lo) / step))
    return [lo + step * i for i in range(n + 1)]


def _nice(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above ``x`` (readable bin widths)."""
    k = 10 ** math.floor(math.log10(x)) if x > 0 else 1
    return next(m * k for m in (1, 2, 2.5, 5, 10) if m * k >= x)


def _hist(xs: list[float], edges: list[float]) -> list[int]:
    counts = [0] * (len(edges) - 1)
    for x in xs:
        i = min(max(bisect.bisect_right(edges, x) - 1, 0), len(counts) - 1)
        counts[i] += 1
    return counts


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 2)


# ------------------------------------------------------------------ one entry point
NAMES = ("reports", "rules", "prose", "timeliness", "distribution")


def run(db: Database, name: str, flt: StatsFilter = StatsFilter(),
        regions: list[str] | None = None, **options: Any) -> dict:
    """The statistic ``name`` (one of :data:`NAMES`) with its own options:
    reports ``by``; rules ``code_prefix``; prose ``by_level``; distribution ``measure`` or
    ``metric``, ``bins``, ``by``."""
    opts = {k: v for k, v in options.items() if v is not None}
    if name == "reports":
        return reports_by(db, opts.get("by") or ["year"], flt, regions)
    if name == "rules":
        return rule_failures(db, flt, regions, code_prefix=opts.get("code_prefix"))
    if name == "prose":
        return prose_agreement(db, flt, regions, by_level=bool(opts.get("by_level")))
    if name == "timeliness":
        return timeliness(db, flt, regions)
    if name == "distribution":
        return distribution(db, opts.get("measure"), opts.get("metric"), flt, regions,
                            bins=int(opts.get("bins") or 10),
                            by=opts.get("by") or ("level", "year"))
    raise ValueError(f"no statistic {name!r}: one of {', '.join(NAMES)}")
