"""cross_check on hand-built tables and claims: the worked examples of DOMAIN.md, the
not-assessable semantics of blank cells, and a property test (any single changed number
in a consistent 2021 table is caught, naming that cell)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.crosscheck import cross_check
from extractors.models import Cell, Claim, Section, Sections, Table
from extractors.rules import load_rules

RS = load_rules()
T3_COLS = ["natural", "commercial", "research", "nonprofit", "legal", "other_org", "total"]


def cell(ref: str, raw: str, offset: int = 0) -> Cell:
    key, _, column = ref.partition("@")
    raw_s = raw.strip()
    if raw_s == "":
        state, value = "blank", None
    elif raw_s in ("/", "／"):
        state, value = "slash", None
    elif raw_s == "无":
        state, value = "none", None
    elif re.fullmatch(r"-?\d+(\.\d+)?", raw_s):
        value = float(raw_s) if "." in raw_s else int(raw_s)
        state = "zero" if value == 0 else "number"
    else:
        state, value = "text", None
    precision = len(raw_s.split(".")[1]) if state == "number" and "." in raw_s else 0
    return Cell(key=key, label=key, column=column or "value", value=value, raw=raw,
                state=state, precision=precision, start=offset, end=offset + len(raw))


def make_table(template: str, cells: dict[str, str], flags: tuple[str, ...] = ()) -> Table:
    return Table(template=template, flags=flags,
                 cells=tuple(cell(ref, raw, 1000 + 10 * i) for i, (ref, raw) in enumerate(cells.items())))


def figure(metric: str, value: float, text: str = "", alternatives=(), **kw) -> Claim:
    return Claim(kind=kw.pop("kind", "figure"), metric=metric, value=value, low=kw.pop("low", None),
                 high=kw.pop("high", None), unit="件", text=text or f"{metric} {value}", start=5,
                 end=15, alternatives=tuple(alternatives), verifiable=True, **kw)


def codes(findings, status=None):
    return sorted(f.code for f in findings if status is None or f.status == status)


def cell_refs(finding) -> set[str]:
    return {f"{c['key']}@{c['column']}" for c in finding.cells}


# --------------------------------------------------------------- the seed (2017 平江县民政局)

SEED = {
    "p.proactive.total": "128", "p.proactive.normative": "34", "p.proactive.normative_issued": "16",
    "p.channel.gazette": "0", "p.channel.website": "40", "p.channel.weibo": "0",
    "p.channel.wechat": "980", "p.channel.other": "100",
    "p.response.total": "0", "p.response.press": "0", "p.response.press_head": "0",
    "p.response.interview": "0", "p.response.interview_head": "0",
    "p.response.interpretation": "1", "p.response.weibo_wechat": "1000", "p.response.other": "1000",
    "p.apply.received": "0", "p.apply.in_person": "0", "p.apply.fax": "0", "p.apply.online": "0",
    "p.apply.letter": "0", "p.apply.completed": "", "p.apply.on_time": "0", "p.apply.extended": "0",
    "p.reply.total": "", "p.reply.already_public": "0", "p.reply.granted": "0",
    "p.reply.partial": "0", "p.reply.denied": "0",
    "p.reply.denied.state_secret": "0", "p.reply.denied.commercial_secret": "0",
    "p.reply.denied.privacy": "0", "p.reply.denied.security": "0",
    "p.reply.denied.not_gov_info": "0", "p.reply.denied.other_law": "0",
    "p.reply.not_this_body": "0", "p.reply.nonexistent": "0", "p.reply.redirect": "0",
    "p.reply.other_channel": "0",
    "p.review.total": "0", "p.review.upheld": "0", "p.review.corrected": "0", "p.review.other": "0",
    "p.litigation.total": "0", "p.litigation.upheld": "0", "p.litigation.corrected": "0",
    "p.litigation.other": "0", "p.complaints": "0", "p.fees": "0",
    "p.org.units": "1", "p.org.reading_points": "1", "p.org.staff": "3",
    "p.org.staff_fulltime": "1", "p.org.staff_parttime": "2", "p.org.budget": "0",
    "p.meeting.meetings": "2", "p.meeting.trainings": "2", "p.meeting.trainees": "5",
}
SEED_CLAIMS = [
    Claim(kind="statement", metric="p.org.staff_fulltime", value=None, low=None, high=None,
          unit=None, text="从事政府信息公开工作的人员均为兼职", start=900, end=916,
          implies=({"metric": "p.org.staff_fulltime", "op": "=", "value": 0},)),
    Claim(kind="statement", metric="p.apply.received", value=None, low=None, high=None, unit=None,
          text="无依申请公开政府信息办理情况", start=700, end=714,
          implies=({"metric": "p.apply.received", "op": "=", "value": 0},)),
]
SEED_TEXT = "全文包括概述、主动公开政府信息情况、政府信息公开咨询处理情况。\n二、主动公开政府信息情况\n正文。"
SEED_SECTIONS = Sections(
    sections=(Section("主动公开政府信息情况", 1, 32, 45, "proactive"),),
    announced=("概述", "主动公开政府信息情况", "政府信息公开咨询处理情况"), announced_span=(0, 31))


@pytest.fixture(scope="module")
def seed_findings():
    return cross_check(make_table("pre2019", SEED), SEED_CLAIMS, SEED_SECTIONS, SEED_TEXT, RS)


def test_seed_wechat_exceeds_total(seed_findings):
    f = [f for f in seed_findings if f.code == "P.PROACTIVE.CHANNEL_LE_TOTAL"]
    assert len(f) == 1 and f[0].status == "fail"
    assert cell_refs(f[0]) == {"p.channel.wechat@value", "p.proactive.total@value"}
    assert f[0].expression == "980 ≤ 128 ✗" and f[0].values == (980, 128)
    assert "980" in f[0].message and "128" in f[0].message
    assert f[0].rule == "P.PROACTIVE.CHANNEL_LE_TOTAL@2"


def test_seed_response_total_zero_while_channels_1000(seed_findings):
    nonzero = [f for f in seed_findings if f.code == "P.RESPONSE.NONZERO"]
    assert len(nonzero) == 1 and nonzero[0].status == "fail"
    assert {"p.response.weibo_wechat@value", "p.response.other@value",
            "p.response.total@value"} <= cell_refs(nonzero[0])
    # each channel > total 0 is implied by the finding above: suppressed (rule field)
    assert not [f for f in seed_findings if f.code == "P.RESPONSE.CHANNEL_LE_TOTAL"]


def test_seed_fulltime_staff_vs_prose(seed_findings):
    f = [f for f in seed_findings if f.code == "PROSE.STATEMENT"]
    assert len(f) == 1 and f[0].status == "fail"
    assert cell_refs(f[0]) == {"p.org.staff_fulltime@value"}
    assert f[0].spans == ((900, 916),) and f[0].expression == "1 = 0 ✗"


def test_seed_blank_totals_are_not_assessable(seed_findings):
    na = {f.code: f for f in seed_findings if f.status == "not_assessable"}
    assert {"P.APPLY.COMPLETED", "P.REPLY.TOTAL"} <= set(na)
    assert na["P.APPLY.COMPLETED"].expression == "空 = 0 + 0"
    assert not [f for f in seed_findings if f.code in ("P.APPLY.COMPLETED", "P.REPLY.TOTAL")
                and f.status != "not_assessable"]


def test_seed_smells_and_structure(seed_findings):
    [placeholder] = [f for f in seed_findings if f.code == "TABLE.PLACEHOLDER"]
    assert cell_refs(placeholder) == {"p.response.weibo_wechat@value", "p.response.other@value"}
    announced = [f for f in seed_findings if f.code == "STRUCT.ANNOUNCED"]
    assert len(announced) == 1 and "咨询" in announced[0].message
    soft = [f for f in seed_findings if f.code == "P.NORMATIVE.ISSUED"]
    assert soft and soft[0].status == "warn"


def test_seed_consistent_identities_give_nothing(seed_findings):
    quiet = {"P.APPLY.RECEIVED", "P.REPLY.DENIED", "P.REVIEW.TOTAL", "P.LITIGATION.TOTAL",
             "P.STAFF.TOTAL", "P.PROACTIVE.TOTAL_LE_CHANNELS", "P.PROACTIVE.NORMATIVE_LE_TOTAL"}
    assert not quiet & set(codes(seed_findings))


# --------------------------------------------------------------- 2019 上海市人民政府办公厅

def shanghai_table() -> Table:
    cells = {
        "t3.granted@natural": "258", "t3.granted@commercial": "12", "t3.granted@legal": "1",
        "t3.granted@other_org": "1", "t3.granted@total": "272",
        "t3.partial@natural": "3", "t3.partial@total": "3",
        "t3.unable.not_held@natural": "252", "t3.unable.not_held@total": "265",
        "t3.unable.need_create@total": "47", "t3.unable.unclear@total": "25",
        "t4.review@upheld": "5", "t4.review@corrected": "0", "t4.review@other": "0",
        "t4.review@pending": "2", "t4.review@total": "7",
        "t4.litigation_direct@upheld": "8", "t4.litigation_direct@corrected": "0",
        "t4.litigation_direct@other": "0", "t4.litigation_direct@pending": "1",
        "t4.litigation_direct@total": "9",
    }
    return make_table("2019trial", cells)


UPHELD = tuple({"metric": f"{block}@{col}", "op": "=", "value": 0}
               for block in ("t4.review", "t4.litigation_direct", "t4.litigation_after_review")
               for col in ("corrected", "other", "pending"))


def prose(findings):
    return [f for f in findings if f.code.startswith("PROSE.")]


def test_shanghai_granted_plus_partial():
    claim = figure("t3.granted+t3.partial", 258, "予以公开及部分公开258件")
    [f] = prose(cross_check(shanghai_table(), [claim], rules=RS))
    assert (f.code, f.status) == ("PROSE.FIGURE", "fail")
    assert f.expression == "258 = 272 + 3 ✗" and f.values == (258, 275)
    assert cell_refs(f) == {"t3.granted@total", "t3.partial@total"}


def test_shanghai_unable_group():
    [f] = prose(cross_check(shanghai_table(), [figure("t3.unable", 265, "无法提供265件")], rules=RS))
    assert f.status == "fail" and f.values == (265, 337)


def test_shanghai_all_upheld():
    claim = Claim(kind="statement", metric=None, value=None, low=None, high=None, unit=None,
                  text="复议7件，诉讼9件，均获维持", start=50, end=64, implies=UPHELD)
    [f] = prose(cross_check(shanghai_table(), [claim], rules=RS))
    assert f.status == "fail"
    assert cell_refs(f) == {"t4.review@pending", "t4.litigation_direct@pending"}
    assert f.expression == "2 = 0; 1 = 0 ✗"


def _granted_partial(research: str | None) -> Table:
    """表三 予以公开 / 部分公开 rows with blank totals (a 2019trial table read in full
    otherwise: the other rows are printed 0)."""
    cells = {f"{k}@{c}": "0" for k in RS.column_sets["t3_rows"] if k.startswith("t3.")
             and not k.startswith("t3.other.") for c in T3_COLS}
    cells.update({"t3.granted@natural": "258", "t3.granted@commercial": "12",
                  "t3.granted@research": research, "t3.granted@total": "",
                  "t3.partial@natural": "3", "t3.partial@total": ""})
    return make_table("2019trial", {k: v for k, v in cells.items() if v is not None})


def test_blank_total_is_derived_from_applicant_columns():
    table = _granted_partial(research="")
    [f] = prose(cross_check(table, [figure("t3.granted+t3.partial", 258)], rules=RS))
    assert f.status == "fail" and "derived by T3.COLSUM@2" in f.reading
    assert f.expression.startswith("258 = ") and "≥273" in f.expression
    open_ = cross_check(table, [figure("t3.granted+t3.partial", 273)], rules=RS)
    # the research cell is blank too: 273 may be right, nothing can be said
    assert [(f.code, f.status) for f in prose(open_)] == [("PROSE.FIGURE", "not_assessable")]
    assert [f.status for f in open_ if f.code == "T3.COLSUM"] == ["not_assessable"]
    assert prose(cross_check(_granted_partial(research="0"),
                             [figure("t3.granted+t3.partial", 273)], rules=RS)) == []


def test_derivation_with_a_cell_not_read_is_open_and_names_it():
    """The research cell was not read at all (absent from a fixed form): the derived
    total is only a lower bound, and the finding says which cell is missing."""
    table = _granted_partial(research=None)
    [f] = prose(cross_check(table, [figure("t3.granted+t3.partial", 273)], rules=RS))
    assert f.status == "not_assessable" and f.extra["unread"] == ["t3.granted@research"]
    assert "t3.granted@research" in f.message and "t3.granted@research" in f.message_en
    # the printed parts alone already exceed 258: that contradiction is earned
    [f] = prose(cross_check(table, [figure("t3.granted+t3.partial", 258)], rules=RS))
    assert f.status == "fail" and f.extra["unread"] == ["t3.granted@research"]


# --------------------------------------------------------------- prose semantics

def test_alternative_reading_that_holds_gives_no_finding():
    table = make_table("2021", {"t3.new@total": "21", "t3.carried_over@total": "3"})
    claim = figure("t3.new", 24, "受理申请24件", alternatives=["t3.new+t3.carried_over"])
    assert prose(cross_check(table, [claim], rules=RS)) == []
    [f] = prose(cross_check(table, [figure("t3.new", 30, alternatives=["t3.new+t3.carried_over"])],
                            rules=RS))
    assert f.status == "fail" and "t3.new | t3.new+t3.carried_over" in f.reading


@pytest.mark.parametrize("low,high,value,qualifier,cell_raw,status", [
    (3500, None, 3500, "余", "3620", None),
    (3500, None, 3500, "余", "3400", "fail"),
    (None, None, 100, "约", "95", None),
    (None, None, 100, "约", "80", "fail"),
    (None, 50, 50, "不足", "49", None),
    (None, None, 12.5, None, "12.46", None),  # 12.5 is 12.46 rounded
    (None, None, 12.4, None, "12.46", "fail"),
    (None, None, 12.5, None, "12.5", None),
    (None, None, 7, None, "", "not_assessable"),
    (None, None, 7, None, "/", "not_assessable"),
])
def test_claim_intervals(low, high, value, qualifier, cell_raw, status):
    table = make_table("2021", {"t2.fees@amount": cell_raw})
    claim = figure("t2.fees@amount", value, low=low, high=high, qualifier=qualifier)
    found = cross_check(table, [claim], rules=RS)
    assert [f.status for f in found if f.code == "PROSE.FIGURE"] == ([status] if status else [])


def test_claim_on_row_not_in_the_variant_gives_nothing():
    table = make_table("pre2019", {"p.proactive.total@value": "5"})
    assert cross_check(table, [figure("p.review.total", 3)], rules=RS) == []


def test_claim_on_a_fixed_form_cell_not_read_is_not_assessable():
    """2021 prints 表四 on every report: a table without it was read only in part."""
    table = make_table("2021", {"t3.new@total": "5"})
    [f] = prose(cross_check(table, [figure("t4.review", 3)], rules=RS))
    assert f.status == "not_assessable" and f.extra["unread"] == ["t4.review@total"]


def test_enumeration_parts_must_sum():
    claim = Claim(kind="enumeration", metric=None, value=10, low=None, high=None, unit="件",
                  text="共10件，其中予以公开3件、不予公开4件", start=0, end=20,
                  parts=({"phrase": "予以公开", "value": 3, "start": 5, "end": 9},
                         {"phrase": "不予公开", "value": 4, "start": 10, "end": 14}))
    [f] = cross_check(make_table("2021", {}), [claim], rules=RS)
    assert f.code == "PROSE.ENUMERATION" and f.expression == "3 + 4 = 10 ✗"


def test_rate_recomputed():
    table = make_table("2019trial", {"t3.granted@total": "272", "t3.partial@total": "3",
                                     "t3.total@total": "805"})
    good = figure("t3.granted+t3.partial", 34.2, kind="rate", base="t3.total")
    bad = figure("t3.granted+t3.partial", 33.9, kind="rate", base="t3.total")
    assert prose(cross_check(table, [good], rules=RS)) == []
    [f] = prose(cross_check(table, [bad], rules=RS))
    assert f.code == "PROSE.RATE" and f.status == "fail" and f.expression.endswith("34.2% ✗")


# --------------------------------------------------------------- table semantics

def _t3_totals(template: str, **values: str) -> Table:
    """The 总计 column of 表三's result rows, 0 unless given (t3.other.x as other_x)."""
    rows = [k for k in RS.column_sets["t3_rows"] if k not in ("t3.new", "t3.carried_over",
                                                             "t3.carry_forward")]
    rows = [k for k in rows if (k == "t3.other") == (template == "2019trial")
            or not k.startswith("t3.other")]
    cells = {f"{k}@total": values.get(k.removeprefix("t3.").replace(".", "_"), "0") for k in rows}
    return make_table(template, {k: v for k, v in cells.items() if v != "-"})


