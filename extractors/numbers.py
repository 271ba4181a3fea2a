"""Numbers and quantities in report prose: "1136条", "1.2万件", "3500余人次", "一百二十八".

Hand-written because no library parses the mix found in these reports: Arabic digits with
thousands separators, full-width digits, Chinese numerals (一百二十八, 两千), digit-by-digit
years (二〇一七), financial numerals (壹佰贰拾捌), 万/亿 multipliers, hedges (余, 约, 不足)
and PDF-layout text where a line break or a run of spaces sits inside a sentence.
Units and hedges are data (config/patterns/lexicon.yaml), and so are the numerals that are
names, not counts: idioms (一次性), quoted names (“四个聚焦”) and slogan words after a count
in Chinese numerals (五个专项治理, 三项制度).

Interval convention (documented here and in Quantity):
  exact "21件"            value=21, low=21,  high=21
  multiplier "1.2万件", "5万元"  value=12000 件, 50000 元 (万/亿 always multiply)
  lower "3500余", "超过5"  value=v,  low=v,   high=None
  upper "不足10"           value=v,  low=None, high=v
  approx "约/近/左右 v"     value=v,  low=v*(1-t), high=v*(1+t), t = approx_tolerance (0.05)
  range "3-5次"            value=None, low=3, high=5
  round "达千条", "上千条"   value=1000, low=1000, high=None (a lone 百/千/万 is an order of
                           magnitude reached: a lower bound; qualifier "round", or 上/数)
  "20余万条"               value=200000, low=200000, high=None (余 before 万 multiplies too)

Whitespace: :class:`Compact` removes layout whitespace (indentation, wrapped lines, spaces
between a number and its unit) and keeps a map back to the original offsets.  Two digit
runs separated by whitespace are joined only when the gap is one space or one line break
(plus indentation), the right run has exactly three digits (a thousands group "1 234"),
and neither line is a table line (" | " cells or a layout row with wide gaps).
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from extractors.patterns import load_lexicon

# Full-width digits, Latin letters, ％ and ． to ASCII (one character each, offsets kept);
# Chinese punctuation (，：；（）) stays as printed.
_FW = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ％．"
FULLWIDTH = str.maketrans({**{ch: chr(ord(ch) - 0xFEE0) for ch in _FW}, "\u3000": " "})
_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_FINANCIAL = str.maketrans("壹贰貳叁參肆伍陆陸柒捌玖拾佰仟萬", "一二二三三四五六六七八九十百千万")
_SMALL = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CN_CHARS = "零〇○一二两三四五六七八九十百千万亿壹贰貳叁參肆伍陆陸柒捌玖拾佰仟萬"
_CN_NUM = rf"[{_CN_CHARS}]*[一二两三四五六七八九十壹贰貳叁參肆伍陆陸柒捌玖拾][{_CN_CHARS}]*"
_THOUSANDS = re.compile(r"(?<=\d)[, ](?=\d{3}(?!\d))")
_ARABIC_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*([万亿])?")
_CHINESE_NUMBER = re.compile(rf"(?:{_CN_NUM})|[零〇○]")
_TABLE_ROW = re.compile(r"\||\S {3,}\S")
_SPACE_RUN = re.compile(r"\s+")
_FOLDED = re.compile("[" + re.escape("".join(map(chr, FULLWIDTH))) + "]")  # what FULLWIDTH maps
# Past this a digit run is no figure of a report (an id, a garbled or hostile run): a
# double holds integers exactly below 2**53 ≈ 9.0e15, and a larger value would overflow
# the arithmetic of the cross-checks (float(int) of a 400-digit run raises OverflowError).
MAX_FIGURE = 1e15


@dataclass(frozen=True)
class Quantity:
    """A number as printed, with its interval reading (see the module docstring)."""

    value: float | None
    low: float | None
    high: float | None
    unit: str | None
    qualifier: str | None
    raw: str
    start: int
    end: int
    chinese: bool = False  # written in Chinese numerals


def _parse_chinese(s: str) -> float | None:
    s = s.translate(_FINANCIAL)
    if len(s) > 1 and all(ch in _DIGITS for ch in s):  # 二〇一七: digit by digit
        if len(s) > 16:
            return None
        return _figure_size(float("".join(str(_DIGITS[ch]) for ch in s)))
    total = section = number = 0
    for ch in s:
        if ch in _DIGITS:
            number = _DIGITS[ch]
        elif ch in _SMALL:
            section += (number or 1) * _SMALL[ch]
            number = 0
        elif ch in _BIG:
            total = (total + section + number) * _BIG[ch]
            section = number = 0
        else:
            return None
    return _figure_size(float(total + section + number)) if s else None


def _figure_size(x: float) -> float | None:
    return x if abs(x) < MAX_FIGURE else None


def parse_number(s: str) -> float | None:
    """Parse one number as printed; None when it is not a number.

    >>> parse_number("1,234"), parse_number("1.2万"), parse_number("一百二十八")
    (1234.0, 12000.0, 128.0)
    >>> parse_number("二〇一七"), parse_number("壹佰贰拾捌"), parse_number("１２８")
    (2017.0, 128.0, 128.0)
    >>> parse_number("1" * 400), parse_number("二" * 400)  # no figure: too large to be one
    (None, None)
    """
    if type(s) is str:
        known = _PARSED.get(s, _UNSET)
        if known is not _UNSET:
            return known  # type: ignore[return-value]
    value = _number(s.translate(FULLWIDTH))
    if type(s) is str and len(s) <= _PARSED_CHARS:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[s] = value
    return value


# Printed numbers already parsed: the same few hundred recur in every report's prose.
# Only short ones are kept (a hostile run of digits is not held), at most _PARSED_MAX.
_PARSED: dict[str, float | None] = {}
_PARSED_CHARS, _PARSED_MAX = 24, 1 << 14
_UNSET = object()


def _number(folded: str) -> float | None:
    s = _THOUSANDS.sub("", folded.strip())
    m = _ARABIC_NUMBER.fullmatch(s)
    if m:
        if len(m.group(1).split(".")[0].lstrip("0")) > 16:
            return None
        return _figure_size(float(m.group(1)) * (_BIG[m.group(2)] if m.group(2) else 1))
    if _CHINESE_NUMBER.fullmatch(s):
        return _parse_chinese(s)
    return None


class Compact:
    """``text[start:end]`` without layout whitespace, with offsets back into ``text``."""

    def __init__(self, text: str, start: int = 0, end: int | None = None) -> None:
        end = len(text) if end is None else end
        self._end = end
        if _SPACE_RUN.search(text, start, end) is None:  # most sentences: one piece
            piece = text[start:end]
            self._cstarts, self._ostarts = ([0], [start]) if piece else ([], [])
            self.text = piece.translate(FULLWIDTH) if _FOLDED.search(piece) else piece
            return
        pieces: list[str] = []
        self._cstarts: list[int] = []
        self._ostarts: list[int] = []
        pos, clen = start, 0
        for m in _SPACE_RUN.finditer(text[start:end]):
            ws_start, ws_end = m.start() + start, m.end() + start
            clen = self._add(pieces, text[pos:ws_start], pos, clen)
            if _digits_around(text, ws_start, ws_end) and not _glue(text, ws_start, ws_end):
                clen = self._add(pieces, " ", ws_start, clen)
            pos = ws_end
        self._add(pieces, text[pos:end], pos, clen)
        joined = "".join(pieces)
        # translate() looks every character up in a dict: only when there is one to fold
        self.text = joined.translate(FULLWIDTH) if _FOLDED.search(joined) else joined

    def _add(self, pieces: list[str], piece: str, orig: int, clen: int) -> int:
        if piece:
            pieces.append(piece)
            self._cstarts.append(clen)
            self._ostarts.append(orig)
        return clen + len(piece)

    def orig(self, i: int) -> int:
        """Original offset of compact index ``i`` (a start offset)."""
        if not self._cstarts:
            return self._end
        k = max(bisect_right(self._cstarts, i) - 1, 0)
        return self._ostarts[k] + (i - self._cstarts[k])

    def orig_end(self, i: int) -> int:
        """Original offset just after compact index ``i - 1`` (an end offset)."""
        return self.orig(i - 1) + 1 if i > 0 else self.orig(0)


def _digits_around(text: str, ws_start: int, ws_end: int) -> bool:
    return ws_start > 0 and ws_end < len(text) and text[ws_start - 1].isdigit() and text[ws_end].isdigit()


def _line_at(text: str, i: int) -> str:
    lo = text.rfind("\n", max(0, i - 300), i) + 1
    hi = text.find("\n", i, i + 300)
    return text[lo: hi if hi >= 0 else i + 300]


def _glue(text: str, ws_start: int, ws_end: int) -> bool:
    """Join "1 234" / "1\\n234" (one thousands group) inside one prose line pair."""
    gap = text[ws_start:ws_end]
    if not (gap == " " or re.fullmatch(r"\n[ \t\u3000]*", gap)):
        return False
    left = re.search(r"(?<![\d.,])\d{1,3}$", text[max(0, ws_start - 4):ws_start])
    right = re.match(r"\d{3}(?!\d)", text[ws_end:ws_end + 4])
    if not (left and right):
        return False
    lines = {_line_at(text, ws_start - 1).strip(), _line_at(text, ws_end).strip()}
    return not any(_TABLE_ROW.search(line) for line in lines)


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def quantity_regex() -> re.Pattern[str]:
    """The one quantity regex, built from lexicon.yaml on first use."""
    lex = load_lexicon()
    q = lex["qualifiers"]
    before = _alt([w for kind in q.values() for w in kind.get("before", [])])
    inner = _alt([w for w in ("余", "多", "有余") if any(w in k.get("after", []) for k in q.values())])
    after = _alt([w for kind in q.values() for w in kind.get("after", []) if w not in ("余", "多")])
    # not inside "1,234" / "1.5" / "A3"; after a comma that a stored copy folded to ASCII
    # ("4304条,129.2万人次") a number starts
    num = rf"(?:(?<![\d.A-Za-z])(?<!\d,)(?:{_ARABIC})|{_CN_NUM})"
    # every match starts with a hedge, a lone-numeral prefix, a numeral or a digit: the
    # lookahead fails at once where none is (most positions), before the alternatives
    lone = lex["lone_numerals"]
    firsts = ({w[0] for kind in q.values() for w in kind.get("before", [])} | set(_CN_CHARS)
              | {w[0] for w in lone["prefixes"]} | set(lone["numerals"]))
    return re.compile(
        rf"(?=[{re.escape(''.join(sorted(firsts)))}\d])(?P<pre>{before})?(?:{_lone_regex(lex)}|(?P<num>{num})(?:\s?(?P<sep>[-－~～至到])\s?(?P<num2>{num}))?)"
        rf"(?P<inner0>{inner})?(?P<mult>[万亿])?(?P<inner>{inner})?"
        rf"(?:(?P<size>{_alt(lex['unit_modifiers'])})?(?P<unit>{_units(lex)}))?(?P<post>{after})?"
    )


def _units(lex: dict) -> str:
    """Unit alternation, longest first; a unit that is also a word is refused before the
    words that make it one (lexicon ``unit_not_followed_by``)."""
    guards = lex["unit_not_followed_by"]
    return "|".join(re.escape(u) + (f"(?!{_alt(guards[u])})" if u in guards else "")
                    for u in sorted(lex["units"], key=len, reverse=True))


def _lone_regex(lex: dict) -> str:
    """A lone 百/千/万 (lexicon ``lone_numerals``): "上千条", "达千条", "千余条"."""
    lone, units = lex["lone_numerals"], _alt(lex["units"])
    numeral = f"[{''.join(lone['numerals'])}]"
    after_word = "|".join(f"(?<={re.escape(w)})" for w in lone["before"])
    return (rf"(?:(?P<lone_pre>{_alt(lone['prefixes'])})(?P<lone>{numeral})(?=[余多]?(?:{units}))"
            rf"|(?:{after_word})(?P<lone2>{numeral})(?=[余多]?(?:{units}))"
            rf"|(?P<lone3>{numeral})(?=[余多](?:{units})))")


@cache
def _qualifier_kinds() -> dict[str, str]:
    q = load_lexicon()["qualifiers"]
    return {w: kind for kind, pos in q.items() for words in pos.values() for w in words}


def _interval(v: float, qualifier: str | None) -> tuple[float | None, float | None]:
    kind = _qualifier_kinds().get(qualifier or "")
    if kind == "lower":
        return v, None
    if kind == "upper":
        return None, v
    if kind == "approx":
        tol = float(load_lexicon()["approx_tolerance"])
        return v * (1 - tol), v * (1 + tol)
    return v, v


_LONE = {"百": 100.0, "千": 1000.0, "万": 10_000.0}


def _quantity(m: re.Match[str], text: str, start: int, end: int, lone: str | None) -> Quantity | None:
    """The quantity of a match (``lone``: its lone 百/千/万, see :func:`_lone`)."""
    mult = _BIG[m.group("mult")] if m.group("mult") else 1
    if lone:
        return _lone_quantity(m, text, start, end)
    num = m.group("num")
    v = parse_number(num)
    chinese = not num[0].isdigit()
    if v is None or (chinese and not (m.group("unit") or m.group("pre"))):
        return None
    qualifier = m.group("pre") or m.group("inner0") or m.group("inner") or m.group("post")
    if m.group("num2") is not None:
        v2 = parse_number(m.group("num2"))
        if v2 is None or not m.group("unit") or v2 <= v:
            return None
        return Quantity(None, v * mult, v2 * mult, m.group("unit"), "range", text[start:end], start, end, chinese)
    low, high = _interval(v * mult, qualifier)
    return Quantity(v * mult, low, high, m.group("unit"), qualifier, text[start:end], start, end, chinese)


def _lone(m: re.Match[str]) -> str | None:
    return m.group("lone") or m.group("lone2") or m.group("lone3")


def _lone_span(m: re.Match[str]) -> int:
    return next(m.start(g) for g in ("lone_pre", "lone", "lone2", "lone3") if m.group(g))


def _lone_quantity(m: re.Match[str], text: str, start: int, end: int) -> Quantity:
    """"达千条", "上千条", "千余条": a lower bound; "近千条", "不足千人": as their hedge says."""
    v = _LONE[_lone(m) or ""] * (_BIG[m.group("mult")] if m.group("mult") else 1)
    qualifier = m.group("pre") or m.group("inner0") or m.group("inner") or m.group("post")
    if _qualifier_kinds().get(qualifier or "") in ("upper", "approx"):
        low, high = _interval(v, qualifier)
    else:
        low, high = v, None
        qualifier = qualifier or m.group("lone_pre") or "round"
    return Quantity(v, low, high, m.group("unit"), qualifier, text[start:end], start, end, True)


@cache
def _idiom_regex() -> re.Pattern[str]:
    return re.compile(_alt(load_lexicon()["not_quantities"]))


def _idiom_starts(ctext: str) -> list[tuple[int, int]]:
    """Spans of words that contain a numeral but are not quantities ("一次性", "货比三家")."""
    return [m.span() for m in _idiom_regex().finditer(ctext)]


@cache
def _ordinal() -> tuple[str, ...]:
    return tuple(load_lexicon()["ordinal"])


def quantities_in(compact: Compact, text: str) -> Iterator[tuple[Quantity, re.Match[str]]]:
    """Quantities in a compacted span, in order, with their matches on ``compact.text``
    (lazily: a reader that needs only the first few stops there)."""
    ordinal, ctext = _ordinal(), compact.text
    inside = None  # the spans of names and titles, found at the first number
    for m in quantity_regex().finditer(ctext):
        first = m.start()
        if first > 0 and ctext[first - 1] in ordinal and not m.group("pre"):
            continue
        lone = _lone(m)
        if inside is None:
            inside = _Covered(_idiom_starts(ctext) + _titles(ctext) + _quoted_names(ctext))
        if inside(_lone_span(m) if lone else m.start("num")):
            continue  # an idiom, a number inside a quoted title (《…二十条措施》) or name (“四个聚焦”)
        if not lone and (_names_something(ctext, m) or _is_article(ctext, m)):
            continue
        start, end = compact.orig(first), compact.orig_end(m.end())
        q = _quantity(m, text, start, end, lone)
        if q is not None:
            yield q, m


class _Covered:
    """Whether an offset lies inside any of some (possibly overlapping) spans, in
    O(log n) a query (a scan of every span for every number was quadratic on a sentence of
    thousands of 《titles》).

    >>> inside = _Covered([(5, 9), (0, 3), (1, 2)])
    >>> [i for i in range(10) if inside(i)]
    [0, 1, 2, 5, 6, 7, 8]
    """

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        spans = sorted(spans)
        self.starts = [a for a, _ in spans]
        self.reach, far = [], -1  # the furthest end among the spans starting at or before each
        for _, b in spans:
            far = max(far, b)
            self.reach.append(far)

    def __call__(self, at: int) -> bool:
        k = bisect_right(self.starts, at) - 1
        return k >= 0 and self.reach[k] > at


def find_quantities(text: str) -> list[Quantity]:
    """Every number in ``text`` with its unit, hedge and interval, in order.

    >>> [(q.value, q.low, q.high, q.unit) for q in find_quantities("网站点击量3500余人次")]
    [(3500.0, 3500.0, None, '人次')]
    """
    return [q for q, _ in quantities_in(Compact(text), text)]


# Each quoted-title and quoted-name regex with its opening mark: a sentence without the
# mark (most of them) is not scanned.

@cache
def _title_regexes() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(opening mark, regex) per quoted-title mark pair (lexicon ``quoted_titles``)."""
    return tuple((opener, re.compile(re.escape(opener) + "[^" + re.escape(opener + closer) + "]*"
                                     + re.escape(closer)))
                 for opener, closer, *_ in load_lexicon().get("quoted_titles", []))


