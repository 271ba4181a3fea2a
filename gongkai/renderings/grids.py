"""The official tables of each template generation as grids of merged cells, filled with
a report's gold cells: 2021 / 2019trial 表二, 表三, 表四 and the pre-2019 统计表 (see
:mod:`gongkai.renderings.layout` for what each looks like).

Hand-written: no library knows these templates.
"""
from __future__ import annotations

import re

from gongkai.renderings.model import GridCell, TableModel


def section_of(key: str) -> str:
    return key.split(".")[0] if key.startswith(("t2.", "t3.", "t4.")) else "pre2019"


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
        if section_of(c["key"]) == section:
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
