"""Typed request parameters: every query parameter the app accepts, with its type and
bounds (anything else is a 422 in the one error shape), and the conversion to storage's
:class:`~storage.review.QueueFilter`."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from storage.review import QueueFilter

Status = Literal["fail", "warn", "not_assessable"]
State = Literal["open", "confirmed", "dismissed", "needs_info"]
Severity = Literal["high", "medium", "low"]
Template = Literal["pre2019", "2019trial", "2021", "unknown"]
Sort = Literal["severity", "year", "body", "code", "status", "region"]
Action = Literal["confirm", "dismiss", "needs_info"]
Reason = Literal["parse_error", "different_basis", "not_applicable", "other"]
Name = Field(default=None, max_length=200)


class FormParams(BaseModel):
    """Query parameters from a form: an empty field means "any" (the filter forms send
    every field, filled or not)."""

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, data):
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v not in ("", None, [""])}
        return data


class QueueParams(FormParams):
    """Filters of the queue (lists repeat the parameter: ``?status=fail&status=warn``).
    ``not_assessable`` is left out unless asked for; ``state`` defaults to open."""

    model_config = ConfigDict(extra="forbid")

    status: list[Status] = Field(default_factory=lambda: ["fail", "warn"])
    state: list[State] = Field(default_factory=lambda: ["open"])
    severity: list[Severity] = Field(default_factory=list)
    code: str | None = Field(default=None, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    body: str | None = Name
    region: str | None = Name
    province: str | None = Name
    level: str | None = Field(default=None, max_length=40)
    year: int | None = Field(default=None, ge=1990, le=2100)
    template: Template | None = None
    report: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    sort: Sort = "severity"
    desc: bool = False
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=50, ge=1, le=500)

    def to_filter(self) -> QueueFilter:
        return QueueFilter(**self.model_dump())

    def as_query(self) -> dict:
        """The non-default parameters, for links that keep the filter."""
        defaults = QueueParams().model_dump()
        return {k: v for k, v in self.model_dump().items() if v != defaults[k]}


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    reason: Reason | None = None
    note: str = Field(default="", max_length=2000)


class BulkDecision(Decision):
    filter: QueueParams = Field(default_factory=QueueParams)
    limit: int = Field(default=1000, ge=1, le=5000)


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    password: str = Field(max_length=1000)
    label: str = Field(default="", max_length=100)
