"""A cell the parser did not read is not 0: every `fail` must be earned by the printed,
correctly placed numbers.

Unit cases of the "实为80 + 0 = 0" shape (a total row not read), and property tests over
every real report's parsed table: deleting any cell or row, relabelling a row as
``unknown:<label>``, or moving a row's numbers into ``unknown:<n>`` columns never creates a
`fail` the full table does not have, and in the fixed forms the finding names the cells
that went missing.
"""
from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

import pytest

from extractors.catalogue import normalize_label
from extractors.crosscheck import cross_check
from extractors.models import Finding, Table
from extractors.rules import load_rules
from tests.extractors.test_crosscheck import CONSISTENT, cell, make_table

RS = load_rules()
T3_COLS = RS.column_sets["t3_columns"]


def unread(findings: list[Finding]) -> set[str]:
    return {r for f in findings for r in f.extra.get("unread", ())}


def by_code(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def full_2021(**changes: str) -> dict[str, str]:
    """A consistent 2021 表三/表四 (every row and column printed), with changes."""
    cells = {k: str(v) for k, v in CONSISTENT.items()}
    cells.update(changes)
    return {k: v for k, v in cells.items() if v != "-"}


# --------------------------------------------------------------- the "80 + 0 = 0" shape

def test_total_row_not_read_is_not_assessable_and_named():
    """表三's 总计 row lost at a page break: 一 + 二 = 三 + 四 used to read "80 + 0 = 0"."""
    cells = full_2021(**{f"t3.total@{c}": "-" for c in T3_COLS})
    found = cross_check(make_table("2021", cells), [], rules=RS)
    assert not [f for f in found if f.status == "fail"]
    [balance] = by_code(found, "T3.BALANCE")
    assert balance.status == "not_assessable"
    assert set(balance.extra["unread"]) == {f"t3.total@{c}" for c in T3_COLS}
    assert "未读出单元格t3.total@" in balance.message
    assert "cells not read: t3.total@" in balance.message_en
    assert "未读" in balance.expression and " = 0" not in balance.expression


def test_the_old_false_fail_shape_exactly():
    """New applications 80, nothing carried over or forward, the total row not read."""
    cells = {f"t3.new@{c}": "0" for c in T3_COLS} | {f"t3.carried_over@{c}": "0" for c in T3_COLS}
    cells |= {f"t3.carry_forward@{c}": "0" for c in T3_COLS}
    cells |= {"t3.new@natural": "80", "t3.new@total": "80"}
    [f] = by_code(cross_check(make_table("2021", cells), [], rules=RS), "T3.BALANCE")
    assert f.status == "not_assessable" and "t3.total@natural" in f.extra["unread"]
    assert f.expression.startswith("80 + 0 = 未读 + 0")


def test_present_parts_exceeding_the_total_still_fail():
    """With a part not read, total = Σparts is disproved only when the parts already
    printed exceed the total; the fail then names the missing part too."""
    over = full_2021(**{"t4.review@upheld": "5", "t4.review@pending": "4", "t4.review@total": "7",
                        "t4.review@corrected": "-", "t4.review@other": "0"})
    [f] = by_code(cross_check(make_table("2021", over), [], rules=RS), "T4.BLOCK")
    assert f.status == "fail" and f.extra["unread"] == ["t4.review@corrected"]
    under = dict(over, **{"t4.review@total": "12"})
    [f] = by_code(cross_check(make_table("2021", under), [], rules=RS), "T4.BLOCK")
    assert f.status == "not_assessable" and f.extra["unread"] == ["t4.review@corrected"]


def test_a_total_not_read_never_fails():
    cells = full_2021(**{"t4.review@total": "-", "t4.review@upheld": "50"})
    [f] = by_code(cross_check(make_table("2021", cells), [], rules=RS), "T4.BLOCK")
    assert f.status == "not_assessable" and f.extra["unread"] == ["t4.review@total"]


def test_numbers_in_unknown_columns_are_not_read():
    """A row whose numbers could not be aligned (``unknown:<n>``, cells_unaligned)."""
    cells = {k: v for k, v in full_2021().items() if not k.startswith("t3.granted@")}
    table = make_table("2021", cells, flags=("cells_unaligned",))
    moved = tuple(cell(f"t3.granted@unknown:{i}", "9") for i in range(1, 8))
    found = cross_check(Table("2021", table.cells + moved, table.flags), [], rules=RS)
    assert not [f for f in found if f.status == "fail"]
    assert {f"t3.granted@{c}" for c in T3_COLS} <= unread(found)


def test_a_rule_with_no_cell_in_the_table_yields_nothing():
    table = make_table("2021", {"t2.rules@issued": "3", "t2.rules@repealed": "0"})
    assert [f for f in cross_check(table, [], rules=RS) if f.code.startswith(("T3", "T4"))] == []


# --------------------------------------------------------------- pre-2019: variant or unread

FUJIAN = {"p.proactive.total@value": "2026", "p.proactive.total@cumulative": "9000",
          "p.channel.website@value": "1795", "p.channel.website@cumulative": "8000",
          "p.channel.gazette@value": "0", "p.channel.gazette@cumulative": "0",
          "p.apply.received@value": "0", "p.apply.received@cumulative": "0"}


def _proactive(found: list[Finding]) -> list[str]:
    return [f.status for f in by_code(found, "P.PROACTIVE.TOTAL_LE_CHANNELS")]


def test_pre2019_rows_a_variant_does_not_print_are_dropped():
    """A 福建 table prints no 微博/微信/其他 channel rows: total > website + gazette fails."""
    assert _proactive(cross_check(make_table("pre2019", FUJIAN), [], rules=RS)) == ["fail", "fail"]


@pytest.mark.parametrize("sign", ["table_partial", "cells_unaligned"])
def test_pre2019_flags_make_absent_rows_unread(sign):
    found = cross_check(make_table("pre2019", FUJIAN, flags=(sign,)), [], rules=RS)
    assert _proactive(found) == ["not_assessable"]
    assert "p.channel.weibo@value" in unread(found)


def test_pre2019_unknown_row_in_the_block_makes_absent_rows_unread():
    table = make_table("pre2019", FUJIAN)
    cells = list(table.cells)
    cut = dataclasses.replace(cells[2], key="unknown:政务微", label="3、政务微", column="value",
                              value=231, raw="231", state="number", known=False)
    found = cross_check(Table("pre2019", tuple(cells[:6] + [cut] + cells[6:])), [], rules=RS)
    assert _proactive(found) == ["not_assessable"]
    # an unknown row in another block (after 收到申请数) leaves the proactive block alone
    found = cross_check(Table("pre2019", tuple(cells + [cut])), [], rules=RS)
    assert _proactive(found) == ["fail", "fail"]


def test_pre2019_row_with_a_column_missing_is_unread():
    cells = {k: v for k, v in FUJIAN.items() if k != "p.channel.website@cumulative"}
    found = cross_check(make_table("pre2019", cells), [], rules=RS)
    assert _proactive(found) == ["fail", "not_assessable"]
    assert "p.channel.website@cumulative" in unread(found)


def test_pre2019_label_printed_but_not_read_is_unread():
    """The report prints a 政务微博 row the parser did not turn into cells."""
    text = "统计指标 | 单位 | 统计数\n3、政务微博公开政府信息数 | 条 \n\n正文。"
    found = cross_check(make_table("pre2019", FUJIAN), [], text=text, rules=RS)
    assert _proactive(found) == ["not_assessable"]  # both columns, one finding
    assert {"p.channel.weibo@value", "p.channel.weibo@cumulative"} <= unread(found)
    prose = "全年通过政务微博公开政府信息231条。"
    assert _proactive(cross_check(make_table("pre2019", FUJIAN), [], text=prose, rules=RS)) == [
        "fail", "fail"]


def test_pre2019_gap_in_item_numbers_makes_the_block_unread():
    """"其中：2、政府公报公开" with no 1、 before it: the first item was not read."""
    labels = {"p.channel.website": "其中：1、政府网站公开数", "p.channel.gazette": "2、政府公报公开数"}
    table = make_table("pre2019", FUJIAN)
    cells = tuple(dataclasses.replace(c, label=labels.get(c.key, c.label)) for c in table.cells)
    assert _proactive(cross_check(Table("pre2019", cells), [], rules=RS)) == ["fail", "fail"]
    gap = tuple(c for c in cells if c.key != "p.channel.website")
    [f] = by_code(cross_check(Table("pre2019", gap), [], rules=RS), "P.PROACTIVE.TOTAL_LE_CHANNELS")
    assert f.status == "not_assessable" and "p.channel.website@value" in f.extra["unread"]


@pytest.mark.parametrize("module", ["crosscheck_view", "crosscheck_findings", "expr"])
def test_doctests(module):
    import doctest
    import importlib

    assert doctest.testmod(importlib.import_module(f"extractors.{module}")).failed == 0


# --------------------------------------------------------------- prose against unread cells

def _fig(metric: str, value: float):
    from tests.extractors.test_crosscheck import figure

    return figure(metric, value)


def test_prose_group_with_a_member_not_read_does_not_fail():
    """"无法提供337件" against 表三 with the 不是本机关 row lost: 252 + 25 is not the group."""
    cells = full_2021(**{"t3.unable.not_held@total": "265", "t3.unable.need_create@total": "-",
                         "t3.unable.unclear@total": "25"})
    found = [f for f in cross_check(make_table("2021", cells), [_fig("t3.unable", 337)], rules=RS)
             if f.code == "PROSE.FIGURE"]
    assert [f.status for f in found] == ["not_assessable"]
    assert found[0].extra["unread"] == ["t3.unable.need_create@total"]
    # but 200 is below the printed 265 + 25 whatever the lost row holds
    found = cross_check(make_table("2021", cells), [_fig("t3.unable", 200)], rules=RS)
    assert [f.status for f in found if f.code == "PROSE.FIGURE"] == ["fail"]


def test_a_heading_row_of_the_form_is_not_unread():
    """2021 prints （六）其他处理 as a heading over its three sub-rows: the heading's own
    cells are not expected, so "其他处理5件" against sub-rows 1 + 0 + 2 fails."""
    claim = _fig("t3.other", 5)
    claim = dataclasses.replace(claim, alternatives=(
        "t3.other.no_correction+t3.other.no_fee+t3.other.other",))
    found = cross_check(make_table("2021", full_2021()), [claim], rules=RS)
    [f] = [f for f in found if f.code == "PROSE.FIGURE"]
    assert f.status == "fail" and "unread" not in f.extra
    # the single-row variant prints 其他处理 alone: its sub-rows are not expected
    single = {k: v for k, v in full_2021().items() if not k.startswith("t3.other.")}
    single |= {f"t3.other@{c}": "0" for c in T3_COLS} | {"t3.other@natural": "2", "t3.other@total": "2"}
    assert not unread(cross_check(make_table("2021", single), [], rules=RS))


def test_prose_figure_against_a_cell_not_read_is_not_assessable():
    cells = full_2021(**{"t4.review@total": "-"})
    [f] = [f for f in cross_check(make_table("2021", cells), [_fig("t4.review", 99)], rules=RS)
           if f.code == "PROSE.FIGURE"]
    # 表四 总计 is derived from its printed parts (exact here): 99 is proven wrong
    assert f.status == "fail" and "derived by T4.BLOCK" in f.reading
    cells = full_2021(**{"t4.review@total": "-", "t4.review@pending": "-"})
    [f] = [f for f in cross_check(make_table("2021", cells), [_fig("t4.review", 99)], rules=RS)
           if f.code == "PROSE.FIGURE"]
    assert f.status == "not_assessable"
    assert set(f.extra["unread"]) == {"t4.review@pending"}


# --------------------------------------------------------------- properties on the real corpus

@dataclasses.dataclass
class Run:
    text: str
    table: Table
    claims: list
    sections: object
    findings: list[Finding]

    def check(self, table: Table) -> list[Finding]:
        return cross_check(table, self.claims, self.sections, self.text, RS)


@lru_cache(maxsize=None)
def analysed(path: Path) -> Run:
    from extractors.claims import extract_claims
    from extractors.reader import read_document
    from extractors.sections import segment
    from extractors.tables import parse_tables

    text = read_document(path.read_bytes(), filename=path.name).text
    table = parse_tables(text)
    sections = segment(text)
    claims = extract_claims(text, sections, template=table.template)
    return Run(text, table, claims, sections, cross_check(table, claims, sections, text, RS))


def new_fails(base: list[Finding], got: list[Finding]) -> list[str]:
    """Fails in ``got`` that no fail of the full table explains (same rule, and the full
    fail's evidence spans cover the new one's)."""
    old = [f for f in base if f.status == "fail"]
    return [f"{f.code}: {f.expression}" for f in got if f.status == "fail"
            and not any(g.code == f.code and set(f.spans) <= set(g.spans) for g in old)]


def rows_of(table: Table) -> list[str]:
    return list(dict.fromkeys(c.key for c in table.cells))


# Rows the fixed forms' identities read by row and by column; the 其他处理 rows are a
# one_of choice (sub-rows or a single row), so a lost one cannot always be named.
NAMED_ROWS = {k for k in RS.column_sets["t3_rows"] if not k.startswith("t3.other")} | set(
    RS.column_sets["t4_blocks"])


def _must_name(run: Run, keys: set[str]) -> bool:
    table = run.table
    return table.template in ("2019trial", "2021") and bool(keys & NAMED_ROWS)


def _known_rest(table: Table, key: str, removed: set[tuple[str, str]]) -> bool:
    return any(c.key == key and (c.key, c.column) not in removed and c.state in ("number", "zero")
               for c in table.cells)


def _drop(table: Table, keep) -> Table:
    return dataclasses.replace(table, cells=tuple(c for c in table.cells if keep(c)))


@pytest.mark.corpus
def test_deleting_any_cell_creates_no_fail(corpus_document):
    run = analysed(corpus_document)
    problems = []
    for gone in run.table.cells:
        got = run.check(_drop(run.table, lambda c: c is not gone))
        problems += [f"del {gone.key}@{gone.column}: {x}" for x in new_fails(run.findings, got)]
        ref = (gone.key, gone.column)
        if _must_name(run, {gone.key}) and not gone.column.startswith("unknown") \
                and _known_rest(run.table, gone.key, {ref}) \
                and f"{gone.key}@{gone.column}" not in unread(got):
            problems.append(f"del {gone.key}@{gone.column}: not named as unread")
    assert problems == []


@pytest.mark.corpus
def test_deleting_any_row_creates_no_fail(corpus_document):
    run = analysed(corpus_document)
    problems = []
    for key in rows_of(run.table):
        got = run.check(_drop(run.table, lambda c: c.key != key))
        problems += [f"del row {key}: {x}" for x in new_fails(run.findings, got)]
        if _must_name(run, {key} & set(RS.column_sets["t3_rows"])) and \
                not any(r.startswith(key + "@") for r in unread(got)):
            problems.append(f"del row {key}: not named as unread")
    assert problems == []


def _relabelled(table: Table, key: str) -> Table:
    return dataclasses.replace(table, cells=tuple(
        dataclasses.replace(c, key=f"unknown:{normalize_label(c.label) or c.label}", known=False)
        if c.key == key else c for c in table.cells))


def _unaligned(table: Table, key: str) -> Table:
    row = [c for c in table.cells if c.key == key]
    moved = {id(c): dataclasses.replace(c, column=f"unknown:{i}") for i, c in enumerate(row, 1)}
    return dataclasses.replace(table, cells=tuple(moved.get(id(c), c) for c in table.cells),
                               flags=tuple(dict.fromkeys(table.flags + ("cells_unaligned",))))


@pytest.mark.corpus
@pytest.mark.parametrize("mutate", [_relabelled, _unaligned], ids=["unknown_row", "unknown_columns"])
def test_a_row_read_as_unknown_creates_no_fail(corpus_document, mutate):
    run = analysed(corpus_document)
    problems = []
    for key in rows_of(run.table):
        if key.startswith("unknown:"):
            continue
        got = run.check(mutate(run.table, key))
        problems += [f"{key}: {x}" for x in new_fails(run.findings, got)]
        if _must_name(run, {key} & set(RS.column_sets["t3_rows"])) and \
                not any(r.startswith(key + "@") for r in unread(got)):
            problems.append(f"{key}: not named as unread")
    assert problems == []


@pytest.mark.corpus
def test_full_corpus_tables_have_nothing_unread(corpus_report):
    """The text renderings are read in full: no finding names a cell as unread."""
    assert unread(analysed(corpus_report).findings) == set()
