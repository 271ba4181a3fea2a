"""Corpus statistics for researchers (read-only, any role): ``GET /api/stats/{name}`` as
JSON or ``?format=csv``, the dashboard page ``/dashboard`` and its plots
``/dashboard/plots/{name}.svg``.  Every parameter is typed and bounded here (a pydantic
model per statistic, ``extra="forbid"``) before storage/stats.py builds a query from it:
no user text reaches MongoDB as an operator, region and text filters are escaped there.
"""
from __future__ import annotations

import csv
import io
import json
import threading
import time
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field, field_validator, model_validator

from storage import stats
from storage.queue_index import generation
from storage.research_params import parse_years
from web import auth, plots
from web.errors import ApiError
from web.exports import _safe
from web.pages import render
from web.params import FormParams

router = APIRouter()
Level = Literal["national", "province", "city", "county", "district", "township", "department"]
Template = Literal["pre2019", "2019trial", "2021", "unknown"]
Dimension = Literal["year", "region", "level", "template"]


class StatsQuery(FormParams):
    """Filters every statistic takes."""

    model_config = ConfigDict(extra="forbid")

    year: str | None = Field(default=None, max_length=12,
                             description="YYYY or a range YYYY..YYYY (either end may be open)")
    level: Level | None = None
    region: str | None = Field(default=None, max_length=100)
    template: Template | None = None
    format: Literal["json", "csv"] = "json"

    @field_validator("year", mode="before")
    @classmethod
    def _years(cls, v):
        years = parse_years(v)  # the research API's year syntax
        return None if years is None else f"{years[0]}..{years[1]}"

    def to_filter(self) -> stats.StatsFilter:
        lo, hi = parse_years(self.year) or (None, None)
        return stats.StatsFilter(year_from=lo, year_to=hi, level=self.level,
                                 region=self.region, template=self.template)

    def options(self) -> dict:
        return {}


class ReportsQuery(StatsQuery):
    by: list[Dimension] = Field(default_factory=lambda: ["year"], max_length=4)

    def options(self) -> dict:
        return {"by": self.by}


class RulesQuery(StatsQuery):
    code: str | None = Field(default=None, max_length=80, pattern=r"^[A-Za-z0-9_.]+$",
                             description="rule code or its prefix (T3., PROSE.)")

    def options(self) -> dict:
        return {"code_prefix": self.code}


class ProseQuery(StatsQuery):
    by_level: bool = False

    def options(self) -> dict:
        return {"by_level": self.by_level}


class DistributionQuery(StatsQuery):
    measure: str | None = Field(default=None, max_length=80, pattern=r"^[a-z0-9_]+$",
                                description="a harmonised measure id (config/measures.yaml)")
    metric: str | None = Field(default=None, max_length=120,
                               pattern=r"^[a-z0-9_.]+@[a-z0-9_]+$",
                               description="one table cell, key@column (t3.new@total)")
    bins: int = Field(default=10, ge=2, le=50)
    by: list[Literal["level", "year"]] = Field(default_factory=lambda: ["level", "year"],
                                               max_length=2)

    @model_validator(mode="after")
    def _one_of(self):
        if bool(self.measure) == bool(self.metric):
            raise ValueError("give exactly one of measure or metric")
        return self

    def options(self) -> dict:
        return {"measure": self.measure, "metric": self.metric, "bins": self.bins, "by": self.by}


QUERIES = {"reports": ReportsQuery, "rules": RulesQuery, "prose": ProseQuery,
           "timeliness": StatsQuery, "distribution": DistributionQuery}


class StatsCache:
    """Results of recent statistics in the serving process, valid while the store's
    findings generation (storage/queue_index.py: bumped whenever findings are replaced,
    which every stored or re-evaluated report does) is unchanged and for at most
    ``max_age`` seconds (the bump may precede the write).  Why: on the embedded store an
    aggregation over every report reads each document (seconds for thousands of
    reports), and the dashboard asks for five of them per view."""

    def __init__(self, size: int = 128, max_age: float = 60.0) -> None:
        self.size, self.max_age = size, max_age
        self._entries: dict[str, tuple[int, float, dict]] = {}
        self._lock = threading.Lock()

    def get(self, db, key: str, make) -> dict:
        gen, now = generation(db), time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit and hit[0] == gen and now - hit[1] < self.max_age:
            return hit[2]
        result = make()
        with self._lock:
            self._entries[key] = (gen, now, result)
            while len(self._entries) > self.size:
                self._entries.pop(next(iter(self._entries)))
        return result


def _cache(request: Request) -> StatsCache:
    cache = getattr(request.app.state, "stats_cache", None)
    if cache is None:
        cache = request.app.state.stats_cache = StatsCache()
    return cache


