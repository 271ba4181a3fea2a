"""Cross-check one report: the table against its own identities, the prose against the
table, and the report's structure against what it announces and what its template needs.

All identities live in config/rules.yaml; this package of modules is the one interpreter.
It is hand-written because the semantics are the point: blank, slash, 无 and text cells are
unknown (never zero, see extractors/expr.py); a cell the table lacks is either *unread*
(printed but not read by the parser: an unknown count too, named in the finding) or *not
in this template variant* (dropped), as extractors/crosscheck_view.py decides; a rule none
of whose cells exist yields nothing, a pass yields nothing, a check that blanks or unread
cells leave open is ``not_assessable`` (one finding per rule, listing every open instance
and every unread cell), and every finding carries the numbers, the cells with their
offsets and the rule id@version.

The modules, along their seams:

* extractors/crosscheck_view.py — the table view, sides, and the absence semantics;
* extractors/crosscheck_findings.py — building findings and their messages;
* extractors/crosscheck_table.py — table identities (sum, balance, le, nonzero_implies);
* extractors/crosscheck_prose.py — prose against the table;
* extractors/crosscheck_structure.py — table smells and the report's structure;
* extractors/timeliness.py — the publication date against its legal deadline;
* this module — the entry point :func:`cross_check` and the suppression of findings a
  broader one explains.  Its names are re-exported so that
  ``from extractors.crosscheck import cross_check, TableView, make_finding, ...`` works.
"""
from __future__ import annotations

from extractors.crosscheck_findings import (OpenChecks, _OpenChecks, cell_dict, label_of,
                                            make_finding, mid, short_label, tolerance,
                                            violated_status)
from extractors.crosscheck_prose import (check_enumeration, check_figure, check_rate,
                                         check_statement, claim_interval)
from extractors.crosscheck_structure import (check_all_zero, check_announced, check_mandatory,
                                             check_placeholder, check_table_flag, section_kind)
from extractors.crosscheck_table import check_nonzero, check_relation
from extractors.crosscheck_view import Absence, Side, TableView, applies
from extractors.models import Claim, Finding, ReportMeta, Sections, Table
from extractors.rules import Rule, RuleSet, load_rules
from extractors.timeliness import check_timeliness

__all__ = ["cross_check", "suppress", "HANDLERS", "Absence", "Side", "TableView", "OpenChecks",
           "_OpenChecks", "cell_dict", "make_finding", "short_label", "label_of",
           "violated_status", "claim_interval", "section_kind", "mid", "tolerance", "applies"]

HANDLERS = {
    "sum": check_relation, "balance": check_relation, "le": check_relation,
    "nonzero_implies": check_nonzero, "placeholder": check_placeholder,
    "all_zero": check_all_zero, "table_flag": check_table_flag,
    "announced_sections": check_announced, "mandatory_sections": check_mandatory,
    "claim_figure": check_figure, "claim_statement": check_statement,
    "claim_enumeration": check_enumeration, "claim_rate": check_rate,
    "timeliness": check_timeliness,
}


def cross_check(table: Table, claims: list[Claim], sections: Sections | None = None,
                text: str | None = None, rules: RuleSet | None = None,
                meta: ReportMeta | None = None, source: str | None = None) -> list[Finding]:
    """Every finding for one report (passes produce none).  ``text`` is the report's
    normalized text: in a pre-2019 table, a row whose label is printed on a line the
    parser read no cell from counts as unread rather than absent from the variant.
    ``meta`` and ``source`` (the report's metadata and source URL) feed the rules on the
    report as a publication (TIME.DEADLINE); without them those rules yield nothing."""
    rs = rules or load_rules()
    view = TableView(table, rs, text=text)
    findings: list[Finding] = []
    for rule in rs.rules:
        handler = HANDLERS.get(rule.kind)
        if handler is None or not _applies_loosely(rule, table):
            continue
        findings += handler(rule, view, claims=list(claims or ()), sections=sections, text=text,
                            meta=meta, source=source)
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
    return applies(rule, table) or (table.template not in ("pre2019", "2019trial", "2021")
                                    and "unknown" in rule.templates)
