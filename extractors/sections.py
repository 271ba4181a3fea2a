"""Split a report's normalized text into its numbered sections.

The heading shapes, the table row labels that look like headings, the canonical section
kinds and the introduction's "全文包括…" sentence are data in ``config/sections.yaml``;
this module only applies them.  Hand-written because the rules are simple and specific:
a heading is a short numbered line that continues the numbering of its level, is not a
table row (`` | `` lines, layout rows with column gaps) and is not a known row label.

>>> s = segment("报告\\n一、总体情况\\n（一）主动公开方面。正文。\\n二、主动公开政府信息情况\\n规章 | 0")
>>> [(x.title, x.level, x.kind) for x in s.sections]
[('', 1, 'intro'), ('一、总体情况', 1, 'overview'), ('（一）主动公开方面', 2, 'proactive'), ('二、主动公开政府信息情况', 1, 'proactive')]
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from extractors import yamlio
from extractors.errors import ConfigError
from extractors.models import Section, Sections

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
SECTIONS_FILE = CONFIG_DIR / "sections.yaml"

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_LAYOUT_GAP = re.compile(r"\S[ \t]{3,}\S")


def load_yaml(path: Path, required: tuple[str, ...]) -> dict[str, Any]:
    """Load a config YAML mapping that must have a ``version`` and the ``required`` keys."""
    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot load: {exc}", file=str(path)) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping", file=str(path))
    missing = [k for k in ("version", *required) if k not in data]
    if missing:
        raise ConfigError(f"{path}: missing keys {missing}", file=str(path))
    return data


def compile_rule(path: Path, rule_id: str, pattern: str, groups: tuple[str, ...] = ()) -> re.Pattern[str]:
    """Compile one pattern of a config file; errors name the file, line and id."""
    try:
        rx = re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise ConfigError(f"{path}:{_line_of(path, rule_id)}: id {rule_id!r}: bad pattern: {exc}") from exc
    absent = [g for g in groups if g not in rx.groupindex]
    if absent:
        raise ConfigError(f"{path}:{_line_of(path, rule_id)}: id {rule_id!r}: pattern lacks groups {absent}")
    return rx


def _line_of(path: Path, rule_id: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if re.search(rf"\bid:\s*['\"]?{re.escape(rule_id)}['\"]?\s*$", line):
            return n
    return 0


@dataclass(frozen=True)
class _Rules:
    headings: tuple[tuple[str, int, re.Pattern[str]], ...]
    not_headings: tuple[re.Pattern[str], ...]
    kinds: tuple[tuple[str, tuple[str, ...]], ...]
    announce: tuple[re.Pattern[str], ...]
    separators: re.Pattern[str]
    item_strip: re.Pattern[str]
    run_in_stop: re.Pattern[str]
    max_title: int
    version: int


@lru_cache(maxsize=4)
def load_rules(path: Path = SECTIONS_FILE) -> _Rules:
    """The validated contents of ``config/sections.yaml`` (built once per process)."""
    d = load_yaml(path, ("headings", "not_headings", "kinds", "announce", "announce_separators"))
    heads = tuple(
        (h["id"], int(h["level"]), compile_rule(path, h["id"], h["pattern"], ("ord", "title"))) for h in d["headings"]
    )
    kinds = []
    for k in d["kinds"]:
        if not k.get("id") or not k.get("patterns"):
            raise ConfigError(f"{path}:{_line_of(path, str(k.get('id')))}: kind {k.get('id')!r} needs id and patterns")
        kinds.append((k["id"], tuple(k["patterns"])))
    return _Rules(
        headings=heads,
        not_headings=tuple(compile_rule(path, n["id"], n["pattern"]) for n in d["not_headings"]),
        kinds=tuple(kinds),
        announce=tuple(compile_rule(path, a["id"], a["pattern"], ("items",)) for a in d["announce"]),
        separators=compile_rule(path, "announce_separators", d["announce_separators"]),
        item_strip=compile_rule(path, "announce_strip", d.get("announce_strip", "^$")),
        run_in_stop=compile_rule(path, "run_in_stop", d.get("run_in_stop", "[。：:]")),
        max_title=int(d.get("max_title_chars", 40)),
        version=int(d["version"]),
    )


@lru_cache(maxsize=1 << 12)
def kind_of(title: str) -> str | None:
    """Canonical kind of a heading title (ordinal included or not), from the data (cached:
    reports print the same headings, and each is tried against every kind's words).

    >>> kind_of("五、存在的主要问题及改进情况"), kind_of("因政府信息公开申请行政复议、提起行政诉讼的情况")
    ('problems', 'review_litigation')
    """
    for kind, patterns in load_rules().kinds:
        if any(p in title for p in patterns):
            return kind
    return None


def ordinal_value(ordinal: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20, "3" → 3."""
    if ordinal.isdigit():
        return int(ordinal)
    if "十" not in ordinal:
        return _CN_DIGITS.get(ordinal, 0)
    tens, _, ones = ordinal.partition("十")
    return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)


