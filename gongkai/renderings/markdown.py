"""A report as PDF→markdown converter output, in the table styles converters produce.

Converters (pdf-to-markdown tools, OCR-to-markdown services, "extract as markdown"
prompts) print a report's prose as paragraphs and each table as a GitHub pipe table
(``| a | b |`` rows, a ``|---|`` separator under the first) — and they disagree about
merged cells, long labels and page breaks.  Each style is one of those habits, a
deterministic function of the report model (:mod:`gongkai.renderings.layout`) and a seed:

============  =========================================================================
empty         a merged cell printed once, the positions it covers left empty
repeat        a merged cell repeated in every position it covers (values too)
one_header    the header rows collapsed into one row (the texts over a column joined)
wrap_first    long row labels wrapped onto the following row(s), the values on the first
wrap_second   the same, the values on the last row of the label
cut           a label merged over several label columns cut across those columns
cut_start     the start of a long label printed as a line above the table part, the rest
              cut across the row's label columns ("行政机关不再处理其政府信息公" | "开申请")
labels_out    some 表三 rows' labels printed as lines between table parts, the rows left
              with their numbers only
page_break    long tables broken at a page break: the page number and running header
              between, the header rows repeated on the next page (or not)
grouped       a grouping heading row under the header and a footer row under the data
mixed         every table with its own draw of all the habits above
============  =========================================================================

Hand-written: this is the test fixture for the parser's reading of markdown; no library
reproduces converters' habits on purpose.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace

from gongkai.renderings.layout import Paragraph, ReportModel, TableModel


@dataclass(frozen=True)
class Style:
    merged: str = "empty"  # empty | repeat
    one_header: bool = False
    wrap: str | None = None  # None | first | second
    cut: bool = False
    page_break: bool = False
    grouped: bool = False
    cut_start: bool = False
    labels_out: bool = False


STYLES: dict[str, Style] = {
    "empty": Style(),
    "repeat": Style(merged="repeat"),
    "one_header": Style(one_header=True),
    "wrap_first": Style(wrap="first"),
    "wrap_second": Style(wrap="second", merged="repeat"),
    "cut": Style(cut=True),
    "page_break": Style(page_break=True, merged="repeat"),
    "grouped": Style(grouped=True, merged="repeat"),
    "cut_start": Style(cut_start=True),
    "labels_out": Style(labels_out=True),
}
MIXED = "mixed"
MD_STYLES = tuple(STYLES) + (MIXED,)
# The rendering cache's formats (gongkai.renderings.cache.RENDERERS): md-<style>.
MARKDOWN_RENDERERS = {f"md-{s}": ("gongkai.renderings.markdown", f"render_md_{s}", "md") for s in MD_STYLES}

WRAP_WIDTH = (7, 13)  # a label cell holds this many characters per line (drawn per table)
WRAP_SHARE = 0.7  # share of the long labels that wrap
CUT_START_LEN = 14  # labels at least this long may have their start printed above the table
OUT_SHARE = 0.35  # share of the 表三 result rows whose labels are printed outside the table
PAGE_MARKS = ("— {n} —", "- {n} -", "第 {n} 页", "{n}")
GROUP_TEXT = {"t2": "主动公开政府信息情况", "t3": "收到和处理政府信息公开申请情况",
              "t4": "政府信息公开行政复议、行政诉讼情况", "pre2019": "政府信息公开情况统计"}
FOOTER_TEXT = "注：本表数据统计期限为本年度1月1日至12月31日。"


@dataclass
class _Cell:
    text: str
    kind: str  # header | label | value
    origin: bool = True
    colspan: int = 1  # of the cell this position belongs to (cut labels)
    first_col: bool = True  # the leftmost position of its cell


def render_markdown(model: ReportModel, style: str = "empty", seed: int = 0) -> str:
    """The report as converter markdown in ``style`` (one of MD_STYLES)."""
    if style not in MD_STYLES:
        raise ValueError(f"unknown markdown style {style!r}; known: {', '.join(MD_STYLES)}")
    rng = random.Random(f"{seed}:{model.report_id}:{style}")
    pages = iter(range(2, 1000))
    out: list[str] = []
    for block in model.blocks:
        if isinstance(block, Paragraph):
            out.append(block.text)
            continue
        opts = _draw(rng) if style == MIXED else STYLES[style]
        out.append(_table(block, opts, rng, model.title, pages))
    return "\n\n".join(out) + "\n"


def __getattr__(name: str):
    """``render_md_<style>(model) -> bytes``: the renderer interface of the cache."""
    style = name.removeprefix("render_md_")
    if name.startswith("render_md_") and style in MD_STYLES:
        return lambda model: render_markdown(model, style).encode("utf-8")
    raise AttributeError(name)


# ----------------------------------------------------------------------------- tables

@dataclass(frozen=True)
class _Text:
    """A line printed between two parts of a table."""

    text: str
    header: bool = False  # the header rows are printed again after it (a page break)


def _draw(rng: random.Random) -> Style:
    return Style(merged=rng.choice(("empty", "repeat")), one_header=rng.random() < 0.3,
                 wrap=rng.choice((None, "first", "second")), cut=rng.random() < 0.3,
                 page_break=rng.random() < 0.5, grouped=rng.random() < 0.3,
                 cut_start=rng.random() < 0.3, labels_out=rng.random() < 0.3)


def _table(table: TableModel, opts: Style, rng: random.Random, running: str, pages) -> str:
    rows = _rows(table, opts, rng)
    header, body = rows[:table.header_rows], rows[table.header_rows:]
    if opts.one_header and header:
        header = [_collapse(header, rng)]
    if opts.labels_out and table.section == "t3":
        body = _labels_out(body, rng)
    if opts.cut_start:
        body = _cut_start(body, rng)
    if opts.grouped:
        body = [_banner(GROUP_TEXT.get(table.section, ""), table.n_cols, opts)] + body \
            + [_banner(FOOTER_TEXT, table.n_cols, opts)]
    if opts.wrap:
        body = _wrap(body, opts.wrap, rng)
    if opts.page_break:
        body = _page_break(body, rng, running, pages)
    return _parts(header, body, rng)


def _parts(header: list[list[_Cell]], body: list, rng: random.Random) -> str:
    """Pipe tables for the runs of rows, the lines between them as paragraphs."""
    parts, rows = [], list(header)
    for item in body:
        if isinstance(item, _Text):
            parts += [_pipe_table(rows), item.text]
            rows = list(header) if item.header and rng.random() < 0.7 else []
        else:
            rows.append(item)
    parts.append(_pipe_table(rows))
    return "\n\n".join(p for p in parts if p)


def _rows(table: TableModel, opts: Style, rng: random.Random) -> list[list[_Cell]]:
    """The grid as rows of positions, merged cells printed per ``opts.merged``."""
    out = []
    for row in table.matrix():
        cells, c = [], 0
        while c < len(row):
            cell, origin = row[c]
            span = _run(row, c)
            texts = [cell.text] * span if opts.merged == "repeat" else \
                [cell.text if origin else ""] + [""] * (span - 1)
            if opts.cut and cell.kind == "label" and span > 1 and origin:
                texts = _cut(cell.text, span, rng)
            cells += [_Cell(t, cell.kind, origin and k == 0, span, k == 0) for k, t in enumerate(texts)]
            c += span
        out.append(cells)
    return out


def _run(row, c: int) -> int:
    """How many positions from ``c`` on belong to the same cell in this row."""
    cell = row[c][0]
    n = 1
    while c + n < len(row) and row[c + n][0] is cell:
        n += 1
    return n


def _cut(text: str, span: int, rng: random.Random) -> list[str]:
    """``text`` cut into ``span`` consecutive pieces, each non-empty while text lasts."""
    parts = min(span, len(text))
    cuts = sorted(rng.sample(range(1, len(text)), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, len(text)]
    pieces = [text[a:b] for a, b in zip(bounds, bounds[1:])]
    return pieces + [""] * (span - len(pieces))


def _collapse(header: list[list[_Cell]], rng: random.Random) -> list[_Cell]:
    """One header row: the distinct texts over each column, top first."""
    joiner = rng.choice((" ", "<br>"))
    out = []
    for col in zip(*header):
        texts: list[str] = []
        for cell in col:
            if cell.text and (not texts or texts[-1] != cell.text):
                texts.append(cell.text)
        out.append(_Cell(joiner.join(texts), "header"))
    return out


def _banner(text: str, width: int, opts: Style) -> list[_Cell]:
    texts = [text] * width if opts.merged == "repeat" else [text] + [""] * (width - 1)
    return [_Cell(t, "header", k == 0) for k, t in enumerate(texts)]


def _own_label(row: list[_Cell]) -> int | None:
    """Position of the row's own label: its last label position that starts a cell."""
    labels = [i for i, c in enumerate(row) if c.kind == "label" and c.first_col and c.text]
    return labels[-1] if labels else None


