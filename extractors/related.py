"""How reports relate to one another: renderings of one report, one body's consecutive
years, and near-duplicates of the same year.

Inputs are ``gongkai check`` records (dicts) with an ``id`` (the content SHA-256) and the
normalized ``text``.  ``gongkai check FILE...`` relates the files it is given with
``relate``, in memory; ingest relates each stored report to its stored neighbours
(worker/process.py, worker/duplicates.py) with the very same pieces (``renderings``,
``crossyear.cross_year``, ``crossyear.similarity_findings``, the near-duplicate pairs
where one report is among the other's best ``cap`` candidates, ranked as
``rank_candidates`` ranks them), so both say the same.

Hand-written: what makes two files one report (same body and year, equal table cells,
similar text) is a few comparisons of our own dicts; no library knows these reports.
The thresholds are data (``renderings`` in config/rules.yaml settings).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from extractors.crossyear import cross_year, jaccard, similarity_findings, text_shingles
from extractors.rules import RuleSet, load_rules

CANDIDATE_LIMIT = 200  # near-duplicate candidates compared per report (~2 ms each), most shared bands first
_DEFAULTS = {"min_cells": 10, "cells_shared": 0.95, "text_floor": 0.5, "text_similarity": 0.85}


def _year(record: dict) -> int | None:
    y = (record.get("report") or {}).get("year")
    return int(y) if y not in (None, "") else None


def _settings(rs: RuleSet) -> dict[str, float]:
    return {**_DEFAULTS, **(rs.settings.get("renderings") or {})}


def _numbers(record: dict) -> dict[tuple[str, str], float]:
    """The table cells that hold a number, by (key, column)."""
    return {(c.get("key"), c.get("column")): float(c["value"])
            for c in (record.get("table") or {}).get("cells") or []
            if c.get("value") is not None}


def _text_similarity(a: dict, b: dict, k: int) -> float:
    return jaccard(text_shingles(a.get("text") or "", k), text_shingles(b.get("text") or "", k))


def same_report(a: dict, b: dict, rules: RuleSet | None = None) -> bool:
    """``a`` and ``b`` are renderings of one report (text and PDF, HTML and PDF, ...):
    the same body and year, and either equal tables (every number both read is equal and
    they read nearly the same cells) with similar text, or, without a table in both,
    near-identical text."""
    if not a.get("body_key") or a.get("body_key") != b.get("body_key"):
        return False
    if _year(a) is None or _year(a) != _year(b):
        return False
    rs = rules or load_rules()
    cfg = _settings(rs)
    k = int(rs.settings.get("similarity_k", 5))
    na, nb = _numbers(a), _numbers(b)
    if min(len(na), len(nb)) >= cfg["min_cells"]:
        shared = na.keys() & nb.keys()
        if any(na[key] != nb[key] for key in shared):
            return False
        if len(shared) < cfg["cells_shared"] * len(na.keys() | nb.keys()):
            return False
        return _text_similarity(a, b, k) >= cfg["text_floor"]
    return _text_similarity(a, b, k) >= cfg["text_similarity"]


def renderings(records: list[dict], rules: RuleSet | None = None) -> dict[str, str | None]:
    """For records in the order they arrived: the id of the report each one is a
    rendering of (the first arrived of its renderings), or None for a report of its own."""
    rs = rules or load_rules()
    primaries: dict[tuple, list[dict]] = defaultdict(list)
    out: dict[str, str | None] = {}
    for rec in records:
        if rec["id"] in out:
            continue
        group = primaries[(rec.get("body_key"), _year(rec))]
        home = next((p for p in group if same_report(p, rec, rs)), None)
        out[rec["id"]] = home["id"] if home else None
        if home is None:
            group.append(rec)
    return out


def rank_key(shared: int, rid: str) -> tuple[int, str]:
    """Sort key of a near-duplicate candidate: most shared bands first, then id (the one
    order ``check`` and ingest rank by, so that both select the same pairs)."""
    return (-shared, rid)


def rank_candidates(lsh: list[str], others: list[dict], limit: int = CANDIDATE_LIMIT) -> list[dict]:
    """The near-duplicate candidates worth the exact check: those sharing a MinHash band
    key with ``lsh``, most shared bands first, ties by id (not by the order the reports
    came in), at most ``limit``.  A pair is checked when one of the two is among the
    other's best ``limit`` (every pair sharing a band, under the cap): a property of the
    reports, not of which of the two was processed first."""
    mine = set(lsh or ())
    shared = [(len(mine & set(o.get("lsh") or ())), str(o.get("id")), o) for o in others]
    shared = [s for s in shared if s[0]]
    shared.sort(key=lambda s: rank_key(s[0], s[1]))
    return [o for _, _, o in shared[:limit]]


def duplicate_pool(record: dict, others: list[dict]) -> list[dict]:
    """Of ``others``, the reports the near-duplicate check compares ``record`` with:
    other bodies' reports of the same year (one body's years are cross-year pairs)."""
    year = _year(record)
    if year is None:
        return []
    return [o for o in others if o["id"] != record["id"] and _year(o) == year
            and o.get("body_key") != record.get("body_key")]


def truncated_mark(cap: int, compared: int) -> dict:
    """``duplicate_check`` of a report with more than ``cap`` near-duplicate candidates
    (stored by ingest, printed by ``check``).

    >>> truncated_mark(5, 5)["status"]
    'truncated'
    """
    return {"status": "truncated", "cap": cap, "compared": compared,
            "message": f"more than {cap} same-year reports of other bodies share a MinHash "
                       f"band with this one; it is compared with the {compared} sharing most "
                       "bands and with those that rank it among theirs (setting "
                       "duplicate_candidates): near-duplicates among the others may be missing"}


def light(record: dict) -> dict:
    """What the similarity checks read (text, sections, source, report): no table."""
    return {**record, "table": {"cells": []}}


def _tagged(findings, scope: str, prev_id: str) -> list[dict[str, Any]]:
    return [{**f.to_dict(), "scope": scope, "prev_report_id": prev_id} for f in findings]


def relate(records: list[dict], rules: RuleSet | None = None,
           cap: int = CANDIDATE_LIMIT) -> dict[str, dict]:
    """What ingest adds to each of ``records`` once all are stored: the renderings it
    recognises, cross-year findings (on the later year) and near-duplicate findings
    (on both reports) of the pairs where one is among the other's ``cap`` candidates
    sharing most bands (what ingest settles to, worker/duplicates.py), and the
    ``duplicate_check`` mark of a report with more candidates (None: every one compared).
    Returns {id: {"rendering_of", "renderings", "findings", "duplicate_check"}}."""
    rs = rules or load_rules()
    roles = renderings(records, rs)
    out = {rid: {"rendering_of": of, "renderings": [], "findings": [], "duplicate_check": None}
           for rid, of in roles.items()}
    for rid, of in roles.items():
        if of:
            out[of]["renderings"].append(rid)
    unique = {r["id"]: r for r in reversed(records)}
    primaries = [unique[rid] for rid, of in roles.items() if of is None]
    _relate_years(primaries, out, rs)
    _relate_duplicates(primaries, out, rs, cap)
    return out


def _relate_years(primaries: list[dict], out: dict[str, dict], rs: RuleSet) -> None:
    by_body: dict[str, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for rec in primaries:
        if rec.get("body_key") and _year(rec):
            by_body[rec["body_key"]][_year(rec)].append(rec)
    for years in by_body.values():
        for year, current in years.items():
            for cur in current:
                for prev in years.get(year - 1, []):
                    out[cur["id"]]["findings"] += _tagged(cross_year(prev, cur, rs),
                                                          "cross_year", prev["id"])


def _relate_duplicates(primaries: list[dict], out: dict[str, dict], rs: RuleSet,
                       cap: int) -> None:
    pairs: list[tuple[dict, dict]] = []
    seen: set[frozenset] = set()
    for rec in primaries:
        ranked = rank_candidates(rec.get("lsh") or [], duplicate_pool(rec, primaries),
                                 limit=cap + 1)
        if len(ranked) > cap:
            out[rec["id"]]["duplicate_check"] = truncated_mark(cap, cap)
        for other in ranked[:cap]:
            key = frozenset((rec["id"], other["id"]))
            if key not in seen:
                seen.add(key)
                pairs.append((rec, other))
    for a, b in pairs:
        la, lb = light(a), light(b)
        out[a["id"]]["findings"] += _tagged(similarity_findings(lb, la, rs), "duplicate", b["id"])
        out[b["id"]]["findings"] += _tagged(similarity_findings(la, lb, rs), "duplicate", a["id"])
