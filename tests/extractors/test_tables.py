"""parse_tables / detect_template on the real corpus, on gold files and on small tables.

Corpus tests assert general properties (template and table flags against manifest.tsv,
offsets, no duplicate cells, values equal to what is printed); cell-level answers come
only from gold files under corpus/gold/tables/.
"""
from __future__ import annotations

import csv
import doctest
import json
import re
from pathlib import Path

import pytest

import extractors.tables_rows as rows_module
from extractors.tables import cell_state, detect_form, parse_tables
from extractors.template import detect_template

ROOT = Path(__file__).resolve().parents[2]
CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()
GOLD_TABLES = ROOT / "corpus" / "gold" / "tables"
LAYOUT_FILES = ["2023_huaian_hongzequ_zf", "2024_huaian_hongzequ_zf", "2024_huaian_shizf"]
MIN_GOLD_RATE = 0.99
# Gold files the parser is known to miss (stem -> reason); strict xfail.
KNOWN_GOLD_MISSES: dict[str, str] = {}


def _manifest() -> dict[str, dict[str, str]]:
    path = CORPUS / "manifest.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return {Path(r["file"]).stem: r for r in rows if r["file"].startswith("reports/")}


MANIFEST = _manifest()
STEMS = sorted(MANIFEST) or ["<no corpus>"]
_PARSED: dict[str, tuple[str, object]] = {}


def _parsed(stem: str):
    if stem not in MANIFEST:
        pytest.skip(f"../shared/corpus not present: {CORPUS}")
    if stem not in _PARSED:
        text = (CORPUS / "reports" / f"{stem}.txt").read_text(encoding="utf-8")
        _PARSED[stem] = (text, parse_tables(text))
    return _PARSED[stem]


# ----------------------------------------------------------------------------- corpus

@pytest.mark.parametrize("stem", STEMS)
def test_template_matches_manifest(stem):
    text, table = _parsed(stem)
    assert table.template == MANIFEST[stem]["template"]
    assert detect_template(text) == MANIFEST[stem]["template"]


@pytest.mark.parametrize("stem", STEMS)
def test_table_flags_match_manifest(stem):
    _, table = _parsed(stem)
    has_table = MANIFEST[stem]["table"] == "yes"
    assert ("table_missing" not in table.flags) == has_table
    if has_table:
        assert table.flags == (), table.flags
        assert all(c.known for c in table.cells), [c.key for c in table.cells if not c.known]


@pytest.mark.parametrize("stem", STEMS)
def test_offsets_point_at_the_raw_cell(stem):
    text, table = _parsed(stem)
    for c in table.cells:
        if c.state != "blank":
            assert text[c.start:c.end] == c.raw, c
        else:
            assert c.raw == ""


@pytest.mark.parametrize("stem", STEMS)
def test_no_duplicate_cells(stem):
    _, table = _parsed(stem)
    pairs = [(c.key, c.column) for c in table.cells]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize("stem", STEMS)
def test_values_are_what_is_printed(stem):
    _, table = _parsed(stem)
    for c in table.cells:
        if c.state in ("number", "zero"):
            printed = float(re.sub(r"[^\d.+-]", "", c.raw))
            assert c.value == pytest.approx(printed, abs=0) and c.state == ("zero" if printed == 0 else "number")
            assert c.precision == (len(c.raw.split(".")[1].rstrip("元万")) if "." in c.raw else 0)
        else:
            assert c.value is None


@pytest.mark.parametrize("stem", LAYOUT_FILES)
def test_layout_table3_rows_have_seven_columns(stem):
    text, table = _parsed(stem)
    assert detect_form(text) == "layout"
    by_key: dict[str, list[str]] = {}
    for c in table.cells:
        if c.key.startswith("t3."):
            by_key.setdefault(c.key, []).append(c.column)
    assert len(by_key) >= 23
    expected = ["natural", "commercial", "research", "nonprofit", "legal", "other_org", "total"]
    assert all(cols == expected for cols in by_key.values()), by_key


def test_parse_speed_is_reasonable():
    if not MANIFEST:
        pytest.skip(f"../shared/corpus not present: {CORPUS}")
    import time

    texts = [(CORPUS / "reports" / f"{s}.txt").read_text(encoding="utf-8") for s in MANIFEST]
    parse_tables(texts[0])  # catalogue load
    began = time.perf_counter()
    for text in texts:
        parse_tables(text)
    per_file = (time.perf_counter() - began) / len(texts)
    assert per_file < 0.5, per_file


# ----------------------------------------------------------------------------- gold

def _gold_stems() -> list[str]:
    return sorted(p.stem for p in GOLD_TABLES.glob("*.json")) if GOLD_TABLES.is_dir() else []


def _gold_params():
    stems = _gold_stems()
    if not stems:
        return [pytest.param("<no gold>", marks=pytest.mark.skip(reason="no corpus/gold/tables files yet"))]
    return [pytest.param(s, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GOLD_MISSES[s]))
            if s in KNOWN_GOLD_MISSES else s for s in stems]


