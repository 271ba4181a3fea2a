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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Union

ROOT = Path(__file__).resolve().parents[2]
GOLD_DIR = ROOT / "corpus" / "gold"

KINDS = ("header", "label", "value")


@dataclass(frozen=True)
class GridCell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    kind: str = "value"  # header | label | value


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class TableModel:
    section: str  # t2 | t3 | t4 | pre2019
    grid: tuple[tuple[GridCell, ...], ...]
    header_rows: int = 0
    caption: str | None = None

    @property
    def n_cols(self) -> int:
        return len(self.matrix()[0]) if self.grid else 0

    def matrix(self) -> list[list[tuple[GridCell, bool]]]:
        """Every grid position with the cell covering it and whether it is its origin."""
        placed: dict[tuple[int, int], tuple[GridCell, bool]] = {}
        for r, row in enumerate(self.grid):
            c = 0
            for cell in row:
                while (r, c) in placed:
                    c += 1
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        placed[(r + dr, c + dc)] = (cell, dr == 0 and dc == 0)
                c += cell.colspan
        width = max((c for _, c in placed), default=-1) + 1
        return [[placed.get((r, c), (GridCell(""), True)) for c in range(width)]
                for r in range(len(self.grid))]


Block = Union[Paragraph, TableModel]


@dataclass(frozen=True)
class ReportModel:
    report_id: str
    template: str
    blocks: tuple[Block, ...]
    gold_cells: tuple[dict, ...]
    text: str

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if isinstance(b, Paragraph))

    @property
    def tables(self) -> tuple[TableModel, ...]:
        return tuple(b for b in self.blocks if isinstance(b, TableModel))

    @property
    def title(self) -> str:
        """The report's title: its first one or two short paragraphs when they name the
        report (a title printed over two lines), else the first short paragraph."""
        head = [p for p in self.paragraphs[:2] if len(p) <= 40]
        for n in (2, 1):
            joined = "".join(head[:n])
            if len(head) >= n and "报告" in joined:
                return joined
        return head[0] if head else ""


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


def _section_of(key: str) -> str:
    return key.split(".")[0] if key.startswith(("t2.", "t3.", "t4.")) else "pre2019"


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
        found.setdefault(_section_of(cell.key), []).append(n)
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


# --------------------------------------------------------------------------- table grids

_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff（）“”、，])\s+(?=[\u3400-\u9fff（）“”、，])")

T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T3_ORG = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
T4_RESULTS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
T2_GROUPS = (  # (title, keys) of 表二's groups, in the template's order
    ("第二十条第（一）项", ("t2.rules", "t2.normative")),
    ("第二十条第（五）项", ("t2.licensing", "t2.other_services")),
    ("第二十条第（六）项", ("t2.penalty", "t2.enforcement")),
    ("第二十条第（八）项", ("t2.fees",)),
    ("第二十条第（九）项", ("t2.procurement",)),
)
T2_WIDTH = 4
COLUMN_HEADERS = {  # printed header of a value column, per template where it differs
    "issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
    "made": "本年新制作数量", "published": "本年新公开数量", "total_published": "对外公开总数量",
    "prev_items": "上一年项目数量", "change": "本年增/减", "decisions": "本年处理决定数量",
    "decisions@2019trial": "处理决定数量", "amount": "本年收费金额（单位：万元）",
    "amount@t2.procurement": "采购总金额", "count": "采购项目数量",
}


def clean_label(text: str) -> str:
    """A printed label on one line: wrap spaces between Chinese characters dropped."""
    return _CJK_GAP.sub("", re.sub(r"\s+", " ", text).strip())


def _rows_by_key(cells: tuple[dict, ...], section: str) -> dict[str, dict]:
    """key -> {"label": printed label, column: raw} in gold order."""
    rows: dict[str, dict] = {}
    for c in cells:
        if _section_of(c["key"]) == section:
            row = rows.setdefault(c["key"], {"label": clean_label(c.get("label") or "")})
            row[c["column"]] = c.get("raw") or ""
    return rows


