"""config/measures.yaml validates against the catalogue, each cell belongs to one measure,
and cells and claims of the three generations get the measure that means the same."""
from __future__ import annotations

import pytest

from extractors.catalogue import load_catalogue
from extractors.errors import ConfigError
from extractors.measures import (
    GENERATIONS,
    load_measures,
    measure_of,
    measure_of_metric,
    parse_measures,
    with_measures,
)

# (key, column, template, measure)
CELLS = [
    ("p.apply.received", "value", "pre2019", "applications_received"),
    ("t3.new", "total", "2019trial", "applications_received"),
    ("t3.new", "total", "2021", "applications_received"),
    ("t3.new", "natural", "2021", None),  # one applicant column is not the measure
    ("p.apply.received", "cumulative", "pre2019", None),
    ("t3.denied.third_party", "total", "2021", "applications_denied"),
    ("p.reply.denied", "value", "pre2019", "applications_denied"),
    ("t4.litigation_after_review", "corrected", "2019trial", "lawsuits_corrected"),
    ("t2.normative", "in_force", "2021", "normative_documents_in_force"),
    ("t2.normative", "total_published", "2019trial", "normative_documents_in_force"),
    ("t2.fees", "amount", "2021", "administrative_fees"),
    ("p.fees", "value", "pre2019", "disclosure_fees"),
    ("t3.new", "total", "pre2019", None),  # a key of another generation
    ("unknown:其他", "value", "pre2019", None),
]
# (metric, template, measure)
METRICS = [
    ("t3.new", "2021", "applications_received"),
    ("t3.new@total", "2021", "applications_received"),
    ("p.apply.received", "pre2019", "applications_received"),
    ("t4.review", "2019trial", "reviews_total"),
    ("t4.review@pending", "2021", "reviews_pending"),
    ("t4.litigation_direct+t4.litigation_after_review", "2021", "lawsuits_total"),
    ("t4.litigation_direct@pending+t4.litigation_after_review@pending", "2021", "lawsuits_pending"),
    ("t3.unable.not_held+t3.unable.need_create+t3.unable.unclear", "2021", "applications_unable"),
    ("t4.litigation_direct@corrected", "2021", None),  # a part of a sum
    ("t3.granted+t3.partial", "2021", None),  # two measures added up
    ("t3.new+t3.carried_over", "2021", None),
    (None, "2021", None),
]


@pytest.mark.parametrize("key,column,template,expected", CELLS,
                         ids=[f"{k}@{c}/{t}" for k, c, t, _ in CELLS])
def test_measure_of_a_cell(key, column, template, expected):
    assert measure_of(key, column, template) == expected


@pytest.mark.parametrize("metric,template,expected", METRICS,
                         ids=[f"{m}/{t}" for m, t, _ in METRICS])
def test_measure_of_a_claim_metric(metric, template, expected):
    assert measure_of_metric(metric, template) == expected


def test_measures_cover_every_generation_of_the_core_questions():
    ms = load_measures()
    for mid in ("applications_received", "applications_granted", "applications_partly_granted",
                "applications_denied", "reviews_total", "lawsuits_total"):
        assert all(ms.get(mid).cells_for(g) for g in GENERATIONS), mid
    for mid in ("applications_carried_over", "proactive_items", "disclosure_fees",
                "normative_documents_in_force"):
        m = ms.get(mid)
        assert m.caveat, f"{mid} is missing in some generation and must say so"
    cat = load_catalogue()
    for m in ms.measures:  # every cell a real catalogue row of that generation
        for g, refs in m.cells.items():
            for ref in refs:
                key, col = ref.split("@")
                assert g in cat.entry(key).templates and col in cat.entry(key).columns_for(g)


BAD = [
    ("- id: x\n  label: a\n  label_en: a\n  unit: 件\n  cells: {2021: [t3.new@nope]}\n",
     "no column 'nope'"),
    ("- id: x\n  label: a\n  label_en: a\n  unit: 件\n  cells: {2021: [t9.new@total]}\n",
     "no catalogue key"),
    ("- id: x\n  label: a\n  label_en: a\n  unit: 件\n  cells: {2020: [t3.new@total]}\n",
     "unknown generation"),
    (("- id: x\n  label: a\n  label_en: a\n  unit: 件\n  cells: {2021: [t3.new@total]}\n"
      "- id: y\n  label: b\n  label_en: b\n  unit: 件\n  cells: {2021: [t3.new@total]}\n"),
     "already belongs to x"),
    ("- id: x\n  label: a\n  unit: 件\n  colour: red\n  cells: {}\n", "unknown fields"),
    ("- id: Bad-Id\n  label: a\n  label_en: a\n  unit: 件\n  cells: {}\n", "snake_case"),
]


@pytest.mark.parametrize("body,message", BAD, ids=[m for _, m in BAD])
def test_bad_measures_are_refused_with_file_line_and_id(body, message):
    with pytest.raises(ConfigError) as err:
        parse_measures('version: "1"\nmeasures:\n' + body, "m.yaml", catalogue=load_catalogue())
    assert message in str(err.value) and "m.yaml" in str(err.value)


def test_check_records_carry_measures_on_cells_and_claims(corpus_dir):
    from extractors.pipeline import analyse

    path = corpus_dir / "reports" / "2019_shanghai_shizfbgt.txt"
    rec = analyse(path.read_bytes(), source=str(path), use_ner=False).record
    cells = rec["table"]["cells"]
    assert all("measure" in c for c in cells) and all("measure" in c for c in rec["claims"])
    new = [c for c in cells if c["measure"] == "applications_received"]
    assert [(c["key"], c["column"]) for c in new] == [("t3.new", "total")]
    assert any(c["measure"] == "applications_received" for c in rec["claims"])
    assert with_measures({"table": {"template": "2021", "cells": [
        {"key": "t3.new", "column": "total"}]}})["table"]["cells"][0]["measure"] == \
        "applications_received"


TOPICS = [("p.apply.online", "applications"), ("t3.denied.query", "applications"),
          ("p.reply.granted", "applications"), ("t2.normative", "proactive"),
          ("p.litigation.total", "reviews"), ("t4.review", "reviews"), ("p.fees", "fees"),
          ("unknown:其他", None)]


@pytest.mark.parametrize("key,topic", TOPICS, ids=[k for k, _ in TOPICS])
def test_topic_of_a_catalogue_row(key, topic):
    from extractors.measures import topic_of

    assert topic_of(key) == topic


def test_every_measure_lies_in_one_topic():
    from extractors.measures import topic_of

    for m in load_measures().measures:
        topics = {topic_of(ref.split("@")[0]) for refs in m.cells.values() for ref in refs}
        assert len(topics) == 1 and None not in topics, m.id
