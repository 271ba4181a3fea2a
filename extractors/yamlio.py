"""YAML loading through libyaml's C parser when PyYAML was built with it.

The configuration files (catalogue, rules, patterns, sections) are read at every start
of ``check`` and of every worker; the pure-Python parser spends about 0.2 CPU-s on them,
the C one a tenth of that.  Same safe constructors either way.  ``load_with_lines``
also records the line of every mapping as ``__line__`` (for errors that point into the
file: the catalogue, the measures).
"""
from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 (a safe loader)


def compose(text: str) -> Any:
    """The node tree of ``text`` (marks give lines), through the same parser."""
    return yaml.compose(text, Loader=SafeLoader)


class _LineLoader(SafeLoader):
    """A safe loader that records the line of every mapping as ``__line__``."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_with_lines(text: str) -> Any:
    return yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a safe loader)


def load_mapping(text: str, source: str, what: str, lines: bool = False) -> dict:
    """A configuration file's top-level mapping (``lines``: with ``__line__`` marks);
    ``ConfigError`` naming ``source`` when it is not YAML or not a mapping of ``what``."""
    from extractors.errors import ConfigError

    try:
        data = load_with_lines(text) if lines else safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}", file=source) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {what} must be a mapping at the top", file=source)
    return data