def build_table(section: str, template: str, cells: tuple[dict, ...], region: list[str], cat) -> TableModel:
    rows = _rows_by_key(cells, section)
    if section == "t2":
        return _t2(rows, template, cat)
    if section == "t3":
        return _t3(rows, cat)
    if section == "t4":
        return _t4(rows)
    return _pre2019(rows, region, cat)


def H(text: str, rowspan: int = 1, colspan: int = 1) -> GridCell:  # noqa: N802 - grid shorthand
    return GridCell(text, rowspan, colspan, "header")


def L(text: str, rowspan: int = 1, colspan: int = 1) -> GridCell:  # noqa: N802
    return GridCell(text, rowspan, colspan, "label")


def V(text: str, colspan: int = 1) -> GridCell:  # noqa: N802
    return GridCell(text, 1, colspan, "value")


def _header_text(column: str, template: str, key: str) -> str:
    return COLUMN_HEADERS.get(f"{column}@{key}") or COLUMN_HEADERS.get(f"{column}@{template}") \
        or COLUMN_HEADERS[column]


def _t2(rows: dict[str, dict], template: str, cat) -> TableModel:
    grid: list[tuple[GridCell, ...]] = []
    for title, keys in T2_GROUPS:
        present = [k for k in keys if k in rows]
        if not present:
            continue
        cols = list(cat.entry(present[0]).columns_for(template))
        grid.append((H(title, colspan=T2_WIDTH),))
        grid.append((H("信息内容"), *_spread([H(_header_text(c, template, present[0])) for c in cols])))
        for key in present:
            values = [V(rows[key].get(c, "")) for c in cat.entry(key).columns_for(template)]
            grid.append((L(rows[key]["label"]), *_spread(values)))
    return TableModel("t2", tuple(grid), header_rows=2)


def _spread(cells: list[GridCell]) -> list[GridCell]:
    """The group's cells over the table's value columns: the last one spans what is left."""
    extra = T2_WIDTH - 1 - len(cells)
    if extra > 0 and cells:
        last = cells[-1]
        cells = cells[:-1] + [GridCell(last.text, last.rowspan, last.colspan + extra, last.kind)]
    return cells


T3_COLUMNS = ("natural", "commercial", "research", "nonprofit", "legal", "other_org", "total")


def _t3(rows: dict[str, dict], cat) -> TableModel:
    grid: list[tuple[GridCell, ...]] = [
        (H(T3_NOTE, 3, 3), H("申请人情况", colspan=7)),
        (H("自然人", 2), H("法人或其他组织", colspan=5), H("总计", 2)),
        tuple(H(t) for t in T3_ORG),
    ]
    results = [k for k in rows if _ancestor(cat, k, "t3.results")]
    groups: dict[str, list[str]] = {}
    for key in results:
        parent = cat.entry(key).parent
        if parent != "t3.results":
            groups.setdefault(parent, []).append(key)
    for key, row in rows.items():
        values = tuple(V(row.get(c, "")) for c in T3_COLUMNS)
        if key not in results:
            grid.append((L(row["label"], colspan=3), *values))
            continue
        lead: list[GridCell] = []
        if key == results[0]:
            lead.append(L(cat.entry("t3.results").labels[0], rowspan=len(results)))
        parent = cat.entry(key).parent
        if parent == "t3.results":
            lead.append(L(row["label"], colspan=2))
        else:
            if key == groups[parent][0]:
                lead.append(L(cat.entry(parent).labels[0], rowspan=len(groups[parent])))
            lead.append(L(row["label"]))
        grid.append((*lead, *values))
    return TableModel("t3", tuple(grid), header_rows=3)


def _ancestor(cat, key: str, ancestor: str) -> bool:
    parent = cat.entry(key).parent if key in cat.entries else None
    while parent:
        if parent == ancestor:
            return True
        parent = cat.entry(parent).parent
    return False


