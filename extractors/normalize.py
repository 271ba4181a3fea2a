"""The one text normalization every report goes through, whatever its format.

Every later step (sections, tables, claims, findings) reports character offsets into the
output of :func:`normalize_text`, so this function must be deterministic and idempotent
and must never reorder text.  It is hand-written rather than NFKC because NFKC would also
rewrite Chinese punctuation (，→, （→( ：→:) that the pattern data relies on; only
full-width digits, Latin letters and the three number punctuation marks % . / are folded.

>>> normalize_text("受理申请\\uff12\\uff11件，占\\uff13\\uff13\\uff0e\\uff19\\uff05。  \\r\\n")
'受理申请21件，占33.9%。'
>>> normalize_text("a\\n\\n\\n\\n\\nb")
'a\\n\\n\\nb'
"""
from __future__ import annotations

import re

# Full-width forms folded to ASCII: digits, A-Z, a-z and the characters that occur inside
# numbers (percent, decimal point, slash as in "1/3").  Chinese punctuation stays.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_FOLD.update({cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)})
_FOLD.update({cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)})
_FOLD.update({0xFF05: ord("%"), 0xFF0E: ord("."), 0xFF0F: ord("/")})
# Invisible characters dropped outright (BOM, zero-width space/joiners, word joiner, soft hyphen).
_FOLD.update({cp: None for cp in (0xFEFF, 0x200B, 0x200C, 0x200D, 0x2060, 0x00AD)})
# Space-like characters become a plain space: NBSP, ideographic space, en/em/thin spaces.
_FOLD.update({cp: ord(" ") for cp in (0x00A0, 0x3000, 0x202F, 0x205F, *range(0x2000, 0x200B))})
# Line and page separators become newlines (pdftotext emits form feeds between pages).
_FOLD.update({cp: ord("\n") for cp in (0x000C, 0x000B, 0x2028, 0x2029, 0x0085)})
# Runs of the characters above: ``str.translate`` looks up every character of a report
# (most of the read time of a text file), the runs are few, so only they are translated.
_FOLDABLE = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_FOLD)) + "]+")

# A line that is nothing but a page number: "-1-", "- 2 -", "—3—", "第1页", "第 2 页 共 5 页".
PAGE_NUMBER_LINE = re.compile(
    r"^\s*(?:[-－—–]\s*\d{1,4}\s*[-－—–]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?)\s*$"
)
_BLANK_RUN = re.compile(r"\n{4,}")
_LONG_GAP = re.compile(r"\S {3,}\S")


def normalize_text(text: str) -> str:
    """Fold characters, unify newlines, strip trailing spaces, drop page-number lines and
    collapse runs of more than two blank lines.  ``normalize_text(normalize_text(x)) ==
    normalize_text(x)`` for every string."""
    text = _FOLDABLE.sub(_fold, text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    lines = [line for line in lines if not PAGE_NUMBER_LINE.match(line)]
    text = "\n".join(lines)
    return _BLANK_RUN.sub("\n\n\n", text).strip("\n")


def _fold(m: re.Match[str]) -> str:
    return m.group().translate(_FOLD)


def is_layout_text(text: str) -> bool:
    """True for ``pdftotext -layout`` style renderings: many lines indented or holding long
    runs of spaces between columns, often with page-number lines such as ``-1-``.

    >>> is_layout_text("   一、总体情况\\n行政许可        550\\n规章      0     0     0\\n-1-")
    True
    >>> is_layout_text("一、总体情况\\n规章 | 0 | 0 | 0")
    False
    """
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return False
    spaced = sum(1 for line in lines if line.startswith("   ") or _LONG_GAP.search(line))
    pages = sum(1 for line in lines if PAGE_NUMBER_LINE.match(line) and line.startswith(" "))
    return spaced / len(lines) >= 0.25 or (pages >= 1 and spaced / len(lines) >= 0.1)
