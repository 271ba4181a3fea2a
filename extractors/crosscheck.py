"""Cross-check one report: the table against its own identities, the prose against the
table, and the report's structure against what it announces and what its template needs.

All identities live in config/rules.yaml; this module is the one interpreter.  It is
hand-written because the semantics are the point: blank, slash, 无 and text cells are
unknown (never zero, see extractors/expr.py), a rule none of whose cells exist in this
template variant yields nothing, a pass yields nothing, a check that blanks leave open is
``not_assessable`` (one finding per rule, listing every open instance), and every finding
carries the numbers, the cells with their offsets and the rule id@version.
"""
from __future__ import annotations

import math
import re
import statistics
import string
from dataclasses import dataclass, field
from typing import Any, Iterable

from extractors.expr import (INF, OPS, SYMBOL, Interval, cell_interval, cell_known, compare,
                             decimals, fmt_cell, fmt_interval, fmt_number, split_ref)
from extractors.models import Cell, Claim, Finding, Sections, Table
from extractors.rules import Rule, RuleSet, Term, load_rules

_COMPARE_OP = {"sum": "eq", "balance": "eq", "le": "le"}


# ---------------------------------------------------------------- table view

@dataclass
class Side:
    """One side of a relation: the present cells with weights and their interval."""

    items: list[tuple[Cell, float]] = field(default_factory=list)
    interval: Interval = Interval(0, 0)

    @property
    def known(self) -> bool:
        return all(cell_known(c) for c, _ in self.items)

    @property
    def known_any(self) -> bool:
        return any(cell_known(c) for c, _ in self.items)

    def text(self) -> str:
        """"70 + 0", or for long sums the non-zero terms, blanks counted, and the total."""
        items = self.items
        if len(items) > 4:
            blanks = [x for x in items if not cell_known(x[0])]
            items = [x for x in items if cell_known(x[0]) and x[0].value] or items[:1]
        else:
            blanks = []
        out = ""
        for i, (c, w) in enumerate(items):
            sign = (" − " if w < 0 else " + ") if i else ("−" if w < 0 else "")
            factor = "" if abs(w) == 1 else f"{fmt_number(abs(w))}×"
            out += sign + factor + fmt_cell(c)
        if blanks:
            out += f" + 空×{len(blanks)}"
        if len(self.items) > 2:
            out += f" ({fmt_interval(self.interval)})"
        return out


