"""The generator's phrase banks, as data: config/synth/phrases.yaml (see its header).

Loaded once, checked on load: every bank a non-empty list of strings, every composed
sentence a list of non-empty parts, only the known placeholders, and no digit in a
topic or a composed part (fillers must never read as figures).
"""
from __future__ import annotations

import random
import re
import string
from functools import cache
from pathlib import Path
from typing import Any

from extractors import yamlio

PHRASES = Path(__file__).resolve().parents[2] / "config" / "synth" / "phrases.yaml"
PLACEHOLDERS = {"b", "s", "y", "ny", "tel", "x", "k", "pct", "topic"}
BANKS = ("intro", "period", "contact", "opening", "leadership", "management", "platform",
         "supervision", "problems", "measures", "ordinals", "no_application", "no_dispute",
         "upheld")
COMPOSED = ("focus", "interpret", "practice", "service", "progress", "base")
GOVERNMENT = "government"
# words the extractors read as a statement, a promise or a figure's subject: never in a filler
FORBIDDEN = ("维持", "兼职", "收费", "复议", "诉讼", "答复", "办结", "将", "力争", "下一步")


class PhraseError(ValueError):
    """config/synth/phrases.yaml is malformed (the message names the entry)."""


def _fields(text: str, where: str) -> None:
    names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    if names - PLACEHOLDERS:
        raise PhraseError(f"{where}: unknown placeholder(s) {sorted(names - PLACEHOLDERS)} in {text!r}")


def _strings(value: Any, where: str, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(x, str) for x in value):
        raise PhraseError(f"{where}: must be a non-empty list of strings")
    if not allow_empty and any(not x for x in value):
        raise PhraseError(f"{where}: empty string")
    for x in value:
        _fields(x, where)
    return tuple(value)


def parse(data: Any, path: str = str(PHRASES)) -> dict[str, Any]:
    if not isinstance(data, dict) or set(data) != {"banks", "topics", "compose", "voice"}:
        raise PhraseError(f"{path}: top-level keys must be banks, topics, compose, voice")
    banks = data["banks"] or {}
    if set(banks) != set(BANKS):
        raise PhraseError(f"{path}: banks must be exactly {list(BANKS)} "
                          f"(missing {sorted(set(BANKS) - set(banks))}, unknown {sorted(set(banks) - set(BANKS))})")
    out_banks = {k: _strings(v, f"{path}: banks.{k}") for k, v in banks.items()}
    topics = {k: _strings(v, f"{path}: topics.{k}") for k, v in (data["topics"] or {}).items()}
    if GOVERNMENT not in topics:
        raise PhraseError(f"{path}: topics.{GOVERNMENT} is required")
    compose = data["compose"] or {}
    if set(compose) != set(COMPOSED):
        raise PhraseError(f"{path}: compose must be exactly {list(COMPOSED)}")
    out_compose = {}
    for k, parts in compose.items():
        if not isinstance(parts, list) or not parts:
            raise PhraseError(f"{path}: compose.{k} must be a list of parts")
        out_compose[k] = tuple(_strings(p, f"{path}: compose.{k}[{i}]", allow_empty=True)
                               for i, p in enumerate(parts))
    voice = data["voice"]
    if not isinstance(voice, list):
        raise PhraseError(f"{path}: voice must be a list of word groups")
    out_voice = []
    for i, group in enumerate(voice):
        words = _strings(group, f"{path}: voice[{i}]")
        if len(words) < 2:
            raise PhraseError(f"{path}: voice[{i}]: a group needs at least two words")
        out_voice.append(words)
    firsts = [g[0] for g in out_voice]
    if len(set(firsts)) != len(firsts):
        raise PhraseError(f"{path}: voice: a word begins two groups")
    for where, texts in ([(f"topics.{k}", v) for k, v in topics.items()]
                         + [(f"compose.{k}", [x for p in v for x in p]) for k, v in out_compose.items()]
                         + [(f"voice[{i}]", g) for i, g in enumerate(out_voice)]):
        if any(re.search(r"\d", t) for t in texts):
            raise PhraseError(f"{path}: {where}: a filler must hold no digit")
        if any(w in t for t in texts for w in FORBIDDEN):
            raise PhraseError(f"{path}: {where}: a filler must not hold a word the extractors "
                              f"read ({'/'.join(FORBIDDEN)})")
    return {"banks": out_banks, "topics": topics, "compose": out_compose, "voice": tuple(out_voice)}


@cache
def phrases() -> dict[str, Any]:
    return parse(yamlio.safe_load(PHRASES.read_text(encoding="utf-8")))


def bank(name: str) -> tuple[str, ...]:
    return phrases()["banks"][name]


def topics_for(body_name: str) -> tuple[str, ...]:
    """The fields of the department named at the end of ``body_name``, or a people's
    government's."""
    table = phrases()["topics"]
    organ = next((k for k in table if k != GOVERNMENT and body_name.endswith(k)), GOVERNMENT)
    return table[organ]


@cache
def _voice(body_name: str) -> tuple[re.Pattern, dict[str, str]] | None:
    """The body's house style: one word of each ``voice`` group, drawn once per body."""
    rng = random.Random(f"{body_name}:voice")
    chosen = {g[0]: rng.choice(g) for g in phrases()["voice"]}
    chosen = {k: v for k, v in chosen.items() if k != v}
    if not chosen:
        return None
    return re.compile("|".join(map(re.escape, sorted(chosen, key=len, reverse=True)))), chosen


def in_voice(body_name: str, text: str) -> str:
    """``text`` (a filler) in the words of ``body_name``'s house style: each group's
    first word replaced by the body's own, in one pass (a replacement is not replaced)."""
    voice = _voice(body_name)
    return voice[0].sub(lambda m: voice[1][m.group(0)], text) if voice else text


def compose(rng: random.Random, name: str) -> str:
    """One sentence of composed filler ``name`` (placeholders still to be filled)."""
    return "".join(rng.choice(part) for part in phrases()["compose"][name])
