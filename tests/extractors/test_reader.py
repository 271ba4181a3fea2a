"""reader.read_document and normalize: the real corpus, then synthetic bad and tricky inputs."""
from __future__ import annotations

import io
import random
import re
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import errors
from extractors.normalize import is_layout_text, normalize_text
from extractors.reader import detect_format, expand_grid, read_document

REPORT_PARAGRAPH = (
    "平潭综合实验区2021年度政府信息公开工作年度报告\n"
    "本报告根据《中华人民共和国政府信息公开条例》要求编制。本报告所列数据的统计期限自2021年1月1日起至2021年12月31日止。\n"
    "一、总体情况\n2021年，我区主动公开政府信息1136条，受理政府信息公开申请21件，均在法定期限内答复。\n"
)
REPORT_PARAGRAPH_BIG5 = (
    "臺北市政府2021年度政府資訊公開工作年度報告\n"
    "本報告依據《政府資訊公開條例》要求編製。本報告所列資料的統計期限自2021年1月1日起至2021年12月31日止。\n"
    "一、總體情況\n2021年，本府主動公開政府資訊1136條，受理政府資訊公開申請21件，均在法定期限內答覆。\n"
)
NEW_ROW = "一、本年新收政府信息公开申请数量"

# ------------------------------------------------------------------------ real corpus


def test_reader_reads_every_corpus_document(corpus_document):
    doc = read_document(corpus_document.read_bytes(), corpus_document.name)
    assert doc.text.strip()
    assert doc.format == ("pdf" if corpus_document.suffix == ".pdf" else "txt")
    assert normalize_text(doc.text) == doc.text
    if doc.format == "txt":
        assert doc.encoding == "utf-8" and "encoding_uncertain" not in doc.flags


def _numbers(cells: list[str]) -> list[int]:
    return [int(c) for c in cells if re.fullmatch(r"\d+", c.strip())]


def test_pdf_table3_new_row_matches_text_rendering(corpus_pdf, corpus_dir):
    doc = read_document(corpus_pdf.read_bytes(), corpus_pdf.name)
    rows = [ln for ln in doc.text.split("\n") if " | " in ln and NEW_ROW in ln]
    assert len(rows) == 1, rows
    pdf_numbers = _numbers(rows[0].split(" | "))[-7:]
    layout = (corpus_dir / "reports" / f"{corpus_pdf.stem}.txt").read_text(encoding="utf-8")
    layout_line = next(ln for ln in layout.split("\n") if NEW_ROW in ln)
    assert pdf_numbers == [int(n) for n in re.findall(r"\d+", layout_line.split(NEW_ROW)[1])]


def test_pdf_route_expands_merged_row_labels(corpus_pdf):
    doc = read_document(corpus_pdf.read_bytes(), corpus_pdf.name)
    rows = [ln.split(" | ") for ln in doc.text.split("\n") if " | " in ln]
    results = [r for r in rows if r[0] == "三、本年度办理结果"]
    assert len(results) >= 15  # every result row carries its merged label, across the page break
    assert any(r[1] == "（五）不予处理" and r[2].startswith("1.") for r in results)
    assert [len(r) for r in rows if r[0] == "行政许可"] == [2]  # a value spanning columns counts once
    assert all(r[2] for r in results)  # blank sub-label cells continue their label
    assert not any(re.fullmatch(r"[-—]\s*\d+\s*[-—]", ln.strip()) for ln in doc.text.split("\n"))


def test_pdf_title_hint_from_metadata(corpus_dir):
    doc = read_document((corpus_dir / "pdf" / "2023_huaian_hongzequ_zf.pdf").read_bytes())
    assert doc.title_hint and "年度报告" in doc.title_hint


def test_layout_text_detected(corpus_dir):
    layout = (corpus_dir / "reports" / "2024_huaian_shizf.txt").read_text(encoding="utf-8")
    html_rendered = (corpus_dir / "reports" / "2021_pingtan_zhsyq.txt").read_text(encoding="utf-8")
    assert is_layout_text(layout) and not is_layout_text(html_rendered)
    assert not re.search(r"(?m)^\s*-\d+-\s*$", normalize_text(layout))


