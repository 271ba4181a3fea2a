"""Token patterns (config/patterns/*_spacy.jsonl) matched over jieba tokens without spaCy.

The pattern files are spaCy ``Matcher`` patterns and stay so: tests validate them with
spaCy and compare what this module finds with spaCy's Matcher and EntityRuler on every
report of the real corpus (tests/extractors/test_tokenmatch.py,
tests/extractors/test_entities_scope.py).  At run time they are matched here because
importing spaCy costs about one CPU-second at the start of every ``check`` and every
worker — half the start-up budget — and ~100 MB per worker, only to run a Matcher over
tokens the pipeline already has from jieba.  The files use a small part of spaCy's
pattern language, which is all this module accepts (anything else is a ConfigError
naming the pattern): per token ``TEXT`` as a string or as ``{REGEX, IN, NOT_IN}``
(``re.search`` on the token text, membership), and ``OP`` ``?``, ``*``, ``+``, ``{n}``,
``{m,n}``, ``{m,}``, ``{,n}``.  As spaCy's Matcher without ``greedy``, it returns every
(start, end) span a pattern matches, never an empty one.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from extractors.errors import ConfigError

Predicate = Callable[[str], bool]
Element = tuple[Predicate, int, int]  # (token test, min repeats, max repeats)
_UNBOUNDED = 1 << 30
_RANGE = re.compile(r"^\{(\d*)(,?)(\d*)\}$")


def _quantifier(op: Any, where: str) -> tuple[int, int]:
    if op is None or op == "1":
        return 1, 1
    fixed = {"?": (0, 1), "*": (0, _UNBOUNDED), "+": (1, _UNBOUNDED)}
    if op in fixed:
        return fixed[op]
    m = _RANGE.match(op) if isinstance(op, str) else None
    if m is None or (not m.group(1) and not m.group(3)):
        raise ConfigError(f"{where}: OP {op!r} is not supported (?, *, +, {{n}}, {{m,n}})")
    lo = int(m.group(1) or 0)
    hi = (int(m.group(3)) if m.group(3) else _UNBOUNDED) if m.group(2) else lo
    if hi < lo:
        raise ConfigError(f"{where}: OP {op!r} has max < min")
    return lo, hi


def _predicate(spec: Any, where: str) -> Predicate:
    if isinstance(spec, str):
        return spec.__eq__
    if not isinstance(spec, dict) or not spec or set(spec) - {"REGEX", "IN", "NOT_IN"}:
        raise ConfigError(f"{where}: TEXT must be a string or a dict of REGEX, IN, NOT_IN")
    tests: list[Predicate] = []
    if "REGEX" in spec:
        tests.append(re.compile(spec["REGEX"]).search)  # type: ignore[arg-type]
    if "IN" in spec:
        allowed = frozenset(spec["IN"])
        tests.append(allowed.__contains__)
    if "NOT_IN" in spec:
        banned = frozenset(spec["NOT_IN"])
        tests.append(lambda t: t not in banned)
    if len(tests) == 1:
        return tests[0]
    return lambda t: all(test(t) for test in tests)


def compile_pattern(pattern: Sequence[dict], where: str = "pattern") -> tuple[Element, ...]:
    """A spaCy token pattern as (test, min, max) elements (ConfigError outside the subset)."""
    if not isinstance(pattern, (list, tuple)) or not pattern:
        raise ConfigError(f"{where}: a pattern is a non-empty list of token dicts")
    out = []
    for i, tok in enumerate(pattern):
        at = f"{where}[{i}]"
        if not isinstance(tok, dict) or set(tok) - {"TEXT", "OP"}:
            raise ConfigError(f"{at}: only TEXT and OP are supported")
        test = _predicate(tok["TEXT"], at) if "TEXT" in tok else (lambda t: True)
        out.append((test, *_quantifier(tok.get("OP"), at)))
    return tuple(out)


def _ends(elements: tuple[Element, ...], i: int, pos: int, words: Sequence[str],
          out: set[int]) -> None:
    """Add to ``out`` every end position of a match of ``elements[i:]`` from ``pos``."""
    if i == len(elements):
        out.add(pos)
        return
    test, lo, hi = elements[i]
    if lo == 0:
        _ends(elements, i + 1, pos, words, out)
    n = 0
    while n < hi and pos < len(words) and test(words[pos]):
        pos += 1
        n += 1
        if n >= lo:
            _ends(elements, i + 1, pos, words, out)


class TokenMatcher:
    """Patterns added under keys; calling it on a token list returns (key, start, end) for
    every span any pattern matches, by start, then pattern order, then end."""

    def __init__(self) -> None:
        self._patterns: list[tuple[Any, tuple[Element, ...]]] = []

    def add(self, key: Any, pattern: Sequence[dict], where: str | None = None) -> None:
        self._patterns.append((key, compile_pattern(pattern, where or str(key))))

    def __call__(self, words: Sequence[str]) -> list[tuple[Any, int, int]]:
        out = []
        for start in range(len(words)):
            for key, elements in self._patterns:
                ends: set[int] = set()
                _ends(elements, 0, start, words, ends)
                out += [(key, start, end) for end in sorted(ends) if end > start]
        return out
