"""Load and validate the extraction pattern files in ``config/patterns``.

The prose extractors (numbers, claims, commitments, entities) know nothing about the
domain by themselves: units, hedges, metric phrases, statement regexes, commitment
wording and entity rules are data in ``config/patterns``.  This module reads those files
once per process (``functools.cache``), checks every record (allowed keys, required keys,
unique ``id``, integer ``version``, compilable regexes, metric-reference syntax) and
raises :class:`extractors.errors.ConfigError` naming the file, the line and the id.

Validation is hand-written (not pydantic) because the error must point at a line of a
JSONL/YAML file, and the checks are few.
"""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from extractors import yamlio
from extractors.errors import ConfigError

PATTERN_DIR = Path(__file__).resolve().parents[1] / "config" / "patterns"
TERMS_FILE = Path(__file__).resolve().parents[1] / "config" / "terms.txt"
TEMPLATE_GROUPS = ("pre2019", "2019trial", "2021", "other")  # "other": any non-pre2019 template
_METRIC_RE = re.compile(r"^(?:p|t2|t3|t4)\.[a-z_.]+(?:@[a-z_]+)?(?:\+(?:p|t2|t3|t4)\.[a-z_.]+(?:@[a-z_]+)?)*$")
_OPS = ("==", "<=", ">=", "<", ">", "!=")

_SCHEMAS: dict[str, tuple[set[str], set[str]]] = {
    # file: (required keys, optional keys)
    "figures.jsonl": ({"id", "version", "phrases", "units"},
                      {"metric", "alternatives", "context", "next", "after", "heads", "notes",
                       "ambiguous_after", "column", "part_of", "note"}),
    "statements.jsonl": ({"id", "version", "regex"}, {"implies", "scope", "scopes", "confidence", "note"}),
    "entities.jsonl": ({"id", "version", "label", "regex"}, {"note"}),
    "entities_spacy.jsonl": ({"id", "version", "label", "pattern"}, {"anchor", "note"}),
    "entities_ner.jsonl": ({"id", "version", "regex"}, {"note"}),
    "commitments_spacy.jsonl": ({"id", "version", "label", "pattern"}, {"note"}),
}
# Labels allowed in the spaCy token-pattern files (entity labels / commitment directions).
SPACY_LABELS = {"entities_spacy.jsonl": ("ORG", "GPE", "LOC"), "commitments_spacy.jsonl": ("up", "down", "keep")}
_LEXICON_KEYS = {"version", "units", "rate_units", "multipliers", "qualifiers", "approx_tolerance",
                 "fillers", "phrase_trim", "phrase_trim_end", "subset_markers", "not_quantities", "unit_modifiers", "not_followed_by", "list_counts", "not_after", "count_suffixes", "change", "rate", "ordinal", "enumeration", "quoted_titles", "subunit_suffixes",
                 "quoted_names", "name_heads", "not_work", "lone_numerals", "since_markers", "plan_markers",
                 "not_work_context", "disclosure_verbs", "reduction_verbs", "article_after",
                 "unit_not_followed_by"}
_COMMIT_KEYS = {"version", "sections", "markers", "directions", "items"}
_COMMIT_RULE_KEYS = {"id", "version", "kind", "words", "direction", "regex"}
ENTITY_LABELS = ("ORG", "LOC", "GPE", "PER", "LAW", "DOC_NO", "DATE", "PHONE", "URL", "EMAIL", "POSTCODE")


def _fail(path: Path, line: int | None, rid: str | None, msg: str) -> ConfigError:
    where = f"{path.name}:{line}" if line else path.name
    return ConfigError(f"{where}: pattern {rid or '?'}: {msg}", file=str(path), line=line, id=rid)


def _check_regex(path: Path, line: int | None, rid: str, pattern: Any) -> None:
    if not isinstance(pattern, str):
        raise _fail(path, line, rid, "regex must be a string")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise _fail(path, line, rid, f"bad regex: {exc}") from exc


def _check_implies(path: Path, line: int, rid: str, implies: Any) -> None:
    if not isinstance(implies, dict) or set(implies) - set(TEMPLATE_GROUPS):
        raise _fail(path, line, rid, f"implies must map {TEMPLATE_GROUPS} to lists")
    for items in implies.values():
        for item in items:
            if set(item) != {"metric", "op", "value"} or item["op"] not in _OPS:
                raise _fail(path, line, rid, f"bad implication {item!r}: keys metric/op/value, op in {_OPS}")
            check_metric(path, line, rid, item["metric"])


def check_metric(path: Path, line: int | None, rid: str, metric: Any) -> None:
    """A metric reference is ``key``, ``key@column`` or a ``+``-sum of those."""
    if not isinstance(metric, str) or not _METRIC_RE.match(metric):
        raise _fail(path, line, rid, f"bad metric reference {metric!r} (see docs/catalogue-keys.md)")