class TableView:
    """Cells indexed by (key, column), with the rule-set's reference conventions."""

    def __init__(self, table: Table, rs: RuleSet) -> None:
        self.table, self.rs = table, rs
        self.index: dict[tuple[str, str], Cell] = {}
        for c in table.cells:
            self.index.setdefault((c.key, c.column), c)
        self.keys = {k for k, _ in self.index}
        self._derivations: dict[tuple[str, str], list] | None = None

    def cell(self, key: str, column: str | None) -> Cell | None:
        """The cell at (key, column); a bare key takes the catalogue's default column, or
        the only column its row has (t2.licensing -> decisions)."""
        column = column or self.rs.default_column(key)
        if column:
            return self.index.get((key, column))
        cols = [c for k, c in self.index if k == key]
        return self.index[(key, cols[0])] if len(cols) == 1 else None

    def resolve(self, ref: str, row: str | None, col: str | None) -> tuple[str, str | None]:
        ref = ref.replace("{row}", row or "").replace("{col}", col or "")
        key, column = split_ref(ref)
        return key, column or col

    def bindings(self, rule: Rule) -> list[tuple[str | None, str | None]]:
        rows: Iterable[str | None] = [None]
        if rule.per_row == "*":
            rows = sorted(self.keys)
        elif rule.per_row:
            rows = rule.per_row
        cols = list(rule.per_column) if rule.per_column else [None]
        return [(r, c) for r in rows for c in cols]

    def side(self, terms: tuple[Term, ...], row: str | None, col: str | None,
             rounded: bool = False) -> Side:
        side = Side()
        for term in terms:
            for ref, w in self._choose(term, row, col):
                cell = self.cell(*self.resolve(ref, row, col))
                if cell is not None:
                    side.items.append((cell, w))
                    side.interval = side.interval + cell_interval(cell, rounded).scale(w)
        return side

    def _choose(self, term: Term, row: str | None, col: str | None) -> list[tuple[str, float]]:
        if term.ref is not None:
            return [(term.ref, term.weight)]
        for alt in term.one_of:
            refs = [(t.ref, t.weight) for t in alt if t.ref is not None]
            if any(self.cell(*self.resolve(r, row, col)) is not None for r, _ in refs):
                return refs
        return []

    # -- metric references used by claims ("key", "key@col", "a+b", group names)
    def metric(self, expr: str) -> tuple[Side, list[str]] | None:
        """The cells a metric expression names (None if none is in the table), plus the
        derivations used for blank or absent cells."""
        total, derived, found = Side(), [], False
        for sign, part in re.findall(r"([+-]?)\s*([^+-]+)", expr):  # "a+b", "a-b"
            got = self._metric_part(part.strip())
            if got is None:
                return None
            side, how = got
            w = -1.0 if sign == "-" else 1.0
            found = True
            total.items += [(c, cw * w) for c, cw in side.items]
            total.interval = total.interval + side.interval.scale(w)
            derived += how
        return (total, derived) if found else None

    def _metric_part(self, part: str) -> tuple[Side, list[str]] | None:
        key, column = split_ref(part)
        if key in self.rs.groups:
            side = self.side(self.rs.groups[key], None, column or self.rs.default_column(key + "."))
            return (side, []) if side.items else None
        cell = self.cell(key, column)
        if cell is not None and cell_known(cell):
            return Side([(cell, 1.0)], cell_interval(cell)), []
        derived = self._derive(key, column or self.rs.default_column(key))
        if derived is not None:
            return derived
        return (Side([(cell, 1.0)], cell_interval(cell)), []) if cell is not None else None

    def _derive(self, key: str, column: str | None) -> tuple[Side, list[str]] | None:
        for rule, row, col in self.derivations().get((key, column or ""), []):
            side = self.side(rule.terms["terms"], row, col)
            if side.items and any(cell_known(c) for c, _ in side.items):
                return side, [f"{key}@{column} derived by {rule.ref}"]
        return None

    def derivations(self) -> dict[tuple[str, str], list]:
        if self._derivations is None:
            self._derivations = {}
            for rule in self.rs.of_kind("sum"):
                if not rule.params.get("derivable") or not _applies(rule, self.table):
                    continue
                for row, col in self.bindings(rule):
                    target = self.resolve(rule.terms["cell"][0].ref or "", row, col)
                    self._derivations.setdefault((target[0], target[1] or ""), []).append(
                        (rule, row, col))
        return self._derivations


def _applies(rule: Rule, table: Table) -> bool:
    return table.template in rule.templates


# ---------------------------------------------------------------- findings

class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def cell_dict(c: Cell) -> dict:
    return {"key": c.key, "column": c.column, "label": c.label, "value": c.value,
            "raw": c.raw, "state": c.state, "start": c.start, "end": c.end}


def make_finding(rule: Rule, status: str, fields: dict, cells: Iterable[Cell] = (),
                 values: Iterable[float | None] = (), expression: str | None = None,
                 spans: Iterable[tuple[int, int]] | None = None, reading: str | None = None,
                 extra: dict | None = None) -> Finding:
    cells = list(dict.fromkeys(cells))
    if fields.get("quote"):
        fields = {**fields, "quote": re.sub(r"\s*\n\s*", "", fields["quote"])}  # wrapped PDF lines
    fmt = string.Formatter()
    msg = fmt.vformat(rule.message, (), _Blank(fields))
    msg_en = fmt.vformat(rule.message_en, (), _Blank(fields))
    if status == "not_assessable":
        msg, msg_en = "无法核验（相关单元格空白）：" + msg, "Not assessable (blank cells): " + msg_en
    if spans is None:
        spans = [(c.start, c.end) for c in cells if c.start is not None and c.end is not None]
    return Finding(code=rule.id, status=status, severity=rule.severity, message=msg,
                   message_en=msg_en, cells=tuple(cell_dict(c) for c in cells),
                   values=tuple(values), expression=expression, spans=tuple(spans),
                   rule=rule.ref, reading=reading, extra=extra or {})


