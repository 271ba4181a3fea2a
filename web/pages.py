"""Rendering pages: one Jinja2 environment (autoescape on for every template), the
context every page gets (user, language, CSRF token, the translator), and the HTML
form of the one error shape."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import Request
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
