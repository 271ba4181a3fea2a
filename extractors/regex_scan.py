"""``finditer`` of a regex over only the parts of a text where a match can be.

Some rule regexes (the document-number rules of config/patterns/entities.jsonl) begin
with lookbehinds and a lazy run of Han characters, so the engine tries a costly start at
every character of a report, and nearly all fail: most of the entity step's time.  The
patterns are data and must not change (their text keys the patterns version), so this
module reads the compiled pattern instead and finds, generically:

- an *anchor*: a single-character item of the pattern's top level (a literal or a small
  character class, such as the ``号`` of ``…〔2019〕3号``) that every match contains, at
  most ``before`` characters after the match start; or, for a pattern that opens with
  lookbehinds of words (``(?<=电话)|(?<=邮编)``), the words' last characters, just before
  the start (``before`` is -1);
- or a character every match contains somewhere (:func:`required_chars`), at most
  ``before`` (the pattern's whole reach) after the match start;
- ``after``: how far past the anchor the engine may read for a match or any attempt
  (consumed width plus every lookahead's width).

Of a pattern's anchors, the one rarest in the text at hand sets the windows.

Every match then starts in ``[p - before, p]`` for an anchor position ``p`` (at ``p + 1``
after a lookbehind anchor) and every attempt starting there reads no further than
``p + 1 + after``; running the regex on the merged windows (``finditer(text, lo, hi)``:
lookbehinds still see the text before ``lo``) gives the same matches as over the whole
text.  A pattern the analysis cannot bound
(an unbounded repeat, ``^``/``$``/``\\b``, back references, ignore-case) has no anchor and
is run over the whole text.

:func:`required_chars` reads off the characters every match contains: a short text
without one of them (a sentence tried against a dozen statement regexes) has no match,
which ``in`` tells faster than the regex; so does a text without a run of literal
characters of the pattern (``12345`` of the hotline rule).  :func:`may_match` tests for a
match behind a class of the characters every match starts with, which the engine scans
for in C (an alternation of groups is tried branch by branch at every position).
Hand-written: the standard library exposes no
such pre-filter, and the proofs above need the pattern's exact structure.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

try:  # the standard parser of regex syntax (re._parser since 3.11, sre_parse before)
    from re import _parser as _sre  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse as _sre  # type: ignore[no-redef]

_C = _sre  # opcodes are re-exported by the parser module
_MAX_CLASS = 16  # characters an anchor class may hold (a wider one is no filter)
_DENSE = 4  # windows covering over a quarter of the text: scan it whole instead


class _Unbounded(Exception):
    pass


def _reach(items: list) -> int:
    """Characters an attempt may read to the right: consumed width plus lookaheads."""
    total = 0
    for op, av in items:
        if op in (_C.LITERAL, _C.NOT_LITERAL, _C.IN, _C.ANY):
            total += 1
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            if hi == _C.MAXREPEAT:
                raise _Unbounded
            total += hi * _reach(list(sub))
        elif op is _C.SUBPATTERN:
            total += _reach(list(av[-1]))
        elif op is getattr(_C, "ATOMIC_GROUP", None):
            total += _reach(list(av))
        elif op is _C.BRANCH:
            total += max(_reach(list(b)) for b in av[1])
        elif op in (_C.ASSERT, _C.ASSERT_NOT):
            direction, sub = av
            if direction > 0:
                total += _reach(list(sub))  # a lookahead reads ahead without consuming
            else:
                _reach(list(sub))  # a lookbehind reads behind: bounded, nothing ahead
        else:
            raise _Unbounded  # AT (^ $ \b), GROUPREF, conditionals: not analysed
    return total


def _class(op: int, av) -> str | None:
    """The anchor item as a one-character regex, or None when it is no good filter."""
    if op is _C.LITERAL:
        return re.escape(chr(av))
    if op is not _C.IN:
        return None
    parts, size = [], 0
    for kind, val in av:
        if kind is _C.LITERAL:
            parts.append(re.escape(chr(val)))
            size += 1
        elif kind is _C.RANGE:
            parts.append(f"{re.escape(chr(val[0]))}-{re.escape(chr(val[1]))}")
            size += val[1] - val[0] + 1
        else:
            return None  # NEGATE, CATEGORY (\d, \s): too wide
    return "[" + "".join(parts) + "]" if size <= _MAX_CLASS else None


def _behind(item: tuple) -> set[str] | None:
    """The characters just before every match when the pattern opens with lookbehinds of
    words, ``(?:(?<=电话)|(?<=热线))``: the anchor is then the character before the start."""
    op, av = item
    alternatives = av[1] if op is _C.BRANCH else [[item]]
    last = set()
    for alt in alternatives:
        if len(alt) != 1 or alt[0][0] is not _C.ASSERT or alt[0][1][0] > 0:
            return None
        sub = list(alt[0][1][1])
        if not sub or sub[-1][0] is not _C.LITERAL:
            return None
        last.add(chr(sub[-1][1]))
    return last if len(last) <= _MAX_CLASS else None


@lru_cache(maxsize=256)
def _plan(pattern: str, flags: int) -> tuple[tuple[re.Pattern[str], str | None, int, int], ...] | None:
    """The pattern's anchors as (anchor regex, the literal character or None, before,
    after), or None (scan the whole text)."""
    if flags & (re.IGNORECASE | re.MULTILINE | re.VERBOSE | re.DOTALL) or not isinstance(pattern, str):
        return None
    try:
        items = list(_sre.parse(pattern, flags))
        total = _reach(items)  # bounds what follows any anchor too
    except (_Unbounded, re.error, RecursionError):
        return None
    best = None
    for i, (op, av) in enumerate(items):
        anchor = _class(op, av)
        if anchor is None:
            continue
        before = _reach(items[:i])  # bounded: the whole pattern is
        size = 1 if op is _C.LITERAL else sum(1 if k is _C.LITERAL else v[1] - v[0] + 1 for k, v in av)
        if best is None or size < best[0]:
            best = (size, anchor, chr(av) if op is _C.LITERAL else None, before)
    behind = _behind(items[0]) if items else None
    if behind is not None and (best is None or len(behind) < best[0]):
        best = (len(behind), "[" + "".join(map(re.escape, sorted(behind))) + "]", None, -1)
    options = [(re.compile(best[1]), best[2], best[3], total)] if best else []
    # a character somewhere in every match: the match starts at most ``total`` before it
    options += [(re.compile(re.escape(ch)), ch, total, total) for ch in sorted(_required(items))
                if not (best and best[2] == ch)]
    return tuple(options) or None


def _cheapest(text: str, options: tuple) -> tuple[int, tuple]:
    """(characters the windows may cover, option) of the anchor that is rarest in ``text``."""
    costs = []
    for option in options:
        anchor, literal, before, after = option
        hits = text.count(literal) if literal is not None else len(anchor.findall(text))
        costs.append((hits * (before + after + 1), option))
    return min(costs, key=lambda c: c[0])


def _windows(text: str, anchor: re.Pattern[str], before: int, after: int) -> Iterator[tuple[int, int]]:
    lo = hi = -1
    for m in anchor.finditer(text):
        p = m.start()
        a, b = max(0, p - before), min(len(text), p + 1 + after)
        if a > hi:
            if hi > lo:
                yield lo, hi
            lo = a
        hi = b
    if hi > lo:
        yield lo, hi


def finditer(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``regex.finditer(text)``, trying only the windows around the pattern's anchor (and
    nothing in a text that lacks a character or a literal word every match holds)."""
    if not all(ch in text for ch in required_chars(regex)):
        return  # a character every match holds is not in the text
    if not all(word in text for word in _literal_words(regex.pattern, regex.flags)):
        return  # nor a word ("12345" of the hotline rule)
    plan = _plan(regex.pattern, regex.flags)
    if plan is None:
        yield from regex.finditer(text)
        return
    cover, (anchor, _, before, after) = _cheapest(text, plan)
    if cover * _DENSE > len(text):
        yield from regex.finditer(text)  # anchors everywhere: the windows would be the text
        return
    for lo, hi in _windows(text, anchor, before, after):
        yield from regex.finditer(text, lo, hi)


