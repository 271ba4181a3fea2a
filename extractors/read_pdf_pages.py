"""PDF tables that continue on the next page, put back together.

Word and LibreOffice print a long table over several pages: the part on the next page
may repeat the header rows (or not), a row may be split between the pages (Word's
default: the row's first lines on one page, the rest on the next), a label merged over
several rows (三、本年度办理结果, （三）不予公开) is printed only on the page where its
cell starts, and the part on each page is a table of its own for pdfplumber, with only
the columns whose rules are drawn on that page.

:func:`join_pages` carries a table on: a table that opens a page continues the table that
closed the previous one when both stand between the same left and right edges.  Both
parts are put on the union of their column edges (a cell spanning several columns of the
union repeats its text, a number counts once), repeated header rows are dropped, a split
row is joined back into one (also when a number wrapped in a narrow column is cut by the
break: "3" above, "4" below), and the empty label cells left by a merged label of the
previous page take that label.

Hand-written: pdfplumber finds each page's ruled tables; what makes them one table is
knowledge of how word processors break tables, which no library has.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractors.read_common import is_number_cell, join_wrapped

EDGE_TOLERANCE = 3.0  # points: column edges closer than this are one edge


@dataclass
class PdfTable:
    """One ruled table of a page: its rows (merged cells filled, ``None`` where a number
    spans) and the x positions of its column edges (``len(rows[i]) + 1`` of them for a
    full row; a row read as one text is a one-item list)."""

    rows: list[list[str | None]]
    edges: list[float]
    head: int = field(default=-1)  # leading header rows (no number); counted when made

    def __post_init__(self) -> None:
        if self.head < 0:
            self.head = _head_rows(self.rows)

    @property
    def left(self) -> float:
        return self.edges[0]

    @property
    def right(self) -> float:
        return self.edges[-1]


def _head_rows(rows: list[list[str | None]]) -> int:
    """Leading rows without a number: the header rows (and title rows such as
    "第二十条第（一）项") a word processor repeats at the top of each page."""
    n = 0
    for row in rows:
        if any(is_number_cell(c) for c in row):
            break
        n += 1
    return n


# ----------------------------------------------------------------------------- joining

def continues(prev: PdfTable, nxt: PdfTable) -> bool:
    """Whether ``nxt`` (opening a page) carries on ``prev`` (closing the previous one):
    both stand between the same edges and, where both hold numbers, their value columns
    (from the first column holding a number) have the same edges, so that no value is
    moved to another column.  Label columns may differ (a column whose rules are drawn
    on one page only).

    >>> continues(PdfTable([["a", "1", "2"]], [0, 50, 75, 100]), PdfTable([["", "b", "3", "4"]], [0, 20, 50, 76, 100]))
    True
    >>> continues(PdfTable([["a", "1", "2"]], [0, 50, 75, 100]), PdfTable([["b", "3"]], [0, 50, 100]))
    False
    """
    if abs(prev.left - nxt.left) > EDGE_TOLERANCE or abs(prev.right - nxt.right) > EDGE_TOLERANCE:
        return False
    a, b = _value_edges(prev), _value_edges(nxt)
    return a is None or b is None or (len(a) == len(b) and all(abs(x - y) <= EDGE_TOLERANCE for x, y in zip(a, b)))


def _value_edges(table: PdfTable) -> list[float] | None:
    width = len(table.edges) - 1
    cols = [c for row in table.rows if len(row) == width for c, v in enumerate(row) if is_number_cell(v)]
    return table.edges[min(cols):] if cols else None


def join_pages(prev: PdfTable, nxt: PdfTable) -> None:
    """Append ``nxt``'s rows to ``prev`` (in place), as one table."""
    edges = union_edges(prev.edges, nxt.edges)
    prev.rows = regrid(prev.rows, prev.edges, edges)
    rows = regrid(nxt.rows, nxt.edges, edges)
    prev.edges = edges
    rows = drop_repeated_head(prev.rows[:prev.head], rows)
    if not rows:
        return
    labels = label_columns(prev.rows + rows)
    if prev.rows and is_split_row(prev.rows[-1], rows[0], labels):
        top, bottom = prev.rows[-1], rows[0]
        prev.rows[-1] = join_row(top, bottom)
        carry_joined_labels(prev.rows, rows, top, bottom, labels)
        rows = rows[1:]
    elif prev.rows:
        join_split_labels(prev.rows, rows, labels)
    if prev.rows and rows:
        rows = continue_rows(prev.rows[-1], rows, labels)
    prev.rows.extend(rows)


