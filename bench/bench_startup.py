"""Start-up: how long ``gongkai check`` and ``gongkai ingest`` take before their first report,
as a user runs them (whole process, defaults), beside plain jieba's own start measured in
the same run.

    .venv/bin/python bench/bench_startup.py [--rounds 3]

- baseline: ``python -c "import jieba; jieba.lcut('x')"`` (jieba's import and dictionary).
- ``python -m gongkai --help``: the CLI's own start.
- ``check --json`` of one report: seconds until its JSON line is printed, and that report's
  warm in-process ``analyse()``; their difference is the start-up before the first report.
- ``ingest`` into a running embedded store (the normal case after the first command): one
  new report (processed in the ingest's own process), one already stored (nothing to do:
  the CLI, the store's connection and its set-up), and three new reports on two local
  worker processes; the first report is done when tqdm's bar on stderr first counts one.
- the embedded server's own start (``db start``), and ``ingest`` of one report into a fresh
  data folder, which includes it.

Each figure is the median of ``--rounds`` processes (min-max beside it).  Benchmarks print
figures; nothing here is a pass/fail test.
"""
from __future__ import annotations

import argparse
import os
import re
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

BASELINE = "import jieba; jieba.lcut('x')"
_FIRST_DONE = re.compile(rb"\|\s*[1-9]\d*/\d+")  # tqdm's bar once one report is finished


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _env(data_dir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    if data_dir is not None:
        env.update(GONGKAI_DATA_DIR=str(data_dir), GONGKAI_DB_NAME="bench_start")
    return env


def _timed(cmd: list[str], env: dict[str, str], first_on: str | None = None) -> tuple[float, float, float]:
    """(seconds to the first report, seconds to the end, CPU seconds) of one process.
    ``first_on``: "stdout" (its first line) or "stderr" (tqdm's first finished report);
    None: the first report is the end (one report processed, the summary printed)."""
    cpu, start = _child_cpu(), time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE if first_on == "stdout" else subprocess.DEVNULL,
                            stderr=subprocess.PIPE if first_on == "stderr" else subprocess.DEVNULL)
    first = None
    if first_on == "stdout":
        assert proc.stdout is not None
        for _line in proc.stdout:
            first = first or time.perf_counter() - start
    elif first_on == "stderr":
        assert proc.stderr is not None
        seen = b""
        while chunk := os.read(proc.stderr.fileno(), 4096):
            seen = (seen + chunk)[-200:]
            if first is None and _FIRST_DONE.search(seen):
                first = time.perf_counter() - start
    proc.wait()
    total = time.perf_counter() - start
    return (total if first_on is None else first or float("nan")), total, _child_cpu() - cpu


def _gongkai(*args: str) -> list[str]:
    return [sys.executable, "-m", "gongkai", *args]


def _rounds(n: int, run) -> tuple[list[float], list[float], list[float]]:
    firsts, totals, cpus = [], [], []
    for i in range(n):
        first, total, cpu = run(i)
        firsts.append(first)
        totals.append(total)
        cpus.append(cpu)
    return firsts, totals, cpus


def _fig(values: list[float]) -> str:
    return f"{statistics.median(values):5.2f} s ({min(values):.2f}-{max(values):.2f})"


def warm_analyse(path: Path, other: Path, use_ner: bool = False) -> float:
    """``path``'s ``analyse()`` in this process once everything is loaded by analysing
    ``other`` (the same text twice would hit the stages' per-text caches)."""
    from extractors.pipeline import analyse

    analyse(other.read_bytes(), use_ner=use_ner)
    data = path.read_bytes()
    start = time.perf_counter()
    analyse(data, source=str(path), filename=path.name, use_ner=use_ner)
    return time.perf_counter() - start


