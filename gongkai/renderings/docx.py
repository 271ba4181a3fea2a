"""A report as a Word document (python-docx), laid out like the reports bodies publish:
A4, a CJK font from fonts-noto-cjk, body text in 三号/四号 with a first-line indent, the
tables ruled ("Table Grid") in 五号 with merged cells made by ``cell.merge``.

Table rows may break across pages (Word's default: no ``cantSplit``), so once printed a
long table crosses page breaks and some rows split between pages.  Some reports repeat
their tables' header rows on every page (``tblHeader``), some do not; some centre the
cells vertically, most keep Word's top alignment (``doc_style``).

Hand-written on python-docx: the layout choices are the point of the rendering.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from gongkai.renderings.layout import Paragraph, ReportModel, TableModel

CJK_FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC")


@dataclass(frozen=True)
class DocStyle:
    font: str
    body_pt: float  # 三号 16, 四号 14
    table_pt: float  # 五号 10.5, 小四 12
    repeat_header: bool
    center_cells: bool  # cells vertically centred (else top-aligned, Word's default)


def doc_style(report_id: str) -> DocStyle:
    h = int(hashlib.sha256(("docx:" + report_id).encode("utf-8")).hexdigest(), 16)
    return DocStyle(font=CJK_FONTS[h % 2], body_pt=(16.0, 14.0)[(h >> 2) % 2],
                    table_pt=(10.5, 12.0)[(h >> 4) % 2], repeat_header=(h >> 6) % 2 == 0,
                    center_cells=(h >> 8) % 3 == 0)


def render_docx(model: ReportModel, style: DocStyle | None = None) -> bytes:
    import docx
    from docx.shared import Mm

    style = style or doc_style(model.report_id)
    doc = docx.Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(37)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _set_font(doc.styles["Normal"], style.font, style.body_pt)
    doc.core_properties.title = model.title[:255]
    for block in model.blocks:
        if isinstance(block, Paragraph):
            _paragraph(doc, block.text, style)
        else:
            if block.caption:
                _paragraph(doc, block.caption, style, center=True)
            _table(doc, block, style)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _set_font(target, font: str, size_pt: float) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    target.font.name = font
    target.font.size = Pt(size_pt)
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), font)


def _paragraph(doc, text: str, style: DocStyle, center: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph(text)
    fmt = p.paragraph_format
    fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(style.body_pt * 1.75)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        fmt.first_line_indent = Pt(style.body_pt * 2)


def _table(doc, table: TableModel, style: DocStyle) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT

    matrix = table.matrix()
    t = doc.add_table(rows=len(matrix), cols=len(matrix[0]))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    text_style = _table_text_style(doc, style)
    cells = [list(row.cells) for row in t.rows]  # once: t.cell() walks the whole table
    for r, row in enumerate(matrix):
        for c, (cell, is_origin) in enumerate(row):
            if is_origin:
                _cell_text(cells[r][c], cell.text, text_style, style)
    for r, row in enumerate(matrix):
        for c, (cell, is_origin) in enumerate(row):
            if is_origin and (cell.rowspan > 1 or cell.colspan > 1):
                cells[r][c].merge(cells[r + cell.rowspan - 1][c + cell.colspan - 1])
    _set_widths(t, matrix)
    if style.repeat_header:
        for r in range(table.header_rows):
            _repeat_header(t.rows[r])


TEXT_WIDTH_MM = 156  # A4 less the margins


def _set_widths(t, matrix) -> None:
    """Label columns wide (the innermost widest), value columns narrow, as the templates
    print them; columns holding no value cell are label columns."""
    from docx.shared import Mm

    width = len(matrix[0])
    labels = [c for c in range(width) if not any(row[c][0].kind == "value" for row in matrix)]
    weights = [(4.0 if c == labels[-1] else 1.6) if c in labels else 1.0 for c in range(width)]
    t.autofit = False
    widths = [Mm(TEXT_WIDTH_MM * weight / sum(weights)) for weight in weights]
    for c, w in enumerate(widths):
        t.columns[c].width = w
    for tr in t._tbl.tr_lst:  # every cell of the column (after merging: its own grid span)
        c = 0
        for tc in tr.tc_lst:
            tc.width = sum(widths[c:c + tc.grid_span], Mm(0))
            c += tc.grid_span


def _table_text_style(doc, style: DocStyle):
    """The paragraph style of table cells: 五号/小四, centred, single-spaced, no indent."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    if "Table Text" in [s.name for s in doc.styles]:
        return doc.styles["Table Text"]
    text = doc.styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    text.base_style = doc.styles["Normal"]
    text.font.size = Pt(style.table_pt)
    fmt = text.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt.space_after, fmt.first_line_indent, fmt.line_spacing = Pt(0), Pt(0), 1.0
    return text


def _cell_text(cell, text: str, text_style, style: DocStyle) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT

    if style.center_cells:
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = cell.paragraphs[0]
    p._p.style = text_style.style_id  # the style by id: python-docx's setter looks it up by name
    p.add_run(text)


def _repeat_header(row) -> None:
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    trpr.append(trpr.makeelement(qn("w:tblHeader"), {}))