def is_table_line(line: str) -> bool:
    """A rendered table row: cells joined by `` | ``, a flattened ``label |`` line, a
    markdown row."""
    s = line.strip()
    return " | " in s or s.endswith(" |") or s.startswith("|") or s == "|"


@dataclass(frozen=True)
class _Heading:
    start: int
    end: int  # end of the heading title
    level: int
    ordinal: int
    title: str


def _heading_at(line: str, offset: int, rules: _Rules) -> _Heading | None:
    if is_table_line(line):
        return None
    body = line.lstrip(" \t#")
    lead = offset + len(line) - len(body)
    body = body.rstrip()
    if not body:
        return None
    for _id, level, rx in rules.headings:
        m = rx.match(body)
        if m:  # (the gap is looked for only in the few lines that start like a heading)
            return None if _LAYOUT_GAP.search(body) else _make_heading(m, lead, level, rules)
    return None


def _make_heading(m: re.Match[str], lead: int, level: int, rules: _Rules) -> _Heading | None:
    rest = m.group("title")
    stop = rules.run_in_stop.search(rest)
    if stop:
        rest = rest[: stop.start()]
    elif len(m.group(0)) > rules.max_title:
        return None
    rest = rest.rstrip(" ，,")
    if not rest or len(rest) > rules.max_title or any(n.search(rest) for n in rules.not_headings):
        return None
    cut = m.start("title") + len(rest)
    return _Heading(lead, lead + cut, level, ordinal_value(m.group("ord")), m.group(0)[:cut])


def find_headings(text: str, rules: _Rules | None = None) -> list[_Heading]:
    """Numbered headings that continue the numbering of their level."""
    rules = rules or load_rules()
    found: list[_Heading] = []
    last = {1: 0, 2: 0}
    offset = 0
    for line in text.split("\n"):
        h = _heading_at(line, offset, rules)
        offset += len(line) + 1
        if h is None or h.ordinal != last.get(h.level, 0) + 1:
            continue
        found.append(h)
        last[h.level] = h.ordinal
        if h.level == 1:
            last[2] = 0
    return found


def segment(text: str) -> Sections:
    """Sections of a report (offsets into ``text``), plus the introduction's announced list."""
    heads = find_headings(text)
    sections: list[Section] = []
    first = heads[0].start if heads else len(text)
    if text[:first].strip():
        sections.append(Section(title="", level=1, start=0, end=first, kind="intro"))
    for i, h in enumerate(heads):
        end = next((n.start for n in heads[i + 1 :] if n.level <= h.level), len(text))
        title = re.sub(r"\s+", "", h.title)
        sections.append(Section(title=title, level=h.level, start=h.start, end=end, kind=kind_of(title)))
    items, span = find_announced(text[: max(first, 0)] or text[:3000])
    return Sections(sections=tuple(sections), announced=items, announced_span=span)


def find_announced(text: str) -> tuple[tuple[str, ...], tuple[int, int] | None]:
    """The parts the introduction announces ("本报告由概述、…共五个部分组成").

    >>> find_announced("全文包括概述、主动公开政府信息情况、政府信息公开复议、诉讼情况,存在的主要问题和改进措施,并附相关指标统计表。")[0]
    ('概述', '主动公开政府信息情况', '政府信息公开复议、诉讼情况', '存在的主要问题和改进措施', '相关指标统计表')
    """
    rules = load_rules()
    for rx in rules.announce:
        m = rx.search(text)
        if m:
            start, end = m.span("items")
            return split_items(m.group("items"), rules), (start, end)
    return (), None


def split_items(items: str, rules: _Rules) -> tuple[str, ...]:
    """Split an announced list; fragments of one part ("复议"+"诉讼情况", "收到"+"处理…申请情况")
    are merged back: adjacent fragments of the same kind, and a kind-less fragment with the next.
    A line break inside the list (a PDF's printed line: "政府信息公开咨⏎询处理情况") is no gap.

    >>> split_items("概述、政府信息公开咨\\n询处理情况,存在的主要问题", load_rules())[1]
    '政府信息公开咨询处理情况'
    """
    items = re.sub(r"[ \t]*\n[ \t]*", "", items)
    pieces: list[tuple[int, int]] = []
    pos = 0
    for sep in rules.separators.finditer(items):
        pieces.append((pos, sep.start()))
        pos = sep.end()
    pieces.append((pos, len(items)))
    pieces = [(a, b) for a, b in pieces if items[a:b].strip()]
    merged: list[tuple[int, int, str | None]] = []
    for a, b in pieces:
        kind = kind_of(items[a:b])
        if merged and (merged[-1][2] is None or merged[-1][2] == kind):
            merged[-1] = (merged[-1][0], b, kind or merged[-1][2])
        else:
            merged.append((a, b, kind))
    out = (rules.item_strip.sub("", items[a:b].strip()).strip() for a, b, _ in merged)
    return tuple(x for x in out if x)
