"""An auditor scoped to a province sees the reports of every body in it, also when the body
name prints no province ("淮安市洪泽区民政局" is in 江苏省): the province comes from the
gazetteer at extraction, is stored on the report and its findings by the real ingest, and
the review app's scope test reads it.  Real embedded store, real CLI, no mocks."""
from __future__ import annotations

import os
import subprocess
import uuid

import pymongo
import pytest
from fastapi.testclient import TestClient

from storage import audit
from storage.store import Store
from tests.conftest import ROOT, run_cli
from tests.web_support import PASSWORD, SEED
from web.app import create_app

HUAIAN = "淮安市洪泽区民政局"
USERS = {"su": ["江苏省"], "zhe": ["浙江省"], "jiang": ["平江"], "ana": []}


@pytest.fixture(scope="module")
def scoped_store(mongo_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("scope")
    db_name = "gk_scope_" + uuid.uuid4().hex[:10]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(GONGKAI_MONGO_URL=mongo_url, GONGKAI_DB_NAME=db_name,
               GONGKAI_DATA_DIR=str(folder / "data"), GONGKAI_NER="false", GONGKAI_WORKERS="1")
    huaian = folder / "2018_huaian_hongze_mzj.txt"  # another year: no near-duplicate
    huaian.write_text(f"{HUAIAN}2018年政府信息公开工作年度报告\n"
                      + SEED.read_text("utf-8").replace("2017", "2018"), "utf-8")
    res = run_cli(["ingest", str(SEED), str(huaian), "--json"], env)
    assert res.returncode == 0, res.stderr + res.stdout
    for name, regions in USERS.items():
        args = ["users", "add", name, "--role", "auditor", "--password-stdin"]
        for r in regions:
            args += ["--region", r]
        done = subprocess.run([os.sys.executable, "-m", "gongkai", *args], env=env, cwd=ROOT,
                              input=PASSWORD + "\n", capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, done.stderr
    client = pymongo.MongoClient(mongo_url, tz_aware=True)
    store = Store(client, db_name)
    yield store
    client.drop_database(db_name)
    client.close()


@pytest.fixture(scope="module")
def api(scoped_store):
    app = create_app(scoped_store)
    client = TestClient(app, raise_server_exceptions=False)
    headers = {}
    for name in USERS:
        r = client.post("/api/token", json={"name": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        headers[name] = {"Authorization": f"Bearer {r.json()['token']}"}
    return client, headers


ALL = {"status": ["fail", "warn", "not_assessable"],
       "state": ["open", "confirmed", "dismissed", "needs_info"], "per_page": 500}


def test_province_is_stored_on_the_report_and_its_findings(scoped_store):
    db = scoped_store.db
    rep = db.reports.find_one({"report.body": HUAIAN})["report"]
    assert rep["province"] == "江苏省" and rep["region"] == "淮安市洪泽区"
    assert {f.get("province") for f in db.findings.find({"body": HUAIAN})} == {"江苏省"}
    assert {c.get("province") for c in db.claims.find({"body": HUAIAN})} == {"江苏省"}
    pingjiang = db.reports.find_one({"report.body": "平江县民政局"})["report"]
    assert pingjiang["province"] is None  # a county alone: unknown, not guessed


def test_an_auditor_scoped_to_the_province_sees_its_bodies(api):
    client, h = api
    mine = client.get("/api/queue", headers=h["su"], params=ALL).json()
    assert mine["total"] > 0 and {i["body"] for i in mine["items"]} == {HUAIAN}
    item = mine["items"][0]
    assert client.get(f"/api/findings/{item['_id']}", headers=h["su"]).status_code == 200
    assert client.get(f"/api/reports/{item['report_id']}/raw", headers=h["su"]).status_code == 200
    body = client.get(f"/api/bodies/{item['body_key']}", headers=h["su"])
    assert body.status_code == 200 and body.json()["years"] == [2018]
    listed = client.get("/api/bodies", headers=h["su"]).json()["bodies"]
    assert [(b["body"], b["province"]) for b in listed] == [(HUAIAN, "江苏省")]


def test_the_queue_filters_by_province(api):
    client, h = api
    for province, bodies in (("江苏省", {HUAIAN}), ("江苏", {HUAIAN}), ("浙江省", set())):
        got = client.get("/api/queue", headers=h["ana"], params={**ALL, "province": province})
        assert got.status_code == 200 and {i["body"] for i in got.json()["items"]} == bodies


def test_the_queue_page_offers_the_provinces_it_holds(api):
    """The queue's province field lists the provinces of the findings in the auditor's
    scope, and choosing one keeps it selected and filters the rows."""
    client, h = api
    options = client.get("/api/queue", headers=h["ana"], params=ALL).json()["options"]
    assert options["province"] == ["江苏省"]
    page = client.get("/queue", headers=h["ana"], params={**ALL, "province": "江苏省"}).text
    assert '<select name="province"' in page and '<option value="江苏省" selected>' in page
    assert HUAIAN in page and "平江县民政局" not in page
    assert client.get("/api/queue", headers=h["zhe"], params=ALL).json()["options"]["province"] == []


def test_other_provinces_auditors_do_not(api):
    client, h = api
    item = client.get("/api/queue", headers=h["su"], params=ALL).json()["items"][0]
    assert client.get("/api/queue", headers=h["zhe"], params=ALL).json()["total"] == 0
    for name in ("zhe", "jiang"):
        r = client.get(f"/api/findings/{item['_id']}", headers=h[name])
        assert r.status_code == 403 and r.json()["error"]["code"] == "out_of_scope"
        assert client.get(f"/api/reports/{item['report_id']}/raw", headers=h[name]).status_code == 403
    jiang = client.get("/api/queue", headers=h["jiang"], params=ALL).json()
    assert jiang["total"] > 0 and {i["body"] for i in jiang["items"]} == {"平江县民政局"}


def test_backfill_gives_findings_stored_before_the_field_their_province(scoped_store):
    db = scoped_store.db
    rid = db.reports.find_one({"report.body": HUAIAN})["_id"]
    db.reports.update_one({"_id": rid}, {"$unset": {"report.province": ""}})
    db.findings.update_many({"report_id": rid}, {"$unset": {"province": ""}})
    assert audit.backfill(db) >= 1
    assert db.reports.find_one({"_id": rid})["report"]["province"] == "江苏省"
    assert {f.get("province") for f in db.findings.find({"report_id": rid})} == {"江苏省"}
    assert audit.backfill(db) == 0  # a no-op once done
