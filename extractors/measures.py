"""Harmonised measures: one name for a quantity that means the same in the three template
generations (``config/measures.yaml``), and which measure a table cell or a prose claim
states.

Pure (no I/O beyond reading the data file once per process).  A measure is the cell, or
the sum of the cells, that each generation prints for it; a cell belongs to at most one
measure.  A claim states a measure when its metric names exactly that measure's cells
(``t3.new`` → ``t3.new@total``; the eight ``t3.denied.*`` added up → applications_denied);
a claim about one part of a sum (``t4.litigation_direct@corrected``) states none.

>>> measure_of("t3.new", "total", "2021")
'applications_received'
>>> measure_of("t3.new", "natural", "2021") is None
True
>>> measure_of("p.apply.received", "value", "pre2019")
'applications_received'
>>> measure_of_metric("t4.litigation_direct+t4.litigation_after_review", "2021")
'lawsuits_total'
>>> measure_of_metric("t3.granted+t3.partial", "2021") is None
True
>>> topic_of("p.apply.online"), topic_of_metric("t4.review@pending")
('applications', 'reviews')

Hand-written: the mapping is gongkai's own domain data; loading it is a few lines of YAML
with the same file/line/id errors as the other config files.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any


from extractors import yamlio
from extractors.errors import ConfigError

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "config" / "measures.yaml"
GENERATIONS = ("pre2019", "2019trial", "2021")
FIELDS = {"id", "label", "label_en", "unit", "cells", "caveat"}
REQUIRED = {"id", "label", "label_en", "unit", "cells"}


@dataclass(frozen=True)
class Measure:
    id: str
    label: str
    label_en: str
    unit: str
    cells: Mapping[str, tuple[str, ...]]  # generation -> ("key@column", ...)
    caveat: str = ""

    def cells_for(self, template: str | None) -> tuple[str, ...]:
        return self.cells.get(template or "", ())

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "label_en": self.label_en,
                "unit": self.unit, "caveat": self.caveat,
                "cells": {g: list(self.cells.get(g, ())) for g in GENERATIONS}}


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    label_en: str
    sections: tuple[str, ...]  # catalogue sections (t3, pre2019.apply, ...)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "label_en": self.label_en,
                "sections": list(self.sections)}


@dataclass(frozen=True)
class Measures:
    version: str
    measures: tuple[Measure, ...]
    by_cell: Mapping[tuple[str, str], str]  # (template, "key@column") -> measure id
    by_parts: Mapping[tuple[str, frozenset], str]  # (template, cells) -> measure id
    path: str = ""
    topics: tuple[Topic, ...] = ()
    by_key: Mapping[str, str] = None  # catalogue key -> topic id (needs the catalogue)

    def topic_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.topics)

    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.measures)

    def get(self, measure_id: str) -> Measure | None:
        return next((m for m in self.measures if m.id == measure_id), None)


# --------------------------------------------------------------------------- loading
def _fail(path: str, line: Any, mid: Any, problem: str) -> ConfigError:
    where = f"{path}:{line}" if line else path
    return ConfigError(f"{where}: measure {mid!r}: {problem}", file=path, line=line, id=mid)


def _cell_ref(ref: Any, template: str, catalogue, where: tuple) -> str:
    """A validated ``key@column`` of a catalogue row printed in ``template``."""
    if not isinstance(ref, str) or ref.count("@") != 1:
        raise _fail(*where, f"cell {ref!r} in {template} is not key@column")
    key, column = ref.split("@")
    entry = catalogue.entries.get(key) if catalogue is not None else None
    if catalogue is not None and entry is None:
        raise _fail(*where, f"cell {ref!r}: no catalogue key {key!r}")
    if entry is not None:
        if template not in entry.templates:
            raise _fail(*where, f"cell {ref!r}: {key} is not printed in {template}")
        if column not in entry.columns_for(template):
            raise _fail(*where, f"cell {ref!r}: {key} has no column {column!r} in {template} "
                                f"(allowed: {', '.join(entry.columns_for(template))})")
    return ref


def _build(raw: Any, path: str, catalogue) -> Measure:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: every measure is a mapping, got {raw!r}", file=path)
    line, mid = raw.get("__line__"), raw.get("id")
    fields = set(raw) - {"__line__"}
    if fields - FIELDS or REQUIRED - fields:
        raise _fail(path, line, mid, f"unknown fields {sorted(fields - FIELDS)} or missing "
                                     f"{sorted(REQUIRED - fields)} (allowed: {sorted(FIELDS)})")
    if not isinstance(mid, str) or not mid.replace("_", "").isalnum() or mid.lower() != mid:
        raise _fail(path, line, mid, "id must be snake_case")
    cells = {str(g): v for g, v in raw["cells"].items() if g != "__line__"}
    if set(cells) - set(GENERATIONS):
        raise _fail(path, line, mid, f"unknown generation(s) {sorted(set(cells) - set(GENERATIONS))}"
                                     f" (allowed: {', '.join(GENERATIONS)})")
    refs = {g: tuple(_cell_ref(r, g, catalogue, (path, line, mid)) for r in v or ())
            for g, v in cells.items()}
    return Measure(id=mid, label=str(raw["label"]), label_en=str(raw["label_en"]),
                   unit=str(raw["unit"]), cells=refs, caveat=str(raw.get("caveat") or ""))


def parse_measures(text: str, path: str = "<measures>", catalogue=None) -> Measures:
    """Validate a measures file; ``catalogue`` (optional) checks every cell exists."""
    data = yamlio.load_mapping(text, path, "the measures file", lines=True)
    if set(data) - {"version", "topics", "measures", "__line__"}:
        raise ConfigError(f"{path}: expected the keys version, topics and measures", file=path)
    topics = _topics(data.get("topics") or {}, path, catalogue)
    measures = tuple(_build(m, path, catalogue) for m in data.get("measures") or ())
    by_cell: dict[tuple[str, str], str] = {}
    by_parts: dict[tuple[str, frozenset], str] = {}
    for m in measures:
        if sum(x.id == m.id for x in measures) > 1:
            raise _fail(path, None, m.id, "id used twice")
        for g, refs in m.cells.items():
            for ref in refs:
                if (g, ref) in by_cell:
                    raise _fail(path, None, m.id, f"cell {ref} ({g}) already belongs to "
                                                  f"{by_cell[(g, ref)]}")
                by_cell[(g, ref)] = m.id
            if refs:
                by_parts[(g, frozenset(refs))] = m.id
    of_section = {sec: t.id for t in topics for sec in t.sections}
    by_key = {} if catalogue is None else {
        e.id: of_section[e.section] for e in catalogue.entries.values() if e.section in of_section}
    return Measures(version=str(data.get("version", "")), measures=measures,
                    by_cell=by_cell, by_parts=by_parts, path=path, topics=topics, by_key=by_key)


def _topics(raw: dict, path: str, catalogue) -> tuple[Topic, ...]:
    known = None if catalogue is None else {e.section for e in catalogue.entries.values()}
    out, seen = [], {}
    for tid, t in raw.items():
        if tid == "__line__":
            continue
        line = t.get("__line__") if isinstance(t, dict) else None
        if not isinstance(t, dict) or set(t) - {"label", "label_en", "sections", "__line__"} \
                or not t.get("sections"):
            raise ConfigError(f"{path}:{line or ''}: topic {tid!r}: needs label, label_en and "
                              "sections (nothing else)", file=path, line=line, id=tid)
        for sec in t["sections"]:
            if known is not None and sec not in known:
                raise ConfigError(f"{path}:{line}: topic {tid!r}: no catalogue section {sec!r}",
                                  file=path, line=line, id=tid)
            if sec in seen:
                raise ConfigError(f"{path}:{line}: topic {tid!r}: section {sec} is already "
                                  f"{seen[sec]}'s", file=path, line=line, id=tid)
            seen[sec] = tid
        out.append(Topic(id=str(tid), label=str(t.get("label", "")),
                         label_en=str(t.get("label_en", "")), sections=tuple(t["sections"])))
    return tuple(out)


@lru_cache(maxsize=4)
def load_measures(path: str | None = None) -> Measures:
    from extractors.catalogue import load_catalogue

    p = Path(path) if path else DEFAULT_PATH
    return parse_measures(p.read_text(encoding="utf-8"), str(p), catalogue=load_catalogue())


def measure_ids() -> tuple[str, ...]:
    return load_measures().ids()


def topic_ids() -> tuple[str, ...]:
    return load_measures().topic_ids()


def topic_of(key: str | None) -> str | None:
    """The topic of a catalogue row (``t3.new`` → applications); None for unknown rows."""
    return (load_measures().by_key or {}).get(key or "")


def topic_of_metric(metric: str | None) -> str | None:
    """The topic of a claim's metric when all its parts share one."""
    if not metric:
        return None
    found = {topic_of(part.strip().partition("@")[0]) for part in metric.split("+")}
    return found.pop() if len(found) == 1 else None