def _wrap(body: list[list[_Cell]], values_on: str, rng: random.Random) -> list[list[_Cell]]:
    width = rng.randint(*WRAP_WIDTH)
    out = []
    for row in body:
        j = None if isinstance(row, _Text) else _own_label(row)
        cut = j is not None and len({row[i].text for i in range(j, j + row[j].colspan)} - {""}) > 1
        if j is None or cut or len(row[j].text) <= width or not row[j].origin or rng.random() > WRAP_SHARE:
            out.append(row)  # (a label cut across its columns is not wrapped as well)
            continue
        text = row[j].text
        chunks = [text[k:k + width] for k in range(0, len(text), width)]
        lines = [[_Cell("", c.kind, False) for c in row] for _ in chunks]
        own = range(j, j + row[j].colspan)  # the label's positions (all printed alike)
        for n, chunk in enumerate(chunks):
            for i in own:
                lines[n][i] = replace(row[i], text=chunk if row[i].text else "")
        carrier = lines[0] if values_on == "first" else lines[-1]
        for i, cell in enumerate(row):
            if i not in own:  # parent labels stay on the first line, values go to the carrier
                (carrier if cell.kind == "value" else lines[0])[i] = cell
        out += lines
    return out


def _page_break(body: list, rng: random.Random, running: str, pages) -> list:
    """The body with one page break (tables of at least 8 rows): the page number and the
    running header between the rows."""
    at = [i for i, item in enumerate(body) if not isinstance(item, _Text)]
    if len(at) < 8:
        return body
    k = at[rng.randint(3, len(at) - 3)]
    mark = rng.choice(PAGE_MARKS).format(n=next(pages))
    return body[:k] + [_Text(f"{mark}\n\n{running}", header=True)] + body[k:]


