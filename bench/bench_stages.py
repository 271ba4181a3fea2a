"""The pipeline's stages, one by one, over the real reports, for bench/bench.py.

Every stage gets the inputs the pipeline would give it (sections, table, claims...),
computed once beforehand, so a stage's time is its own.  Each stage is timed right after
a ``jieba.lcut`` pass over the same texts and the ratio is taken per pair.
"""
from __future__ import annotations

import dataclasses
import time
from functools import cache
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "reports"


@cache
def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.txt")) if CORPUS.is_dir() else []


def _context(path: Path) -> dict[str, Any]:
    """One report read and run through every stage once: each stage's inputs."""
    from extractors.claims import extract_claims
    from extractors.commitments import extract_commitments
    from extractors.crosscheck import cross_check
    from extractors.entities import extract_entities
    from extractors.metadata import extract_metadata
    from extractors.reader import read_document
    from extractors.sections import segment
    from extractors.tables import parse_tables

    data = path.read_bytes()
    doc = read_document(data, filename=path.name)
    ctx: dict[str, Any] = {"data": data, "name": path.name, "doc": doc, "text": doc.text}
    ctx["sections"] = segment(doc.text)
    ctx["table"] = parse_tables(doc.text)
    ctx["meta"] = extract_metadata(doc.text, ctx["sections"], title_hint=doc.title_hint)
    ctx["claims"] = extract_claims(doc.text, ctx["sections"], template=ctx["table"].template,
                                   body=ctx["meta"].body)
    ctx["commitments"] = extract_commitments(doc.text, ctx["sections"], year=ctx["meta"].year)
    ctx["entities"] = extract_entities(doc.text, use_ner=False)
    ctx["findings"] = cross_check(ctx["table"], ctx["claims"], sections=ctx["sections"],
                                  text=doc.text)
    return ctx


def _results(c: dict[str, Any]) -> list[Any]:
    return [*c["table"].cells, *c["claims"], *c["commitments"], *c["entities"],
            *c["findings"], *c["sections"].sections]


def _ner_entities(c: dict[str, Any]) -> Any:
    from extractors import entities

    if hasattr(entities, "ner_focus"):
        focus = entities.ner_focus(c["claims"], c["commitments"])
        return entities.extract_entities(c["text"], use_ner=True, focus=focus)
    return entities.extract_entities(c["text"], use_ner=True)


def _stages() -> dict[str, Callable[[dict[str, Any]], Any]]:
    from extractors.claims import extract_claims
    from extractors.commitments import extract_commitments
    from extractors.crosscheck import cross_check
    from extractors.dedup import signature
    from extractors.entities import extract_entities
    from extractors.metadata import extract_metadata
    from extractors.pipeline import analyse
    from extractors.reader import read_document
    from extractors.sections import segment
    from extractors.tables import parse_tables

    return {
        "read (bytes -> text)": lambda c: read_document(c["data"], filename=c["name"]),
        "segment": lambda c: segment(c["text"]),
        "metadata": lambda c: extract_metadata(c["text"], c["sections"]),
        "tables": lambda c: parse_tables(c["text"]),
        "claims": lambda c: extract_claims(c["text"], c["sections"], template=c["table"].template,
                                           body=c["meta"].body),
        "commitments": lambda c: extract_commitments(c["text"], c["sections"], year=c["meta"].year),
        "entities: rules": lambda c: extract_entities(c["text"], use_ner=False, use_spacy=False),
        "entities: rules + spaCy": lambda c: extract_entities(c["text"], use_ner=False),
        "entities: rules + spaCy + LAC": _ner_entities,
        "cross-check": lambda c: cross_check(c["table"], c["claims"], sections=c["sections"],
                                             text=c["text"]),
        "LSH signature": lambda c: signature(c["text"]),
        "serialization (to_dict)": lambda c: [r.to_dict() for r in _results(c)],
        "serialization (dataclasses.asdict)": lambda c: [dataclasses.asdict(r) for r in _results(c)],
        "analyse as run by default (NER off)": lambda c: analyse(c["data"], filename=c["name"], use_ner=False),
        "analyse with the NER model (--ner)": lambda c: analyse(c["data"], filename=c["name"]),
    }


def _time(fn: Callable[[dict[str, Any]], Any], contexts: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for ctx in contexts:
        fn(ctx)
    return time.perf_counter() - start


def stage_table(rounds: int, jieba_time: Callable[[list[str]], float]
                ) -> dict[str, tuple[list[float], list[float]]]:
    """{stage: ([chars/s per round], [ratio to jieba.lcut per round])}."""
    contexts = [_context(p) for p in corpus_files()]
    texts = [c["text"] for c in contexts]
    chars = sum(map(len, texts))
    stages = _stages()
    for fn in stages.values():
        fn(contexts[0])  # warm-up: models, dictionaries, compiled patterns
    jieba_time(texts[:2])
    rows: dict[str, tuple[list[float], list[float]]] = {"jieba.lcut": ([], [])}
    for _ in range(rounds):
        for name, fn in stages.items():
            tj, ts = jieba_time(texts), _time(fn, contexts)
            rows["jieba.lcut"][0].append(chars / tj)
            rows["jieba.lcut"][1].append(1.0)
            rows.setdefault(name, ([], []))
            rows[name][0].append(chars / ts)
            rows[name][1].append(tj / ts)
    return rows