def _t4(rows: dict[str, dict]) -> TableModel:
    values = []
    for key in ("t4.review", "t4.litigation_direct", "t4.litigation_after_review"):
        row = rows.get(key, {})
        values += [V(row.get(c, "")) for c in ("upheld", "corrected", "other", "pending", "total")]
    grid = (
        (H("行政复议", colspan=5), H("行政诉讼", colspan=10)),
        (*(H(t, 2) for t in T4_RESULTS), H("未经复议直接起诉", colspan=5), H("复议后起诉", colspan=5)),
        tuple(H(t) for t in T4_RESULTS * 2),
        tuple(values),
    )
    return TableModel("t4", grid, header_rows=3)


# pre-2019 ---------------------------------------------------------------------

_YEAR_HEADER = re.compile(r"\d{4}\s*年度?|本年度|统计数")


def _pre2019(rows: dict[str, dict], region: list[str], cat) -> TableModel:
    columns = [c for c in ("value", "cumulative") if any(c in r for r in rows.values())]
    label_h, unit_h, col_h, caption = _printed_header(region, columns, cat)
    grid: list[tuple[GridCell, ...]] = [(H(label_h), H(unit_h), *(H(col_h[c]) for c in columns))]
    units = _printed_units(region, cat)
    headings = _section_headings(rows, region, cat)
    for key, row in rows.items():
        for heading in headings.get(key, ()):
            grid.append((L(heading), V("/"), *(V("/") for _ in columns)))
        unit = units.get(key) or cat.entry(key).unit_for("value") or ""
        grid.append((L(row["label"]), V(unit), *(V(row.get(c, "")) for c in columns)))
    return TableModel("pre2019", tuple(grid), header_rows=1, caption=caption)


def _region_tokens(region: list[str]) -> list[str]:
    out = []
    for line in region:
        out += [clean_label(t) for t in re.split(r"\||\s{2,}", line) if t.strip()]
    return out


def _printed_header(region: list[str], columns: list[str], cat) -> tuple[str, str, dict, str | None]:
    tokens = [re.sub(r"\s+", "", t) for t in _region_tokens(region[:8])]
    label_h = next((t for t in tokens if cat.header_role(t) == "label"), "统计指标")
    unit_h = next((t for t in tokens if cat.header_role(t) == "unit"), "单位")
    col_h = {"value": next((t for t in tokens if cat.match_column(t) == "value" and _YEAR_HEADER.search(t)),
                           "统计数"),
             "cumulative": next((t for t in tokens if cat.match_column(t) == "cumulative"), "历年累计")}
    caption = next((t for t in tokens if t.endswith("统计表")), None)
    return label_h, unit_h, col_h, caption


def _printed_units(region: list[str], cat) -> dict[str, str]:
    """key -> the unit the text printed beside its label (the unit column)."""
    from extractors.tables import is_unit

    units: dict[str, str] = {}
    tokens = _region_tokens(region)
    for i, tok in enumerate(tokens[:-1]):
        key = cat.match_row(tok, "pre2019")
        if key and key not in units and is_unit(tokens[i + 1]):
            units[key] = tokens[i + 1].replace(" ", "")
    return units


def _section_headings(rows: dict[str, dict], region: list[str], cat) -> dict[str, list[str]]:
    """Heading rows (一、主动公开情况, （二）通过不同渠道…) the text printed without values,
    keyed by the first gold row they stand above."""
    tokens = _region_tokens(region)
    out: dict[str, list[str]] = {}
    seen: set[str] = set()
    matched = [cat.match_row(t, "pre2019") for t in tokens]
    for i, key in enumerate(matched):
        if not key or key in rows or key in seen:
            continue
        seen.add(key)
        below = next((k for k in matched[i + 1:] if k in rows), None)
        if below:
            out.setdefault(below, []).append(tokens[i])
    return out
