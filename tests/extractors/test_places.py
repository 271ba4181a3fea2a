"""The region gazetteer (config/gazetteer.yaml) and the province of a report: printed,
looked up by the first place unit, unknown (None) for a county-level name alone or a name
two provinces share — never a wrong province on the openings of other bodies."""
from __future__ import annotations

import csv

import pytest
import yaml

from extractors.errors import ConfigError
from extractors.metadata import extract_metadata, load_places, province_of_body
from extractors.places import GAZETTEER_FILE, load_gazetteer
from extractors.sections import segment
from tests.conftest import ROOT

MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")


def _file() -> dict:
    return yaml.safe_load(GAZETTEER_FILE.read_text("utf-8"))


def test_every_prefecture_level_division_once():
    """333 prefecture-level divisions (end of 2023: 293 地级市, 7 地区, 30 自治州, 3 盟),
    each under one province, every province named as regions.yaml names it."""
    divisions = _file()["divisions"]
    prefectures = [n for p, names in divisions.items() if p not in MUNICIPALITIES for n in names]
    assert len(prefectures) == len(set(prefectures)) == 333
    kinds = {s: sum(n.endswith(s) for n in prefectures) for s in ("市", "地区", "自治州", "盟")}
    assert kinds == {"市": 293, "地区": 7, "自治州": 30, "盟": 3}
    assert set(divisions) <= load_places().provinces
    assert len(set(divisions)) == 31  # not 台湾, 香港, 澳门
    assert {len(divisions[m]) for m in MUNICIPALITIES[:3]} == {16} and len(divisions["重庆市"]) == 38


def test_ambiguous_names_are_listed_where_they_are_and_give_no_province():
    g = load_gazetteer()
    for entry in _file()["ambiguous"]:
        assert len(entry["in"]) >= 2 and entry["name"] not in g.province
        assert set(entry["in"]) <= load_places().provinces


def test_a_name_under_two_provinces_is_a_config_error(tmp_path):
    bad = tmp_path / "gazetteer.yaml"
    bad.write_text("version: 1\ndivisions:\n  北京市: [朝阳区]\n  吉林省: [朝阳区]\n", "utf-8")
    with pytest.raises(ConfigError, match="朝阳区"):
        load_gazetteer(bad)


@pytest.mark.parametrize("body, province", [
    # printed
    ("江苏省淮安市洪泽区人民政府", "江苏省"),
    ("国家税务总局江苏省税务局", "江苏省"),
    ("上海市松江区人民政府", "上海市"),
    ("广西壮族自治区北部湾经济区规划建设管理办公室", "广西壮族自治区"),
    # from the gazetteer, by the first place unit
    ("淮安市洪泽区人民政府", "江苏省"),
    ("淮安市人民政府", "江苏省"),
    ("兴安盟行署外事办公室", "内蒙古自治区"),
    ("黔东南苗族侗族自治州人民政府", "贵州省"),
    ("阿里地区行政公署", "西藏自治区"),
    ("奉节县统计局", "重庆市"),
    ("宣武区大栅栏街道办事处", "北京市"),  # a former name (merged 2010)
    ("襄樊市人民政府", "湖北省"),  # renamed 襄阳市 2010
    ("仙桃市人民政府", "湖北省"),  # administered by the province
    ("恩施州人民政府", "湖北省"),  # a short form
    ("恩施州利川市人民政府", "湖北省"),
    # unknown: a county-level unit alone, no place, a name two provinces have
    ("洪泽区人民政府", None),
    ("瑞安市人民政府", None),
    ("郊区统计局", None),
    ("交通运输部", None),
    ("朝阳区人民政府", None),  # 北京市 and 长春市
    ("普陀区人民政府", None),  # 上海市 and 舟山市
    ("巴州区人民政府", None),  # no short form of 巴音郭楞 before 区
])
def test_province_of_a_body_name(body, province):
    assert province_of_body(body) == province


@pytest.mark.parametrize("first_lines, body, province", [
    ("淮安市洪泽区人民政府\n2023年政府信息公开工作年度报告\n", "淮安市洪泽区人民政府", "江苏省"),
    ("江苏省人民政府办公厅2022年政府信息公开工作年度报告\n", "江苏省人民政府办公厅", "江苏省"),
    ("平江县民政局2017年政府信息公开工作年度报告\n", "平江县民政局", None),
    ("通州区人民政府2020年政府信息公开工作年度报告\n", "通州区人民政府", None),
])
def test_report_metadata_carries_the_province(first_lines, body, province):
    meta = extract_metadata(first_lines, segment(first_lines))
    assert meta.body == body and meta.province == province
    assert meta.to_dict()["province"] == province


def test_openings_of_other_bodies_never_get_a_wrong_province():
    """On the 48 openings' bodies (manifest: the province each is in) a province found is
    that province; measured 2026-12-02: 32 of 48 known (the rest print a county-level
    name alone, or are national).  A floor, not a target."""
    with (ROOT / "corpus" / "openings" / "manifest.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    got = {r["id"]: province_of_body(r["body"]) for r in rows}
    wrong = {r["id"]: got[r["id"]] for r in rows if got[r["id"]] not in (None, r["province"])}
    assert not wrong
    assert sum(p is not None for p in got.values()) >= 32
