"""Who is asking: password hashes, session cookies, bearer tokens, CSRF and a login
rate limit.

Hashing is argon2-cffi's (a maintained implementation of the password-hashing winner);
secrets come from :mod:`secrets`.  What is left here is wiring them to the request: a
session cookie (HttpOnly, SameSite=Lax) for pages, ``Authorization: Bearer`` for the API,
a per-session CSRF token checked on every state-changing request made with the cookie,
and a small sliding-window limiter of failed logins per client and name (in process
memory: one ``gongkai serve`` process is one limiter).
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request

from storage import accounts
from web.errors import ApiError

COOKIE = "gongkai_session"
LOGIN_COOKIE = "gongkai_login_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def check_login(db, name: str, password: str) -> dict | None:
    user = accounts.get_user(db, name)
    if user is None or not verify_password(user.get("password") or "", password):
        if user is None:  # spend the same time as a real check
            verify_password(_DUMMY_HASH, password)
        return None
    return user


_DUMMY_HASH = _hasher.hash("not a password")


class LoginLimiter:
    """At most ``limit`` failed logins per (client, name) and per client in ``window`` s."""

    def __init__(self, limit: int = 5, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _keys(self, client: str, name: str) -> tuple[str, str]:
        return f"{client}|{name}", f"{client}|*"

    def check(self, client: str, name: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key, cap in zip(self._keys(client, name), (self.limit, self.limit * 4)):
                q = self._fails[key]
                while q and q[0] < now - self.window:
                    q.popleft()
                if len(q) >= cap:
                    wait = int(q[0] + self.window - now) + 1
                    raise ApiError(429, f"too many failed logins; try again in {wait} s",
                                   headers={"Retry-After": str(wait)})

    def failed(self, client: str, name: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in self._keys(client, name):
                self._fails[key].append(now)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "?"


def current_user(request: Request) -> dict | None:
    """The user of this request (bearer token first, then session cookie), or None.

    Sets ``request.state.via`` to "token" or "cookie" and ``request.state.csrf``."""
    if hasattr(request.state, "user"):
        return request.state.user
    db = request.app.state.store.db
    user, via, csrf = None, None, None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        name = accounts.token_user(db, header[7:].strip())
        if name is None:
            raise ApiError(401, "invalid or revoked API token")
        user, via = accounts.get_user(db, name), "token"
    elif request.cookies.get(COOKIE):
        sess = accounts.session(db, request.cookies[COOKIE])
        if sess is not None:
            user, via, csrf = accounts.get_user(db, sess["user"]), "cookie", sess["csrf"]
    request.state.user, request.state.via, request.state.csrf = user, via, csrf
    return user


def require_user(request: Request) -> dict:
    """FastAPI dependency: a logged-in user; for cookie requests that change state, a
    valid CSRF token (form field ``csrf`` or header ``X-CSRF-Token``)."""
    user = current_user(request)
    if user is None:
        raise ApiError(401, "log in first (session cookie) or send Authorization: Bearer TOKEN")
    if request.method not in SAFE_METHODS and request.state.via == "cookie":
        sent = request.headers.get("x-csrf-token") or getattr(request.state, "form_csrf", None)
        if not sent or not secrets.compare_digest(str(sent), request.state.csrf or ""):
            raise ApiError(403, "missing or wrong CSRF token; reload the page", code="csrf")
    return user


def require_decider(request: Request) -> dict:
    """A user allowed to record decisions (auditor or admin)."""
    user = require_user(request)
    if user.get("role") not in ("auditor", "admin"):
        raise ApiError(403, "your role is read-only: only auditors and admins decide",
                       code="read_only")
    return user


def set_session_cookie(response, request: Request, secret: str) -> None:
    response.set_cookie(COOKIE, secret, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https",
                        max_age=accounts.SESSION_HOURS * 3600, path="/")
