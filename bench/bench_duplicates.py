"""Near-duplicate candidates past the cap: what ranking them on the server costs as a
same-year pool grows, next to the former read measured in the same run.

A fresh embedded store is filled with same-year reports of distinct bodies whose 16
MinHash band keys each take one of ``--values`` values (templated text: every report
shares bands with nearly every other, so the pool is the whole year).  At each size of
``--sizes``, for ``--samples`` reports:

- baseline: the former read, ``find`` on the ``lsh`` index with ``limit(cap + 1)`` (no
  ranking: which candidates come back depends on arrival order), ranked in Python;
- ranked: ``Store.duplicate_candidates`` (the pool's band keys read through the index,
  ranked in the client, then the docs of the best cap + 1);
- aggregation: the same ranking done by the server (``$match`` on the index, ``$project``
  the size of ``$setIntersection``, ``$sort``, ``$limit`` cap + 1), not used;
- settle: the store work ``worker/duplicates.py settle`` does per marked report besides
  the similarity checks it was missing (the ranking, the reports of its pool within the
  cap, the recorded ranks of its selection, its stored pairs).

Prints ms per report and the ratio to the baseline.

    python bench/bench_duplicates.py [--sizes 1000,3000,10000] [--cap 200] [--samples 20]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _docs(start: int, count: int, values: int, rng: random.Random) -> list[dict]:
    out = []
    for i in range(start, start + count):
        rid = f"{i:064x}"
        out.append({"_id": rid, "sha256": rid, "size": 1, "sources": [{"source": f"r{i}.txt"}],
                    "status": "done", "year": 2023, "body_key": f"body{i}", "rendering_of": None,
                    "seq": i, "report": {"year": 2023, "body": f"body{i}"}, "sections": [],
                    "lsh": [f"b{b}:{rng.randrange(values)}" for b in range(16)]})
    return out


def _old_read(store, rid: str, lsh: list[str], cap: int) -> list[dict]:
    from extractors.related import rank_candidates

    query = {"lsh": {"$in": lsh}, "_id": {"$ne": rid}, "status": "done", "year": 2023,
             "body_key": {"$ne": None}, "rendering_of": None}
    fields = {"report": 1, "sections": 1, "body_key": 1, "lsh": 1, "seq": 1,
              "sources": {"$slice": 1}}
    docs = [{"id": d["_id"], **d} for d in store.db.reports.find(query, fields).limit(cap + 1)]
    return rank_candidates(lsh, docs, limit=cap)


def _aggregated(store, rid: str, lsh: list[str], cap: int) -> list[dict]:
    query = {"lsh": {"$in": lsh}, "_id": {"$ne": rid}, "status": "done", "year": 2023,
             "body_key": {"$ne": None}, "rendering_of": None}
    return list(store.db.reports.aggregate([
        {"$match": query}, {"$project": {"shared": {"$size": {"$setIntersection": ["$lsh", lsh]}}}},
        {"$sort": {"shared": -1, "_id": 1}}, {"$limit": cap + 1}]))


def _settle_work(store, rid: str, lsh: list[str], cap: int) -> None:
    ranked = store.ranked_pool(rid, lsh, 2023, None, limit=cap + 1).ranked
    store.duplicate_ranks([rid, *(r for r, _ in ranked[:cap])])
    store.duplicate_pairs(rid)


def _time(fn, samples: list[dict], cap: int) -> float:
    started = time.perf_counter()
    for doc in samples:
        fn(doc["_id"], doc["lsh"], cap)
    return (time.perf_counter() - started) / len(samples) * 1000


def main(argv: list[str] | None = None) -> None:
    import pymongo

    from storage import embedded
    from storage.store import Store

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,3000,10000")
    ap.add_argument("--cap", type=int, default=200)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--values", type=int, default=3, help="values per band key")
    args = ap.parse_args(argv)
    data = Path(tempfile.mkdtemp(prefix="gk_bench_dup_"))
    url = embedded.ensure_server(data)
    client = pymongo.MongoClient(url, tz_aware=True)
    store = Store(client, "bench_dup")
    store.setup()
    rng = random.Random(7)
    stored = 0
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            store.db.reports.insert_many(_docs(stored, size - stored, args.values, rng))
            stored = size
            samples = rng.sample(list(store.db.reports.find({}, {"lsh": 1})), args.samples)
            pool = len(store.ranked_candidates(samples[0]["_id"], samples[0]["lsh"], 2023,
                                               None, limit=size))
            base = _time(lambda r, l, c: _old_read(store, r, l, c), samples, args.cap)
            ranked = _time(lambda r, l, c: store.duplicate_candidates(r, l, 2023, None, c + 1),
                           samples, args.cap)
            agg = _time(lambda r, l, c: _aggregated(store, r, l, c), samples, args.cap)
            settle = _time(lambda r, l, c: _settle_work(store, r, l, c), samples, args.cap)
            print(f"{size:>6} stored, pool {pool:>6}, cap {args.cap}: former read "
                  f"{base:7.1f} ms/report (baseline) · ranked {ranked:7.1f} ms "
                  f"({ranked / base:.2f}x) · aggregation {agg:7.1f} ms ({agg / base:.2f}x) · "
                  f"settle store work {settle:7.1f} ms ({settle / base:.2f}x)", flush=True)
    finally:
        client.close()
        embedded.stop_server(data)


if __name__ == "__main__":
    main()
