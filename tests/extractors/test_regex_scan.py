"""The windowed ``finditer`` (extractors/regex_scan.py) finds what the plain one finds,
and every match holds the characters ``required_chars`` names.

Compared for every entity rule and statement regex on every corpus report and on seeded
random texts dense in the rules' anchors and context words (windows forced on, however
dense)."""
from __future__ import annotations

import random
import re

import pytest

import extractors.regex_scan as regex_scan
from extractors.claims import _statements_compiled
from extractors.entities import _compiled_rules
from extractors.regex_scan import _plan, finditer, may_match, required_chars

from .conftest import corpus_params

ALPHABET = ("〔〕[]［］（）()【】号第令国务院按照根据和及的年月日度一二〇零○0123456789 -－—@.a"
            "中府办发\n：:电话邮编热线")
STATEMENTS = [pytest.param(rx, id=rec["id"]) for rx, rec, _ in _statements_compiled()]
RULES = [pytest.param(rx, id=rec["id"]) for rx, rec in _compiled_rules()] + STATEMENTS
STATEMENT_WORDS = "未没有不无均已全部按时办理完成结毕申请公开费用收取答复维持行政诉讼败职兼在法定期限内情况"


def _spans(matches) -> list[tuple[int, int]]:
    return [m.span() for m in matches]


@pytest.mark.parametrize("regex", RULES)
def test_random_texts(regex, monkeypatch):
    monkeypatch.setattr(regex_scan, "_DENSE", 0)  # windows even where anchors abound
    rnd = random.Random(regex.pattern)
    for _ in range(2000):
        text = "".join(rnd.choice(ALPHABET + STATEMENT_WORDS) for _ in range(rnd.randint(0, 200)))
        assert _spans(finditer(regex, text)) == _spans(regex.finditer(text)), text
        assert all(required_chars(regex) <= set(m.group()) for m in regex.finditer(text))


@pytest.mark.parametrize("path", corpus_params("reports", "*.txt"))
def test_corpus_reports(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    for regex in [rx for rx, _ in _compiled_rules()] + [rx for rx, _, _ in _statements_compiled()]:
        assert _spans(finditer(regex, text)) == _spans(regex.finditer(text)), regex.pattern
        assert all(required_chars(regex) <= set(m.group()) for m in regex.finditer(text))


@pytest.mark.parametrize("pattern, anchor", [
    (r"[\u4e00-\u9fff]{1,6}\s?[〔(]\s?(?:19|20)\d{2}\s?[〕)]\s?第?\s?\d{1,4}\s?号", "号"),
    (r"(?<!\d)(?:19|20)\d{2}\s?年", "年"),
    (r"(?:(?<=电话)|(?<=热线：))\s?\d{7,8}(?!\d)", "[话：]"),  # the character before the start
    (r"《[^《》]+》", None),  # unbounded: no window bounds a match
    (r"^\d+年", None),  # anchored to a line start: not analysed
    (r"(?:ab|cd)e?", None),  # no single character in every match
])
def test_plan(pattern, anchor):
    plan = _plan(pattern, re.compile(pattern).flags)
    assert (plan[0][0].pattern if plan else None) == anchor


@pytest.mark.parametrize("pattern", [
    r"(?:[省市县区州旗镇乡]|街道)|(?:[省市县区]|国务院)|(?:[省市县区镇乡])",  # the ruler anchors
    r"a+b|[x-z]c", r"(?:ab)?c", r"a?b", r"(?=a)ab|b", r"(?i:a)b", r"[^a]b", r"\dx", r"",
])
def test_may_match_is_search(pattern):
    """``may_match`` answers as ``search`` does, with or without a first-character class."""
    regex = re.compile(pattern)
    test = may_match(regex)
    rnd = random.Random(pattern)
    for _ in range(2000):
        text = "".join(rnd.choice("省市县区州旗镇乡街道国务院人民政府abcxyzABC1 ") for _ in range(rnd.randint(0, 12)))
        assert test(text) == (regex.search(text) is not None), text


def test_first_class():
    assert regex_scan._first_class(r"(?:[省市]|街道)|国务院", 0).pattern == "[国市省街]"
    for pattern in (r"(?:ab)?c", r"a?b", r"(?=a)ab", r"(?i:a)b", r"[^a]b", r"\dx", r""):
        assert regex_scan._first_class(pattern, 0) is None, pattern


@pytest.mark.parametrize("pattern, words", [
    (r"(?<!\d)12345(?=\D*热线|市民服务热线)", ("12345",)),
    (r"电话(?<=话)：\d+号码", ("电话：", "号码")),
    (r"a|bc", ()), (r"(?:ab)c", ("abc",)), (r"(ab)c", ()), (r"a\bbc", ("bc",)),
])
def test_literal_words(pattern, words):
    """Runs of literal characters that every match holds (``finditer`` skips a text
    without one; the corpus and random-text tests above check the matches)."""
    assert regex_scan._literal_words(pattern, 0) == words
