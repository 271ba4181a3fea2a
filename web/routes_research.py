"""The researchers' query API: ``GET /api/{reports,cells,claims,commitments,findings}``
(filtered, sorted pages with opaque cursors; ``?format=csv|jsonl|parquet`` streams the
whole selection instead), the same exports at ``/api/export/{collection}.{fmt}``, and
``/api/measures`` (the harmonised measures and their cells per template generation).

Read-only: every route is a GET open to every role (researchers, auditors, admins);
a region-scoped account sees only its regions.  The routes call ``storage.research``
only; parameters are typed by ``storage.research_params.ResearchQuery``.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from storage import research, research_export
from storage.research_params import MAX_EXPORT, MAX_PAGE, QueryError, ResearchQuery
from storage.research_spec import COLLECTIONS, SPECS
from web import auth
from web.errors import ApiError

router = APIRouter()
Params = Annotated[ResearchQuery, Query()]

_SUMMARIES = {
    "reports": "Reports (each counted once: renderings of one report are left out)",
    "cells": "Table cells, each with its harmonised measure",
    "claims": "Prose claims (figures, rates, statements) with their measure",
    "commitments": "Commitments of the 改进措施 sections",
    "findings": "Findings of the cross-checks, with their review state",
}


def _db(request: Request):
    return request.app.state.store.db


def _describe(collection: str) -> str:
    spec = SPECS[collection]
    return (f"Filters: {', '.join(sorted(spec.filters))} (value as value_min / value_max, "
            f"text over the stored jieba tokens, year as YYYY or YYYY..YYYY). "
            f"Fields (fields=a,b): {', '.join(spec.fields)}. "
            f"Sorts (sort=…, desc=true): id, {', '.join(spec.sorts)}. "
            f"Pages of at most {MAX_PAGE} rows (limit); follow `next` as cursor=…. "
            f"format=csv|jsonl|parquet streams every matching row (at most {MAX_EXPORT}).")


def _invalid(err: QueryError) -> ApiError:
    return ApiError(422, err.message, detail=[{"loc": ["query", err.param], "msg": err.message,
                                              "type": "value_error"}])


def run_page(request: Request, collection: str, q: ResearchQuery, user: dict) -> dict:
    try:
        return research.page(_db(request), collection, q, user.get("regions") or [])
    except QueryError as err:
        raise _invalid(err) from err
    except research.CursorError as err:
        raise ApiError(400, str(err), code="bad_cursor") from err


def run_export(request: Request, collection: str, q: ResearchQuery, user: dict,
               fmt: str) -> StreamingResponse:
    try:
        fields, rows = research.export_rows(_db(request), collection, q,
                                            user.get("regions") or [])
    except QueryError as err:
        raise _invalid(err) from err
    except research.ExportTooLarge as err:
        raise ApiError(400, str(err), code="export_too_large") from err
    return StreamingResponse(
        research_export.chunks(fmt, collection, fields, rows),
        media_type=research_export.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="gongkai-{collection}.{fmt}"'})


def _list_route(collection: str):
    def handler(request: Request, params: Params, user: dict = Depends(auth.require_user)):
        if params.format != "json":
            return run_export(request, collection, params, user, params.format)
        return run_page(request, collection, params, user)

    handler.__name__ = f"research_{collection}"
    return handler


def _export_route(collection: str):
    def handler(request: Request, fmt: str, params: Params,
                user: dict = Depends(auth.require_user)):
        if fmt not in research_export.FORMATS:
            raise ApiError(404, f"no export format {fmt!r}: "
                                f"{', '.join(research_export.FORMATS)}")
        return run_export(request, collection, params, user, fmt)

    handler.__name__ = f"export_{collection}"
    return handler


for _name in COLLECTIONS:
    router.add_api_route(f"/api/{_name}", _list_route(_name), methods=["GET"],
                         summary=_SUMMARIES[_name], description=_describe(_name),
                         tags=["research"])
    router.add_api_route(f"/api/export/{_name}.{{fmt}}", _export_route(_name), methods=["GET"],
                         summary=f"All {_name} a query selects, as CSV, JSONL or Parquet",
                         description=_describe(_name), tags=["research"])


@router.get("/api/measures", tags=["research"],
            summary="The harmonised measures: their cells in each template generation, caveats")
def measures(user: dict = Depends(auth.require_user)):
    from extractors.measures import load_measures

    ms = load_measures()
    return {"version": ms.version, "measures": [m.to_dict() for m in ms.measures]}
