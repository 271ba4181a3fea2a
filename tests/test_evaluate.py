"""Accuracy against the hand-written gold (corpus/gold) and the single-change property.

These assert the targets of issues 3-5 as regression guards: a change that makes the
extractors or the rules worse on the real corpus fails here."""
import json

import pytest

from tests.conftest import GOLD

TARGETS = {  # kind: (min precision, min recall)
    "cells": (0.99, 0.99),
    "figures": (0.97, 0.93),
    "commitments": (0.90, 0.85),
    "findings_fail": (0.90, 0.95),
}


@pytest.fixture(scope="module")
def evaluation(corpus_dir):
    from gongkai.evaluate import evaluate

    return evaluate(corpus_dir, GOLD)


def test_template_detection_is_exact(evaluation):
    assert evaluation["template_accuracy"] == 1.0


@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_kind_meets_its_target(evaluation, kind):
    score = evaluation["scores"][kind]
    p, r = TARGETS[kind]
    assert score["precision"] >= p and score["recall"] >= r, (
        score, evaluation["misses"][kind][:10], evaluation["false_alarms"][kind][:10])


def _consistent_reports():
    out = []
    for path in sorted((GOLD / "findings").glob("*.json")):
        gold = json.loads(path.read_text("utf-8"))
        if not any(f["status"] == "fail" for f in gold["findings"]):
            out.append(path.stem)
    return out


KNOWN_FALSE_FAILS: dict[str, str] = {}  # stem: why the extractor still raises a fail the gold does not


def _with_known(stems, known):
    return [pytest.param(s, marks=pytest.mark.xfail(strict=True, reason=known[s]))
            if s in known else s for s in stems]


@pytest.mark.parametrize("stem", _with_known(_consistent_reports(), KNOWN_FALSE_FAILS))
def test_consistent_real_report_has_no_fail(corpus_dir, stem):
    from extractors.pipeline import analyse

    record = analyse((corpus_dir / "reports" / f"{stem}.txt").read_bytes(), use_ner=False).record
    fails = [f["message"] for f in record["findings"] if f["status"] == "fail"]
    assert fails == []


# Cells that take part in a hard identity of their template (t2 rows and most pre-2019
# heading/extra rows have none: a change there is invisible to arithmetic, by nature).
COVERED_PREFIXES = ("t3.", "t4.", "p.apply.", "p.reply.", "p.review.", "p.litigation.",
                    "p.org.staff", "p.channel.", "p.proactive.total")


def _table_identity_clean(stem: str) -> bool:
    gold = json.loads((GOLD / "findings" / f"{stem}.json").read_text("utf-8"))
    return not any(f["category"] == "table_identity" for f in gold["findings"])


UNNOTICED_BY_NATURE = {
    "2013_pingtan_zhsyq": "its 政府公报 历年累计 cell is blank, so the cumulative total has no "
                          "upper bound to break",
}


def _has_parts(table, key: str) -> bool:
    """Fujian lists print 行政复议数/行政诉讼数 without their parts: no identity holds them."""
    return not key.endswith(".total") or any(
        c.key.startswith(key[: -len("total")]) and c.key != key for c in table.cells)


@pytest.mark.parametrize("stem", _with_known(
    [p.stem for p in sorted((GOLD / "findings").glob("*.json")) if _table_identity_clean(p.stem)],
    UNNOTICED_BY_NATURE))
def test_any_single_changed_number_is_named_by_a_finding(corpus_dir, stem):
    from extractors.crosscheck import cross_check
    from extractors.normalize import normalize_text
    from extractors.tables import parse_tables

    text = normalize_text((corpus_dir / "reports" / f"{stem}.txt").read_text("utf-8"))
    table = parse_tables(text)
    cells = [c for c in table.cells if c.key.startswith(COVERED_PREFIXES)
             and c.state in ("number", "zero") and c.start is not None
             and (not c.key.startswith(("p.review.", "p.litigation.")) or _has_parts(table, c.key))]
    unnamed = []
    for cell in cells:
        changed = text[:cell.start] + str(int(cell.value) + 7) + text[cell.end:]
        findings = cross_check(parse_tables(changed), [], text=changed)
        named = {(c.get("key"), c.get("column")) for f in findings for c in f.cells}
        if (cell.key, cell.column) not in named:
            unnamed.append(f"{cell.key}@{cell.column}")
    assert not unnamed, f"{len(unnamed)} of {len(cells)} changes unnoticed: {unnamed[:15]}"


def test_seeded_discrepancies_in_synthetic_reports_are_found():
    """Generated reports (gongkai synth): each seeded discrepancy is named by a finding,
    and a consistent generated report raises no fail."""
    from gongkai.evaluate import evaluate_synthetic

    result = evaluate_synthetic(120, seed=5)
    assert result["clean_with_fail"] == 0, result
    assert result["seeded_recall"] >= 0.9, result["misses"]
