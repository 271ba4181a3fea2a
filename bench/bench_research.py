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
does; then every stored report is cloned in bulk (``insert_many``) until N reports — the
first batch with the indexes in place (the load rate ingest sees), the rest with the
secondary indexes dropped, which ``Store.setup``, the app's one set-up function, then
builds again (``load`` in the output: documents/s with and without indexes, the index
build's seconds) — with
everything the research API and the statistics read — the report, its cells, claims,
commitments and findings — under a new id and body name, the clone's year shifted within
the synthetic range and a publication date drawn for it, whose TIME.DEADLINE verdict is
recomputed by the pure rule (extractors/timeliness.py), so timeliness is not uniform.
Raw bytes and texts are not cloned (no research query reads them).

    python bench/bench_research.py [--n 50000] [--base 300] [--samples 40] [--keep DIR]
                                   [--max-rss-gib 16] [--build-only]

``--keep DIR`` keeps the store (a rerun with a larger N clones only the missing reports);
cloning stops early when the embedded server's RSS passes ``--max-rss-gib``.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_web import _cli, _env, get_ok, logged_in, serve  # noqa: E402  (bench/ is on sys.path)
from latency import percentiles, timed_ms  # noqa: E402

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


def amplify(db, n: int, folder: Path, max_rss_gib: float, seed: int = 7) -> dict:
    """Clone the ingested reports (with their items) until ``n`` canonical reports.

    The first batch is inserted with every index in place (the load rate an ingest
    sees: the baseline); then the secondary indexes of the cloned collections are
    dropped, the rest is inserted, and ``Store.setup`` — the one function that creates
    the app's indexes — builds them again over the whole store.  The indexes after it
    are checked to be those before the drop.  Cloning stops early (with a message)
    when the embedded server's memory passes ``max_rss_gib``."""
    originals = list(db.reports.find({"canonical": True, "clone_of": None}))
    have = db.reports.count_documents({"canonical": True})
    if have >= n or not originals:
        return {}
    items = {name: _by_report(db[name].find({"report_id": {"$in": [r["_id"] for r in originals]}}))
             for name in ITEMS}
    last = list(db.reports.find({"clone_of": {"$ne": None}}, {"_id": 1}).sort("_id", -1).limit(1))
    first = int(last[0]["_id"][:5]) + 1 if last else 1  # a rerun goes on with a new copy
    batches = _batches(originals, items, random.Random(seed + first), have, n, first)
    out: dict = {"from_reports": have}
    before = _index_keys(db)
    docs, seconds = _insert(db, [next(batches)])
    out["with_indexes"] = {"docs": docs, "seconds": round(seconds, 1),
                           "docs_per_s": round(docs / seconds)}
    print(f"  with indexes: {out['with_indexes']}", flush=True)
    for name in CLONED:
        db[name].drop_indexes()
    docs, seconds = _insert(db, batches, folder, max_rss_gib)
    out["without_indexes"] = {"docs": docs, "seconds": round(seconds, 1),
                              "docs_per_s": round(docs / seconds) if seconds else None}
    print(f"  without indexes: {out['without_indexes']}", flush=True)
    start = time.perf_counter()
    _setup(db)
    out["index_build_s"] = round(time.perf_counter() - start, 1)
    missing = before - _index_keys(db)
    if missing:
        raise SystemExit(f"Store.setup did not create the indexes {sorted(missing)}")
    out["to_reports"] = db.reports.count_documents({"canonical": True})
    return out


CLONED = ("reports", *ITEMS)


def _setup(db) -> None:
    """The app's indexes, by the app's one set-up function (``force``: its record of
    having created them does not know that they were dropped)."""
    from storage.store import Store

    Store(db.client, db.name).setup(force=True)


def _index_keys(db) -> set[tuple]:
    return {(name, tuple(spec["key"])) for name in CLONED
            for spec in db[name].index_information().values()}


def _batches(originals: list[dict], items: dict, rng: random.Random, have: int, n: int,
             copy: int):
    """Batches of clones ({collection: docs}), about BATCH cells each."""
    pending: dict[str, list] = {name: [] for name in CLONED}
    while have < n:
        for rep in originals:
            if have >= n:
                break
            _clone(rep, copy, items, rng, pending)
            have += 1
            if len(pending["cells"]) >= BATCH:
                yield {**pending, "reports_after": have}
                pending = {name: [] for name in CLONED}
        copy += 1
    if pending["reports"]:
        yield {**pending, "reports_after": have}


def _insert(db, batches, folder: Path | None = None, max_rss_gib: float = 0) -> tuple[int, float]:
    """Insert the batches; (documents, seconds).  Prints progress and the server's RSS."""
    docs, seconds, last = 0, 0.0, time.perf_counter()
    for batch in batches:
        start = time.perf_counter()
        for name in CLONED:
            if batch[name]:
                db[name].insert_many(batch[name], ordered=False)
                docs += len(batch[name])
        seconds += time.perf_counter() - start
        if folder is None or time.perf_counter() - last < 30:
            continue
        last = time.perf_counter()
        rss = server_rss_gib(folder)
        print(f"  {batch['reports_after']} reports, {docs} docs in {seconds:.0f} s "
              f"({docs / seconds:.0f} docs/s), server RSS {rss:.2f} GiB", flush=True)
        if rss > max_rss_gib:
            print(f"  stopping: the server's RSS passed {max_rss_gib} GiB", flush=True)
            break
    return docs, seconds


def server_rss_gib(folder: Path) -> float:
    from storage import embedded

    info = embedded.read_info(folder / "data") or {}
    try:
        status = Path(f"/proc/{info.get('pid')}/status").read_text()
    except OSError:
        return 0.0
    kib = next((int(line.split()[1]) for line in status.splitlines()
                if line.startswith("VmRSS:")), 0)
    return kib / 1024 / 1024


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


# ------------------------------------------------------------------ measure
def timings(client, url: str, samples: int) -> dict:
    times = [get_ok(client, url) for _ in range(samples)]
    return {"first_ms": round(times[0], 1), **percentiles(times), "n": len(times)}


def pymongo_page(db, url: str, samples: int, hint: dict | None = None) -> dict:
    """A query's first page as one plain PyMongo find (no HTTP, no validation, no row
    shaping): the filter, sort and limit (+1, as the API asks) that storage/research.py
    builds for the URL's parameters; ``hint`` forces a plan."""
    from urllib.parse import parse_qsl, urlsplit

    from storage import research
    from storage.research_params import ResearchQuery

    parts = urlsplit(url)
    collection = parts.path.rsplit("/", 1)[-1]
    params: dict = {}
    for k, v in parse_qsl(parts.query):
        params.setdefault(k, []).append(v)
    q = ResearchQuery(**{k: v if len(v) > 1 else v[0] for k, v in params.items()})
    _, flt, proj, sort = research.export_query(collection, q)
    times = [timed_ms(lambda: list(db[collection].find(flt, proj, hint=hint).sort(sort)
                                   .limit(q.limit + 1)))[1] for _ in range(samples)]
    return percentiles(times)


def beside(api: dict, plain: dict) -> dict:
    """An API figure with the same filter's plain PyMongo find of the same run."""
    return {**api, "pymongo_same_filter": plain,
            "ratio_p95_to_pymongo": round(api["p95_ms"] / plain["p95_ms"], 2) if plain["p95_ms"] else None}


def export_rate(client, db) -> dict:
    """The Parquet export over HTTP beside plain PyMongo cursors over the same rows in
    the same run: the export's own query (its filter, projection and sort: what the
    server has to do for it) and the filter alone, unsorted (the server's ceiling);
    and what the export-limit count costs when it runs (a collection larger than the
    limit); and our code alone (rows and Parquet from the same documents, in this
    process)."""
    import io

    import pyarrow.parquet as pq

    from storage import research, research_export
    from storage.research_params import MAX_EXPORT, ResearchQuery

    _, flt, proj, sort = research.export_query("cells", ResearchQuery(measure=["applications_*"]))
    sum(1 for _ in db.cells.find(flt, proj).sort(sort))  # a warm-up: first reads are slower
    start = time.perf_counter()
    r = client.get(EXPORT)
    seconds = time.perf_counter() - start
    if r.status_code != 200:
        raise SystemExit(f"export: {r.status_code} {r.text[:300]}")
    rows = pq.read_table(io.BytesIO(r.content)).num_rows
    docs, same_s = _read(db.cells.find(flt, proj).sort(sort).batch_size(research.EXPORT_BATCH))
    start = time.perf_counter()
    plain = sum(1 for _ in db.cells.find(flt))
    plain_s = time.perf_counter() - start
    same = len(docs)
    fields = list(research.SPECS["cells"].default_fields)
    start = time.perf_counter()  # our code alone: the same documents, already read
    for _ in research_export.chunks("parquet", "cells", fields,
                                    research._rows(research.SPECS["cells"], fields, iter([docs]))):
        pass
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    db.cells.count_documents(flt)
    count_s = time.perf_counter() - start
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "pymongo_same_query_rows_per_s": round(same / same_s),
            "pymongo_unsorted_rows_per_s": round(plain / plain_s),
            "ratio_to_same_query": round((rows / seconds) / (same / same_s), 2),
            "ratio_to_unsorted": round((rows / seconds) / (plain / plain_s), 2),
            "our_code_alone_rows_per_s": round(same / ours_s),
            "limit_count_s": round(count_s, 2),
            "limit_count_runs": db.cells.estimated_document_count() > MAX_EXPORT}