def _check_record(path: Path, line: int, rec: Any, seen: set[str]) -> None:
    required, optional = _SCHEMAS[path.name]
    rid = rec.get("id") if isinstance(rec, dict) else None
    if not isinstance(rec, dict):
        raise _fail(path, line, None, "each line must be a JSON object")
    missing, unknown = required - set(rec), set(rec) - required - optional
    if missing or unknown:
        raise _fail(path, line, rid, f"missing keys {sorted(missing)}, unknown keys {sorted(unknown)}; "
                                     f"allowed: {sorted(required | optional)}")
    if not isinstance(rid, str) or rid in seen:
        raise _fail(path, line, rid, "id must be a string, unique in the file")
    if not isinstance(rec["version"], int) or rec["version"] < 1:
        raise _fail(path, line, rid, "version must be an integer >= 1")
    seen.add(rid)


def _read_jsonl(name: str, directory: Path | None = None) -> list[tuple[int, dict]]:
    path = (directory or PATTERN_DIR) / name
    records: list[tuple[int, dict]] = []
    seen: set[str] = set()
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(path, line_no, None, f"invalid JSON: {exc.msg}") from exc
        _check_record(path, line_no, rec, seen)
        records.append((line_no, rec))
    return records


def _validate_figure(path: Path, line: int, rec: dict, units: set[str]) -> None:
    rid = rec["id"]
    if not rec["phrases"] or not all(isinstance(p, str) and p for p in rec["phrases"]):
        raise _fail(path, line, rid, "phrases must be a non-empty list of strings")
    if ("metric" in rec) == ("column" in rec) or ("column" in rec) != ("part_of" in rec):
        raise _fail(path, line, rid, "give either metric, or column with part_of")
    if not isinstance(rec.get("metric", {}), dict) or set(rec.get("metric", {})) - set(TEMPLATE_GROUPS):
        raise _fail(path, line, rid, f"metric must map {TEMPLATE_GROUPS} to a metric reference")
    refs = list(rec.get("metric", {}).values()) + list(rec.get("part_of", []))
    for metric in refs + [m for ms in rec.get("alternatives", {}).values() for m in ms]:
        check_metric(path, line, rid, metric)
    for pattern in [*rec.get("next", ()), *(n.get("regex") for n in rec.get("notes", ()))]:
        _check_regex(path, line, rid, pattern)
    for note in rec.get("notes", ()):
        for metric in dict(note.get("metric") or {}).values():
            check_metric(path, line, rid, metric)
    if set(rec["units"]) - units:
        raise _fail(path, line, rid, f"units {sorted(set(rec['units']) - units)} not in lexicon.yaml units")


@cache
def load_lexicon(directory: Path | None = None) -> dict:
    """lexicon.yaml: units, qualifiers, fillers, change/rate words."""
    path = (directory or PATTERN_DIR) / "lexicon.yaml"
    data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    unknown = set(data) - _LEXICON_KEYS
    if unknown or _LEXICON_KEYS - set(data):
        raise _fail(path, None, "lexicon", f"unknown keys {sorted(unknown)}, missing {sorted(_LEXICON_KEYS - set(data))}")
    for kind in ("lower", "upper", "approx"):
        if set(data["qualifiers"].get(kind, {})) - {"before", "after"}:
            raise _fail(path, None, f"qualifiers.{kind}", "only 'before' and 'after' lists are allowed")
    return data


@cache
def load_figures(directory: Path | None = None) -> tuple[dict, ...]:
    """figures.jsonl: metric phrases → canonical keys per template group."""
    path = (directory or PATTERN_DIR) / "figures.jsonl"
    units = set(load_lexicon(directory)["units"])
    records = _read_jsonl("figures.jsonl", directory)
    for line, rec in records:
        _validate_figure(path, line, rec, units)
    return tuple(rec for _, rec in records)


@cache
def load_statements(directory: Path | None = None) -> tuple[dict, ...]:
    """statements.jsonl: negations / universals with the cell values they imply."""
    path = (directory or PATTERN_DIR) / "statements.jsonl"
    records = _read_jsonl("statements.jsonl", directory)
    for line, rec in records:
        _check_regex(path, line, rec["id"], rec["regex"])
        if ("implies" in rec) == ("scopes" in rec):
            raise _fail(path, line, rec["id"], "give exactly one of implies / scopes")
        for implies in rec.get("scopes", {}).values():
            _check_implies(path, line, rec["id"], implies)
        if "implies" in rec:
            _check_implies(path, line, rec["id"], rec["implies"])
        if rec.get("scope", "match") not in ("match", "sentence"):
            raise _fail(path, line, rec["id"], "scope must be 'match' or 'sentence'")
    return tuple(rec for _, rec in records)


@cache
def load_entity_rules(directory: Path | None = None) -> tuple[dict, ...]:
    """entities.jsonl: regex rules for laws, document numbers, dates, phones, URLs."""
    path = (directory or PATTERN_DIR) / "entities.jsonl"
    records = _read_jsonl("entities.jsonl", directory)
    for line, rec in records:
        _check_regex(path, line, rec["id"], rec["regex"])
        if rec["label"] not in ENTITY_LABELS:
            raise _fail(path, line, rec["id"], f"label must be one of {ENTITY_LABELS}")
    return tuple(rec for _, rec in records)


