"""PDF tables continued across pages (extractors.read_pdf_pages): each failure class the
rendering suite found (tests/test_renderings.py) as a small case of table parts, the
way pdfplumber hands them over, read through to the table parser's cells."""
from __future__ import annotations

from extractors.read_pdf import fill_label_gaps, table_lines
from extractors.read_pdf_pages import PdfTable, continues, join_pages
from extractors.tables import parse_tables

T3_EDGES = [0, 40, 80, 200] + [200 + 30 * i for i in range(1, 8)]
T3_HEAD = [
    ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"] * 3 + ["申请人情况"] * 7,
    ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"] * 3
    + ["自然人"] + ["法人或其他组织"] * 5 + ["总计"],
    ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"] * 3
    + ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
]


def _row(labels: list[str], *values: int | str) -> list[str | None]:
    return labels + [str(v) for v in values]


def _cells(lines: list[str], heading: str = "三、收到和处理政府信息公开申请情况") -> dict:
    table = parse_tables("\n".join(["2021年政府信息公开工作年度报告", heading, *lines]))
    return {(c.key, c.column): c.raw for c in table.cells}


def _joined(first: PdfTable, *rest: PdfTable) -> list[str]:
    for part in rest:
        assert continues(first, part)
        join_pages(first, part)
    return table_lines(fill_label_gaps(first.rows))  # as read_pdf.pdf_lines prints a table


def _t3_page_one() -> PdfTable:
    rows = T3_HEAD + [
        _row(["一、本年新收政府信息公开申请数量"] * 3, 9, 0, 0, 0, 0, 0, 9),
        _row(["二、上年结转政府信息公开申请数量"] * 3, 0, 0, 0, 0, 0, 0, 0),
        _row(["三、本年度办理结果", "（一）予以公开", "（一）予以公开"], 5, 0, 0, 0, 0, 0, 5),
        _row(["三、本年度办理结果", "（三）不予公开", "6.属于四类过程性信"], 1, 0, 0, 0, 0, 0, 1),
    ]
    return PdfTable(rows, T3_EDGES)


def test_a_split_row_is_joined_and_merged_labels_carry_on():
    """The row broken by the page (values above, the label's last character below) is
    one row; the rows below take the merged labels printed on the previous page; the
    totals row after the break keeps its cells."""
    page_two = PdfTable([
        ["", "", "息", "", "", "", "", "", "", ""],
        _row(["", "", "7.属于行政执法案卷"], 2, 0, 0, 0, 0, 0, 2),
        _row(["", "（七）总计", "（七）总计"], 9, 0, 0, 0, 0, 0, 9),
        _row(["四、结转下年度继续办理"] * 3, 1, 0, 0, 0, 0, 0, 1),
    ], T3_EDGES)
    lines = _joined(_t3_page_one(), page_two)
    assert "三、本年度办理结果 | （三）不予公开 | 6.属于四类过程性信息 | 1 | 0 | 0 | 0 | 0 | 0 | 1" in lines
    cells = _cells(lines)
    assert cells[("t3.denied.process", "natural")] == "1"
    assert cells[("t3.denied.enforcement_file", "total")] == "2"
    assert cells[("t3.total", "natural")] == "9" and cells[("t3.carry_forward", "total")] == "1"
    assert not any(key.startswith("unknown") for key, _ in cells)


def test_a_part_with_other_columns_is_put_on_the_same_grid():
    """The part on the first page lacks the third label column (no row there uses it):
    both parts are put on the union of their column edges before they are joined."""
    edges = [0, 40, 200] + [200 + 30 * i for i in range(1, 8)]
    first = PdfTable([[r[0], r[2]] + r[3:] for r in _t3_page_one().rows[:6]], edges)
    second = PdfTable([
        _row(["", "（三）不予公开", "1.属于国家秘密"], 0, 0, 0, 0, 0, 0, 0),
        _row(["", "（三）不予公开", "2.其他法律行政法规禁止公开"], 3, 0, 0, 0, 0, 0, 3),
    ], T3_EDGES)
    cells = _cells(_joined(first, second))
    assert cells[("t3.granted", "total")] == "5"
    assert cells[("t3.denied.prohibited", "natural")] == "3"


