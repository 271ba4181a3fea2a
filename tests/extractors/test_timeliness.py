"""TIME.DEADLINE: the publication date against 《条例》第五十条 (and the 2008 第三十一条 for
reports on 2018 and earlier), pure — no store, no services."""
from __future__ import annotations

import pytest

from extractors.crosscheck import cross_check
from extractors.metadata import extract_metadata
from extractors.models import ReportMeta, Table
from extractors.rules import load_rules
from extractors.sections import segment
from extractors.timeliness import assess, to_finding

RULE = load_rules().get("TIME.DEADLINE")

# (id, year, level, published, status, reason, deadline, days_late)
CASES = [
    ("dept-on-time", 2023, "department", "2024-01-17", "pass", "on_time", "2024-01-31", -14),
    ("dept-last-day", 2023, "department", "2024-01-31", "pass", "on_time", "2024-01-31", 0),
    ("dept-late", 2023, "department", "2024-02-01", "warn", "late", "2024-01-31", 1),
    ("county-gov-march", 2023, "county", "2024-03-08", "pass", "on_time", "2024-03-31", -23),
    ("city-gov-late", 2024, "city", "2025-04-02", "warn", "late", "2025-03-31", 2),
    ("township-is-an-organ", 2022, "township", "2023-02-10", "warn", "late", "2023-01-31", 10),
    ("old-rule-dept-march", 2017, "department", "2018-03-20", "pass", "on_time", "2018-03-31", -11),
    ("old-rule-late", 2011, "county", "2012-04-18", "warn", "late", "2012-03-31", 18),
    ("zone-january-decides", 2021, None, "2022-01-20", "pass", "on_time", "2022-01-31", -11),
    ("zone-after-march-decides", 2021, None, "2022-04-05", "warn", "late", "2022-03-31", 5),
    ("zone-between", 2022, None, "2023-02-20", "not_assessable", "kind_unknown", None, None),
    ("no-date", 2022, "district", None, "not_assessable", "no_date", "2023-03-31", None),
    ("no-year", None, "district", "2023-02-20", "not_assessable", "no_year", None, None),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_verdict(case):
    _, year, level, published, status, reason, deadline, late = case
    t = assess(ReportMeta(year=year, level=level, published=published), RULE)
    assert (t.status, t.reason, t.deadline, t.days_late) == (status, reason, deadline, late)


def test_late_finding_carries_its_evidence():
    text = "XX县民政局2023年政府信息公开工作年度报告\n……\nXX县民政局\n2024年2月5日\n"
    meta = extract_metadata(text, segment(text))
    assert (meta.level, meta.published) == ("department", "2024-02-05")
    [f] = cross_check(Table("unknown"), [], text=text, meta=meta)
    assert (f.code, f.status, f.values, f.rule) == ("TIME.DEADLINE", "warn", (5,), "TIME.DEADLINE@1")
    [(a, b)] = f.spans
    assert text[a:b] == "2024年2月5日"
    assert "2024-01-31" in f.message and "第五十条" in f.message
    assert f.extra["timeliness"]["deadline"] == "2024-01-31"


def test_date_from_the_source_url():
    meta = ReportMeta(year=2020, level="department")
    t = assess(meta, RULE, "正文没有日期", "https://x.gov.cn/zwgk/202103/t20210305_80595.htm")
    assert (t.status, t.where, t.published, t.span) == ("warn", "source", "2021-03-05", None)


def test_a_pass_yields_no_finding_and_open_cases_say_why():
    assert to_finding(assess(ReportMeta(year=2023, level="city", published="2024-03-01"), RULE),
                      RULE) is None
    f = to_finding(assess(ReportMeta(year=2022, published="2023-02-20"), RULE), RULE)
    assert f.status == "not_assessable" and "2023-01-31" in f.message and "2023-03-31" in f.message
    f = to_finding(assess(ReportMeta(year=2022, level="county"), RULE), RULE)
    assert f.status == "not_assessable" and "2023-03-31" in f.message


def test_without_metadata_the_rule_is_silent():
    assert [f for f in cross_check(Table("unknown"), []) if f.code == "TIME.DEADLINE"] == []
