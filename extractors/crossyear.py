"""Cross-year checks: this year's report of a body against last year's.

Inputs are the JSON dicts of the ``gongkai check`` contract (report/table/claims/
commitments), so stored results can be compared without re-parsing.  The identities
(上年结转 = last year's 结转下年度, 现行有效 roll-forward, 历年累计 roll-forward) are rules
in config/rules.yaml interpreted with the same interval semantics as extractors/crosscheck.py;
prose change claims and last year's commitments are tested against the two tables; and
near-duplicate reports are found by k-token shingle Jaccard similarity (hand-written: a
set intersection is all it takes, and the threshold is data).
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
from functools import lru_cache
from typing import Any

import numpy as np

from extractors.crosscheck import (Side, TableView, _OpenChecks, cell_dict, make_finding,
                                   short_label, violated_status)
from extractors.expr import (cell_interval, cell_known, compare, decimals, fmt_cell,
                             fmt_interval, fmt_number)
from extractors.models import Cell, Finding, Table
from extractors.rules import Rule, RuleSet, Term, load_rules

_CELL_FIELDS = {f.name for f in dataclasses.fields(Cell)}
_TOKEN = re.compile(r"[\u3400-\u9fff]|[A-Za-z]+|\d+(?:\.\d+)?")


# ---------------------------------------------------------------- inputs

def table_from_dict(report: dict) -> Table:
    """The Table of one ``gongkai check`` JSON object."""
    template = (report.get("report") or {}).get("template") or report.get("template") or "unknown"
    cells = []
    for d in (report.get("table") or {}).get("cells") or []:
        kw = {k: v for k, v in d.items() if k in _CELL_FIELDS}
        kw.setdefault("label", d.get("key", ""))
        kw.setdefault("raw", "" if d.get("value") is None else str(d.get("value")))
        kw.setdefault("precision", decimals(kw["raw"]))
        cells.append(Cell(**kw))
    flags = tuple((report.get("table") or {}).get("flags") or ())
    return Table(template=str(template), cells=tuple(cells), flags=flags)


def _year(report: dict) -> int | None:
    y = (report.get("report") or {}).get("year")
    return int(y) if y not in (None, "") else None


def consecutive(prev: dict, cur: dict) -> bool:
    """True unless both years are known and not N-1, N."""
    a, b = _year(prev), _year(cur)
    return a is None or b is None or b == a + 1


# ---------------------------------------------------------------- table roll-forwards

class _Pair:
    def __init__(self, prev: dict, cur: dict, rs: RuleSet) -> None:
        self.prev_raw, self.cur_raw, self.rs = prev, cur, rs
        self.prev = TableView(table_from_dict(prev), rs)
        self.cur = TableView(table_from_dict(cur), rs)

    def applies(self, rule: Rule) -> bool:
        return (self.cur.table.template in rule.templates
                and self.prev.table.template in rule.templates)

    def side(self, terms: tuple[Term, ...], row: str | None, col: str | None) -> Side:
        """Terms resolved in this year's table, or last year's for "prev:" references,
        each view naming the cells it should print but did not read (a cell not read is
        unknown, never 0, as in the same-year checks)."""
        side = Side()
        for t in terms:  # one at a time, so the expression keeps the written order
            if (t.ref or "").startswith("prev:"):
                side.extend(self.prev.side((dataclasses.replace(t, ref=t.ref[5:]),), row, col))
            else:
                side.extend(self.cur.side((t,), row, col))
        return side


def _finding(rule: Rule, status: str, fields: dict, cur_cells: list[Cell],
             prev_cells: list[Cell], values=(), expression: str | None = None) -> Finding:
    """A finding whose cells say which year's table they come from; spans are this year's."""
    spans = [(c.start, c.end) for c in cur_cells if c.start is not None and c.end is not None]
    f = make_finding(rule, status, fields, (), values=values, expression=expression, spans=spans)
    cells = ([{**cell_dict(c), "year": "cur"} for c in cur_cells]
             + [{**cell_dict(c), "year": "prev"} for c in prev_cells])
    return dataclasses.replace(f, cells=tuple(cells))


def _prev_terms(terms: tuple[Term, ...]) -> tuple[Term, ...]:
    return tuple(Term(ref="prev:" + (t.ref or "").removeprefix("prev:"), weight=t.weight)
                 for t in terms)


def check_carried(rule: Rule, pair: _Pair) -> list[Finding]:
    out, open_checks = [], _OpenChecks(rule)
    for _, col in pair.cur.bindings(rule):
        cur = pair.side(rule.terms["cell"], None, col)
        prev = pair.side(_prev_terms(rule.terms["prev"]), None, col)
        out += _compare_years(rule, pair, cur, prev, None, col, open_checks)
    return out + open_checks.finding()


def check_rollforward(rule: Rule, pair: _Pair) -> list[Finding]:
    """cell(N) = prev(N−1) + terms; every term must be printed (else the row is skipped)."""
    out, open_checks = [], _OpenChecks(rule)
    rhs_terms = _prev_terms(rule.terms["prev"]) + rule.terms["terms"]
    for row, col in pair.cur.bindings(rule):
        cur = pair.side(rule.terms["cell"], row, col)
        rhs = pair.side(rhs_terms, row, col)
        if len(rhs.items) + len(rhs.unread) == len(rhs_terms):
            out += _compare_years(rule, pair, cur, rhs, row, col, open_checks)
    return out + open_checks.finding()


def _compare_years(rule: Rule, pair: _Pair, cur: Side, rhs: Side, row: str | None,
                   col: str | None, open_checks: _OpenChecks) -> list[Finding]:
    if cur.empty or rhs.empty or not (cur.known_any or rhs.known_any):
        return []
    status = compare("eq", cur.interval, rhs.interval)
    if status == "pass":
        return []
    expr = f"{cur.text()} = {rhs.text()}"
    first = (cur.items or rhs.items)[0][0]
    fields = {"expr": expr, "lhs": fmt_interval(cur.interval), "rhs": fmt_interval(rhs.interval),
              "label": short_label(first.label), "row": row or first.key, "col": col or "",
              "col_name": pair.rs.column_names.get(col or "", col or "")}
    prev_ids = {id(c) for c in pair.prev.table.cells}
    cells = [c for c, _ in cur.items + rhs.items]
    cur_cells = [c for c in cells if id(c) not in prev_ids]
    prev_cells = [c for c in cells if id(c) in prev_ids]
    if status == "not_assessable":
        open_checks.add(expr, cells, fields, cur.unread + rhs.unread)
        return []
    return [_finding(rule, violated_status(rule), fields, cur_cells, prev_cells,
                     values=(cur.interval.lo, rhs.interval.lo), expression=expr + " ✗")]


def check_cumulative(rule: Rule, pair: _Pair) -> list[Finding]:
    """历年累计(N) = 历年累计(N−1) + 本年度(N), every row printing both; one finding lists
    every row that breaks it."""
    broken, open_checks = [], _OpenChecks(rule)
    for key in sorted(pair.cur.keys):
        cum, val = pair.cur.index.get((key, "cumulative")), pair.cur.index.get((key, "value"))
        before = pair.prev.index.get((key, "cumulative"))
        if cum is None or val is None or before is None:
            continue
        if not any(cell_known(c) for c in (cum, val, before)):
            continue
        rhs = cell_interval(before) + cell_interval(val)
        status = compare("eq", cell_interval(cum), rhs)
        expr = f"{fmt_cell(cum)} = {fmt_cell(before)} + {fmt_cell(val)}"
        fields = {"expr": expr, "label": short_label(cum.label), "row": key,
                  "lhs": fmt_cell(cum), "rhs": fmt_interval(rhs)}
        if status == "fail":
            broken.append((cum, val, before, expr, fields))
        elif status == "not_assessable":
            open_checks.add(expr, [cum, before, val], fields)
    out = []
    if broken:
        expr = "; ".join(b[3] for b in broken) + " ✗"
        fields = {**broken[0][4], "expr": expr,
                  "label": "、".join(short_label(b[0].label) for b in broken)}
        out.append(_finding(rule, violated_status(rule), fields,
                            [c for b in broken for c in (b[0], b[1])], [b[2] for b in broken],
                            values=tuple(b[0].value for b in broken), expression=expr))
    return out + open_checks.finding()


# ---------------------------------------------------------------- prose and commitments

def _value(view: TableView, metric: str) -> tuple[float, list[Cell]] | None:
    got = view.metric(metric)
    if got is None or not got[0].known or not got[0].items:
        return None
    return got[0].interval.lo, [c for c, _ in got[0].items]


def check_change(rule: Rule, pair: _Pair) -> list[Finding]:
    out = []
    for claim in pair.cur_raw.get("claims") or []:
        if claim.get("kind") != "change" or not claim.get("metric") or claim.get("value") is None:
            continue
        now, before = _value(pair.cur, claim["metric"]), _value(pair.prev, claim["metric"])
        if now is None or before is None:
            continue
        out += _change_finding(rule, pair, claim, now, before)
    return out


def _change_finding(rule: Rule, pair: _Pair, claim: dict, now, before) -> list[Finding]:
    stated = float(claim["value"])
    if claim.get("direction") == "down" and stated > 0:
        stated = -stated
    pct = claim.get("unit") == "%"
    if pct and before[0] == 0:
        return []
    actual = (now[0] - before[0]) / before[0] * 100 if pct else now[0] - before[0]
    tol = 0.5 * 10 ** -decimals(fmt_number(abs(stated))) + (
        float(pair.rs.settings.get("rate_tolerance", 0.1)) if pct else 0)
    if abs(actual - stated) <= tol:
        return []
    unit = "%" if pct else ""
    expr = (f"{fmt_number(stated)}{unit} = ({fmt_number(now[0])} − {fmt_number(before[0])})"
            + (f" / {fmt_number(before[0])}" if pct else "") + f" = {actual:.1f}{unit} ✗")
    fields = {"quote": claim.get("text", ""), "rhs": f"{actual:.1f}{unit}", "expr": expr,
              "row": claim["metric"]}
    f = _finding(rule, violated_status(rule), fields, now[1], before[1],
                 values=(stated, actual), expression=expr)
    return [dataclasses.replace(f, spans=((claim["start"], claim["end"]),))]


def check_commitment(rule: Rule, pair: _Pair) -> list[Finding]:
    out = []
    for c in pair.prev_raw.get("commitments") or []:
        direction, metric = c.get("direction"), c.get("metric")
        if direction not in ("up", "down") or not metric:
            continue
        now, before = _value(pair.cur, metric), _value(pair.prev, metric)
        if now is None or before is None:
            continue
        moved = now[0] > before[0] if direction == "up" else now[0] < before[0]
        if moved:
            continue
        expr = f"{fmt_number(before[0])} → {fmt_number(now[0])} ({'↑' if direction == 'up' else '↓'} ✗)"
        fields = {"quote": c.get("text", ""), "label": "、".join(short_label(x.label) for x in now[1]),
                  "row": metric, "lhs": fmt_number(before[0]), "rhs": fmt_number(now[0]), "expr": expr}
        f = _finding(rule, violated_status(rule), fields, now[1], before[1],
                     values=(before[0], now[0]), expression=expr)
        out.append(dataclasses.replace(f, spans=(), extra={
            **f.extra, "prev_spans": [(c.get("start"), c.get("end"))]}))
    return out


# ---------------------------------------------------------------- near-duplicates

def tokens(text: str) -> list[str]:
    """Han characters one by one, Latin words and numbers whole (no segmenter needed)."""
    return _TOKEN.findall(text or "")


# Shingles are compared as 64-bit fingerprints (a polynomial over token ids: a character
# token's code point, a longer token's 63-bit BLAKE2b), sorted in numpy arrays: a set of
# tuples costs ~10x more to build and to intersect.  The fingerprints are the same in
# every process, so storage keeps a report's beside its text and a candidate compared
# with newcomers is not tokenized again (FINGERPRINTS names the scheme: a change to it
# or to ``tokens`` must change the name, and stored arrays of another name are ignored).
# Two of a text's few thousand shingles share one with probability ~1e-12, which cannot
# move a similarity printed to four places.
FINGERPRINTS = "shingles.v1"
FINGERPRINT_K = 5
_MIX = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=1 << 16)
def _token_id(token: str) -> int:
    if len(token) == 1:
        return ord(token)
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") | (1 << 63)  # never a code point


def _fingerprints(toks: list[str], k: int) -> np.ndarray:
    """The sorted distinct fingerprints of the runs of ``k`` tokens (one run of all of
    them when there are fewer)."""
    if not toks:
        return np.empty(0, dtype=np.uint64)
    h = np.fromiter(map(_token_id, toks), dtype=np.uint64, count=len(toks))
    width = min(k, len(toks))
    n = len(toks) - width + 1
    acc = h[:n].copy()
    for i in range(1, width):
        acc = acc * _MIX + h[i:i + n]
    return np.unique(acc * _MIX + np.uint64(width))


def fingerprint_bytes(text: str) -> bytes:
    """What storage keeps of a text for the near-duplicate checks (scheme FINGERPRINTS)."""
    return text_shingles(text, FINGERPRINT_K).astype("<u8").tobytes()


def fingerprints_from(data: bytes) -> np.ndarray:
    """Stored fingerprints as a (read-only) array, without a copy."""
    return np.frombuffer(data, dtype=np.dtype("<u8"))


@lru_cache(maxsize=512)
def text_shingles(text: str, k: int = 5) -> np.ndarray:
    """The k-token shingle fingerprints of ``text``, remembered for the last few hundred
    texts: a report's near-duplicate checks compare its text with each candidate, both
    ways round, and the reports of one year share most of their candidates."""
    return _fingerprints(tokens(text), k)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two shingle fingerprint arrays (sorted, distinct)."""
    if not a.size or not b.size:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)


