"""Accounts of the review app: users, login sessions and API tokens (MongoDB side only).

Documents
- ``users``: ``_id`` = user name; ``role`` (admin / auditor / researcher), ``regions``
  (empty = everywhere), ``password`` (an argon2 hash made by ``web.auth``; this module
  never sees a password), ``lang`` (zh / en), ``created_at``.
- ``sessions``: ``_id`` = SHA-256 of the session cookie value; ``user``, ``csrf``,
  ``expires``.  The cookie itself is never stored.
- ``tokens``: ``_id`` = SHA-256 of a bearer token; ``user``, ``created_at``, ``label``.

Session and token secrets are random values made by the caller; only their hashes reach
the database, so a copy of the database does not let anyone log in.  (Auth libraries
for FastAPI bring their own user models and ORMs; three small collections are all this
needs.)
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from pymongo import ASCENDING
from pymongo.database import Database

ROLES = ("admin", "auditor", "researcher")
LANGS = ("zh", "en")
SESSION_HOURS = 12


def _now() -> datetime:
    return datetime.now(timezone.utc)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def indexes() -> list[tuple[str, list[tuple[str, int]]]]:
    """The accounts' indexes, (collection, keys), that ``Store.setup`` creates."""
    return [("sessions", [("user", ASCENDING)]), ("tokens", [("user", ASCENDING)])]


# ------------------------------------------------------------------------- users
def put_user(db: Database, name: str, role: str, password_hash: str,
             regions: list[str] | None = None, lang: str = "zh") -> bool:
    """Create or update a user; True when it was created."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}")
    doc = {"role": role, "regions": [str(r) for r in regions or []],
           "password": password_hash, "lang": lang}
    res = db.users.update_one({"_id": str(name)},
                              {"$set": doc, "$setOnInsert": {"created_at": _now()}},
                              upsert=True)
    return res.upserted_id is not None


def get_user(db: Database, name: str) -> dict | None:
    return db.users.find_one({"_id": str(name)})


def set_password(db: Database, name: str, password_hash: str) -> None:
    db.users.update_one({"_id": str(name)}, {"$set": {"password": password_hash}})


def set_lang(db: Database, name: str, lang: str) -> None:
    if lang in LANGS:
        db.users.update_one({"_id": str(name)}, {"$set": {"lang": lang}})


def list_users(db: Database) -> list[dict]:
    return list(db.users.find({}, {"password": 0}).sort("_id", 1))


# ------------------------------------------------------------------------- sessions
def open_session(db: Database, secret: str, user: str, csrf: str) -> None:
    db.sessions.insert_one({"_id": digest(secret), "user": str(user), "csrf": csrf,
                            "created_at": _now(),
                            "expires": _now() + timedelta(hours=SESSION_HOURS)})


def session(db: Database, secret: str) -> dict | None:
    """The live session of a cookie value, or None (expired sessions are removed)."""
    doc = db.sessions.find_one({"_id": digest(str(secret))})
    if doc is None:
        return None
    if doc["expires"] < _now():
        db.sessions.delete_one({"_id": doc["_id"]})
        return None
    return doc


def close_session(db: Database, secret: str) -> None:
    db.sessions.delete_one({"_id": digest(str(secret))})


# ------------------------------------------------------------------------- tokens
def add_token(db: Database, secret: str, user: str, label: str = "") -> None:
    db.tokens.insert_one({"_id": digest(secret), "user": str(user), "label": label,
                          "created_at": _now()})


def token_user(db: Database, secret: str) -> str | None:
    doc = db.tokens.find_one({"_id": digest(str(secret))})
    return doc["user"] if doc else None