def union_edges(a: list[float], b: list[float]) -> list[float]:
    """Both edge lists merged, edges closer than ``EDGE_TOLERANCE`` taken as one.

    >>> union_edges([0, 50, 100], [0, 20, 51, 100])
    [0, 20, 50, 100]
    """
    out: list[float] = []
    for x in sorted(a + b):
        if not out or x - out[-1] > EDGE_TOLERANCE:
            out.append(x)
    return out


def regrid(rows: list[list[str | None]], edges: list[float], union: list[float]) -> list[list[str | None]]:
    """Rows on the union's columns: a column split in the union repeats its text in each
    part, except a number, which counts once (its other parts are ``None``).

    >>> regrid([["行政许可", "550"]], [0, 50, 100], [0, 50, 70, 100])
    [['行政许可', '550', None]]
    """
    width = len(edges) - 1
    owner = [_owning_column(edges, (x0 + x1) / 2) for x0, x1 in zip(union, union[1:])]
    out = []
    for row in rows:
        if len(row) != width:
            out.append(row)  # a row read as one text keeps its shape
            continue
        new: list[str | None] = []
        for j, col in enumerate(owner):
            value = row[col]
            first = j == 0 or owner[j - 1] != col
            new.append(value if first or not is_number_cell(value) else None)
        out.append(new)
    return out


def _owning_column(edges: list[float], x: float) -> int:
    for i in range(len(edges) - 1):
        if edges[i] <= x < edges[i + 1]:
            return i
    return 0 if x < edges[0] else len(edges) - 2


def _clean(row: list[str | None]) -> list[str]:
    return [re.sub(r"\s+", "", c or "") for c in row]


def drop_repeated_head(head: list[list[str | None]], rows: list[list[str | None]]) -> list[list[str | None]]:
    """``rows`` without the header rows the page repeated at its top."""
    heads = [_clean(h) for h in head]
    n = 0
    while n < len(rows) and _clean(rows[n]) in heads:
        n += 1
    return rows[n:]


def label_columns(rows: list[list[str | None]]) -> set[int]:
    """Columns holding no number in any full row (the label columns)."""
    width = max((len(r) for r in rows), default=0)
    full = [r for r in rows if len(r) == width]
    return {c for c in range(width) if not any(is_number_cell(r[c]) for r in full)}


_ORDINAL_START = re.compile(r"^\s*(?:[（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+\s*、|\d+\s*[.、．]|其中)")


def _filled(cell: str | None) -> bool:
    return bool(cell and cell.strip())


def _is_value(cell: str | None) -> bool:
    """A number, or a sign printed for "nothing to report" (/ — 无)."""
    return is_number_cell(cell) or (cell or "").strip() in ("/", "／", "-", "—", "－", "无")


_YEAR = re.compile(r"(?:19|20)\d{2}")