def shingle_similarity(text_a_tokens: list[str], text_b_tokens: list[str], k: int = 5) -> float:
    """Jaccard similarity of the k-token shingle sets.

    >>> shingle_similarity(list("abcdefg"), list("abcdefg"))
    1.0
    >>> shingle_similarity(list("abcdefg"), list("uvwxyz"))
    0.0
    """
    return jaccard(_fingerprints(list(text_a_tokens), k), _fingerprints(list(text_b_tokens), k))


def _shingles_of(report: dict, k: int) -> np.ndarray | None:
    if report.get("shingles") is not None and k == FINGERPRINT_K:  # stored with the text
        return report["shingles"]
    if report.get("tokens"):
        return _fingerprints(list(report["tokens"]), k)
    return text_shingles(report["text"], k) if report.get("text") else None


def check_similarity(rule: Rule, pair: _Pair) -> list[Finding]:
    k = int(pair.rs.settings.get("similarity_k", 5))
    a, b = _shingles_of(pair.prev_raw, k), _shingles_of(pair.cur_raw, k)
    if a is None or b is None or not a.size or not b.size:
        return []
    sim = jaccard(a, b)
    if sim < float(pair.rs.settings.get("similarity_warn", 0.85)):
        return []
    expr = f"Jaccard({k}-shingles) = {sim:.2f}"
    other = pair.prev_raw.get("source") or (pair.prev_raw.get("report") or {}).get("title") or ""
    return [make_finding(rule, "warn", {"lhs": f"{sim:.2f}", "expr": expr, "title": other}, values=(sim,),
                         expression=expr, spans=[],
                         extra={"other": pair.prev_raw.get("source"), "similarity": round(sim, 4)})]


