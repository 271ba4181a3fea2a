"""The ASGI app of ``gongkai serve``: one FastAPI app over one Store.

Pages (HTML) and their JSON twins under ``/api`` are in the ``routes_*`` modules, one per
page kind; this module wires them, the error handlers, the request size limit and the
static files (everything the pages load is served from ``web/static``: no CDN).
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from storage.queue_index import QueueIndex
from web import errors
from web.auth import LoginLimiter
from web.errors import ApiError

STATIC = Path(__file__).with_name("static")
MAX_BODY_BYTES = 1024 * 1024


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 (by Content-Length up front,
    and by counting when the body is streamed without one).  Starlette and uvicorn have
    no body-size limit of their own."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or {}).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await self._refuse(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise ApiError(413, self._message())
            return message

        return await self.app(scope, counted, send)

    def _message(self) -> str:
        return f"request body over the limit of {self.limit} bytes"

    async def _refuse(self, scope, receive, send):
        from fastapi.responses import JSONResponse

        resp = JSONResponse(errors.body(413, "too_large", self._message()), status_code=413)
        await resp(scope, receive, send)


def create_app(store, *, max_body: int = MAX_BODY_BYTES,
               limiter: LoginLimiter | None = None) -> FastAPI:
    from storage import audit
    from web import (routes_body, routes_finding, routes_misc, routes_queue, routes_research,
                     routes_stats)

    app = FastAPI(title="gongkai review", version="1", docs_url=None, redoc_url=None,
                  description="Auditors' review of findings. Every page has a JSON twin "
                              "under /api; errors are {error: {status, code, message, "
                              "detail}}. Authenticate with a session cookie (pages) or "
                              "Authorization: Bearer TOKEN (POST /api/token). Researchers "
                              "query reports, cells, claims, commitments and findings "
                              "under /api/{collection} (read-only).")
    app.state.store = store
    app.state.limiter = limiter or LoginLimiter()
    app.state.queue_index = QueueIndex()
    errors.install(app)
    for module in (routes_misc, routes_queue, routes_finding, routes_body, routes_research,
                   routes_stats):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_middleware(BodyLimit, limit=max_body)
    audit.backfill(store.db)
    return app
