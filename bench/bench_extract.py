"""Score the prose extractors over ../shared/corpus/reports against corpus/gold/claims.

    .venv/bin/python bench/bench_extract.py --gold     # precision/recall vs corpus/gold/claims

Throughput figures (every stage, next to plain ``jieba.lcut`` in the same run) are printed
by ``make bench`` (bench/bench.py, bench/bench_stages.py).

Gold scoring: a gold item is located by its ``quote`` (``nth`` occurrence); a figure
matches an extracted claim whose span overlaps it with the same value (±0.5%) and unit;
statements and commitments match on overlapping spans (statements also report whether
the implied constraints are equal).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractors.claims import extract_claims  # noqa: E402
from extractors.commitments import extract_commitments  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
GOLD = ROOT / "corpus" / "gold" / "claims"


def load_reports() -> list[tuple[str, str, str | None, int | None]]:
    """(stem, text, template, year) for every report text in the shared corpus."""
    manifest = {}
    with open(CORPUS / "manifest.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            manifest[row["file"]] = row
    out = []
    for path in sorted((CORPUS / "reports").glob("*.txt")):
        row = manifest.get(f"reports/{path.name}", {})
        year = int(row["year"]) if row.get("year", "").isdigit() else None
        out.append((path.stem, path.read_text(encoding="utf-8"), row.get("template"), year))
    return out


def _locate(text: str, quote: str, nth: int = 0) -> tuple[int, int] | None:
    pos = -1
    for _ in range(nth + 1):
        pos = text.find(quote, pos + 1)
        if pos < 0:
            return None
    return pos, pos + len(quote)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _same_value(g: dict, c) -> bool:
    v = g.get("value")
    if v is None or c.value is None:
        return v is None and c.value is None and (g.get("low"), g.get("high")) == (c.low, c.high)
    return abs(v - c.value) <= 0.005 * max(abs(v), 1e-9) and (g.get("unit") or None) == (c.unit or None)


def _score(gold_items, found, matches) -> tuple[int, int, int]:
    """(true positives by gold, gold count, found items that match some gold)."""
    tp = sum(1 for g in gold_items if any(matches(g, f) for f in found))
    fp_ok = sum(1 for f in found if any(matches(g, f) for g in gold_items))
    return tp, len(gold_items), fp_ok


def score_gold(reports) -> dict[str, list[int]]:
    by_stem = {r[0]: r for r in reports}
    totals = {k: [0, 0, 0, 0] for k in ("figures", "statements", "commitments")}  # tp, gold, matched, found
    for path in sorted(GOLD.glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        stem, text, template, year = by_stem[path.stem]
        claims = extract_claims(text, template=template)
        kinds = {
            "figures": [c for c in claims if c.kind != "statement"],
            "statements": [c for c in claims if c.kind == "statement"],
            "commitments": extract_commitments(text, year=year),
        }
        for kind, found in kinds.items():
            items = [(g, _locate(text, g["quote"], g.get("nth", 0))) for g in gold.get(kind, [])]
            items = [(g, span) for g, span in items if span]
            value_ok = _same_value if kind == "figures" else (lambda g, f: True)
            tp, n, ok = _score(items, found, lambda g, f: _overlap(g[1], (f.start, f.end)) and value_ok(g[0], f))
            for i, v in enumerate((tp, n, ok, len(found))):
                totals[kind][i] += v
    return totals


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", action="store_true", help="score against corpus/gold/claims (the default)")
    ap.parse_args(argv)
    if not (CORPUS / "reports").is_dir():
        sys.exit(f"{CORPUS} not present: nothing to benchmark")
    reports = load_reports()
    print(f"{len(reports)} reports, {sum(len(r[1]) for r in reports):,} chars")
    for kind, (tp, n, ok, found) in score_gold(reports).items():
        p, r = ok / found if found else 0.0, tp / n if n else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{kind:12s} precision {p:.3f} ({ok}/{found})  recall {r:.3f} ({tp}/{n})  F1 {f1:.3f}")


if __name__ == "__main__":
    main()