def _section_text(report: dict, kind: str) -> tuple[str, str] | None:
    """(title, text) of the report's sections of one kind, from its "sections" list
    (Sections.to_dict() or a plain list of {title, kind, start, end}) and its "text"."""
    secs = report.get("sections") or []
    secs = secs.get("sections", []) if isinstance(secs, dict) else secs
    text = report.get("text") or ""
    parts = [s for s in secs if s.get("kind") == kind and s.get("end") is not None]
    if not parts or not text:
        return None
    return parts[0].get("title") or kind, "".join(text[s["start"]:s["end"]] for s in parts)


def check_section_copy(rule: Rule, pair: _Pair) -> list[Finding]:
    out = []
    k = int(pair.rs.settings.get("similarity_k", 5))
    for kind in rule.params["section_kinds"]:
        a, b = _section_text(pair.prev_raw, kind), _section_text(pair.cur_raw, kind)
        if a is None or b is None:
            continue
        sim = jaccard(text_shingles(a[1], k), text_shingles(b[1], k))
        if sim < float(rule.params["threshold"]):
            continue
        expr = f"Jaccard({k}-shingles) = {sim:.2f}"
        other = pair.prev_raw.get("source") or ""
        out.append(make_finding(rule, "warn", {"title": b[0], "label": other, "expr": expr},
                                values=(sim,), expression=expr, spans=[],
                                extra={"other": other, "section_kind": kind, "similarity": round(sim, 4)}))
    return out


