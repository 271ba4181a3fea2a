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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from latency import percentiles, timed_ms  # noqa: E402  (bench/ is the script's folder)
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
    """Clone every stored report (with its table, text and findings) k−1 times, in bulk."""
    import pymongo

    from storage import embedded

    db = pymongo.MongoClient(embedded.ensure_server(folder / "data"))["bench"]
    copy_of = {"$regex": "（副本"}
    for name in ("reports", "findings"):
        db[name].delete_many({"report.body" if name == "reports" else "body": copy_of})
    originals = list(db.reports.find({"status": "done"}))
    ids = [r["_id"] for r in originals]
    parts = {name: {d["_id"]: d for d in db[name].find({"_id": {"$in": ids}})}
             for name in ("tables", "text_inline", "raw_inline")}
    findings = list(db.findings.find({"report_id": {"$in": ids}}))
    for copy in range(1, k):
        _clone_all(db, copy, originals, parts, findings)
    print(f"amplified: {db.reports.count_documents({})} reports, "
          f"{db.findings.count_documents({})} findings", flush=True)


def _clone_all(db, copy: int, originals: list[dict], parts: dict, findings: list[dict]) -> None:
    new_id = {r["_id"]: f"{copy:04d}" + r["_id"][4:] for r in originals}
    suffix = f"（副本{copy}）"
    reports = []
    for rep in originals:
        rid, body = new_id[rep["_id"]], ((rep.get("report") or {}).get("body") or "") + suffix
        reports.append({**rep, "_id": rid, "sha256": rid,
                        "body_key": (rep.get("body_key") or "") + suffix,
                        "report": {**(rep.get("report") or {}), "body": body}})
    for name, docs in (("reports", reports),) + tuple(
            (n, [{**d, "_id": new_id[d["_id"]]} for d in p.values()]) for n, p in parts.items()):
        db[name].delete_many({"_id": {"$in": [d["_id"] for d in docs]}})
        if docs:
            db[name].insert_many(docs, ordered=False)
    bodies = {r["_id"]: r for r in originals}
    clones = [{**f, "_id": f"{copy:04d}" + f["_id"][4:], "report_id": new_id[f["report_id"]],
               "body": (f.get("body") or "") + suffix,
               "body_key": (f.get("body_key") or "") + suffix} for f in findings
              if f["report_id"] in bodies]
    db.findings.delete_many({"_id": {"$in": [f["_id"] for f in clones]}})
    if clones:
        db.findings.insert_many(clones, ordered=False)
    print(f"copy {copy}: {len(reports)} reports, {len(clones)} findings", flush=True)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(folder: Path, tries: int = 600) -> tuple[subprocess.Popen, str]:
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "gongkai", "serve", "--port", str(port)],
                            env=_env(folder / "data"), cwd=ROOT)
    for _ in range(tries):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gongkai serve did not start")


def get_ok(client, url: str) -> float:
    """Milliseconds of one GET that must answer 200 (the benchmark stops otherwise)."""
    r, ms = timed_ms(lambda: client.get(url))
    if r.status_code != 200:
        raise SystemExit(f"{url}: {r.status_code} {r.text[:300]}")
    return ms


def timings(client, urls: list[str]) -> dict:
    times = [get_ok(client, url) for url in urls]
    return {"n": len(times), **percentiles(times)}


def logged_in(base: str, folder: Path, role: str, timeout: float):
    """An HTTP client of the served app with the token of a new user ``bench`` of ``role``."""
    import httpx

    _cli(["users", "add", "bench", "--role", role, "--password-stdin"], _env(folder / "data"),
         PASSWORD + "\n")
    client = httpx.Client(base_url=base, timeout=timeout)
    token = client.post("/api/token", json={"name": "bench", "password": PASSWORD}).json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def measure(base: str, folder: Path, samples: int) -> dict:
    client = logged_in(base, folder, "auditor", 120)
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
