"""Report metadata: title, issuing body, its region, province and level, year covered,
publication date.

Everything is read from what the report prints (and, for the publication date only, the
source URL); only the province is looked up.  The region is the place part of the body
name, the level comes from suffix words — both data in ``config/regions.yaml``; the
province is the one the body name prints, else its first place unit's in
``config/gazetteer.yaml`` (extractors/places.py), else None; the title, body,
year and date patterns are data in ``config/metadata.yaml``.  Hand-written because the
rules are short and each is tied to how these reports are printed.

>>> from extractors.sections import segment
>>> t = "淮安市洪泽区人民政府\\n2023 年政府信息公开工作年度报告\\n报告中所列数据统计期限自 2023 年 1 月 1 日起"
>>> m = extract_metadata(t, segment(t))
>>> m.title, m.body, m.region, m.level, m.year
('淮安市洪泽区人民政府2023年政府信息公开工作年度报告', '淮安市洪泽区人民政府', '淮安市洪泽区', 'district', 2023)
>>> m.province
'江苏省'
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from extractors.errors import ConfigError
from extractors.models import ReportMeta, Sections
from extractors.places import province_of
from extractors.sections import CONFIG_DIR, compile_rule, is_table_line, load_yaml

REGIONS_FILE = CONFIG_DIR / "regions.yaml"
METADATA_FILE = CONFIG_DIR / "metadata.yaml"
_CN_NUM = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class _Places:
    provinces: frozenset[str]
    suffixes: tuple[tuple[str, str | None], ...]  # longest first
    not_in_place: tuple[str, ...]
    body_kinds: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...]
    body_strip: tuple[re.Pattern[str], ...]
    government: str


@lru_cache(maxsize=2)
def load_places(path: Path = REGIONS_FILE) -> _Places:
    d = load_yaml(path, ("provinces", "place_suffixes", "not_in_place", "body_kinds"))
    suffixes = []
    for s in d["place_suffixes"]:
        if not s.get("id") or not s.get("suffix") or "level" not in s:
            raise ConfigError(f"{path}: place suffix {s!r} needs id, suffix and level")
        suffixes.append((s["suffix"], s["level"]))
    kinds = tuple(
        (k["id"], tuple(k.get("endings", ())), tuple(k.get("starts", ())), k["level"]) for k in d["body_kinds"]
    )
    return _Places(
        provinces=frozenset(d["provinces"]),
        suffixes=tuple(sorted(suffixes, key=lambda s: -len(s[0]))),
        not_in_place=tuple(d["not_in_place"]),
        body_kinds=kinds,
        body_strip=tuple(compile_rule(path, "body_strip", p) for p in d.get("body_strip", ())),
        government=str(d.get("government_suffix", "人民政府")),
    )


@lru_cache(maxsize=2)
def load_patterns(path: Path = METADATA_FILE) -> dict:
    d = load_yaml(path, ("title", "body_from_title", "body_in_text", "year", "published"))

    def rules(key: str, groups: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
        return tuple(compile_rule(path, r["id"], r["pattern"], groups) for r in d.get(key, ()))

    return {
        "title": rules("title", ()),
        "title_not": rules("title_not", ()),
        "title_strip": rules("title_strip", ()),
        "title_year": compile_rule(path, "title_year", d.get("title_year", "")),
        "breadcrumb": compile_rule(path, "title_breadcrumb", d.get("title_breadcrumb", "(?!)")),
        "title_max": int(d.get("title_max_chars", 60)),
        "continuation": compile_rule(path, "title_continuation", d.get("title_continuation", "^$")),
        "body_from_title": compile_rule(path, "body_from_title", d["body_from_title"], ("pre", "post")),
        "body_from_title_no_year": compile_rule(path, "body_from_title_no_year",
                                                d.get("body_from_title_no_year", "(?!)(?P<body>)"), ("body",)),
        "body_not": compile_rule(path, "body_not", d.get("body_not", "(?!)")),
        "title_in_line": compile_rule(path, "title_in_line", d.get("title_in_line", "(?!)(?P<title>)"), ("title",)),
        "title_in_text": rules("title_in_text", ("title",)),
        "body_in_text": rules("body_in_text", ("body",)),
        "year": rules("year", ("year",)),
        "published": rules("published", ("y", "m", "d")),
        "published_in_source": rules("published_in_source", ("y", "m", "d")),
        "published_ids": {k: [str(r["id"]) for r in d.get(k, ())]
                          for k in ("published", "published_in_source")},
        "min_lag": int(d.get("published_min_lag_years", 1)),
        "max_lag": int(d.get("published_max_lag_years", 2)),
    }


def extract_metadata(
    text: str, sections: Sections, title_hint: str | None = None, source: str | None = None
) -> ReportMeta:
    """Metadata of one report; ``template`` stays "unknown" (the table parser decides)."""
    head = _head(text, sections)
    title = find_title(head) or _hint_title(title_hint) or title_in_text(text)
    body = body_from_title(title) if title else None
    body = body or body_in_text(text)
    body = _as_government(_expanded(body, text)) if body else None
    region, level = place_of(body) if body else (None, None)
    province = province_of_body(body) if body else None
    year = find_year(title, text)
    published = find_published(text, source, year)
    return ReportMeta(title=title, body=body, region=region, province=province, level=level,
                      year=year, published=published)


def _head(text: str, sections: Sections) -> str:
    """The text before the first numbered heading (at most 3000 characters)."""
    starts = [s.start for s in sections.sections if s.kind != "intro"]
    return text[: min(starts[0] if starts else len(text), 3000)]


def find_title(head: str) -> str | None:
    """The title line near the top, joined with the line above when it was printed over
    two lines ("平潭县人民政府" / "2012年政府信息公开工作年度报告").  Page furniture is no
    title: a breadcrumb gives only its last segment, a heading without a year is skipped."""
    pats = load_patterns()
    # furniture stays in the list as "": it is no title part of the line below
    raw = [ln for ln in head.split("\n")[:15] if ln.strip() and not is_table_line(ln)]
    lines = [_title_text(_title_in_line(ln)) for ln in raw]
    for i, line in enumerate(lines):
        if len(line) > pats["title_max"] or "。" in line or not any(p.search(line) for p in pats["title"]):
            continue
        prev = lines[i - 1] if i else ""
        if prev and pats["continuation"].search(line) and _is_title_part(prev):
            return prev + line
        if pats["title_year"].search(line):
            return line
    return None


def _title_in_line(line: str) -> str:
    """A title a converter ran into the text below it, alone; else the line."""
    m = load_patterns()["title_in_line"].match(line)
    return m.group("title") if m else line


def title_in_text(text: str) -> str | None:
    """The report's name as the first sentences give it ("现公布X2022年…年度报告")."""
    pats = load_patterns()
    for rx in pats["title_in_text"]:
        m = rx.search(text[:3000])
        title = _title_text(m.group("title")) if m else ""
        if title and pats["title_year"].search(title) and body_from_title(title):
            return title  # "现编制并公布本单位2019年…": a pronoun names no report
    return None