# ---------------------------------------------------------------- entry points

HANDLERS = {"carried_over": check_carried, "rollforward": check_rollforward,
            "cumulative": check_cumulative, "change_claim": check_change,
            "commitment": check_commitment}


def cross_year(prev: dict, cur: dict, rules: RuleSet | None = None) -> list[Finding]:
    """Findings for ``cur`` given the same body's report of the year before (``prev``);
    the similarity check also runs for two bodies' reports of the same year."""
    rs = rules or load_rules()
    pair = _Pair(prev, cur, rs)
    out = _similarity(pair, rs)
    for rule in rs.rules:
        if rule.kind in HANDLERS and consecutive(prev, cur) and _applies(rule, pair):
            out += HANDLERS[rule.kind](rule, pair)
    return out


def similarity_findings(a: dict, b: dict, rules: RuleSet | None = None) -> list[Finding]:
    """Only the near-duplicate checks, for two reports of any bodies and years (the pair
    came from the LSH candidates of ``extractors.dedup``); findings describe ``b``."""
    rs = rules or load_rules()
    return _similarity(_Pair(a, b, rs), rs)


def _similarity(pair: _Pair, rs: RuleSet) -> list[Finding]:
    """Whole-text near-duplicates; copied sections only when the whole text is not one."""
    out: list[Finding] = []
    for rule in rs.rules:
        if rule.kind == "similarity":
            out += check_similarity(rule, pair)
    if not out:
        for rule in rs.rules:
            if rule.kind == "section_similarity":
                out += check_section_copy(rule, pair)
    return out


