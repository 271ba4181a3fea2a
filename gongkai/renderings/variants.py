"""Layouts a rendering is printed in: a deterministic function of (report id, variant
seed).  Variant 0 is each report's default layout; any other seed picks the page size
(A4 / Letter), margins, body and table font sizes, table width, repeated header rows,
vertical cell alignment, label column widths (so long labels wrap differently) and, for
the HTML page, Word-export markup and the GB18030 encoding.  ``suite_variant`` is the one
other variant the test suite renders each report in, chosen by its id so the corpus
covers many layouts.

Hand-written: the choice of layouts is this project's test design, no library has it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

CJK_FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC")
PAGES_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
MARGINS_MM = (  # top, bottom, left, right
    (37.0, 35.0, 28.0, 26.0),  # GB/T 9704 official documents
    (25.4, 25.4, 31.8, 31.8),  # Word's default
    (20.0, 20.0, 19.0, 19.0),  # narrow
)
SUITE_SEEDS = 10  # the suite's other variant is one of seeds 1..SUITE_SEEDS


@dataclass(frozen=True)
class Layout:
    variant: int
    page: str = "A4"
    margins_mm: tuple[float, float, float, float] = MARGINS_MM[0]
    font: str = CJK_FONTS[0]
    body_pt: float = 16.0  # 三号 16, 四号 14, 小四 12
    table_pt: float = 10.5  # 小五 9, 五号 10.5, 小四 12
    table_width: float = 1.0  # share of the text width
    label_weight: float = 4.0  # the innermost label column against a value column's 1
    repeat_header: bool = False
    center_cells: bool = False  # vertically centred (else top, Word's default)
    word: bool = False  # HTML: Word-export markup
    encoding: str = "utf-8"  # HTML: utf-8 | gb18030
    th_header: bool = True  # HTML: header cells as <th>

    @property
    def text_width_mm(self) -> float:
        return PAGES_MM[self.page][0] - self.margins_mm[2] - self.margins_mm[3]


def _bits(*parts: str) -> int:
    return int(hashlib.sha256(":".join(parts).encode("utf-8")).hexdigest(), 16)


def _default(report_id: str) -> Layout:
    """Variant 0: the layout each report has always been rendered in."""
    d = _bits("docx", report_id)  # the seeds of the first renderings, kept
    h = _bits(report_id)
    return Layout(0, font=CJK_FONTS[d % 2], body_pt=(16.0, 14.0)[(d >> 2) % 2],
                  table_pt=(10.5, 12.0)[(d >> 4) % 2], repeat_header=(d >> 6) % 2 == 0,
                  center_cells=(d >> 8) % 3 == 0, word=h % 3 == 0,
                  encoding="gb18030" if (h >> 4) % 3 == 0 else "utf-8",
                  th_header=(h >> 8) % 2 == 0)


def layout(report_id: str, variant: int = 0) -> Layout:
    """The layout of ``report_id`` in ``variant`` (0: its default)."""
    if variant == 0:
        return _default(report_id)
    h = _bits("layout", report_id, str(variant))

    def pick(options: tuple, shift: int):
        return options[(h >> shift) % len(options)]

    return Layout(variant, page=pick(("A4", "Letter"), 0), margins_mm=pick(MARGINS_MM, 2),
                  font=pick(CJK_FONTS, 5), body_pt=pick((16.0, 14.0, 12.0), 7),
                  table_pt=pick((9.0, 10.5, 12.0), 10), table_width=pick((1.0, 0.85, 0.7), 13),
                  label_weight=pick((4.0, 2.5, 6.0, 1.6), 16),
                  repeat_header=pick((True, False), 19), center_cells=pick((True, False), 21),
                  word=pick((True, False, False), 23), encoding=pick(("utf-8", "gb18030"), 25),
                  th_header=pick((True, False), 27))


def suite_variant(report_id: str) -> int:
    """The other variant the suite renders ``report_id`` in (one of 1..SUITE_SEEDS)."""
    return 1 + _bits("suite", report_id) % SUITE_SEEDS
