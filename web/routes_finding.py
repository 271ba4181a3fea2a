"""The finding page and its JSON twin, decisions on one finding (JSON and form), and the
raw document as stored."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from storage import audit, review
from web import auth
from web.errors import ApiError
from web.finding_view import finding_data, load_finding
from web.pages import render
from web.params import Decision, QueueParams
from web.routes_queue import form_decider

router = APIRouter()
Params = Annotated[QueueParams, Query()]
FID = r"^[0-9a-zA-Z]{8,64}$"


@router.get("/api/findings/{finding_id}",
            summary="One finding with its evidence, rule, review and audit trail")
def api_finding(request: Request, finding_id: str, user: dict = Depends(auth.require_user)):
    return finding_data(request, finding_id, user)


@router.get("/findings/{finding_id}", include_in_schema=False)
def finding_page(request: Request, finding_id: str, params: Params,
                 user: dict = Depends(auth.require_user)):
    data = finding_data(request, finding_id, user)
    nav = request.app.state.queue_index.neighbours(
        request.app.state.store.db, params.to_filter(), user.get("regions") or [], finding_id)
    return render(request, "finding.html", {**data, "nav": nav, "query": params.as_query(),
                                            "reasons": review.REASONS})


def _decide(request: Request, finding_id: str, body: Decision, user: dict) -> dict:
    load_finding(request, finding_id, user)
    if body.action == "dismiss" and body.reason is None:
        raise ApiError(422, "a dismissal needs a reason",
                       detail=[{"loc": ["body", "reason"], "msg": "required for dismiss"}])
    db = request.app.state.store.db
    rv = review.decide(db, finding_id, body.action, user, body.reason, body.note)
    request.app.state.queue_index.decided(db, finding_id, rv["state"])
    return {"finding_id": finding_id, "review": rv, "trail": review.trail(db, finding_id)}


@router.post("/api/findings/{finding_id}/decision",
             summary="Confirm, dismiss (with a reason) or ask for more information")
def api_decide(request: Request, finding_id: str, body: Decision,
               user: dict = Depends(auth.require_decider)):
    return _decide(request, finding_id, body, user)


@router.post("/findings/{finding_id}/decision", include_in_schema=False)
async def form_decide(request: Request, finding_id: str, params: Params,
                      user: dict = Depends(form_decider)):
    form = await request.form()
    body = Decision(action=form.get("action"), reason=form.get("reason") or None,
                    note=str(form.get("note") or ""))
    nav = request.app.state.queue_index.neighbours(
        request.app.state.store.db, params.to_filter(), user.get("regions") or [], finding_id)
    _decide(request, finding_id, body, user)
    from urllib.parse import urlencode

    qs = urlencode(params.as_query(), doseq=True)
    target = f"/findings/{nav['next']}" if nav.get("next") else "/queue"
    return RedirectResponse(f"{target}?{qs}" if qs else target, status_code=303)


@router.get("/api/reports/{report_id}/raw", summary="The raw document as stored")
def raw_document(request: Request, report_id: str, user: dict = Depends(auth.require_user)):
    store = request.app.state.store
    meta = audit.report_meta(store.db, report_id)
    if meta is None:
        raise ApiError(404, f"no report {report_id}")
    if not review.in_scope(meta, user.get("regions") or []):
        raise ApiError(403, "this report is outside the regions of your account",
                       code="out_of_scope")
    name = (meta.get("filename") or f"{report_id[:12]}.bin").replace('"', "")
    from urllib.parse import quote

    return Response(store.get_raw(report_id), media_type="application/octet-stream",
                    headers={"Content-Disposition":
                             f"attachment; filename*=UTF-8''{quote(name)}",
                             "X-Content-Type-Options": "nosniff"})