def _title_text(line: str) -> str:
    """A line as a title candidate: spaces out, cited-title marks and abbreviation notes
    removed; "" for furniture (当前位置, site names) and for a breadcrumb unless its last
    segment is a whole title (with a year)."""
    pats = load_patterns()
    line = _SPACE.sub("", line.lstrip("#")).strip()
    segments = pats["breadcrumb"].split(line)
    if any(p.search(line) or p.search(segments[-1]) for p in pats["title_not"]):
        return ""
    line = segments[-1]
    for rx in pats["title_strip"]:
        line = rx.sub("", line)
    return line if len(segments) == 1 or pats["title_year"].search(line) else ""


def _is_title_part(line: str) -> bool:
    return len(line) <= 30 and not re.search(r"[。，,：:；;、（(）)]", line)


def _hint_title(hint: str | None) -> str | None:
    """The report's name in a page or file title ("XX2024年度…年度报告_政府信息公开年报_XX")."""
    if not hint or "报告" not in hint:
        return None
    title = _title_text(re.split(r"[_|]|\s[-－—]\s", hint)[0])
    return title if title and load_patterns()["title_year"].search(title) else None


def body_from_title(title: str) -> str | None:
    """The issuing body printed in a title ("XX2019年政府信息公开工作年度报告" → "XX";
    "2019年XX政府信息公开工作年度报告" → "XX")."""
    pats = load_patterns()
    m = pats["body_from_title"].search(title)
    body = _clean_body(m.group("pre") or m.group("post")) if m else None
    if m is None:
        m = pats["body_from_title_no_year"].search(title)
        body = _clean_body(m.group("body")) if m else None
    return None if body is None or pats["body_not"].search(body) else body


