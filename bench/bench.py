"""``make bench``: every throughput figure of the extraction pipeline in one run, each as a
ratio to plain ``jieba.lcut`` over the same texts measured in the same run.

    .venv/bin/python bench/bench.py [--n 52] [--rounds 3] [--ingest-n 60] [--no-ingest]
                                    [--research-n 3000] [--no-research]

1. Whole process: ``gongkai check --json`` over N real reports (the 26 of
   ../shared/corpus/reports, cycled), with the defaults (NER model off) and with
   ``--ner``, wall and CPU seconds; time to the first report printed (start-up, model
   loading and the first report) and that report's warm in-process time, so start-up and
   loading are their difference.  Then ``bench/bench_startup.py``: time to the first
   report of ``check`` and of ``ingest`` (into a running embedded store, and into a fresh
   one), ``gongkai --help``, the embedded server's own start, each beside plain jieba's
   start (``python -c "import jieba; jieba.lcut('x')"``) measured in the same run.
2. Stages, in this process, over the 26 reports: each stage is timed next to a
   ``jieba.lcut`` pass over the same texts, ``--rounds`` times; the ratio is taken per
   pair and printed as median and range (the machine is shared: only same-run ratios
   mean anything).
3. ``bench/bench_ingest.py --n INGEST_N --raw --scale SCALE`` (ingest throughput next to
   analyse() and jieba.lcut over the same synthetic reports, local pool and Celery, store
   operations and documents per report, peak RSS, the embedded server's own rates, and
   time per report as the store grows).
4. ``bench/bench_research.py --n RESEARCH_N`` (research queries, ``/api/stats`` and Parquet
   export over a store of RESEARCH_N synthetic reports; ``--research-n 50000`` is the
   issue's size, hours on the embedded server of a 2-core machine).

Benchmarks print figures; nothing here is a pass/fail test.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_stages import corpus_files, stage_table  # noqa: E402  (bench/ is on sys.path)
from bench_startup import startup, warm_analyse  # noqa: E402


def _jieba_time(texts: list[str]) -> float:
    import jieba

    start = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    return time.perf_counter() - start


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _check_process(files: list[Path], extra: list[str]) -> tuple[float, float, float]:
    """(seconds to the first JSON line, seconds to the end, CPU seconds) of one
    ``gongkai check --json`` process."""
    cpu, start = _child_cpu(), time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "gongkai", "check", "--json", *extra,
                             *map(str, files)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    first = None
    for _line in proc.stdout:
        first = first or time.perf_counter() - start
    proc.wait()
    return first or float("nan"), time.perf_counter() - start, _child_cpu() - cpu


def _warm_analyse(path: Path, use_ner: bool) -> float:
    return warm_analyse(path, corpus_files()[-1], use_ner)


def headline(n: int) -> None:
    files = [corpus_files()[i % len(corpus_files())] for i in range(n)]
    texts = [p.read_text(encoding="utf-8") for p in files]
    _jieba_time(texts[:2])  # load jieba's dictionary before timing
    print(f"== whole process: gongkai check --json over {n} real reports "
          f"({len(corpus_files())} distinct, {sum(map(len, texts)):,} chars)")
    for label, extra in (("defaults (NER off)", []), ("--ner", ["--ner"])):
        before = _jieba_time(texts)
        _, total, cpu = _check_process(files, extra)
        after = _jieba_time(texts)
        lo, hi = sorted((before / total, after / total))
        print(f"check {label:18s} {total:7.1f} s (cpu {cpu:5.1f} s)  {n / total:6.1f} reports/s  "
              f"{lo:.2f}-{hi:.2f}x jieba.lcut ({before:.1f}/{after:.1f} s)")
        # check relates all its files before printing: start-up is measured on one file
        first, one, one_cpu = _check_process(files[:1], extra)
        warm = _warm_analyse(files[0], use_ner=bool(extra))
        print(f"   one report: printed after {first:5.2f} s (cpu {one_cpu:4.2f} s); warm in-process "
              f"{warm:5.2f} s -> start-up and loading before the first report ~{first - warm:4.2f} s")


def stages(rounds: int) -> None:
    print(f"\n== stages in one process over the {len(corpus_files())} real reports, "
          f"{rounds} rounds, each next to a jieba.lcut pass")
    rows = stage_table(rounds, _jieba_time)
    width = max(len(name) for name in rows)
    for name, (chars_per_s, ratios) in rows.items():
        med = statistics.median(ratios)
        print(f"{name:{width}s} {statistics.median(chars_per_s):12,.0f} chars/s  "
              f"{med:6.2f}x jieba  (range {min(ratios):.2f}-{max(ratios):.2f})")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=520,
                    help="reports for the whole-process figures (the issue's 520: at 52 start-up dominates)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ingest-n", type=int, default=150)
    ap.add_argument("--scale", default="1000,10000",
                    help="store sizes for the growth figures (the issue's third: 1000,10000,50000)")
    ap.add_argument("--batch", type=int, default=40, help="reports ingested at each --scale size")
    ap.add_argument("--no-ingest", action="store_true")
    ap.add_argument("--no-check", action="store_true", help="skip the whole-process figures")
    ap.add_argument("--research-n", type=int, default=3000,
                    help="reports in the store of bench/bench_research.py")
    ap.add_argument("--no-research", action="store_true")
    args = ap.parse_args(argv)
    if not corpus_files():
        sys.exit("../shared/corpus/reports not present: nothing to benchmark")
    if not args.no_check:
        headline(args.n)
        print("\n== start-up: bench/bench_startup.py (whole processes, defaults, 3 rounds)", flush=True)
        startup()
    stages(args.rounds)
    if not args.no_ingest:
        print(f"\n== ingest: bench/bench_ingest.py --n {args.ingest_n} --raw --scale {args.scale} "
              f"--batch {args.batch}", flush=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "bench_ingest.py"),
                        "--n", str(args.ingest_n), "--raw", "--scale", args.scale,
                        "--batch", str(args.batch)], cwd=ROOT, check=False)
    if not args.no_research:
        print(f"\n== research: bench/bench_research.py --n {args.research_n}", flush=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "bench_research.py"),
                        "--n", str(args.research_n)], cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
