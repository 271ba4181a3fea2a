"""One error shape for every error path of the app.

Every failure — an unknown page, a missing login, a forbidden action, a query parameter
that does not validate, a body over the size limit, too many logins, an unexpected
exception — answers ``{"error": {"status", "code", "message", "detail"}}``.  Browsers
asking for a page get the same fields rendered as an HTML page (and a login redirect for
401); everything else, and everything under ``/api``, gets the JSON.

FastAPI's own handlers answer in three different shapes (``detail`` strings, lists,
Starlette's plain text), hence these few handlers.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("gongkai.web")

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 413: "too_large", 422: "invalid", 429: "rate_limited",
         500: "internal"}


class ApiError(Exception):
    """An error with a status, a stable code and a message a person can act on."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 detail: object = None, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or CODES.get(status, "error")
        self.detail, self.headers = detail, headers or {}


def body(status: int, code: str, message: str, detail: object = None) -> dict:
    return {"error": {"status": status, "code": code, "message": message, "detail": detail}}


def wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api") or request.url.path == "/openapi.json":
        return False
    return "text/html" in request.headers.get("accept", "")


def respond(request: Request, err: ApiError) -> Response:
    if wants_html(request):
        if err.status == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        from web.pages import render_error

        return render_error(request, err)
    return JSONResponse(body(err.status, err.code, err.message, err.detail),
                        status_code=err.status, headers=err.headers)


def _validation_detail(exc: RequestValidationError) -> list[dict]:
    return [{"loc": [str(x) for x in e.get("loc", ())], "msg": e.get("msg"),
             "type": e.get("type")} for e in exc.errors()]


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError):
        return respond(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "")
        return respond(request, ApiError(exc.status_code, message,
                                         headers=getattr(exc, "headers", None)))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return respond(request, ApiError(422, "invalid request parameters",
                                         detail=_validation_detail(exc)))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return respond(request, ApiError(500, "internal error; the server log has the details"))