def violated_status(rule: Rule) -> str:
    return "fail" if rule.strength == "hard" else "warn"


_NOTE = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")
_NUMBERING = re.compile(r"^(?:其中[:：]?\s*|[一二三四五六七八九十]+[、.．]\s*|\d{1,2}[、.．](?!\d)\s*)+")


def short_label(label: str) -> str:
    """A printed label without numbering and trailing note.

    >>> short_label("1、专职人员数 (不包括政府公报及政府网站工作人员数)")
    '专职人员数'
    >>> short_label("其中：1、网站公开")
    '网站公开'
    """
    return _NUMBERING.sub("", _NOTE.sub("", label)) or label


def label_of(c: Cell, rs: RuleSet, with_column: bool = False) -> str:
    if with_column and c.column not in ("value", "total"):
        return f"{short_label(c.label)}（{rs.column_names.get(c.column, c.column)}）"
    return short_label(c.label)


def _tolerance(rule: Rule) -> tuple[bool, float]:
    tol = rule.params.get("tolerance", "printed_precision")
    if isinstance(tol, (int, float)):
        return False, float(tol)
    return tol == "rounded", 0.0


class _OpenChecks:
    """Collects the not-assessable instances of one rule into one finding."""

    def __init__(self, rule: Rule) -> None:
        self.rule, self.exprs, self.cells, self.fields = rule, [], [], None

    def add(self, expr: str, cells: list[Cell], fields: dict) -> None:
        self.exprs.append(expr)
        self.cells += [c for c in cells if not cell_known(c)]
        self.fields = self.fields or fields

    def finding(self) -> list[Finding]:
        if not self.exprs:
            return []
        shown = "; ".join(self.exprs[:3]) + (" …" if len(self.exprs) > 3 else "")
        return [make_finding(self.rule, "not_assessable", self.fields or {}, self.cells,
                             expression=shown, extra={"instances": len(self.exprs),
                                                      "expressions": self.exprs})]


# ---------------------------------------------------------------- table rules

def _relation_sides(rule: Rule) -> tuple[tuple[Term, ...], tuple[Term, ...]]:
    if rule.kind == "sum":
        return rule.terms["cell"], rule.terms["terms"]
    return rule.terms["lhs"], rule.terms["rhs"]


def _skipped(rule: Rule, view: TableView) -> bool:
    blockers = rule.terms.get("unless_present", ())
    return any(t.ref and split_ref(t.ref)[0] in view.keys for t in blockers)


def check_relation(rule: Rule, view: TableView, **_: Any) -> list[Finding]:
    """sum / balance / le rules, per row and per column."""
    if _skipped(rule, view):
        return []
    left_terms, right_terms = _relation_sides(rule)
    op = _COMPARE_OP[rule.kind]
    rounded, tol = _tolerance(rule)
    out, open_checks = [], _OpenChecks(rule)
    for row, col in view.bindings(rule):
        left = view.side(left_terms, row, col, rounded)
        right = view.side(right_terms, row, col, rounded)
        if not left.items or not right.items or not (left.known_any or right.known_any):
            continue  # a row/column not in this variant, or printed wholly blank
        status = compare(op, left.interval, right.interval, tol)
        if status == "pass":
            continue
        expr = f"{left.text()} {SYMBOL[op]} {right.text()}"
        cells = [c for c, _ in left.items + right.items]
        fields = _relation_fields(rule, view.rs, left, right, row, col, expr)
        if status == "not_assessable":
            open_checks.add(expr, cells, fields)
            continue
        out.append(make_finding(rule, violated_status(rule), fields, cells,
                                values=(_mid(left.interval), _mid(right.interval)),
                                expression=expr + " ✗"))
    return out + open_checks.finding()


def _mid(iv: Interval) -> float | None:
    """The number a side stands for: its value, or the printed lower bound when blanks
    leave it open above (the expression shows "≥")."""
    return (iv.lo + iv.hi) / 2 if math.isfinite(iv.hi) else iv.lo


def _relation_fields(rule: Rule, rs: RuleSet, left: Side, right: Side, row: str | None,
                     col: str | None, expr: str) -> dict:
    first = left.items[0][0]
    return {"expr": expr, "lhs": fmt_interval(left.interval), "rhs": fmt_interval(right.interval),
            "label": label_of(first, rs, with_column=True), "row": row or first.key,
            "col": col or first.column, "col_name": rs.column_names.get(col or "", col or "")}


