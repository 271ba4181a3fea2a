"""metadata.extract_metadata: year for every real report equals the manifest; title, body,
region, level and publication date on printed forms seen in the corpus."""
from __future__ import annotations

import pytest

from extractors.metadata import extract_metadata, load_patterns, load_places, place_of
from extractors.reader import read_document
from extractors.sections import segment


def _meta(text: str, hint: str | None = None, source: str | None = None):
    return extract_metadata(text, segment(text), title_hint=hint, source=source)


def test_year_matches_manifest(corpus_document, corpus_manifest):
    doc = read_document(corpus_document.read_bytes(), corpus_document.name)
    meta = _meta(doc.text, doc.title_hint, str(corpus_document))
    row = corpus_manifest[f"{corpus_document.parent.name}/{corpus_document.name}"]
    assert meta.year == int(row["year"])
    assert meta.template == "unknown"


def test_titled_corpus_reports_have_a_body(corpus_document):
    doc = read_document(corpus_document.read_bytes(), corpus_document.name)
    meta = _meta(doc.text, doc.title_hint)
    if meta.title:
        assert meta.body and meta.body in meta.title and str(meta.year) in meta.title


TITLE_CASES = [
    # (first lines as printed, title, body, region, level)
    ("平潭县人民政府\n2012年政府信息公开工作年度报告\n本报告…", "平潭县人民政府2012年政府信息公开工作年度报告",
     "平潭县人民政府", "平潭县", "county"),
    ("平潭综合实验区地方税务局2013年\n信息公开年度报告\n根据…", "平潭综合实验区地方税务局2013年信息公开年度报告",
     "平潭综合实验区地方税务局", "平潭综合实验区", "department"),
    ("2019年上海市人民政府办公厅政府信息公开工作年度报告\n发布日期：2020-01-31\n",
     "2019年上海市人民政府办公厅政府信息公开工作年度报告", "上海市人民政府办公厅", "上海市", "department"),
    ("          淮安市人民政府\n     2024 年政府信息公开工作年度报告\n", "淮安市人民政府2024年政府信息公开工作年度报告",
     "淮安市人民政府", "淮安市", "city"),
    ("# 沐阳县人民政府 2025 年 政府信息公开工作年度报告\n\n沐阳县人民政府\n", "沐阳县人民政府2025年政府信息公开工作年度报告",
     "沐阳县人民政府", "沐阳县", "county"),
    ("平潭综合实验区2021年度政府信息公开工作年度报告\n", "平潭综合实验区2021年度政府信息公开工作年度报告",
     "平潭综合实验区", "平潭综合实验区", None),
    # page furniture above the title: a breadcrumb, a cited title in 《》
    ("首页 > 信息公开 > 年度报告\n《北京市东城区2012年政府信息公开工作年度报告》\n",
     "北京市东城区2012年政府信息公开工作年度报告", "北京市东城区人民政府", "北京市东城区", "district"),
    ("首页 > 政务公开 > 北京市东城区2012年政府信息公开工作年度报告\n",
     "北京市东城区2012年政府信息公开工作年度报告", "北京市东城区人民政府", "北京市东城区", "district"),
    # a place alone names its government; a zone has none
    ("天津市2020年政府信息公开工作年度报告\n", "天津市2020年政府信息公开工作年度报告", "天津市人民政府", "天津市",
     "province"),
    # the year after the name; a label before it; a title run into the text below it
    ("洪山区人民政府信息公开工作年度报告(2023年度)\n", "洪山区人民政府信息公开工作年度报告(2023年度)",
     "洪山区人民政府", "洪山区", "district"),
    ("标  题 临沂市教育局2022年政府信息公开工作年度报告\n", "临沂市教育局2022年政府信息公开工作年度报告",
     "临沂市教育局", "临沂市", "department"),
    ("清水县人民政府2019年 政府信息公开工作年度报告 一、总体情况 2019年,清水县…\n",
     "清水县人民政府2019年政府信息公开工作年度报告", "清水县人民政府", "清水县", "county"),
    ("北京市东城区人民政府（以下简称区政府）2012年政府信息公开工作年度报告\n",
     "北京市东城区人民政府2012年政府信息公开工作年度报告", "北京市东城区人民政府", "北京市东城区", "district"),
    # a site name is no part of the title
    ("当前位置：首页 > 政务公开 > 年度报告\n某市人民政府门户网站\n2015年政府信息公开工作年度报告\n",
     "2015年政府信息公开工作年度报告", None, None, None),
]


