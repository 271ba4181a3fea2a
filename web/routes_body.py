"""A body's audit page (all its years) with its JSON twin and PDF / DOCX exports, and
the list of bodies."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from storage import audit
from web import auth, exports
from web.body_view import body_data
from web.errors import ApiError
from web.pages import render, twin

router = APIRouter()


@twin(router, "/bodies", "bodies.html", "Bodies with findings (in your regions)")
def api_bodies(request: Request, user: dict = Depends(auth.require_user)):
    return {"bodies": audit.bodies(request.app.state.store.db, user.get("regions") or [])}


@twin(router, "/bodies/{body_key:path}", "body.html",
      "One body's years: cells year against year, findings with review state, commitments")
def api_body(request: Request, body_key: str, user: dict = Depends(auth.require_user)):
    return body_data(request, body_key, user)


@router.get("/api/export/audit.{fmt}", summary="A body's audit report as PDF or DOCX")
def body_export(request: Request, fmt: str, body: str = Query(max_length=300),
                user: dict = Depends(auth.require_user)):
    body_key = body
    if fmt not in ("pdf", "docx"):
        raise ApiError(404, f"no export format {fmt!r}: pdf or docx")
    data = body_data(request, body_key, user)
    if fmt == "pdf":
        html = render(request, "body.html", {**data, "printing": True}).body.decode("utf-8")
        payload, mime = exports.pdf_of(html), "application/pdf"
    else:
        payload = exports.docx_of(data, request)
        mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return Response(payload, media_type=mime, headers={
        "Content-Disposition": f'attachment; filename="gongkai-audit.{fmt}"'})
