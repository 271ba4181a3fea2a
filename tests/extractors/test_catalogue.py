"""config/catalogue.yaml validates, matches its own labels, and rejects bad data."""
from __future__ import annotations

import doctest
import textwrap

import pytest

import extractors.catalogue as catalogue_module
from extractors.catalogue import load_catalogue, normalize_label, parse_catalogue
from extractors.errors import ConfigError

# (printed label, template, parents context, expected key)
LABELS = [
    ("其中：1．网站公开", "pre2019", (), "p.channel.website"),
    ("其中:1、政府网站公开数", "pre2019", (), "p.channel.website"),
    ("6.其它形式申请数", "pre2019", (), "p.apply.other_form"),
    ("(一)主动公开政府信息数 (不同渠道和方式公开相同信息计1条)", "pre2019", (), "p.proactive.total"),
    ("1、专职人员数 (不包括政府公报及政府网站工作人员数)", "pre2019", (), "p.org.staff_fulltime"),
    ("(二)被依法纠错数", "pre2019", ("p.review.total",), "p.review.corrected"),
    ("(二)被依法纠错数", "pre2019", ("p.litigation.total",), "p.litigation.corrected"),
    ("(二)被依法纠错数", "pre2019", (), None),  # ambiguous without its parent row
    ("行政申诉数", "pre2019", (), "p.appeals"),
    ("接受行政诉讼、举报数", "pre2019", (), "p.litigation_reports"),
    ("2.其他法律行政止公开", "2021", (), "t3.denied.prohibited"),
    ("（三）不 予公开", "2021", (), "t3.denied"),
    ("部分公开 (区分处理的, 只计这一情形, 不计其他情形)", "2021", (), "t3.partial"),
    ("3.其他", "2021", ("t3.other", "t3.results"), "t3.other.other"),
    ("3.其他", "2021", (), None),
    ("3.其他", "2019trial", ("t3.other",), None),  # no such row in the 2019 trial form
    ("规范性文件", "2019trial", (), "t2.normative"),
    ("其他对外管理服务事项", "2021", (), None),
    ("行政诉讼（未经复议直接起诉）", "2021", (), "t4.litigation_direct"),
    ("全年主动公开政府信息", "2021", (), None),
]

COLUMNS = [
    ("统计数", "value"), ("2017年度", "value"), ("历年累计", "cumulative"),
    ("本年制发件数", "issued"), ("本年增／减", "change"), ("本年收费金额（单位：万元）", "amount"),
    ("商业 企业", "commercial"), ("结果纠正", "corrected"), ("总计", "total"), ("数据1", None),
]

GOOD = """
version: "t1"
columns:
  value: {labels: [统计数]}
entries:
- id: a.total
  templates: [pre2019]
  labels: [甲数]
  columns: [value]
  children: [a.part]
- id: a.part
  templates: [pre2019]
  labels: [乙数]
  columns: [value]
  parent: a.total
"""


def test_catalogue_loads_and_is_cached():
    cat = load_catalogue()
    assert cat.version
    assert len(cat.entries) > 100
    assert load_catalogue() is cat


def test_every_label_matches_its_own_entry():
    cat = load_catalogue()
    for entry in cat.entries.values():
        parents = (entry.parent,) if entry.parent else ()
        for label in entry.labels:
            for template in entry.templates:
                assert cat.match_row(label, template, {"parents": parents}) == entry.id, (label, template)


def test_children_name_their_parent():
    cat = load_catalogue()
    for entry in cat.entries.values():
        for child in entry.children:
            assert cat.entry(child).parent == entry.id, (entry.id, child)


def test_labels_for_the_user_dictionary():
    labels = load_catalogue().labels()
    assert "本机关不掌握相关政府信息" in "".join(labels)
    assert len(labels) == len(set(labels))


@pytest.mark.parametrize("label,template,parents,expected", LABELS, ids=[x[0] for x in LABELS])
def test_match_row(label, template, parents, expected):
    assert load_catalogue().match_row(label, template, {"parents": parents}) == expected


@pytest.mark.parametrize("header,expected", COLUMNS, ids=[x[0] for x in COLUMNS])
def test_match_column(header, expected):
    assert load_catalogue().match_column(header) == expected


def test_normalize_label_doctests():
    assert doctest.testmod(catalogue_module).failed == 0
    assert normalize_label("（本列数据）其中：") == "本列数据其中"


def test_good_minimal_catalogue():
    cat = parse_catalogue(GOOD, "mini.yaml")
    assert cat.match_row("乙数", "pre2019") == "a.part"


@pytest.mark.parametrize("bad,needle", [
    (GOOD + "- id: a.part\n  templates: [pre2019]\n  labels: [丙数]\n", "a.part"),
    (GOOD.replace("  parent: a.total", "  parent: a.nowhere"), "a.nowhere"),
    (GOOD.replace("  labels: [乙数]", "  labels: [乙数]\n  colour: red"), "colour"),
    (GOOD.replace("  labels: [乙数]", "  labels: [甲数]"), "甲数"),
    (GOOD.replace("  columns: [value]\n  parent", "  columns: [value]\n  unit: 斤\n  parent"), "斤"),
    (GOOD.replace("templates: [pre2019]\n  labels: [乙数]", "templates: [2030]\n  labels: [乙数]"), "2030"),
    (GOOD.replace('version: "t1"', ""), "version"),
], ids=["duplicate-id", "bad-parent", "unknown-field", "label-clash", "bad-unit", "bad-template",
        "no-version"])
def test_bad_catalogue_raises_config_error(bad, needle):
    with pytest.raises(ConfigError) as info:
        parse_catalogue(textwrap.dedent(bad), "bad.yaml")
    assert needle in info.value.message
    assert "bad.yaml" in info.value.message


def test_error_names_entry_id_and_line():
    bad = GOOD.replace("  parent: a.total", "  parent: a.nowhere")
    with pytest.raises(ConfigError) as info:
        parse_catalogue(bad, "bad.yaml")
    assert "'a.part'" in info.value.message and "bad.yaml:" in info.value.message
    assert info.value.context["field"] == "parent"


def test_missing_file_is_config_error(tmp_path):
    with pytest.raises(ConfigError):
        load_catalogue(tmp_path / "nope.yaml")
