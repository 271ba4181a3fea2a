"""Claims in report prose: figures, rates, changes, statements and enumerations.

Pipeline per sentence (tables skipped, wrapped PDF lines rejoined: extractors.nlp):
compact the sentence (layout whitespace out, offsets kept) → find quantities
(extractors.numbers) → classify each by the words just before it (change anchor + verb,
share word / rate unit, else figure) → map the metric phrase before a figure to a
canonical key with config/patterns/figures.jsonl → statements (negations, universals)
from config/patterns/statements.jsonl → enumerations ("共N条（其中A x条、B y条）").

Phrase→metric mapping is data (extractors.phrases reads it); enumerations are read by
extractors.enumerations; ``nlp`` is accepted for API symmetry and is not needed.  A
number is no figure when it belongs to the report's structure, a name or slogan, or a
count that is not disclosure work (lexicon); a figure that is ambiguous (a channel before
the total phrase), counts since long ago or states a plan stays unmapped.  Everything
unmapped is kept unverifiable with a descriptive phrase.  Hand-written: no library knows
these reports' wording; spaCy/jieba tokens are not needed for regex over the sentence.
"""
from __future__ import annotations

import re
from functools import cache
from itertools import islice
from typing import Any

from extractors.enumerations import enumeration
from extractors.models import Claim, Sections
from extractors.nlp import sentence_spans
from extractors.numbers import Compact, Quantity, quantities_in
from extractors.patterns import for_template, load_lexicon, load_statements, pattern_ref
from extractors.phrases import alt, map_metric, metric_of
from extractors.regex_scan import finditer as windowed_finditer
from extractors.regex_scan import required_chars
from extractors.sentence import Sentence

FIGURE_ID, RATE_ID, CHANGE_ID = "num.figure@1", "num.rate@1", "num.change@1"
_DELIMS = "，,。；;：:、（()）“”\"‘’！？!?【】[]《》 "
_CLAUSE_TAIL = re.compile(rf"[^{re.escape(_DELIMS)}]*$")
_YEAR = re.compile(r"(?:19|20)\d{2}")
_WINDOW = 40  # characters of context looked at before a number
# Numbers read as figures in one sentence: the corpus has at most 17; a "sentence" of
# thousands of numbers is a dump, not prose (the pipeline flags ``sentence_figures_capped``).
MAX_FIGURES_PER_SENTENCE = 100


@cache
def _context_regexes() -> dict[str, re.Pattern[str]]:
    lex = load_lexicon()
    ch = lex["change"]
    return {
        "change": re.compile(rf"(?P<anchor>{alt(ch['anchors'])})[^，,；;]{{0,8}}?(?P<dir>{alt(ch['up'] + ch['down'])})了?$"),
        "share": re.compile(rf"(?P<share>{alt(lex['rate']['share'])})(?P<base>[^，,；;]{{0,16}}?)的?$"),
        "trim": re.compile(rf"^(?:(?:(?:19|20)\d{{2}})?年度?|{alt(lex['phrase_trim'])})+"),
        "fillers": re.compile(rf"(?:{alt(lex['phrase_trim_end'])})+$"),
        "since": re.compile(alt(lex["since_markers"])),
        "plan": re.compile(alt(lex["plan_markers"])),
        "not_work_context": re.compile(alt(lex["not_work_context"])),
        "disclosure": re.compile(alt(lex["disclosure_verbs"])),
        "reduction": re.compile(rf"(?:{alt(lex['reduction_verbs'])})$"),
        "not_work": re.compile(rf"(?:{alt(lex['not_work'])})(?:{alt(lex['fillers'])})*$"),
    }


def _prefix(ctext: str, start: int, floor: int) -> tuple[str, int]:
    """The clause before compact index ``start`` (not before ``floor``), and its offset."""
    lo = max(floor, start - _WINDOW)
    window = ctext[lo:start]
    tail = _CLAUSE_TAIL.search(window)
    cut = tail.start() if tail else 0
    return window[cut:], lo + cut


def _describe(prefix: str) -> str | None:
    rx = _context_regexes()
    phrase = rx["fillers"].sub("", rx["trim"].sub("", prefix))
    return phrase[-16:] or None


def _is_part(ctx: Sentence, start: int, clause_head: str) -> bool:
    """A figure after 其中 in its sentence, or after a subset word in its clause, is a part."""
    markers = load_lexicon()["subset_markers"]
    return -1 < ctx.first("其中") < start or any(w in clause_head for w in markers)


