"""Timeliness: was the report published by its legal deadline?

《政府信息公开条例》(revised 2019, in force 2019-05-15) 第五十条: every administrative organ
publishes its report on the previous year by **31 January**; the government-information
office of a people's government at county level or above publishes *that government's
own* report (本级人民政府) by **31 March**.  The 2008 《条例》第三十一条, which governs
reports on 2018 and earlier, set 31 March for every organ.  Both are data in the rule's
``deadlines`` (config/rules.yaml, rule ``TIME.DEADLINE``); which bodies are governments
is the rule's ``government_levels`` over the level extractors/metadata.py reads from the
body name (a department has level ``department``; a zone's name tells no rank: level
None, kind unknown).

:func:`assess` is the pure verdict (``pass`` / ``warn`` / ``not_assessable``) with its
evidence: the date, where it was read (a date line of the text, with its offsets, or the
source URL), the deadline, the days late.  The rule handler :func:`check_timeliness`
turns a ``warn`` or ``not_assessable`` verdict into a finding; a pass yields none, like
every rule of the cross-check.  When the kind is unknown the deadline is still decided
if the date is on or before the earliest possible deadline (pass) or after the latest
(warn): only a date between them needs the kind.

Hand-written: a date comparison over the project's own metadata; no library decides
which deadline of a Chinese regulation applies to a body.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from extractors.metadata import published_evidence
from extractors.models import Finding, ReportMeta
from extractors.rules import Rule

KINDS = ("department", "government")


@dataclass(frozen=True)
class Timeliness:
    status: str  # pass | warn | not_assessable
    reason: str  # on_time | late | no_date | no_year | kind_unknown
    year: int | None = None
    published: str | None = None  # ISO
    deadline: str | None = None  # ISO; None when the kind is unknown and it matters
    kind: str | None = None  # department | government | None
    days_late: int | None = None  # > 0 when late, <= 0 on time
    where: str | None = None  # text | source
    span: tuple[int, int] | None = None
    raw: str | None = None
    pattern: str | None = None
    basis: str | None = None  # the article the deadline comes from
    candidates: dict = field(default_factory=dict)  # kind -> ISO deadline, when unknown


def deadline_table(rule: Rule, year: int) -> dict[str, Any] | None:
    """The ``deadlines`` entry that governs reports on ``year`` (latest from_year first)."""
    rows = sorted(rule.params["deadlines"], key=lambda d: -int(d["from_year"]))
    return next((d for d in rows if year >= int(d["from_year"])), None)


def kind_of(level: str | None, rule: Rule) -> str | None:
    if level is None:
        return None
    return "government" if level in rule.params["government_levels"] else "department"


def _deadline(entry: dict, kind: str, year: int) -> dt.date:
    month, day = (int(x) for x in str(entry[kind]).split("-"))
    return dt.date(year + 1, month, day)


def assess(meta: ReportMeta, rule: Rule, text: str = "", source: str | None = None) -> Timeliness:
    """The verdict on one report's publication date against its deadline."""
    if meta.year is None:
        return Timeliness("not_assessable", "no_year")
    found = published_evidence(text, source, meta.year) if (text or source) else None
    published = meta.published or (found.date if found else None)
    ev = ({"where": found.where, "span": found.span, "raw": found.raw, "pattern": found.rule}
          if found and found.date == published else {})
    entry = deadline_table(rule, meta.year)
    if entry is None:
        return Timeliness("not_assessable", "no_year", year=meta.year, published=published, **ev)
    basis = str(entry.get("basis", ""))
    kind = kind_of(meta.level, rule)
    if published is None:
        due = _deadline(entry, kind, meta.year).isoformat() if kind else None
        return Timeliness("not_assessable", "no_date", year=meta.year, kind=kind, deadline=due,
                          basis=basis)
    date = dt.date.fromisoformat(published)
    options = {k: _deadline(entry, k, meta.year) for k in KINDS}
    if kind is None and min(options.values()) < date <= max(options.values()):
        return Timeliness("not_assessable", "kind_unknown", year=meta.year, published=published,
                          basis=basis, candidates={k: d.isoformat() for k, d in options.items()},
                          **ev)
    # kind unknown but the date decides: on or before the earliest deadline, or after the latest
    due = options[kind] if kind else (min(options.values()) if date <= min(options.values())
                                      else max(options.values()))
    late = (date - due).days
    return Timeliness("warn" if late > 0 else "pass", "late" if late > 0 else "on_time",
                      year=meta.year, published=published, deadline=due.isoformat(), kind=kind,
                      days_late=late, basis=basis, **ev)


_OPEN = {
    "no_year": ("无法核验报告是否按时公布：未读出报告年度。",
                "Timeliness not assessable: the report year was not read."),
    "no_date": ("无法核验报告是否按时公布：未读出公布日期（应于{due}前公布）。",
                "Timeliness not assessable: no publication date was read (due by {due})."),
    "kind_unknown": ("无法核验报告是否按时公布：{published}公布，部门报告应于{department}前、"
                     "本级人民政府报告应于{government}前公布，未能判断发布机构类别。",
                     "Timeliness not assessable: published {published}; a department's report "
                     "is due by {department}, a government's own by {government}, and the "
                     "body's kind is unknown."),
}


def _due_text(rule: Rule, year: int | None) -> str:
    entry = deadline_table(rule, year) if year else None
    if entry is None:
        return "—"
    dates = sorted({_deadline(entry, k, year).isoformat() for k in KINDS})
    return " / ".join(dates)


def to_finding(t: Timeliness, rule: Rule) -> Finding | None:
    """The finding of a verdict: None for a pass."""
    if t.status == "pass":
        return None
    spans = (t.span,) if t.span else ()
    extra = {"timeliness": {k: v for k, v in _plain(t).items() if v not in (None, {}, "")}}
    if t.status == "warn":
        expr = f"{t.published} > {t.deadline} (+{t.days_late} d)"
        fields = {"lhs": t.published, "rhs": t.deadline, "label": t.basis,
                  "expr": f"{t.days_late}", "title": t.raw or t.published}
        return Finding(code=rule.id, status="warn", severity=rule.severity,
                       message=rule.message.format(**fields),
                       message_en=rule.message_en.format(**fields), values=(t.days_late,),
                       expression=expr, spans=spans, rule=rule.ref, extra=extra)
    zh, en = _OPEN[t.reason]
    fill = {"due": t.deadline or _due_text(rule, t.year), "published": t.published, **t.candidates}
    return Finding(code=rule.id, status="not_assessable", severity=rule.severity,
                   message=zh.format(**fill), message_en=en.format(**fill), values=(),
                   expression=t.reason, spans=spans, rule=rule.ref, extra=extra)


def _plain(t: Timeliness) -> dict:
    d = {k: getattr(t, k) for k in Timeliness.__dataclass_fields__}
    d["span"] = list(t.span) if t.span else None
    return d


def check_timeliness(rule: Rule, view: Any, meta: ReportMeta | None = None,
                     text: str | None = None, source: str | None = None,
                     **_: Any) -> list[Finding]:
    """Rule handler (extractors/crosscheck.py): nothing without the report's metadata."""
    if meta is None:
        return []
    f = to_finding(assess(meta, rule, text or "", source), rule)
    return [f] if f else []