def gold_match_rate(gold: dict, table) -> float:
    mine = {(c.key, c.column): c for c in table.cells}
    cells = gold.get("cells", [])
    hits = 0
    for g in cells:
        c = mine.get((g["key"], g["column"]))
        if c and c.raw == g["raw"] and c.state == g["state"] and c.value == g["value"]:
            hits += 1
    return hits / len(cells) if cells else float(not table.cells or "table_missing" in table.flags)


@pytest.mark.parametrize("stem", _gold_params())
def test_gold_tables(stem):
    gold = json.loads((GOLD_TABLES / f"{stem}.json").read_text(encoding="utf-8"))
    source = CORPUS / "reports" / f"{stem}.txt"
    if not source.is_file():
        pytest.skip(f"../shared/corpus not present: {source}")
    table = parse_tables(source.read_text(encoding="utf-8"))
    assert table.template == gold["template"]
    assert gold_match_rate(gold, table) >= MIN_GOLD_RATE
    gold_pairs = {(g["key"], g["column"]) for g in gold["cells"]}
    assert [(c.key, c.column) for c in table.cells if (c.key, c.column) not in gold_pairs] == []


# ----------------------------------------------------------------------------- synthetic

PRE2019 = """\
政府信息公开情况统计表
指标名称 | 计量单位 | 2016年度 | 历年累计
主动公开文件数 | 条 | 3460 | 85376
其中：1、政府网站公开数 | 条 | 3460 | 
受理依申请公开信息总数 | 条 | 无 | /
对申请的答复总数 | 条 | 0 | 0
政府信息公开收费减免金额 | 元 | 12.50 | 12.50
"""

TRIAL_2019 = """\
第二十条第（一）项
信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量
规章 | 1 | 1 | 7
第二十条第（九）项
信息内容 | 采购项目数量 | 采购总金额
政府集中采购 | 3 | 1,250.5元
三、收到和处理政府信息公开申请情况
自然人 | 法人或其他组织 | 总计
一、本年新收政府信息公开申请数量 | 5 | 1 |  |  |  |  | 6
三、本年度办理结果 | （一）予以公开 | 4 | 0 | 0 | 0 | 0 | 0 | 4
三、本年度办理结果 | （四）无法提供 | 1.本机关不掌握相关政府信息 | 1 | — | 0 | 0 | 0 | 0 | 1
（六）其他处理 | 0 | 0 | 0 | 0 | 0 | 0 | 0
四、政府信息公开行政复议、行政诉讼情况
行政复议 | 行政诉讼
1 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0
"""

FORMAT_2021 = """\
二、主动公开政府信息情况
第二十条第（一）项
| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |
|---|---|---|---|
| 行政规范性文件 | 6 | 1 | 32 |
第二十条第（八）项
信息内容 | 本年收费金额（单位：万元）
行政事业性收费 | 24252.311082
三、收到和处理政府信息公开申请情况
（六）其他处理 | 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请 | 1 | 0 | 0 | 0 | 0 | 0 | 1
3.其他 | 2 | 0 | 0 | 0 | 0 | 0 | 2
未知的一行 | 9 | 9
"""

LAYOUT_2021 = """\
              第二十条第（一）项
       信息内容   本年制发件数    本年废止件数    现行有效件数
规章               0          0       0
                  三、收到和处理政府信息公开申请情况
                  （二）部分公开（区分处理的，只计这一情 形，不
                  计其他情形）
                                              4    0      0     0   0   0     4
     -3-
                 5.要求行政机关确认或重 新出具
                     已获取信息
                                       0    0   0   0    0    0   0
     五、存在的主要问题及改进情况
"""

FLAT_PRE2019 = """\
政府信息公开情况统计表 |
统 计 指 标 |
单 位 |
统计数 |
(一)收到申请数 |
件 |
2
|
1、当面申请数 |
件 |
|
四、行政复议数量 |
件 |
1 |
(二)被依法纠错数 |
件 |
1 |
五、行政诉讼数量 |
件 |
0 |
(二)被依法纠错数 |
件 |
/ |
"""


def _cells(table) -> dict[tuple[str, str], object]:
    return {(c.key, c.column): c for c in table.cells}


def test_synthetic_pre2019_cumulative():
    table = parse_tables(PRE2019)
    cells = _cells(table)
    assert table.template == "pre2019" and table.variant == "pre2019-fujian-2014"
    assert cells["p.proactive.total", "cumulative"].value == 85376
    assert cells["p.channel.website", "cumulative"].state == "blank"
    assert cells["p.apply.received", "value"].state == "none"
    assert cells["p.apply.received", "cumulative"].state == "slash"
    fee = cells["p.fee_waiver", "value"]
    assert (fee.value, fee.precision, fee.unit) == (12.5, 2, "元")
    assert cells["p.proactive.total", "value"].unit == "条"


