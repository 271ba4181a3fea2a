"""Log in and out, API tokens, the current user, the language switch and the rule
reliability page (with its JSON twin)."""
from __future__ import annotations

import secrets
from typing import Literal
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from storage import accounts, audit
from web import auth
from web.errors import ApiError
from web.pages import render, twin
from web.params import TokenRequest

router = APIRouter()


def _db(request: Request):
    return request.app.state.store.db


def _safe_next(target: str | None) -> str:
    """Only same-site paths after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/queue"
    return target


@router.get("/", include_in_schema=False)
def home():
    return RedirectResponse("/queue", status_code=303)


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None):
    token = auth.new_secret()
    resp = render(request, "login.html", {"next": _safe_next(next), "login_csrf": token})
    resp.set_cookie(auth.LOGIN_COOKIE, token, httponly=True, samesite="lax", path="/login")
    return resp


@router.post("/login", include_in_schema=False)
async def login(request: Request):
    form = await request.form()
    name, password = str(form.get("name", ""))[:100], str(form.get("password", ""))[:1000]
    sent, expected = str(form.get("csrf", "")), request.cookies.get(auth.LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(sent, expected):
        raise ApiError(403, "login form expired; reload the page", code="csrf")
    try:
        user = _checked_login(request, name, password)
    except ApiError as err:
        if err.code != "bad_login":
            raise
        resp = render(request, "login.html", {"next": _safe_next(str(form.get("next") or "")),
                                              "login_csrf": expected, "failed": True},
                      status=401)
        return resp
    secret, csrf = auth.new_secret(), auth.new_secret()
    accounts.open_session(_db(request), secret, user["_id"], csrf)
    resp = RedirectResponse(_safe_next(str(form.get("next") or "")), status_code=303)
    auth.set_session_cookie(resp, request, secret)
    resp.delete_cookie(auth.LOGIN_COOKIE, path="/login")
    return resp


def _checked_login(request: Request, name: str, password: str) -> dict:
    limiter, client = request.app.state.limiter, auth.client_of(request)
    limiter.check(client, name)
    user = auth.check_login(_db(request), name, password)
    if user is None:
        limiter.failed(client, name)
        raise ApiError(401 if request.url.path.startswith("/api") else 403,
                       "wrong name or password", code="bad_login")
    return user


@router.post("/logout", include_in_schema=False)
async def logout(request: Request):
    form = await request.form()
    request.state.form_csrf = form.get("csrf")
    auth.require_user(request)
    accounts.close_session(_db(request), request.cookies.get(auth.COOKIE, ""))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(auth.COOKIE, path="/")
    return resp


@router.post("/api/token", summary="Exchange a name and password for a bearer token")
def api_token(request: Request, body: TokenRequest):
    user = _checked_login(request, body.name, body.password)
    secret = auth.new_secret()
    accounts.add_token(_db(request), secret, user["_id"], body.label)
    return {"token": secret, "user": user["_id"], "role": user["role"]}


@router.get("/api/me", summary="The logged-in user")
def api_me(user: dict = Depends(auth.require_user)):
    return {"name": user["_id"], "role": user["role"], "regions": user.get("regions") or [],
            "lang": user.get("lang") or "zh"}


@router.post("/lang", include_in_schema=False)
async def set_lang(request: Request):
    form = await request.form()
    request.state.form_csrf = form.get("csrf")
    user = auth.require_user(request)
    accounts.set_lang(_db(request), user["_id"], str(form.get("lang", "zh")))
    return RedirectResponse(_safe_next(str(form.get("next") or "")), status_code=303)


@router.post("/api/me/lang", summary="Set the interface language (zh or en)")
def api_set_lang(lang: Literal["zh", "en"], request: Request,
                 user: dict = Depends(auth.require_user)):
    accounts.set_lang(_db(request), user["_id"], lang)
    return {"lang": lang}


# ------------------------------------------------------------------------- rules
@twin(router, "/rules", "rules.html", "Rule reliability: decisions per rule version")
def api_rules(request: Request, user: dict = Depends(auth.require_user)):
    return {"rules": audit.reliability(_db(request))}