def _read(cursor) -> tuple[list, float]:
    start = time.perf_counter()
    docs = list(cursor)
    return docs, time.perf_counter() - start


def measure(base_url: str, folder: Path, samples: int) -> dict:
    client = logged_in(base_url, folder, "researcher", 600)
    db = _db(folder)
    out = {"reports": db.reports.count_documents({"canonical": True}),
           "cells": db.cells.estimated_document_count(),
           "findings": db.findings.estimated_document_count(),
           "claims": db.claims.estimated_document_count()}
    for name, url in {**QUERIES, **STATS}.items():
        if "next page" in name:  # follow the first page's cursor
            from urllib.parse import quote

            nxt = client.get(url).json().get("next")
            url += f"&cursor={quote(nxt)}" if nxt else ""
        out[name] = timings(client, url, samples if name in QUERIES else max(3, samples // 8))
        if name in QUERIES and "next page" not in name:
            out[name] = beside(out[name], pymongo_page(db, url, samples))
        print(f"  {name}: {out[name]}", flush=True)
    text = "claims: text search, years"
    out[f"{text}: its find as a collection scan (the plan before its index, hint $natural)"] = \
        pymongo_page(db, QUERIES[text], max(3, samples // 4), hint={"$natural": 1})
    out["export: cells.parquet, applications_*"] = export_rate(client, db)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50000, help="reports in the store")
    ap.add_argument("--base", type=int, default=300, help="reports ingested before cloning")
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--keep", type=Path, help="folder to build in (reused when it exists)")
    ap.add_argument("--max-rss-gib", type=float, default=16.0,
                    help="stop cloning when the embedded server uses more memory")
    ap.add_argument("--build-only", action="store_true", help="build the store, measure nothing")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gongkai-bench-research-"))
    if not (folder / "data").exists():
        print(f"ingesting {args.base} synthetic reports in {folder} …", flush=True)
        print(f"synth + ingest: {build(folder, args.base):.0f} s", flush=True)
    print(f"cloning to {args.n} reports …", flush=True)
    db = _db(folder)
    load = amplify(db, args.n, folder, args.max_rss_gib)
    _setup(db)  # a no-op unless an earlier run stopped before building the indexes
    if args.build_only:
        print(json.dumps({"load": load, "server_rss_gib": round(server_rss_gib(folder), 2)}))
        return
    proc, base_url = serve(folder, tries=6000)  # a large store: the app loads its queue index
    try:
        result = {"load": load, **measure(base_url, folder, args.samples),
                  "server_rss_gib": round(server_rss_gib(folder), 2)}
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