def _labels_out(body: list, rng: random.Random) -> list:
    """Some result rows of 表三 (not the first three data rows, not the last two) with
    their labels printed as a line above them and left empty in the row."""
    data = [i for i, row in enumerate(body) if any(c.kind == "value" for c in row)]
    out = list(body)
    for i in reversed(data[3:-2]):
        if rng.random() < OUT_SHARE:
            texts = list(dict.fromkeys(c.text for c in body[i] if c.kind == "label" and c.text))
            out[i] = [replace(c, text="") if c.kind == "label" else c for c in body[i]]
            out.insert(i, _Text("".join(texts)))
    return out


def _cut_start(body: list, rng: random.Random) -> list:
    """Long own labels (in one label column) with their start printed above the row and
    the rest cut across the row's last two label positions."""
    out: list = []
    for row in body:
        j = _own_label(row) if not isinstance(row, _Text) else None
        if j is None or row[j].colspan > 1 or len(row[j].text) < CUT_START_LEN or rng.random() < 0.5:
            out.append(row)
            continue
        text = row[j].text
        k = rng.randint(len(text) // 3, len(text) // 2)
        where = [j - 1, j] if j and row[j - 1].kind == "label" else [j]
        row = list(row)
        for i, piece in zip(where, _cut(text[k:], len(where), rng)):
            row[i] = replace(row[i], text=piece)
        out += [_Text(text[:k]), row]
    return out


def _pipe_table(rows: list[list[_Cell]]) -> str:
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    lines = []
    for n, row in enumerate(rows):
        texts = [c.text.replace("|", "\\|") for c in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(texts) + " |")
        if n == 0:
            lines.append("|" + "---|" * width)
    return "\n".join(lines)
