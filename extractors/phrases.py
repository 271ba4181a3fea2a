"""Metric phrases of report prose → canonical cell keys (config/patterns/figures.jsonl).

A figure maps to a key when the phrase before its number ends right before it (fillers
such as 共/达/为 allowed), its unit fits the record, the record has a key for the report's
template, and the record's sentence context / next noun (``context``, ``next``) hold.  The
leftmost phrase whose record fits wins; a phrase whose records name no cell of this
template blocks shorter readings.  Records may extend their phrases with head nouns
(``heads``), widen their metric by a note after the number (``notes``), or name a number
that comes before their phrase (``after``).  Hand-written regex over the compacted
sentence rather than a spaCy PhraseMatcher over jieba tokens: jieba segments the same
phrase differently in different contexts, and regex is several times faster.
"""
from __future__ import annotations

import re
from functools import cache

from extractors.patterns import for_template, load_figures, load_lexicon
from extractors.sentence import Sentence

YEAR_IN_PHRASE = re.compile(r"(?:19|20)\d{2}(?=年)")


def alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@cache
def phrase_index(column: bool = False) -> tuple[re.Pattern[str], dict[str, tuple[dict, ...]]]:
    """Regex of metric phrases (or of column phrases, for enumeration parts) → the records
    that use the phrase, in file order.  A record's ``heads`` (nouns that may follow its
    phrase: 同意公开 + 答复, 上年结转 + 政府信息公开申请) extend its phrases, so the
    qualifier before a generic noun names the metric, not the noun."""
    lex = load_lexicon()
    by_phrase: dict[str, tuple[dict, ...]] = {}
    for rec in (r for r in load_figures() if ("column" in r) == column):
        for p in rec["phrases"]:
            for head in ("", *rec.get("heads", ())):
                by_phrase[p + head] = by_phrase.get(p + head, ()) + (rec,)
    regex = re.compile(rf"(?P<ph>{alt(list(by_phrase))})(?:{alt(lex['fillers'])})*$")
    return regex, by_phrase


@cache
def after_index() -> tuple[tuple[str, dict], ...]:
    return tuple((a, rec) for rec in load_figures() for a in rec.get("after", ()))


def map_metric(prefix: str, after: str, unit: str | None,
                ctx: Sentence) -> tuple[dict | None, int, bool]:
    """The figure record naming this number, where its phrase starts in ``prefix``, and
    whether a sub-unit of the body states it (then it only bounds the body's cell)."""
    for phrase, rec in after_index():
        if after.startswith(phrase) and unit in rec["units"] and for_template(rec["metric"], ctx.template):
            return rec, len(prefix), False
    regex, by_phrase = phrase_index()
    masked = YEAR_IN_PHRASE.sub(lambda y: "Y" * len(y.group()), prefix)  # "结转至2026年" → 结转至YYYY年
    m = regex.search(masked)
    while m is not None:  # the leftmost phrase whose record fits ("收到" needs 申请 next; else 公开申请)
        recs = by_phrase[m.group("ph")]
        rec = next((r for r in recs if _fits(r, after, unit, ctx)), None)
        if rec is not None:
            # "县政府公开办主动公开信息数为62条": a sub-unit's count, not the body's
            return rec, m.start(), _other_unit_speaks(prefix[:m.start()], ctx.body)
        if not any(for_template(r["metric"], ctx.template) for r in recs):
            break  # the phrase names a cell this template lacks (现行有效… in 2019): no shorter reading
        m = regex.search(masked, m.start() + 1)
    return None, -1, False


def _fits(rec: dict, after: str, unit: str | None, ctx: Sentence) -> bool:
    """Whether a figure record applies: unit, template, sentence context, next noun."""
    if unit not in rec["units"] or not for_template(rec["metric"], ctx.template):
        return False
    if rec.get("context") and not any(ctx.first(w) >= 0 for w in rec["context"]):
        return False  # the sentence must be about e.g. applications
    # "收到70件申请", "收到1份行政复议申请": the noun after the number decides
    return not rec.get("next") or any(next_regex(n).match(after) for n in rec["next"])


@cache
def next_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _other_unit_speaks(head: str, body: str | None) -> bool:
    """The phrase is directly preceded by an organisation that is not the reporting body
    (lexicon ``subunit_suffixes``); unknown body: never."""
    if not body:
        return False
    suffixes = tuple(load_lexicon().get("subunit_suffixes", ()))
    m = re.search(r"[\u4e00-\u9fff]{2,12}$", head)
    if not m or not m.group().endswith(suffixes):
        return False
    org = m.group()
    return not any(body.endswith(org[i:]) for i in range(len(org) - 1))


def metric_of(rec: dict, after: str, template: str | None) -> tuple[str, tuple[str, ...]]:
    """The record's metric and alternatives, or those of a note printed right after the
    number ("收到申请41件（含上年度结转3件）" → 新收 + 上年结转)."""
    for note in rec.get("notes", ()):
        if next_regex(note["regex"]).match(after) and for_template(note["metric"], template):
            return for_template(note["metric"], template), ()
    return (for_template(rec["metric"], template),
            tuple(for_template(rec.get("alternatives", {}), template) or ()))
