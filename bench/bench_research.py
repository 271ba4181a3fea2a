"""Researchers' latency and export throughput over a large store of synthetic reports
(a benchmark, not a timed test): p50/p95 of five typical research queries and of the
``/api/stats`` endpoints, and export rows/s, against the targets of issue 10 (p95 < 500 ms
for a filtered page, Parquet export >= 50,000 rows/s), each next to a baseline measured in
the same run (the same filter as one plain PyMongo query; the same rows read by a plain
PyMongo cursor).  ``first_ms`` is each URL's first request: a statistic's later requests
are answered from the serving process's cache while the store does not change
(web/routes_stats.py), so its first request is the cost of the aggregation.

How the store is built (running the whole pipeline 50,000 times would take hours on two
cores): ``gongkai synth --n BASE`` and ``gongkai ingest`` store BASE reports the way a user
does; then every stored report is cloned in bulk (``insert_many``) until N reports, with
everything the research API and the statistics read — the report, its cells, claims,
commitments and findings — under a new id and body name, the clone's year shifted within
the synthetic range and a publication date drawn for it, whose TIME.DEADLINE verdict is
recomputed by the pure rule (extractors/timeliness.py), so timeliness is not uniform.
Raw bytes and texts are not cloned (no research query reads them).

    python bench/bench_research.py [--n 50000] [--base 300] [--samples 40] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_web import _cli, _env, serve  # noqa: E402  (bench/ is on sys.path)

PASSWORD = "bench password"
ITEMS = ("cells", "claims", "commitments", "findings")
BATCH = 20000
QUERIES = {  # five typical queries of the research API (README "Research API")
    "cells: one measure, years, a page": "/api/cells?measure=applications_received&year=2020..2024&limit=100",
    "findings: PROSE fails, a page": "/api/findings?code=PROSE.*&status=fail&limit=100",
    "claims: text search, years": "/api/claims?kind=figure&text=申请&year=2020..2024&limit=20",
    "reports: template + level": "/api/reports?template=2021&level=county&limit=100",
    "findings: level + year, next page": "/api/findings?level=county&year=2021&limit=100",
}
STATS = {
    "stats reports by year+template": "/api/stats/reports?by=year&by=template",
    "stats rules": "/api/stats/rules",
    "stats prose by level": "/api/stats/prose?by_level=true",
    "stats timeliness": "/api/stats/timeliness",
    "stats distribution": "/api/stats/distribution?measure=applications_received&by=level",
}
EXPORT = "/api/export/cells.parquet?measure=applications_*"


# ------------------------------------------------------------------ build
def build(folder: Path, base: int) -> float:
    synth = folder / "synth"
    env = _env(folder / "data")
    start = time.perf_counter()
    _cli(["synth", "--n", str(base), "--seed", "11", "--out", str(synth)], env)
    _cli(["ingest", str(synth), "--json", "--workers", "2"], env)
    return time.perf_counter() - start


def _db(folder: Path):
    import pymongo

    from storage import embedded

    return pymongo.MongoClient(embedded.ensure_server(folder / "data"), tz_aware=True)["bench"]


def amplify(db, n: int, seed: int = 7) -> float:
    """Clone the ingested reports (with their items) until ``n`` canonical reports."""
    originals = list(db.reports.find({"canonical": True, "clone_of": None}))
    have = db.reports.count_documents({"canonical": True})
    if have >= n or not originals:
        return 0.0
    items = {name: _by_report(db[name].find({"report_id": {"$in": [r["_id"] for r in originals]}}))
             for name in ITEMS}
    rng = random.Random(seed)
    start, copy, pending = time.perf_counter(), 0, {name: [] for name in ("reports", *ITEMS)}
    while have < n:
        copy += 1
        for rep in originals:
            if have >= n:
                break
            _clone(rep, copy, items, rng, pending)
            have += 1
            if len(pending["cells"]) >= BATCH:
                _flush(db, pending)
        print(f"  copy {copy}: {have} reports", flush=True)
    _flush(db, pending)
    return time.perf_counter() - start


def _by_report(docs) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for d in docs:
        out.setdefault(d["report_id"], []).append(d)
    return out


def _clone(rep: dict, copy: int, items: dict, rng: random.Random, pending: dict) -> None:
    rid = f"{copy:05d}" + rep["_id"][5:]
    suffix = f"（副本{copy}）"
    meta = dict(rep.get("report") or {})
    year = (meta.get("year") or 2020) + rng.choice((-1, 0, 0, 1))
    year = min(max(year, 2014), 2025)
    meta.update(body=(meta.get("body") or "") + suffix, year=year,
                published=_published(rng, year))
    base = {"report_id": rid, "body": meta["body"], "year": year,
            "body_key": (rep.get("body_key") or "") + suffix}
    pending["reports"].append({**rep, "_id": rid, "sha256": rid, "report": meta, "year": year,
                               "body_key": base["body_key"], "clone_of": rep["_id"]})
    for name in ITEMS:
        for d in items[name].get(rep["_id"], []):
            if name == "findings" and d.get("code") == "TIME.DEADLINE":
                continue
            pending[name].append({**d, **base, "_id": f"{rid}:{name}:{d['_id']}"})
    time_finding = _timeliness(meta, rep)
    if time_finding:
        pending["findings"].append({**time_finding, **base, "_id": f"{rid}:time",
                                    "level": meta.get("level"), "template": meta.get("template"),
                                    "region": meta.get("region"), "canonical": True,
                                    "scope": "report", "measures": []})


def _published(rng: random.Random, year: int) -> str | None:
    if rng.random() < 0.3:
        return None  # no date printed
    day = int(rng.triangular(5, 140, 35))  # days after 1 January of the next year
    return time.strftime("%Y-%m-%d", time.gmtime(time.mktime((year + 1, 1, 1, 12, 0, 0, 0, 0, 0))
                                                  + day * 86400))


def _timeliness(meta: dict, rep: dict) -> dict | None:
    from extractors.models import ReportMeta
    from extractors.rules import load_rules
    from extractors.timeliness import assess, to_finding

    rule = load_rules().get("TIME.DEADLINE")
    fields = {k: meta.get(k) for k in ("title", "body", "region", "level", "year", "published")}
    f = to_finding(assess(ReportMeta(**fields), rule), rule)
    return f.to_dict() if f else None


def _flush(db, pending: dict) -> None:
    for name, docs in pending.items():
        if docs:
            db[name].insert_many(docs, ordered=False)
            docs.clear()


# ------------------------------------------------------------------ measure
def timings(client, url: str, samples: int) -> dict:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{url}: {r.status_code} {r.text[:300]}")
    first = times[0]
    times.sort()
    return {"first_ms": round(first, 1), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1), "n": len(times)}


def baseline_page(db, samples: int) -> dict:
    """The first query's filter as one plain PyMongo find (no HTTP, no validation)."""
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        list(db.cells.find({"canonical": True, "measure": "applications_received",
                            "year": {"$gte": 2020, "$lte": 2024}}).sort([("year", 1), ("_id", 1)])
             .limit(101))
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1)}


