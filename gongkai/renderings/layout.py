"""A real report as a document model: prose paragraphs and tables with the official merged
structure, built from the report's text rendering and its gold cells.

This is the common source of every rendering (HTML page, DOCX, DOCX→PDF, markdown): each
renderer walks ``ReportModel.blocks`` and prints paragraphs and tables its own way, so the
renderings differ only in their format, never in their content.

API (kept stable; other renderers build on it)::

    load_report(report_id, corpus_dir, gold_dir=None) -> ReportModel
    report_ids(gold_dir=None) -> list[str]          # gold reports that have table cells

    ReportModel
        .report_id   "2023_pingtan_zhsyq"
        .template    "2021" | "2019trial" | "pre2019"
        .title       the title printed first (one or two short paragraphs), or ""
        .blocks      Paragraph | TableModel, in document order
        .paragraphs  the prose paragraphs (str), in order
        .tables      the TableModel blocks, in order
        .gold_cells  the gold cells (dicts: key, column, label, raw, value, state)
        .text        the normalized text rendering the model was built from
    Paragraph(text)
    TableModel
        .section     "t2" | "t3" | "t4" | "pre2019"
        .grid        rows of GridCell, HTML order: a row lists only the cells that start in
                     it (positions covered by a rowspan/colspan from above are left out)
        .header_rows leading rows that form the table head (repeated after a page break)
        .caption     a title printed above the table, or None
        .n_cols      the grid's width
        .matrix()    the full grid: matrix[r][c] = (GridCell, is_origin)
    GridCell(text, rowspan=1, colspan=1, kind="value")   kind: header | label | value

The tables follow the official templates: 2021 and 2019trial 表二 (one table, a
"第二十条第（X）项" title row per group, the group's headers, its rows; a group with fewer
columns spans its last header/value cell), 表三 (the 勾稽关系 note over three label
columns, 申请人情况 over 自然人 | 法人或其他组织(5) | 总计; 三、本年度办理结果 spanning its
rows, （三）不予公开 spanning items 1–8 and so on), 表四 (行政复议 | 行政诉讼 over
未经复议直接起诉 | 复议后起诉), and the pre-2019 统计表 (统计指标 | 单位 | 统计数, or the
local columns the report printed, e.g. 指标名称 | 计量单位 | 2011年度 | 历年累计). Row labels
are the gold's printed labels; the labels of heading-only rows (（三）不予公开…) and the
row structure come from the catalogue. Values are the gold ``raw`` strings, blanks blank.

Where the tables stand: the text rendering is parsed once (``extractors.tables``); each
table occupies the lines from its first to its last cell, widened over the header lines
above it; everything outside those lines is prose, one paragraph per line (a hard-wrapped
``pdftotext -layout`` rendering has its wrapped lines joined into paragraphs).

Hand-written: no library knows these templates; the model is this project's test fixture.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from gongkai.renderings.grids import build_table, clean_label, section_of
from gongkai.renderings.model import KINDS, Block, GridCell, Paragraph, ReportModel, TableModel

__all__ = ["load_report", "report_ids", "table_spans", "build_table", "clean_label", "KINDS", "Block",
           "GridCell", "Paragraph", "ReportModel", "TableModel", "ROOT", "GOLD_DIR"]

ROOT = Path(__file__).resolve().parents[2]
GOLD_DIR = ROOT / "corpus" / "gold"


# --------------------------------------------------------------------------- entry points

def report_ids(gold_dir: Path | None = None) -> list[str]:
    """Stems of the gold table files that hold cells (the reports with a table)."""
    folder = Path(gold_dir or GOLD_DIR) / "tables"
    return [p.stem for p in sorted(folder.glob("*.json"))
            if json.loads(p.read_text("utf-8")).get("cells")]


def load_report(report_id: str, corpus_dir: Path | str, gold_dir: Path | None = None) -> ReportModel:
    """The document model of one real report (its text under ``corpus_dir``, its gold cells
    under ``gold_dir``, default the checkout's corpus/gold)."""
    return _load(report_id, str(Path(corpus_dir).resolve()), str(Path(gold_dir or GOLD_DIR).resolve()))


@lru_cache(maxsize=64)
def _load(report_id: str, corpus_dir: str, gold_dir: str) -> ReportModel:
    from extractors.catalogue import load_catalogue
    from extractors.reader import read_document

    gold = json.loads((Path(gold_dir) / "tables" / f"{report_id}.json").read_text("utf-8"))
    path = Path(corpus_dir) / gold["file"]
    text = read_document(path.read_bytes(), path.name).text
    cat = load_catalogue()
    cells = tuple(gold["cells"])
    lines = text.split("\n")
    spans = table_spans(text)
    tables = {sec: build_table(sec, gold["template"], cells, lines[a:b + 1], cat)
              for sec, (a, b) in spans.items()}
    blocks = _blocks(lines, spans, tables, layout=_is_layout(text))
    return ReportModel(report_id, gold["template"], tuple(blocks), cells, text)


# --------------------------------------------------------------------------- where tables stand

_TABLE_TITLE = re.compile(r"^[#\s]*第二十条\s*第\s*[（(][一二三四五六七八九十]+[)）]\s*项\s*$")
_PROSE_HEADING = re.compile(r"^[#\s]*(?:[一二三四五六七八九十]+\s*、|[（(][一二三四五六七八九十]+[)）].{8,})")
_MD_RULE = re.compile(r"^\s*\|?[\s:|-]*-[\s:|-]*$")


def _is_layout(text: str) -> bool:
    from extractors.tables import detect_form
    return detect_form(text) == "layout"


def table_spans(text: str) -> dict[str, tuple[int, int]]:
    """Section -> (first line, last line) of each table in the text rendering."""
    from extractors.tables import detect_form, parse_tables

    form = detect_form(text)
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    found: dict[str, list[int]] = {}
    for cell in parse_tables(text).cells:
        if cell.start is None or cell.key.startswith("unknown"):
            continue
        n = next(i for i in range(len(lines)) if starts[i] <= cell.start < starts[i + 1])
        found.setdefault(section_of(cell.key), []).append(n)
    spans: dict[str, tuple[int, int]] = {}
    for sec in sorted(found, key=lambda s: min(found[s])):
        first, last = min(found[sec]), max(found[sec])
        floor = max((b for a, b in spans.values()), default=-1)
        spans[sec] = (_widen_up(lines, first, floor, form), _widen_down(lines, last, form))
    return spans


def _tableish(line: str, form: str) -> bool:
    s = line.strip()
    if _TABLE_TITLE.match(s):
        return True
    if form == "pipe":
        return "|" in s
    if form == "flat":
        return s.endswith("|")
    return not _PROSE_HEADING.match(s) and not s.endswith(("。", "；", "：")) and len(s.replace(" ", "")) <= 40


def _widen_up(lines: list[str], first: int, floor: int, form: str) -> int:
    n = first
    while n - 1 > floor:
        k = n - 1
        while k > floor and not lines[k].strip():
            k -= 1
        if k <= floor or not _tableish(lines[k], form):
            return n
        n = k
    return n


def _widen_down(lines: list[str], last: int, form: str) -> int:
    n = last
    while n + 1 < len(lines) and form != "layout":
        k = n + 1
        while k < len(lines) and not lines[k].strip():
            k += 1
        if k >= len(lines) or "|" not in lines[k] or re.search(r"[\u4e00-\u9fff]", lines[k]):
            return n
        n = k  # trailing rows without text (an empty row drawn after a table)
    return n


def _blocks(lines: list[str], spans: dict[str, tuple[int, int]], tables: dict[str, "TableModel"],
            layout: bool) -> list[Block]:
    at = {a: sec for sec, (a, b) in spans.items()}
    inside = {n for a, b in spans.values() for n in range(a, b + 1)}
    out: list[Block] = []
    pending: list[str] = []  # a layout paragraph being joined

    def flush() -> None:
        if pending:
            out.append(Paragraph(_join_wrapped(pending)))
            pending.clear()

    for n, line in enumerate(lines):
        if n in at:
            flush()
            out.append(tables[at[n]])
        if n in inside or not line.strip() or "|" in line or _MD_RULE.match(line):
            if n in inside or not (line.strip() or layout):
                flush()
            continue
        text = re.sub(r"^#+\s*", "", line.strip())
        if layout and pending and not _starts_paragraph(line):
            pending.append(text)
            continue
        flush()
        (pending.append(text) if layout else out.append(Paragraph(text)))
    flush()
    return out


def _starts_paragraph(line: str) -> bool:
    """In a hard-wrapped layout rendering a paragraph (and a heading) starts indented;
    its wrapped lines start at the margin."""
    return line.startswith(" ")


def _join_wrapped(parts: list[str]) -> str:
    text = parts[0]
    for part in parts[1:]:
        ascii_gap = text[-1:].isascii() and part[:1].isascii() and text[-1:].isalnum() and part[:1].isalnum()
        text += (" " if ascii_gap else "") + part
    return text
