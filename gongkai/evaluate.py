"""``gongkai evaluate``: precision, recall and F1 per kind against the gold files.

Gold lives in ``corpus/gold/{tables,claims,findings}/<stem>.json`` (formats in each
folder's README); the reports themselves are read from the real corpus folder.  Prose
items are located by their ``quote`` (the n-th occurrence in the normalized text) and
matched to extracted items by overlapping spans, one to one.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

# An enumeration claim relates figures that are extracted (and scored) on their own; the
# gold annotates the figures, so enumerations are not scored as extra figures.
FIGURE_KINDS = {"figure", "rate", "change"}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    def add(self, other: "Score") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.misses += other.misses
        self.false_alarms += other.false_alarms

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "tp": self.tp, "fp": self.fp, "fn": self.fn}


# ---------------------------------------------------------------------------- cells
def _same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-9


def score_cells(gold: list[dict], predicted: list[dict], label: str = "") -> Score:
    s = Score()
    pred = {(c["key"], c["column"]): c for c in predicted}
    gold_keys = {(c["key"], c["column"]) for c in gold}
    for g in gold:
        p = pred.get((g["key"], g["column"]))
        if p and p.get("state") == g.get("state") and _same_value(p.get("value"), g.get("value")):
            s.tp += 1
        else:
            s.fn += 1
            got = f"{p.get('raw')!r}/{p.get('state')}" if p else "missing"
            s.misses.append(f"{label} {g['key']}@{g['column']}: gold {g.get('raw')!r}, got {got}")
    for key, p in pred.items():
        if key not in gold_keys:
            s.fp += 1
            s.false_alarms.append(f"{label} {key[0]}@{key[1]} = {p.get('raw')!r} (not in gold)")
    return s


# ---------------------------------------------------------------------------- prose items
def locate(text: str, quote: str, nth: int = 0) -> tuple[int, int] | None:
    from extractors.normalize import normalize_text

    for q in (quote, normalize_text(quote).strip()):
        start = -1
        for _ in range(nth + 1):
            start = text.find(q, start + 1)
            if start < 0:
                break
        if start >= 0:
            return start, start + len(q)
    return None


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _match(gold: list[dict], predicted: list[dict], text: str,
           same: Callable[[dict, dict], bool], label: str, describe: Callable[[dict], str],
           pred_span: Callable[[dict], Iterable[tuple[int, int]]]) -> Score:
    s = Score()
    used: set[int] = set()
    for g in gold:
        span = locate(text, g["quote"], g.get("nth", 0))
        hit = None
        if span is not None:
            for i, p in enumerate(predicted):
                if i not in used and any(_overlaps(span, ps) for ps in pred_span(p)) and same(g, p):
                    hit = i
                    break
        if hit is None:
            s.fn += 1
            s.misses.append(f"{label} {g['quote']!r}" + ("" if span else " (quote not found)"))
        else:
            used.add(hit)
            s.tp += 1
    for i, p in enumerate(predicted):
        if i not in used:
            s.fp += 1
            s.false_alarms.append(f"{label} {describe(p)}")
    return s


def _metric_ok(g: dict, p: dict) -> bool:
    gold = {m for m in [g.get("metric"), *g.get("alternatives", [])] if m}
    pred = {m for m in [p.get("metric"), *p.get("alternatives", [])] if m}
    if not g.get("metric") and not p.get("metric"):
        return True
    return bool(gold & pred)


def _figure_same(g: dict, p: dict) -> bool:
    unit_ok = (g.get("unit") or None) == (p.get("unit") or None)
    value_ok = _same_value(g.get("value"), p.get("value")) or (
        g.get("value") is not None and _same_value(g.get("value"), p.get("low")))
    return unit_ok and value_ok and _metric_ok(g, p)


def figure_value_unit_same(g: dict, p: dict) -> bool:
    """A figure read with the right value and unit, whatever metric it was given."""
    bare = {"metric": None, "alternatives": []}
    return _figure_same({**g, **bare}, {**p, **bare})


def score_figures(gold: list[dict], claims: list[dict], text: str, label: str,
                  same: Callable[[dict, dict], bool] = _figure_same) -> Score:
    """Gold figures against the figure claims of one record (value+unit+metric by default)."""
    figs = [c for c in claims if c["kind"] in FIGURE_KINDS]
    return _match(gold, figs, text, same, label, lambda p: f"{p['text']!r}", _claim_spans)


def _statement_same(g: dict, p: dict) -> bool:
    gm = {i["metric"] for i in g.get("implies", [])}
    pm = {i.get("metric") for i in p.get("implies", [])}
    return not gm or bool(gm & pm)


def _claim_spans(p: dict) -> list[tuple[int, int]]:
    return [(p["start"], p["end"])]


# ---------------------------------------------------------------------------- findings
def _cell_refs(f: dict) -> set[str]:
    refs = set()
    for c in f.get("cells", []):
        refs.add(c if isinstance(c, str) else f"{c.get('key')}@{c.get('column')}")
    return refs


# A gold finding that names no cell (a missing table, a copied report) is matched by kind.
CATEGORY_CODES = {"structure": ("TABLE.MISSING", "TABLE.PARTIAL", "STRUCT."),
                  "duplicate": ("X.DUPLICATE", "X.SECTION_COPY"),
                  "smell": ("TABLE.PLACEHOLDER", "TABLE.ALL_ZERO")}


CATEGORY_FAMILY = {"cross_year": ("X.",), "duplicate": ("X.DUPLICATE", "X.SECTION_COPY"),
                   "prose_table": ("PROSE.",), "statement": ("PROSE.",),
                   "structure": ("STRUCT.", "TABLE.MISSING", "TABLE.PARTIAL"),
                   "smell": ("TABLE.PLACEHOLDER", "TABLE.ALL_ZERO"),
                   "table_identity": ("T3.", "T4.", "P.")}


def _same_finding(g: dict, p: dict, span: tuple[int, int] | None) -> bool:
    if _cell_refs(g) & _cell_refs(p):
        return True
    if span is not None and any(_overlaps(span, tuple(ps)) for ps in p.get("spans", [])):
        return True
    codes = CATEGORY_CODES.get(g.get("category", ""), ())
    return not _cell_refs(g) and str(p.get("code", "")).startswith(codes) if codes else False


def score_findings(gold: list[dict], predicted: list[dict], text: str, label: str,
                   status: str = "fail") -> Score:
    s = Score()
    gold_f = [g for g in gold if g["status"] == status]
    pred_f = [p for p in predicted if p.get("status") == status]
    spans = [locate(text, g["quote"]) if g.get("quote") else None for g in gold_f]
    hits: dict[int, int] = {}  # gold index -> predicted index
    # two passes: findings of the gold's own category first, then any finding, so that one
    # finding is not spent on a gold item that another finding was made for
    for same_family in (True, False):
        for gi, g in enumerate(gold_f):
            if gi in hits:
                continue
            kinds = CATEGORY_FAMILY.get(g.get("category", ""), ())
            for pi, p in enumerate(pred_f):
                if pi in hits.values():
                    continue
                if same_family and not str(p.get("code", "")).startswith(kinds):
                    continue
                if _same_finding(g, p, spans[gi]):
                    hits[gi] = pi
                    break
    s.tp = len(hits)
    for gi, g in enumerate(gold_f):
        if gi not in hits:
            s.fn += 1
            s.misses.append(f"{label} [{g.get('category')}] {g.get('what')}")
    used = set(hits.values())
    for i, p in enumerate(pred_f):
        if i in used:
            continue
        matched_other = any(_cell_refs(g) & _cell_refs(p) for g in gold)
        if not matched_other:  # a duplicate of a matched finding is not a false alarm
            dup = any(_cell_refs(p) & _cell_refs(pred_f[j]) for j in used)
            if not dup:
                s.fp += 1
                s.false_alarms.append(f"{label} {p.get('code')}: {p.get('message')}")
    return s


# ---------------------------------------------------------------------------- driver
def _load_gold(gold_dir: Path, kind: str) -> dict[str, dict]:
    folder = gold_dir / kind
    return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))}


def evaluate(corpus_dir: Path, gold_dir: Path, use_ner: bool = False) -> dict[str, Any]:
    from extractors.pipeline import analyse

    tables, claims, findings = (_load_gold(gold_dir, k) for k in ("tables", "claims", "findings"))
    stems = sorted(set(tables) | set(claims) | set(findings))
    records: dict[str, dict] = {}
    texts: dict[str, str] = {}
    for stem in stems:
        rel = (tables.get(stem) or claims.get(stem) or findings.get(stem))["file"]
        path = corpus_dir / rel
        result = analyse(path.read_bytes(), source=str(path), filename=path.name, use_ner=use_ner)
        records[stem], texts[stem] = {**result.record, "text": result.text}, result.text
    scores: dict[str, Score] = defaultdict(Score)
    template_hits = 0
    for stem, gold in tables.items():
        rec = records[stem]
        template_hits += rec["report"]["template"] == gold["template"]
        scores["cells"].add(score_cells(gold["cells"], rec["table"]["cells"], stem))
    for stem, gold in claims.items():
        rec, text = records[stem], texts[stem]
        stmts = [c for c in rec["claims"] if c["kind"] == "statement"]
        scores["figures"].add(score_figures(gold.get("figures", []), rec["claims"], text, stem))
        scores["statements"].add(_match(gold.get("statements", []), stmts, text,
                                        _statement_same, stem, lambda p: f"{p['text']!r}",
                                        _claim_spans))
        scores["commitments"].add(_match(gold.get("commitments", []), rec["commitments"], text,
                                         lambda g, p: True, stem, lambda p: f"{p['text'][:40]!r}",
                                         _claim_spans))
    cross = _cross_year_findings(records)
    for stem, gold in findings.items():
        predicted = records[stem]["findings"] + cross.get(stem, [])
        scores["findings_fail"].add(score_findings(gold["findings"], predicted, texts[stem], stem))
        scores["findings_warn"].add(score_findings(gold["findings"], predicted, texts[stem],
                                                   stem, status="warn"))
    return {"reports": len(stems),
            "template_accuracy": round(template_hits / len(tables), 4) if tables else None,
            "scores": {k: v.to_dict() for k, v in scores.items()},
            "misses": {k: v.misses for k, v in scores.items()},
            "false_alarms": {k: v.false_alarms for k, v in scores.items()}}


def _cross_year_findings(records: dict[str, dict]) -> dict[str, list[dict]]:
    """What ingest adds once neighbours are stored (extractors.related.relate, the code
    the worker and ``check FILE...`` run): cross-year findings for one body's consecutive
    years, near-duplicate findings for LSH candidates of other bodies of the same year."""
    from extractors.related import relate

    related = relate([{**rec, "id": stem} for stem, rec in sorted(records.items())])
    return {stem: got["findings"] for stem, got in related.items() if got["findings"]}


def format_table(result: dict[str, Any]) -> str:
    lines = [f"reports evaluated: {result['reports']}",
             f"template accuracy: {result['template_accuracy']}",
             f"{'kind':<16}{'P':>8}{'R':>8}{'F1':>8}{'tp':>6}{'fp':>6}{'fn':>6}"]
    for kind, s in result["scores"].items():
        lines.append(f"{kind:<16}{s['precision']:>8.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}"
                     f"{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- synthetic
def evaluate_synthetic(n: int = 200, seed: int = 20261127) -> dict[str, Any]:
    """Seeded discrepancies in generated reports: a seeded report is caught when a fail or
    warn names a seeded cell (or its prose span); a clean report must raise no fail."""
    import tempfile

    from extractors.pipeline import analyse
    from gongkai.synth import generate

    caught: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    clean_fails = clean = 0
    misses: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for gold in generate(n, seed=seed, out_dir=Path(tmp)):
            path = Path(tmp) / Path(gold["file"]).name
            result = analyse(path.read_bytes(), use_ner=False)
            found = [f for f in result.record["findings"] if f["status"] in ("fail", "warn")]
            seeded = gold.get("seeded")
            if not seeded:
                clean += 1
                clean_fails += any(f["status"] == "fail" for f in found)
                continue
            g = {"cells": seeded["cells"], "quote": seeded.get("quote"), "status": "fail"}
            span = locate(result.text, g["quote"]) if g["quote"] else None
            hit = any(_same_finding(g, f, span) for f in found)
            caught[seeded["kind"]][0] += hit
            caught[seeded["kind"]][1] += 1
            if not hit:
                misses.append(f"{path.name} [{seeded['kind']}] {seeded.get('what')}")
    total = [sum(v[0] for v in caught.values()), sum(v[1] for v in caught.values())]
    return {"reports": n, "seed": seed,
            "seeded_recall": round(total[0] / total[1], 4) if total[1] else None,
            "by_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(caught.items())},
            "clean_reports": clean, "clean_with_fail": clean_fails, "misses": misses}