def _figure(ctx: Sentence, q: Quantity, m: re.Match[str], clause: tuple[str, int]) -> Claim | None:
    assert ctx.comp is not None
    prefix, pstart = clause
    rec, at, sub_unit = map_metric(prefix, ctx.comp.text[m.end():m.end() + 12], q.unit, ctx)
    if rec is not None and sub_unit:
        return _sub_unit_figure(ctx, q, m, prefix, pstart, rec)
    after = ctx.comp.text[m.end():m.end() + 12]
    if rec is not None and _own_metric(ctx, rec, prefix, pstart, at, m.start()):
        metric, alts = metric_of(rec, after, ctx.template)
        if not _ambiguous(ctx, rec, prefix[:at], pstart + at):
            conf = 0.9 if not q.chinese else 0.7
            return ctx.claim("figure", q, pstart + at, m.end(), metric=metric, alternatives=alts,
                             phrase=prefix[at:], verifiable=True, confidence=conf, pattern=pattern_ref(rec))
        alts = (metric, *alts)  # "门户网站主动公开…211条": the total or the website
    else:
        alts = ()
    phrase = _describe(prefix)
    cstart = pstart + prefix.rfind(phrase) if phrase else m.start()
    return ctx.claim("figure", q, cstart, m.end(), phrase=phrase, verifiable=False, alternatives=alts,
                     confidence=0.5 if q.chinese else 0.6, pattern=FIGURE_ID)


def _ambiguous(ctx: Sentence, rec: dict, head: str, at: int) -> bool:
    """A figure whose phrase follows a channel (``ambiguous_after``: 门户网站主动公开), that
    counts since a start long past (lexicon ``since_markers``: 《条例》实施以来累计…) or
    that a plan states (``plan_markers``: 2019年计划举办专题培训不少于3次)."""
    assert ctx.comp is not None
    if head.endswith(tuple(rec.get("ambiguous_after", ()))):
        return True
    rx = _context_regexes()
    return any(-1 < ctx.first_match(rx[k]) < at for k in ("since", "plan"))


PART_LOOKBACK = 120  # characters before the sentence where a part's total may stand


def _own_metric(ctx: Sentence, rec: dict, prefix: str, pstart: int, at: int, num_at: int) -> bool:
    """Whether the figure takes its record's metric: yes unless it is a part (after 其中 or
    a subset word) of a total already named by the same phrase in the sentence, or a
    column-part record.  "总数1873条，其中主动公开政府信息425条" maps 425 to 主动公开;
    "主动公开政府信息1913条。其中…主动公开政府信息1397条" leaves 1397 unmapped."""
    if not _is_part(ctx, num_at, prefix[:at]):
        return True
    if not rec.get("metric"):
        return False
    assert ctx.comp is not None
    phrase = prefix[at:at + 6] or prefix[at:]
    if -1 < ctx.comp.text.find(phrase) < pstart + at:
        return False  # named earlier in this sentence
    start = ctx.sentence[0]  # or as a figure in the sentence before ("…1913条。其中，…1397条")
    window = ctx.text[max(0, start - PART_LOOKBACK):start]
    return re.search(re.escape(phrase) + r"[^\n。；]{0,8}?\d", window) is None


def _sub_unit_figure(ctx: Sentence, q: Quantity, m: re.Match[str], prefix: str, pstart: int,
                     rec: dict) -> Claim:
    """A sub-unit's figure is not the body's cell, but cannot exceed it: kept unmapped
    with the bound cell >= value in ``implies``."""
    metric = for_template(rec["metric"], ctx.template)
    phrase = _describe(prefix)
    cstart = pstart + prefix.rfind(phrase) if phrase else m.start()
    bound = ({"metric": metric, "op": ">=", "value": q.value},) if q.value is not None else ()
    return ctx.claim("figure", q, cstart, m.end(), phrase=phrase, verifiable=False,
                     implies=bound, confidence=0.6, pattern=pattern_ref(rec))


def _change(ctx: Sentence, q: Quantity, m: re.Match[str], clause: tuple[str, int]) -> Claim | None:
    assert ctx.comp is not None
    prefix, pstart = clause
    c = _context_regexes()["change"].search(prefix)
    if not c:
        return None
    direction = "up" if c.group("dir") in load_lexicon()["change"]["up"] else "down"
    phrase = _describe(prefix[:c.start()])
    cstart = pstart + (prefix.rfind(phrase) if phrase else c.start())
    return ctx.claim("change", q, cstart, m.end(), direction=direction, phrase=phrase,
                     confidence=0.7, pattern=CHANGE_ID)


