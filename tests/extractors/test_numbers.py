"""extractors.numbers: parse_number and find_quantities on the edge cases of report prose."""
from __future__ import annotations

import doctest
import unicodedata

import pytest

from extractors import numbers
from extractors.numbers import Quantity, find_quantities, parse_number

# (printed, value) — parse_number
PARSE_CASES = [
    ("1136", 1136.0),
    ("33.9", 33.9),
    ("1,234", 1234.0),
    ("12,345,678", 12345678.0),
    ("1 234", 1234.0),
    ("1.2万", 12000.0),
    ("3亿", 300000000.0),
    ("一百二十八", 128.0),
    ("两千", 2000.0),
    ("十二", 12.0),
    ("十", 10.0),
    ("一百零五", 105.0),
    ("三万五千", 35000.0),
    ("二〇一七", 2017.0),  # a year written digit by digit
    ("壹佰贰拾捌", 128.0),
    ("叁仟", 3000.0),
    ("１２８", 128.0),  # full-width digits
    ("零", 0.0),
    ("", None),
    ("abc", None),
    ("百", None),  # a lone positional character is not a number
]

# (text, [(value, low, high, unit, qualifier, raw)]) — find_quantities
QUANTITY_CASES = [
    ("受理申请21件", [(21, 21, 21, "件", None, "21件")]),
    ("1.2万件", [(12000, 12000, 12000, "件", None, "1.2万件")]),
    ("网站点击量3500余人次", [(3500, 3500, None, "人次", "余", "3500余人次")]),
    ("近3000条", [(3000, 2850, 3150, "条", "近", "近3000条")]),
    ("约20人左右", [(20, 19, 21, "人", "约", "约20人左右")]),
    ("不足10", [(10, None, 10, None, "不足", "不足10")]),
    ("超过5次", [(5, 5, None, "次", "超过", "超过5次")]),
    ("10件以上", [(10, 10, None, "件", "以上", "10件以上")]),
    ("占33.9%", [(33.9, 33.9, 33.9, "%", None, "33.9%")]),
    ("上升0.5个百分点", [(0.5, 0.5, 0.5, "个百分点", None, "0.5个百分点")]),
    ("3-5次", [(None, 3, 5, "次", "range", "3-5次")]),
    ("一百二十八件", [(128, 128, 128, "件", None, "一百二十八件")]),
    ("两千人次", [(2000, 2000, 2000, "人次", None, "两千人次")]),
    ("专项经费5万元", [(50000, 50000, 50000, "元", None, "5万元")]),
    ("主动公开 2428 条", [(2428, 2428, 2428, "条", None, "2428 条")]),
    ("公开政府常务会议 7\n期", [(7, 7, 7, "期", None, "7\n期")]),
    ("共公开1 234条", [(1234, 1234, 1234, "条", None, "1 234条")]),
    ("第3期", []),  # ordinals are not quantities
    ("一次性告知", []),  # idioms are data: lexicon.yaml not_quantities
    ("电话0517-83605210", []),  # a phone number is not a range
    ("服务事项5大类", [(5, 5, 5, "类", None, "5大类")]),
    ("公开数据20余万条", [(200000, 200000, None, "条", "余", "20余万条")]),  # 余 before 万
    ("政务微博年发布信息达千条", [(1000, 1000, None, "条", "round", "千条")]),  # a lone 千: lower bound
    ("累计上千条", [(1000, 1000, None, "条", "上", "上千条")]),
    ("收到留言千余条", [(1000, 1000, None, "条", "余", "千余条")]),
    ("近千人次", [(1000, 950, 1050, "人次", "近", "近千人次")]),
    ("服务群众上万人次", [(10000, 10000, None, "人次", "上", "上万人次")]),
    ("千家万户，千方百计，万众一心", []),  # lone numerals in idioms stay words
    ("紧扣“四个聚焦”，", []),  # a short quoted name that begins with a numeral
    ("开展五个专项治理，落实行政执法三项制度", []),  # slogan words after a count in Chinese numerals
    ("区委十三届四次全会", []),  # session numbering
    ("组织开展市十件民生实事专题宣传", []),  # a programme's name
    ("没有出现一起投诉", []),  # 一 after a negation is an article
    ("完成三项新的重大任务", [(3, 3, 3, "项", None, "三项")]),  # a count of work stays
    ("出台5项制度", [(5, 5, 5, "项", None, "5项")]),  # Arabic digits: a count, not a name
]