def _applies(rule: Rule, pair: _Pair) -> bool:
    if rule.kind in ("change_claim", "commitment"):
        return True
    return pair.applies(rule)


def body_key(name: str, rules: RuleSet | None = None) -> str:
    """A body name reduced for the (body, year) key, per ``settings.body_name``.

    >>> body_key("平潭综合实验区（发布机构：平潭综合实验区管委会办公室）")
    '平潭综合实验区'
    >>> body_key("平潭综合实验区管委会")
    '平潭综合实验区'
    >>> body_key("平潭县人民政府2012年度")
    '平潭县'
    >>> body_key("淮安市洪泽区人民政府") == body_key("洪泽区人民政府") == "洪泽区"
    True
    >>> body_key("淮安市人民政府")
    '淮安市'
    """
    cfg: dict[str, Any] = (rules or load_rules()).settings.get("body_name") or {}
    s = re.sub(r"\s+", "", name or "")
    for old, new in (cfg.get("replace") or {}).items():
        s = s.replace(old, new)
    s = _strip_brackets(s, cfg.get("strip_brackets") or [])
    if cfg.get("strip_outer_place"):
        s = re.sub(cfg["strip_outer_place"], "", s)
    if cfg.get("strip_prefix_years", True):
        s = re.sub(r"^\d{4}年度?", "", s)
        s = re.sub(r"\d{4}年度?", "", s)
    changed = True
    while changed:
        changed = False
        for suffix in cfg.get("strip_suffixes") or []:
            if s.endswith(suffix) and len(s) > len(suffix):
                s, changed = s[: -len(suffix)], True
    return s


def _strip_brackets(s: str, marks: list[str]) -> str:
    pairs = [(marks[i], marks[i + 1]) for i in range(0, len(marks) - 1, 2)]
    for _ in range(3):  # nested notes
        for a, b in pairs:
            s = re.sub(re.escape(a) + r"[^" + re.escape(a + b) + r"]*" + re.escape(b), "", s)
    return s