def test_repeated_header_rows_are_dropped_and_pre2019_rows_stay_apart():
    """A pre-2019 table whose header is repeated on the next page: the last row of one
    page and the first row of the next are two rows, not one label."""
    edges = [0, 250, 310, 370, 430]
    head = ["指标名称", "计量单位", "2013年度", "历年累计"]
    first = PdfTable([head, ["受理依申请公开信息总数", "条", "2", "5"], ["5、信函申请数", "条", "0", "1"]], edges)
    second = PdfTable([head, ["对申请的答复总数", "条", "2", "5"], ["行政复议数", "件", "0", "0"]], edges)
    lines = _joined(first, second)
    assert lines.count("指标名称 | 计量单位 | 2013年度 | 历年累计") == 1
    cells = _cells(lines, heading="政府信息公开情况统计表")
    assert cells[("p.apply.letter", "cumulative")] == "1"
    assert cells[("p.reply.total", "value")] == "2"


def test_repeated_title_and_header_rows_of_table_two_are_dropped():
    edges = [0, 250, 310, 370, 430]
    head = [["第二十条第（一）项"], ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"]]
    first = PdfTable(head + [["规章", "0", "0", "7"], ["第二十条第（五）项"],
                             ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
                             ["行政许可", "396", "442", "278"]], edges)
    second = PdfTable(head + [["其他对外管理服务事项", "10", "7", "105"]], edges)
    lines = _joined(first, second)
    assert lines[-1] == "其他对外管理服务事项 | 10 | 7 | 105"
    cells = _cells(["2019年", *lines], heading="二、主动公开政府信息情况")
    assert cells[("t2.other_services", "decisions")] == "105"


def test_a_header_row_above_a_data_row_is_not_a_split_row():
    edges = [0, 250, 310, 370, 430]
    first = PdfTable([["第二十条第（五）项"], ["信息内容", "本年处理决定数量", "本年处理决定数量", "本年处理决定数量"]], edges)
    second = PdfTable([["行政许可", "447228"]], [0, 250, 430])
    lines = _joined(first, second)
    assert lines[-1] == "行政许可 | 447228"


def test_an_all_zero_review_row_on_its_own_page_is_a_row():
    """表四's value row alone on the next page, under a header cut by the page break."""
    edges = [30 * i for i in range(16)]
    head = [["行政复议"] * 5 + ["行政诉讼"] * 10,
            ["结果维", "结果纠", "其他结", "尚未审", "总计"] + ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5]
    first = PdfTable(head, edges)
    second = PdfTable([["持", "正", "果", "结", ""] + [""] * 10, ["0"] * 15], edges)
    lines = _joined(first, second)
    assert lines[-1] == " | ".join(["0"] * 15)
    cells = _cells(lines, heading="四、政府信息公开行政复议、行政诉讼情况")
    assert cells[("t4.review", "upheld")] == "0" and cells[("t4.litigation_after_review", "total")] == "0"
    assert len(cells) == 15


def test_a_table_elsewhere_on_the_page_does_not_continue():
    first = PdfTable([["规章", "0", "0", "0"]], [0, 250, 310, 370, 430])
    assert not continues(first, PdfTable([["a", "1"]], [100, 200, 300]))


def test_a_number_wrapped_in_a_narrow_column_stays_one_number():
    from extractors.read_common import join_wrapped

    assert [join_wrapped(t) for t in ("300\n1", "本年制发\n件数", "2013年\n度")] == ["3001", "本年制发件数", "2013年度"]


def test_the_rest_of_a_split_row_leaves_the_unit_column_alone():
    """A pre-2019 label wrapped onto the next page: its empty unit cell there is not a copy
    of the label, and the unit printed above stays the row's unit."""
    edges = [0, 250, 310, 370]
    first = PdfTable([["统计指标", "单位", "统计数"], ["(三)从事政府信息公开工作人员数", "人", "3"],
                      ["(四)政府信息公开专项经费(不包括用于政府公报编辑", "万元", "0"]], edges)
    second = PdfTable([["管理及政府网站建设维护等方面的经费)", "", ""],
                       ["九、政府信息公开会议和培训情况", "/", "/"], ["(一)召开政府信息公开工作会议或专题会议数", "次", "2"]], edges)
    lines = _joined(first, second)
    assert "(四)政府信息公开专项经费(不包括用于政府公报编辑管理及政府网站建设维护等方面的经费) | 万元 | 0" in lines
    cells = _cells(lines, heading="政府信息公开情况统计表")
    assert cells[("p.org.budget", "value")] == "0" and cells[("p.meeting.meetings", "value")] == "2"


def test_a_number_wrapped_and_cut_by_the_page_break_is_one_number():
    """Regression (found by a rendering variant with narrow value columns): the row of
    上年结转 split by the page with its two-digit numbers wrapped, "3" above and "4" below,
    is one row of 34, not a row of 3 and an unknown row 申请数量 (which made T3.BALANCE fail)."""
    first = PdfTable(T3_HEAD + [
        _row(["一、本年新收政府信息公开申请数量"] * 3, 9, 0, 0, 0, 0, 0, 9),
        _row(["二、上年结转政府信息公开"] * 3, 3, 0, 0, 0, 0, 0, 3)], T3_EDGES)
    second = PdfTable([
        _row(["申请数量"] * 3, 4, "", "", "", "", "", 4),
        _row(["三、本年度办理结果", "（一）予以公开", "（一）予以公开"], 5, 0, 0, 0, 0, 0, 5)], T3_EDGES)
    cells = _cells(_joined(first, second))
    assert cells[("t3.carried_over", "natural")] == "34" and cells[("t3.carried_over", "total")] == "34"
    assert cells[("t3.granted", "total")] == "5"
    assert not any(key.startswith("unknown") for key, _ in cells)


def test_a_unit_wrapped_onto_the_next_page_stays_with_its_number():
    """The amount's unit alone on the next page, its cell drawn over two columns of the
    union grid there (the amount above spans them): one amount, no row of its own."""
    edges = [0, 250, 310, 370, 430]
    first = PdfTable([["第二十条第（十一）项"], ["信息内容", "采购项目数量", "采购总金额", "采购总金额"],
                      ["政府集中采购", "395", "75394432.52", None]], edges)
    second = PdfTable([["", "", "元"]], [0, 251, 311, 430])
    assert _joined(first, second)[-1] == "政府集中采购 | 395 | 75394432.52元"


def test_a_group_label_cut_with_its_split_row_names_every_row_of_the_group():
    """The page break cuts both the group label ("（六）其" | "他处理") and the first row's
    own label; the rows after the break keep the whole group label, not its lower part
    (they were read as ``unknown:他处理…`` rows)."""
    first = PdfTable(_t3_page_one().rows[:-1] + [
        _row(["三、本年度办理结果", "（六）其", "1.申请人无正当理由"], 67, 3, 0, 0, 1, 0, 71),
    ], T3_EDGES)
    second = PdfTable([
        ["", "他处理", "逾期不补正、行政机关不再处理其政府信息公开申请", "", "", "", "", "", "", ""],
        _row(["", "他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"], 6, 0, 0, 0, 0, 0, 6),
        _row(["", "他处理", "3.其他"], 108, 2, 0, 0, 0, 0, 110),
        _row(["", "（七）总计", "（七）总计"], 190, 5, 0, 0, 1, 0, 196),
    ], T3_EDGES)
    cells = _cells(_joined(first, second))
    assert cells[("t3.other.other", "natural")] == "108"
    assert cells[("t3.other.no_fee", "total")] == "6"
    assert not any(key.startswith("unknown") for key, _ in cells)


def test_a_pre2019_header_row_broken_by_the_page_is_one_header():
    """The table starts at the foot of a page with only its header row, broken after the
    year ("2015" | "年度", "计量单" | "位"): the two parts are one header, and the rows on
    the next page are read under it (they were all unknown rows)."""
    edges = [0, 250, 310, 370, 430]
    first = PdfTable([["指标名称", "计量单", "2015", "历年累"]], edges)
    second = PdfTable([["", "位", "年度", "计"], ["主动公开文件数", "条", "2949", "81916"],
                       ["受理依申请公开信息总数", "条", "0", "1"]], edges)
    lines = _joined(first, second)
    assert lines[0] == "指标名称 | 计量单位 | 2015年度 | 历年累计"
    cells = _cells(lines, heading="政府信息公开情况统计表")
    assert cells[("p.proactive.total", "cumulative")] == "81916"
    assert cells[("p.apply.received", "value")] == "0"
    assert not any(key.startswith("unknown") for key, _ in cells)
