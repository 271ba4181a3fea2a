"""Cells and rows as every table reader emits them: the state of a printed cell
(number, zero, blank, slash, none, text), the pieces of a row with their offsets in the
report text, section headings, and which rendering a text's tables are printed in.
:mod:`extractors.tables` builds the canonical table from these; the readers
(``tables_flat``, ``tables_layout``, ``tables_markdown``) produce them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

UNIT_TOKENS = ("万元", "人次", "元", "条", "件", "次", "篇", "个", "人", "项")
_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(万元|元|%)?$")
# A cell printing more integer digits than this is no count or amount (a double holds 15
# exactly; a 400-digit run would overflow the float arithmetic of the cross-checks).
MAX_CELL_DIGITS = 15
_JOINED = re.compile(r"\S\s*\|\s*\S")  # two cells joined by a pipe
_ONE_PIPE_END = re.compile(r"[^|]*\|\s*")  # the seed's flattened form: one cell, then "|"
_DASHES = {"-", "—", "－", "--", "——", "–", "―"}
_SLASHES = {"/", "／", "\\"}


@dataclass(frozen=True)
class Piece:
    """A stripped cell (or label fragment) with its offsets in the report text."""

    text: str
    start: int
    end: int


@dataclass
class Row:
    """One table row as a reader saw it."""

    pieces: list[Piece]
    line: int = 0
    candidates: tuple[str, ...] = ()  # extra label readings (wrapped layout labels)
    values_only: bool = False  # the reader already split labels from values
    labels: list[Piece] = field(default_factory=list)


@dataclass
class Heading:
    text: str
    start: int = 0
    row: Row | None = None  # the line read as a row printed without pipes (行政许可 97)


@lru_cache(maxsize=1 << 16)
def cell_state(raw: str) -> tuple[str, float | int | None, int, str | None]:
    """(state, value, precision, unit) of a printed cell (cached: the table readers ask
    about the same pieces many times).

    >>> cell_state("24252.311082")
    ('number', 24252.311082, 6, None)
    >>> cell_state("75394432.52元")
    ('number', 75394432.52, 2, '元')
    >>> cell_state("0"), cell_state(""), cell_state("/"), cell_state("无")[0], cell_state("—")[0]
    (('zero', 0, 0, None), ('blank', None, 0, None), ('slash', None, 0, None), 'none', 'slash')
    >>> cell_state("-18")
    ('number', -18, 0, None)
    >>> cell_state("9" * 400)[:2]  # too many digits to be a figure: text
    ('text', None)
    """
    s = raw.strip()
    if not s:
        return "blank", None, 0, None
    if s in _SLASHES or s in _DASHES:
        return "slash", None, 0, None
    if s == "无":
        return "none", None, 0, None
    m = _NUMBER.match(s)
    if not m or m.group(4) == "%":
        return "text", None, 0, None
    sign, whole, frac, unit = m.groups()
    digits = whole.replace(",", "")
    if len(digits.lstrip("0")) > MAX_CELL_DIGITS:
        return "text", None, 0, None
    value: float | int = float(f"{sign}{digits}.{frac}") if frac else int(f"{sign}{digits}")
    return ("zero" if value == 0 else "number"), value, len(frac or ""), unit


def is_value_like(text: str) -> bool:
    return cell_state(text)[0] != "text"


def is_unit(text: str) -> bool:
    return text.replace(" ", "") in UNIT_TOKENS


def detect_form(text: str) -> str:
    """pipe | flat | layout, from how the table rows are rendered."""
    lines = [ln for ln in text.split("\n") if "|" in ln]  # both counts need a pipe
    multi = sum(1 for ln in lines if ln.count("|") >= 2 and _JOINED.search(ln))
    single = sum(1 for ln in lines if _ONE_PIPE_END.fullmatch(ln))
    if single >= 20 and multi < 3:
        return "flat"
    if multi >= 3:
        return "pipe"
    return "layout"
