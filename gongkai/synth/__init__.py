"""Synthetic 政府信息公开工作年度报告 for scale tests and seeded-discrepancy evaluation.

``generate(n, seed, out_dir)`` writes ``n`` plausible reports of the three template
generations (pre2019 national 2014 list, 2019 trial, 2021; ../shared/docs/DOMAIN.md)
as ``<name>.txt`` (one paragraph per line, table rows as ``cell | cell``), optionally
``<name>.html``, and a ``<name>.gold.json`` holding the table as generated and the one
discrepancy seeded on purpose (or null).

Why this is hand-written rather than sampled from real reports: the point is ground
truth.  Every table is built to satisfy the DOMAIN.md identities (表三 一+二 = 三（七）+四,
row sums, 表四 blocks, pre-2019 sums of parts and channel inequalities) and bodies report
consecutive years whose carry-overs and 现行有效 counts roll forward, so any finding on a
clean report is a false positive and the seeded place is known exactly.  The prose is
composed from this module's own phrase banks (none of it is taken from real reports);
figures in it are rendered from the final table, so the only disagreement in a report is
the seeded one.  Output is deterministic for a seed (``random.Random`` per body).

The package: ``bodies`` (names), ``values`` (tables), ``render`` (text), ``phrases``
(the phrase banks, data in config/synth/phrases.yaml), ``seeding`` (discrepancies), and
here the report plan, output and CLI.
"""
from __future__ import annotations

import argparse
import html
import json
import random
import sys
import time
from pathlib import Path
from typing import Sequence

from gongkai.synth.bodies import Body, make_body, template_of
from gongkai.synth.render import Doc, render_new, render_pre2019
from gongkai.synth.seeding import seed_before_render, seed_prose, seed_table_number
from gongkai.synth.values import YEARS, Draft, values_new, values_pre2019

GENERATOR_VERSION = "synth.v3"  # v2: figure-free prose composed per body (config/synth/phrases.yaml); v3: in each body's voice, longer
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def build(rng: random.Random, body: Body, year: int, state: dict, name: str, rate: float) -> tuple[Doc, dict]:
    """One report: values, seeding, prose and tables; returns its blocks and gold record."""
    d = Draft(body, year, template_of(year), name)
    (values_pre2019 if d.template == "pre2019" else values_new)(rng, d, state)
    seed_before_render(rng, d, rate)
    doc = _render(rng, d)
    if d.seeded and d.seeded["kind"] == "prose_figure" and not seed_prose(doc):
        seed_table_number(rng, d)
        doc = _render(rng, d)
    if d.seeded and d.seeded["kind"] == "statement_flip":
        d.seeded["quote"] = doc.statements[d.seeded.pop("statement")]
    gold = {"file": name + ".txt", "generator": GENERATOR_VERSION, "template": d.template, "year": year,
            "body": body.name, "region": body.region, "level": body.level,
            "seeded": d.seeded, "cells": doc.cells}
    return doc, gold


def _render(rng: random.Random, d: Draft) -> Doc:
    doc = Doc(d, rng)
    (render_pre2019 if d.template == "pre2019" else render_new)(doc)
    return doc


def to_txt(doc: Doc) -> str:
    lines = [b[1] if b[0] == "p" else "\n".join(" | ".join(c[0] for c in row) for row in b[1])
             for b in doc.blocks]
    return "\n".join(lines) + "\n"


def _html_cell(cell: tuple) -> str:
    text, rs, cs = cell
    attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
    return f"<td{attrs}>{html.escape(text)}</td>"


def to_html(doc: Doc) -> str:
    title = html.escape(doc.blocks[0][1])
    body = [f"<h1>{title}</h1>"]
    for kind, content in doc.blocks[1:]:
        if kind == "p":
            body.append(f"<p>{html.escape(content)}</p>")
        else:
            rows = "".join("<tr>" + "".join(_html_cell(c) for c in row) + "</tr>" for row in content)
            body.append(f'<table border="1">{rows}</table>')
    return ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>'
            f"{title}</title></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def plan(n: int, rng: random.Random, years: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """(body index, year) for each report: bodies report runs of consecutive years."""
    if years:
        return [(i // len(years), years[i % len(years)]) for i in range(n)]
    out: list[tuple[int, int]] = []
    while len(out) < n:
        run = min(n - len(out), rng.randint(1, 6))
        start = rng.randint(YEARS.start, YEARS.stop - run)
        b = out[-1][0] + 1 if out else 0
        out += [(b, start + k) for k in range(run)]
    return out


def generate(n: int, seed: int, out_dir: Path, discrepancy_rate: float = 0.5,
             formats: Sequence[str] = ("txt",), *, years: Sequence[int] | None = None) -> list[dict]:
    """Write ``n`` synthetic reports (+ ``.gold.json``) into ``out_dir``; return the gold records.

    ``years``: every body reports exactly these years (default: random runs of 1–6
    consecutive years in 2014–2025).  Same arguments, same bytes.
    """
    bad = set(formats) - {"txt", "html"}
    if bad or not 0.0 <= discrepancy_rate <= 1.0:
        raise ValueError(f"formats must be among txt, html (got {sorted(bad)}); "
                         f"discrepancy_rate must be in [0, 1] (got {discrepancy_rate})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    golds, current = [], (-1, None, None, None)
    for b, year in plan(n, random.Random(seed), years):
        if b != current[0]:
            rng = random.Random(f"{seed}:{b}")
            current = (b, rng, make_body(rng), {})
        _, rng, body, state = current
        doc, gold = build(rng, body, year, state, f"{year}_synth{seed}_b{b:05d}", discrepancy_rate)
        _write(out_dir, doc, gold, formats)
        golds.append(gold)
    return golds


def _write(out_dir: Path, doc: Doc, gold: dict, formats: Sequence[str]) -> None:
    stem = out_dir / gold["file"][:-4]
    if "txt" in formats:
        stem.with_suffix(".txt").write_text(to_txt(doc), encoding="utf-8")
    if "html" in formats:
        stem.with_suffix(".html").write_text(to_html(doc), encoding="utf-8")
    stem.with_suffix(".gold.json").write_text(gold_json(gold, doc.cell_json), encoding="utf-8")


def gold_json(gold: dict, cell_json: Sequence[str] | None = None) -> str:
    """The gold record as JSON, one cell per line; ``cell_json``: the cells already encoded."""
    enc = _ENCODER.encode
    lines = [f" {enc(k)}: {enc(v)}" for k, v in gold.items() if k != "cells"]
    cells = ",\n  ".join(cell_json if cell_json is not None else map(enc, gold["cells"]))
    return "{\n" + ",\n".join(lines) + ',\n "cells": [\n  ' + cells + "\n ]\n}\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gongkai.synth", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100, help="number of reports")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True, help="output folder (created)")
    ap.add_argument("--rate", type=float, default=0.5, help="share of reports with one seeded discrepancy")
    ap.add_argument("--formats", default="txt", help="comma list of txt, html")
    ap.add_argument("--years", default=None, help="comma list: every body reports these years")
    args = ap.parse_args(argv)
    years = [int(y) for y in args.years.split(",")] if args.years else None
    t0, c0 = time.perf_counter(), time.process_time()
    golds = generate(args.n, args.seed, args.out, args.rate, tuple(args.formats.split(",")), years=years)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    seeded = sum(1 for g in golds if g["seeded"])
    print(f"{len(golds)} reports ({seeded} seeded) in {args.out}: {dt:.2f}s wall, {cpu:.2f}s cpu, "
          f"{len(golds) / max(dt, 1e-9):.0f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
