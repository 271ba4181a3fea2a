"""sections.segment: real corpus headings of every template generation, announced lists,
layout text, and the data file's validation."""
from __future__ import annotations

from pathlib import Path

import pytest

from extractors.errors import ConfigError
from extractors.reader import read_document
from extractors.sections import find_announced, kind_of, load_rules, segment

# The six parts of the 2019 trial and 2021 formats, in order.
MANDATORY_2021 = ("overview", "proactive", "on_request", "review_litigation", "problems", "other")

SYNTHETIC = """平潭县人民政府2012年政府信息公开工作年度报告
本报告由概述、主动公开政府信息情况、政府信息依申请公开工作情况、政府信息公开的收费及减免情况、因政府信息公开申请行政复议、提起行政诉讼的情况、政府信息公开工作存在的主要问题及改进情况和政府信息公开情况统计表共七个部分组成。
一、 概述
正文。
二、主动公开政府信息情况
（一）主动公开政府信息的数量
正文。
（二）主要做法。一是……；二是……。
三、收到和处理政府信息公开申请情况
（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | 申请人情况
一、本年新收政府信息公开申请数量 | 64 | 0 | 70
四、结转下年度继续办理 | 1 | 0 | 1
（三）不予公开 | 1.属于国家秘密 | 0
四、政府信息公开行政复议、行政诉讼情况
五、存在的主要问题及改进情况
六、其他需要报告的事项
"""


def test_synthetic_segments():
    s = segment(SYNTHETIC)
    titles = [(x.title, x.level, x.kind) for x in s.sections]
    assert titles == [
        ("", 1, "intro"),
        ("一、概述", 1, "overview"),
        ("二、主动公开政府信息情况", 1, "proactive"),
        ("（一）主动公开政府信息的数量", 2, "proactive"),
        ("（二）主要做法", 2, None),
        ("三、收到和处理政府信息公开申请情况", 1, "on_request"),
        ("四、政府信息公开行政复议、行政诉讼情况", 1, "review_litigation"),
        ("五、存在的主要问题及改进情况", 1, "problems"),
        ("六、其他需要报告的事项", 1, "other"),
    ]
    for sec in s.sections[1:]:
        assert SYNTHETIC[sec.start :].startswith(sec.title[:2])
    ends = {x.title: x.end for x in s.sections}
    assert ends["二、主动公开政府信息情况"] == SYNTHETIC.index("三、收到")
    assert ends["六、其他需要报告的事项"] == len(SYNTHETIC)
    assert len(s.announced) == 7 and s.announced[4] == "因政府信息公开申请行政复议、提起行政诉讼的情况"
    a, b = s.announced_span
    assert SYNTHETIC[a:b].startswith("概述") and SYNTHETIC[a:b].endswith("统计表")


def test_layout_headings_are_indented_and_table_rows_are_not_headings():
    text = (
        "      洪泽区人民政府\n   一、总体情况\n   （一）主动公开情况。主要通过网站公开。\n"
        "     二、主动公开政府信息情况\n                  三、收到和处理政府信息公开申请情况\n"
        "一、本年新收政府信息公开申请数量                             21    0      0     21\n"
        "                  （三）不予公开\n"
        "四、结转下年度继续办理                            0    0   0   0\n"
        "     四、政府信息公开行政复议、行政诉讼情况\n"
    )
    s = segment(text)
    assert [x.title for x in s.sections] == [
        "", "一、总体情况", "（一）主动公开情况", "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
    ]
    assert text[s.sections[1].start :].startswith("一、总体情况")


@pytest.mark.parametrize(
    "sentence,items",
    [
        (
            "全文包括概述、主动公开政府信息情况、依申请公开政府信息情况、政府信息公开咨询处理情况,"
            "政府信息公开复议、诉讼情况,政府信息公开支出和收费,存在的主要问题和改进措施,并附相关指标统计表。",
            ("概述", "主动公开政府信息情况", "依申请公开政府信息情况", "政府信息公开咨询处理情况",
             "政府信息公开复议、诉讼情况", "政府信息公开支出和收费", "存在的主要问题和改进措施", "相关指标统计表"),
        ),
        (
            "本报告共分6个部分：总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
            "政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项。",
            ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况",
             "政府信息公开行政复议和行政诉讼情况", "存在的主要问题及改进情况", "其他需要报告的事项"),
        ),
        ("本报告根据《条例》编制。", ()),
    ],
    ids=["pingjiang-2017", "six-parts-colon", "none"],
)
def test_announced(sentence, items):
    assert find_announced(sentence)[0] == items