def scanner(regex: re.Pattern[str]) -> Callable[[str], Iterator[re.Match[str]]]:
    """The cheaper of the two for ``regex``: windowed when it has an anchor or a
    character every match holds."""
    if _plan(regex.pattern, regex.flags) is None and not required_chars(regex):
        return regex.finditer
    return lambda text: finditer(regex, text)


def _required(items: list) -> frozenset[str]:
    """Characters every match of ``items`` consumes (an under-estimate is safe)."""
    out: set[str] = set()
    for op, av in items:
        if op is _C.LITERAL:
            out.add(chr(av))
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)):
            if av[0] >= 1:
                out |= _required(list(av[2]))
        elif op is _C.SUBPATTERN:
            out |= _required(list(av[-1]))
        elif op is getattr(_C, "ATOMIC_GROUP", None):
            out |= _required(list(av))
        elif op is _C.BRANCH:
            alts = [_required(list(b)) for b in av[1]]
            out |= frozenset.intersection(*alts) if alts else frozenset()
        # anything else (classes, assertions, anchors, references) requires nothing
    return frozenset(out)


@lru_cache(maxsize=256)
def _literal_words(pattern: str, flags: int) -> tuple[str, ...]:
    """Runs of two or more literal characters at the pattern's top level: every match
    holds each of them as written."""
    if flags & re.IGNORECASE or not isinstance(pattern, str):
        return ()
    try:
        items = list(_sre.parse(pattern, flags))
    except (re.error, RecursionError):
        return ()
    words, run = [], ""
    for op, av in items + [(None, None)]:
        if op is _C.LITERAL:
            run += chr(av)
        elif op not in (_C.ASSERT, _C.ASSERT_NOT):  # a lookaround consumes nothing
            words += [run] if len(run) > 1 else []
            run = ""
    return tuple(words)


