"""Rendering pages: one Jinja2 environment (autoescape on for every template), the
context every page gets (user, language, CSRF token, the translator), and the HTML
form of the one error shape, and ``twin``: a page and its JSON twin from one data function."""
from __future__ import annotations

from functools import lru_cache, wraps
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader

from web.i18n import translator

TEMPLATES = Path(__file__).with_name("templates")


@lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                    trim_blocks=True, lstrip_blocks=True)
    e.filters["qs"] = lambda d: urlencode([(k, v) for k, v in d.items()
                                           if v not in (None, "", [])], doseq=True)
    e.filters["q"] = lambda v: quote(str(v or ""), safe="")
    return e


def lang_of(request: Request) -> str:
    user = getattr(request.state, "user", None)
    return (user or {}).get("lang") or "zh"


def render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    lang = lang_of(request)
    ctx = {"request": request, "user": getattr(request.state, "user", None), "lang": lang,
           "t": translator(lang), "csrf": getattr(request.state, "csrf", None) or "",
           "path": request.url.path, **context}
    html = env().get_template(name).render(**ctx)
    return HTMLResponse(html, status_code=status,
                        headers={"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
                                 "X-Content-Type-Options": "nosniff"})


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def render_error(request: Request, err) -> HTMLResponse:
    return render(request, "error.html", {"error": {"status": err.status, "code": err.code,
                                                     "message": err.message,
                                                     "detail": err.detail}},
                  status=err.status)


def twin(router: APIRouter, path: str, template: str, summary: str, page_context=None):
    """Register the decorated data function as ``GET /api{path}`` (documented, returning its
    dict) and as the page ``GET {path}`` rendering ``template`` with the same dict, so a
    page and its JSON twin cannot drift.  ``page_context(data, **params)`` adds what only
    the page needs (e.g. the query string of its links).  The page route has the data
    function's signature (``wraps``), so FastAPI validates both routes' parameters alike."""
    def register(fn):
        router.get("/api" + path, summary=summary)(fn)

        @wraps(fn)
        def page(**params):
            data = fn(**params)
            context = page_context(data, **params) if page_context else data
            return render(params["request"], template, context)

        router.get(path, include_in_schema=False)(page)
        return fn
    return register