@pytest.mark.parametrize(
    "title,kind",
    [
        ("三、依申请公开、不予公开及咨询政府信息情况", "on_request"),
        ("五、因政府信息公开申请行政复议、提起行政诉讼的情况", "review_litigation"),
        ("四、政府信息公开的收费及减免情况", "fees"),
        ("六、平潭综合实验区政府信息公开情况统计表", "table"),
        ("四、政府信息公开行政法复议、行政诉讼情况", "review_litigation"),
        ("五、存在的主要问题及整改措施", "problems"),
        ("一、概述", "overview"),
    ],
)
def test_kind_of(title, kind):
    assert kind_of(title) == kind


def test_every_corpus_report_has_sections(corpus_report, corpus_manifest):
    doc = read_document(corpus_report.read_bytes(), corpus_report.name)
    s = segment(doc.text)
    level1 = [x for x in s.sections if x.level == 1 and x.kind != "intro"]
    assert len(level1) >= 4
    for x in s.sections:
        assert 0 <= x.start < x.end <= len(doc.text)
        assert " | " not in doc.text[x.start : x.start + len(x.title) + 5].split("\n")[0]
    if corpus_manifest[f"reports/{corpus_report.name}"]["template"] in ("2021", "2019trial"):
        assert tuple(x.kind for x in level1) == MANDATORY_2021
        assert [x.title[:2] for x in level1] == ["一、", "二、", "三、", "四、", "五、", "六、"]


def test_pdf_route_has_the_2021_sections(corpus_pdf):
    doc = read_document(corpus_pdf.read_bytes(), corpus_pdf.name)
    level1 = [x for x in segment(doc.text).sections if x.level == 1 and x.kind != "intro"]
    assert tuple(x.kind for x in level1) == MANDATORY_2021


def test_config_is_valid():
    rules = load_rules()
    assert rules.version >= 1 and rules.headings and rules.kinds


def test_bad_config_names_file_line_and_id(tmp_path: Path):
    bad = tmp_path / "sections.yaml"
    bad.write_text(
        "version: 1\nheadings:\n  - id: h.bad\n    level: 1\n    pattern: '(unclosed'\n"
        "not_headings: []\nkinds: []\nannounce: []\nannounce_separators: '、'\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"sections\.yaml:3: id 'h\.bad'"):
        load_rules(bad)
    missing = tmp_path / "missing.yaml"
    missing.write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="missing keys"):
        load_rules(missing)


def test_doctests():
    import doctest

    import extractors.sections

    result = doctest.testmod(extractors.sections)
    assert result.failed == 0 and result.attempted > 0


def test_seed_report_announces_a_section_it_lacks(corpus_dir):
    """DOMAIN.md worked example: the 2017 平江县民政局 introduction promises a 咨询处理 part
    that the body does not have."""
    text = read_document((corpus_dir / "reports" / "2017_pingjiang_mzj.txt").read_bytes()).text
    s = segment(text)
    announced = {kind_of(item) for item in s.announced}
    present = {x.kind for x in s.sections}
    assert announced - present == {"consulting"}
    a, b = s.announced_span
    assert text[a:b].startswith("概述") and "咨询处理" in text[a:b]


def test_an_announced_part_wrapped_over_two_printed_lines_is_one_part():
    """Regression (a PDF rendering variant): the PDF's line break inside "咨询" split the
    announced part, so its kind was lost and STRUCT.ANNOUNCED went missing."""
    sentence = ("全文包括概述、主动公开政府信息情况、依申请公开政府信息情况、政府信息公开咨\n"
                "询处理情况,存在的主要问题和改进措施,并附相关指标统计表。")
    items = find_announced(sentence)[0]
    assert "政府信息公开咨询处理情况" in items
    assert kind_of("政府信息公开咨询处理情况") == "consulting"
