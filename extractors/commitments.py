"""Commitments: what a report promises for next year (改进措施, 下一步工作, "将在2018年中…").

Hand-written control flow over data (config/patterns/commitments.yaml): headings decide
a *mode* as the text is read in order —

  problem  "（一）存在的主要问题"          items are shortcomings: never commitments
  commit   "（二）改进措施", "下一步工作打算"  every numbered item / sentence is one
  mixed    "五、存在的主要问题及改进情况"    an item counts if it has a future marker and
                                           no problem wording; inline sub-headings switch
  None     elsewhere                       only sentences with a strong future marker
                                           (将在, 力争, 下一年度 …)

Headings are found here from their line shape; when ``sections`` (extractors.sections)
is given, a section whose kind names problems / improvements / plans also opens a mixed
region where the local headings saw none (so ``sections=None`` loses little).  Target: the first direction verb (提高/扩大 → up, 减少/降低 → down) and
its object (or subject, for "总量有较大提高"); the metric is a canonical key when that
phrase ends with a figure phrase of config/patterns/figures.jsonl, else the phrase.
Measurable: a spaCy ``Matcher`` over the item's jieba tokens (config/patterns/
commitments_spacy.jsonl) looks for a direction verb with a *counted* target (数量, 件数,
时限, 比例 …: "减少|行政复议|、|行政诉讼|案件|数量", "信息|质量|和|总量|…|提高"); a match
sets direction and target and makes the item measurable, as does a target that maps to a
catalogue key.  Token patterns suit this because the target is a run of words ending in a
counted noun, whatever jieba glued in front of it ("进一步提高", "主动公开政府信息数|量"),
and the verb sits at either end; the substring scan above stays as the fallback for
direction, so vague targets (工作水平, 覆盖面) keep a direction but are not measurable.
Deadline: a written year after the report year, else year+1 for items in a commitment
section or with 下一年度/明年/下一步.
"""
from __future__ import annotations

import re
from functools import cache, lru_cache

from extractors.models import Commitment, Sections
from extractors.nlp import get_matcher, get_tokenizer, prose_blocks, sentence_spans
from extractors.patterns import (for_template, load_commitment_rules, load_figures, load_spacy_patterns, pattern_ref,
                                 template_for_year)

_HEAD_MAX = 40
_LEVEL1 = re.compile(r"\s*[一二三四五六七八九十]+、")
_YEAR = re.compile(r"((?:19|20)\d{2})\s?年")
_CLAUSE_END = "，,。；;：:！？!?"
_REGION_KINDS = ("problem", "improve", "plan", "next", "measure")
TARGET_FILE = "commitments_spacy.jsonl"
_TARGET_SCAN = 2000  # characters of an item tokenized for the target (bounds a run-on paragraph)
_CLAUSE_CUT = re.compile(rf"[{_CLAUSE_END}\s]")
_HEAD_CUT = re.compile("[。：:]")
_ACTION_CUT = re.compile("[。；;！!]")
_TAIL_MARKS = "。；;"


def _flat(s: str) -> str:
    """``s`` without whitespace, as ``re.sub(r"\\s+", "", s)`` (``str.split`` and the
    regex class know the same whitespace characters)."""
    return "".join(s.split())


@cache
def _rules() -> dict:
    data = load_commitment_rules()
    words = {r["id"]: r for group in ("sections", "markers", "directions") for r in data[group]}
    return {"by_id": words, "item": re.compile(data["items"][0]["regex"], re.M),
            "item_ref": pattern_ref(data["items"][0])}


def _has(rule_id: str, s: str) -> bool:
    rx = _words_regex(rule_id)
    return rx is not None and rx.search(s) is not None


@cache
def _words_regex(rule_id: str) -> re.Pattern[str] | None:
    """Any of a rule's words (one regex scan instead of a ``in`` test a word)."""
    words = _rules()["by_id"][rule_id]["words"]
    return re.compile("|".join(map(re.escape, words))) if words else None


def _heading_mode(title: str) -> str | None:
    problem, commit = _has("sec.problem", title), _has("sec.commit", title)
    return "mixed" if problem and commit else "problem" if problem else "commit" if commit else None


def _inline_mode(clause: str) -> str | None:
    """Mode named by a lead-in clause; the cue written last wins ("针对存在问题，将抓好以下工作")."""
    rules = _rules()["by_id"]
    hits = [(clause.rfind(w), kind) for kind, rid in (("problem", "sec.problem"), ("commit", "sec.commit"))
            for w in rules[rid]["words"] if w in clause]
    return max(hits)[1] if hits else None


