"""A/B of ``gongkai ingest`` start-up: this checkout beside another one (e.g. a worktree of
the code before a change), processes interleaved against one running embedded store, so
that both see the same machine load.

    .venv/bin/python bench/bench_ab_ingest.py OTHER_CHECKOUT [--rounds 8]

Per command: the median wall time of the whole process, its CPU, and the embedded server's
CPU while it ran (the store's share, which the CLI's own CPU does not show), for a report
already stored (nothing to do: CLI, store connection, set-up) and one new report.  Each
figure beside the other checkout's, with their ratio.  Benchmarks print figures; nothing
here is a pass/fail test.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_stages import corpus_files  # noqa: E402  (bench/ is on sys.path)


def _server_cpu(data: Path) -> float:
    info = json.loads((data / "server.json").read_text())
    fields = Path(f"/proc/{info['pid']}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(tree: Path, env: dict[str, str], data: Path, *args: str) -> tuple[float, float, float]:
    """(wall, CPU, server CPU) of ``gongkai ARGS`` run from ``tree``."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, server, start = usage.ru_utime + usage.ru_stime, _server_cpu(data), time.perf_counter()
    subprocess.run([sys.executable, "-m", "gongkai", *args], cwd=tree,
                   env={**env, "PYTHONPATH": str(tree)}, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, usage.ru_utime + usage.ru_stime - cpu, _server_cpu(data) - server


def compare(other: Path, rounds: int) -> None:
    files = corpus_files()
    if len(files) < 2 * rounds + 1:
        sys.exit("../shared/corpus/reports has too few reports for these rounds")
    work = Path(tempfile.mkdtemp(prefix="gk-bench-ab-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(GONGKAI_DATA_DIR=str(work / "data"), GONGKAI_DB_NAME="bench_ab")
    trees = {"this": ROOT, "other": other.resolve()}
    rows: dict[tuple[str, str], list] = {(t, k): [] for t in trees for k in ("stored", "new")}
    new = iter(files[1:])
    subprocess.run([sys.executable, "-m", "gongkai", "db", "start"], cwd=ROOT, env=env,
                   stdout=subprocess.DEVNULL, check=True)
    try:
        for tree in trees.values():  # each code's first set-up of the store
            _run(tree, env, work / "data", "ingest", "--json", str(files[0]))
        for i in range(rounds):
            for name in (("this", "other") if i % 2 == 0 else ("other", "this")):
                rows[name, "stored"].append(
                    _run(trees[name], env, work / "data", "ingest", "--json", str(files[0])))
                rows[name, "new"].append(
                    _run(trees[name], env, work / "data", "ingest", "--json", str(next(new))))
    finally:
        subprocess.run([sys.executable, "-m", "gongkai", "db", "stop"], cwd=ROOT, env=env,
                       stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
    print(f"== ingest A/B, {rounds} interleaved processes each: this checkout vs {trees['other']}")
    for kind, label in (("stored", "a report already stored"), ("new", "one new report")):
        this, that = ([statistics.median(r[j] for r in rows[t, kind]) for j in range(3)]
                      for t in ("this", "other"))
        print(f"{label:24s} wall {this[0]:5.2f} s vs {that[0]:5.2f} s ({this[0] / that[0]:4.2f}x), "
              f"cpu {this[1]:4.2f} vs {that[1]:4.2f} s ({this[1] / that[1]:4.2f}x), "
              f"server cpu {this[2]:5.3f} vs {that[2]:5.3f} s")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("other", type=Path, help="the other checkout (its gongkai package is run)")
    ap.add_argument("--rounds", type=int, default=8, help="processes per figure (median)")
    args = ap.parse_args(argv)
    compare(args.other, args.rounds)


if __name__ == "__main__":
    main()
