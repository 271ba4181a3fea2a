"""Review-app latency: queue page and finding page p50/p95 over a store of synthetic
reports (a benchmark, not a timed test).

Builds the store the way a user does — ``gongkai synth`` then ``gongkai ingest`` into a
fresh embedded store — optionally multiplies the stored reports (``--amplify K`` clones
each stored report, its table, text and findings K−1 times under new ids and body names,
to reach a large store without hours of ingest), starts ``gongkai serve`` and times
real HTTP requests from one client (bounded: ``--samples`` requests per page kind,
loopback only).

    python bench/bench_web.py [--n 1000] [--amplify 10] [--samples 60] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "bench password"


def _env(data: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(GONGKAI_DATA_DIR=str(data), GONGKAI_NER="false", GONGKAI_DB_NAME="bench")
    return env


def _cli(args: list[str], env: dict, stdin: str | None = None) -> str:
    proc = subprocess.run([sys.executable, "-m", "gongkai", *args], env=env, cwd=ROOT,
                          input=stdin, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"gongkai {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return proc.stdout


def build(folder: Path, n: int, workers: int) -> float:
    synth = folder / "synth"
    start = time.perf_counter()
    _cli(["synth", "--n", str(n), "--seed", "7", "--out", str(synth)], _env(folder / "data"))
    _cli(["ingest", str(synth), "--json", "--workers", str(workers)], _env(folder / "data"))
    return time.perf_counter() - start


def amplify(folder: Path, k: int) -> None:
    """Clone every stored report (with its table, text and findings) k−1 times."""
    import pymongo

    from storage import embedded, review

    db = pymongo.MongoClient(embedded.ensure_server(folder / "data"))["bench"]
    reports = [r for r in db.reports.find({"status": "done"}) if not r["_id"].startswith("00")
               or r.get("sources")]
    reports = [r for r in reports if "（副本" not in ((r.get("report") or {}).get("body") or "")]
    for copy in range(1, k):
        for rep in reports:
            _clone(db, rep, copy, review)
    print(f"amplified: {db.reports.count_documents({})} reports, "
          f"{db.findings.count_documents({})} findings", flush=True)


def _clone(db, rep: dict, copy: int, review) -> None:
    rid = f"{copy:04d}" + rep["_id"][4:]
    suffix = f"（副本{copy}）"
    body = ((rep.get("report") or {}).get("body") or "") + suffix
    doc = {**rep, "_id": rid, "sha256": rid, "body_key": (rep.get("body_key") or "") + suffix,
           "report": {**(rep.get("report") or {}), "body": body}}
    db.reports.replace_one({"_id": rid}, doc, upsert=True)
    for name in ("tables", "text_inline", "raw_inline"):
        part = db[name].find_one({"_id": rep["_id"]})
        if part:
            db[name].replace_one({"_id": rid}, {**part, "_id": rid}, upsert=True)
    found = []
    db.findings.delete_many({"report_id": rid})
    for f in db.findings.find({"report_id": rep["_id"]}):
        found.append({**f, "_id": f"{copy:04d}" + f["_id"][4:], "report_id": rid,
                      "body": body, "body_key": doc["body_key"]})
    if found:
        db.findings.insert_many(found, ordered=False)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(folder: Path) -> tuple[subprocess.Popen, str]:
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "gongkai", "serve", "--port", str(port)],
                            env=_env(folder / "data"), cwd=ROOT)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gongkai serve did not start")


def timings(client, urls: list[str]) -> dict:
    times = []
    for url in urls:
        start = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{url}: {r.status_code} {r.text[:300]}")
    times.sort()
    return {"n": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1)}


def measure(base: str, folder: Path, samples: int) -> dict:
    import httpx

    env = _env(folder / "data")
    _cli(["users", "add", "bench", "--role", "auditor", "--password-stdin"], env, PASSWORD + "\n")
    client = httpx.Client(base_url=base, timeout=120)
    token = client.post("/api/token", json={"name": "bench", "password": PASSWORD}).json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    client.headers["Accept"] = "text/html"
    first = client.get("/api/queue", params={"per_page": 500}).json()
    ids = [i["_id"] for i in first["items"]]
    codes = list(first["rules"])
    rng = random.Random(7)
    pages = max(1, min(20, first["total"] // 50))
    return {"total_findings_in_queue": first["total"],
            "queue": timings(client, [f"/queue?page={rng.randint(1, pages)}" for _ in range(samples)]),
            "queue_filtered": timings(client, [f"/queue?code={rng.choice(codes)}&sort=year"
                                               for _ in range(samples)]),
            "finding": timings(client, [f"/findings/{rng.choice(ids)}" for _ in range(samples)]),
            "api_queue": timings(client, [f"/api/queue?page={rng.randint(1, pages)}"
                                          for _ in range(samples)])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--amplify", type=int, default=1)
    ap.add_argument("--samples", type=int, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="folder to build in (reused when it exists)")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gongkai-bench-web-"))
    if not (folder / "data").exists():
        print(f"building {args.n} synthetic reports in {folder} …", flush=True)
        print(f"synth + ingest: {build(folder, args.n, args.workers):.0f} s", flush=True)
    if args.amplify > 1:
        amplify(folder, args.amplify)
    proc, base = serve(folder)
    try:
        result = measure(base, folder, args.samples)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        from storage import embedded

        if not args.keep:
            embedded.stop_server(folder / "data")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
