"""The sentence a claim extractor is reading: its compacted text, the report's template
group and body, memoised word look-ups, and Claim construction with offsets mapped back
into the report's normalized text (shared by extractors.claims, .phrases, .enumerations).

Hand-written: it is this project's bookkeeping, there is nothing for a library to do.
"""
from __future__ import annotations

import re
from typing import Any

from extractors.models import Claim
from extractors.numbers import Compact, Quantity


class Sentence:
    """Per-call state: the text, template group and body, and the sentence being read."""

    def __init__(self, text: str, template: str | None, body: str | None = None) -> None:
        self.text, self.template, self.body = text, template, body
        self.sentence: tuple[int, int] = (0, 0)
        self.comp: Compact | None = None
        self._found: dict[str, int] = {}
        self.statements: tuple | None = None  # the statement regexes worth trying (claims)

    def read(self, start: int, end: int, comp: Compact | None = None) -> None:
        self.sentence, self._found = (start, end), {}
        self.comp = comp if comp is not None else Compact(self.text, start, end)

    def first(self, word: str) -> int:
        """Compact index of the first ``word`` in the sentence (-1 if absent), memoised."""
        if word not in self._found:
            assert self.comp is not None
            self._found[word] = self.comp.text.find(word)
        return self._found[word]

    def first_match(self, rx: re.Pattern[str]) -> int:
        """Compact index of ``rx``'s first match in the sentence (-1 if none), memoised."""
        key = "\0" + rx.pattern
        if key not in self._found:
            assert self.comp is not None
            m = rx.search(self.comp.text)
            self._found[key] = m.start() if m else -1
        return self._found[key]

    def claim(self, kind: str, q: Quantity | None, cstart: int, cend: int, **kw: Any) -> Claim:
        assert self.comp is not None
        start, end = self.comp.orig(cstart), self.comp.orig_end(cend)
        val = (q.value, q.low, q.high, q.unit, q.qualifier) if q else (None, None, None, None, None)
        return Claim(kind=kind, metric=kw.pop("metric", None), value=val[0], low=val[1], high=val[2],
                     unit=val[3], qualifier=val[4], text=self.text[start:end], start=start, end=end,
                     sentence=self.sentence, **kw)
