"""The markdown renderings (gongkai.renderings.markdown) show the converter habits they
are named for, keep the report's prose and are deterministic.  Whether the parser reads
them back is tests/test_renderings.py (formats md-<style>)."""
from __future__ import annotations

import re

import pytest

from gongkai.renderings.markdown import MD_STYLES, render_markdown

REPORT_2021 = "2023_pingtan_zhsyq"
REPORT_PRE2019 = "2017_pingjiang_mzj"
_SEP = re.compile(r"^\|(?:---\|)+$")


def _model(corpus_dir, rid: str):
    from gongkai.renderings.layout import load_report
    return load_report(rid, corpus_dir)


def _tables(md: str) -> list[list[list[str]]]:
    """The pipe tables of a markdown text, each a list of rows of cells."""
    tables, rows = [], []
    for line in md.split("\n") + [""]:
        if line.startswith("|"):
            if not _SEP.match(line):
                rows.append([c.strip() for c in line.strip()[1:-1].split(" | ")])
        elif rows:
            tables.append(rows)
            rows = []
    return tables


@pytest.mark.parametrize("style", MD_STYLES)
def test_every_style_is_well_formed_markdown(corpus_dir, style):
    md = render_markdown(_model(corpus_dir, REPORT_2021), style)
    lines = md.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("|") and (i == 0 or not lines[i - 1].startswith("|")):
            assert _SEP.match(lines[i + 1]), f"no separator under the first row: {line}"
    for table in _tables(md):
        assert len({len(r) for r in table}) == 1, table[:3]


@pytest.mark.parametrize("style", MD_STYLES)
def test_every_style_keeps_the_prose(corpus_dir, style):
    model = _model(corpus_dir, REPORT_2021)
    md = render_markdown(model, style)
    assert all(p in md for p in model.paragraphs)


def test_styles_are_deterministic_and_seeded(corpus_dir):
    model = _model(corpus_dir, REPORT_2021)
    for style in MD_STYLES:
        assert render_markdown(model, style, seed=3) == render_markdown(model, style, seed=3)
    assert len({render_markdown(model, "mixed", seed=s) for s in range(4)}) > 1
    with pytest.raises(ValueError, match="unknown markdown style"):
        render_markdown(model, "plain")


def _rows(corpus_dir, style: str, rid: str = REPORT_2021) -> list[list[str]]:
    return [r for t in _tables(render_markdown(_model(corpus_dir, rid), style)) for r in t]


def test_merged_cells_left_empty_or_repeated(corpus_dir):
    empty, repeat = _rows(corpus_dir, "empty"), _rows(corpus_dir, "repeat")
    assert any(r[0] == "" and r[2].startswith("2.") for r in empty)  # under 三、本年度办理结果
    assert sum(r[0] == "三、本年度办理结果" for r in repeat) > 10
    assert ["行政许可"] + [r for r in repeat if r[0] == "行政许可"][0][1:2] * 3 \
        == [r for r in repeat if r[0] == "行政许可"][0]


def test_wrapped_labels_carry_their_values_on_the_first_or_the_last_row(corpus_dir):
    for style, first in (("wrap_first", True), ("wrap_second", False)):
        rows = _rows(corpus_dir, style)
        pairs = [(a, b) for a, b in zip(rows, rows[1:]) if a[2] and b[2] and not b[0] and a[2] != b[2]
                 and (any(a[3:]) and not any(b[3:]) if first else not any(a[3:]) and any(b[3:]))]
        assert pairs, style


def test_cut_labels(corpus_dir):
    cut = _rows(corpus_dir, "cut")
    new = next(r for r in cut if r[0].startswith("一、"))
    assert "".join(new[:3]) == "一、本年新收政府信息公开申请数量" and new[0] != "".join(new[:3])
    md = render_markdown(_model(corpus_dir, REPORT_2021), "cut_start")
    starts = [ln for ln in md.split("\n") if ln and not ln.startswith("|") and len(ln) < 20
              and re.match(r"\d\.", ln)]
    assert starts  # the start of a long label printed above its row


def test_page_break_prints_the_page_number_and_repeats_the_header(corpus_dir):
    md = render_markdown(_model(corpus_dir, REPORT_2021), "page_break")
    assert re.search(r"^(— \d+ —|- \d+ -|第 \d+ 页|\d+)$", md, re.M)
    heads = [t[0][0] for t in _tables(md)]
    assert len(heads) > len(set(heads)) or len(_tables(md)) > 3


def test_grouped_rows_and_labels_outside(corpus_dir):
    grouped = _rows(corpus_dir, "grouped")
    assert any(r[0].startswith("注：") for r in grouped)
    md = render_markdown(_model(corpus_dir, REPORT_2021), "labels_out")
    assert any(re.match(r"^(（[一二三四五六七]）)?\d\.[\u4e00-\u9fff]", ln) for ln in md.split("\n"))
    assert any(r[:3] == ["", "", ""] and any(r[3:]) for t in _tables(md) for r in t)


def test_one_header_row(corpus_dir):
    tables = _tables(render_markdown(_model(corpus_dir, REPORT_PRE2019), "one_header"))
    assert tables and all(not any(re.fullmatch(r"[\d./]+", c) for c in t[0]) for t in tables)
    t3 = _tables(render_markdown(_model(corpus_dir, REPORT_2021), "one_header"))[1]
    assert any("商业企业" in c and "法人或其他组织" in c for c in t3[0])