# digits that must NOT be glued into one number
NOT_GLUED = [
    "合计 | 1 | 234",  # across table cells
    "1 | 234 |",
    "规章        1 234       0",  # a pdftotext layout row (wide gaps): not prose
    "公开信息11\n36条",  # the right part is not a thousands group
    "共 1  234 条",  # two spaces: a column gap, not a thousands separator
]


@pytest.mark.parametrize("printed,expected", PARSE_CASES, ids=[c[0] or "empty" for c in PARSE_CASES])
def test_parse_number(printed: str, expected: float | None) -> None:
    assert parse_number(printed) == expected


def test_full_width_after_normalization() -> None:
    text = unicodedata.normalize("NFKC", "主动公开１２８条")
    assert [(q.value, q.unit) for q in find_quantities(text)] == [(128.0, "条")]
    # and without NFKC: offsets stay those of the printed text
    raw = "主动公开１２８条"
    (q,) = find_quantities(raw)
    assert (q.value, raw[q.start:q.end]) == (128.0, "１２８条")


@pytest.mark.parametrize("text,expected", QUANTITY_CASES, ids=[c[0] for c in QUANTITY_CASES])
def test_find_quantities(text: str, expected: list[tuple]) -> None:
    found = find_quantities(text)
    got = [(q.value, q.low, q.high, q.unit, q.qualifier, q.raw) for q in found]
    assert got == [tuple(float(x) if isinstance(x, int) else x for x in e) for e in expected]
    for q in found:
        assert text[q.start:q.end] == q.raw


@pytest.mark.parametrize("text", NOT_GLUED)
def test_digit_groups_not_glued_across_cells(text: str) -> None:
    values = [q.value for q in find_quantities(text)]
    assert 1234.0 not in values and 1136.0 not in values
    assert len(values) >= 2


def test_thousands_group_glued_across_line_break_in_prose() -> None:
    (q,) = find_quantities("全年主动公开政府信息1\n234条，")
    assert (q.value, q.unit, q.raw) == (1234.0, "条", "1\n234条")


def test_quantity_is_frozen() -> None:
    q = find_quantities("21件")[0]
    assert isinstance(q, Quantity)
    with pytest.raises(AttributeError):
        q.value = 3  # type: ignore[misc]


def test_doctests() -> None:
    result = doctest.testmod(numbers)
    assert result.attempted > 0 and result.failed == 0


def test_empty_and_no_numbers() -> None:
    assert find_quantities("") == []
    assert find_quantities("政府信息公开工作取得新成效") == []


def test_numbers_inside_quoted_titles_are_not_quantities() -> None:
    text = "出台《支持涉旅企业应对疫情共渡难关八条措施实施细则》，惠及企业120家。"
    assert [(q.value, q.unit) for q in find_quantities(text)] == [(120.0, "家")]


def test_compact_without_whitespace_is_the_span():
    """The one-piece path (no whitespace in the span) keeps the offsets of the general one."""
    from extractors.numbers import Compact

    text = "前言\n共受理申请１２件，办结12件。"
    for start, end in ((3, 18), (0, 2), (5, 5), (3, 10)):
        comp = Compact(text, start, end)
        assert comp.text == text[start:end].replace("１２", "12")
        assert [comp.orig(i) for i in range(len(comp.text))] == list(range(start, start + len(comp.text)))
    assert Compact("", 0, 0).orig(0) == 0
