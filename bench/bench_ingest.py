"""Ingest throughput: local pool and Celery, next to a baseline measured in the same run.

Baseline: ``extractors.pipeline.analyse`` over the same documents in one process, no
storage (the pure work).  Then ``gongkai ingest`` of N synthetic reports into a fresh
embedded store with the local pool, the same again (idempotent re-ingest: no work), and
— when Redis answers — ``ingest --wait`` with a real ``celery worker`` of W processes.
Each prints reports/s, the ratio to the single-process baseline, the store's operations
per report (``serverStatus`` opcounters: every insert, query, update, delete, getmore
and command the server answered, i.e. round trips) and documents per report
(``dbStats`` objects), and the peak RSS of the largest process of the ingest (the CLI
and its pool workers, or the Celery worker and its children).

``--raw``: the embedded server measured against itself (single inserts, reads, updates,
bulk inserts): the ceiling any client can reach on this machine.

``--scale 1000,10000``: how cost grows with the store.  The N reports are stored once,
then the store is filled with done reports until it holds each size (report documents
copied from those, each with the text, band keys, sections, year and body of a generated
report of its own, so that near-duplicate pools grow as distinct reports make them grow), and ``--batch`` new reports (another seed) are ingested at each size: their
time per report should stay flat.  ``--caps 60,200``: at each size one batch per
near-duplicate cap (setting ``duplicate_candidates``), with how many checks it truncated.

``--compare``: the local ingest also one report at a time (setting ``ingest_batch=1``,
the path before batching), first, in the same run, and the
ratio of the batched ingest to it (each into a fresh embedded server of its own, so
neither pays for the other's data).

    python bench/bench_ingest.py [--n 300] [--workers 2] [--ner] [--raw] [--scale 1000,10000]
                                 [--compare] [--ingest-batch 8]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Runs a command (SIGTERM passed on to it) and prints the largest RSS (KB) among it and
# its waited-for descendants.
_RSS_WRAPPER = ("import resource, signal, subprocess, sys; p = subprocess.Popen(sys.argv[1:]); "
                "signal.signal(signal.SIGTERM, lambda *a: p.terminate()); rc = p.wait(); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
                "sys.exit(rc)")


def _cli(args: list[str], env: dict) -> tuple[dict, float]:
    """(the JSON summary of ``gongkai ARGS``, peak RSS in MB of its process tree)."""
    proc = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, sys.executable, "-m", "gongkai",
                           *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if not proc.stdout.strip():
        raise SystemExit(f"gongkai {' '.join(args)} printed nothing: {proc.stderr[-2000:]}")
    rss = int(proc.stderr.strip().splitlines()[-1]) / 1024
    return json.loads(proc.stdout.strip().splitlines()[-1]), rss


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _db(env: dict):
    import pymongo

    from storage import embedded

    client = pymongo.MongoClient(embedded.ensure_server(Path(env["GONGKAI_DATA_DIR"])))
    return client, client[env["GONGKAI_DB_NAME"]]


def _ops(env: dict) -> int:
    client, _ = _db(env)
    try:
        return sum(client.admin.command("serverStatus")["opcounters"].values())
    finally:
        client.close()


def _objects(env: dict) -> int:
    client, db = _db(env)
    try:
        return int(db.command("dbStats")["objects"])
    finally:
        client.close()


def jieba_rate(folder: Path) -> float:
    """Reports/s of plain ``jieba.lcut`` over the same texts (the pipeline's yardstick)."""
    import jieba

    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    jieba.lcut(texts[0])  # its dictionary loads once
    start = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    return len(texts) / (time.perf_counter() - start)


def baseline(folder: Path, use_ner: bool) -> float:
    from extractors.pipeline import analyse

    files = sorted(folder.glob("*.txt"))
    analyse(files[0].read_bytes(), use_ner=use_ner)  # warm-up: models and dictionaries
    start = time.perf_counter()
    for path in files:
        analyse(path.read_bytes(), source=str(path), use_ner=use_ner)
    return len(files) / (time.perf_counter() - start)


def measured_ingest(folder: Path, env: dict, extra: list[str], n: int) -> dict:
    """Wall seconds, summary, server operations and documents added, peak RSS."""
    ops, objects = _ops(env), _objects(env)
    start = time.perf_counter()
    summary, rss = _cli(["ingest", str(folder), "--json", *extra], env)
    secs = time.perf_counter() - start
    # the two statistics commands of _ops/_objects themselves are not the ingest's
    return {"secs": secs, "rate": n / secs, "summary": summary, "rss": rss,
            "ops": (_ops(env) - ops - 4) / n, "docs": (_objects(env) - objects) / n}


def _line(label: str, m: dict, base: float, jieba: float) -> str:
    return (f"{label:44s} {m['rate']:7.1f} reports/s ({m['rate'] / base:4.2f}x analyse, "
            f"{m['rate'] / jieba:4.2f}x jieba)  "
            f"{m['ops']:5.1f} store ops/report  {m['docs']:4.1f} docs/report  "
            f"peak RSS {m['rss']:4.0f} MB  status {m['summary'].get('status')}")


def storage_figures(env: dict, reports: int) -> None:
    """Bytes per report in the store (documents and indexes), per collection: the
    figures the sizing in README "Running at scale" multiplies."""
    import pymongo

    from storage import embedded

    url = embedded.ensure_server(Path(env["GONGKAI_DATA_DIR"]))
    db = pymongo.MongoClient(url)[env["GONGKAI_DB_NAME"]]
    stats = db.command("dbStats")
    print(f"storage per report: {stats['dataSize'] / reports / 1024:7.1f} KB documents, "
          f"{stats['indexSize'] / reports / 1024:6.1f} KB indexes "
          f"({stats['objects'] / reports:.0f} documents per report)")
    rows = []
    for name in sorted(db.list_collection_names()):
        cs = db.command("collStats", name)
        if cs.get("size"):
            rows.append((cs["size"], name, cs.get("totalIndexSize", 0), cs.get("count", 0)))
    for size, name, index, count in sorted(rows, reverse=True)[:8]:
        print(f"  {name:<16} {size / reports / 1024:7.1f} KB + {index / reports / 1024:5.1f} KB "
              f"indexes per report, {count / reports:6.1f} documents per report")


def run_celery(folder: Path, env: dict, workers: int, n: int) -> dict | None:
    if not _redis_up():
        print("celery: skipped (no Redis on 127.0.0.1:6379)")
        return None
    env = {**env, "GONGKAI_BROKER_URL": "redis://127.0.0.1:6379/5",
           "GONGKAI_DB_NAME": env["GONGKAI_DB_NAME"] + "_celery"}
    worker = subprocess.Popen(
        [sys.executable, "-c", _RSS_WRAPPER, sys.executable, "-m", "celery", "-A", "worker",
         "worker", "-Q", "gongkai,gongkai.heavy", f"--concurrency={workers}", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)  # let the worker connect; its start-up is not ingest time
        result = measured_ingest(folder, env, ["--wait"], n)
    finally:
        worker.send_signal(signal.SIGTERM)  # the wrapper passes it on: a warm shutdown
        _, err = worker.communicate(timeout=120)
    lines = [ln for ln in err.strip().splitlines() if ln.strip().isdigit()]
    result["rss"] = int(lines[-1]) / 1024 if lines else float("nan")
    return result


def raw_rate(env: dict) -> None:
    """The embedded server against itself: what one client gets per operation."""
    client, db = _db(env)
    coll = db["bench_raw"]
    doc = {"text": "政府信息公开" * 300, "cells": [{"k": i, "v": i} for i in range(40)]}
    try:
        for label, fn in (("insert_one (~4 KB)", lambda i: coll.insert_one({**doc, "_id": i})),
                          ("find_one by _id", lambda i: coll.find_one({"_id": i})),
                          ("update_one $set by _id", lambda i: coll.update_one({"_id": i}, {"$set": {"z": i}}))):
            start, n = time.perf_counter(), 300
            for i in range(n):
                fn(i)
            dt = time.perf_counter() - start
            print(f"embedded server: {label:24s} {n / dt:7.0f} ops/s ({dt / n * 1000:.2f} ms each)")
        start = time.perf_counter()
        for k in range(20):
            coll.insert_many([{**doc, "_id": 10_000 + k * 100 + j} for j in range(100)])
        dt = time.perf_counter() - start
        print(f"embedded server: insert_many of 100       {2000 / dt:7.0f} docs/s ({dt / 20 * 1000:.0f} ms a call)")
    finally:
        coll.drop()
        client.close()


def cells_ceiling(db) -> None:
    """How many reports' cells the server can take at all: a report's stored cells (the
    ingested ones, ~133 documents) inserted again into a scratch collection with the
    cells' indexes and with none but ``_id`` — the ceiling of ingest in reports/s for
    the cells alone, whatever the client does."""
    from storage.store import all_indexes

    sample = [{k: v for k, v in d.items() if k != "_id"} for d in db.cells.find({}, limit=133)]
    if not sample:
        return
    for label, indexed in (("with the cells' indexes", True), ("with no secondary index", False)):
        scratch = db["bench_cells"]
        scratch.drop()
        if indexed:
            for name, keys, options in all_indexes():
                if name == "cells":
                    scratch.create_index(keys, **options)
        start, rounds = time.perf_counter(), 15
        for _ in range(rounds):
            scratch.insert_many([dict(d) for d in sample])
        dt = time.perf_counter() - start
        print(f"embedded server: one report's {len(sample)} cells, {label:24s} "
              f"{rounds * len(sample) / dt:6.0f} docs/s = {rounds / dt:5.1f} reports/s at most")
        scratch.drop()


def _filler(path: str) -> dict:
    """What a filler report stores of one generated document: its normalized text, band
    keys, sections, year and body (in a pool process: the signature is most of the cost)."""
    from extractors.crossyear import body_key
    from extractors.dedup import signature
    from extractors.metadata import extract_metadata
    from extractors.reader import read_document
    from extractors.sections import segment

    data = Path(path).read_bytes()
    text = read_document(data, filename=Path(path).name).text
    sections = segment(text)
    meta = extract_metadata(text, sections)
    return {"text": text, "lsh": signature(text), "year": meta.year, "body": meta.body,
            "body_key": body_key(meta.body) if meta.body else None,
            "sections": [x.to_dict() for x in sections.sections]}


def _filler_ranks(ids: list[str], fills: list[dict], cap: int) -> dict[str, tuple[dict, dict | None]]:
    """(duplicate_rank, duplicate_check) of each filler as if the fillers had been related
    to one another before the newcomers (taking part since relate number 0, compared at
    number 1 with every filler: ``covers`` then knows those pairs checked): its pool counted among them
    (same year, another body, a shared band) and, past the cap, marked truncated with the
    rank of its last compared — what a store of that many related reports holds, so that
    newcomers count themselves into the pools of the fillers as they would into real
    ones (storage/duplicates.py ``grow_pools``; the count goes to ``duplicate_pools``)."""
    from collections import Counter, defaultdict

    from extractors.related import rank_key, truncated_mark

    buckets: dict[tuple, list[int]] = defaultdict(list)
    for i, fill in enumerate(fills):
        for band in set(fill["lsh"]):
            buckets[(fill["year"], band)].append(i)
    out = {}
    for i, fill in enumerate(fills):
        shared: Counter = Counter()
        for band in set(fill["lsh"]):
            shared.update(j for j in buckets[(fill["year"], band)]
                          if j != i and fills[j]["body_key"] != fill["body_key"])
        pool = len(shared)
        rank: dict = {"since": 0, "relate": [1, None, None], "pool": min(pool, cap + 1)}
        check = None
        if pool > cap:
            last = sorted(rank_key(n, ids[j]) for j, n in shared.items())[cap - 1]
            rank["relate"] = [1, -last[0], last[1]]
            check = truncated_mark(cap, cap)
        out[ids[i]] = (rank, check)
    return out


def clone_to(env: dict, size: int, work: Path | None = None) -> int:
    """Fill the store with done reports until it holds ``size``: report documents copied
    from the ingested ones, each with the text, band keys, sections, year and body of a
    synthetic report of its own (generated here, another seed per fill; not analysed or
    stored cell by cell), so that the same-year near-duplicate pools grow as a corpus of
    distinct reports makes them grow (copies keeping their originals' band keys would
    make every pool hold every copy).  Returns the count."""
    from multiprocessing import Pool

    from config.settings import current
    from gongkai.synth import generate
    from storage.store import text_doc

    client, db = _db(env)
    try:
        have = db.reports.count_documents({})
        originals = list(db.reports.find({"status": "done", "clone": {"$ne": True}}))
        if have >= size or not originals:
            return have
        folder = Path(tempfile.mkdtemp(prefix="fill", dir=work))
        generate(size - have, seed=7_000_000 + have, out_dir=folder)
        paths = sorted(str(p) for p in folder.glob("*.txt"))
        with Pool(2) as pool:
            fills = list(pool.imap(_filler, paths, chunksize=20))
        ids = [f"c{have + i:07d}" + originals[i % len(originals)]["_id"][8:] for i in range(len(fills))]
        ranks = _filler_ranks(ids, fills, current().duplicate_candidates)
        reports, blobs, counts = [], [], []
        for i, fill in enumerate(fills):
            rep, rid = originals[i % len(originals)], ids[i]
            rank, check = ranks[rid]
            reports.append({**rep, "_id": rid, "sha256": rid, "clone": True, "seq": 10**9 + have,
                            "body_key": fill["body_key"], "year": fill["year"], "lsh": fill["lsh"],
                            "sections": fill["sections"], "duplicate_check": check,
                            "duplicate_rank": rank,
                            "report": {**(rep.get("report") or {}), "body": fill["body"],
                                       "year": fill["year"]}})
            blobs.append(text_doc(rid, fill["text"]))
            counts.append({"_id": rid, "pool": rank.pop("pool")})
            have += 1
            if len(reports) == 500 or i == len(fills) - 1:
                db.reports.insert_many(reports, ordered=False)
                db.text_inline.insert_many(blobs, ordered=False)
                db.duplicate_pools.insert_many(counts, ordered=False)
                reports, blobs, counts = [], [], []
        shutil.rmtree(folder, ignore_errors=True)
        return have
    finally:
        client.close()


def scale(env: dict, sizes: list[int], batch: int, work: Path, base: float,
          caps: list[int | None] = (None,)) -> None:
    from gongkai.synth import generate

    print(f"\n== cost as the store grows: {batch} new reports ingested at each store size"
          + (f", once per near-duplicate cap {', '.join(map(str, caps))}" if caps != (None,) else ""))
    first = None
    for i, size in enumerate(sizes):
        have = clone_to(env, size, work)
        for j, cap in enumerate(caps):
            folder = work / f"batch{i}_{j}"
            generate(batch, seed=1000 + 10 * i + j, out_dir=folder)
            for gold in folder.glob("*.gold.json"):
                gold.unlink()
            run_env = {**env, "GONGKAI_DUPLICATE_CANDIDATES": str(cap)} if cap else env
            m = measured_ingest(folder, run_env, [], batch)
            per = 1000 / m["rate"]
            first = first or per
            cut = _truncated(env, folder)
            done = m["summary"].get("settled") or {}
            print(f"store of {have:6d} reports{f', cap {cap}' if cap else ''}: {per:6.1f} ms/report "
                  f"({per / first:4.2f}x the first)  {m['ops']:5.1f} store ops/report  "
                  f"{cut} of {batch} duplicate checks truncated; settled {done.get('settled', 0)} "
                  f"reports, {done.get('checked', 0)} pairs checked, {done.get('dropped', 0)} dropped")


def _truncated(env: dict, folder: Path) -> int:
    """New reports of ``folder`` whose near-duplicate check hit the cap."""
    client, db = _db(env)
    try:
        names = [p.name for p in folder.iterdir()]
        return db.reports.count_documents({"duplicate_check.status": "truncated",
                                           "filename": {"$in": names}})
    finally:
        client.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--ner", action="store_true", help="run the NER model too")
    ap.add_argument("--raw", action="store_true", help="the embedded server's own rates")
    ap.add_argument("--no-celery", action="store_true")
    ap.add_argument("--compare", action="store_true",
                    help="also ingest locally one report at a time (ingest_batch=1), same run")
    ap.add_argument("--ingest-batch", type=int, default=8, help="setting ingest_batch of the local ingest")
    ap.add_argument("--scale", default="", help="comma list of store sizes, e.g. 1000,10000")
    ap.add_argument("--batch", type=int, default=100, help="reports ingested at each --scale size")
    ap.add_argument("--caps", default="", help="near-duplicate caps (duplicate_candidates) to "
                                               "compare at each --scale size, e.g. 60,200")
    args = ap.parse_args(argv)
    from gongkai.synth import generate

    work = Path(tempfile.mkdtemp(prefix="gk-bench-"))
    folder = work / "docs"
    generate(args.n, seed=11, out_dir=folder)
    for gold in folder.glob("*.gold.json"):
        gold.unlink()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(GONGKAI_DATA_DIR=str(work / "data"), GONGKAI_DB_NAME="bench",
               GONGKAI_NER=str(args.ner).lower(), GONGKAI_WORKERS=str(args.workers),
               GONGKAI_INGEST_BATCH=str(args.ingest_batch))
    try:
        jieba = jieba_rate(folder)
        base = baseline(folder, args.ner)
        chars = sum(len(p.read_text(encoding="utf-8")) for p in folder.glob("*.txt")) // args.n
        print(f"documents: {args.n} synthetic reports (~{chars:,} chars each), "
              f"{args.workers} workers, ner={args.ner}")
        print(f"plain jieba.lcut over the same texts, one process: {jieba:7.1f} reports/s")
        print(f"baseline analyse() in one process, no storage:    {base:7.1f} reports/s "
              f"(1.00x analyse, {base / jieba:.2f}x jieba)")
        if args.raw:
            raw_rate(env)
        one = None
        if args.compare:  # the same reports one by one (ingest_batch=1), a store of their own
            one_env = {**env, "GONGKAI_INGEST_BATCH": "1", "GONGKAI_DATA_DIR": str(work / "data1")}
            try:
                one = measured_ingest(folder, one_env, [], args.n)
            finally:
                subprocess.run([sys.executable, "-m", "gongkai", "db", "stop"], env=one_env,
                               cwd=ROOT, capture_output=True)
            print(_line("ingest, local pool, one report at a time:", one, base, jieba))
        local = measured_ingest(folder, env, [], args.n)
        print(_line("ingest, local pool, into embedded store:", local, base, jieba))
        if one:
            print(f"batched (ingest_batch={args.ingest_batch}) / one at a time, same run: "
                  f"{local['rate'] / one['rate']:.2f}x reports/s; store ops/report "
                  f"{one['ops']:.1f} -> {local['ops']:.1f}, docs/report {one['docs']:.1f} -> "
                  f"{local['docs']:.1f}")
        storage_figures(env, args.n)
        if args.raw:
            client, db = _db(env)
            try:
                cells_ceiling(db)
            finally:
                client.close()
        again = measured_ingest(folder, env, [], args.n)
        print(f"re-ingest of the same reports (no work):      {again['rate']:7.1f} reports/s  "
              f"({again['secs']:.1f} s, {again['summary'].get('new')} new)")
        celery = None if args.no_celery else run_celery(folder, env, args.workers, args.n)
        if celery:
            print(_line(f"ingest --wait, Celery+Redis, {args.workers} workers:", celery, base, jieba))
        if args.scale:
            caps = [int(x) for x in args.caps.split(",")] if args.caps else [None]
            scale(env, [int(x) for x in args.scale.split(",")], args.batch, work, base, caps)
    finally:
        subprocess.run([sys.executable, "-m", "gongkai", "db", "stop"], env=env, cwd=ROOT,
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