def test_other_processing_subrows_or_single_row():
    def t3_total(table):
        return [f.status for f in cross_check(table, [], rules=RS) if f.code == "T3.TOTAL"
                and "t3.total@total" in cell_refs(f)]

    assert t3_total(_t3_totals("2019trial", granted="5", other="3", total="8")) == []
    assert t3_total(_t3_totals("2021", granted="5", other_no_correction="1",
                               other_other="2", total="8")) == []
    assert t3_total(_t3_totals("2021", granted="5", other_no_correction="1", total="8")) == ["fail"]
    single = _t3_totals("2021", granted="5", total="8", other_no_correction="-",
                        other_no_fee="-", other_other="-")
    single = Table(template="2021", cells=single.cells + (cell("t3.other@total", "3"),))
    assert t3_total(single) == []  # the 2021 single-row variant of 其他处理


def test_decimal_tolerance_from_printed_precision():
    rs = RS
    t = make_table("pre2019", {"p.org.staff": "3.0", "p.org.staff_fulltime": "1.04",
                               "p.org.staff_parttime": "1.96"})
    assert "P.STAFF.TOTAL" not in codes(cross_check(t, [], rules=rs))
    t = make_table("pre2019", {"p.org.staff": "3.1", "p.org.staff_fulltime": "1.04",
                               "p.org.staff_parttime": "1.96"})
    assert "P.STAFF.TOTAL" in codes(cross_check(t, [], rules=rs), "fail")