def _rate(ctx: Sentence, q: Quantity, m: re.Match[str], clause: tuple[str, int], last: Claim | None) -> Claim:
    assert ctx.comp is not None
    prefix, pstart = clause
    s = _context_regexes()["share"].search(prefix)
    head = prefix[:s.start()] if s else prefix
    phrase = _describe(head) or (last.phrase if last is not None else None)
    base = (s.group("base") or None) if s else None
    cstart = pstart + (head.rfind(phrase) if phrase and phrase in head else (s.start() if s else len(prefix)))
    return ctx.claim("rate", q, cstart, m.end(), phrase=phrase, base=base, confidence=0.7, pattern=RATE_ID)


@cache
def _statements_compiled() -> tuple[tuple[re.Pattern[str], dict, bool], ...]:
    """(regex, record, whether a report without a match cannot have one in a sentence)."""
    return tuple((re.compile(rec["regex"]), rec, _context_free(rec["regex"])) for rec in load_statements())


_LITERAL_LOOKBEHIND = re.compile(r"\(\?<![^\\()\[\].*+?{}|^$]+\)")


def _context_free(pattern: str) -> bool:
    """Whether a match of ``pattern`` in a sentence is a match in the sentences joined by
    line breaks: no anchors or lookarounds, bar a negative lookbehind of literal words
    (a line break is no word)."""
    rest = _LITERAL_LOOKBEHIND.sub("", pattern).replace("(?:", "")
    return not any(t in rest for t in ("(?", "^", "$", "\\b", "\\B", "\\A", "\\Z"))


def statements_possible(sentences: list[str]) -> tuple[tuple[re.Pattern[str], dict, tuple[str, ...]], ...]:
    """The statement regexes that may match one of the (compacted) sentences, each with
    :func:`_needs`: a context-free regex without a match in all of them joined is tried
    on none (the joined text searched only around the rarest character every match
    holds: extractors.regex_scan)."""
    joined = "\n".join(sentences)
    return tuple((regex, rec, _needs(regex)) for regex, rec, free in _statements_compiled()
                 if not free or next(windowed_finditer(regex, joined), None) is not None)


@cache
def _needs(regex: re.Pattern[str]) -> tuple[str, ...]:
    """Characters every match of a statement regex holds (extractors.regex_scan): a
    sentence without one of them is not tried.  Looked up once a report, not once a
    sentence: a compiled pattern's hash reads its whole compiled code."""
    return tuple(sorted(required_chars(regex)))


def _statements(ctx: Sentence) -> list[Claim]:
    assert ctx.comp is not None
    out = []
    tried = ctx.statements if ctx.statements is not None else [(r, rec, _needs(r)) for r, rec, _ in _statements_compiled()]
    sentence = ctx.comp.text
    for regex, rec, needs in tried:
        if not all(map(sentence.__contains__, needs)):
            continue
        for m in regex.finditer(sentence):
            implies = _implied(ctx, rec, m)
            if implies is None:
                continue
            metric = implies[0]["metric"] if implies else None
            out.append(ctx.claim("statement", None, m.start(), m.end(), metric=metric, implies=implies,
                                 verifiable=bool(implies), confidence=rec.get("confidence", 0.8), pattern=pattern_ref(rec)))
    return out


def _implied(ctx: Sentence, rec: dict, m: re.Match[str]) -> tuple[dict, ...] | None:
    """The cell constraints a statement match implies (each once); None when the record
    has scope words and none is in its scope ("均已按时办结" of 审批事项: not a statement
    about disclosure requests)."""
    in_sentence = rec.get("scope", "match") == "sentence"
    implies = list(for_template(rec.get("implies", {}), ctx.template) or [])
    hits = [w for w in rec.get("scopes", {}) if (ctx.first(w) >= 0 if in_sentence else w in m.group())]
    if rec.get("scopes") and not hits:
        return None
    for word in hits:
        implies += for_template(rec["scopes"][word], ctx.template) or []
    return tuple(dict(t) for t in dict.fromkeys(tuple(sorted(i.items())) for i in implies))


def _bare_figure(ctext: str, m: re.Match[str], prefix: str) -> bool:
    """A number without a unit is a figure when hedged/multiplied ("超2300万") or when its
    phrase ends with a count word ("不予公开信息数1402"); never a date, year or code."""
    lex = load_lexicon()
    num = m.group("num") or ""  # None for a lone 百/千/万 ("万余本年")
    if ctext.startswith(tuple(lex["not_after"]), m.end()) or _YEAR.fullmatch(num):
        return False
    if m.group("mult") or m.group("pre") or m.group("inner"):
        return True
    return prefix.endswith(tuple(lex["count_suffixes"]))