def check_nonzero(rule: Rule, view: TableView, **_: Any) -> list[Finding]:
    out, open_checks = [], _OpenChecks(rule)
    for row, col in view.bindings(rule):
        target = view.side(rule.terms["then_nonzero"], row, col)
        parts = view.side(rule.terms["if_nonzero"], row, col)
        nonzero = [c for c, _ in parts.items if cell_known(c) and c.value]
        if not target.items or not nonzero:
            continue
        t = target.items[0][0]
        expr = f"{' + '.join(fmt_cell(c) for c in nonzero)} > 0 ⇒ {fmt_cell(t)} > 0"
        fields = {"expr": expr, "lhs": "、".join(f"{short_label(c.label)} {fmt_cell(c)}" for c in nonzero),
                  "rhs": fmt_cell(t), "label": short_label(t.label), "row": t.key, "col": t.column}
        if not cell_known(t):
            open_checks.add(expr, [t], fields)
        elif t.value == 0:
            out.append(make_finding(rule, violated_status(rule), fields, [t, *nonzero],
                                    values=(sum(c.value for c in nonzero), 0),
                                    expression=expr + " ✗"))
    return out + open_checks.finding()


def check_placeholder(rule: Rule, view: TableView, **_: Any) -> list[Finding]:
    suspects = {float(v) for v in rule.params["values"]}
    known = [c for c in view.table.cells if cell_known(c) and c.known]
    others = [float(c.value) for c in known if c.value and float(c.value) not in suspects]
    if not others:
        return []
    median = statistics.median(others)
    hits = [c for c in known
            if float(c.value) in suspects and float(c.value) >= rule.params["ratio"] * median]
    if not hits:
        return []
    shown = "、".join(f"{short_label(c.label)} {fmt_cell(c)}" for c in hits)
    expr = f"{', '.join(fmt_cell(c) for c in hits)} ≥ {rule.params['ratio']}×{fmt_number(median)}"
    fields = {"label": shown, "lhs": "", "rhs": fmt_number(median),
              "row": ", ".join(c.key for c in hits), "expr": expr}
    return [make_finding(rule, "warn", fields, hits, values=(*[c.value for c in hits], median),
                         expression=expr)]


def check_all_zero(rule: Rule, view: TableView, claims: list[Claim], **_: Any) -> list[Finding]:
    known = [c for c in view.table.cells if cell_known(c)]
    if len(known) < rule.params["min_cells"] or any(c.value for c in known):
        return []
    active = [cl for cl in claims if cl.kind == "figure" and cl.metric and (cl.value or 0) > 0]
    if not active:
        return []
    fields = {"quote": active[0].text, "expr": f"Σ表 = 0; {active[0].text}"}
    return [make_finding(rule, "warn", fields, values=(0, active[0].value),
                         expression=fields["expr"], spans=[(a.start, a.end) for a in active])]


def check_table_flag(rule: Rule, view: TableView, **_: Any) -> list[Finding]:
    if rule.params["flag"] not in view.table.flags:
        return []
    return [make_finding(rule, "warn", {}, spans=[], expression=rule.params["flag"])]


# ---------------------------------------------------------------- structure

def section_kind(title: str, rs: RuleSet) -> str | None:
    for kind, words in rs.section_kinds.items():
        if any(w in title for w in words):
            return kind
    return None


def _has_kind(kind: str, sections: Sections, rs: RuleSet) -> bool:
    return any(s.kind == kind or section_kind(s.title, rs) == kind for s in sections.sections)


def _mentioned_elsewhere(kind: str, text: str | None, sections: Sections, rs: RuleSet) -> bool:
    if not text:
        return False
    a, b = sections.announced_span or (0, 0)
    rest = text[:a] + text[b:]
    return any(w in rest for w in rs.section_kinds.get(kind, ()))


