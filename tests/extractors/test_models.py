"""extractors.models: the hand-written ``to_dict`` gives exactly what ``dataclasses.asdict``
gives (tuples as lists), on every result the extractors make of the real reports."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from extractors.models import Cell, Claim, Entity, Finding, Section, Sections


def _lists(obj):
    """The reference: asdict's value with every tuple turned into a list."""
    if isinstance(obj, (list, tuple)):
        return [_lists(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _lists(v) for k, v in obj.items()}
    return obj


def _results(text: str) -> list:
    from extractors.claims import extract_claims
    from extractors.commitments import extract_commitments
    from extractors.crosscheck import cross_check
    from extractors.entities import extract_entities
    from extractors.metadata import extract_metadata
    from extractors.sections import segment
    from extractors.tables import parse_tables

    sections = segment(text)
    table = parse_tables(text)
    meta = extract_metadata(text, sections)
    claims = extract_claims(text, sections, template=table.template, body=meta.body)
    commitments = extract_commitments(text, sections, year=meta.year)
    entities = extract_entities(text, use_ner=False)
    findings = cross_check(table, claims, sections=sections, text=text)
    return [sections, table, meta, *table.cells, *claims, *commitments, *entities, *findings]


def test_to_dict_equals_asdict_on_real_results(corpus_dir: Path) -> None:
    kinds: set[str] = set()
    for path in sorted((corpus_dir / "reports").glob("*.txt")):
        for result in _results(path.read_text(encoding="utf-8")):
            got = result.to_dict()
            assert got == _lists(dataclasses.asdict(result)), (path.name, result)
            json.dumps(got, ensure_ascii=False)  # JSON-shaped: no tuple, no dataclass left
            kinds.add(type(result).__name__)
    assert {"Sections", "Table", "Cell", "Claim", "Commitment", "Entity", "Finding"} <= kinds


def test_to_dict_nested_values_are_copies() -> None:
    finding = Finding("T.X", "fail", "high", "m", cells=({"key": "a", "span": (1, 2)},),
                      spans=((1, 2), (3, 4)), extra={"prev": [(5, 6)], "n": {"k": (7,)}})
    d = finding.to_dict()
    assert d == _lists(dataclasses.asdict(finding))
    assert d["spans"] == [[1, 2], [3, 4]] and d["extra"]["n"]["k"] == [7]
    d["extra"]["prev"].append(0)
    d["cells"][0]["key"] = "b"
    assert finding.extra["prev"] == [(5, 6)] and finding.cells[0]["key"] == "a"


def test_to_dict_nested_results() -> None:
    sections = Sections((Section("一、概述", 1, 0, 10, "overview"),), announced=("概述",),
                        announced_span=(0, 4))
    assert sections.to_dict() == {"sections": [{"title": "一、概述", "level": 1, "start": 0,
                                                "end": 10, "kind": "overview"}],
                                  "announced": ["概述"], "announced_span": [0, 4]}
    cell = Cell("t3.new", "本年新收", "value", 3, "3", "number")
    claim = Claim("figure", "t3.new", 3.0, None, None, "件", "收到3件", 0, 4, sentence=(0, 5))
    entity = Entity("ORG", "平江县民政局", 0, 6, "spacy", "ent.org.place_organ@1")
    for result in (cell, claim, entity):
        assert result.to_dict() == _lists(dataclasses.asdict(result))
