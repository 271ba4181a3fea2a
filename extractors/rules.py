"""Load and validate config/rules.yaml, the cross-check rules as data.

The rules are identities of the report templates (XBRL-calculation style: a checked cell,
weighted terms, a tolerance, a strength).  They are validated on load, one check per
field, so a typo in the data file fails loudly with the file, line and rule id instead of
silently disabling a check.  Hand-written because the schema is small and ours.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from extractors import yamlio
from extractors.errors import ConfigError

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "config" / "rules.yaml"
TOP_FIELDS = {"version", "column_sets", "groups", "default_columns", "column_names",
              "settings", "section_kinds", "rules"}
COMMON = {"id", "version", "kind", "templates", "strength", "severity", "message",
          "message_en", "per_row", "per_column", "tolerance", "unless_present", "suppresses"}
KINDS: dict[str, tuple[set[str], set[str]]] = {  # kind -> (required, optional) fields
    "sum": ({"cell", "terms"}, {"derivable"}),
    "balance": ({"lhs", "rhs"}, set()),
    "le": ({"lhs", "rhs"}, set()),
    "nonzero_implies": ({"if_nonzero", "then_nonzero"}, {"suppresses"}),
    "placeholder": ({"values", "ratio"}, set()),
    "all_zero": ({"min_cells"}, set()),
    "table_flag": ({"flag"}, set()),
    "announced_sections": (set(), {"skip_kinds"}),
    "mandatory_sections": ({"required"}, set()),
    "claim_figure": (set(), {"min_confidence", "metrics", "skip_metrics"}),
    "claim_statement": (set(), {"min_confidence"}),
    "claim_enumeration": (set(), set()),
    "claim_rate": (set(), set()),
    "carried_over": ({"cell", "prev"}, set()),
    "rollforward": ({"cell", "prev", "terms"}, set()),
    "cumulative": (set(), set()),
    "change_claim": (set(), set()),
    "commitment": (set(), set()),
    "similarity": (set(), set()),
    "section_similarity": ({"section_kinds", "threshold"}, set()),
    "timeliness": ({"deadlines", "government_levels"}, set()),
}
TEMPLATES = {"pre2019", "2019trial", "2021", "unknown"}
STRENGTHS = {"hard", "soft"}
SEVERITIES = {"high", "medium", "low"}
PLACEHOLDERS = {"expr", "lhs", "rhs", "label", "row", "col", "col_name", "quote", "title"}
TERM_FIELDS = ("cell", "terms", "lhs", "rhs", "if_nonzero", "then_nonzero", "prev",
               "unless_present")


@dataclass(frozen=True)
class Term:
    """One weighted reference ("key@column" with optional {row}/{col}) or a one_of choice."""

    ref: str | None
    weight: float = 1.0
    one_of: tuple[tuple["Term", ...], ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    kind: str
    templates: tuple[str, ...]
    strength: str
    severity: str
    message: str
    message_en: str
    per_row: tuple[str, ...] | str | None = None  # "*" = every row of the table
    per_column: tuple[str, ...] | None = None
    terms: dict[str, tuple[Term, ...]] = field(default_factory=dict)  # cell/lhs/rhs/...
    params: dict[str, Any] = field(default_factory=dict)
    line: int | None = None

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


@dataclass(frozen=True)
class RuleSet:
    version: int
    rules: tuple[Rule, ...]
    column_sets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    groups: dict[str, tuple[Term, ...]] = field(default_factory=dict)
    default_columns: tuple[tuple[str, str], ...] = ()
    column_names: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    section_kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    path: str = ""

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def of_kind(self, *kinds: str) -> list[Rule]:
        return [r for r in self.rules if r.kind in kinds]

    def default_column(self, key: str) -> str | None:
        return next((col for prefix, col in self.default_columns if key.startswith(prefix)), None)


_CACHE: dict[str, RuleSet] = {}


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Load, validate and cache (per process, per path) a rules file."""
    if not path and "" in _CACHE:  # the default, no filesystem call once loaded (asked per pair)
        return _CACHE[""]
    p = Path(path) if path else DEFAULT_PATH
    cache_key = str(p.resolve())
    if cache_key not in _CACHE:
        _CACHE[cache_key] = parse_rules(p.read_text(encoding="utf-8"), str(p))
    if not path:
        _CACHE[""] = _CACHE[cache_key]
    return _CACHE[cache_key]


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    data = yamlio.load_mapping(text, source, "a rule set")
    _no_unknown(data, TOP_FIELDS, source, None, None)
    lines = _rule_lines(text)
    col_sets = {k: tuple(v) for k, v in (data.get("column_sets") or {}).items()}
    raw_rules = data.get("rules") or []
    rules = tuple(_parse_rule(r, source, lines[i] if i < len(lines) else None, col_sets)
                  for i, r in enumerate(raw_rules))
    _no_duplicates(rules, source)
    _check_suppresses(rules, source)
    rs = RuleSet(
        version=int(data.get("version", 0)), rules=rules, column_sets=col_sets,
        groups={k: _terms(v, source, None, k) for k, v in (data.get("groups") or {}).items()},
        default_columns=tuple((d["prefix"], d["column"]) for d in data.get("default_columns") or []),
        column_names=dict(data.get("column_names") or {}),
        settings=dict(data.get("settings") or {}),
        section_kinds={k: tuple(v) for k, v in (data.get("section_kinds") or {}).items()},
        path=source)
    _check_catalogue(rs)
    return rs


