"""The interface's words as data (``web/messages.yaml``: one key, a Chinese and an English
text), Chinese first; a user's ``lang`` picks the language.  Validated on load: every
key needs both languages, or the app does not start.

Not gettext/Babel: they need compiled catalogues (a build step) for what is one YAML
table of two languages here."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from extractors.errors import ConfigError

MESSAGES = Path(__file__).with_name("messages.yaml")
LANGS = ("zh", "en")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(MESSAGES.read_text("utf-8")) or {}
    for key, texts in data.items():
        missing = [lang for lang in LANGS if not isinstance(texts, dict) or not texts.get(lang)]
        if missing:
            raise ConfigError(f"{MESSAGES}: message {key!r} lacks {', '.join(missing)}",
                              file=str(MESSAGES))
    return data


def translator(lang: str):
    lang = lang if lang in LANGS else "zh"
    texts = catalogue()

    def t(key: str, **values) -> str:
        entry = texts.get(key)
        text = entry[lang] if entry else key
        return text.format(**values) if values else text

    return t