def body_in_text(text: str) -> str | None:
    """The first body a rule finds in the text (a pronoun such as 本单位 names nobody)."""
    refused = load_patterns()["body_not"]
    for rx in load_patterns()["body_in_text"]:
        for m in rx.finditer(text[:5000]):
            body = _clean_body(m.group("body"))
            if body and not refused.search(body):
                return _full_name(body, text)
    return None


def _expanded(body: str, text: str) -> str:
    """An abbreviation the text defines ("广西壮族自治区北部湾经济区规划建设管理办公室
    （以下简称自治区北部湾办）") written out in full."""
    head = text[:5000]
    if not any(f"以下简称{quote}{body}" in head for quote in ("", "“", '"')):
        return body  # the pattern cannot match (and it backtracks over every run of Han characters)
    m = re.search(r"([\u4e00-\u9fff]{4,40})[（(]以下简称[“\"]?" + re.escape(body) + r"[”\"]?[）)]", head)
    return re.sub(r"^(?:由|经|是|为|系)", "", m.group(1)) if m else body


def _as_government(body: str) -> str:
    """A bare place names its government (天津市 → 天津市人民政府); X市政府 → X市人民政府.
    Zones (their level is null in regions.yaml) and other bodies stay as printed."""
    places = load_places()
    units = place_units(body)
    region = "".join(u for u, _ in units)
    if region and (body == region or body == region + "政府") and units[-1][1] is not None:
        return region + places.government
    return body


_LEVEL_START = re.compile(r"^[省市县区镇乡]")
_NOT_PLACE = re.compile(r"[年度月日本我该全各其和及与、在的现将由为对向经据从通过至]")


def _full_name(body: str, text: str) -> str:
    """"县民政局" (the place left out, as prose does) → "平江县民政局" when the text
    names it in full: the commonest 2–4 Han-character place before it wins."""
    if not _LEVEL_START.match(body):
        return body
    counts: dict[str, int] = {}
    for size in (2, 3, 4):
        for m in re.finditer(rf"[\u4e00-\u9fff]{{{size}}}{re.escape(body)}", text):
            if not _NOT_PLACE.search(m.group(0)[:size]):  # a place, not "2020年度县统计局", "现将县统计局"
                counts[m.group(0)] = counts.get(m.group(0), 0) + 1
    if not counts:
        return body
    return max(counts, key=lambda k: (counts[k], -len(k)))


def _clean_body(body: str) -> str | None:
    body = _SPACE.sub("", body)
    for rx in load_places().body_strip:
        body = rx.sub("", body)
    return body if len(body) >= 2 else None


def place_units(body: str) -> list[tuple[str, str | None]]:
    """Leading place units of a body name with their levels:
    "淮安市洪泽区人民政府" → [("淮安市", "city"), ("洪泽区", "district")]."""
    places = load_places()
    units: list[tuple[str, str | None]] = []
    i = 0
    while i < len(body):
        unit = _next_unit(body, i, places)
        if unit is None:
            break
        units.append(unit)
        i += len(unit[0])
    return units


