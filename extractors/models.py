"""Typed results shared by every extractor step.

Every result is a frozen dataclass that keeps its evidence: the raw text it came from,
character offsets into the report's normalized text, and the id/version of the rule or
pattern that produced it.  ``to_dict`` gives the JSON shape of the ``gongkai check``
contract (DESIGN.md) and of the stored MongoDB documents.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

# Cell states: never collapse them into numbers (DOMAIN.md "Cell states are not numbers").
CELL_STATES = ("number", "zero", "blank", "slash", "none", "text")
TEMPLATES = ("pre2019", "2019trial", "2021", "unknown")
FINDING_STATUSES = ("fail", "warn", "not_assessable")


_SCALARS = frozenset((str, int, float, bool, type(None)))


def _plain(obj: Any) -> Any:
    """JSON-shaped copy: results to dicts, tuples and lists to lists, dicts copied."""
    kind = type(obj)
    if kind in _SCALARS:
        return obj
    if kind is tuple or kind is list:
        return [x if type(x) in _SCALARS else _plain(x) for x in obj]
    if isinstance(obj, dict):
        return {k: v if type(v) in _SCALARS else _plain(v) for k, v in obj.items()}
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if is_dataclass(obj) and not isinstance(obj, type):
        return _plain(asdict(obj))
    if isinstance(obj, (list, tuple)):  # subclasses (named tuples)
        return [_plain(x) for x in obj]
    return deepcopy(obj)


class _Base:
    """``to_dict`` by hand: the same value as ``dataclasses.asdict`` with tuples as lists
    (tests/extractors/test_models.py checks it on real results), without asdict's
    recursive deep copy, which cost a tenth of the whole pipeline."""

    def to_dict(self) -> dict[str, Any]:
        # the instance dict holds exactly the fields, in field order (the dataclass
        # __init__ sets each once, in order); copied, then only non-scalars converted
        out = self.__dict__.copy()
        for name, v in out.items():
            if type(v) not in _SCALARS:
                out[name] = _plain(v)
        return out


@dataclass(frozen=True)
class Document(_Base):
    """What the reader makes of raw bytes: one normalized text, tables rendered inline
    as ``cell | cell | cell`` lines (one table row per line)."""

    text: str
    format: str  # txt | html | pdf | docx
    encoding: str | None = None
    flags: tuple[str, ...] = ()  # needs_ocr, html_article_empty, ...
    title_hint: str | None = None  # <title> of an HTML page, PDF metadata title


@dataclass(frozen=True)
class Section(_Base):
    title: str
    level: int
    start: int
    end: int
    kind: str | None = None  # canonical section id, e.g. "overview", "proactive", "problems"


@dataclass(frozen=True)
class Sections(_Base):
    sections: tuple[Section, ...]
    announced: tuple[str, ...] = ()  # the list the introduction announces ("全文包括…")
    announced_span: tuple[int, int] | None = None


@dataclass(frozen=True)
class ReportMeta(_Base):
    title: str | None = None
    body: str | None = None
    region: str | None = None
    province: str | None = None  # printed, else from config/gazetteer.yaml; None: unknown
    level: str | None = None  # national | province | city | county | township | department
    year: int | None = None
    published: str | None = None  # ISO date
    template: str = "unknown"


@dataclass(frozen=True)
class Cell(_Base):
    key: str  # canonical key from config/catalogue.yaml, or "unknown:<label>"
    label: str  # printed row label
    column: str  # canonical column id (value, cumulative, natural, total, issued, ...)
    value: float | int | None
    raw: str
    state: str  # one of CELL_STATES
    unit: str | None = None
    precision: int = 0  # decimals printed
    start: int | None = None  # offsets of ``raw`` in the normalized text
    end: int | None = None
    known: bool = True  # False for rows the catalogue does not know (kept, flagged)


@dataclass(frozen=True)
class Table(_Base):
    template: str
    cells: tuple[Cell, ...] = ()
    flags: tuple[str, ...] = ()  # table_missing, table_partial
    variant: str | None = None  # e.g. "pre2019-national-2014", "pre2019-fujian-cumulative"

    def get(self, key: str, column: str | None = None) -> Cell | None:
        for c in self.cells:
            if c.key == key and (column is None or c.column == column):
                return c
        return None


@dataclass(frozen=True)
class Claim(_Base):
    kind: str  # figure | rate | change | statement | enumeration
    metric: str | None  # canonical key (optionally "key@column"), None if unmapped
    value: float | None
    low: float | None
    high: float | None
    unit: str | None
    text: str  # the matched figure text, e.g. "受理申请21件"
    start: int
    end: int
    sentence: tuple[int, int] | None = None
    phrase: str | None = None  # descriptive metric phrase for unmapped figures
    alternatives: tuple[str, ...] = ()  # other readings: "t3.new+t3.carried_over"
    qualifier: str | None = None  # 余 / 约 / 以上 / 不足 ...
    direction: str | None = None  # up | down, for changes
    base: str | None = None  # for rates/shares: what the share is of
    verifiable: bool = False
    confidence: float = 1.0
    implies: tuple[dict, ...] = ()  # statements: ({"metric", "op", "value"}, ...)
    parts: tuple[dict, ...] = ()  # enumerations: ({"phrase", "value", "start", "end"}, ...)
    pattern: str | None = None  # pattern id@version


@dataclass(frozen=True)
class Commitment(_Base):
    text: str
    start: int
    end: int
    deadline: int | None = None  # year
    metric: str | None = None
    direction: str | None = None  # up | down | keep
    action: str | None = None
    measurable: bool = False
    section: str | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Entity(_Base):
    label: str  # ORG | LOC | GPE | LAW | DOC_NO | DATE | PHONE | URL | PER
    text: str
    start: int
    end: int
    source: str = "rule"  # rule | ner
    pattern: str | None = None


@dataclass(frozen=True)
class Finding(_Base):
    code: str  # stable rule code, e.g. "T3.BALANCE"
    status: str  # fail | warn | not_assessable
    severity: str  # high | medium | low
    message: str  # one sentence, Chinese
    message_en: str = ""
    cells: tuple[dict, ...] = ()  # ({"key", "column", "value", "raw", "state"}, ...)
    values: tuple[float | None, ...] = ()
    expression: str | None = None  # with numbers filled in: "70 + 0 = 69 + 1"
    spans: tuple[tuple[int, int], ...] = ()
    rule: str | None = None  # rule id@version
    reading: str | None = None  # which reading of an ambiguous referent held
    extra: dict = field(default_factory=dict)