def test_proven_violation_despite_blanks_fails():
    t = make_table("2021", {"t4.review@upheld": "5", "t4.review@corrected": "",
                            "t4.review@other": "", "t4.review@pending": "4", "t4.review@total": "7"})
    [f] = [f for f in cross_check(t, [], rules=RS) if f.code == "T4.BLOCK"]
    assert f.status == "fail"


def test_fujian_cumulative_and_channel_sum():
    t = make_table("pre2019", {"p.proactive.total@value": "425", "p.proactive.total@cumulative": "1516",
                               "p.channel.website@value": "418", "p.channel.website@cumulative": "1509",
                               "p.channel.gazette@value": "7", "p.channel.gazette@cumulative": "7"})
    assert cross_check(t, [], rules=RS) == []
    t2 = make_table("pre2019", {"p.proactive.total@value": "430", "p.proactive.total@cumulative": "400",
                                "p.channel.website@value": "418", "p.channel.gazette@value": "7"})
    found = cross_check(t2, [], rules=RS)
    got = codes(found, "fail")
    assert got == ["P.CUMULATIVE.GE_YEAR", "P.PROACTIVE.TOTAL_LE_CHANNELS"]  # 430 > 418 + 7
    # the channel rows print no 历年累计 while the table has that column: not read
    assert {r for f in found for r in f.extra.get("unread", ())} == {
        "p.channel.website@cumulative", "p.channel.gazette@cumulative"}
    t3 = make_table("pre2019", {"p.proactive.total@value": "420",
                                "p.channel.website@value": "418", "p.channel.gazette@value": "7"})
    assert [(f.code, f.status) for f in cross_check(t3, [], rules=RS)] == [("P.FUJIAN.PROACTIVE_SUM", "warn")]


