"""HTML reports: decode, find the article inside the site chrome, expand table grids (rowspan/colspan) into `` | `` rows.

Hand-written for the reasons given in :mod:`extractors.reader`.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from extractors import errors
from extractors.models import Document
from extractors.read_common import (
    GridTooLarge,
    Notes,
    _finish,
    _name,
    clean_cell,
    clean_line,
    expand_grid,
    render_rows,
    unspanned_grid,
)
from extractors.reader import _CJK, decode_bytes

# --------------------------------------------------------------------------------- html

_WORD_JUNK = re.compile(rb"<!\[(?:if[^\]]*|endif)\]>|<!--\[if[^\]]*\]>.*?<!\[endif\]-->", re.I | re.S)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w-]+)", re.I)
_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd br tr table section article center blockquote "
    "pre header footer main form hr caption tbody thead tfoot".split()
)
_DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "select", "button", "svg", "template")


def read_html(data: bytes, filename: str | None) -> Document:
    text, enc, uncertain = _decode_html(data, filename)
    root = _parse_html(text, filename)
    title = _html_title(root)
    article = find_article(root)
    notes = Notes()
    lines = list(render_html(article, notes)) if article is not None else []
    if sum(len(_CJK.findall(line)) for line in lines) < 20:
        raise errors.NoReportText(
            f"{_name(filename)} is an HTML page without report text (the article is empty; "
            "the report may be an attachment or an image: fetch that instead)"
        )
    flags = (("encoding_uncertain",) if uncertain else ()) + tuple(sorted(notes.flags))
    return _finish("\n".join(lines), "html", filename, encoding=enc, flags=flags, title_hint=title)


def _decode_html(data: bytes, filename: str | None) -> tuple[str, str, bool]:
    declared = _META_CHARSET.search(data[:4096])
    if declared and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        enc = declared.group(1).decode("ascii").lower()
        enc = "gb18030" if enc in ("gb2312", "gbk") else enc
        try:
            return data.decode(enc), enc, False
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(data, filename)


def _parse_html(text: str, filename: str | None):
    import lxml.html
    from lxml import etree

    # lxml keeps control characters it parsed but refuses them in any text set later
    # (drop_tree moves a dropped <script>'s tail into its parent: ValueError); they are
    # no report text
    text = _NOT_XML.sub(" ", text)
    cleaned = _WORD_JUNK.sub(b"", text.encode("utf-8", "replace"))
    parser = lxml.html.HTMLParser(encoding="utf-8")
    try:
        root = lxml.html.document_fromstring(cleaned, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise errors.NoReportText(f"{_name(filename)} looks like HTML but has no parsable content: {exc}") from exc
    _refuse_over_limits(parser, filename)
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction, *_DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    return root


def _refuse_over_limits(parser, filename: str | None) -> None:
    """libxml2 stops reading at its resource limits (nesting 256 deep, a text node over
    10 MB) and silently drops what lies past them: say so instead of reading half a page.
    The limits stay on (no ``huge_tree``): they are what keeps a hostile page bounded, the
    walk below recurses once per level, and no real report page comes near them."""
    for entry in parser.error_log:
        if entry.type_name != "ERR_RESOURCE_LIMIT":
            continue
        if "depth" in entry.message.lower():
            raise errors.NestingTooDeep(
                f"{_name(filename)} nests its HTML elements deeper than 255 levels (line {entry.line}), "
                "past what the HTML parser reads: it is not a report page as published; fetch the page again "
                "or save its article text")
        raise errors.DocumentTooLarge(
            f"{_name(filename)} exceeds an HTML parser limit ({entry.message.strip()}, line {entry.line}): "
            "save its article text instead")


def _html_title(root) -> str | None:
    titles = root.xpath("//title")
    text = clean_cell(titles[0].text_content()) if titles else ""
    return text or None


_TEXT_BLOCKS = ("p", "td", "th", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "dd", "div")
_HEADING_HINT = re.compile(r"年度报告|年报告")


def _cjk(text: str) -> int:
    return len(_CJK.findall(text))


def _own_text(el) -> str:
    """Text directly in the element and its inline children (not in nested blocks)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in _BLOCK_TAGS and child.tag != "a":
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def find_article(root):
    """The element holding the report, readability-style: every text block gives its
    Chinese character count to its parent and half to its grandparent (link text counts
    nothing); the best container wins, widened to take in the report's heading."""
    scores: dict = {}
    for el in root.iter(*_TEXT_BLOCKS):
        n = _cjk(_own_text(el))
        # a div/td holding text itself is a container; a paragraph credits its container
        holder = el if el.tag in ("div", "td") else el.getparent()
        if n < 2 or holder is None:
            continue
        scores[holder] = scores.get(holder, 0) + n
        grand = holder.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0) + n / 2
    for table in root.iter("table"):  # data tables (no nested table) belong to the article
        parent = table.getparent()
        if parent is not None and not table.xpath(".//table"):
            scores[parent] = scores.get(parent, 0) + _cjk(table.text_content()) / 2
    if not scores:
        return None
    best = max(scores, key=scores.get)
    return _widen_to_heading(best)


