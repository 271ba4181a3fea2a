"""Enumerations in report prose: "共N条（其中A x条、B y条）" → the total with its listed parts.

A part is a figure after the opener (lexicon ``enumeration``: 其中) up to the closing
bracket or 400 characters; a listed item that exceeds the total, or that lacks the head
noun the total and the parts so far share, ends the list.  Parts under a 表四 total take
that block's column keys (config/patterns/figures.jsonl column records: 结果维持 72 件 →
t4.review@upheld).  Hand-written: the shape is this domain's, no library parses it.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from extractors.models import Claim
from extractors.patterns import load_lexicon
from extractors.phrases import alt, phrase_index
from extractors.sentence import Sentence

ENUM_ID = "num.enumeration@1"


@cache
def _opener() -> re.Pattern[str]:
    return re.compile(rf"[，,]?[（(]?(?:{alt(load_lexicon()['enumeration'])})[：:，,]?")


def _column_metric(part: Claim, total: Claim) -> str | None:
    """"结果维持 72 件" under "行政复议 351 件" → t4.review@upheld (config: column records)."""
    if part.metric or not total.metric or not part.phrase:
        return part.metric
    m = phrase_index(column=True)[0].search(part.phrase)
    rec = phrase_index(column=True)[1][m.group("ph")][0] if m else None
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


def enumeration(ctx: Sentence, i: int, numbered: list[tuple[Claim, re.Match[str]]]
                 ) -> tuple[Claim | None, dict[int, Claim]]:
    """"共N条（其中A x条、B y条）" → an enumeration claim, and the parts with column metrics."""
    assert ctx.comp is not None
    total, m = numbered[i]
    opener = _opener().match(ctx.comp.text, m.end())
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