@pytest.mark.parametrize("text,title,body,region,level", TITLE_CASES, ids=lambda v: v[:8] if isinstance(v, str) else v)
def test_title_body_region_level(text, title, body, region, level):
    meta = _meta(text + "\n一、总体情况\n正文。")
    assert (meta.title, meta.body, meta.region, meta.level) == (title, body, region, level)


@pytest.mark.parametrize(
    "body,region,level",
    [
        ("上海市人民政府", "上海市", "province"),
        ("福建省人民政府办公厅", "福建省", "department"),
        ("宿迁市沭阳县人民政府", "宿迁市沭阳县", "county"),
        ("沭阳县发展和改革局", "沭阳县", "department"),
        ("某县某某镇人民政府", "某县某某镇", "township"),
        ("国务院办公厅", None, "national"),
        ("平江县民政局", "平江县", "department"),
        ("平潭综合实验区管委会", "平潭综合实验区", None),
    ],
)
def test_place_of(body, region, level):
    assert place_of(body) == (region, level)


def test_no_title_uses_hint_then_text():
    text = "本报告根据《条例》编制。现将沐阳县人民政府2025年政府信息公开年度报告向社会公布。\n一、总体情况\n2025年，我县…"
    assert _meta(text).body == "沐阳县人民政府"
    hinted = _meta("一、总体情况\n2024年，本区…", hint="平潭综合实验区2024年度政府信息公开工作年度报告_政府信息公开年报_平潭")
    assert hinted.title == "平潭综合实验区2024年度政府信息公开工作年度报告" and hinted.year == 2024


@pytest.mark.parametrize(
    "text,source,year,published",
    [
        ("某县2011年政府信息公开工作年度报告\n一、概述\n正文\n二○一二年二月二十日", None, 2011, "2012-02-20"),
        ("某县2023年政府信息公开年度报告\n一、总体情况\n正文\n2024年1月17日", None, 2023, "2024-01-17"),
        ("2019年某办公厅政府信息公开工作年度报告\n发布日期：2020-01-31\n一、总体情况", None, 2019, "2020-01-31"),
        ("某县2013年政府信息公开工作年度报告\n一、概述\n统计期限自2013年1月1日",
         "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/201401/t20140122_80754.htm", 2013, "2014-01-22"),
        ("本报告所列数据统计期限自2024年1月1日至2024年12月31日。\n一、总体情况\n2024年1月1日", None, 2024, None),
        ("一、概述\n2017年,县民政局以…2018年中,紧紧围绕…", None, 2017, None),
        ("本年度报告中所列数据的统计期限自2008年5月1日起，至2018年12月31日止。\n一、概述\n2017年，全市…",
         None, 2018, None),
    ],
    ids=["cn-numeral-date", "date-line", "labelled", "gov-url", "period-start-is-not-publication", "first-mention",
         "period-end-wins"],
)
def test_year_and_published(text, source, year, published):
    meta = _meta(text, source=source)
    assert (meta.year, meta.published) == (year, published)


def test_config_files_load():
    assert load_places().suffixes and load_patterns()["year"]


def test_doctests():
    import doctest

    import extractors.metadata

    result = doctest.testmod(extractors.metadata)
    assert result.failed == 0 and result.attempted > 0