def export_rate(client, db) -> dict:
    import io

    import pyarrow.parquet as pq

    start = time.perf_counter()
    r = client.get(EXPORT)
    seconds = time.perf_counter() - start
    if r.status_code != 200:
        raise SystemExit(f"export: {r.status_code} {r.text[:300]}")
    rows = pq.read_table(io.BytesIO(r.content)).num_rows
    measures = [m for m in _measures() if m.startswith("applications_")]
    start = time.perf_counter()
    raw = sum(1 for _ in db.cells.find({"canonical": True, "measure": {"$in": measures}}))
    raw_s = time.perf_counter() - start
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "baseline_pymongo_rows_per_s": round(raw / raw_s),
            "ratio_to_baseline": round((rows / seconds) / (raw / raw_s), 2)}


def _measures() -> list[str]:
    from extractors.measures import load_measures

    return [m.id for m in load_measures().measures]


def measure(base_url: str, folder: Path, samples: int) -> dict:
    import httpx

    env = _env(folder / "data")
    _cli(["users", "add", "bench", "--role", "researcher", "--password-stdin"], env, PASSWORD + "\n")
    client = httpx.Client(base_url=base_url, timeout=600)
    token = client.post("/api/token", json={"name": "bench", "password": PASSWORD}).json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    db = _db(folder)
    out = {"reports": db.reports.count_documents({"canonical": True}),
           "cells": db.cells.estimated_document_count(),
           "findings": db.findings.estimated_document_count(),
           "claims": db.claims.estimated_document_count()}
    out["baseline: first query as one PyMongo find"] = baseline_page(db, samples)
    for name, url in {**QUERIES, **STATS}.items():
        if "next page" in name:  # follow the first page's cursor
            from urllib.parse import quote

            nxt = client.get(url).json().get("next")
            url += f"&cursor={quote(nxt)}" if nxt else ""
        out[name] = timings(client, url, samples if name in QUERIES else max(3, samples // 8))
        print(f"  {name}: {out[name]}", flush=True)
    out["export: cells.parquet, applications_*"] = export_rate(client, db)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50000, help="reports in the store")
    ap.add_argument("--base", type=int, default=300, help="reports ingested before cloning")
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--keep", type=Path, help="folder to build in (reused when it exists)")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gongkai-bench-research-"))
    if not (folder / "data").exists():
        print(f"ingesting {args.base} synthetic reports in {folder} …", flush=True)
        print(f"synth + ingest: {build(folder, args.base):.0f} s", flush=True)
    print(f"cloning to {args.n} reports …", flush=True)
    print(f"cloning: {amplify(_db(folder), args.n):.0f} s", flush=True)
    proc, base_url = serve(folder)
    try:
        result = measure(base_url, folder, args.samples)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if not args.keep:
            from storage import embedded

            embedded.stop_server(folder / "data")
    page = result["cells: one measure, years, a page"]["p95_ms"]
    export = result["export: cells.parquet, applications_*"]["rows_per_s"]
    result["targets"] = {"filtered page p95 < 500 ms": page < 500,
                         "Parquet export >= 50,000 rows/s": export >= 50000}
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
