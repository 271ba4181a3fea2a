"""One typed settings table: defaults < file < environment < CLI, unknown keys rejected.

The defaults live in ``config/defaults.toml`` (documented there and in the README); this
module only merges the layers and validates them with pydantic.
"""
from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractors.errors import SettingsError

ENV_PREFIX = "GONGKAI_"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mongo_url: str = ""
    db_name: str = Field("gongkai", min_length=1)
    data_dir: str = ".gongkai"
    broker_url: str = ""
    workers: int = Field(0, ge=0)
    max_document_mb: float = Field(20, gt=0)
    max_archive_ratio: float = Field(100, gt=1)
    ner: bool = False
    log_level: str = "WARNING"
    # limits and recovery (README "Running at scale")
    document_seconds: float = Field(300, gt=0)
    document_memory_mb: float = Field(2048, ge=0)
    max_attempts: int = Field(3, ge=1)
    lease_seconds: float = Field(120, ge=5)
    sweep_seconds: float = Field(60, gt=0)
    requeue_after_seconds: float = Field(60, ge=0)
    wait_idle_seconds: float = Field(300, gt=0)
    worker_max_tasks_per_child: int = Field(200, ge=0)
    worker_max_memory_mb: float = Field(1500, ge=0)
    heavy_formats: str = "pdf,docx,doc"
    heavy_mb: float = Field(2, gt=0)
    duplicate_candidates: int = Field(200, ge=1)
    ingest_batch: int = Field(8, ge=1)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    @property
    def max_document_bytes(self) -> int:
        return int(self.max_document_mb * 1024 * 1024)

    @property
    def hard_seconds(self) -> float:
        """The hard time limit: a task still running this long is killed (Celery)."""
        return self.document_seconds * 1.25 + 30

    @property
    def heavy_suffixes(self) -> tuple[str, ...]:
        return tuple("." + f.strip().lower().lstrip(".") for f in self.heavy_formats.split(",")
                     if f.strip())


def _defaults() -> dict[str, Any]:
    text = resources.files("config").joinpath("defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


def _check_keys(layer: dict[str, Any], where: str) -> None:
    allowed = set(Settings.model_fields)
    unknown = sorted(set(layer) - allowed)
    if unknown:
        raise SettingsError(
            f"unknown setting(s) {', '.join(unknown)} in {where}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def _file_layer(path: str | None) -> dict[str, Any]:
    path = path or os.environ.get(ENV_PREFIX + "SETTINGS")
    candidate = Path(path) if path else Path("gongkai.toml")
    if not candidate.exists():
        if path:
            raise SettingsError(f"settings file {candidate} does not exist")
        return {}
    try:
        layer = tomllib.loads(candidate.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {candidate}: {exc}") from exc
    _check_keys(layer, str(candidate))
    return layer


def _env_layer() -> dict[str, Any]:
    layer = {}
    for name, value in os.environ.items():
        if name.startswith(ENV_PREFIX) and name != ENV_PREFIX + "SETTINGS":
            layer[name[len(ENV_PREFIX):].lower()] = value
    _check_keys(layer, "environment (GONGKAI_* variables)")
    return layer


def load_settings(path: str | None = None, **overrides: Any) -> Settings:
    """Merge defaults < file < environment < ``overrides`` (CLI flags; None = not given)."""
    merged = _defaults()
    merged.update(_file_layer(path))
    merged.update(_env_layer())
    cli = {k: v for k, v in overrides.items() if v is not None}
    _check_keys(cli, "command-line options")
    merged.update(cli)
    try:
        return Settings(**merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from exc


_pinned: list[Settings] = []


def use(settings: Settings) -> None:
    """Make ``settings`` this process's for the rest of its life: only for a process that
    becomes a long-running worker (``gongkai worker``); commands that return pass their
    settings explicitly instead, so nothing outlives them."""
    _pinned[:] = [settings]
    current.cache_clear()


@lru_cache(maxsize=1)
def current() -> Settings:
    """Settings of this process (workers read them once): pinned by ``use`` or loaded."""
    return _pinned[0] if _pinned else load_settings()