def is_split_row(top: list[str | None], bottom: list[str | None], labels: set[int]) -> bool:
    """Whether ``bottom`` (opening the page) is the rest of ``top`` (closing the previous
    one): a row broken across the page break.  One part holds the values and the other
    only the rest of the label text, or (a header row) neither holds values and every
    text of the lower part stands under a text of the upper part; the lower part starts
    no label of its own (no ordinal such as "（五）", "2." or "其中").

    >>> labels = {0}
    >>> is_split_row(["6.属于四类过程性信", "1", "0"], ["息", "", ""], labels)
    True
    >>> is_split_row(["5、信函申请数", "0", "0"], ["对申请的答复总数", "0", "0"], labels)
    False
    >>> is_split_row(["4.保护第三方合法权益", "1", "0"], ["5.属于三类内部事务信息", "", ""], labels)
    False
    >>> is_split_row(["结果维", "结果纠", "总计"], ["持", "正", ""], set())
    True
    >>> is_split_row(["信息内容", "本年处理决定数量"], ["行政许可", "447228"], {0})
    False
    >>> is_split_row(["二、上年结转政府信息公开", "3", "0", "3"], ["申请数量", "4", "", "4"], labels)
    True
    >>> is_split_row(["指标名称", "计量单", "2015", "历年累"], ["", "位", "年度", "计"], {0, 1})
    True
    """
    if len(top) != len(bottom) or len(top) < 2:
        return False  # a one-cell row is a line of prose in a frame
    values = [c for c in range(len(top)) if c not in labels]
    top_has = any(_is_value(top[c]) and not _year_heading(top[c], bottom[c]) for c in values)
    bottom_has = any(_is_value(bottom[c]) for c in values)
    own = [c for c in range(len(top)) if _filled(bottom[c]) and bottom[c] != top[c]]
    if not own or any(_ORDINAL_START.match(bottom[c] or "") for c in own):
        return False
    if top_has and wraps_numbers(top, bottom, values):
        return True
    if any(is_number_cell(bottom[c]) and top_has for c in own):
        return False
    if top_has and bottom_has:
        return False  # two rows of values
    if top_has:
        return all(c in labels for c in own)
    if bottom_has:  # the label's first lines above, with nothing in the value columns
        return any(_filled(top[c]) for c in labels) and not any(_filled(top[c]) for c in values)
    return all(_filled(top[c]) and (not is_number_cell(top[c]) or _year_heading(top[c], bottom[c]))
               for c in own)  # a header row


def _year_heading(top: str | None, bottom: str | None) -> bool:
    """A column heading such as "2015年度" wrapped after its year ("2015" | "年度"): the year
    is heading text, not a value.

    >>> _year_heading("2015", "年度"), _year_heading("2015", "3"), _year_heading("7", "年")
    (True, False, False)
    """
    return bool(_YEAR.fullmatch((top or "").strip())) and (bottom or "").strip().startswith("年")


def wraps_numbers(top: list[str | None], bottom: list[str | None], values: list[int]) -> bool:
    """Whether the filled value cells of ``bottom`` are the rest of ``top``'s numbers, wrapped
    in a narrow column and cut by the page break ("3" | "4" is 34, "75394432.52" | "元"):
    each continues a number above into a number, and the reading is unambiguous: one of
    them is no number by itself (a unit), or a value above has nothing below (the row's
    short numbers fitted on its first line; a row of its own would print them).

    >>> wraps_numbers(["a", "3", "0", "3"], ["b", "4", "", "4"], [1, 2, 3])
    True
    >>> wraps_numbers(["a", "75394432.52"], ["", "元"], [1])
    True
    >>> wraps_numbers(["a", "73802895.90", None], ["", "元", "元"], [1, 2])  # one cell over two columns
    True
    >>> wraps_numbers(["5、信函申请数", "0", "0"], ["对申请的答复总数", "0", "0"], [1, 2])
    False
    """
    filled = [c for c in values if _filled(bottom[c]) and not _spanned(top, bottom, c)]
    if not filled or not all(is_number_cell(top[c]) and is_number_cell(join_wrapped(f"{top[c]}\n{bottom[c]}"))
                             for c in filled):
        return False
    return (any(not is_number_cell(bottom[c]) for c in filled)
            or any(_is_value(top[c]) and not _filled(bottom[c]) for c in values))


def _spanned(top: list[str | None], bottom: list[str | None], c: int) -> bool:
    """Column ``c`` is covered by the cell to its left in both parts (a number's hole
    above, the same text repeated below)."""
    return c > 0 and top[c] is None and bottom[c] == bottom[c - 1]


def join_row(top: list[str | None], bottom: list[str | None]) -> list[str | None]:
    """The two parts of a split row as one row, cell by cell."""
    return [None if _spanned(top, bottom, c) else _join_cell(a, b)
            for c, (a, b) in enumerate(zip(top, bottom))]


def _join_cell(a: str | None, b: str | None) -> str | None:
    if not _filled(b) or a == b:
        return a
    if not _filled(a):
        return b
    return join_wrapped(f"{a}\n{b}")  # the two parts are one cell's wrapped lines


