"""The review app's commands through the real CLI: ``users add`` (idempotent, hashed,
region scope), ``users token``, ``evaluate --reviews`` after real decisions."""
from __future__ import annotations

import json
import subprocess
import sys

import pymongo
import pytest

from storage import review
from tests.conftest import ROOT, run_cli
from tests.web_support import web_db  # noqa: F401  (fixture)


def users_add(env, *args, password="a long password"):
    return subprocess.run([sys.executable, "-m", "gongkai", "users", "add", *args,
                           "--password-stdin"], env=env, cwd=ROOT, input=password + "\n",
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def db(web_db):
    client = pymongo.MongoClient(web_db["mongo_url"], tz_aware=True)
    yield client[web_db["db_name"]]
    client.close()


def test_users_add_is_idempotent_and_scoped(web_db, db):
    env = web_db["env"]
    first = users_add(env, "sue", "--role", "auditor", "--region", "江苏", "--region", "淮安")
    assert first.returncode == 0 and first.stdout.startswith("created sue")
    again = users_add(env, "sue", "--role", "researcher")
    assert again.returncode == 0 and again.stdout.startswith("updated sue")
    doc = db.users.find_one({"_id": "sue"})
    assert doc["role"] == "researcher" and doc["regions"] == []
    assert doc["password"].startswith("$argon2")
    listed = [json.loads(x) for x in run_cli(["users", "list"], env).stdout.splitlines()]
    assert {"name": "sue", "role": "researcher", "regions": [], "lang": "zh"} in listed


def test_users_add_refuses_bad_input(web_db):
    env = web_db["env"]
    assert users_add(env, "tom", "--role", "auditor", password="short").returncode == 2
    assert users_add(env, "tom", "--role", "boss").returncode == 2


def test_users_token(web_db, db):
    res = run_cli(["users", "token", "ann"], web_db["env"])
    assert res.returncode == 0
    token = res.stdout.strip()
    assert len(token) > 30 and db.tokens.find_one({"user": "ann", "label": "cli"})
    assert run_cli(["users", "token", "nobody"], web_db["env"]).returncode == 1


def test_evaluate_reviews_counts_decisions_per_rule(web_db, db):
    ann = db.users.find_one({"_id": "ann"})
    docs = list(db.findings.find({"review.state": "open", "status": {"$ne": "not_assessable"}})
                .sort("_id", 1).limit(3))
    assert len(docs) == 3
    review.decide(db, docs[0]["_id"], "confirm", ann)
    review.decide(db, docs[1]["_id"], "dismiss", ann, "parse_error", "表格错位")
    review.decide(db, docs[2]["_id"], "dismiss", ann, "parse_error")
    res = run_cli(["evaluate", "--reviews", "--json"], web_db["env"])
    assert res.returncode == 0, res.stderr
    rows = {r["rule"]: r for r in map(json.loads, res.stdout.splitlines())}
    dismissed = sum(r["dismissed"] for r in rows.values())
    assert dismissed >= 2
    assert sum(r["reasons"].get("parse_error", 0) for r in rows.values()) >= 2
    assert rows[docs[0]["rule"]]["confirmed"] >= 1
    text = run_cli(["evaluate", "--reviews"], web_db["env"]).stdout
    assert text.splitlines()[0].startswith("rule") and "parse_error" in text