# --------------------------------------------------------------------------- lookup
def measure_of(key: str | None, column: str | None, template: str | None) -> str | None:
    """The measure a table cell (key, column) of a ``template`` report is part of."""
    if not key or not column:
        return None
    return load_measures().by_cell.get((template or "", f"{key}@{column}"))


def _default_column(key: str) -> str | None:
    from extractors.rules import load_rules

    return load_rules().default_column(key)


@lru_cache(maxsize=1 << 12)
def _parts(metric: str) -> frozenset[str] | None:
    """``a+b@col`` → {a@default, b@col}; None when a part has no column to default to.
    Cached: claims of every report name the same few hundred metrics, and each default
    column asks the rule set (a path resolution a call)."""
    out = set()
    for part in metric.split("+"):
        key, _, column = part.strip().partition("@")
        column = column or _default_column(key)
        if not key or not column:
            return None
        out.add(f"{key}@{column}")
    return frozenset(out)


def measure_of_metric(metric: str | None, template: str | None) -> str | None:
    """The measure a claim's metric (``key``, ``key@column`` or a sum ``a+b``) states:
    the one whose cells in ``template`` are exactly the metric's cells, else None."""
    if not metric:
        return None
    parts = _parts(metric)
    if not parts:
        return None
    return load_measures().by_parts.get((template or "", parts))


def with_measures(record: dict[str, Any], prose_template: str | None = None) -> dict[str, Any]:
    """Set ``measure`` and ``topic`` on every cell and claim of a check record (in place;
    returned).

    Cells take their table's template; claims ``prose_template``, the template the
    prose was read with (the table's, or the report year's when no table was read)."""
    template = (record.get("table") or {}).get("template")
    for cell in (record.get("table") or {}).get("cells") or ():
        cell["measure"] = measure_of(cell.get("key"), cell.get("column"), template)
        cell["topic"] = topic_of(cell.get("key"))
    for claim in record.get("claims") or ():
        claim["measure"] = measure_of_metric(claim.get("metric"), prose_template or template)
        claim["topic"] = topic_of_metric(claim.get("metric"))
    return record
