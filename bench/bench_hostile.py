"""Time and peak memory of ``analyse`` on the hostile inputs of issue 12, each in its own
process (so peak RSS is that input's), next to a real report measured in the same run.

    .venv/bin/python bench/bench_hostile.py [--only rowspan,digits] [--timeout 600]

Inputs: the 11 KB page of 160 rows of ``<td rowspan=500 colspan=100>`` (and 20/40 rows,
to show the growth), lines of digits and 件 of 100 KB / 1 MB / 15 MB, a run of one digit
(the email rule was quadratic on it), HTML nested 5,000 deep.  Figures only: nothing
here passes or fails.  Run it on another checkout (``--root /work/main``) for the
before figures.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROSE = "<p>平新县司法局2022年政府信息公开工作年度报告，本年度共收到政府信息公开申请1件，已办结1件。</p>"


def rowspan_page(rows: int) -> bytes:
    body = "".join(f"<tr><td rowspan=500 colspan=100>{i}</td></tr>" for i in range(rows))
    return f"<html><body>{PROSE}<table>{body}</table></body></html>".encode()


def digits_line(size: int) -> bytes:
    rng, out, n = random.Random(1), [], 0
    while n < size:
        s = f"{rng.randint(0, 10 ** rng.randint(1, 12))}件"
        out.append(s)
        n += len(s.encode())
    return "".join(out).encode()


def deep_page(depth: int) -> bytes:
    return ("<html><body>" + "<div>" * depth + PROSE * 3 + "</div>" * depth + "</body></html>").encode()


CASES = {
    "report": lambda: (ROOT / "corpus" / "synthetic" / "2022_synth33_b00000.txt").read_bytes(),
    "rowspan-20": lambda: rowspan_page(20), "rowspan-40": lambda: rowspan_page(40),
    "rowspan-160": lambda: rowspan_page(160),
    "digits-100KB": lambda: digits_line(100_000), "digits-1MB": lambda: digits_line(1_000_000),
    "digits-15MB": lambda: digits_line(15_000_000),
    "one-digit-run-40KB": lambda: b"1" * 40_000 + "件".encode(),
    "one-digit-run-1MB": lambda: b"1" * 1_000_000 + "件".encode(),
    "nested-5000": lambda: deep_page(5000),
}

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from extractors.pipeline import analyse
data, name = open(sys.argv[2], "rb").read(), sys.argv[3]
analyse("政府信息公开工作年度报告。本机关共收到申请120件。".encode(), filename="w.txt", use_ner=False)
start = time.perf_counter()
try:
    rec = analyse(data, filename=name, use_ner=False).record
    out = {"result": "ok", "flags": rec["flags"], "claims": len(rec["claims"])}
except Exception as exc:
    out = {"result": f"{type(exc).__name__}: {str(exc)[:70]}"}
out.update(seconds=round(time.perf_counter() - start, 2),
           peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
print(json.dumps(out, ensure_ascii=False))
"""


def measure(root: Path, name: str, data: bytes, timeout: float, tmp: Path) -> dict:
    path = tmp / name
    path.write_bytes(data)
    filename = "x.txt" if name.startswith(("digits", "one-digit", "report")) else "x.html"
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(root), str(path), filename],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"result": f"not finished after {timeout:.0f} s"}
    lines = proc.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {"result": proc.stderr.strip().splitlines()[-1:]}


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose extractors to measure")
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    names = [n for n in CASES if not args.only or n in args.only.split(",")]
    print(f"extractors of {args.root}; each input in a fresh process, warm (models loaded)")
    print(f"{'input':20} {'bytes':>10} {'seconds':>8} {'peak MB':>8}  result")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            data = CASES[name]()
            res = measure(args.root, name, data, args.timeout, Path(tmp))
            extra = f" flags={res['flags']} claims={res['claims']}" if "flags" in res else ""
            print(f"{name:20} {len(data):>10} {res.get('seconds', '-'):>8} {res.get('peak_mb', '-'):>8}  "
                  f"{res['result']}{extra}", flush=True)


if __name__ == "__main__":
    main()
