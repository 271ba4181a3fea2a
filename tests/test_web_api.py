"""The review app's JSON API and pages against a real embedded store (no mocks): the one
error shape, authentication and roles, region scope, escaping, typed parameters, the
queue, decisions and the audit trail, re-evaluation, exports."""
from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from storage import queue_index, review
from tests.conftest import open_store
from tests.web_support import PASSWORD, SCRIPT_TEXT, web_db  # noqa: F401  (fixture)
from web.app import create_app
from web.auth import LoginLimiter

ERROR_KEYS = {"status", "code", "message", "detail"}


@pytest.fixture(scope="module")
def store(web_db):
    with open_store(web_db["mongo_url"], web_db["db_name"]) as s:
        yield s


@pytest.fixture(scope="module")
def app(store):
    return create_app(store, max_body=64 * 1024, limiter=LoginLimiter(limit=3, window=60))


@pytest.fixture(scope="module")
def tokens(app):
    client = TestClient(app)
    out = {}
    for name in ("admin", "ann", "jiang", "xin", "rita"):
        r = client.post("/api/token", json={"name": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        out[name] = {"Authorization": f"Bearer {r.json()['token']}"}
    return out


@pytest.fixture
def client(app):
    return TestClient(app, raise_server_exceptions=False)


def assert_error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert set(err) == ERROR_KEYS and err["status"] == status and err["message"]
    if code:
        assert err["code"] == code
    return err


def first(client, headers, **params) -> dict:
    r = client.get("/api/queue", headers=headers, params=params)
    assert r.status_code == 200, r.text
    assert r.json()["items"], r.json()
    return r.json()["items"][0]


# ------------------------------------------------------------------ error shape
def test_every_error_path_has_one_shape(client, tokens, app, store):
    ann = tokens["ann"]
    assert_error(client.get("/api/no-such-thing", headers=ann), 404, "not_found")
    assert_error(client.get("/api/findings/0123456789abcdef0123", headers=ann), 404)
    assert_error(client.get("/api/queue"), 401, "unauthorized")
    assert_error(client.get("/api/queue", headers={"Authorization": "Bearer nope"}), 401)
    fid = first(client, ann)["_id"]
    assert_error(client.post(f"/api/findings/{fid}/decision", headers=tokens["rita"],
                             json={"action": "confirm"}), 403, "read_only")
    err = assert_error(client.get("/api/queue", headers=ann, params={"year": "x"}), 422,
                       "invalid")
    assert err["detail"][0]["loc"] == ["query", "year"]
    assert_error(client.post("/api/token", content=b"x" * 70000,
                             headers={"Content-Type": "application/json"}), 413, "too_large")
    assert_error(client.get("/api/queue", headers=ann, params={"sort": "x"}), 422)


def test_rate_limit_and_internal_error_have_the_shape(app, store):
    limited = create_app(store, limiter=LoginLimiter(limit=2, window=60))
    c = TestClient(limited, raise_server_exceptions=False)
    for _ in range(2):
        assert_error(c.post("/api/token", json={"name": "ann", "password": "wrong"}), 401)
    err = assert_error(c.post("/api/token", json={"name": "ann", "password": PASSWORD}), 429,
                       "rate_limited")
    assert "try again" in err["message"]

    @limited.get("/api/boom")
    def boom():
        raise RuntimeError("boom")

    assert_error(c.get("/api/boom"), 500, "internal")


def test_openapi_documents_every_api_route(client, app):
    spec = client.get("/openapi.json").json()
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    from web import routes_body, routes_finding, routes_misc, routes_queue

    api_routes = [r for m in (routes_body, routes_finding, routes_misc, routes_queue)
                  for r in m.router.routes if r.path.startswith("/api")]
    assert len(api_routes) >= 12
    for route in api_routes:
        path = route.path.replace(":path}", "}")
        for method in route.methods - {"HEAD"}:
            assert (path, method) in documented, (path, method)
    assert all(p.startswith("/api") for p, _ in documented)
    assert not client.get("/docs").status_code == 200  # no CDN-loaded Swagger UI


def test_researcher_cannot_bulk_decide(client, tokens):
    assert_error(client.post("/api/decisions", headers=tokens["rita"],
                             json={"action": "confirm"}), 403, "read_only")


def test_every_page_has_a_json_twin(client, tokens):
    ann = tokens["ann"]
    item = first(client, ann)
    for page, twin in (("/queue", "/api/queue"), (f"/findings/{item['_id']}",
                                                  f"/api/findings/{item['_id']}"),
                       ("/bodies", "/api/bodies"), (f"/bodies/{item['body_key']}",
                                                    f"/api/bodies/{item['body_key']}"),
                       ("/rules", "/api/rules")):
        assert client.get(page, headers=ann).headers["content-type"].startswith("text/html")
        assert client.get(twin, headers=ann).headers["content-type"] == "application/json"


# ------------------------------------------------------------------ security
def test_markup_in_title_body_and_text_is_escaped(client, tokens):
    ann = tokens["ann"]
    item = first(client, ann, body='平江县民政局',
                 code="STRUCT.ANNOUNCED")
    html = client.get(f"/findings/{item['_id']}", headers=ann).text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#39;b&#39;)" in html  # the text window near the span
    queue_html = client.get("/queue", headers=ann).text
    assert "<script>alert" not in queue_html  # the body name is read without its markup
    assert "script-src 'self'" in client.get("/queue", headers=ann).headers["content-security-policy"]


def test_query_values_never_become_operators(client, tokens):
    ann = tokens["ann"]
    r = client.get("/api/queue", headers=ann, params={"body": '{"$ne": null}'})
    assert r.status_code == 200 and r.json()["total"] == 0
    r = client.get("/api/queue", headers=ann, params={"region": ".*"})
    assert r.status_code == 200 and r.json()["total"] == 0  # a prefix, escaped
    assert_error(client.get("/api/queue?code[$ne]=x", headers=ann), 422)
    assert_error(client.post("/api/decisions", headers=ann,
                             json={"action": "confirm", "filter": {"body": {"$ne": None}}}), 422)


def test_region_scope(client, tokens):
    jiang, xin = tokens["jiang"], tokens["xin"]
    mine = client.get("/api/queue", headers=jiang, params={"status": ["fail", "warn", "not_assessable"]}).json()
    assert mine["total"] > 0 and all("平江" in i["body"] for i in mine["items"])
    other = first(client, xin)
    assert "平新" in other["body"]
    assert_error(client.get(f"/api/findings/{other['_id']}", headers=jiang), 403, "out_of_scope")
    assert_error(client.post(f"/api/findings/{other['_id']}/decision", headers=jiang,
                             json={"action": "confirm"}), 403, "out_of_scope")
    assert_error(client.get(f"/api/reports/{other['report_id']}/raw", headers=jiang), 403)
    assert client.get(f"/api/bodies/{other['body_key']}", headers=jiang).status_code == 404


def test_cookie_session_needs_csrf_for_changes(app, tokens):
    c = TestClient(app, raise_server_exceptions=False)
    page = c.get("/login")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    assert_error(c.post("/login", data={"name": "ann", "password": PASSWORD, "csrf": "bad"},
                        headers={"Accept": "application/json"}), 403, "csrf")
    r = c.post("/login", data={"name": "ann", "password": PASSWORD, "csrf": token},
               follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    fid = first(c, {})["_id"]
    assert_error(c.post(f"/api/findings/{fid}/decision", json={"action": "needs_info"}), 403,
                 "csrf")
    csrf = c.get("/queue").text.split('name="csrf-token" content="')[1].split('"')[0]
    r = c.post(f"/api/findings/{fid}/decision", json={"action": "needs_info"},
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["review"]["state"] == "needs_info"


def test_passwords_are_hashed_and_sessions_stored_as_hashes(store):
    user = store.db.users.find_one({"_id": "ann"})
    assert user["password"].startswith("$argon2") and PASSWORD not in user["password"]
    assert all(len(t["_id"]) == 64 for t in store.db.tokens.find())


# ------------------------------------------------------------------ queue and decisions
def test_queue_filters_counts_and_not_assessable_hidden(client, tokens):
    ann = tokens["ann"]
    data = client.get("/api/queue", headers=ann, params={"per_page": 500}).json()
    assert data["total"] and {i["status"] for i in data["items"]} <= {"fail", "warn"}
    assert sum(data["rules"].values()) == data["total"]
    na = client.get("/api/queue", headers=ann, params={"status": "not_assessable"}).json()
    assert na["total"] > 0 and {i["status"] for i in na["items"]} == {"not_assessable"}
    year = client.get("/api/queue", headers=ann, params={"year": 2017}).json()
    assert year["total"] and {i["year"] for i in year["items"]} == {2017}
    tmpl = client.get("/api/queue", headers=ann, params={"template": "2021"}).json()
    assert {i["template"] for i in tmpl["items"]} <= {"2021"}
    ranks = [review.SEVERITY_RANK[i["severity"]] for i in data["items"]]
    assert ranks == sorted(ranks)
    by_year = client.get("/api/queue", headers=ann, params={"sort": "year", "desc": True}).json()
    years = [i["year"] for i in by_year["items"]]
    assert years == sorted(years, reverse=True)


def test_decision_trail_and_queue(client, tokens, store):
    ann = tokens["ann"]
    item = first(client, ann, body="平新县司法局", status="fail")
    fid = item["_id"]
    before = client.get("/api/queue", headers=ann).json()["total"]
    assert_error(client.post(f"/api/findings/{fid}/decision", headers=ann,
                             json={"action": "dismiss"}), 422)
    r = client.post(f"/api/findings/{fid}/decision", headers=ann,
                    json={"action": "dismiss", "reason": "different_basis", "note": "口径"})
    assert r.status_code == 200 and r.json()["review"]["state"] == "dismissed"
    r = client.post(f"/api/findings/{fid}/decision", headers=ann, json={"action": "confirm"})
    trail = r.json()["trail"]
    assert [e["action"] for e in trail][-2:] == ["dismiss", "confirm"]
    assert trail[-2]["reason"] == "different_basis" and trail[-2]["by"] == "ann"
    assert trail[-1]["rule"] == item["rule"] if "rule" in item else True
    after = client.get("/api/queue", headers=ann).json()
    assert after["total"] == before - 1 and after["states"]["confirmed"] >= 1
    ids = [i["_id"] for i in client.get("/api/queue", headers=ann,
                                        params={"per_page": 500}).json()["items"]]
    assert fid not in ids
    rules = {r["rule"]: r for r in client.get("/api/rules", headers=ann).json()["rules"]}
    assert rules[trail[-1]["rule"]]["confirmed"] >= 1


def test_bulk_decision_on_a_filter(client, tokens):
    admin = tokens["admin"]
    item = first(client, admin, body="平新县司法局")
    flt = {"body": "平新县司法局", "year": item["year"], "code": item["code"]}
    n = client.get("/api/queue", headers=admin, params=flt).json()["total"]
    assert n > 0
    r = client.post("/api/decisions", headers=admin,
                    json={"action": "dismiss", "reason": "not_applicable", "filter": flt})
    assert r.status_code == 200 and r.json()["decided"] == n
    assert client.get("/api/queue", headers=admin, params=flt).json()["total"] == 0


def test_reviews_survive_reevaluation_and_reopen_on_change(store, client, tokens):
    ann = tokens["ann"]
    item = first(client, ann, body="平新县司法局")
    client.post(f"/api/findings/{item['_id']}/decision", headers=ann, json={"action": "confirm"})
    doc = store.db.findings.find_one({"_id": item["_id"]})
    base = {k: doc[k] for k in ("body", "body_key", "year", "region", "template", "versions")}
    others = [f for f in store.db.findings.find({"report_id": doc["report_id"],
                                                "scope": doc["scope"]})]
    keep = [{k: v for k, v in f.items() if k not in ("_id", "review", "basis")} for f in others]
    store.replace_findings(doc["report_id"], keep, base, scope=doc["scope"],
                           prev_report_id=doc.get("prev_report_id"))
    assert store.db.findings.find_one({"_id": item["_id"]})["review"]["state"] == "confirmed"
    changed = [dict(f, rule=f["rule"].split("@")[0] + "@99") if f["rule"] == doc["rule"] else f
               for f in keep]
    store.replace_findings(doc["report_id"], changed, base, scope=doc["scope"],
                           prev_report_id=doc.get("prev_report_id"))
    now = store.db.findings.find_one({"_id": item["_id"]})
    assert now["review"]["state"] == "open" and now["review"]["previous"] == "confirmed"
    trail = review.trail(store.db, item["_id"])
    assert [e["action"] for e in trail][-2:] == ["confirm", "reopen"]
    assert trail[-1]["by"] == "system"


@pytest.fixture
def jiangsu_findings(store):
    """Findings of a body whose name prints no province (淮安市洪泽区 is in 江苏省), for the
    scope-by-province cases; removed afterwards so the other tests see the store as built."""
    base = {"body": "淮安市洪泽区人民政府", "body_key": "淮安市洪泽区人民政府", "year": 2019,
            "region": "淮安市洪泽区", "province": "江苏省", "level": "district",
            "template": "2019trial"}
    store.replace_findings("probe-huaian", [
        {"code": "T3.TOTAL", "status": "fail", "severity": "high", "cells": []},
        {"code": "X.PROBE", "status": "warn", "severity": "low", "cells": []}], base, "report")
    yield base
    store.db.findings.delete_many({"report_id": "probe-huaian"})
    queue_index.bump(store.db)


@pytest.mark.parametrize("flt", [
    {}, {"status": ["not_assessable"]}, {"state": []}, {"sort": "year", "desc": True},
    {"sort": "body"}, {"sort": "code", "desc": True}, {"sort": "region"}, {"year": 2019},
    {"region": "平新"}, {"province": "江苏"}, {"template": "2021", "severity": ["high"]}, {"per_page": 3, "page": 2},
    {"code": "T3.TOTAL", "state": ["open", "confirmed", "dismissed", "needs_info"]},
], ids=repr)
@pytest.mark.parametrize("regions", [[], ["平江"], ["江苏省"], ["江苏", "平江"]], ids=repr)
def test_in_memory_queue_index_agrees_with_the_store_query(store, flt, regions, jiangsu_findings):
    from storage.queue_index import QueueIndex

    f = review.QueueFilter(**flt)
    want, got = review.queue(store.db, f, regions), QueueIndex(0).queue(store.db, f, regions)
    assert [i["_id"] for i in got["items"]] == [i["_id"] for i in want["items"]]
    assert got["total"] == want["total"] and got["rules"] == want["rules"]
    assert {k: v for k, v in got["states"].items()} == want["states"]
    assert QueueIndex().values(store.db, regions) == review.filter_values(store.db, regions)


@pytest.mark.parametrize("regions, seen", [
    (["江苏省"], True), (["江苏"], True), (["淮安"], True), (["浙江省"], False)], ids=repr)
def test_scope_by_province(store, jiangsu_findings, regions, seen):
    """An auditor scoped to 江苏省 sees 淮安市洪泽区's findings (the body name prints no
    province; the stored province does), in the store query and the in-memory index."""
    from storage.queue_index import QueueIndex

    f = review.QueueFilter(status=list(review.STATUSES), state=list(review.STATES))
    for answer in (review.queue(store.db, f, regions), QueueIndex(0).queue(store.db, f, regions)):
        bodies = {i["body"] for i in answer["items"]}
        assert bodies == ({"淮安市洪泽区人民政府"} if seen else set())
        assert answer["total"] == (2 if seen else 0)


def test_queue_index_follows_other_writers(store):
    from storage.queue_index import QueueIndex

    index = QueueIndex(min_reload=0)
    before = index.queue(store.db, review.QueueFilter(), [])["total"]
    fid = index.queue(store.db, review.QueueFilter(), [])["items"][0]["_id"]
    review.decide(store.db, fid, "needs_info", {"_id": "other-process", "role": "auditor"})
    assert index.queue(store.db, review.QueueFilter(), [])["total"] == before - 1



def test_queue_index_follows_related_findings_dropped_by_a_writer(store):
    """A re-evaluated report drops its cross-year findings in another process: the
    serving process's queue no longer lists them (it was up to MAX_AGE stale)."""
    from storage.queue_index import QueueIndex

    index = QueueIndex(min_reload=0)
    f = review.QueueFilter(code="X.PROBE", state=list(review.STATES))
    base = {"body": "探针县测试局", "body_key": "探针县测试局", "year": 2020, "region": "",
            "level": "县级", "template": "2019", "severity": "warning"}
    store.replace_findings("probe-report", [{"code": "X.PROBE", "status": "warn", "cells": []}],
                           base, "cross_year", prev_report_id="probe-prev")
    assert index.queue(store.db, f, [])["total"] == 1
    store.drop_related(["probe-report"])
    assert index.queue(store.db, f, [])["total"] == 0

# ------------------------------------------------------------------ evidence and exports
def test_finding_evidence(client, tokens):
    ann = tokens["ann"]
    item = first(client, ann, code="P.PROACTIVE.CHANNEL_LE_TOTAL",
                 body='平江县民政局',
                 state=["open", "confirmed", "dismissed", "needs_info"])
    data = client.get(f"/api/findings/{item['_id']}", headers=ann).json()
    assert data["finding"]["expression"] == "980 ≤ 128 ✗"
    involved = [c for g in data["tables"] for r in g["rows"] for c in r["cells"] if c["involved"]]
    assert sorted(c["raw"] for c in involved) == ["128", "980"]
    assert data["rule"]["ref"] == data["finding"]["rule"] and data["rule"]["terms"]
    html = client.get(f"/findings/{item['_id']}", headers=ann).text
    assert html.count('cell-involved"') >= 2 or html.count("cell-involved") >= 2
    raw = client.get(f"/api/reports/{item['report_id']}/raw", headers=ann)
    assert raw.status_code == 200 and "attachment" in raw.headers["content-disposition"]
    assert SCRIPT_TEXT.encode() in raw.content


def test_cross_year_finding_shows_last_year(client, tokens):
    ann = tokens["ann"]
    items = client.get("/api/queue", headers=ann, params={
        "body": "平新县司法局", "status": ["fail", "warn", "not_assessable"],
        "state": ["open", "confirmed", "dismissed", "needs_info"], "per_page": 500}).json()["items"]
    cross = [i for i in items if i["code"] == "X.CARRIED_OVER"]
    assert cross and cross[0]["year"] == 2020 and cross[0]["scope"] == "cross_year"
    data = client.get(f"/api/findings/{cross[0]['_id']}", headers=ann).json()
    assert data["other"]["year"] == 2019
    assert [(r["prev"]["key"], r["prev"]["raw"], r["cur"]["key"], r["cur"]["raw"])
            for r in data["carried"]] == [("t3.carry_forward", "0", "t3.carried_over", "2")]
    prev_involved = [c for g in data["other_tables"] for r in g["rows"] for c in r["cells"]
                     if c["involved"]]
    assert prev_involved and all(c["raw"] == "0" for c in prev_involved)
    html = client.get(f"/findings/{cross[0]['_id']}", headers=ann).text
    assert "2019" in html and "cell-involved" in html


def test_near_duplicate_shows_both_texts_with_shared_passages(client, tokens):
    ann = tokens["ann"]
    item = first(client, ann, code="X.DUPLICATE", body="平江县财政局")
    data = client.get(f"/api/findings/{item['_id']}", headers=ann).json()
    shared = data["shared"]
    assert data["other"]["body"].startswith("平江县民政局") and shared["share"] > 0.8
    marked = "".join(p["text"] for p in shared["this"] if p["mark"])
    assert "政务微信公开政府信息数" in marked
    assert any(not p["mark"] for p in shared["this"])  # the differing title is not marked
    html = client.get(f"/findings/{item['_id']}", headers=ann).text
    assert 'id="dup-this"' in html and 'id="dup-other"' in html and "<mark" in html


def test_a_cut_near_duplicate_check_is_shown_on_the_finding_and_body_pages(client, tokens, store):
    """A report whose near-duplicate candidates were past the cap carries the stored
    ``truncated`` mark on its near-duplicate finding's page and its body's page."""
    from extractors.related import truncated_mark

    ann = tokens["ann"]
    item = first(client, ann, code="X.DUPLICATE", body="平江县财政局")
    before = client.get(f"/api/findings/{item['_id']}", headers=ann).json()
    assert before["report"].get("duplicate_check") is None
    assert 'id="dup-cut"' not in client.get(f"/findings/{item['_id']}", headers=ann).text
    mine, other = before["finding"]["report_id"], before["finding"]["prev_report_id"]
    store.set_duplicate_check(mine, truncated_mark(3, 3))
    store.set_duplicate_check(other, truncated_mark(3, 3))
    try:
        data = client.get(f"/api/findings/{item['_id']}", headers=ann).json()
        assert data["report"]["duplicate_check"]["status"] == "truncated"
        assert data["other"]["duplicate_check"]["cap"] == 3
        html = client.get(f"/findings/{item['_id']}", headers=ann).text
        assert 'id="dup-cut"' in html and 'id="dup-cut-other"' in html and "截断" in html
        body = client.get(f"/api/bodies/{item['body_key']}", headers=ann).json()
        row = next(r for r in body["reports"] if r["id"] == mine)
        assert row["duplicate_check"]["status"] == "truncated"
        assert "dup-cut" in client.get(f"/bodies/{item['body_key']}", headers=ann).text
    finally:
        store.set_duplicate_check(mine, None)
        store.set_duplicate_check(other, None)


def test_exports(client, tokens):
    ann = tokens["ann"]
    r = client.get("/api/export/confirmed.csv", headers=ann)
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "id" and len(rows) > 1
    x = client.get("/api/export/confirmed.xlsx", headers=ann)
    assert x.status_code == 200 and x.content[:2] == b"PK"
    body_key = first(client, ann, body="平新县司法局", state=["open", "confirmed", "dismissed"])["body_key"]
    d = client.get("/api/export/audit.docx", headers=ann, params={"body": body_key})
    assert d.status_code == 200 and d.content[:2] == b"PK"
    p = client.get("/api/export/audit.pdf", headers=ann, params={"body": body_key})
    assert p.status_code == 200 and p.content[:5] == b"%PDF-"


def test_body_page(client, tokens):
    ann = tokens["ann"]
    body_key = first(client, ann, body="平新县司法局")["body_key"]
    data = client.get(f"/api/bodies/{body_key}", headers=ann).json()
    assert data["years"] == [2017, 2018, 2019, 2020, 2021, 2022]
    assert any(v and v.get("changed") for row in data["matrix"] for v in row["values"])
    follows = {c["follow"] for c in data["commitments"]}
    assert follows and follows <= {"followed", "not_followed", "not_measurable", "no_next_year",
                                    "unknown"}
    assert "no_next_year" in follows  # 2022's commitments have no 2023 report