def test_table_flags_and_all_zero():
    found = cross_check(make_table("2021", {}, flags=("table_missing",)), [], rules=RS)
    assert [(f.code, f.status, f.message_en) for f in found] == [("TABLE.MISSING", "warn", "Table missing.")]
    zeros = make_table("2021", {f"t3.new@{c}": "0" for c in T3_COLS})
    assert codes(cross_check(zeros, [figure("p.apply.received", 21)], rules=RS), "warn") == [
        "TABLE.ALL_ZERO"]


def test_mandatory_sections():
    sections = Sections(sections=(Section("主动公开政府信息情况", 1, 0, 5, "proactive"),
                                  Section("收到和处理政府信息公开申请情况", 1, 5, 9, "on_request"),
                                  Section("存在的主要问题及改进情况", 1, 9, 12, "problems")))
    found = cross_check(make_table("2021", {"t3.new@total": "1"}), [], sections, rules=RS)
    assert [f.extra["section_kind"] for f in found if f.code == "STRUCT.MANDATORY"] == ["review_litigation"]


# --------------------------------------------------------------- property test

def consistent_2021() -> dict[str, int]:
    rows = {"t3.granted": [3, 1, 0, 0, 0, 1], "t3.partial": [1, 0, 0, 0, 0, 0],
            "t3.denied.internal": [0, 1, 0, 0, 0, 0], "t3.unable.not_held": [2, 0, 0, 1, 0, 0],
            "t3.rejected.repeat": [1, 0, 0, 0, 0, 0], "t3.other.no_correction": [0, 0, 1, 0, 0, 0],
            "t3.other.no_fee": [0, 0, 0, 0, 0, 0], "t3.other.other": [1, 0, 0, 0, 0, 0]}
    for key in RS.column_sets["t3_rows"]:  # every other row of the form is printed 0
        if key not in ("t3.other", "t3.total", "t3.carry_forward", "t3.carried_over", "t3.new"):
            rows.setdefault(key, [0] * 6)
    total = [sum(col) for col in zip(*rows.values())]
    rows["t3.total"] = total
    rows["t3.carry_forward"] = [1, 0, 0, 0, 1, 0]
    rows["t3.carried_over"] = [2, 0, 0, 0, 0, 0]
    rows["t3.new"] = [t + f - c for t, f, c in zip(total, rows["t3.carry_forward"], rows["t3.carried_over"])]
    cells = {f"{k}@{col}": v for k, vals in rows.items() for col, v in zip(T3_COLS, vals + [sum(vals)])}
    for block, vals in {"t4.review": [2, 1, 0, 1], "t4.litigation_direct": [1, 0, 0, 0],
                        "t4.litigation_after_review": [0, 0, 1, 0]}.items():
        cells.update({f"{block}@{c}": v for c, v in zip(["upheld", "corrected", "other", "pending"], vals)})
        cells[f"{block}@total"] = sum(vals)
    return cells