def _rule_lines(text: str) -> list[int]:
    """1-based line of each item of the top-level ``rules`` list."""
    node = yamlio.compose(text)
    for k, v in getattr(node, "value", []):
        if getattr(k, "value", None) == "rules" and isinstance(v, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in v.value]
    return []


def _where(source: str, line: int | None, rule_id: str | None) -> str:
    at = f"{source}:{line}" if line else source
    return f"{at} rule {rule_id}" if rule_id else at


def _no_unknown(d: dict, allowed: set[str], source: str, line: int | None, rid: str | None) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise ConfigError(f"{_where(source, line, rid)}: unknown field(s) {unknown}; "
                          f"allowed: {sorted(allowed)}", file=source, line=line, rule=rid)


def _parse_rule(d: Any, source: str, line: int | None, col_sets: dict) -> Rule:
    if not isinstance(d, dict) or "id" not in d:
        raise ConfigError(f"{_where(source, line, None)}: a rule must be a mapping with an id",
                          file=source, line=line)
    rid = str(d["id"])
    kind = d.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{_where(source, line, rid)}: unknown kind {kind!r}; "
                          f"allowed: {sorted(KINDS)}", file=source, line=line, rule=rid)
    required, optional = KINDS[kind]
    _no_unknown(d, COMMON | required | optional | _param_fields(kind), source, line, rid)
    _require(d, required | {"version", "templates", "strength", "severity", "message",
                            "message_en"}, source, line, rid)
    _check_values(d, source, line, rid, col_sets)
    terms = {f: _terms(d[f], source, line, rid) for f in TERM_FIELDS if f in d}
    params = {k: v for k, v in d.items()
              if (k not in COMMON or k in ("tolerance", "suppresses")) and k not in TERM_FIELDS}
    return Rule(id=rid, version=int(d["version"]), kind=kind, templates=tuple(d["templates"]),
                strength=d["strength"], severity=d["severity"], message=d["message"],
                message_en=d["message_en"], per_row=_set_ref(d.get("per_row"), col_sets),
                per_column=_set_ref(d.get("per_column"), col_sets), terms=terms,
                params=params, line=line)


def _param_fields(kind: str) -> set[str]:
    return KINDS[kind][0] | KINDS[kind][1]


def _require(d: dict, names: set[str], source: str, line: int | None, rid: str) -> None:
    missing = sorted(n for n in names if n not in d)
    if missing:
        raise ConfigError(f"{_where(source, line, rid)}: missing field(s) {missing}",
                          file=source, line=line, rule=rid)


def _check_values(d: dict, source: str, line: int | None, rid: str, col_sets: dict) -> None:
    def bad(msg: str) -> ConfigError:
        return ConfigError(f"{_where(source, line, rid)}: {msg}", file=source, line=line, rule=rid)

    tol = d.get("tolerance", "printed_precision")
    if tol not in ("printed_precision", "rounded") and not isinstance(tol, (int, float)):
        raise bad(f"tolerance {tol!r}: printed_precision, rounded or a number")
    d["templates"] = [str(t) for t in d["templates"]]  # YAML reads 2021 as an int
    if not set(d["templates"]) <= TEMPLATES:
        raise bad(f"templates {d['templates']} not in {sorted(TEMPLATES)}")
    if d["strength"] not in STRENGTHS:
        raise bad(f"strength {d['strength']!r} not in {sorted(STRENGTHS)}")
    if d["severity"] not in SEVERITIES:
        raise bad(f"severity {d['severity']!r} not in {sorted(SEVERITIES)}")
    if not isinstance(d["version"], int) or d["version"] < 1:
        raise bad("version must be a positive integer")
    for name in ("per_row", "per_column"):
        v = d.get(name)
        if isinstance(v, str) and v != "*" and v not in col_sets:
            raise bad(f"{name} names unknown column set {v!r}")
    for name in ("message", "message_en"):
        fields = {f for _, f, _, _ in string.Formatter().parse(d[name]) if f}
        if not fields <= PLACEHOLDERS:
            raise bad(f"{name} uses unknown placeholder(s) {sorted(fields - PLACEHOLDERS)}; "
                      f"allowed: {sorted(PLACEHOLDERS)}")


