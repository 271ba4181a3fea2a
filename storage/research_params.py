"""The typed parameters of a research query, shared by ``GET /api/{collection}`` and
``gongkai query``: every filter's type and bounds, the page and export limits, and the
check that each filter given applies to the collection asked for.

Nothing here reaches MongoDB as given: lists hold only values of a closed set (measure
ids from config/measures.yaml, statuses, templates, ...), names are plain strings used as
equalities or escaped prefix ranges, numbers are numbers.  Unknown parameters are
refused (``extra="forbid"``), so ``year[$gt]=…`` or ``$where=…`` is a 422, not a query.
"""
from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storage.research_spec import SPECS

MAX_PAGE = 1000
DEFAULT_PAGE = 100
MAX_EXPORT = 1_000_000
YEAR_MIN, YEAR_MAX = 1990, 2100

Status = Literal["fail", "warn", "not_assessable"]
State = Literal["open", "confirmed", "dismissed", "needs_info"]
Severity = Literal["high", "medium", "low"]
Template = Literal["pre2019", "2019trial", "2021", "unknown"]
Level = Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")]  # config/regions.yaml levels
Kind = Literal["figure", "rate", "change", "statement", "enumeration"]
Scope = Literal["report", "cross_year", "duplicate"]
CellState = Literal["number", "zero", "blank", "slash", "none", "text"]
Format = Literal["json", "csv", "jsonl", "parquet"]

# query parameter -> the filter name of research_spec (when they differ)
_FILTER_OF = {"value_min": "value", "value_max": "value", "text": "text"}
_FILTERS = ("measure", "topic", "kind", "status", "severity", "state", "template", "level", "scope",
            "cell_state", "body", "body_key", "region", "metric", "column", "report",
            "code", "year", "value_min", "value_max", "text")
_LISTS = ("measure", "topic", "kind", "status", "severity", "state", "template", "level", "scope",
          "cell_state", "fields")


class QueryError(ValueError):
    """A parameter that is valid alone but not for this collection (422 with its loc)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param, self.message = param, message


def parse_years(value) -> tuple[int, int] | None:
    """``2020`` → (2020, 2020); ``2020..2024``; ``2020..`` and ``..2024`` are open."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        lo = hi = value
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        lo, hi = (int(v) for v in value)
    else:
        text = str(value).strip()
        a, sep, b = text.partition("..")
        if not all(x == "" or (x.isdigit() and len(x) == 4) for x in (a, b)) or \
                not (a or b) or (not sep and not a):
            raise ValueError("year is YYYY or a range YYYY..YYYY (either end may be open)")
        lo = int(a) if a else YEAR_MIN
        hi = int(b) if b else (YEAR_MAX if sep else lo)
    if not (YEAR_MIN <= lo <= hi <= YEAR_MAX):
        raise ValueError(f"years between {YEAR_MIN} and {YEAR_MAX}, the first not after the last")
    return lo, hi


def expand_measures(values: list[str]) -> list[str]:
    """Measure ids, with ``prefix_*`` standing for every measure id it starts."""
    from extractors.measures import measure_ids

    known = measure_ids()
    out: list[str] = []
    for v in values:
        hits = [m for m in known if m.startswith(v[:-1])] if v.endswith("*") else \
            [v] if v in known else []
        if not hits:
            raise ValueError(f"unknown measure {v!r}; known: {', '.join(known)} "
                             "(a trailing * matches a prefix)")
        out += [h for h in hits if h not in out]
    return out