def join_split_labels(prev: list[list[str | None]], rows: list[list[str | None]], labels: set[int]) -> None:
    """Join a merged label the page break cut in two ("（四）无" | "法提供" → "（四）无法提供"),
    in place in both parts: the part above starts with an ordinal, the part below does
    not, the column is a parent label column (a label column with another label column
    to its right, which holds the rows' own labels) and the cell is merged over several
    rows on one side at least (its text repeated).

    >>> a, b = [["三", "（四）无", "1.x", "0"]], [["", "法提供", "2.y", "1"], ["", "法提供", "3.z", "0"], ["", "（五）不予处理", "1.w", "0"]]
    >>> join_split_labels(a, b, {0, 1, 2}); a[0][1], [r[1] for r in b]
    ('（四）无法提供', ['（四）无法提供', '（四）无法提供', '（五）不予处理'])
    """
    top, below = prev[-1], rows[0]
    inner = max(labels, default=-1)
    for c, (x, y) in enumerate(zip(top, below)):
        if c not in labels or c >= inner or not x or not y or x == y:
            continue
        if not _ORDINAL_START.match(x) or _ORDINAL_START.match(y) or not _merged(prev, rows, c):
            continue
        joined = x + y
        for part_rows, part in ((reversed(prev), x), (rows, y)):
            for row in part_rows:
                if c >= len(row) or row[c] != part:
                    break
                row[c] = joined


def carry_joined_labels(prev: list[list[str | None]], rows: list[list[str | None]],
                        top: list[str | None], bottom: list[str | None], labels: set[int]) -> None:
    """After a split row is joined (``prev[-1]`` now holds it), give its joined parent
    labels to the other rows the same merged cell covers: those above it still printing
    the upper part, those below it (``rows[1:]``) the lower part ("（六）其" | "他处理" →
    "（六）其他处理" on every row of that group, not "他处理" after the break).

    >>> prev = [["三", "（六）其", "1.a", "1"]]
    >>> rows = [["", "他处理", "b", ""], ["", "他处理", "2.c", "0"], ["", "（七）总计", "（七）总计", "1"]]
    >>> prev[-1] = join_row(prev[-1], rows[0])
    >>> carry_joined_labels(prev, rows, ["三", "（六）其", "1.a", "1"], rows[0], {0, 1, 2})
    >>> [r[1] for r in rows[1:]]
    ['（六）其他处理', '（七）总计']
    """
    joined = prev[-1]
    inner = max(labels, default=-1)
    for c in labels:
        if c >= inner or c >= len(joined) or not _filled(bottom[c]) or joined[c] == bottom[c]:
            continue
        for row in rows[1:]:
            if c >= len(row) or row[c] != bottom[c]:
                break
            row[c] = joined[c]
        for row in reversed(prev[:-1]):
            if c >= len(row) or row[c] != top[c]:
                break
            row[c] = joined[c]


def _merged(prev: list[list[str | None]], rows: list[list[str | None]], c: int) -> bool:
    def repeats(part: list[list[str | None]]) -> bool:
        return len(part) >= 2 and len(part[0]) > c and len(part[1]) > c and part[0][c] == part[1][c]
    return repeats(prev[::-1]) or repeats(rows)


def continue_rows(prev: list[str | None], rows: list[list[str | None]], labels: set[int]) -> list[list[str | None]]:
    """Fill the empty leading label cells of a table continued from the previous page
    with the labels of the row above (a merged label printed on the previous page).

    >>> continue_rows(["三", "（四）", "2.x", "3"], [["", "", "3.y", "0"], ["", "（五）", "1.z", "1"], ["四", "", "", "0"]], {0, 1, 2})
    [['三', '（四）', '3.y', '0'], ['三', '（五）', '1.z', '1'], ['四', '', '', '0']]
    """
    if not rows or len(rows[0]) != len(prev):
        return rows
    out = []
    for n, row in enumerate(rows):
        if _filled(row[0]) or len(row) != len(prev):
            return out + rows[n:]
        lead = next((c for c, v in enumerate(row) if _filled(v) or c not in labels), len(row))
        out.append([prev[c] if c < lead else v for c, v in enumerate(row)])
        prev = out[-1]
    return out