def test_synthetic_2019_trial():
    table = parse_tables(TRIAL_2019)
    cells = _cells(table)
    assert table.template == "2019trial"
    assert cells["t2.rules", "total_published"].value == 7
    amount = cells["t2.procurement", "amount"]
    assert (amount.value, amount.unit, amount.precision, amount.state) == (1250.5, "元", 1, "number")
    assert cells["t3.new", "research"].state == "blank"
    assert cells["t3.new", "total"].value == 6
    assert cells["t3.unable.not_held", "commercial"].state == "slash"
    assert cells["t3.other", "total"].state == "zero"
    assert cells["t4.review", "total"].value == 1
    assert cells["t4.litigation_after_review", "total"].value == 0
    assert "table_partial" in table.flags  # most mandatory rows are absent here


def test_synthetic_2021_markdown_and_unknown_rows():
    table = parse_tables(FORMAT_2021)
    cells = _cells(table)
    assert table.template == "2021"
    assert cells["t2.normative", "in_force"].value == 32
    fee = cells["t2.fees", "amount"]
    assert (fee.value, fee.precision, fee.unit) == (24252.311082, 6, "万元")
    assert cells["t3.other.no_correction", "total"].value == 1
    assert cells["t3.other.other", "natural"].value == 2  # 3.其他 read under （六）
    unknown = [c for c in table.cells if not c.known]
    assert {c.key for c in unknown} == {"unknown:未知的一行"}
    assert [c.column for c in unknown] == ["unknown:1", "unknown:2"]  # 2 values, 7 columns
    assert "cells_unaligned" in table.flags


def test_synthetic_layout_wrapped_labels():
    table = parse_tables(LAYOUT_2021)
    cells = _cells(table)
    assert detect_form(LAYOUT_2021) == "layout"
    assert cells["t2.rules", "in_force"].state == "zero"
    assert cells["t3.partial", "total"].value == 4
    assert cells["t3.rejected.confirm", "total"].state == "zero"
    for c in table.cells:
        assert LAYOUT_2021[c.start:c.end] == c.raw


def test_synthetic_flat_form_uses_parent_context():
    table = parse_tables(FLAT_PRE2019)
    cells = _cells(table)
    assert detect_form(FLAT_PRE2019) == "flat"
    assert cells["p.apply.received", "value"].value == 2
    assert cells["p.apply.in_person", "value"].state == "blank"
    assert cells["p.review.corrected", "value"].value == 1
    assert cells["p.litigation.corrected", "value"].state == "slash"


def test_no_table():
    table = parse_tables("2013年信息公开年度报告\n本年度无统计数据。\n")
    assert table.flags == ("table_missing",) and table.cells == ()


def test_seed_copy_in_project_corpus():
    seed = ROOT / "corpus" / "2017_pingjiang_mzj.txt"
    if not seed.is_file():
        pytest.skip("corpus/2017_pingjiang_mzj.txt not present")
    text = seed.read_text(encoding="utf-8")
    cells = _cells(parse_tables(text))
    assert cells["p.channel.wechat", "value"].value == 980
    assert cells["p.apply.completed", "value"].state == "blank"


@pytest.mark.parametrize("raw,state", [("0", "zero"), ("", "blank"), ("/", "slash"), ("无", "none"),
                                       ("—", "slash"), ("-", "slash"), ("12", "number"),
                                       ("-18", "number"), ("见附件", "text"), ("35%", "text")])
def test_cell_states(raw, state):
    assert cell_state(raw)[0] == state


def test_tables_doctests():
    result = doctest.testmod(rows_module)  # the cell states' examples (tables.py has none)
    assert result.failed == 0 and result.attempted


@pytest.mark.parametrize("stem", STEMS)
def test_normalized_text_parses_the_same(stem):
    normalize = pytest.importorskip("extractors.normalize").normalize_text
    text, table = _parsed(stem)
    norm = normalize(text)
    again = parse_tables(norm)
    assert [(c.key, c.column, c.raw, c.state) for c in again.cells] == \
        [(c.key, c.column, c.raw, c.state) for c in table.cells]
    assert all(norm[c.start:c.end] == c.raw for c in again.cells)


def test_parse_tables_never_raises_on_odd_rows():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    cell = st.sampled_from(["", "0", "12", "/", "无", "—", "规章", "总计", "自然人", "3.其他",
                            "行政复议", "第二十条第（一）项", "条", "1.5万元", "x|y"])

    @hypothesis.settings(max_examples=150, deadline=None)
    @hypothesis.given(st.lists(st.lists(cell, min_size=1, max_size=9), max_size=12))
    def check(rows):
        text = "\n".join(" | ".join(r) for r in rows)
        table = parse_tables(text)
        pairs = [(c.key, c.column) for c in table.cells]
        assert len(pairs) == len(set(pairs))
        assert all(text[c.start:c.end] == c.raw for c in table.cells)

    check()