def test_body_from_compiler_as_last_resort():
    meta = _meta("本报告由淮安市洪泽区人民政府办公室根据《条例》要求编制。\n一、总体情况\n2023 年，…")
    assert (meta.body, meta.region, meta.level, meta.year) == ("淮安市洪泽区人民政府办公室", "淮安市洪泽区", "department", 2023)


def test_bad_regions_config_is_rejected(tmp_path):
    from extractors.errors import ConfigError

    bad = tmp_path / "regions.yaml"
    bad.write_text(
        "version: 1\nprovinces: []\nnot_in_place: []\nbody_kinds: []\nplace_suffixes:\n  - {id: ps.x, suffix: 县}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="needs id, suffix and level"):
        load_places(bad)


@pytest.mark.parametrize("text,body", [
    ("本报告由北京市东城区信息化工作办公室编制。全文包括概述、主动公开政府信息情况等。\n一、概述\n"
     "2012年，东城区人民政府认真贯彻落实《条例》…", "北京市东城区信息化工作办公室"),
    ("首页>>政务公开>>政府信息公开年报>>年度工作报告\n本报告是根据《中华人民共和国政府信息公开条例》"
     "（以下简称《条例》）要求，由北京市东城区人民政府办公室编制。\n一、概述\n", "北京市东城区人民政府办公室"),
    ("根据《条例》规定，现将《某市民政局2015年政府信息公开工作年度报告》向社会公布。\n一、概述\n", "某市民政局"),
], ids=["compiler-in-first-sentence", "breadcrumb-and-abbreviation", "cited-title"])
def test_body_from_the_first_sentence(text, body):
    meta = _meta(text)
    assert meta.body == body and meta.title is None


@pytest.mark.parametrize("text,title,body", [
    ("根据《条例》规定,现公布南昌市青山湖区人民政府2022年政府信息公开工作年度报告。本报告由六部分组成。\n一、总体情况\n",
     "南昌市青山湖区人民政府2022年政府信息公开工作年度报告", "南昌市青山湖区人民政府"),
    ("根据《条例》要求,现发布《银川市兴庆区人民政府2023年政府信息公开工作年度报告》,本报告统计数据从2023年1月1日至12月31日。\n一、总体情况\n",
     "银川市兴庆区人民政府2023年政府信息公开工作年度报告", "银川市兴庆区人民政府"),
    # a pronoun names no report and no body: the next rule reads the place's government
    ("一、总体情况\n2022年,河东乡政府信息公开工作在县委、县政府的正确领导下认真开展。现将我乡2022年度政府信息公开工作总体情况报告如下。\n",
     None, "河东乡人民政府"),
    # the government whose departments' reports this one sums up
    ("本报告根据《条例》以及2018年度青岛市政府各部门和各区、市政府的信息公开工作年度报告编制。\n一、概述\n",
     None, "青岛市人民政府"),
    # an abbreviation the text defines is written out
    ("自治区北部湾办2022年政府信息公开工作年度报告\n本年度报告根据《条例》要求,由广西壮族自治区北部湾经济区规划建设管理办公室"
     "(以下简称自治区北部湾办)编制。\n一、总体情况\n", "自治区北部湾办2022年政府信息公开工作年度报告",
     "广西壮族自治区北部湾经济区规划建设管理办公室"),
    # a place the prose leaves out is taken from a full mention, never from "2020年度" or "现将"
    ("为进一步巩固政务公开工作成果,特向制定2020年度县统计局信息公开年度报告。现将县统计局2020年政府信息公开工作报告如下,"
     "通过息烽县统计局电子政务网公开。\n一、总体情况\n", None, "息烽县统计局"),
], ids=["published-name", "published-cited", "pronoun-refused", "aggregated-departments", "abbreviation",
        "place-left-out"])
def test_title_and_body_from_the_first_sentences(text, title, body):
    meta = _meta(text)
    assert (meta.title, meta.body) == (title, body)


def test_leading_punctuation_is_no_part_of_a_body():
    meta = _meta("本报告由,海南省地震局编制。\n一、总体情况\n2024年,…")
    assert meta.body == "海南省地震局"