def _check_token_pattern(path: Path, line: int, rid: str, pattern: Any) -> None:
    """A spaCy token pattern: a non-empty list of dicts that ``Matcher(validate=True)`` accepts."""
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    if not isinstance(pattern, list) or not pattern or not all(isinstance(t, dict) for t in pattern):
        raise _fail(path, line, rid, "pattern must be a non-empty list of token dicts")
    try:
        Matcher(Vocab(), validate=True).add(rid, [pattern])
    except ValueError as exc:  # spacy.errors.MatchPatternError is a ValueError
        raise _fail(path, line, rid, f"bad spaCy token pattern: {str(exc).strip()}") from exc


@cache
def load_spacy_patterns(name: str, directory: Path | None = None) -> tuple[dict, ...]:
    """A spaCy token-pattern file (entities_spacy.jsonl, commitments_spacy.jsonl):
    keys, unique ids, label and spaCy's own pattern validation, checked per line."""
    if name not in SPACY_LABELS:
        raise ConfigError(f"{name}: not a spaCy pattern file; known: {sorted(SPACY_LABELS)}", file=name)
    path = (directory or PATTERN_DIR) / name
    records = _read_jsonl(name, directory)
    for line, rec in records:
        if rec["label"] not in SPACY_LABELS[name]:
            raise _fail(path, line, rec["id"], f"label must be one of {SPACY_LABELS[name]}")
        _check_token_pattern(path, line, rec["id"], rec["pattern"])
        if "anchor" in rec:
            _check_regex(path, line, rec["id"], rec["anchor"])
    return tuple(rec for _, rec in records)


@cache
def load_ner_cues(directory: Path | None = None) -> tuple[dict, ...]:
    """entities_ner.jsonl: organisation cues; a sentence with one the rules did not cover
    is sent to the NER model (extractors/entities.py)."""
    path = (directory or PATTERN_DIR) / "entities_ner.jsonl"
    records = _read_jsonl("entities_ner.jsonl", directory)
    for line, rec in records:
        _check_regex(path, line, rec["id"], rec["regex"])
    return tuple(rec for _, rec in records)


def _yaml_line(text: str, rid: str) -> int | None:
    pos = text.find(rid)
    return text.count("\n", 0, pos) + 1 if pos >= 0 else None


@cache
def load_commitment_rules(directory: Path | None = None) -> dict:
    """commitments.yaml: section headings, future markers, directions, item openers."""
    path = (directory or PATTERN_DIR) / "commitments.yaml"
    text = path.read_text(encoding="utf-8")
    data = yamlio.safe_load(text)
    if set(data) != _COMMIT_KEYS:
        raise _fail(path, None, "commitments", f"top-level keys must be {sorted(_COMMIT_KEYS)}")
    seen: set[str] = set()
    for group in ("sections", "markers", "directions", "items"):
        for rule in data[group]:
            rid = rule.get("id")
            line = _yaml_line(text, rid) if isinstance(rid, str) else None
            if set(rule) - _COMMIT_RULE_KEYS or not isinstance(rid, str) or rid in seen:
                raise _fail(path, line, rid, f"unknown keys or duplicate id; allowed {sorted(_COMMIT_RULE_KEYS)}")
            if not isinstance(rule.get("version"), int):
                raise _fail(path, line, rid, "version must be an integer")
            if "regex" in rule:
                _check_regex(path, line, rid, rule["regex"])
            seen.add(rid)
    return data


def load_terms(path: Path = TERMS_FILE) -> list[str]:
    """config/terms.txt: jieba user-dictionary lines (comments and blanks dropped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def for_template(mapping: dict, template: str | None) -> Any:
    """The entry of a per-template mapping: "pre2019", else the template, else "other"."""
    if template == "pre2019":
        return mapping.get("pre2019")
    return mapping[template] if template in mapping else mapping.get("other")


def template_for_year(year: int | None) -> str | None:
    """The template generation a report year normally uses (DOMAIN.md)."""
    if year is None:
        return None
    return "pre2019" if year < 2019 else "2019trial" if year < 2021 else "2021"


def pattern_ref(rec: dict) -> str:
    """``id@version`` as stored with every result."""
    return f"{rec['id']}@{rec['version']}"


def load_all(directory: Path | None = None) -> None:
    """Load and validate every pattern file (used by a test and at worker start)."""
    load_lexicon(directory)
    load_figures(directory)
    load_statements(directory)
    load_entity_rules(directory)
    load_ner_cues(directory)
    load_commitment_rules(directory)
    for name in SPACY_LABELS:
        load_spacy_patterns(name, directory)


@cache
def patterns_version(directory: Path | None = None) -> str:
    """A content hash of every pattern file and the term list: changing any pattern
    changes it, which re-processes stored reports (idempotency key)."""
    import hashlib

    digest = hashlib.sha1()
    folder = directory or PATTERN_DIR
    for path in sorted(folder.iterdir()) + [TERMS_FILE]:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]
