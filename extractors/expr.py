"""Cell references and interval arithmetic for the cross-check rules.

Hand-written because the semantics are ours: a blank, slash, 无 or text cell is an
*unknown non-negative count* ([0, ∞)), never zero, and so is a cell the form prints but
the parser did not read (``UNKNOWN``; extractors/crosscheck_view.py decides which absent
cells those are); a printed decimal stands for an interval of half a unit of its last digit.  A check passes when both sides are known and
agree, fails when the intervals cannot meet whatever the unknowns are, and is otherwise
not assessable.

>>> Interval(3, 3) + Interval(0, INF)
Interval(lo=3, hi=inf)
>>> compare("eq", Interval(5, 5), Interval(2, INF))
'not_assessable'
>>> compare("eq", Interval(5, 5), Interval(7, INF))
'fail'
>>> compare("le", Interval(980, 980), Interval(128, 128))
'fail'
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from extractors.models import Cell

INF = math.inf
KNOWN_STATES = ("number", "zero")
_DECIMALS = re.compile(r"\d\.(\d+)")
OPS = {"=": "eq", "==": "eq", "eq": "eq", "<=": "le", "≤": "le", "le": "le",
       ">=": "ge", "≥": "ge", "ge": "ge", "<": "lt", "lt": "lt", ">": "gt", "gt": "gt",
       "!=": "ne", "≠": "ne", "ne": "ne"}
SYMBOL = {"eq": "=", "le": "≤", "ge": "≥", "lt": "<", "gt": ">", "ne": "≠"}


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float

    def __add__(self, other: "Interval") -> "Interval":
        return Interval(self.lo + other.lo, self.hi + other.hi)

    def scale(self, weight: float) -> "Interval":
        a, b = self.lo * weight, self.hi * weight
        return Interval(min(a, b), max(a, b))

    @property
    def exact(self) -> bool:
        return self.lo == self.hi


ZERO = Interval(0, 0)
UNKNOWN = Interval(0, INF)


def split_ref(ref: str) -> tuple[str, str | None]:
    """``"t3.new@total"`` -> ``("t3.new", "total")``; ``"t3.new"`` -> ``("t3.new", None)``."""
    key, _, column = ref.partition("@")
    return key, (column or None)


def decimals(raw: str | None) -> int:
    if not raw or "." not in raw:
        return 0  # (most cells: no regex call)
    m = _DECIMALS.search(raw)
    return len(m.group(1)) if m else 0


def cell_known(cell: Cell) -> bool:
    return cell.state in KNOWN_STATES and cell.value is not None


def cell_interval(cell: Cell, rounded: bool = False) -> Interval:
    """A known cell is its value ± half a unit of its last printed decimal."""
    if not cell_known(cell):
        return UNKNOWN
    return Interval(*cell_bounds(cell, rounded))


def cell_bounds(cell: Cell, rounded: bool = False) -> tuple[float, float]:
    """``cell_interval``'s bounds, without building the Interval (the cross-check view
    sums thousands of them a report)."""
    if not cell_known(cell):
        return UNKNOWN.lo, UNKNOWN.hi
    places = cell.precision or decimals(cell.raw)
    half = 0.5 * 10 ** -places if (places or rounded) else 0.0
    v = float(cell.value)  # type: ignore[arg-type]
    return v - half, v + half


def compare(op: str, left: Interval, right: Interval, tol: float = 0.0) -> str:
    """pass | fail | not_assessable for ``left op right`` (op: eq le ge lt gt ne)."""
    op = OPS.get(op, op)
    if op == "ge":
        return compare("le", right, left, tol)
    if op == "gt":
        return compare("lt", right, left, tol)
    known = left.exact and right.exact and math.isfinite(left.hi) and math.isfinite(right.hi)
    if op == "eq":
        if left.lo > right.hi + tol or right.lo > left.hi + tol:
            return "fail"
        return "pass" if known or _both_bounded(left, right) else "not_assessable"
    if op == "le":
        if left.lo > right.hi + tol:
            return "fail"
        return "pass" if left.hi <= right.lo + tol else "not_assessable"
    if op == "lt":
        if left.lo >= right.hi + tol:
            return "fail"
        return "pass" if left.hi < right.lo + tol else "not_assessable"
    if op == "ne":
        if known and abs(left.lo - right.lo) <= tol:
            return "fail"
        return "pass" if known else "not_assessable"
    raise ValueError(f"unknown operator {op!r}")


def _both_bounded(left: Interval, right: Interval) -> bool:
    """Decimal rounding intervals (finite on both sides) that overlap agree."""
    return all(math.isfinite(x) for x in (left.lo, left.hi, right.lo, right.hi))


def fmt_number(x: float) -> str:
    if math.isinf(x):
        return "∞"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def fmt_cell(cell: Cell | None) -> str:
    """How a cell shows in an expression: its number, or 空 / its raw text."""
    if cell is None:
        return "—"
    if cell_known(cell):
        return fmt_number(float(cell.value))  # type: ignore[arg-type]
    return cell.raw.strip() or "空"


def fmt_interval(iv: Interval) -> str:
    mid = (iv.lo + iv.hi) / 2
    if iv.exact or (math.isfinite(iv.hi) and iv.hi - iv.lo < 1):
        return fmt_number(round(mid, 6))
    if math.isinf(iv.hi):
        return "≥" + fmt_number(iv.lo)
    return f"{fmt_number(iv.lo)}–{fmt_number(iv.hi)}"