def _not_a_figure(ctext: str, m: re.Match[str], floor: int, prefix: str, off_topic: bool) -> str | None:
    """Why a number is no figure of the report, or None: the report's own structure
    ("由六部分组成": 部分 after the number or its unit; "A、B、C三个方面": the count of a
    list just before it); a count that is not disclosure work
    ("常住人口52.3万人": lexicon ``not_work``; "精简申请材料16项", "受理各类服务事项144350件":
    ``not_work_context`` in its clause, no disclosure verb); after such a count in the
    sentence, its rate or its reduced figure ("办结率100%", "精简为5条")."""
    lex, rx = load_lexicon(), _context_regexes()
    unit_at = m.start("size") if m.group("size") else m.start("unit")
    if any(ctext.startswith(tuple(lex["not_followed_by"]), at) for at in (m.end(), unit_at) if at >= 0):
        return "structure"
    listed = ctext[max(floor, m.start() - _WINDOW):m.start()]
    if listed.count("、") >= 2 and ctext.startswith(tuple(lex["list_counts"]), m.end()):
        return "structure"  # "A、B、C三个方面": the count of the list before it
    if rx["not_work"].search(prefix) or (rx["not_work_context"].search(prefix) and not rx["disclosure"].search(prefix)):
        return "not_work"
    rate = m.group("unit") in lex["rate_units"]
    if off_topic and (rate or rx["reduction"].match(prefix)):
        return "not_work"
    return None


def _number_claims(ctx: Sentence) -> list[tuple[Claim, re.Match[str]]]:
    assert ctx.comp is not None
    out: list[tuple[Claim, re.Match[str]]] = []
    floor, last, off_topic = 0, None, False
    rate_units = set(load_lexicon()["rate_units"])
    for q, m in islice(quantities_in(ctx.comp, ctx.text), MAX_FIGURES_PER_SENTENCE):
        clause = _prefix(ctx.comp.text, m.start(), floor)  # what each reading below looks at
        why = _not_a_figure(ctx.comp.text, m, floor, clause[0], off_topic)
        if why is not None:
            floor, off_topic = m.end(), off_topic or why == "not_work"
            continue
        if q.unit is None and not _bare_figure(ctx.comp.text, m, clause[0]):
            year = _YEAR.fullmatch(m.group()) and ctx.comp.text.startswith("年", m.end())
            floor = floor if year else m.end()  # "结转至2026年6件": the year is part of the phrase
            continue
        claim = _change(ctx, q, m, clause)
        if claim is None:
            claim = _rate(ctx, q, m, clause, last) if q.unit in rate_units else _figure(ctx, q, m, clause)
        if claim is not None:
            out.append((claim, m))
            last = claim if claim.kind == "figure" else last
        floor = m.end()
    return out


def _sentence_claims(ctx: Sentence) -> list[Claim]:
    numbered = _number_claims(ctx)
    claims, enums = [c for c, _ in numbered], []
    for i in range(len(numbered)):
        enum, parts = enumeration(ctx, i, numbered)
        for j, part in parts.items():
            claims[j] = part
        enums += [enum] if enum is not None else []
    return claims + enums + _statements(ctx)


def extract_claims(text: str, sections: Sections | None = None, nlp: Any = None, *,
                   template: str | None = None, body: str | None = None) -> list[Claim]:
    """All prose claims of a report's normalized text, ordered by start offset.

    ``sections`` and ``nlp`` are accepted for pipeline symmetry; tables are recognised
    from their line shape, so ``sections=None`` loses nothing.  ``template`` selects
    pre-2019 ``p.*`` keys ("pre2019") or 2019/2021 ``t2/t3/t4`` keys (anything else).
    ``body`` (the reporting body) lets a figure that a sub-unit states stay unmapped.
    """
    ctx = Sentence(text, template, body)
    spans = sentence_spans(text)
    comps = [Compact(text, s, e) for s, e in spans]
    ctx.statements = statements_possible([c.text for c in comps])
    claims: list[Claim] = []
    for (s, e), comp in zip(spans, comps):
        ctx.read(s, e, comp)
        claims.extend(_sentence_claims(ctx))
    return sorted(claims, key=lambda c: (c.start, c.end))