def compute(request: Request, name: str, q: StatsQuery, user: dict) -> dict:
    db, regions, flt = request.app.state.store.db, user.get("regions") or [], q.to_filter()
    key = json.dumps([name, flt.as_dict(), sorted(regions), q.options()], sort_keys=True,
                     ensure_ascii=False, default=str)
    try:
        return _cache(request).get(
            db, key, lambda: stats.run(db, name, flt, regions, **q.options()))
    except KeyError as exc:
        raise ApiError(404, f"no measure {exc.args[0]!r}; see config/measures.yaml",
                       code="unknown_measure") from exc


def csv_of(result: dict) -> str:
    """One CSV row per result row, the result's columns as the header."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(result["columns"])
    for row in result["rows"]:
        w.writerow([_safe(row.get(c)) for c in result["columns"]])
    return buf.getvalue()


def answer(request: Request, name: str, q: StatsQuery, user: dict):
    result = compute(request, name, q, user)
    if q.format == "csv":
        return Response("\ufeff" + csv_of(result), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="gongkai-stats-{name}.csv"'})
    return result


User = Depends(auth.require_user)
ROUTES = {  # statistic: (its parameters, the summary in the OpenAPI document)
    "reports": (ReportsQuery, "Canonical reports per year / region / level / template "
                              "(repeat by=)"),
    "rules": (RulesQuery, "Per rule and year: reports with a fail, a warn, either, and "
                          "their share of the year's reports"),
    "prose": (ProseQuery, "Prose-vs-table agreement rate per year (by_level=true: and level)"),
    "timeliness": (StatsQuery, "Per year: reports published on time, late (《条例》第五十条), "
                               "not assessable"),
    "distribution": (DistributionQuery, "A measure's (or one cell's) distribution per level "
                                        "and year: quartiles and histogram"),
}


def _add_route(name: str, model: type[StatsQuery], summary: str) -> None:
    def endpoint(request, q, user=User):
        return answer(request, name, q, user)

    # real objects, not the strings this module's annotations become, so that FastAPI
    # reads each statistic's own parameter model
    endpoint.__annotations__ = {"request": Request, "q": Annotated[model, Query()],
                                "user": dict}
    endpoint.__name__ = f"api_{name}"
    router.add_api_route(f"/api/stats/{name}", endpoint, methods=["GET"], summary=summary)


for _name, (_model, _summary) in ROUTES.items():
    _add_route(_name, _model, _summary)


# ------------------------------------------------------------------ dashboard
DEFAULT_METRIC = "t3.new@total"


class DashboardQuery(StatsQuery):
    measure: str | None = Field(default=None, max_length=80, pattern=r"^[a-z0-9_]+$")
    metric: str | None = Field(default=None, max_length=120, pattern=r"^[a-z0-9_.]+@[a-z0-9_]+$")


def _default_measure() -> dict:
    try:
        from extractors.measures import load_measures  # noqa: F401

        return {"measure": "applications_received"}
    except ImportError:
        return {"metric": DEFAULT_METRIC}


def plot_queries(q: DashboardQuery) -> dict[str, dict]:
    """The statistic parameters of each plot of the dashboard (filters + its own)."""
    base = q.model_dump(exclude={"format", "measure", "metric"}, exclude_none=True)
    which = ({"measure": q.measure} if q.measure else {"metric": q.metric} if q.metric
             else _default_measure())
    return {"reports": {**base, "by": ["year", "template"]}, "rules": base,
            "prose": {**base, "by_level": True}, "distribution": {**which, **base, "by": ["level"]},
            "timeliness": base}


def _qs(params: dict) -> str:
    return urlencode(params, doseq=True)


@router.get("/dashboard", include_in_schema=False)
def dashboard(request: Request, q: Annotated[DashboardQuery, Query()], user: dict = User):
    plots_ = [{"name": name, "qs": _qs(p)} for name, p in plot_queries(q).items()]
    return render(request, "dashboard.html", {"plots": plots_, "q": q.model_dump(),
                                              "levels": Level.__args__,
                                              "templates": Template.__args__})


@router.get("/dashboard/plots/{name}.svg", include_in_schema=False)
def dashboard_plot(request: Request, name: str, user: dict = User):
    if name not in QUERIES:
        raise ApiError(404, f"no plot {name!r}: one of {', '.join(QUERIES)}")
    params = dict(request.query_params.multi_items())
    multi = {k: request.query_params.getlist(k) for k in ("by",) if k in request.query_params}
    try:
        q = QUERIES[name].model_validate({**params, **multi})
    except ValueError as exc:
        raise ApiError(422, "invalid plot parameters", detail=str(exc)[:500]) from exc
    svg = plots.plot(name, compute(request, name, q, user))
    return Response(svg, media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=60"})
