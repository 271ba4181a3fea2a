"""extractors.claims (and the pattern files it reads): sentences from DOMAIN.md's worked
examples, the real corpus, bad input, and the hand-annotated gold claims."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from extractors.claims import MAX_FIGURES_PER_SENTENCE, extract_claims
from extractors.errors import ConfigError
from extractors.patterns import PATTERN_DIR, load_all, load_figures, load_statements

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "corpus" / "gold" / "claims"


def _template(manifest: dict, path: Path) -> str | None:
    return manifest.get(f"{path.parent.name}/{path.name}", {}).get("template")

# (sentence, template, expected fields of the claim whose text is `match`)
CLAIM_CASES = [
    # 2017 平江县民政局 (the seed)
    ("网站点击量3500余人次，", "pre2019", "网站点击量3500余人次",
     {"kind": "figure", "value": 3500, "low": 3500, "high": None, "unit": "人次", "qualifier": "余",
      "metric": None, "verifiable": False, "phrase": "网站点击量"}),
    ("撰写调研文章11篇。", "pre2019", "撰写调研文章11篇",
     {"kind": "figure", "value": 11, "unit": "篇", "metric": None, "verifiable": False}),
    ("回复 100%，", "pre2019", "回复 100%", {"kind": "rate", "value": 100, "unit": "%"}),
    ("全年主动公开政府信息1136条。", "pre2019", "主动公开政府信息1136条",
     {"kind": "figure", "value": 1136, "unit": "条", "metric": "p.proactive.total", "verifiable": True}),
    # 2019 上海市人民政府办公厅
    ("共受理政府信息公开申请859件，申请数量较去年回落12.3%；", "2019trial", "受理政府信息公开申请859件",
     {"kind": "figure", "value": 859, "metric": "t3.new", "alternatives": ("t3.new+t3.carried_over",)}),
    ("共受理政府信息公开申请859件，申请数量较去年回落12.3%；", "2019trial", "申请数量较去年回落12.3%",
     {"kind": "change", "value": 12.3, "unit": "%", "direction": "down"}),
    ("予以公开及部分公开258件，占33.9%；", "2019trial", "予以公开及部分公开258件",
     {"kind": "figure", "value": 258, "unit": "件", "metric": "t3.granted+t3.partial"}),
    ("予以公开及部分公开258件，占33.9%；", "2019trial", "占33.9%",
     {"kind": "rate", "value": 33.9, "unit": "%", "phrase": "予以公开及部分公开"}),
    ("因本机关不掌握等原因无法提供265件，占32.9%；", "2019trial", "无法提供265件",
     {"metric": "t3.unable.not_held+t3.unable.need_create+t3.unable.unclear", "value": 265}),
    ("信息公开类行政复议7件，诉讼9件，均获维持。", "2019trial", "行政复议7件",
     {"metric": "t4.review", "value": 7}),
    ("信息公开类行政复议7件，诉讼9件，均获维持。", "2019trial", "诉讼9件",
     {"metric": "t4.litigation_direct+t4.litigation_after_review", "value": 9}),
    ("依申请公开方面，收到申请21件。", "pre2019", "收到申请21件", {"metric": "p.apply.received", "value": 21}),
    ("依申请公开方面，收到申请21件。", "2021", "收到申请21件", {"metric": "t3.new", "alternatives": ("t3.new+t3.carried_over",)}),
    # generic wording in a sentence about administrative approvals is not a disclosure request
    ("区县已入驻审批服务部门13个，共受理申请121510件。", "pre2019", "受理申请121510件", {"metric": None}),
    # documents in force are 表二's 现行有效件数 (compared softly: PROSE.IN_FORCE)
    ("集中公开现行有效行政规范性文件698件。", "2021", "现行有效行政规范性文件698件", {"metric": "t2.normative@in_force"}),
    ("截至年底，本机关现行有效规章5件。", "2021", "现行有效规章5件", {"metric": "t2.rules@in_force"}),
    ("集中公开现行有效行政规范性文件698件。", "2019trial", "集中公开现行有效行政规范性文件698件", {"metric": None}),
    ("较上年增加3件。", "2021", "较上年增加3件", {"kind": "change", "value": 3, "direction": "up", "unit": "件"}),
    ("差评数占评价量总数的0.34%。", "2019trial", "差评数占评价量总数的0.34%",
     {"kind": "rate", "base": "评价量总数", "phrase": "差评数"}),
    ("播放量超2300万。", "2019trial", "播放量超2300万",
     {"kind": "figure", "value": 23000000, "low": 23000000, "high": None, "unit": None}),
    # the kind of reply before 答复 names the metric, not the 答复 total
    ("本年度共收到政府信息公开申请12件，同意公开答复9件，部分公开答复2件，不予公开答复1件。", "2021",
     "同意公开答复9件", {"metric": "t3.granted", "value": 9}),
    ("本年度共收到政府信息公开申请12件，同意公开答复9件，部分公开答复2件，不予公开答复1件。", "2021",
     "部分公开答复2件", {"metric": "t3.partial"}),
    ("全年共答复申请15件，其中同意公开答复10件，不同意公开答复5件。", "pre2019", "同意公开答复10件",
     {"metric": "p.reply.granted"}),
    ("全年共答复申请15件，其中同意公开答复10件，不同意公开答复5件。", "pre2019", "不同意公开答复5件",
     {"metric": "p.reply.denied"}),
    # a qualifier before a generic noun decides: 上年结转 + 政府信息公开申请 is not 本年新收
    ("本年度，本机关新收政府信息公开申请13件，上年结转政府信息公开申请2件。", "2021",
     "上年结转政府信息公开申请2件", {"metric": "t3.carried_over"}),
    ("本年度，本机关新收政府信息公开申请13件，上年结转政府信息公开申请2件。", "2021",
     "新收政府信息公开申请13件", {"metric": "t3.new", "alternatives": ()}),
    # a number before its noun: 份 of 行政复议申请
    ("本年度共收到1份行政复议申请，已依法办结。", "2021", "共收到1份", {"metric": "t4.review", "unit": "份", "value": 1}),
    ("2013年全区未收到有关政府信息公开的申请，收到1份有关政府信息公开行政复议申请已及时处理。", "pre2019",
     "收到1份", {"metric": "p.review.total"}),
    ("本年度我局收到行政复议申请2件。", "2021", "行政复议申请2件", {"metric": "t4.review"}),
    # wording of other bodies (corpus/openings)
    ("今年,受理政府信息公开申请1350件,在法定期限内答复1292件(结转到2026年58件)。", "2021",
     "结转到2026年58件", {"metric": "t3.carry_forward"}),  # a year inside the phrase
    ("2024年,我办共收到公开政府信息申请1件,已全部答复。", "2021", "公开政府信息申请1件",
     {"metric": "t3.new"}),  # the leftmost phrase whose record fits (收到 needs 申请 next)
    ("区政府办公室共收到政府信息公开申请41件(含上年度结转3件)。", "2021", "收到政府信息公开申请41件",
     {"metric": "t3.new+t3.carried_over", "alternatives": ()}),  # a note after the number
    ("吉林人防门户网站主动公开各类政府信息211条。", "pre2019", "人防门户网站主动公开各类政府信息211条",
     {"metric": None, "alternatives": ("p.proactive.total",)}),  # total or website
    ("《条例》颁布实施以来,累计主动公开政府信息2841340条。", "pre2019", "主动公开政府信息2841340条",
     {"metric": None}),  # since a start long past
    ("共收到公开申请32件,予以公开及部分公开28宗,不予公开2宗。", "2021", "予以公开及部分公开28宗",
     {"metric": "t3.granted+t3.partial"}),
    ("共收到公开申请32件,予以公开及部分公开28宗,不予公开2宗。", "2021", "公开申请32件", {"metric": "t3.new"}),
    ("2021年,收到和办理依申请公开68件。", "2021", "收到和办理依申请公开68件", {"metric": "t3.new"}),
    ("全区共办结政府信息依申请公开733件。", "2021", "办结政府信息依申请公开733件", {"metric": "t3.total"}),
    ("其他处理76件,转接下年度办理45件。", "2021", "转接下年度办理45件", {"metric": "t3.carry_forward"}),
    ("其他处理76件,转接下年度办理45件。", "2021", "其他处理76件",
     {"metric": "t3.other.no_correction+t3.other.no_fee+t3.other.other", "alternatives": ("t3.other",)}),
    ("因依申请公开引发的行政复议案件10件,行政诉讼案件1件。", "2021", "行政复议案件10件", {"metric": "t4.review"}),
    ("“邢台政务”微博、微信发布信息4304条,129.2万人次浏览信息。", "2021", "129.2万人次",
     {"value": 1292000, "unit": "人次"}),  # after a comma folded to ASCII
    ("编制印发《兴庆区人民政府公报》4期共800本。", "2021", "800本", {"value": 800, "unit": "本"}),
    ("全区街道以及社区级政府信息查阅场所共257个。", "pre2019", "政府信息查阅场所共257个",
     {"metric": "p.org.reading_points"}),
    ("全年举办综合性及专题性培训6场。", "pre2019", "培训6场", {"metric": "p.meeting.trainings"}),
    # a plan is no count of the year
    ("将加强对工作人员的业务培训，2019年计划举办专题培训不少于3次。", "pre2019", "计划举办专题培训不少于3次",
     {"metric": None, "alternatives": ("p.meeting.trainings",)}),
]

# (sentence, template, statement text, implied metrics)
STATEMENT_CASES = [
    ("现在从事政府信息公开工作的人员均为兼职。", "pre2019", "人员均为兼职", ["p.org.staff_fulltime"]),
    ("平江县民政局2017年度无依申请公开政府信息办理情况。", "pre2019", "无依申请公开", ["p.apply.received"]),
    ("平江县民政局2017年度无依申请公开政府信息办理情况。", "2021", "无依申请公开", ["t3.new"]),
    ("目前平江县民政局无涉及公开收费项目。", "pre2019", "无涉及公开收费", ["p.fees"]),
    ("平江县民政局无申请行政复议和提起行政诉讼的情况。", "pre2019", "无申请行政复议和提起行政诉讼",
     ["p.review.total", "p.litigation.total"]),
    ("信息公开类行政复议7件，诉讼9件，均获维持。", "2019trial", "均获维持",
     ["t4.review@corrected", "t4.review@other", "t4.review@pending",
      "t4.litigation_direct@corrected", "t4.litigation_direct@other", "t4.litigation_direct@pending",
      "t4.litigation_after_review@corrected", "t4.litigation_after_review@other",
      "t4.litigation_after_review@pending"]),
    ("行政复议2件，均维持。", "pre2019", "均维持", ["p.review.corrected", "p.review.other"]),
    # every request finished: nothing carried forward to next year
    ("本年度共收到政府信息公开申请12件，所有申请均已办理完成。", "2021", "所有申请均已办理完成", ["t3.carry_forward"]),
    ("本年度共受理依申请公开12件，均已按时办结。", "2021", "均已按时办结", ["t3.carry_forward"]),
    ("本年度受理政府信息公开申请8件，申请已全部办结。", "2021", "申请已全部办结", ["t3.carry_forward"]),
]


def test_all_completed_while_carried_forward_is_a_finding() -> None:
    from extractors.crosscheck import cross_check
    from extractors.models import Cell, Table

    def cell(key: str, value: int) -> Cell:
        return Cell(key=key, label=key, column="total", value=value, raw=str(value),
                    state="number" if value else "zero")

    claims = extract_claims("本年度共收到政府信息公开申请12件，所有申请均已办理完成。", template="2021")
    carried = Table(template="2021", cells=(cell("t3.new", 12), cell("t3.carried_over", 0), cell("t3.total", 10),
                                            cell("t3.carry_forward", 2)))
    # the table holds only four of 表三's cells: its own identities are not_assessable (cells
    # not read), the prose statement is contradicted by a printed cell alone
    prose = lambda findings: [(f.code, f.status) for f in findings if f.code.startswith("PROSE.")]  # noqa: E731
    found = cross_check(carried, claims)
    assert prose(found) == [("PROSE.STATEMENT", "fail")]
    assert all(f.status == "not_assessable" for f in found if not f.code.startswith("PROSE."))
    done = Table(template="2021", cells=(cell("t3.new", 12), cell("t3.carried_over", 0), cell("t3.total", 12),
                                         cell("t3.carry_forward", 0)))
    assert prose(cross_check(done, claims)) == []


@pytest.mark.parametrize("sentence", [
    "本年度受理政府信息公开申请8件，除2件结转下年度办理外，其余申请均已办结。",  # a stated exception
    "本年度共受理政务服务申请5000件，均已按时办结。",  # not disclosure requests
])
def test_not_an_all_completed_statement(sentence: str) -> None:
    implied = [i["metric"] for c in extract_claims(sentence, template="2021") for i in c.implies]
    assert "t3.carry_forward" not in implied


def _check_offsets(text: str, claims) -> None:
    for c in claims:
        assert text[c.start:c.end] == c.text, c
        if c.sentence:
            assert c.sentence[0] <= c.start and c.end <= c.sentence[1]


@pytest.mark.parametrize("sentence,template,match,fields", CLAIM_CASES,
                         ids=[f"{c[2]}-{c[1]}" for c in CLAIM_CASES])
def test_claim_cases(sentence: str, template: str, match: str, fields: dict) -> None:
    claims = extract_claims(sentence, template=template)
    _check_offsets(sentence, claims)
    found = [c for c in claims if c.text == match]
    assert found, [c.text for c in claims]
    for key, value in fields.items():
        assert getattr(found[0], key) == value, (key, found[0])


@pytest.mark.parametrize("sentence,template,match,metrics", STATEMENT_CASES,
                         ids=[f"{c[2]}-{c[1]}" for c in STATEMENT_CASES])
def test_statement_cases(sentence: str, template: str, match: str, metrics: list[str]) -> None:
    claims = [c for c in extract_claims(sentence, template=template) if c.kind == "statement"]
    (st,) = [c for c in claims if c.text == match]
    assert [i["metric"] for i in st.implies] == metrics
    assert all(i["op"] == "==" and i["value"] == 0 for i in st.implies)
    assert st.pattern and "@" in st.pattern


def test_enumeration_with_parts() -> None:
    text = "全年共公布2602条(其中政策文件82条、工作动态80条、通知公告100条)。"
    (enum,) = [c for c in extract_claims(text) if c.kind == "enumeration"]
    assert (enum.value, enum.unit) == (2602, "条")
    assert [(p["phrase"], p["value"]) for p in enum.parts] == [("政策文件", 82), ("工作动态", 80), ("通知公告", 100)]
    assert text[enum.start:enum.end] == enum.text and enum.text.endswith(")")


def test_enumeration_parts_get_column_keys() -> None:
    # pdftotext -layout wraps lines mid-sentence (2024_huaian_shizf)
    text = "2024 年，全市共办理政府信息公开行政复议 351\n件，其中结果维持 72 件，结果纠正 64 件，其他结果 178 件，尚\n未审结 37 件。"
    claims = extract_claims(text, template="2021")
    by_value = {c.value: c.metric for c in claims if c.kind == "figure"}
    assert by_value == {351: "t4.review", 72: "t4.review@upheld", 64: "t4.review@corrected",
                        178: "t4.review@other", 37: "t4.review@pending"}


def test_part_after_qizhong_is_not_the_total() -> None:
    text = "2012年主动公开政府信息1913条。其中，区直各单位主动公开政府信息1397条，占73%。"
    metrics = {c.value: c.metric for c in extract_claims(text, template="pre2019") if c.kind == "figure"}
    assert metrics == {1913: "p.proactive.total", 1397: None}


@pytest.mark.parametrize("sentence", [
    "本报告由六部分组成，分别是总体情况、主动公开政府信息情况等。",  # the report's own structure
    "报告全文分为三个部分。",
    # the count of the sections listed just before it
    "本报告包括总体情况、主动公开政府信息情况、存在的主要问题及改进情况、其他需要报告的事项四个方面。",
    "全区常住人口52.3万人，地区生产总值达350亿元，辖区面积为371平方公里。",  # not disclosure work
    "紧紧围绕“四个聚焦”，开展五个专项治理，全面落实行政执法三项制度。",  # slogans
    "认真学习贯彻党的二十大和区委十三届四次全会精神。",  # session numbering
    # administrative-service reform, not disclosure work (and the figures of the same account)
    "精简需市场主体提供的申请材料16项,成品油零售经营资格审批流程由原来的11条精简为5条,总简化率超过50%。",
    "受理各类服务事项144350件,办结率100%。",
    "全部依法依规按时答复,没有出现一起投诉、复议和诉讼案件。",  # 一 as an article
])
def test_not_figures(sentence: str) -> None:
    assert [c.text for c in extract_claims(sentence, template="2021") if c.kind != "statement"] == []


def test_disclosure_of_service_work_stays_a_figure() -> None:
    text = "受理各类服务事项144350件,办结率100%,收到政府信息公开申请5件;公开政务服务事项清单123项。"
    got = {c.value: c.metric for c in extract_claims(text, template="2021") if c.kind == "figure"}
    assert got == {5: "t3.new", 123: None}


def test_hedged_magnitudes_are_figures() -> None:
    text = "全年公开各类数据20余万条，政务微博年发布信息达千条。"
    got = {c.text: (c.value, c.low, c.high) for c in extract_claims(text, template="2021")}
    assert got == {"公开各类数据20余万条": (200000, 200000, None), "政务微博年发布信息达千条": (1000, 1000, None)}


def test_listed_item_that_is_not_a_part_is_not_summed() -> None:
    text = "全年共接受政务公开咨询320人次，其中电话咨询200人次、现场咨询120人次，政务公开专栏访问量85人次。"
    (enum,) = [c for c in extract_claims(text, template="2021") if c.kind == "enumeration"]
    assert [p["phrase"] for p in enum.parts] == ["电话咨询", "现场咨询"]
    assert not enum.text.endswith("85人次")
    # a listed item larger than the total is no part of it either
    text = "共接受咨询320人次，其中电话咨询200人次，现场咨询100人次，网站访问量12000人次。"
    (enum,) = [c for c in extract_claims(text, template="2021") if c.kind == "enumeration"]
    assert [p["value"] for p in enum.parts] == [200, 100]


def test_catch_all_part_stays_in_the_list() -> None:
    text = "全年共公开政府信息90条，其中政策文件信息40条、工作动态信息30条、其他类20条。"
    (enum,) = [c for c in extract_claims(text, template="2021") if c.kind == "enumeration"]
    assert [p["value"] for p in enum.parts] == [40, 30, 20]


def test_phrase_matched_across_a_line_break_inside_a_sentence() -> None:
    # an HTML page whose converter broke a paragraph mid-sentence (not a wrapped PDF layout)
    text = ("一、总体情况\n本年度新收政府信息公开申请13件，上年结转政府信息公开\n申请2件。\n"
            "二、主动公开政府信息情况\n本年度主动公开政府信息1136条。\n")
    claims = extract_claims(text, template="2021")
    _check_offsets(text, claims)
    metrics = {c.value: c.metric for c in claims if c.kind == "figure"}
    assert metrics == {13: "t3.new", 2: "t3.carried_over", 1136: None}


def test_headings_are_not_joined_to_the_next_line() -> None:
    text = "一、总体情况\n本年度新收政府信息公开申请13件。\n（二）依申请公开\n收到申请5件。"
    sentences = {c.sentence for c in extract_claims(text, template="2021")}
    assert all("情况" not in text[s:e] and "（二）" not in text[s:e] for s, e in sentences)


def test_prose_line_ending_in_a_stray_pipe_is_prose() -> None:
    # a converter's rendering ends a paragraph with " |"; the row labels below stay table lines
    text = ("本年度，本机关共收到政府信息公开申请12件，均已在法定期限内答复。 |\n"
            "行政复议数量 |\n件 |\n7 |\n（一）予以公开 | 5\n")
    claims = extract_claims(text, template="2021")
    assert [(c.value, c.metric) for c in claims if c.kind == "figure"] == [(12, "t3.new")]


def test_a_word_unit_is_no_unit_before_its_word() -> None:
    text = "来源:区人民政府办公室 时间:2017-01-12 10:43\n\n本报告根据《条例》编制。"
    assert [c.unit for c in extract_claims(text, template="2021") if c.kind == "figure"] in ([], [None])


def test_prose_without_a_table_reads_the_template_of_its_year() -> None:
    from extractors.pipeline import analyse_text

    # "主动公开信息数" in prose is a pre-2019 table signature, but the report is of 2022
    text = "某乡人民政府2022年政府信息公开工作年度报告\n一、总体情况\n2022年,我乡主动公开信息数为206条,收到政府信息公开申请3件。\n"
    record = analyse_text(text, use_ner=False)
    assert {c["value"]: c["metric"] for c in record["claims"] if c["kind"] == "figure"} == {206: None, 3: "t3.new"}


def test_table_lines_are_skipped() -> None:
    text = "收到申请数 | 件 | 21\n行政复议数量 |\n件 |\n7 |\n受理申请5件。"
    claims = extract_claims(text, template="pre2019")
    assert [c.value for c in claims] == [5]


@pytest.mark.xfail(strict=True, reason="number before its noun ('另有72件申请…顺延到下年度') is not mapped")
def test_known_miss_number_before_noun() -> None:
    text = "另有72件申请按照《条例》顺延到下年度答复。"
    (c,) = extract_claims(text, template="2019trial")
    assert c.metric == "t3.carry_forward"


def test_qizhong_part_of_a_non_table_total_keeps_its_own_metric() -> None:
    text = "2011年制作、获取政府信息总数1873条，其中主动公开政府信息425条。"
    metrics = {c.value: c.metric for c in extract_claims(text, template="pre2019")}
    assert metrics[425] == "p.proactive.total"


# --- bad input -------------------------------------------------------------------------

def test_no_punctuation() -> None:
    text = "主动公开政府信息1136条网站点击量3500余人次回复率100%无依申请公开"
    claims = extract_claims(text, template="pre2019")
    _check_offsets(text, claims)
    assert {c.kind for c in claims} == {"figure", "rate", "statement"}


def test_traditional_characters() -> None:
    text = "主動公開政府資訊1136條，受理申請21件，網站點擊量3500餘人次。"
    claims = extract_claims(text, template="pre2019")
    _check_offsets(text, claims)
    assert 21 in [c.value for c in claims]  # 件 is the same in both scripts


def test_numbers_split_by_line_breaks() -> None:
    # wrapped as pdftotext -layout wraps: long lines that end mid-sentence are rejoined
    text = ("2024 年，区政府办代表区政府受理政府\n信息公开申请 17 件，均已在法定期限内予以答复。全年发布信息 1\n"
            "234 条，按规定公开了本年度召开的区政府常务会议 7\n期。\n")
    claims = extract_claims(text, template="2021")
    _check_offsets(text, claims)
    values = {c.value: c for c in claims if c.kind == "figure"}
    assert values[17].metric == "t3.new" and 1234 in values and values[7].unit == "期"


def test_five_megabyte_paragraph() -> None:
    unit = "全年主动公开政府信息1136条，网站点击量3500余人次，回复率100%，较上年增加3件，均获维持，"
    text = (unit * (5_000_000 // len(unit) + 1))[:5_000_000]
    start = time.perf_counter()
    claims = extract_claims(text, template="pre2019")
    elapsed = time.perf_counter() - start
    print(f"5 MB single paragraph: {len(claims)} claims in {elapsed:.1f} s")
    # one sentence (no 。): its first MAX_FIGURES_PER_SENTENCE numbers are read, the rest
    # is a dump, not prose (the pipeline flags it sentence_figures_capped)
    figures = [c for c in claims if c.start < 1000]
    assert figures and len([c for c in claims if c.kind != "statement"]) <= MAX_FIGURES_PER_SENTENCE + 20
    assert elapsed < 240
    _check_offsets(text, claims)


# --- real corpus -----------------------------------------------------------------------

def test_corpus_report(corpus_report: Path, corpus_manifest: dict) -> None:
    text = corpus_report.read_text(encoding="utf-8")
    claims = extract_claims(text, template=_template(corpus_manifest, corpus_report))
    _check_offsets(text, claims)
    assert all(c.pattern and "@" in c.pattern for c in claims)
    assert claims, "every real report states some figure"


def _locate(text: str, quote: str, nth: int = 0) -> tuple[int, int]:
    pos = -1
    for _ in range(nth + 1):
        pos = text.find(quote, pos + 1)
    assert pos >= 0, quote
    return pos, pos + len(quote)


def test_gold_figures_recall_and_precision(corpus_dir: Path, corpus_manifest: dict) -> None:
    files = sorted(GOLD.glob("*.json"))
    if not files:
        pytest.skip("corpus/gold/claims has no gold files yet")
    hit = total = matched = found = 0
    for path in files:
        gold = json.loads(path.read_text(encoding="utf-8"))
        text = (corpus_dir / gold["file"]).read_text(encoding="utf-8")
        template = _template(corpus_manifest, corpus_dir / gold["file"])
        claims = [c for c in extract_claims(text, template=template) if c.kind != "statement"]
        spans = [(_locate(text, g["quote"], g.get("nth", 0)), g) for g in gold["figures"]]

        def same(span, g, c) -> bool:
            return (span[0] < c.end and c.start < span[1] and c.value is not None and g["value"] is not None
                    and abs(c.value - g["value"]) <= 0.005 * max(abs(g["value"]), 1) and c.unit == g["unit"])

        hit += sum(any(same(s, g, c) for c in claims) for s, g in spans)
        matched += sum(any(same(s, g, c) for s, g in spans) for c in claims)
        total, found = total + len(spans), found + len(claims)
    print(f"gold figures: recall {hit}/{total}, precision {matched}/{found}")
    assert hit / total >= 0.9 and matched / found >= 0.9


# --- pattern files ---------------------------------------------------------------------

def test_pattern_files_validate() -> None:
    load_all()
    ids = [r["id"] for r in load_figures()] + [r["id"] for r in load_statements()]
    assert len(ids) == len(set(ids))


def _copy_patterns(tmp_path: Path) -> Path:
    target = tmp_path / "patterns"
    shutil.copytree(PATTERN_DIR, target)
    return target


def _append(path: Path, record: dict) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


@pytest.mark.parametrize("record,message", [
    ({"id": "fig.x", "version": 1, "phrases": ["x"], "units": ["件"], "metric": {"other": "t3.new"}, "colour": 1},
     "unknown keys ['colour']"),
    ({"id": "fig.proactive.total", "version": 1, "phrases": ["x"], "units": ["件"], "metric": {"other": "t3.new"}},
     "unique"),
    ({"id": "fig.y", "version": 1, "phrases": ["x"], "units": ["件"], "metric": {"other": "t9.nothing"}},
     "bad metric reference"),
    ({"id": "fig.z", "version": 1, "phrases": ["x"], "units": ["斤"], "metric": {"other": "t3.new"}},
     "not in lexicon.yaml units"),
], ids=["unknown-key", "duplicate-id", "bad-metric", "unknown-unit"])
def test_bad_figure_pattern_names_file_line_id(tmp_path: Path, record: dict, message: str) -> None:
    folder = _copy_patterns(tmp_path)
    line = _append(folder / "figures.jsonl", record)
    with pytest.raises(ConfigError) as err:
        load_figures(folder)
    assert f"figures.jsonl:{line}" in str(err.value) and record["id"] in str(err.value) and message in str(err.value)


def test_bad_statement_regex(tmp_path: Path) -> None:
    folder = _copy_patterns(tmp_path)
    line = _append(folder / "statements.jsonl", {"id": "st.bad", "version": 1, "regex": "(", "implies": {}})
    with pytest.raises(ConfigError, match=rf"statements.jsonl:{line}: pattern st.bad: bad regex"):
        load_statements(folder)


# --- extractors.nlp (tokens for the indexed token array and shingles) -------------------

def test_nlp_is_lazy_and_uses_the_user_dictionary() -> None:
    import subprocess
    import sys

    code = "import sys, extractors.nlp, extractors.claims; print('spacy' in sys.modules, 'jieba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False"]  # nothing heavy is built at import

    from extractors.nlp import get_nlp, tokens

    assert "依申请公开" in tokens("平江县民政局2017年度无依申请公开政府信息")
    assert "行政规范性文件" in tokens("本年制发行政规范性文件3件")
    assert get_nlp() is get_nlp()
    assert [t.text for t in get_nlp()("受理依申请公开21件")][:2] == ["受理", "依申请公开"]
    assert tokens("  \n") == []


def test_a_sub_unit_figure_only_bounds_the_body_total() -> None:
    sentence = "2011年区管委会、县政府公开办主动公开信息数为62条。"
    [claim] = [c for c in extract_claims(sentence, template="pre2019", body="平潭综合实验区")
               if c.value == 62]
    assert claim.metric is None and not claim.verifiable
    assert claim.implies == ({"metric": "p.proactive.total", "op": ">=", "value": 62.0},)
    own = "平江县民政局主动公开政府信息128条。"
    [mine] = [c for c in extract_claims(own, template="pre2019", body="平江县民政局") if c.value == 128]
    assert mine.metric == "p.proactive.total"