class ResearchQuery(BaseModel):
    """Filters, fields, sort and page of one research query (lists repeat the
    parameter, ``?status=fail&status=warn``, or separate values with commas)."""

    model_config = ConfigDict(extra="forbid")

    measure: list[str] = Field(default_factory=list, max_length=50,
                               description="harmonised measure id(s); prefix_* for a prefix")
    topic: list[str] = Field(default_factory=list, max_length=20,
                             description="topic(s): applications, proactive, reviews, ...")
    kind: list[Kind] = Field(default_factory=list, description="claim kind")
    status: list[Status] = Field(default_factory=list, description="finding status")
    severity: list[Severity] = Field(default_factory=list, description="finding severity")
    state: list[State] = Field(default_factory=list, description="finding review state")
    template: list[Template] = Field(default_factory=list, description="template generation")
    level: list[Level] = Field(default_factory=list, description="administrative level")
    scope: list[Scope] = Field(default_factory=list, description="finding scope")
    cell_state: list[CellState] = Field(default_factory=list,
                                        description="cell state (number, zero, blank, ...)")
    body: str | None = Field(default=None, min_length=1, max_length=200,
                             description="body name, exact")
    body_key: str | None = Field(default=None, min_length=1, max_length=200,
                                 description="the body's normalised key (as `gongkai show` prints it)")
    region: str | None = Field(default=None, min_length=1, max_length=200,
                               description="region prefix: 江苏 matches 江苏省淮安市")
    metric: str | None = Field(default=None, min_length=1, max_length=300,
                               description="catalogue key (cells) or claim metric, exact")
    column: str | None = Field(default=None, pattern=r"^[a-z_]{1,40}$",
                               description="cell column (total, natural, value, ...)")
    report: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$",
                               description="one report's id")
    code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.]{1,80}\*?$",
                             description="finding code; PROSE.* for a prefix")
    year: str | None = Field(default=None, max_length=12,
                             description="YYYY or YYYY..YYYY (either end may be open)")
    value_min: float | None = Field(default=None, description="value at least")
    value_max: float | None = Field(default=None, description="value at most")
    text: str | None = Field(default=None, min_length=1, max_length=200,
                             description="words that must all occur (jieba tokens)")
    renderings: bool = Field(default=False, description="also rows of renderings")
    fields: list[str] = Field(default_factory=list, max_length=40)
    sort: str | None = Field(default=None, pattern=r"^[a-z_]{1,40}$",
                             description="a sort of the collection (id, year, body, value, ...)")
    desc: bool = False
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    cursor: str | None = Field(default=None, min_length=1, max_length=2000,
                               description="the `next` of the previous page")
    export_limit: int | None = Field(default=None, ge=1, le=MAX_EXPORT)
    format: Format = "json"

    @model_validator(mode="before")
    @classmethod
    def _split(cls, data):
        """Empty values mean "any"; list parameters also take comma-separated values."""
        if not isinstance(data, dict):
            return data
        out = {}
        for k, v in data.items():
            if v in ("", None, [], [""]):
                continue
            if k in _LISTS and isinstance(v, (str, list)):
                items = [v] if isinstance(v, str) else v
                v = [x.strip() for item in items for x in str(item).split(",") if x.strip()]
            out[k] = v
        return out

    @field_validator("year", mode="before")
    @classmethod
    def _years(cls, v):
        """Kept as text (a scalar query parameter), normalised to ``lo..hi``."""
        years = parse_years(v)
        return None if years is None else f"{years[0]}..{years[1]}"

    @property
    def years(self) -> tuple[int, int] | None:
        return parse_years(self.year)

    @field_validator("measure")
    @classmethod
    def _measures(cls, v):
        return expand_measures(v) if v else v

    @field_validator("topic")
    @classmethod
    def _topics(cls, v):
        from extractors.measures import topic_ids

        bad = [t for t in v if t not in topic_ids()]
        if bad:
            raise ValueError(f"unknown topic {bad[0]!r}; known: {', '.join(topic_ids())}")
        return v

    @field_validator("value_min", "value_max")
    @classmethod
    def _finite(cls, v):
        if v is not None and not math.isfinite(v):
            raise ValueError("a finite number")
        return v

    @property
    def text_tokens(self) -> list[str]:
        """The jieba tokens of ``text`` (what the stored ``tokens`` arrays hold)."""
        if not self.text:
            return []
        from extractors.nlp import tokens

        return sorted({t for word in self.text.split() for t in tokens(word)})

    def given(self) -> list[str]:
        return [n for n in _FILTERS if getattr(self, n) not in (None, [], "")]

    def check_for(self, collection: str) -> None:
        """Refuse filters, fields and sorts the collection does not have (QueryError)."""
        spec = SPECS[collection]
        for name in self.given():
            if _FILTER_OF.get(name, name) not in spec.filters:
                allowed = sorted({n for n in _FILTERS if _FILTER_OF.get(n, n) in spec.filters})
                raise QueryError(name, f"filter {name!r} does not apply to {collection} "
                                       f"(filters: {', '.join(allowed)})")
        for name in self.fields:
            if name not in spec.fields:
                raise QueryError("fields", f"no field {name!r} in {collection} "
                                           f"(fields: {', '.join(spec.fields)})")
        if self.sort and self.sort != "id" and self.sort not in spec.sorts:
            raise QueryError("sort", f"cannot sort {collection} by {self.sort!r} "
                                     f"(sorts: id, {', '.join(spec.sorts)})")
        if None not in (self.value_min, self.value_max) and self.value_min > self.value_max:
            raise QueryError("value_min", "value_min is above value_max")