def test_truncated_corpus_pdf_is_corrupt(corpus_dir):
    data = (corpus_dir / "pdf" / "2024_huaian_shizf.pdf").read_bytes()
    with pytest.raises(errors.CorruptDocument, match="truncated"):
        read_document(data[: len(data) // 2], "cut.pdf")


# ------------------------------------------------------------------------ bad inputs


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  "], ids=["zero-bytes", "whitespace"])
def test_empty(data):
    with pytest.raises(errors.EmptyDocument):
        read_document(data, "empty.txt")


def test_random_binary_is_refused():
    data = random.Random(3).randbytes(4096)
    with pytest.raises(errors.BinaryDocument, match="binary"):
        read_document(data, "x.bin")


def test_bad_utf16_is_undecodable():
    with pytest.raises(errors.UndecodableDocument):
        read_document(b"\xff\xfe" + "报告".encode("utf-16-le") + b"a", "x.txt")


def test_legacy_doc_is_unsupported():
    with pytest.raises(errors.UnsupportedFormat, match="DOCX or PDF"):
        read_document(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.doc")


# ------------------------------------------------------------------------ encodings


@pytest.mark.parametrize(
    "encoding,expected",
    [("gbk", ("gb18030", "gbk", "gb2312")), ("gb18030", ("gb18030", "gbk")), ("big5", ("big5", "big5hkscs", "cp950"))],
)
def test_chinese_encodings(encoding, expected):
    text = REPORT_PARAGRAPH if encoding != "big5" else REPORT_PARAGRAPH_BIG5
    doc = read_document(text.encode(encoding), "r.txt")
    assert doc.encoding in expected
    assert doc.text == normalize_text(text)


def test_utf8_bom():
    doc = read_document(b"\xef\xbb\xbf" + REPORT_PARAGRAPH.encode("utf-8"), "r.txt")
    assert doc.encoding == "utf-8-sig" and doc.text.startswith("平潭")


def test_short_ambiguous_bytes_flag_uncertain_or_decode():
    doc = read_document("报告：一".encode("gbk"), "r.txt")
    assert doc.text and doc.encoding


# ------------------------------------------------------------------------ html

WORD_HTML = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>某县2020年政府信息公开工作年度报告_某县人民政府</title>
<style>p.MsoNormal{mso-style-parent:"";}</style><script>var x = "<p>不要</p>";</script></head><body>
<div class="top"><a href="/">首页</a> <a href="/zw">政务公开</a> <a href="/nb">信息公开年报栏目</a> <a href="/x">网站地图</a></div>
<div class="article"><h1>某县2020年政府信息公开工作年度报告</h1><div class="TRS_Editor">
<p class="MsoNormal" style="mso-list:l0 level1">　　<!--[if !supportLists]--><span>一、</span><!--[endif]-->总体情况<o:p></o:p></p>
<p class=MsoNormal>2020年，全县主动公开政府信息<span lang=EN-US>1136</span>条，受理申请<b>21</b>件，均按时办结。<o:p>&nbsp;</o:p>
<p class=MsoNormal>全县进一步完善政府信息公开制度，健全主动公开目录，加强政策解读和回应关切。<o:p></o:p></p>
<p>二、主动公开政府信息情况
<table border=1><tr><td rowspan=2>第二十条第（一）项</td><td colspan=2>信息内容</td><td>本年制发件数</td></tr>
<tr><td>规章</td><td>x</td><td>0</td></tr></table>
<table><tr><td>行政规范性文件</td><td>69</td></tr></table>
</div></div>
<div class="footer"><p>主办：某县人民政府办公室 承办：某县大数据中心 网站标识码 备案号 地址：某路1号 版权所有 联系我们</p></div>
</body></html>"""


def test_word_export_html_in_site_chrome():
    doc = read_document(WORD_HTML.encode("gb18030"), "page.html")
    lines = doc.text.split("\n")
    assert doc.format == "html" and doc.title_hint.startswith("某县2020年")
    assert lines[0] == "某县2020年政府信息公开工作年度报告"
    assert "一、总体情况" in lines
    assert "2020年，全县主动公开政府信息1136条，受理申请21件，均按时办结。" in lines
    assert "第二十条第（一）项 | 信息内容 | 信息内容 | 本年制发件数" in lines
    assert "第二十条第（一）项 | 规章 | x | 0" in lines
    assert "行政规范性文件 | 69" in lines  # a table split over two <table>s just continues
    assert not any(w in doc.text for w in ("首页", "备案号", "不要", "mso-"))


_PAGE = "<html><body><div><p>某区2021年政府信息公开工作年度报告正文第一段落内容。</p><table>{}</table></div></body></html>"


@pytest.mark.parametrize("rows, expected", [
    pytest.param(  # spans are repeated into every cell they cover
        "<tr><td rowspan=3>三、本年度办理结果</td><td colspan=2>（一）予以公开</td><td>5</td></tr>"
        "<tr><td rowspan=2>（三）不予公开</td><td>1.属于国家秘密</td><td>0</td></tr>"
        "<tr><td>2.其他法律行政法规禁止公开</td><td>1</td></tr>",
        ["三、本年度办理结果 | （一）予以公开 | （一）予以公开 | 5",
         "三、本年度办理结果 | （三）不予公开 | 1.属于国家秘密 | 0",
         "三、本年度办理结果 | （三）不予公开 | 2.其他法律行政法规禁止公开 | 1"],
        id="rowspan-colspan-grid"),
    pytest.param(  # ...except a number, which is one cell's value, not a label
        "<tr><td>信息内容</td><td colspan=3>本年处理决定数量</td></tr>"
        "<tr><td>行政许可</td><td colspan=3>550</td></tr><tr><td rowspan=2>合计</td><td colspan=2>12</td><td>3</td></tr>",
        ["信息内容 | 本年处理决定数量 | 本年处理决定数量 | 本年处理决定数量",
         "行政许可 | 550",
         "合计 | 12 |  | 3"],
        id="numeric-colspan-not-repeated"),
])
def test_html_spans(rows: str, expected: list[str]):
    lines = read_document(_PAGE.format(rows).encode(), "t.html").text.split("\n")
    assert lines[1:] == expected


def test_expand_grid_ragged_rows():
    assert expand_grid([[("a", 1, 3)], [("b", 1, 1)]]) == [["a", "a", "a"], ["b"]]


def test_broken_html_recovers():
    html = "<html><body><div><p>某县2019年政府信息公开工作年度报告<p>一、总体情况<table><tr><td>规章<td>3</table><p>二、主动公开政府信息情况</div"
    doc = read_document(html.encode(), "broken.html")
    assert "规章 | 3" in doc.text.split("\n") and "二、主动公开政府信息情况" in doc.text


def test_html_with_empty_article():
    html = "<html><head><title>某县年度报告</title></head><body><div class=nav><a href=1>首页</a></div><div class=content><p>&nbsp;</p></div></body></html>"
    with pytest.raises(errors.NoReportText, match="article is empty"):
        read_document(html.encode(), "empty.html")


def test_format_detection():
    assert detect_format(b"%PDF-1.7\n...") == "pdf"
    assert detect_format(b"<!DOCTYPE html><html><body>x</body></html>") == "html"
    assert detect_format("一、总体情况".encode()) == "txt"
    assert detect_format(b"plain", "page.shtml") == "html"


# ------------------------------------------------------------------------ pdf


def _blank_pdf() -> bytes:
    """A valid one-page PDF with no text layer (what a scanned report looks like to us)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length 19 >>\nstream\n0 0 100 100 re f\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (n, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    out.writelines(b"%010d 00000 n \n" % off for off in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def test_image_only_pdf_needs_ocr():
    doc = read_document(_blank_pdf(), "scan.pdf")
    assert doc == doc.__class__(text="", format="pdf", flags=("needs_ocr",), title_hint=None)


def test_truncated_synthetic_pdf():
    data = _blank_pdf()
    with pytest.raises(errors.CorruptDocument):
        read_document(data[:120], "cut.pdf")


def test_garbled_pdf_body_is_corrupt():
    data = b"%PDF-1.4\n" + random.Random(1).randbytes(3000) + b"\n%%EOF\n"
    with pytest.raises(errors.CorruptDocument, match="damaged PDF"):
        read_document(data, "bad.pdf")


# ------------------------------------------------------------------------ docx


def _merged_docx() -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = "某区2022年政府信息公开工作年度报告"
    d.add_paragraph("某区2022年政府信息公开工作年度报告")
    d.add_paragraph("一、总体情况")
    t = d.add_table(rows=3, cols=4)
    for r, row in enumerate([["", "", "自然人", "总计"], ["", "（一）予以公开", "5", "5"], ["", "（二）部分公开", "1", "1"]]):
        for c, val in enumerate(row):
            t.cell(r, c).text = val
    t.cell(0, 0).merge(t.cell(0, 1)).text = "（本列数据的勾稽关系）"
    t.cell(1, 0).merge(t.cell(2, 0)).text = "三、本年度办理结果"
    t.cell(1, 2).merge(t.cell(1, 3)).text = "5"
    d.add_paragraph("二、主动公开政府信息情况")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_with_merged_cells():
    doc = read_document(_merged_docx(), "r.docx")
    assert doc.format == "docx" and doc.title_hint == "某区2022年政府信息公开工作年度报告"
    assert doc.text.split("\n") == [
        "某区2022年政府信息公开工作年度报告",
        "一、总体情况",
        "（本列数据的勾稽关系） | （本列数据的勾稽关系） | 自然人 | 总计",
        "三、本年度办理结果 | （一）予以公开 | 5",
        "三、本年度办理结果 | （二）部分公开 | 1 | 1",
        "二、主动公开政府信息情况",
    ]


def test_truncated_docx_is_corrupt():
    data = _merged_docx()
    with pytest.raises(errors.CorruptDocument, match="truncated"):
        read_document(data[: len(data) // 2], "cut.docx")


def test_zip_that_is_not_docx():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(errors.UnsupportedFormat, match="not a DOCX"):
        read_document(buf.getvalue(), "a.zip")


# ------------------------------------------------------------------------ normalize

NORMALIZE_CASES = [
    ("\ufeff一、总体情况\r\n", "一、总体情况"),
    ("主动公开１２８条，占３３．９％；比例１／３", "主动公开128条，占33.9%；比例1/3"),
    ("（一）数量：ＡＢｃ，。", "（一）数量：ABc，。"),
    ("a\u200bb\u00a0c\u3000d  \n", "ab c d"),
    ("正文\n\n\n\n\n\n下一段", "正文\n\n\n下一段"),
    ("正文\n        -1-\n下一页\n- 2 -\n第3页\n", "正文\n下一页"),
    ("规章 | 0 | 0\f行政许可 | 5", "规章 | 0 | 0\n行政许可 | 5"),
]


@pytest.mark.parametrize("raw,expected", NORMALIZE_CASES)
def test_normalize_cases(raw, expected):
    assert normalize_text(raw) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_normalize_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["一、总体情况", "", "  ", "-1-", "１２", "\r\n", "\u3000", "a | b", "\ufeff", "\n"]), max_size=30))
def test_normalize_is_idempotent_on_report_like_text(parts):
    text = "\n".join(parts)
    assert normalize_text(normalize_text(text)) == normalize_text(text)


@pytest.mark.parametrize("module", ["extractors.normalize", "extractors.read_common"])
def test_doctests(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


def test_html_article_as_br_separated_div_text():
    html = (
        "<html><body><div id=nav><a href=/>首页</a><a href=/a>机构概况</a><a href=/b>政务公开</a></div>"
        "<div id=side><p>热点专题：优化营商环境专题栏目入口</p></div>"
        "<div id=zoom>某镇2020年政府信息公开工作年度报告<br>一、总体情况<br>"
        "2020年，本镇主动公开政府信息86条，未收到政府信息公开申请。<br>二、主动公开政府信息情况<br></div>"
        "<div id=foot>主办单位：某镇人民政府 版权所有</div></body></html>"
    )
    lines = read_document(html.encode(), "z.html").text.split("\n")
    assert lines == [
        "某镇2020年政府信息公开工作年度报告",
        "一、总体情况",
        "2020年，本镇主动公开政府信息86条，未收到政府信息公开申请。",
        "二、主动公开政府信息情况",
    ]


def test_html_title_far_above_the_article_body():
    """The shape of the pingtan.gov.cn pages: the title sits five levels above the text,
    between them a source/time line, a version switch and a breadcrumb elsewhere."""
    paragraph = "<p class=MsoNormal><span><font>（一）主动公开方面。全年主动公开政府信息2645条，主要通过政府网站公开。</font></span></p>"
    html = (
        "<html><body><div class=breadcrumb><a href=/>首页</a><a href=/nb>政府信息公开年报</a></div>"
        "<div class=article_component><div class=article_title_group><div class=article_title>"
        "平潭综合实验区2021年度政府信息公开工作年度报告</div></div>"
        "<div class=article_extend><span>来源：平潭县人民政府</span><span>时间：2022-02-08 16:34</span></div>"
        "<div class=tabs><div class=tabs_hd><ul><li><a href=#>全真版</a></li><li><a href=#>文字版</a></li></ul></div>"
        "<div class=tabs_content><div class=word_con><div class=article_area><div class=article_content>"
        + paragraph * 6 + "</div></div></div></div></div></div>"
        "<div class=footer><p>主办：平潭综合实验区党工委管委会办公室 网站标识码3590000001</p></div></body></html>"
    )
    lines = read_document(html.encode(), "p.html").text.split("\n")
    assert lines[0] == "平潭综合实验区2021年度政府信息公开工作年度报告"
    assert lines[-1].startswith("（一）主动公开方面") and not any("首页" in ln or "主办" in ln for ln in lines)


def test_utf8_cut_mid_character_decodes_with_a_flag():
    data = REPORT_PARAGRAPH.encode("utf-8") + "报".encode("utf-8")[:2]
    doc = read_document(data, "cut.txt")
    assert doc.encoding == "utf-8" and doc.flags == ("encoding_uncertain",)
    assert doc.text.startswith("平潭综合实验区2021年度")


def test_docx_extension_on_html_bytes_reads_html():
    html = "<html><body><div><p>某县2020年政府信息公开工作年度报告</p><p>一、总体情况，全年主动公开信息。</p></div></body></html>"
    assert read_document(html.encode(), "report.docx").format == "html"