@lru_cache(maxsize=256)
def _required_of(pattern: str, flags: int) -> frozenset[str]:
    if flags & re.IGNORECASE or not isinstance(pattern, str):
        return frozenset()
    try:
        return _required(list(_sre.parse(pattern, flags)))
    except (re.error, RecursionError):
        return frozenset()


def required_chars(regex: re.Pattern[str]) -> frozenset[str]:
    """Characters that every match of ``regex`` contains (empty when none is certain).

    >>> sorted(required_chars(re.compile(r"(?:未|没有)收取(?:任何)?(?:费用|收费)")))
    ['取', '收', '费']
    >>> sorted(required_chars(re.compile(r"a|b")))
    []
    """
    return _required_of(regex.pattern, regex.flags)


def _firsts(items: list) -> frozenset[str] | None:
    """Characters one of which every match of ``items`` starts with; None when unknown
    (an item that may match empty, an assertion, a negated or category class)."""
    if not items:
        return None
    op, av = items[0]
    if op is _C.LITERAL:
        return frozenset(chr(av))
    if op is _C.IN:
        chars: set[str] = set()
        for kind, val in av:
            if kind is _C.LITERAL:
                chars.add(chr(val))
            elif kind is _C.RANGE and val[1] - val[0] < 256:
                chars.update(map(chr, range(val[0], val[1] + 1)))
            else:
                return None
        return frozenset(chars)
    if op is _C.SUBPATTERN:
        return None if av[1] & re.IGNORECASE else _firsts(list(av[-1]))
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)):
        return _firsts(list(av[2])) if av[0] >= 1 else None
    if op is _C.BRANCH:
        alts = [_firsts(list(b)) for b in av[1]]
        return None if any(a is None for a in alts) else frozenset().union(*alts)
    return None


@lru_cache(maxsize=256)
def _first_class(pattern: str, flags: int) -> re.Pattern[str] | None:
    if flags & re.IGNORECASE or not isinstance(pattern, str):
        return None
    try:
        chars = _firsts(list(_sre.parse(pattern, flags)))
    except (re.error, RecursionError):
        return None
    return re.compile("[" + "".join(map(re.escape, sorted(chars))) + "]") if chars else None


def may_match(regex: re.Pattern[str]) -> Callable[[str], bool]:
    """A test of whether ``regex.search(s)`` finds a match in ``s``: when every match
    starts with one of a few characters, a one-class search for them comes first (the
    engine skips to such a character in C, where an alternation of groups tries every
    branch at every position).

    >>> test = may_match(re.compile("(?:[省市县]|街道)|(?:国务院)"))
    >>> test("平江县人民政府"), test("人民政府"), test("街区")
    (True, False, False)
    """
    first = _first_class(regex.pattern, regex.flags)
    if first is None:
        return lambda s: regex.search(s) is not None
    return lambda s: first.search(s) is not None and regex.search(s) is not None