def _is_heading(block: str) -> bool:
    s = block.strip()
    return len(s) <= _HEAD_MAX and s[-1] not in "。；;！？!?" and "。" not in s


def _units(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Numbered items of a block, or its sentences when it has no item markers."""
    marks = [m.start() for m in _rules()["item"].finditer(text, start, end)]
    if not marks:
        return sentence_spans(text, [(start, end)])
    bounds = ([start] if text[start:marks[0]].strip() else []) + marks + [end]
    spans = [(a, b) for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]
    return [(a + len(text[a:b]) - len(text[a:b].lstrip()), b - (len(text[a:b]) - len(text[a:b].rstrip())))
            for a, b in spans]


def _deadline(item: str, year: int | None, in_section: bool) -> int | None:
    years = [int(y) for y in _YEAR.findall(item)]
    future = [y for y in years if year is None or y > year]
    if future:
        return future[0]
    if year is not None and (in_section or _has("fut.next_year", item)):
        return year + 1
    return None


@cache
def _trim_regex() -> re.Pattern[str]:
    words = sorted(_rules()["by_id"]["adv.trim"]["words"], key=len, reverse=True)
    pat = "|".join(map(re.escape, words))
    return re.compile(rf"^(?:{pat})+|(?:{pat})+$")


def _trim(phrase: str) -> str:
    return _trim_regex().sub("", phrase)


def _direction(item: str) -> tuple[str | None, str | None]:
    """(direction, metric phrase) of the first direction verb in the item."""
    item = _flat(item)
    hits = [(item.find(w), w, r["direction"]) for r in (_rules()["by_id"]["dir.up"], _rules()["by_id"]["dir.down"])
            for w in r["words"] if w in item]
    if not hits:
        return None, None
    primary = [h for h in hits if h[1] in _rules()["by_id"]["dir.primary"]["words"]]
    pos, word, direction = min(primary or hits)
    after = _CLAUSE_CUT.split(item[pos + len(word):], maxsplit=1)[0]
    phrase = _trim(after[:20])
    if not phrase:
        before = _CLAUSE_CUT.split(item[:pos])[-1]
        phrase = _trim(before[-20:])
    return direction, phrase or None


@cache
def _target_labels() -> dict[str, str]:
    return {rec["id"]: rec["label"] for rec in load_spacy_patterns(TARGET_FILE)}


def _verbs() -> tuple[str, ...]:
    return tuple(w for r in ("dir.up", "dir.down") for w in _rules()["by_id"][r]["words"])


# Where a target can be: every token of the target patterns is Han text or 、 and one is
# a direction verb, so a match lies in a stretch of jieba's Han blocks and single 、 (or
# Han characters past its block range, tokens of their own) holding a verb.  jieba cuts
# each block on its own, so a stretch's tokens are the item's tokens there: only the
# stretches with a verb are tokenized, and the first with a match holds the first match.
_STRETCH = re.compile("(?:[\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+|[\u9FD6-\u9FFF、])+")


def _target(item: str) -> tuple[str, str] | None:
    """(direction, counted target phrase) of the first Matcher hit in the item, or None.
    Patterns start or end with the verb token; the target is the match without it."""
    verbs = _verbs()
    if not any(w in item for w in verbs):
        return None  # no direction verb: skip tokenizing
    for stretch in _STRETCH.findall(_flat(item)[:_TARGET_SCAN]):
        if any(w in stretch for w in verbs):
            words, first = _stretch_match(stretch)
            if first is not None:
                break
    else:
        return None
    label, start, end = first
    span = words[start + 1:end] if words[start].endswith(verbs) else words[start:end - 1]
    phrase = _trim("".join(span))  # the Doc's tokens have no spaces between them
    return (label, phrase) if phrase else None


@lru_cache(maxsize=1 << 12)
def _stretch_match(stretch: str) -> tuple[tuple[str, ...], tuple[str, int, int] | None]:
    """(jieba tokens, first target match as (label, start, end) or None) of one stretch:
    its tokens do not depend on the text around it (see above), and plans recur from
    year to year, so each distinct stretch is segmented and matched once per process."""
    from spacy.tokens import Doc

    matcher = get_matcher(TARGET_FILE)
    words = get_tokenizer().lcut(stretch)
    matches = matcher(Doc(matcher.vocab, words=words, spaces=[False] * len(words)))
    if not matches:
        return tuple(words), None
    mid, start, end = min(matches, key=lambda m: (m[1], -m[2]))
    return tuple(words), (_target_labels()[matcher.vocab.strings[mid]], start, end)


@cache
def _phrase_ends() -> tuple[tuple[dict, re.Pattern[str] | None], ...]:
    """Each figure record with the regex of a phrase ending in one of its phrases."""
    return tuple((rec, re.compile("(?:" + "|".join(map(re.escape, rec["phrases"]))
                                  + ")(?:数量|总量|数|量)?$") if rec["phrases"] else None)
                 for rec in load_figures())


def _canonical(phrase: str | None, year: int | None) -> str | None:
    if not phrase:
        return None
    template = template_for_year(year)
    for rec, ends in _phrase_ends():
        key = for_template(rec.get("metric", {}), template)
        if key and ends is not None and ends.search(phrase):
            return key
    return phrase


def _action(item: str) -> str:
    body = _rules()["item"].sub("", _flat(item), count=1).strip()
    return _ACTION_CUT.split(body, maxsplit=1)[0][:80]


def _commitment(text: str, span: tuple[int, int], year: int | None, section: str | None, ref: str) -> Commitment:
    item = text[span[0]:span[1]]
    target = _target(item)
    direction, phrase = target or _direction(item)
    metric = _canonical(phrase, year)
    measurable = bool(direction and (target or (metric and metric != phrase)))
    return Commitment(text=item, start=span[0], end=span[1], deadline=_deadline(item, year, section is not None),
                      metric=metric, direction=direction, action=_action(item),
                      measurable=measurable, section=section, pattern=ref)


def _region_test(sections: Sections | None):
    regions = [(s.start, s.end) for s in (sections.sections if sections else ())
               if s.kind and any(k in s.kind for k in _REGION_KINDS)]
    if not regions:
        return None
    return lambda pos: any(a <= pos < b for a, b in regions)


def _keep(unit: str, mode: str | None) -> bool:
    if mode == "commit":
        return len(unit.strip()) >= 6 and not _has("prob.words", unit)
    if mode == "mixed":
        numbered = bool(_rules()["item"].match(unit))
        marked = _has("fut.strong", unit) or (numbered and _has("fut.weak", unit))
        return marked and not _has("prob.words", unit)
    return mode is None and _has("fut.strong", unit) and not _has("prob.words", unit)


class _Reader:
    """Reads blocks in order, tracking the heading mode and the current section title."""

    def __init__(self, text: str, year: int | None, sections: Sections | None) -> None:
        self.text, self.year, self.mode, self.title = text, year, None, None
        self.inside = _region_test(sections)
        self.out: list[Commitment] = []

    def heading(self, block: str) -> None:
        mode = _heading_mode(block)
        if mode or _LEVEL1.match(block):
            self.mode, self.title = mode, (block.strip() if mode else None)

    def unit(self, span: tuple[int, int]) -> None:
        unit = self.text[span[0]:span[1]]
        flat = _flat(unit)
        head = _HEAD_CUT.split(flat, maxsplit=1)[0]
        inline = _inline_mode(head[:_HEAD_MAX]) if self.mode else None
        if inline:
            self.mode = inline
            if len(head) <= _HEAD_MAX and len(flat) - len(head) <= 2:
                return  # the unit is only a lead-in heading
        if _keep(flat, self.mode):
            ref = pattern_ref(_rules()["by_id"]["sec.commit"]) if self.mode else pattern_ref(_rules()["by_id"]["fut.strong"])
            self.out.append(_commitment(self.text, span, self.year, self.title if self.mode else None, ref))
        kept = flat.rstrip("。；;：:")
        tail = kept[max(map(kept.rfind, _TAIL_MARKS)) + 1:]  # after the last 。；;
        if self.mode and len(tail) <= _HEAD_MAX and _inline_mode(tail):
            self.mode = _inline_mode(tail)

    def block(self, start: int, end: int) -> None:
        block = self.text[start:end]
        if self.inside is not None and self.mode is None and self.inside(start):
            self.mode = "mixed"  # a problems/measures section the headings here missed
        if _is_heading(block):
            self.heading(block)
            return
        for span in _units(self.text, start, end):
            self.unit(span)


def extract_commitments(text: str, sections: Sections | None = None, year: int | None = None) -> list[Commitment]:
    """One commitment per promised item (see the module docstring), in text order."""
    reader = _Reader(text, year, sections)
    for start, end in prose_blocks(text):
        reader.block(start, end)
    return reader.out
