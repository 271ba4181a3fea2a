"""The prose against the table: figures, qualitative statements, enumerations and shares.

A prose figure is an interval (余 / 约 / 不足 / printed decimals); the table side is the
interval of the cells its metric names (extractors/crosscheck_view.py ``TableView.metric``),
derived from the parts when the cell is blank or absent.  A cell the metric needs but the
parser did not read is an unknown count: the figure cannot ``fail`` against it (only
against what the printed parts already prove), and the ``not_assessable`` finding names it.
Hand-written: the readings, intervals and derivations are the project's semantics.
"""
from __future__ import annotations

import math
import re
from typing import Any

from extractors.crosscheck_findings import make_finding, mid, short_label, violated_status
from extractors.crosscheck_view import TableView
from extractors.expr import (INF, OPS, SYMBOL, Interval, compare, decimals, fmt_cell,
                             fmt_interval, fmt_number)
from extractors.models import Claim, Finding
from extractors.rules import Rule, RuleSet


def claim_interval(claim: Claim, rs: RuleSet) -> Interval | None:
    if claim.low is None and claim.high is None:
        if claim.value is None:
            return None
        lo = hi = float(claim.value)
    else:
        lo = claim.low if claim.low is not None else -INF
        hi = claim.high if claim.high is not None else INF
    if lo == hi and claim.qualifier in rs.settings.get("approx_qualifiers", ()):
        rel = float(rs.settings.get("approx_relative", 0.1)) * abs(lo)
        return Interval(lo - rel, hi + rel)
    half = 0.5 * 10 ** -decimals(fmt_number(lo)) if lo == hi and decimals(fmt_number(lo)) else 0
    return Interval(lo - half, hi + half)


def _prose_vs_table(civ: Interval, tiv: Interval) -> str:
    status = compare("eq", civ, tiv)
    if status == "not_assessable" and math.isfinite(tiv.hi):
        return "pass"
    return status


def _readings(claim: Claim, rs: RuleSet) -> list[str]:
    """The claim's metric, its own alternatives, then the rule-set's extra readings."""
    extra = (rs.settings.get("readings") or {}).get(claim.metric or "", [])
    return list(dict.fromkeys(m for m in (claim.metric, *claim.alternatives, *extra) if m))


def check_figure(rule: Rule, view: TableView, claims: list[Claim], **_: Any) -> list[Finding]:
    if not view.table.cells:
        return []
    out = []
    for claim in claims:
        if claim.kind not in ("figure", "enumeration") or not _rule_takes(rule, claim.metric):
            continue
        civ = claim_interval(claim, view.rs)
        if civ is not None:
            out += _figure(rule, view, claim, civ)
    return out


def _rule_takes(rule: Rule, metric: str | None) -> bool:
    """A claim_figure rule checks the metrics its ``metrics`` patterns match (all when it
    has none) except those its ``skip_metrics`` patterns match."""
    if not metric:
        return False
    only, skip = rule.params.get("metrics") or (), rule.params.get("skip_metrics") or ()
    return (not only or any(re.search(p, metric) for p in only)) and not any(re.search(p, metric) for p in skip)


def _figure(rule: Rule, view: TableView, claim: Claim, civ: Interval) -> list[Finding]:
    tried = []
    for reading in _readings(claim, view.rs):
        got = view.metric(reading)
        if got is None:
            continue
        side, derived = got
        status = _prose_vs_table(civ, side.interval)
        if status == "pass":
            return []
        tried.append((reading, status, side, derived))
    if not tried:
        return []
    status = "fail" if all(t[1] == "fail" for t in tried) else "not_assessable"
    reading, _, side, derived = next(t for t in tried if t[1] == status)
    status = violated_status(rule) if status == "fail" else status
    expr = f"{_claim_text(claim, civ)} = {side.text()}" + (" ✗" if status != "not_assessable" else "")
    fields = {"quote": claim.text, "label": "与".join(dict.fromkeys(short_label(c.label) for c, _ in side.items)),
              "rhs": fmt_interval(side.interval), "row": reading, "expr": expr}
    how = "; ".join([f"readings tried: {' | '.join(t[0] for t in tried)}", *derived])
    unread = [r for t in tried for r in t[2].unread]
    return [make_finding(rule, status, fields, [c for c, _ in side.items],
                         values=(claim.value, mid(side.interval)), expression=expr,
                         spans=[(claim.start, claim.end)], reading=how, unread=unread)]


def _claim_text(claim: Claim, civ: Interval) -> str:
    if claim.value is not None and civ.hi - civ.lo < 1:
        return fmt_number(claim.value)
    return fmt_interval(civ)


def check_statement(rule: Rule, view: TableView, claims: list[Claim], **_: Any) -> list[Finding]:
    if not view.table.cells:
        return []
    out = []
    floor = float(rule.params.get("min_confidence", 0))
    for claim in claims:  # weak readings are stored for review but not tested
        if claim.implies and claim.confidence >= floor:
            out += _statement(rule, view, claim)
    return out


