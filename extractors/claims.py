"""Claims in report prose: figures, rates, changes, statements and enumerations.

Pipeline per sentence (tables skipped, wrapped PDF lines rejoined: extractors.nlp):
compact the sentence (layout whitespace out, offsets kept) → find quantities
(extractors.numbers) → classify each by the words just before it (change anchor + verb,
share word / rate unit, else figure) → map the metric phrase before a figure to a
canonical key with config/patterns/figures.jsonl → statements (negations, universals)
from config/patterns/statements.jsonl → enumerations ("共N条（其中A x条、B y条）").

Phrase→metric mapping is data; the code only knows the shape "phrase [fillers] number
unit".  Matching is regex over the compacted sentence rather than spaCy's Matcher over
jieba tokens because jieba segments the same phrase differently in different contexts
(a PhraseMatcher needs aligned tokens) and because it is several times faster; ``nlp``
is accepted for API symmetry and is not needed.  A figure maps to a key only when its
phrase ends right before the number (fillers like 共/达/为 allowed) and the unit fits the
pattern; everything else is kept unverifiable with a descriptive phrase.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from typing import Any

from extractors.models import Claim, Sections
from extractors.nlp import sentence_spans
from extractors.numbers import Compact, Quantity, quantities_in
from extractors.patterns import for_template, load_figures, load_lexicon, load_statements, pattern_ref

FIGURE_ID, RATE_ID, CHANGE_ID, ENUM_ID = "num.figure@1", "num.rate@1", "num.change@1", "num.enumeration@1"
_DELIMS = "，,。；;：:、（()）“”\"‘’！？!?【】[]《》 "
_CLAUSE_TAIL = re.compile(rf"[^{re.escape(_DELIMS)}]*$")
_WINDOW = 40  # characters of context looked at before a number


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@cache
def _phrase_index(column: bool = False) -> tuple[re.Pattern[str], dict[str, tuple[dict, ...]]]:
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
    regex = re.compile(rf"(?P<ph>{_alt(list(by_phrase))})(?:{_alt(lex['fillers'])})*$")
    return regex, by_phrase


@cache
def _after_index() -> tuple[tuple[str, dict], ...]:
    return tuple((a, rec) for rec in load_figures() for a in rec.get("after", ()))


@cache
def _context_regexes() -> dict[str, re.Pattern[str]]:
    lex = load_lexicon()
    ch = lex["change"]
    return {
        "change": re.compile(rf"(?P<anchor>{_alt(ch['anchors'])})[^，,；;]{{0,8}}?(?P<dir>{_alt(ch['up'] + ch['down'])})了?$"),
        "share": re.compile(rf"(?P<share>{_alt(lex['rate']['share'])})(?P<base>[^，,；;]{{0,16}}?)的?$"),
        "enum": re.compile(rf"[，,]?[（(]?(?:{_alt(lex['enumeration'])})[：:，,]?"),
        "trim": re.compile(rf"^(?:(?:(?:19|20)\d{{2}})?年度?|{_alt(lex['phrase_trim'])})+"),
        "fillers": re.compile(rf"(?:{_alt(lex['phrase_trim_end'])})+$"),
        "since": re.compile(_alt(lex["since_markers"])),
        "plan": re.compile(_alt(lex["plan_markers"])),
        "not_work_context": re.compile(_alt(lex["not_work_context"])),
        "disclosure": re.compile(_alt(lex["disclosure_verbs"])),
        "reduction": re.compile(rf"(?:{_alt(lex['reduction_verbs'])})$"),
        "not_work": re.compile(rf"(?:{_alt(lex['not_work'])})(?:{_alt(lex['fillers'])})*$"),
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


def _is_part(ctx: "_Ctx", start: int, clause_head: str) -> bool:
    """A figure after 其中 in its sentence, or after a subset word in its clause, is a part."""
    markers = load_lexicon()["subset_markers"]
    return -1 < ctx.first("其中") < start or any(w in clause_head for w in markers)


def _map_metric(prefix: str, after: str, unit: str | None,
                ctx: "_Ctx") -> tuple[dict | None, int, bool]:
    """The figure record naming this number, where its phrase starts in ``prefix``, and
    whether a sub-unit of the body states it (then it only bounds the body's cell)."""
    for phrase, rec in _after_index():
        if after.startswith(phrase) and unit in rec["units"] and for_template(rec["metric"], ctx.template):
            return rec, len(prefix), False
    regex, by_phrase = _phrase_index()
    masked = _YEAR_IN_PHRASE.sub(lambda y: "Y" * len(y.group()), prefix)  # "结转至2026年" → 结转至YYYY年
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


_YEAR_IN_PHRASE = re.compile(r"(?:19|20)\d{2}(?=年)")


def _fits(rec: dict, after: str, unit: str | None, ctx: "_Ctx") -> bool:
    """Whether a figure record applies: unit, template, sentence context, next noun."""
    if unit not in rec["units"] or not for_template(rec["metric"], ctx.template):
        return False
    if rec.get("context") and not any(ctx.first(w) >= 0 for w in rec["context"]):
        return False  # the sentence must be about e.g. applications
    # "收到70件申请", "收到1份行政复议申请": the noun after the number decides
    return not rec.get("next") or any(_next_regex(n).match(after) for n in rec["next"])


@cache
def _next_regex(pattern: str) -> re.Pattern[str]:
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


class _Ctx:
    """Per-call state: the text, template group and the sentence being read."""

    def __init__(self, text: str, template: str | None, body: str | None = None) -> None:
        self.text, self.template, self.body = text, template, body
        self.sentence: tuple[int, int] = (0, 0)
        self.comp: Compact | None = None
        self._found: dict[str, int] = {}

    def read(self, start: int, end: int) -> None:
        self.sentence, self.comp, self._found = (start, end), Compact(self.text, start, end), {}

    def first(self, word: str) -> int:
        """Compact index of the first ``word`` in the sentence (-1 if absent), memoised."""
        if word not in self._found:
            assert self.comp is not None
            self._found[word] = self.comp.text.find(word)
        return self._found[word]

    def claim(self, kind: str, q: Quantity | None, cstart: int, cend: int, **kw: Any) -> Claim:
        assert self.comp is not None
        start, end = self.comp.orig(cstart), self.comp.orig_end(cend)
        val = (q.value, q.low, q.high, q.unit, q.qualifier) if q else (None, None, None, None, None)
        return Claim(kind=kind, metric=kw.pop("metric", None), value=val[0], low=val[1], high=val[2],
                     unit=val[3], qualifier=val[4], text=self.text[start:end], start=start, end=end,
                     sentence=self.sentence, **kw)


def _figure(ctx: _Ctx, q: Quantity, m: re.Match[str], floor: int) -> Claim | None:
    assert ctx.comp is not None
    prefix, pstart = _prefix(ctx.comp.text, m.start(), floor)
    rec, at, sub_unit = _map_metric(prefix, ctx.comp.text[m.end():m.end() + 12], q.unit, ctx)
    if rec is not None and sub_unit:
        return _sub_unit_figure(ctx, q, m, prefix, pstart, rec)
    after = ctx.comp.text[m.end():m.end() + 12]
    if rec is not None and _own_metric(ctx, rec, prefix, pstart, at, m.start()):
        metric, alts = _metric_of(rec, after, ctx.template)
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


def _metric_of(rec: dict, after: str, template: str | None) -> tuple[str, tuple[str, ...]]:
    """The record's metric and alternatives, or those of a note printed right after the
    number ("收到申请41件（含上年度结转3件）" → 新收 + 上年结转)."""
    for note in rec.get("notes", ()):
        if _next_regex(note["regex"]).match(after) and for_template(note["metric"], template):
            return for_template(note["metric"], template), ()
    return (for_template(rec["metric"], template),
            tuple(for_template(rec.get("alternatives", {}), template) or ()))


def _ambiguous(ctx: _Ctx, rec: dict, head: str, at: int) -> bool:
    """A figure whose phrase follows a channel (``ambiguous_after``: 门户网站主动公开), that
    counts since a start long past (lexicon ``since_markers``: 《条例》实施以来累计…) or
    that a plan states (``plan_markers``: 2019年计划举办专题培训不少于3次)."""
    assert ctx.comp is not None
    if head.endswith(tuple(rec.get("ambiguous_after", ()))):
        return True
    rx = _context_regexes()
    return rx["since"].search(ctx.comp.text, 0, at) is not None or rx["plan"].search(ctx.comp.text, 0, at) is not None


PART_LOOKBACK = 120  # characters before the sentence where a part's total may stand


def _own_metric(ctx: _Ctx, rec: dict, prefix: str, pstart: int, at: int, num_at: int) -> bool:
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


def _sub_unit_figure(ctx: _Ctx, q: Quantity, m: re.Match[str], prefix: str, pstart: int,
                     rec: dict) -> Claim:
    """A sub-unit's figure is not the body's cell, but cannot exceed it: kept unmapped
    with the bound cell >= value in ``implies``."""
    metric = for_template(rec["metric"], ctx.template)
    phrase = _describe(prefix)
    cstart = pstart + prefix.rfind(phrase) if phrase else m.start()
    bound = ({"metric": metric, "op": ">=", "value": q.value},) if q.value is not None else ()
    return ctx.claim("figure", q, cstart, m.end(), phrase=phrase, verifiable=False,
                     implies=bound, confidence=0.6, pattern=pattern_ref(rec))


def _change(ctx: _Ctx, q: Quantity, m: re.Match[str], floor: int) -> Claim | None:
    assert ctx.comp is not None
    prefix, pstart = _prefix(ctx.comp.text, m.start(), floor)
    c = _context_regexes()["change"].search(prefix)
    if not c:
        return None
    direction = "up" if c.group("dir") in load_lexicon()["change"]["up"] else "down"
    phrase = _describe(prefix[:c.start()])
    cstart = pstart + (prefix.rfind(phrase) if phrase else c.start())
    return ctx.claim("change", q, cstart, m.end(), direction=direction, phrase=phrase,
                     confidence=0.7, pattern=CHANGE_ID)


def _rate(ctx: _Ctx, q: Quantity, m: re.Match[str], floor: int, last: Claim | None) -> Claim:
    assert ctx.comp is not None
    prefix, pstart = _prefix(ctx.comp.text, m.start(), floor)
    s = _context_regexes()["share"].search(prefix)
    head = prefix[:s.start()] if s else prefix
    phrase = _describe(head) or (last.phrase if last is not None else None)
    base = (s.group("base") or None) if s else None
    cstart = pstart + (head.rfind(phrase) if phrase and phrase in head else (s.start() if s else len(prefix)))
    return ctx.claim("rate", q, cstart, m.end(), phrase=phrase, base=base, confidence=0.7, pattern=RATE_ID)


def _statements(ctx: _Ctx) -> list[Claim]:
    assert ctx.comp is not None
    out = []
    for rec in load_statements():
        for m in re.finditer(rec["regex"], ctx.comp.text):
            implies = _implied(ctx, rec, m)
            if implies is None:
                continue
            metric = implies[0]["metric"] if implies else None
            out.append(ctx.claim("statement", None, m.start(), m.end(), metric=metric, implies=implies,
                                 verifiable=bool(implies), confidence=rec.get("confidence", 0.8), pattern=pattern_ref(rec)))
    return out


def _implied(ctx: _Ctx, rec: dict, m: re.Match[str]) -> tuple[dict, ...] | None:
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


def _column_metric(part: Claim, total: Claim) -> str | None:
    """"结果维持 72 件" under "行政复议 351 件" → t4.review@upheld (config: column records)."""
    if part.metric or not total.metric or not part.phrase:
        return part.metric
    m = _phrase_index(column=True)[0].search(part.phrase)
    rec = _phrase_index(column=True)[1][m.group("ph")][0] if m else None
    keys = total.metric.split("+")
    if rec is None or part.unit not in rec["units"] or not all(k in rec["part_of"] for k in keys):
        return None
    return "+".join(f"{k}@{rec['column']}" for k in keys)


def _parts(rest: list[tuple[Claim, re.Match[str]]], first: int, start: int, limit: int,
           total: Claim) -> list[tuple[int, Claim, re.Match[str]]]:
    out: list[tuple[int, Claim, re.Match[str]]] = []
    for i in range(first, len(rest)):
        c, pm = rest[i]
        if pm.end() > limit or (c.kind == "figure" and not _can_be_part(c, total, [p for _, p, _ in out])):
            break
        if pm.start() >= start and c.kind == "figure":
            out.append((i, c, pm))
    return out


def _head(phrase: str | None) -> str:
    return (phrase or "")[-2:]


def _can_be_part(c: Claim, total: Claim, parts: list[Claim]) -> bool:
    """A listed item after 其中 is a part of the total unless it exceeds it (same unit), or
    the total and the parts so far share a head noun it lacks ("接受咨询320人次，其中电话
    咨询200人次、现场咨询100人次，专栏访问量5000人次": 专栏访问量 ends the list)."""
    if c.unit == total.unit and None not in (c.value, total.high) and c.value > total.high:
        return False
    heads = {_head(p.phrase) for p in parts}
    shared = len(parts) >= 2 and len(heads) == 1 and _head(total.phrase) in heads
    return not shared or _head(c.phrase) in heads or (c.phrase or "").startswith("其他")


def _enumeration(ctx: _Ctx, i: int, numbered: list[tuple[Claim, re.Match[str]]]
                 ) -> tuple[Claim | None, dict[int, Claim]]:
    """"共N条（其中A x条、B y条）" → an enumeration claim, and the parts with column metrics."""
    assert ctx.comp is not None
    total, m = numbered[i]
    opener = _context_regexes()["enum"].match(ctx.comp.text, m.end())
    if total.kind != "figure" or not opener or opener.end() - m.end() > 6:
        return None, {}
    paren = "（" in opener.group() or "(" in opener.group()
    close = re.compile(r"[）)]").search(ctx.comp.text, opener.end(), opener.end() + 400) if paren else None
    limit = close.start() if close else opener.end() + 400
    parts = _parts(numbered, i + 1, opener.end(), limit, total)
    if len(parts) < 2 and not (parts and paren):
        return None, {}
    updated = {i: replace(c, metric=_column_metric(c, total), verifiable=bool(_column_metric(c, total)))
               for i, c, _ in parts}
    items = tuple({"phrase": c.phrase, "value": c.value, "unit": c.unit, "metric": c.metric,
                   "start": c.start, "end": c.end} for c in updated.values())
    end = close.end() if close else parts[-1][2].end()
    claim = ctx.claim("enumeration", None, m.start(), end, parts=items, phrase=total.phrase,
                      metric=total.metric, confidence=0.7, pattern=ENUM_ID)
    return replace(claim, value=total.value, low=total.low, high=total.high, unit=total.unit,
                   start=total.start, text=ctx.text[total.start:claim.end]), updated


def _bare_figure(ctext: str, m: re.Match[str], floor: int) -> bool:
    """A number without a unit is a figure when hedged/multiplied ("超2300万") or when its
    phrase ends with a count word ("不予公开信息数1402"); never a date, year or code."""
    lex = load_lexicon()
    if ctext.startswith(tuple(lex["not_after"]), m.end()) or re.fullmatch(r"(?:19|20)\d\d", m.group("num")):
        return False
    if m.group("mult") or m.group("pre") or m.group("inner"):
        return True
    prefix, _ = _prefix(ctext, m.start(), floor)
    return prefix.endswith(tuple(lex["count_suffixes"]))


def _not_a_figure(ctext: str, m: re.Match[str], floor: int, off_topic: bool) -> str | None:
    """Why a number is no figure of the report, or None: the report's own structure
    ("由六部分组成": 部分 after the number or its unit); a count that is not disclosure work
    ("常住人口52.3万人": lexicon ``not_work``; "精简申请材料16项", "受理各类服务事项144350件":
    ``not_work_context`` in its clause, no disclosure verb); after such a count in the
    sentence, its rate or its reduced figure ("办结率100%", "精简为5条")."""
    lex, rx = load_lexicon(), _context_regexes()
    unit_at = m.start("size") if m.group("size") else m.start("unit")
    if any(ctext.startswith(tuple(lex["not_followed_by"]), at) for at in (m.end(), unit_at) if at >= 0):
        return "structure"
    prefix, _ = _prefix(ctext, m.start(), floor)
    if rx["not_work"].search(prefix) or (rx["not_work_context"].search(prefix) and not rx["disclosure"].search(prefix)):
        return "not_work"
    rate = m.group("unit") in lex["rate_units"]
    if off_topic and (rate or rx["reduction"].match(prefix)):
        return "not_work"
    return None


def _number_claims(ctx: _Ctx) -> list[tuple[Claim, re.Match[str]]]:
    assert ctx.comp is not None
    out: list[tuple[Claim, re.Match[str]]] = []
    floor, last, off_topic = 0, None, False
    rate_units = set(load_lexicon()["rate_units"])
    for q, m in quantities_in(ctx.comp, ctx.text):
        why = _not_a_figure(ctx.comp.text, m, floor, off_topic)
        if why is not None:
            floor, off_topic = m.end(), off_topic or why == "not_work"
            continue
        if q.unit is None and not _bare_figure(ctx.comp.text, m, floor):
            year = re.fullmatch(r"(?:19|20)\d{2}", m.group()) and ctx.comp.text.startswith("年", m.end())
            floor = floor if year else m.end()  # "结转至2026年6件": the year is part of the phrase
            continue
        claim = _change(ctx, q, m, floor)
        if claim is None:
            claim = _rate(ctx, q, m, floor, last) if q.unit in rate_units else _figure(ctx, q, m, floor)
        if claim is not None:
            out.append((claim, m))
            last = claim if claim.kind == "figure" else last
        floor = m.end()
    return out


def _sentence_claims(ctx: _Ctx) -> list[Claim]:
    numbered = _number_claims(ctx)
    claims, enums = [c for c, _ in numbered], []
    for i in range(len(numbered)):
        enum, parts = _enumeration(ctx, i, numbered)
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
    ctx = _Ctx(text, template, body)
    claims: list[Claim] = []
    for s, e in sentence_spans(text):
        ctx.read(s, e)
        claims.extend(_sentence_claims(ctx))
    return sorted(claims, key=lambda c: (c.start, c.end))
