"""Fuzz ``extractors.pipeline.analyse`` with hostile variants of real and synthetic reports.

Inputs are drawn by hypothesis strategies (:func:`documents`): a seed report (the
project's corpus, ../shared/corpus when present, synthetic reports as text and HTML)
with a few mutations (hostile payloads inserted, spans deleted or repeated, numbers
blown up, bytes flipped, truncation), or HTML / markdown generated from scratch (nesting,
rowspan/colspan, pipes, control characters).  The outcome of one input
(:func:`outcome`) is ``ok``, a ``DocumentError`` code (a clear refusal: fine), or a
crash: any other exception, keyed by its class and the innermost project function.

``python -m gongkai.fuzz --minutes N --out DIR`` (or ``gongkai fuzz``) runs until the
time is up, writes each crashing and each slow input with its traceback under
``DIR/crashes/<class>/`` and ``DIR/slow/``, and prints the figures.  ``--ingest`` fuzzes
the expansion of ingest inputs instead (:func:`ingest_inputs`: damaged archives of odd
members, JSONL of odd pages; :func:`ingest_outcome`).  tests/test_fuzz.py runs the same
strategies briefly in ``make test``.

Hand-written glue: hypothesis generates and mutates; what is specific here is which
payloads are hostile to these extractors.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import signal
import tarfile
import tempfile
import time
import traceback
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
SLOW_SECONDS = 30.0  # an input over this is reported as slow (issue 12: bound it)
HARD_SECONDS = 120.0  # an input still running after this is stopped and counted a crash

PAYLOADS = [
    "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\ufffe", "\ufeff", "\u2028", "\r",
    "9" * 400, "9" * 5000, "1" * 17, "1e308", "-0", "０" * 30, "二" * 200, "亿" * 50, "万亿亿",
    " | ", "|", " | 12 | 0 | /", "。", "；", "，", "件", "%", "万元", "（", "）", "《", "》", "“",
    "<td rowspan=500 colspan=100>1</td>", "<tr><td colspan=99999>x</td></tr>", "<table>", "</table>",
    "<div>" * 300, "<span>" * 60, "<!--", "<![CDATA[", "&#0;", "&#x1;", "&#xD800;", "&nbsp;" * 50,
    "<script>x</script>\x01", "<!-- c -->\x0b", "<meta charset=utf-7>+2AA-", "<meta charset=gbk>", "<meta charset=nonexistent>", "a@b" * 50, "www." * 100, "http://" + "a" * 500,
    "一、总体情况\n", "第二十条第（一）项\n", "三、收到和处理政府信息公开申请情况\n",
    "本年新收政府信息公开申请数量 | ", "\n" * 50, " " * 500, "\t|\t", "--- | ---\n",
]
_WORDS = ["政府信息公开", "申请", "件", "条", "行政许可", "本年", "上年结转", "总计", "办结",
          "予以公开", "同比增长", "占", "%", "万", "余", "约", "、", "，", "。", "（", "）", "|"]


@cache
def seeds() -> tuple[tuple[str, bytes], ...]:
    """(filename, bytes) of every seed report: the project's corpus, synthetic reports as
    text and HTML, and ../shared/corpus reports when present."""
    from gongkai.synth import generate

    paths = sorted((ROOT / "corpus").glob("*.txt")) + sorted((ROOT / "corpus" / "markdown").glob("*.md"))
    paths += sorted((ROOT.parent / "shared" / "corpus" / "reports").glob("*.txt"))[:12]
    out = [(p.name, p.read_bytes()) for p in paths]
    with tempfile.TemporaryDirectory() as tmp:
        generate(4, 12, Path(tmp), formats=("txt", "html"), years=(2018, 2022))
        out += [(p.name, p.read_bytes()) for p in sorted(Path(tmp).glob("*.*")) if "gold" not in p.name]
    return tuple(out)


@st.composite
def _mutated(draw) -> tuple[str, bytes]:
    name, data = draw(st.sampled_from(seeds()))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert"] * 6 + ["delete", "repeat", "repeat", "digits", "bignum", "bignum",
                                                   "flip", "cut"]))
        if op == "insert":
            payload = draw(st.one_of(st.sampled_from(PAYLOADS[12:]), st.sampled_from(PAYLOADS[12:]),
                                     st.sampled_from(PAYLOADS[:12]), st.text(max_size=40)))
            data = data[:at] + payload.encode("utf-8", "surrogatepass") + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 2000)):]
        elif op == "repeat":
            span = data[at:at + draw(st.integers(1, 200))]
            data = data[:at] + span * draw(st.integers(2, 200)) + data[at:]
        elif op == "digits":
            data = data[:at] + b"9" * draw(st.integers(10, 2000)) + data[at:]
        elif op == "bignum":  # a printed number (a table cell, a figure) blown up
            runs = list(re.finditer(rb"\d+", data))
            if runs:
                run = runs[draw(st.integers(0, len(runs) - 1))]
                data = data[:run.start()] + b"9" * draw(st.integers(16, 5000)) + data[run.end():]
        elif op == "flip":
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
        else:
            data = data[:at] or data[:1]
    return name, data


_TEXT = st.lists(st.one_of(st.sampled_from(_WORDS), st.sampled_from(PAYLOADS[:12]),
                           st.integers(-10, 10 ** 20).map(str)), max_size=12).map("".join)


def _html_node(children):
    tag = st.sampled_from(["div", "p", "table", "tr", "td", "th", "span", "li", "br", "b"])
    attrs = st.lists(st.tuples(st.sampled_from(["rowspan", "colspan", "class", "style"]),
                               st.one_of(st.integers(-5, 10 ** 6).map(str), st.text(max_size=5))), max_size=2)
    return st.tuples(tag, attrs, st.lists(children, max_size=5)).map(
        lambda t: f"<{t[0]} {' '.join(f'{k}={v!r}' for k, v in t[1])}>{''.join(t[2])}</{t[0]}>")


_LEAD = "<p>某县人民政府2022年政府信息公开工作年度报告。本年度共收到政府信息公开申请12件，办结11件。</p>"
_HTML = st.recursive(_TEXT, _html_node, max_leaves=40).map(
    lambda body: ("html", f"<html><head><title>报告</title></head><body>{_LEAD}{body}</body></html>"))
_MARKDOWN = st.lists(st.lists(_TEXT, min_size=1, max_size=8).map(" | ".join), max_size=30).map(
    lambda rows: ("md", "某县人民政府2022年政府信息公开工作年度报告\n" + "\n".join(rows)))


@st.composite
def documents(draw) -> tuple[str, bytes]:
    """(filename, bytes) of one fuzz input."""
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "html", "markdown"]))
    if kind == "mutated":
        return draw(_mutated())
    ext, text = draw(_HTML if kind == "html" else _MARKDOWN)
    return f"gen.{ext}", text.encode("utf-8", "surrogatepass")


# --------------------------------------------------------------------------- ingest inputs

_JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 10 ** 30), st.text(max_size=30),
                         st.sampled_from(["\ud800", "\x00", {"$gt": ""}, [1], {"a.b": 1}, 1e308]))


@st.composite
def _jsonl(draw) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        page = {key: draw(st.one_of(_JSON_VALUES, st.sampled_from([_LEAD, "<p>x</p>"])))
                for key in draw(st.lists(st.sampled_from(["url", "html", "text", "fetched_at", "x"]),
                                         max_size=4, unique=True))}
        line = json.dumps(page, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
        lines.append(draw(st.sampled_from([line, line, line[:len(line) // 2], b"", b" ", b"[1]", b"\xff\xfe"])))
    return b"\n".join(lines) + draw(st.sampled_from([b"\n", b"", b"\r\n"]))


@st.composite
def _members(draw) -> list[tuple[str, bytes]]:
    names = st.one_of(st.sampled_from(["a.txt", "d/b.html", "../up.txt", "/abs.txt", "p.jsonl", "n.zip",
                                       ".DS_Store", "x/", "名.txt", "a" * 300 + ".txt", "c.md"]),
                      st.text(st.characters(blacklist_categories=("Cs",)), max_size=12).map(
                          lambda n: n.replace("/", "_").replace("\x00", "") + ".txt"))
    out = []
    for _ in range(draw(st.integers(0, 5))):
        name = draw(names)
        kind = draw(st.sampled_from(["seed", "jsonl", "zeros", "tiny"]))
        data = (draw(st.sampled_from(seeds()))[1][:4000] if kind == "seed" else draw(_jsonl()) if kind == "jsonl"
                else b"0" * draw(st.integers(1, 3 << 20)) if kind == "zeros" else draw(st.binary(max_size=20)))
        out.append((name, data))
    return out


def _archive(kind: str, members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a duplicate member name is one of the odd inputs
            for name, data in members:
                archive.writestr(name, data)
    else:
        with tarfile.open(fileobj=buf, mode="w:gz" if kind == "tar.gz" else "w") as archive:
            for name, data in members:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@st.composite
def ingest_inputs(draw) -> tuple[str, bytes]:
    """(filename, bytes) of one ingest input: an archive (zip, tar.gz, tar) of odd members
    or a JSONL file of pages, damaged by a few byte changes, a cut, or a size lie."""
    kind = draw(st.sampled_from(["zip", "zip", "tar.gz", "tar", "jsonl", "jsonl"]))
    data = draw(_jsonl()) if kind == "jsonl" else _archive(kind, draw(_members()))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        op = draw(st.sampled_from(["flip", "cut", "insert"]))
        if op == "flip":
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
        elif op == "cut":
            data = data[:at]
        else:
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return f"input.{kind}", data


def ingest_outcome(filename: str, data: bytes, hard: float = HARD_SECONDS) -> Outcome:
    """Expand one ingest input as ``gongkai ingest`` does (``gongkai.inputs.iter_items``):
    every item must be bytes with a string source and plain string (or absent) metadata,
    failed or not; an exception, including the project's ``InputError``, is a crash
    (bad input must become failed items)."""
    from gongkai.inputs import iter_items

    def check() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / filename
            path.write_bytes(data)
            for item in iter_items([str(path)]):
                assert isinstance(item.data, bytes) and isinstance(item.source, str), item.source
                assert all(v is None or isinstance(v, str) for v in item.meta.values()), item.meta
                assert item.failure is None or item.failure["code"] == "E300", item.failure

    return _timed(check, hard)


# --------------------------------------------------------------------------- running

class _Stopped(Exception):
    pass


@dataclass
class Outcome:
    kind: str  # ok | refused | crash
    key: str  # "ok", the error code, or "<Exception> in <module.function>"
    seconds: float
    trace: str = ""


def outcome(filename: str, data: bytes, use_ner: bool = False, hard: float = HARD_SECONDS) -> Outcome:
    """Analyse one input; a project ``DocumentError`` is a refusal, anything else a crash."""
    from extractors.errors import DocumentError
    from extractors.pipeline import analyse

    return _timed(lambda: analyse(data, filename=filename, use_ner=use_ner), hard, DocumentError)


def _timed(work, hard: float, refusal: type[Exception] | tuple = ()) -> Outcome:
    """Run ``work()``: ok, refused (a ``refusal`` exception: its code) or a crash."""
    def stop(*_):
        raise _Stopped(f"still running after {hard:.0f} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, hard)
    start = time.perf_counter()
    try:
        work()
        return Outcome("ok", "ok", time.perf_counter() - start)
    except refusal as exc:
        return Outcome("refused", exc.code, time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - a crash is what the fuzzer looks for
        return Outcome("crash", crash_key(exc), time.perf_counter() - start, traceback.format_exc())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def crash_key(exc: BaseException) -> str:
    """``OverflowError in extractors.expr.cell_interval``: the class and the innermost
    project frame, so one bug counts once however many inputs hit it."""
    where = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        parts = Path(frame.filename).with_suffix("").parts
        top = [i for i, part in enumerate(parts) if part in ("extractors", "gongkai")]
        if top and "site-packages" not in parts and parts[-1] != "fuzz":
            where = ".".join(parts[top[-1]:]) + "." + frame.name
    name = "Timeout" if isinstance(exc, _Stopped) else type(exc).__name__
    return f"{name} in {where}"


@dataclass
class Report:
    tried: int = 0
    outcomes: Counter = field(default_factory=Counter)
    crashes: Counter = field(default_factory=Counter)
    slow: list = field(default_factory=list)  # (seconds, file)
    slowest: float = 0.0

    def lines(self) -> list[str]:
        out = [(f"inputs tried: {self.tried}; slowest {self.slowest:.1f} s; "
                f"over {SLOW_SECONDS:.0f} s: {len(self.slow)}"),
               "outcomes: " + ", ".join(f"{k} {v}" for k, v in self.outcomes.most_common())]
        out += [f"crash: {v:5d}  {k}" for k, v in self.crashes.most_common()] or ["crashes: none"]
        return out


def _save(folder: Path, filename: str, data: bytes, note: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:12]}{Path(filename).suffix or '.bin'}"
    path.write_bytes(data)
    path.with_name(path.name + ".txt").write_text(note, encoding="utf-8")
    return path


def run(minutes: float, out: Path, use_ner: bool = False, batch: int = 25,
        ingest: bool = False) -> Report:
    """Fuzz ``analyse`` (or, ``ingest``, the expansion of ingest inputs) for ``minutes``;
    crashing and slow inputs go under ``out``."""
    from hypothesis import HealthCheck, Phase, given, settings

    outcome("warm.txt", seeds()[0][1], use_ner)  # load jieba/spaCy before timing anything
    report, deadline = Report(), time.monotonic() + minutes * 60

    @settings(max_examples=batch, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(ingest_inputs() if ingest else documents())
    def one(doc: tuple[str, bytes]) -> None:
        if time.monotonic() > deadline:
            return
        name, data = doc
        res = ingest_outcome(name, data) if ingest else outcome(name, data, use_ner)
        report.tried += 1
        report.outcomes[res.kind if res.kind != "refused" else res.key] += 1
        report.slowest = max(report.slowest, res.seconds)
        if res.kind == "crash":
            report.crashes[res.key] += 1
            safe = res.key.replace(" in ", "@").replace("/", "_")
            _save(out / "crashes" / safe, name, data, f"{res.key}\n{name}\n\n{res.trace}")
        if res.seconds > SLOW_SECONDS:
            path = _save(out / "slow", name, data, f"{res.seconds:.1f} s\n{name}\n")
            report.slow.append((round(res.seconds, 1), str(path)))

    while time.monotonic() < deadline:
        one()
    return report


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gongkai.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("tmp/fuzz"))
    parser.add_argument("--ner", action="store_true", help="also run the NER model (slower)")
    parser.add_argument("--ingest", action="store_true",
                        help="fuzz the expansion of ingest inputs (archives, JSONL) instead of analyse")
    args = parser.parse_args(argv)
    report = run(args.minutes, args.out, use_ner=args.ner, ingest=args.ingest)
    print("\n".join(report.lines()))
    print(f"inputs written under {args.out}/crashes and {args.out}/slow")
    return 1 if report.crashes or report.slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