def _next_unit(body: str, i: int, places: _Places) -> tuple[str, str | None] | None:
    for j in range(i + 2, min(len(body), i + 12) + 1):
        name = body[i:j]
        if any(w in name for w in places.not_in_place):
            return None
        for suffix, level in places.suffixes:
            if name.endswith(suffix) and len(name) > len(suffix):
                return name, ("province" if name in places.provinces else level)
    return None


def province_of_body(body: str) -> str | None:
    """The province-level unit a body name prints, else its first place unit's in the
    gazetteer, else None: "淮安市洪泽区人民政府" → "江苏省"; "洪泽区人民政府" → None."""
    units = [u for u, _ in place_units(body)]
    return province_of(body, units, load_places().provinces)


def place_of(body: str) -> tuple[str | None, str | None]:
    """(region, level) of a body name, from its place units and its own kind."""
    units = place_units(body)
    region = "".join(u for u, _ in units) or None
    rest = body[len(region or "") :]
    place_level = units[-1][1] if units else None
    for _id, endings, starts, level in load_places().body_kinds:
        if (endings and rest and rest.endswith(endings)) or (starts and body.startswith(starts)):
            return region, (place_level if level == "place" else level)
    return region, (place_level if not rest else None)


def find_year(title: str | None, text: str) -> int | None:
    """The year the report covers: the title's year, else the statistics period, else
    the year named where the report is announced, else the first "YYYY年，" paragraph."""
    m = re.search(r"(\d{4})\s*年", title or "")
    if m and _plausible_year(int(m.group(1))):
        return int(m.group(1))
    for rx in load_patterns()["year"]:
        for m in rx.finditer(text[:20000]):
            if _plausible_year(int(m.group("year"))):
                return int(m.group("year"))
    return None


def _plausible_year(year: int) -> bool:
    return 1990 <= year <= 2100


def find_published(text: str, source: str | None, year: int | None) -> str | None:
    """ISO date the text states as its publication date, or that the source URL carries."""
    found = published_evidence(text, source, year)
    return found.date if found else None


@dataclass(frozen=True)
class Published:
    """Where a publication date was read: ``where`` is "text" (``span`` = offsets of the
    date in the text) or "source" (the source URL; ``span`` None); ``rule`` the pattern id."""

    date: str  # ISO
    where: str
    span: tuple[int, int] | None
    rule: str
    raw: str


@lru_cache(maxsize=8)
def published_evidence(text: str, source: str | None, year: int | None) -> Published | None:
    """The publication date with its evidence: the first pattern of ``published`` (in the
    text), then ``published_in_source`` (in the URL), whose date lies within the lag.
    Cached (the answer is immutable): the metadata and the TIME.DEADLINE check both ask
    about the same report, and each asking scans the whole text."""
    pats = load_patterns()
    ids = pats["published_ids"]
    candidates = [(rx, text, "text", i) for rx, i in zip(pats["published"], ids["published"])]
    candidates += [(rx, source or "", "source", i)
                   for rx, i in zip(pats["published_in_source"], ids["published_in_source"])]
    for rx, where, kind, rule in candidates:
        for m in rx.finditer(where):
            date = _to_date(m.group("y"), m.group("m"), m.group("d"))
            if date and (year is None or pats["min_lag"] <= date.year - year <= pats["max_lag"]):
                raw = m.group(0)
                lead, trail = len(raw) - len(raw.lstrip()), len(raw) - len(raw.rstrip())
                span = (m.start() + lead, m.end() - trail) if kind == "text" else None
                return Published(date.isoformat(), kind, span, rule, raw.strip())
    return None


def _to_date(y: str, m: str, d: str) -> dt.date | None:
    try:
        return dt.date(_num(y), _num(m), _num(d))
    except ValueError:
        return None


def _num(s: str) -> int:
    """Arabic or Chinese numerals: "2012", "二○一二" → 2012, "十" → 10, "二十" → 20."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_NUM.get(tens, 1) if tens else 1) * 10 + (_CN_NUM.get(ones, 0) if ones else 0)
    return int("".join(str(_CN_NUM.get(ch, 0)) for ch in s))