def _statement(rule: Rule, view: TableView, claim: Claim) -> list[Finding]:
    failed, open_, cells, unread = [], [], [], []
    for imp in claim.implies:
        got = view.metric(str(imp.get("metric", "")))
        if got is None:
            continue
        side, _ = got
        op, value = imp.get("op", "="), float(imp.get("value", 0))
        status = compare(op, side.interval, Interval(value, value))
        expr = f"{side.text()} {SYMBOL.get(_op(op), op)} {fmt_number(value)}"
        if status == "fail":
            failed.append(expr)
            cells += [c for c, _ in side.items]
        elif status == "not_assessable":
            open_.append(expr)
            unread += side.unread
    if not failed and not open_:
        return []
    status = violated_status(rule) if failed else "not_assessable"
    expr = "; ".join(failed or open_) + (" ✗" if failed else "")
    labels = "、".join(dict.fromkeys(short_label(c.label) for c in cells)) if cells else ""
    fields = {"quote": claim.text, "label": labels, "expr": expr,
              "rhs": "、".join(fmt_cell(c) for c in cells)}
    return [make_finding(rule, status, fields, cells, values=tuple(c.value for c in cells),
                         expression=expr, spans=[(claim.start, claim.end)],
                         unread=[] if failed else unread)]


def _op(op: str) -> str:
    return OPS.get(op, op)


def check_enumeration(rule: Rule, view: TableView, claims: list[Claim], **_: Any) -> list[Finding]:
    out = []
    for claim in claims:
        # parts counted in another unit ("其中民政局1件，收取380元") are not terms of the sum
        parts = [p for p in claim.parts if p.get("unit") in (None, claim.unit)]
        values = [p.get("value") for p in parts]
        if not parts or claim.value is None or any(v is None for v in values):
            continue
        total = sum(float(v) for v in values)
        if _agrees(total, float(claim.value), [float(v) for v in values]):
            continue
        expr = " + ".join(fmt_number(float(v)) for v in values) + f" = {fmt_number(claim.value)} ✗"
        fields = {"quote": claim.text, "lhs": fmt_number(total), "rhs": fmt_number(claim.value),
                  "expr": expr}
        spans = [(claim.start, claim.end)] + [(p["start"], p["end"]) for p in parts
                                              if p.get("start") is not None and p.get("end") is not None]
        out.append(make_finding(rule, violated_status(rule), fields, values=(total, claim.value),
                                expression=expr, spans=spans))
    return out


def _agrees(total: float, stated: float, parts: list[float]) -> bool:
    """Equal within half a printed unit of each decimal part."""
    places = max(decimals(fmt_number(x)) for x in [stated, *parts])
    tol = 0.5 * 10 ** -places * len(parts) if places else 0.0
    return abs(total - stated) <= tol


def check_rate(rule: Rule, view: TableView, claims: list[Claim], **_: Any) -> list[Finding]:
    """Shares recomputed from the table; the prose figure the share belongs to is a second
    numerator reading ("258件，占33.9%": 275/805 or 258/805).  A base that is blank or was
    not read leaves the share untested."""
    out = []
    for claim, numer, base, figure in _rate_inputs(view, claims):
        num, den = view.metric(numer), view.metric(base)
        if not num or not den or not den[0].known or den[0].interval.lo <= 0:
            continue
        d = den[0].interval.lo
        readings = [Interval(num[0].interval.lo * 100 / d, num[0].interval.hi * 100 / d)]
        if figure is not None and figure.value is not None:
            readings.append(Interval(figure.value * 100 / d, figure.value * 100 / d))
        tol = float(view.rs.settings.get("rate_tolerance", 0.1)) + 0.5 * 10 ** -decimals(fmt_number(claim.value))
        stated = Interval(claim.value, claim.value)
        if any(compare("eq", stated, r, tol) != "fail" for r in readings):
            continue  # a reading holds, or the blanks leave it open
        shown = " / ".join(fmt_interval(Interval(round(r.lo, 1), round(r.hi, 1))) + "%" for r in readings)
        expr = f"{fmt_number(claim.value)}% = ({num[0].text()}) / {den[0].text()} = {shown} ✗"
        fields = {"quote": claim.text, "rhs": shown, "expr": expr}
        cells = [c for c, _ in den[0].items + num[0].items]
        spans = [(claim.start, claim.end)] + ([(figure.start, figure.end)] if figure else [])
        out.append(make_finding(rule, violated_status(rule), fields, cells,
                                values=(claim.value, *(r.lo for r in readings)),
                                expression=expr, spans=spans, reading=f"{numer} / {base}",
                                unread=num[0].unread))
    return out


def _rate_inputs(view: TableView, claims: list[Claim]) -> list[tuple[Claim, str, str, Claim | None]]:
    """(rate claim, numerator metric, base metric, the figure it qualifies) for each share."""
    out, last = [], None
    gap = int(view.rs.settings.get("rate_link_chars", 3))
    for claim in sorted(claims, key=lambda c: c.start):
        if claim.kind == "rate" and claim.value is not None:
            if claim.metric and claim.base:
                out.append((claim, claim.metric, claim.base, None))
            elif last is not None and 0 <= claim.start - last.end <= gap and last.metric:
                base = _rate_base(last.metric, view.rs)
                if base:
                    out.append((claim, last.metric, base, last))
        elif claim.kind == "figure":
            last = claim
    return out


def _rate_base(metric: str, rs: RuleSet) -> str | None:
    first = metric.split("+")[0].strip()
    for entry in rs.settings.get("rate_bases") or []:
        if any(first.startswith(p) for p in entry.get("prefixes", ())):
            return entry["base"]
    return None