def _widen_to_heading(el, levels: int = 6):
    """Go up while an ancestor holds a short 年度报告 heading that ``el`` lacks and adds
    little other text."""
    node = el
    for _ in range(levels):
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        extra = _cjk(parent.text_content()) - _cjk(node.text_content())
        if extra > 0.5 * _cjk(node.text_content()) + 80:
            break
        if _has_heading_outside(parent, node):
            return parent
        node = parent
    return el


def _has_heading_outside(parent, child) -> bool:
    for el in parent.iter("h1", "h2", "h3", "p", "div", "td", "strong", "b", "span"):
        text = el.text_content().strip()
        if len(text) >= 60 or not _HEADING_HINT.search(text) or _is_inside(el, child) or _is_inside(child, el):
            continue
        if sum(_cjk(a.text_content()) for a in el.iter("a")) * 2 < _cjk(text):  # not a link list
            return True
    return False


def _is_inside(el, ancestor) -> bool:
    return el is ancestor or any(a is ancestor for a in el.iterancestors())


def render_html(el, notes: Notes | None = None) -> Iterator[str]:
    """Lines of an element: one paragraph per line, each table row one `` | `` line."""
    buf: list[str] = []
    notes = Notes() if notes is None else notes
    for kind, value in _walk(el, notes):
        if kind == "text":
            buf.append(value)
            continue
        line = clean_line("".join(buf))
        buf = []
        if line:
            yield line
        if kind == "table":
            yield from value
    line = clean_line("".join(buf))
    if line:
        yield line


def _walk(el, notes: Notes) -> Iterator[tuple[str, object]]:
    """Yield ("text", str), ("break", None) and ("table", [lines]) in document order."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in ("ul", "ol", "li", "nav", "div") and _is_link_list(el):
        yield "break", None  # site navigation (tabs, menus, related links) inside the article container
    elif tag == "table":
        yield "table", render_rows(html_table_grid(el, notes))
    else:
        if tag in _BLOCK_TAGS:
            yield "break", None
        if el.text and tag:
            yield "text", el.text
        for child in el:
            yield from _walk(child, notes)
        if tag in _BLOCK_TAGS:
            yield "break", None
    if el.tail:
        yield "text", el.tail


def _is_link_list(el) -> bool:
    text = _cjk(el.text_content())
    return text > 0 and text == sum(_cjk(a.text_content()) for a in el.iter("a")) and el.find(".//table") is None


def html_table_grid(table, notes: Notes | None = None) -> list[list[str | None]]:
    """The table's rows with rowspan/colspan expanded (nested tables flattened into their
    cell).  A table whose spans would fill more positions than the page has left (of
    :data:`MAX_PAGE_GRID_CELLS`) is laid out as written, noted ``table_spans_ignored``."""
    notes = Notes() if notes is None else notes
    rows = []
    for tr in table.iter("tr"):
        if _owning_table(tr) is not table:
            continue
        cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
        rows.append([(_cell_text(c, notes), _span(c, "rowspan", 500), _span(c, "colspan", 100)) for c in cells])
    try:
        grid = expand_grid(rows, max_cells=notes.cells_left)
    except GridTooLarge:
        notes.flags.add("table_spans_ignored")
        grid = unspanned_grid(rows)
    notes.cells_left = max(0, notes.cells_left - sum(len(row) for row in grid))
    return grid


def _owning_table(tr):
    for anc in tr.iterancestors("table"):
        return anc
    return None


def _span(cell, attr: str, cap: int) -> int:
    """The cell's rowspan/colspan, 1 to ``cap`` (a 5,000-digit value is ``cap``, not a
    ValueError from int())."""
    m = re.match(r"\s*0*(\d+)", cell.get(attr) or "")
    if not m:
        return 1
    return cap if len(m.group(1)) > len(str(cap)) else max(1, min(int(m.group(1)), cap))


def _cell_text(cell, notes: Notes) -> str:
    parts = [clean_line(p) for p in render_html(cell, notes)]
    return "".join(p for p in parts if p)