def check_announced(rule: Rule, view: TableView, sections: Sections | None = None,
                    text: str | None = None, **_: Any) -> list[Finding]:
    if sections is None or not sections.announced:
        return []
    out, seen = [], set()
    skip = set(rule.params.get("skip_kinds") or ())
    for title in sections.announced:
        kind = section_kind(title, view.rs)
        if kind is None or kind in skip or kind in seen:
            continue
        seen.add(kind)
        if _has_kind(kind, sections, view.rs) or _mentioned_elsewhere(kind, text, sections, view.rs):
            continue
        span = [sections.announced_span] if sections.announced_span else []
        out.append(make_finding(rule, "warn", {"title": title}, spans=span,
                                expression=f"announced: {title}; body: —",
                                extra={"section_kind": kind}))
    return out


def check_mandatory(rule: Rule, view: TableView, sections: Sections | None = None,
                    **_: Any) -> list[Finding]:
    if sections is None or not sections.sections:
        return []
    out = []
    for kind in rule.params["required"]:
        if not _has_kind(kind, sections, view.rs):
            title = (view.rs.section_kinds.get(kind) or (kind,))[0]
            out.append(make_finding(rule, "warn", {"title": title}, spans=[],
                                    expression=f"required: {kind}", extra={"section_kind": kind}))
    return out


# ---------------------------------------------------------------- prose vs table

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
    return [make_finding(rule, status, fields, [c for c, _ in side.items],
                         values=(claim.value, _mid(side.interval)), expression=expr,
                         spans=[(claim.start, claim.end)], reading=how)]


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
    failed, open_, cells = [], [], []
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
    if not failed and not open_:
        return []
    status = violated_status(rule) if failed else "not_assessable"
    expr = "; ".join(failed or open_) + (" ✗" if failed else "")
    labels = "、".join(dict.fromkeys(short_label(c.label) for c in cells)) if cells else ""
    fields = {"quote": claim.text, "label": labels, "expr": expr,
              "rhs": "、".join(fmt_cell(c) for c in cells)}
    return [make_finding(rule, status, fields, cells, values=tuple(c.value for c in cells),
                         expression=expr, spans=[(claim.start, claim.end)])]


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
    numerator reading ("258件，占33.9%": 275/805 or 258/805)."""
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
                                expression=expr, spans=spans, reading=f"{numer} / {base}"))
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


# ---------------------------------------------------------------- entry point

HANDLERS = {
    "sum": check_relation, "balance": check_relation, "le": check_relation,
    "nonzero_implies": check_nonzero, "placeholder": check_placeholder,
    "all_zero": check_all_zero, "table_flag": check_table_flag,
    "announced_sections": check_announced, "mandatory_sections": check_mandatory,
    "claim_figure": check_figure, "claim_statement": check_statement,
    "claim_enumeration": check_enumeration, "claim_rate": check_rate,
}


def cross_check(table: Table, claims: list[Claim], sections: Sections | None = None,
                text: str | None = None, rules: RuleSet | None = None) -> list[Finding]:
    """Every finding for one report (passes produce none)."""
    rs = rules or load_rules()
    view = TableView(table, rs)
    findings: list[Finding] = []
    for rule in rs.rules:
        handler = HANDLERS.get(rule.kind)
        if handler is None or not _applies_loosely(rule, table):
            continue
        findings += handler(rule, view, claims=list(claims or ()), sections=sections, text=text)
    return suppress(findings, rs)


def suppress(findings: list[Finding], rs: RuleSet) -> list[Finding]:
    """Drop findings a broader finding already explains (rule field ``suppresses``): e.g.
    every channel > 0 = total is implied once "channels non-zero, total 0" is reported."""
    drop: set[int] = set()
    for f in findings:
        rule = rs.get(f.code)
        targets = set(rule.params.get("suppresses") or ()) if rule else set()
        if not targets or f.status == "not_assessable":
            continue
        refs = {(c["key"], c["column"]) for c in f.cells}
        drop |= {id(g) for g in findings if g.code in targets
                 and refs & {(c["key"], c["column"]) for c in g.cells}}
    return [f for f in findings if id(f) not in drop]


def _applies_loosely(rule: Rule, table: Table) -> bool:
    """Structure and prose rules also run on tables whose template is unknown."""
    return table.template in rule.templates or (table.template not in ("pre2019", "2019trial", "2021")
                                                and "unknown" in rule.templates)