CONSISTENT = consistent_2021()


def test_consistent_2021_table_gives_no_finding():
    assert cross_check(make_table("2021", {k: str(v) for k, v in CONSISTENT.items()}), [], rules=RS) == []


@settings(max_examples=150, deadline=None)
@given(ref=st.sampled_from(sorted(CONSISTENT)), delta=st.integers(-5, 50).filter(bool))
def test_any_single_change_is_caught_naming_the_cell(ref, delta):
    cells = {k: str(v) for k, v in CONSISTENT.items()}
    cells[ref] = str(max(0, CONSISTENT[ref] + delta) if CONSISTENT[ref] + delta >= 0 else CONSISTENT[ref] + 7)
    if cells[ref] == str(CONSISTENT[ref]):
        return
    found = cross_check(make_table("2021", cells), [], rules=RS)
    assert any(ref in cell_refs(f) for f in found if f.status == "fail"), (ref, found)


# --------------------------------------------------------------- real corpus, end to end

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
GOLD = Path(__file__).resolve().parents[2] / "corpus" / "gold" / "findings"


@pytest.fixture(scope="module")
def corpus_runs():
    """{stem: (text, findings)} from parse_tables + segment + extract_claims + cross_check."""
    if not (CORPUS / "reports").is_dir():
        pytest.skip(f"../shared/corpus not present: {CORPUS}")
    tables = pytest.importorskip("extractors.tables")
    claims_mod = pytest.importorskip("extractors.claims")
    sections_mod = pytest.importorskip("extractors.sections")
    runs = {}
    for path in sorted((CORPUS / "reports").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        table = tables.parse_tables(text)
        sections = sections_mod.segment(text)
        claims = claims_mod.extract_claims(text, sections, template=table.template)
        runs[path.stem] = (text, cross_check(table, claims, sections, text, RS))
    return runs


def gold_of(stem: str) -> list[dict]:
    path = GOLD / f"{stem}.json"
    if not path.is_file():
        pytest.skip(f"no gold findings for {stem}")
    return json.loads(path.read_text(encoding="utf-8"))["findings"]


@pytest.mark.corpus
def test_corpus_seed_end_to_end(corpus_runs):
    _, found = corpus_runs["2017_pingjiang_mzj"]
    by_code = {f.code: f for f in found}
    assert by_code["P.PROACTIVE.CHANNEL_LE_TOTAL"].values == (980, 128)
    assert by_code["P.RESPONSE.NONZERO"].status == "fail"
    assert by_code["P.APPLY.COMPLETED"].status == "not_assessable"
    assert by_code["P.REPLY.TOTAL"].status == "not_assessable"
    assert "p.org.staff_fulltime@value" in cell_refs(by_code["PROSE.STATEMENT"])


@pytest.mark.corpus
def test_corpus_shanghai_end_to_end(corpus_runs):
    _, found = corpus_runs["2019_shanghai_shizfbgt"]
    figures = {f.values for f in found if f.code == "PROSE.FIGURE" and f.status == "fail"}
    assert {(258, 275), (265, 337)} <= figures
    upheld = [f for f in found if f.code == "PROSE.STATEMENT" and "t4.review@pending" in cell_refs(f)]
    assert upheld and upheld[0].status == "fail"


def _matches(f, g, text: str) -> bool:
    if f.status != g["status"]:
        return False
    if set(g["cells"]) & cell_refs(f):
        return True
    q = g.get("quote")
    return bool(q) and any(q in text[max(0, a - len(q)):b + len(q)] for a, b in f.spans)


@pytest.mark.corpus
def test_corpus_gold_table_identity_fails_are_found(corpus_runs):
    """Table arithmetic depends only on the parsed table: every gold fail is found."""
    missed = [(stem, g["what"]) for stem, (text, found) in corpus_runs.items()
              for g in gold_of(stem) if g["status"] == "fail" and g["category"] == "table_identity"
              and not any(_matches(f, g, text) for f in found)]
    assert missed == []


@pytest.mark.corpus
def test_corpus_gold_fail_recall(corpus_runs):
    gold = [(stem, g) for stem in corpus_runs for g in gold_of(stem) if g["status"] == "fail"]
    hit = [1 for stem, g in gold if any(_matches(f, g, corpus_runs[stem][0]) for f in corpus_runs[stem][1])]
    assert len(hit) / len(gold) >= 0.85, f"{len(hit)}/{len(gold)}"


@pytest.mark.corpus
def test_corpus_table_rules_quiet_on_clean_tables(corpus_runs):
    """No table-identity fail where the gold has none (parser slips would show up here)."""
    noisy = [(stem, f.code, f.expression) for stem, (text, found) in corpus_runs.items()
             for f in found if f.status == "fail" and f.code[:2] in ("T3", "T4", "P.")
             and not any(_matches(f, g, text) for g in gold_of(stem))]
    assert noisy == []


def test_enumeration_parts_in_another_unit_are_not_summed():
    from extractors.crosscheck import cross_check
    from extractors.models import Claim, Table

    claim = Claim(kind="enumeration", metric=None, value=380.0, low=380.0, high=380.0, unit="元",
                  text="收取信息处理费共计380元，其中民政局1件，收取380元", start=0, end=26,
                  parts=({"phrase": "民政局", "value": 1.0, "unit": "件", "start": 16, "end": 18},
                         {"phrase": "收取", "value": 380.0, "unit": "元", "start": 21, "end": 25}))
    table = Table(template="2021", cells=())
    assert [f for f in cross_check(table, [claim]) if f.code == "PROSE.ENUMERATION"] == []
    wrong = Claim(**{**claim.__dict__, "value": 300.0, "low": 300.0, "high": 300.0})
    assert [f.code for f in cross_check(table, [wrong]) if f.code == "PROSE.ENUMERATION"] == [
        "PROSE.ENUMERATION"]


def test_prose_documents_in_force_are_compared_softly_with_table_2():
    table = make_table("2021", {"t2.normative@issued": "77", "t2.normative@repealed": "0",
                                "t2.normative@in_force": "470"})
    wrong = figure("t2.normative@in_force", 450, "现行有效行政规范性文件450件")
    (f,) = cross_check(table, [wrong])
    assert (f.code, f.status) == ("PROSE.IN_FORCE", "warn")
    # a library counted before this year's issues: 393 + 77 = 470 (2023 平潭) passes
    library = figure("t2.normative@in_force", 393, "现行有效行政规范性文件393件")
    assert cross_check(table, [library]) == []
