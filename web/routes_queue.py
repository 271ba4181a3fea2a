"""The queue of findings (page and JSON twin), bulk decisions on a filtered selection,
and the CSV/XLSX export of the confirmed findings of a filter."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from storage import audit, review
from web import auth, exports
from web.errors import ApiError
from web.pages import twin
from web.params import BulkDecision, QueueParams

router = APIRouter()
Params = Annotated[QueueParams, Query()]


def _db(request: Request):
    return request.app.state.store.db


def queue_data(request: Request, params: QueueParams, user: dict) -> dict:
    regions, index = user.get("regions") or [], request.app.state.queue_index
    data = index.queue(_db(request), params.to_filter(), regions)
    data["filter"] = params.model_dump()
    data["options"] = index.values(_db(request), regions)
    return data


def _queue_page_context(data: dict, params: QueueParams, **_) -> dict:
    return {**data, "params": params, "query": params.as_query()}


@twin(router, "/queue", "queue.html", "Findings to review: filtered, sorted, paged, with counts "
                                      "per review state and per rule", _queue_page_context)
def api_queue(request: Request, params: Params, user: dict = Depends(auth.require_user)):
    return queue_data(request, params, user)


def _bulk(request: Request, body: BulkDecision, user: dict) -> dict:
    if body.action == "dismiss" and body.reason is None:
        raise ApiError(422, "a dismissal needs a reason",
                       detail=[{"loc": ["body", "reason"], "msg": "required for dismiss"}])
    db, regions = _db(request), user.get("regions") or []
    ids = review.queue_ids(db, body.filter.to_filter(), regions, limit=body.limit)
    done = review.decide_many(db, ids, body.action, user, body.reason, body.note)
    request.app.state.queue_index.invalidate()
    return {"selected": len(ids), "decided": done, "action": body.action}


@router.post("/api/decisions", summary="Bulk decision on every finding a filter selects")
def api_bulk(request: Request, body: BulkDecision, user: dict = Depends(auth.require_decider)):
    return _bulk(request, body, user)


async def form_decider(request: Request) -> dict:
    form = await request.form()
    request.state.form_csrf = form.get("csrf")
    return auth.require_decider(request)


@router.post("/queue/bulk", include_in_schema=False)
async def bulk_form(request: Request, params: Params, user: dict = Depends(form_decider)):
    form = await request.form()
    body = BulkDecision(action=form.get("action"), reason=form.get("reason") or None,
                        note=str(form.get("note") or ""), filter=params)
    _bulk(request, body, user)
    return RedirectResponse("/queue?" + _qs(params), status_code=303)


def _qs(params: QueueParams) -> str:
    from urllib.parse import urlencode

    return urlencode(params.as_query(), doseq=True)


@router.get("/api/export/confirmed.{fmt}",
            summary="Confirmed findings of a filter as CSV or XLSX")
def export_confirmed(request: Request, fmt: str, params: Params,
                     user: dict = Depends(auth.require_user)):
    if fmt not in ("csv", "xlsx"):
        raise ApiError(404, f"no export format {fmt!r}: csv or xlsx")
    rows = audit.confirmed_findings(_db(request), params.to_filter(), user.get("regions") or [])
    data, mime = exports.findings_table(rows, fmt)
    return Response(data, media_type=mime, headers={
        "Content-Disposition": f'attachment; filename="gongkai-confirmed.{fmt}"'})