def _titles(text: str) -> list[tuple[int, int]]:
    """Spans of quoted titles (lexicon ``quoted_titles``: open/close mark pairs)."""
    return [m.span() for opener, regex in _title_regexes() if opener in text for m in regex.finditer(text)]


@cache
def _quoted_name_regexes() -> tuple[tuple[str, re.Pattern[str]], ...]:
    conf = load_lexicon()["quoted_names"]
    return tuple((opener, re.compile(re.escape(opener) + rf"[{_CN_CHARS}][^{re.escape(opener + closer)}]"
                                     rf"{{0,{int(conf['max_chars']) - 1}}}" + re.escape(closer)))
                 for opener, closer in conf["marks"])


def _quoted_names(text: str) -> list[tuple[int, int]]:
    """Spans of short quoted texts that begin with a Chinese numeral (“四个聚焦”)."""
    return [m.span() for opener, regex in _quoted_name_regexes() if opener in text for m in regex.finditer(text)]


@cache
def _name_heads() -> tuple[str, ...]:
    return tuple(load_lexicon()["name_heads"])


def _names_something(text: str, m: re.Match[str]) -> bool:
    """A count in Chinese numerals followed by a slogan word is a name: "五个专项治理"
    (``m`` no lone 百/千/万)."""
    return not m.group("num")[0].isdigit() and text.startswith(_name_heads(), m.end())


@cache
def _article_after() -> tuple[str, ...]:
    return tuple(load_lexicon()["article_after"])


def _is_article(text: str, m: re.Match[str]) -> bool:
    """一 right after a negation is an article: "没有出现一起投诉" counts nothing."""
    return m.group("num") == "一" and text.endswith(_article_after(), 0, m.start())
