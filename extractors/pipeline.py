"""read ▶ normalize ▶ segment ▶ parse table ▶ extract claims/commitments/entities ▶ cross-check.

``analyse`` is pure (bytes in, the ``gongkai check`` record out): the CLI's ``check``, the
local ingest pool and the Celery task all call it, so whatever ``check`` says about a
file, the database says after ingestion.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from extractors import __version__ as EXTRACTOR_VERSION
from extractors.errors import DocumentTooLarge

# Characters of normalized text analysed (prose, tables, entities): an annual report has
# 5,000-100,000; past this the rest is not analysed and the record is flagged
# ``text_truncated`` (the offsets still point into the whole text).  Every step is linear,
# but at ~10 µs a character a 15 MB line would hold a worker for minutes.
MAX_TEXT_CHARS = 500_000


@dataclass(frozen=True)
class Analysis:
    record: dict[str, Any]  # the JSON Lines contract (+ versions, flags, sections)
    text: str  # the normalized text every offset points into


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Versions that key idempotent processing: change one and reports are redone."""
    from extractors.catalogue import load_catalogue
    from extractors.measures import load_measures
    from extractors.patterns import patterns_version
    from extractors.rules import load_rules

    return {"extractors": EXTRACTOR_VERSION, "catalogue": str(load_catalogue().version),
            "patterns": str(patterns_version()), "rules": str(load_rules().version),
            "measures": str(load_measures().version)}


def analyse(data: bytes, source: str | None = None, filename: str | None = None,
            *, use_ner: bool = True, max_bytes: int | None = None) -> Analysis:
    """Run every extractor step over one document's raw bytes.

    Raises a ``DocumentError`` subclass for a document that cannot be processed."""
    from extractors.reader import read_document

    if max_bytes is not None and len(data) > max_bytes:
        raise DocumentTooLarge(
            f"document is {len(data) / 2**20:.1f} MB, over the limit of "
            f"{max_bytes / 2**20:.0f} MB (setting max_document_mb)")
    doc = read_document(data, filename=filename or source)
    record = analyse_text(doc.text, title_hint=doc.title_hint, source=source,
                          use_ner=use_ner, flags=doc.flags)
    record.update(sha256=hashlib.sha256(data).hexdigest(), format=doc.format,
                  encoding=doc.encoding)
    return Analysis(record=record, text=doc.text)


def analyse_text(text: str, *, title_hint: str | None = None, source: str | None = None,
                 use_ner: bool = True, flags: tuple[str, ...] = ()) -> dict[str, Any]:
    from extractors.claims import extract_claims
    from extractors.commitments import extract_commitments
    from extractors.crosscheck import cross_check
    from extractors.crossyear import body_key
    from extractors.dedup import signature
    from extractors.entities import extract_entities, ner_focus
    from extractors.measures import with_measures
    from extractors.metadata import extract_metadata
    from extractors.patterns import template_for_year
    from extractors.sections import segment
    from extractors.tables import parse_tables

    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    text, flags = _bounded(text, flags)
    sections = segment(text)
    table = parse_tables(text)
    meta = extract_metadata(text, sections, title_hint=title_hint, source=source)
    report = {**meta.to_dict(), "template": table.template}
    # no table read: the report year tells the template better than words in the prose
    prose_template = table.template if table.cells else template_for_year(meta.year) or table.template
    claims = extract_claims(text, sections, template=prose_template, body=meta.body)
    commitments = extract_commitments(text, sections, year=meta.year)
    entities = extract_entities(text, use_ner=use_ner, focus=ner_focus(claims, commitments))
    findings = cross_check(table, claims, sections=sections, text=text, meta=meta, source=source)
    all_flags = sorted(set(flags) | set(table.flags) | _claim_flags(claims))
    return with_measures({
        "source": source,
        "sha256": digest,
        "report": report,
        "body_key": body_key(meta.body) if meta.body else None,
        "table": {"template": table.template, "variant": table.variant,
                  "flags": list(table.flags), "cells": [c.to_dict() for c in table.cells]},
        "claims": [c.to_dict() for c in claims],
        "commitments": [c.to_dict() for c in commitments],
        "entities": [e.to_dict() for e in entities],
        "findings": [f.to_dict() for f in findings],
        "sections": [s.to_dict() for s in sections.sections],
        "announced_sections": list(sections.announced),
        "announced_span": list(sections.announced_span) if sections.announced_span else None,
        "flags": all_flags,
        "lsh": signature(text),
        "versions": versions(),
    }, prose_template)


def _claim_flags(claims: list) -> set[str]:
    from collections import Counter

    from extractors.claims import MAX_FIGURES_PER_SENTENCE

    per_sentence = Counter(c.sentence for c in claims if c.kind != "enumeration")
    full = per_sentence and max(per_sentence.values()) >= MAX_FIGURES_PER_SENTENCE
    return {"sentence_figures_capped"} if full else set()


def _bounded(text: str, flags: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The text to analyse: all of it, or its first :data:`MAX_TEXT_CHARS` characters cut
    at a line end when there is one in the last tenth (flag ``text_truncated``)."""
    if len(text) <= MAX_TEXT_CHARS:
        return text, flags
    cut = text.rfind("\n", MAX_TEXT_CHARS * 9 // 10, MAX_TEXT_CHARS)
    return text[:cut if cut > 0 else MAX_TEXT_CHARS], (*flags, "text_truncated")


def claim_from_dict(d: dict[str, Any]) -> "Claim":
    """A stored or printed claim back into its dataclass."""
    from dataclasses import fields

    from extractors.models import Claim

    names = {f.name for f in fields(Claim)}
    kw = {k: (tuple(tuple(x) if isinstance(x, list) else x for x in v) if isinstance(v, list)
              else v) for k, v in d.items() if k in names}
    if isinstance(d.get("sentence"), list):
        kw["sentence"] = tuple(d["sentence"])
    return Claim(**kw)


def recheck(record: dict[str, Any], text: str) -> list[dict[str, Any]]:
    """The report's findings again, from its stored table, claims and sections: what a new
    rule-set version needs, without reading or parsing the document again."""
    from extractors.crosscheck import cross_check
    from extractors.crossyear import table_from_dict
    from extractors.models import ReportMeta, Section, Sections

    sections = Sections(tuple(Section(**{k: v for k, v in s.items() if k in
                                         ("title", "level", "start", "end", "kind")})
                              for s in record.get("sections") or []),
                        announced=tuple(record.get("announced_sections") or []),
                        announced_span=tuple(record["announced_span"])
                        if record.get("announced_span") else None)
    claims = [claim_from_dict(c) for c in record.get("claims") or []]
    rep = record.get("report") or {}
    meta = ReportMeta(**{k: rep.get(k) for k in ("title", "body", "region", "level", "year",
                                                   "published")})
    findings = cross_check(table_from_dict(record), claims, sections=sections, text=text,
                           meta=meta, source=record.get("source"))
    return [f.to_dict() for f in findings]