def _set_ref(v: Any, col_sets: dict) -> tuple[str, ...] | str | None:
    if v is None or v == "*":
        return v
    return col_sets[v] if isinstance(v, str) else tuple(v)


def _terms(v: Any, source: str, line: int | None, rid: str | None) -> tuple[Term, ...]:
    items = v if isinstance(v, list) else [v]
    return tuple(_term(x, source, line, rid) for x in items)


def _term(x: Any, source: str, line: int | None, rid: str | None) -> Term:
    if isinstance(x, str):
        return Term(ref=x)
    if isinstance(x, dict) and set(x) <= {"key", "weight"} and "key" in x:
        return Term(ref=str(x["key"]), weight=float(x.get("weight", 1)))
    if isinstance(x, dict) and set(x) == {"one_of"}:
        return Term(ref=None, one_of=tuple(_terms(alt, source, line, rid) for alt in x["one_of"]))
    raise ConfigError(f"{_where(source, line, rid)}: bad term {x!r} (a \"key@column\" string, "
                      "{key, weight} or {one_of: [[...], ...]})", file=source, line=line, rule=rid)


def _no_duplicates(rules: tuple[Rule, ...], source: str) -> None:
    seen: dict[str, Rule] = {}
    for r in rules:
        if r.id in seen:
            raise ConfigError(f"{_where(source, r.line, r.id)}: duplicate rule id (first at line "
                              f"{seen[r.id].line})", file=source, line=r.line, rule=r.id)
        seen[r.id] = r


def _check_suppresses(rules: tuple[Rule, ...], source: str) -> None:
    ids = {r.id for r in rules}
    for r in rules:
        unknown = sorted(set(r.params.get("suppresses") or ()) - ids)
        if unknown:
            raise ConfigError(f"{_where(source, r.line, r.id)}: suppresses unknown rule(s) {unknown}",
                              file=source, line=r.line, rule=r.id)


# ---------------------------------------------------------------- catalogue keys

def referenced_keys(rule: Rule, rs: RuleSet) -> set[str]:
    """Every concrete catalogue key a rule names ({row} expanded; "*" rows skipped)."""
    rows = rule.per_row if isinstance(rule.per_row, tuple) else ()
    keys: set[str] = set()
    for terms in rule.terms.values():
        for ref in _flat_refs(terms):
            key = ref.removeprefix("prev:").split("@", 1)[0]
            if "{row}" in key:
                keys.update(key.replace("{row}", r) for r in rows)
            elif "{" not in key:
                keys.add(key)
    if isinstance(rule.per_row, tuple):
        keys.update(rule.per_row)
    return keys


def _flat_refs(terms: tuple[Term, ...]) -> list[str]:
    out: list[str] = []
    for t in terms:
        if t.ref is not None:
            out.append(t.ref)
        for alt in t.one_of:
            out.extend(_flat_refs(alt))
    return out


def catalogue_keys() -> set[str] | None:
    """The catalogue's keys when extractors.catalogue is importable, else None."""
    try:
        from extractors import catalogue as cat  # type: ignore[attr-defined]
    except ImportError:
        return None
    loader = getattr(cat, "load_catalogue", None)
    if loader is None:
        return None
    loaded = loader()
    for attr in ("keys", "entries", "rows", "by_key"):
        v = getattr(loaded, attr, None)
        v = v() if callable(v) else v
        if v:
            return {getattr(e, "key", e) for e in v}
    return None


def _check_catalogue(rs: RuleSet) -> None:
    known = catalogue_keys()
    if not known:
        return
    for rule in rs.rules:
        unknown = sorted(k for k in referenced_keys(rule, rs) if k not in known)
        if unknown:
            raise ConfigError(f"{_where(rs.path, rule.line, rule.id)}: key(s) not in the "
                              f"catalogue: {unknown}", file=rs.path, line=rule.line, rule=rule.id)
