"""The metric catalogue (config/catalogue.yaml) as a validated, queryable object.

The catalogue is data; this module only loads it, rejects malformed entries with the
file, line, entry id and field in the message, and answers two questions for the table
parser and the claim extractor: which canonical row does a printed label name, and which
canonical column does a printed header cell name.

Label matching is hand-written rather than fuzzy: a printed label is reduced to a
canonical form (NFKC width folding, no spaces or punctuation, no "其中"/"1、"/"（一）"
prefixes, 其它→其他) and looked up in an index of the catalogue's own variants, with and
without trailing parenthetical notes.  OCR and print slips are listed as variants in the
data, so a wrong guess can never silently map a label onto a row of different meaning.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping


from extractors import yamlio
from extractors.errors import ConfigError
from extractors.models import TEMPLATES

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "config" / "catalogue.yaml"

ENTRY_FIELDS = {
    "id", "templates", "labels", "unit", "columns", "parent", "children", "relation",
    "section", "mandatory", "context", "note",
}
TOP_FIELDS = {"version", "columns", "header_roles", "column_sets", "entries"}
UNITS = {"条", "件", "次", "篇", "个", "人", "人次", "万元", "元", "项"}
RELATIONS = {"sum", "subset"}
CHINESE_NUMERAL = "一二三四五六七八九十"
_PREFIX = re.compile(
    rf"^(?:其中[:：]?|[{CHINESE_NUMERAL}]+[、.,]|\([{CHINESE_NUMERAL}]+\)|\d{{1,2}}[、.,](?!\d))"
)
_PAREN = re.compile(r"\([^()]*\)")
MIN_PREFIX = 4  # characters of a cut label's start that may name its row
MIN_INFIX = 8  # characters of a label's middle that may (a cut on both sides)
MEMO_SIZE = 1 << 16  # remembered match_row / match_any / match_column answers
_NON_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)
def normalize_label(label: str, *, drop_notes: bool = False) -> str:
    """Reduce a printed label to the form the index is keyed on (cached: table parsing
    and the cross-checks normalize the same labels thousands of times a report).

    >>> normalize_label("其中：1．网站公开")
    '网站公开'
    >>> normalize_label("（三）不 予公开")
    '不予公开'
    >>> normalize_label("1、专职人员数 (不包括政府公报)", drop_notes=True)
    '专职人员数'
    """
    s = _unprefixed(label)
    if drop_notes:
        s = _PAREN.sub("", s)
    return _NON_WORD.sub("", s)


def label_forms(label: str) -> tuple[str, str]:
    """``(normalize_label(label), normalize_label(label, drop_notes=True))`` in one pass,
    uncached: for text read once (the cross-checks' unread lines), kept out of the cache.

    >>> label_forms("1、专职人员数 (不包括政府公报)")
    ('专职人员数不包括政府公报', '专职人员数')
    """
    s = _unprefixed(label)
    full = _NON_WORD.sub("", s)
    return full, (_NON_WORD.sub("", _PAREN.sub("", s)) if "(" in s else full)  # no note: same


def _unprefixed(label: str) -> str:
    s = unicodedata.normalize("NFKC", label)
    s = _SPACES.sub("", s).replace("其它", "其他")
    previous = None
    while previous != s:
        previous, s = s, _PREFIX.sub("", s)
    return s


@dataclass(frozen=True)
class Entry:
    id: str
    templates: tuple[str, ...]
    labels: tuple[str, ...]
    unit: str | Mapping[str, str] | None = None
    columns: tuple[str, ...] | Mapping[str, tuple[str, ...]] = ()
    parent: str | None = None
    children: tuple[str, ...] = ()
    relation: str | None = None
    section: str | None = None
    mandatory: tuple[str, ...] = ()
    context: bool = False
    note: str | None = None

    def columns_for(self, template: str | None) -> tuple[str, ...]:
        if not isinstance(self.columns, tuple):  # a mapping (an ABC check costs µs a call)
            if template in self.columns:
                return self.columns[template]
            return next(iter(self.columns.values()), ())
        return self.columns

    def unit_for(self, column: str | None) -> str | None:
        if self.unit is not None and not isinstance(self.unit, str):  # a mapping
            return self.unit.get(column or "")
        return self.unit


@dataclass(frozen=True)
class ColumnDef:
    id: str
    labels: tuple[str, ...]
    patterns: tuple[re.Pattern, ...] = ()
    unit: str | None = None


@dataclass
class Catalogue:
    version: str
    entries: dict[str, Entry]
    columns: dict[str, ColumnDef]
    header_roles: dict[str, tuple[str, ...]]
    column_sets: dict[str, tuple[str, ...]]
    path: str = ""
    _index: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _short_index: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _column_index: dict[str, str] = field(default_factory=dict, repr=False)
    _role_index: dict[str, str] = field(default_factory=dict, repr=False)
    # answers of match_row / match_any / match_column by argument (the indexes never change
    # once built; reports print the same labels under the same parent rows)
    _memo: dict[tuple, Any] = field(default_factory=dict, repr=False, compare=False)

    def entry(self, key: str) -> Entry:
        return self.entries[key]

    def labels(self) -> list[str]:
        """Every printed label variant (rows and column headers), for the jieba dictionary."""
        out = [lab for e in self.entries.values() for lab in e.labels]
        out += [lab for c in self.columns.values() for lab in c.labels]
        return list(dict.fromkeys(out))

    def mandatory(self, template: str) -> list[str]:
        return [e.id for e in self.entries.values() if template in e.mandatory]

    def match_row(self, label: str, template: str | None = None,
                  context: Mapping[str, Any] | None = None) -> str | None:
        """The canonical key a printed row label names, or None.

        ``context`` may give ``parents``: keys of the rows above this one (nearest
        first); it decides between rows sharing a label and unlocks ``context`` entries.
        """
        parents = tuple((context or {}).get("parents") or ())
        memo = ("row", label, template, parents)
        if memo not in self._memo:
            self._bound_memo()
            self._memo[memo] = self._match_row(label, template, parents)
        return self._memo[memo]

    def _match_row(self, label: str, template: str | None, parents: tuple[str, ...]) -> str | None:
        full, short = normalize_label(label), normalize_label(label, drop_notes=True)
        for index, form in ((self._index, full), (self._index, short), (self._short_index, short)):
            keys = [k for k in index.get(form, ()) if self._fits(k, template)]
            key = self._choose(keys, parents)
            if key:
                return key
        return None

    def match_any(self, label: str, template: str | None = None) -> list[str]:
        """Every key a printed label may name, whatever the rows above it (for telling a
        label from a fragment of one)."""
        memo = ("any", label, template)
        if memo not in self._memo:
            self._bound_memo()
            out: list[str] = []
            full, short = normalize_label(label), normalize_label(label, drop_notes=True)
            for index, form in ((self._index, full), (self._index, short), (self._short_index, short)):
                out += [k for k in index.get(form, ()) if self._fits(k, template) and k not in out]
            self._memo[memo] = tuple(out)
        return list(self._memo[memo])

    def match_fragment(self, fragment: str, template: str | None, section: str,
                       exclude: Iterable[str] = ()) -> str | None:
        """The one row of ``section`` whose label starts with (or, for a long fragment,
        contains) ``fragment``: a label cut by a rendering.  None when not unique."""
        frag = normalize_label(fragment)
        if len(frag) < MIN_PREFIX:
            return None
        skip = set(exclude)
        keys = [e.id for e in self.entries.values() if e.id not in skip and self._fits(e.id, template)
                and (e.section or "").split(".")[0] == section]
        forms = {k: [normalize_label(lab) for lab in self.entries[k].labels] for k in keys}
        for fits, least in ((str.startswith, MIN_PREFIX), (str.__contains__, MIN_INFIX)):
            hits = [k for k in keys if any(fits(f, frag) and f != frag for f in forms[k])]
            if len(frag) >= least and hits:
                return hits[0] if len(hits) == 1 else None
        return None

    def _fits(self, key: str, template: str | None) -> bool:
        return template in (None, "unknown") or template in self.entries[key].templates

    def _choose(self, keys: list[str], parents: tuple[str, ...]) -> str | None:
        for parent in parents:
            near = [k for k in keys if self.entries[k].parent == parent]
            if len(near) == 1:
                return near[0]
        free = [k for k in keys if not self.entries[k].context]
        return free[0] if len(free) == 1 else None

    def match_column(self, header: str) -> str | None:
        """The canonical column id a printed header cell names, or None."""
        memo = ("column", header)
        if memo not in self._memo:
            self._bound_memo()
            self._memo[memo] = self._match_column(header)
        return self._memo[memo]

    def _match_column(self, header: str) -> str | None:
        form = normalize_label(header)
        if form in self._column_index:
            return self._column_index[form]
        for col in self.columns.values():
            if any(p.search(form) for p in col.patterns):
                return col.id
        return None

    def cell_unit(self, key: str, column: str) -> str | None:
        """The unit the catalogue gives a cell of row ``key`` in ``column`` (None for a
        row the catalogue does not know), remembered like the matches."""
        memo = ("unit", key, column)
        if memo not in self._memo:
            self._bound_memo()
            entry = self.entries.get(key)
            self._memo[memo] = entry.unit_for(column) if entry is not None else None
        return self._memo[memo]

    def header_role(self, cell: str) -> str | None:
        """'label', 'unit' or 'group' for header cells that name no value column."""
        return self._role_index.get(normalize_label(cell))

    def _bound_memo(self) -> None:
        if len(self._memo) >= MEMO_SIZE:  # a long-running worker reads endless new labels
            self._memo.clear()

    def build_indexes(self) -> None:
        self._memo.clear()
        for e in self.entries.values():
            for lab in e.labels:
                for index, form in ((self._index, normalize_label(lab)),
                                    (self._short_index, normalize_label(lab, drop_notes=True))):
                    if form and e.id not in index.setdefault(form, []):
                        index[form].append(e.id)
        for c in self.columns.values():
            for lab in c.labels:
                self._column_index[normalize_label(lab)] = c.id
        for role, cells in self.header_roles.items():
            for cell in cells:
                self._role_index[normalize_label(cell)] = role


# ----------------------------------------------------------------------------- loading

def _fail(path: str, line: Any, entry_id: Any, fld: str, problem: str) -> ConfigError:
    where = f"{path}:{line}" if line else path
    return ConfigError(f"{where}: entry {entry_id!r}, field {fld!r}: {problem}",
                       file=path, line=line, id=entry_id, field=fld)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _tuple_of_str(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value or ())


def _build_entry(raw: dict, path: str) -> Entry:
    line, eid = raw.get("__line__"), raw.get("id")
    unknown = set(raw) - ENTRY_FIELDS - {"__line__"}
    if unknown:
        raise _fail(path, line, eid, sorted(unknown)[0],
                    f"unknown field; allowed: {', '.join(sorted(ENTRY_FIELDS))}")
    for required in ("id", "templates", "labels"):
        if not raw.get(required):
            raise _fail(path, line, eid, required, "missing or empty")
    data = _plain(raw)
    _check_entry_values(data, path, line)
    columns = data.get("columns") or ()
    if isinstance(columns, dict):
        columns = {str(k): _tuple_of_str(v) for k, v in columns.items()}
    else:
        columns = _tuple_of_str(columns)
    return Entry(
        id=str(data["id"]), templates=_tuple_of_str(data["templates"]),
        labels=_tuple_of_str(data["labels"]), unit=data.get("unit"), columns=columns,
        parent=data.get("parent"), children=_tuple_of_str(data.get("children")),
        relation=data.get("relation"), section=data.get("section"),
        mandatory=_tuple_of_str(data.get("mandatory")), context=bool(data.get("context")),
        note=data.get("note"),
    )


def _check_entry_values(data: dict, path: str, line: Any) -> None:
    eid = data["id"]
    for fld in ("templates", "mandatory"):
        bad = [t for t in _tuple_of_str(data.get(fld)) if t not in TEMPLATES]
        if bad:
            raise _fail(path, line, eid, fld, f"unknown template {bad[0]!r}")
    units = data.get("unit")
    for unit in (units.values() if isinstance(units, dict) else [units] if units else []):
        if unit not in UNITS:
            raise _fail(path, line, eid, "unit", f"unknown unit {unit!r}; allowed: {sorted(UNITS)}")
    if data.get("relation") not in (None, *RELATIONS):
        raise _fail(path, line, eid, "relation", f"must be one of {sorted(RELATIONS)}")


def _check_references(entries: dict[str, Entry], lines: dict[str, Any], path: str,
                      columns: Mapping[str, ColumnDef]) -> None:
    for e in entries.values():
        for fld, refs in (("parent", [e.parent] if e.parent else []), ("children", e.children)):
            for ref in refs:
                if ref not in entries:
                    raise _fail(path, lines[e.id], e.id, fld, f"no entry with id {ref!r}")
        all_cols = e.columns.values() if isinstance(e.columns, Mapping) else [e.columns]
        for col in (c for cols in all_cols for c in cols):
            if col not in columns:
                raise _fail(path, lines[e.id], e.id, "columns", f"no column definition {col!r}")


def _check_label_clashes(entries: dict[str, Entry], lines: dict[str, Any], path: str) -> None:
    seen: dict[tuple[str, str], str] = {}
    for e in entries.values():
        for lab in e.labels:
            for t in e.templates:
                other = seen.setdefault((normalize_label(lab), t), e.id)
                if other == e.id:
                    continue
                o = entries[other]
                if e.context and o.context and e.parent != o.parent:
                    continue  # told apart by their parent rows
                raise _fail(path, lines[e.id], e.id, "labels",
                            f"label {lab!r} also names {other!r} in template {t}")


def _build_columns(raw: dict, path: str) -> dict[str, ColumnDef]:
    out = {}
    for cid, spec in (raw or {}).items():
        if cid == "__line__":
            continue
        spec = spec or {}
        unknown = set(spec) - {"labels", "patterns", "unit", "__line__"}
        if unknown:
            raise _fail(path, spec.get("__line__"), f"columns.{cid}", sorted(unknown)[0],
                        "unknown field; allowed: labels, patterns, unit")
        try:
            patterns = tuple(re.compile(p) for p in spec.get("patterns") or ())
        except re.error as exc:
            raise _fail(path, spec.get("__line__"), f"columns.{cid}", "patterns", str(exc)) from exc
        out[cid] = ColumnDef(cid, _tuple_of_str(spec.get("labels")), patterns, spec.get("unit"))
    return out


def parse_catalogue(text: str, path: str = "<string>") -> Catalogue:
    """Build and validate a catalogue from YAML text (ConfigError on any problem)."""
    raw = yamlio.load_mapping(text, path, "the catalogue", lines=True)
    unknown = set(raw) - TOP_FIELDS - {"__line__"}
    if unknown:
        raise _fail(path, 1, None, sorted(unknown)[0], f"unknown top-level field; allowed: {sorted(TOP_FIELDS)}")
    if not raw.get("version"):
        raise _fail(path, 1, None, "version", "missing")
    entries, lines = _build_entries(raw.get("entries") or [], path)
    columns = _build_columns(raw.get("columns"), path)
    _check_references(entries, lines, path, columns)
    _check_label_clashes(entries, lines, path)
    roles = {k: _tuple_of_str(v) for k, v in _plain(raw.get("header_roles") or {}).items()}
    sets = {k: _tuple_of_str(v) for k, v in _plain(raw.get("column_sets") or {}).items()}
    cat = Catalogue(str(raw["version"]), entries, columns, roles, sets, path)
    cat.build_indexes()
    return cat


def _build_entries(items: Iterable[dict], path: str) -> tuple[dict[str, Entry], dict[str, Any]]:
    entries: dict[str, Entry] = {}
    lines: dict[str, Any] = {}
    for raw in items:
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: every entry must be a mapping, got {raw!r}", file=path)
        entry = _build_entry(raw, path)
        if entry.id in entries:
            raise _fail(path, raw.get("__line__"), entry.id, "id",
                        f"duplicate id (first at line {lines[entry.id]})")
        entries[entry.id], lines[entry.id] = entry, raw.get("__line__")
    return entries, lines


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Catalogue:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the catalogue: {exc}", file=path) from exc
    return parse_catalogue(text, path)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The catalogue at ``path`` (default config/catalogue.yaml), loaded once per process."""
    return _load_cached(str(Path(path) if path else DEFAULT_PATH))
