"""Ingest throughput: local pool and Celery, next to a baseline measured in the same run.

Baseline: ``extractors.pipeline.analyse`` over the same documents in one process, no
storage (the pure work).  Then ``gongkai ingest`` into a fresh embedded store with the
local pool, the same again (idempotent re-ingest: no work), and — when Redis answers —
``ingest --wait`` with a real ``celery worker``.  Prints documents/s and the ratio to
the single-process baseline.

    python bench/bench_ingest.py [--n 300] [--workers 2] [--ner]
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


def _cli(args: list[str], env: dict) -> dict:
    proc = subprocess.run([sys.executable, "-m", "gongkai", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    if not proc.stdout.strip():
        raise SystemExit(f"gongkai {' '.join(args)} printed nothing: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def baseline(folder: Path, use_ner: bool) -> float:
    from extractors.pipeline import analyse

    files = sorted(folder.glob("*.txt"))
    analyse(files[0].read_bytes(), use_ner=use_ner)  # warm-up: models and dictionaries
    start = time.perf_counter()
    for path in files:
        analyse(path.read_bytes(), source=str(path), use_ner=use_ner)
    return len(files) / (time.perf_counter() - start)


def timed_ingest(folder: Path, env: dict, extra: list[str]) -> tuple[float, dict]:
    start = time.perf_counter()
    summary = _cli(["ingest", str(folder), "--json", *extra], env)
    return time.perf_counter() - start, summary


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


def run_celery(folder: Path, env: dict, workers: int,
               redis_url: str) -> tuple[float, dict] | None:
    if not _redis_up():
        print("celery: skipped (no Redis on 127.0.0.1:6379)")
        return None
    env = {**env, "GONGKAI_BROKER_URL": redis_url,
           "GONGKAI_DB_NAME": env["GONGKAI_DB_NAME"] + "_celery"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker", "worker", "-Q", "gongkai,gongkai.heavy",
         f"--concurrency={workers}", "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        time.sleep(3)  # let the worker connect; its start-up is not ingest time
        return timed_ingest(folder, env, ["--wait"])
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--ner", action="store_true", help="run the NER model too")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/14",
                    help="broker of the Celery run (a database of its own)")
    args = ap.parse_args(argv)
    from gongkai.synth import generate

    work = Path(tempfile.mkdtemp(prefix="gk-bench-"))
    folder = work / "docs"
    generate(args.n, seed=11, out_dir=folder)
    for gold in folder.glob("*.gold.json"):
        gold.unlink()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(GONGKAI_DATA_DIR=str(work / "data"), GONGKAI_DB_NAME="bench",
               GONGKAI_NER=str(args.ner).lower(), GONGKAI_WORKERS=str(args.workers))
    try:
        base = baseline(folder, args.ner)
        print(f"documents: {args.n} synthetic reports, {args.workers} workers, ner={args.ner}")
        print(f"baseline analyse() in one process, no storage: {base:8.1f} docs/s  (1.00x)")
        secs, summary = timed_ingest(folder, env, [])
        rate = args.n / secs
        print(f"ingest, local pool, into embedded store:     {rate:8.1f} docs/s  "
              f"({rate / base:.2f}x)  status {summary['status']}")
        storage_figures(env, args.n)
        secs2, summary2 = timed_ingest(folder, env, [])
        print(f"re-ingest of the same corpus (no work):      {args.n / secs2:8.1f} docs/s  "
              f"({secs2:.1f} s, {summary2['new']} new)")
        celery = run_celery(folder, env, args.workers, args.redis_url)
        if celery:
            secs3, summary3 = celery
            rate3 = args.n / secs3
            print(f"ingest --wait through Celery+Redis:          {rate3:8.1f} docs/s  "
                  f"({rate3 / base:.2f}x)  status {summary3['status']}")
    finally:
        subprocess.run([sys.executable, "-m", "gongkai", "db", "stop"], env=env, cwd=ROOT,
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
