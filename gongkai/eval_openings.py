"""Scores on the report openings of other bodies (corpus/openings, gold in corpus/gold/openings).

The 13 annotated corpus reports come from six bodies; these openings (title, 总体情况 /
概述 and the first section that states figures) come from 48 other bodies in every
province, at every level and of every template generation, so they measure the prose and
metadata extractors on wording they were not written against.  Figures are matched with
the claim-matching code of ``gongkai.evaluate`` (span overlap, one to one), once with the
metric and once on value and unit alone; body, year and title are exact-match accuracies.

Hand-written: the scoring rules are this project's gold conventions
(corpus/gold/openings/README.md); no evaluation library knows them.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gongkai.evaluate import Score, figure_value_unit_same, score_figures

META_FIELDS = ("body", "year", "title")


def load_openings(gold_dir: Path) -> dict[str, dict]:
    """Gold openings by id ({} when the folder is absent)."""
    folder = gold_dir / "openings"
    return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))}


def _flat(title: str | None) -> str | None:
    """A title compared without its layout whitespace (titles are often printed over lines)."""
    return "".join(title.split()) if title else None


def meta_hits(gold: dict, report: dict) -> dict[str, bool]:
    """Which metadata fields the extractor got exactly right."""
    return {"body": report.get("body") == gold["body"],
            "year": report.get("year") == gold["year"],
            "title": _flat(report.get("title")) == _flat(gold["title"])}


def _analyse(path: Path, use_ner: bool) -> tuple[dict, str]:
    from extractors.pipeline import analyse

    result = analyse(path.read_bytes(), source=str(path), filename=path.name, use_ner=use_ner)
    return result.record, result.text


def evaluate_openings(gold_dir: Path, use_ner: bool = False) -> dict[str, Any] | None:
    """Figure P/R and metadata accuracy over the openings; None when there is no gold."""
    golds = load_openings(gold_dir)
    if not golds:
        return None
    full, value_unit = Score(), Score()
    hits = {f: 0 for f in META_FIELDS}
    meta_misses: list[str] = []
    for oid, gold in golds.items():
        record, text = _analyse(gold_dir.parent / gold["file"], use_ner)
        figs = gold.get("figures", [])
        full.add(score_figures(figs, record["claims"], text, oid))
        value_unit.add(score_figures(figs, record["claims"], text, oid, figure_value_unit_same))
        for field, ok in meta_hits(gold, record["report"]).items():
            hits[field] += ok
            if not ok:
                meta_misses.append(f"{oid} {field}: gold {gold[field]!r}, "
                                   f"got {record['report'].get(field)!r}")
    n = len(golds)
    return {"openings": n,
            "figures": full.to_dict(), "figures_value_unit": value_unit.to_dict(),
            **{f"{f}_accuracy": round(hits[f] / n, 4) for f in META_FIELDS},
            "misses": {"figures": full.misses, "figures_value_unit": value_unit.misses,
                       "metadata": meta_misses},
            "false_alarms": {"figures": full.false_alarms,
                             "figures_value_unit": value_unit.false_alarms}}


def format_openings(result: dict[str, Any]) -> str:
    lines = [f"openings of other bodies: {result['openings']}"]
    for kind in ("figures", "figures_value_unit"):
        s = result[kind]
        lines.append(f"  {kind:<20}P {s['precision']:.3f}  R {s['recall']:.3f}  "
                     f"(tp {s['tp']}, fp {s['fp']}, fn {s['fn']})")
    lines.append("  " + ", ".join(f"{f} {result[f + '_accuracy']:.3f}" for f in META_FIELDS))
    return "\n".join(lines)