def startup(rounds: int = 3) -> dict[str, float]:
    """Print the start-up figures; return the medians (seconds)."""
    files = corpus_files()
    env = _env()
    base = _rounds(rounds, lambda _i: _timed([sys.executable, "-c", BASELINE], env))
    baseline, base_cpu = statistics.median(base[0]), statistics.median(base[2])
    print(f"baseline python -c \"{BASELINE}\"       {_fig(base[0])}, "
          f"cpu {statistics.median(base[2]):4.2f} s")
    helps = _rounds(rounds, lambda _i: _timed(_gongkai("--help"), env))
    print(f"python -m gongkai --help                          {_fig(helps[0])}, "
          f"cpu {statistics.median(helps[2]):4.2f} s")
    checks = _rounds(rounds, lambda _i: _timed(_gongkai("check", "--json", str(files[0])), env,
                                               "stdout"))
    warm = warm_analyse(files[0], files[-1])
    first = statistics.median(checks[0])
    print(f"check --json of one report: first report after   {_fig(checks[0])}, "
          f"cpu {statistics.median(checks[2]):4.2f} s; warm in-process {warm:4.2f} s")
    print(f"   -> check start-up before the first report      {first - warm:5.2f} s = "
          f"{(first - warm) / baseline:4.2f}x the baseline (first report {first / baseline:4.2f}x; "
          f"the whole process's CPU {statistics.median(checks[2]) / base_cpu:4.2f}x the baseline's)")
    out = {"baseline": baseline, "check_first": first, "check_startup": first - warm}
    out.update(_ingest(files, rounds, baseline, base_cpu))
    return out


def _ingest(files: list[Path], rounds: int, baseline: float, base_cpu: float) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="gk-bench-start-"))
    env = _env(work / "running")
    try:
        server = _timed(_gongkai("db", "start"), env)
        print(f"embedded server start (db start, a fresh data folder) {server[1]:5.2f} s")
        new = _rounds(rounds, lambda i: _timed(_gongkai("ingest", str(files[1 + i])), env, "stderr"))
        stored = _rounds(rounds, lambda _i: _timed(_gongkai("ingest", "--json", str(files[1])), env))
        pool_files = [str(f) for f in files[1 + rounds:4 + rounds]]
        pool = _timed(_gongkai("ingest", "--workers", "2", *pool_files), env, "stderr")
        first = statistics.median(new[0])
        print(f"ingest of one new report, running store: done after {_fig(new[0])} "
              f"= {first / baseline:4.2f}x the baseline; process ends after {_fig(new[1])}, "
              f"cpu {statistics.median(new[2]):4.2f} s = {statistics.median(new[2]) / base_cpu:4.2f}x "
              "the baseline's")
        print(f"ingest of a report already stored (nothing to do) {_fig(stored[0])}, "
              f"cpu {statistics.median(stored[2]):4.2f} s")
        print(f"ingest of 3 new reports, 2 local workers: first report after {pool[0]:5.2f} s, "
              f"all after {pool[1]:5.2f} s")
        _timed(_gongkai("db", "stop"), env)
        fresh_env = _env(work / "fresh")
        fresh = _timed(_gongkai("ingest", "--json", str(files[0])), fresh_env)
        print(f"ingest of one report into a fresh data folder (starts the store) {fresh[1]:5.2f} s, "
              f"cpu {fresh[2]:4.2f} s")
        _timed(_gongkai("db", "stop"), fresh_env)
        return {"ingest_first": first, "ingest_stored": statistics.median(stored[0]),
                "ingest_pool_first": pool[0], "server_start": server[1], "ingest_fresh": fresh[1]}
    finally:
        _timed(_gongkai("db", "stop"), env)
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="processes per figure (median)")
    args = ap.parse_args(argv)
    if len(corpus_files()) < 4 + 2 * args.rounds:
        sys.exit("../shared/corpus/reports has too few reports for these rounds")
    print(f"== start-up: whole processes, defaults, {args.rounds} rounds each (median, range)")
    startup(args.rounds)


if __name__ == "__main__":
    main()
