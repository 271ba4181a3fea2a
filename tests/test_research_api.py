"""The research query layer against a real embedded store with the real corpus ingested
(its text reports and the PDFs of three of them, which are renderings of those): the two
questions of issue 10 answered by one API call and one CLI command each, counted once,
pagination, exports, validation, indexes (explain) and the README's examples."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import uuid
from collections import defaultdict

import pyarrow.parquet as pq
import pymongo
import pytest
from fastapi.testclient import TestClient

from storage import research
from storage.research_params import ResearchQuery
from tests.conftest import ROOT, open_store, run_cli, scan_of
from web.app import create_app

PASSWORD = "research pass 42"
ERROR_KEYS = {"status", "code", "message", "detail"}
# the two questions' measures, spelled in the template keys (DOMAIN.md) as the oracle
RECEIVED = {"pre2019": ("p.apply.received", "value"), "2019trial": ("t3.new", "total"),
            "2021": ("t3.new", "total")}
APPLICATION_KEYS = ("t3.", "p.apply.", "p.reply.")


@pytest.fixture(scope="module")
def env(mongo_url, corpus_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("research")
    db_name = "gk_research_" + uuid.uuid4().hex[:10]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(GONGKAI_MONGO_URL=mongo_url, GONGKAI_DB_NAME=db_name, GONGKAI_NER="false",
               GONGKAI_DATA_DIR=str(folder / "data"), GONGKAI_WORKERS="2")
    res = run_cli(["ingest", str(corpus_dir / "reports"), str(corpus_dir / "pdf"), "--json"], env)
    assert res.returncode == 0, res.stderr + res.stdout
    for name, region in (("rita", None), ("pat", "平潭")):
        args = ["users", "add", name, "--role", "researcher", "--password-stdin"]
        args += ["--region", region] if region else []
        res = subprocess.run([os.sys.executable, "-m", "gongkai", *args], env=env, cwd=ROOT,
                             input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
    yield env
    client = pymongo.MongoClient(mongo_url)
    client.drop_database(db_name)
    client.close()


@pytest.fixture(scope="module")
def store(env):
    with open_store(env["GONGKAI_MONGO_URL"], env["GONGKAI_DB_NAME"]) as s:
        yield s


@pytest.fixture(scope="module")
def client(store):
    return TestClient(create_app(store), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def auth(client):
    out = {}
    for name in ("rita", "pat"):
        r = client.post("/api/token", json={"name": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        out[name] = {"Authorization": f"Bearer {r.json()['token']}"}
    return out


def get_all(client, headers, path: str, **params) -> list[dict]:
    """Every row of a query, page by page through the cursors."""
    rows, cursor = [], None
    while True:
        r = client.get(path, headers=headers, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        rows += r.json()["items"]
        cursor = r.json()["next"]
        if cursor is None:
            return rows


def records(store) -> list[dict]:
    """Every stored report as ``gongkai show --json`` gives it (the path the research
    layer does not take), with its rendering relation."""
    return [store.full_record(d["_id"]) for d in store.db.reports.find({}, {"_id": 1})]


def assert_error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert set(err) == ERROR_KEYS and err["status"] == status and err["message"]
    if code:
        assert err["code"] == code
    return err


# ------------------------------------------------------------------ question 1
def _prose_mismatch_expected(store) -> dict[str, set[int]]:
    """Body -> years whose report (not a rendering) has a failed PROSE.* finding on a
    依申请公开 cell, read from the full records."""
    out: dict[str, set[int]] = defaultdict(set)
    for rec in records(store):
        if rec["rendering_of"] or rec["status"] != "done":
            continue
        for f in rec["findings"]:
            if f["code"].startswith("PROSE.") and f["status"] == "fail" and any(
                    str(c.get("key", "")).startswith(APPLICATION_KEYS) for c in f["cells"]):
                out[rec["report"]["body"]].add(rec["report"]["year"])
    return dict(out)


def test_question_1_prose_figures_that_differ_from_the_table_api(client, auth, store):
    params = {"code": "PROSE.*", "status": "fail", "topic": "applications",
              "sort": "body", "fields": "body,year,code,status,topics,report_id"}
    rows = get_all(client, auth["rita"], "/api/findings", **params)
    by_body: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        assert r["code"].startswith("PROSE.") and r["status"] == "fail"
        assert "applications" in r["topics"]
        by_body[r["body"]].add(r["year"])
    assert by_body and by_body == _prose_mismatch_expected(store)
    assert [r["body"] for r in rows] == sorted(r["body"] for r in rows)  # grouped by body
    # counted once: the PDF renderings repeat their report's findings, and add rows only
    # when asked for
    with_renderings = get_all(client, auth["rita"], "/api/findings", **params, renderings="true")
    renderings = {d["_id"] for d in store.db.reports.find({"rendering_of": {"$ne": None}})}
    assert renderings and not {r["report_id"] for r in rows} & renderings
    assert {r["report_id"] for r in with_renderings} & renderings


def test_question_1_cli(env, client, auth):
    res = run_cli(["query", "findings", "--code", "PROSE.*", "--status", "fail",
                   "--topic", "applications", "--sort", "body", "--format", "jsonl",
                   "--fields", "id,body,year"], env)
    assert res.returncode == 0, res.stderr
    cli_rows = [json.loads(line) for line in res.stdout.splitlines()]
    api_rows = get_all(client, auth["rita"], "/api/findings", code="PROSE.*", status="fail",
                       topic="applications", sort="body", fields="id,body,year")
    assert cli_rows == api_rows and cli_rows


# ------------------------------------------------------------------ question 2
def _received_expected(store) -> dict[tuple[str, int], float]:
    out = {}
    for rec in records(store):
        if rec["rendering_of"] or rec["status"] != "done":
            continue
        key, column = RECEIVED.get(rec["table"].get("template"), (None, None))
        for c in rec["table"]["cells"]:
            if c["key"] == key and c["column"] == column:
                out[(rec["report"]["body"], rec["report"]["year"])] = c["value"]
    return out


def test_question_2_applications_received_per_body_and_year_api(client, auth, store):
    rows = get_all(client, auth["rita"], "/api/cells", measure="applications_received",
                   limit=1000, fields="body,year,template,key,column,value")
    got = {(r["body"], r["year"]): r["value"] for r in rows}
    assert len(got) == len(rows)  # one figure per body and year: renderings counted once
    assert got == _received_expected(store)
    assert {r["template"] for r in rows} == {"pre2019", "2019trial", "2021"}


def test_year_and_value_ranges_include_their_upper_bound(client, auth, store):
    """``year=A..B`` and ``value_max`` are inclusive, on an index too (the embedded server
    reads "$lte" there as "$lt")."""
    rows = get_all(client, auth["rita"], "/api/cells", measure="applications_received",
                   limit=1000, fields="year,value")
    years = sorted({r["year"] for r in rows})
    lo, hi = years[0], years[-1]
    ranged = get_all(client, auth["rita"], "/api/cells", measure="applications_received",
                     year=f"{lo}..{hi}", limit=1000, fields="year,value")
    assert sorted(r["year"] for r in ranged) == sorted(r["year"] for r in rows)
    top = max(r["value"] for r in rows)
    capped = get_all(client, auth["rita"], "/api/cells", measure="applications_received",
                     value_max=top, limit=1000, fields="year,value")
    assert len(capped) == len(rows)


def test_question_2_cli_csv(env, client, auth):
    res = run_cli(["query", "cells", "--measure", "applications_received", "--year", "2020..2024",
                   "--format", "csv", "--fields", "body,year,value"], env)
    assert res.returncode == 0, res.stderr
    cli = [(r["body"], int(r["year"]), float(r["value"]) if r["value"] else None)
           for r in csv.DictReader(io.StringIO(res.stdout.lstrip("\ufeff")))]
    api = get_all(client, auth["rita"], "/api/cells", measure="applications_received",
                  year="2020..2024", fields="body,year,value")
    assert cli == [(r["body"], r["year"], r["value"]) for r in api] and cli
    assert all(2020 <= y <= 2024 for _, y, _ in cli)


# ------------------------------------------------------------------ pages, exports, scope
@pytest.mark.parametrize("path,params", [
    ("/api/claims", {"sort": "value", "desc": "true"}),  # nulls last, after the numbers
    ("/api/claims", {"sort": "value"}),  # nulls first
    ("/api/cells", {"measure": "applications_*", "sort": "body"}),
    ("/api/commitments", {"sort": "deadline"}),
    ("/api/reports", {"sort": "published", "desc": "true"}),
    # a year range sorted by year: a page's queries go one year at a time
    ("/api/claims", {"kind": "figure", "text": "申请", "year": "2011..2024"}),
    ("/api/cells", {"measure": "applications_received", "year": "2011..2024", "desc": "true"}),
])
def test_pages_walk_the_whole_selection_in_export_order(client, auth, path, params):
    paged = get_all(client, auth["rita"], path, limit=7, fields="id", **params)
    export = client.get(path, headers=auth["rita"], params={**params, "fields": "id",
                                                            "format": "jsonl"})
    assert export.status_code == 200
    exported = [json.loads(line)["id"] for line in export.text.splitlines()]
    assert [r["id"] for r in paged] == exported and len(set(exported)) == len(exported) > 7


def test_cursor_is_stable_under_inserts(client, auth, store):
    params = {"measure": "applications_received", "sort": "year", "limit": 5, "fields": "id,year"}
    first = client.get("/api/cells", headers=auth["rita"], params=params).json()
    before = get_all(client, auth["rita"], "/api/cells", **params)
    early = {"_id": "0" * 64 + ":0000", "report_id": "0" * 64, "canonical": True, "year": 2011,
             "measure": "applications_received", "key": "t3.new", "column": "total", "value": 1}
    late = {**early, "_id": "f" * 64 + ":0000", "year": 2030}
    store.db.cells.insert_many([early, late])
    try:
        rest = get_all(client, auth["rita"], "/api/cells", **params, cursor=first["next"])
    finally:
        store.db.cells.delete_many({"_id": {"$in": [early["_id"], late["_id"]]}})
    ids = [r["id"] for r in first["items"] + rest]
    assert ids == [r["id"] for r in before] + [late["_id"]]  # nothing repeated or skipped


def test_exports_csv_jsonl_parquet_hold_the_same_rows(client, auth):
    params = {"measure": "applications_*", "fields": "id,body,year,measure,value,state"}
    api = get_all(client, auth["rita"], "/api/cells", **params)
    jsonl = client.get("/api/export/cells.jsonl", headers=auth["rita"], params=params)
    assert [json.loads(x) for x in jsonl.text.splitlines()] == api
    parquet = client.get("/api/export/cells.parquet", headers=auth["rita"], params=params)
    assert parquet.headers["content-type"].startswith("application/vnd.apache.parquet")
    table = pq.read_table(io.BytesIO(parquet.content))
    assert str(table.schema.field("value").type) == "double"
    assert table.to_pylist() == [{**r, "value": None if r["value"] is None else float(r["value"])}
                                 for r in api]
    text = client.get("/api/cells", headers=auth["rita"], params={**params, "format": "csv"})
    assert "attachment" in text.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(text.text.lstrip("\ufeff"))))
    assert [r["id"] for r in rows] == [r["id"] for r in api]


def test_region_scoped_researcher_sees_only_their_region(client, auth):
    rows = get_all(client, auth["pat"], "/api/reports", fields="id,body,region")
    everyone = get_all(client, auth["rita"], "/api/reports", fields="id,body,region")
    assert rows and len(rows) < len(everyone)
    assert all((r["region"] or "").startswith("平潭") or "平潭" in (r["body"] or "") for r in rows)


# ------------------------------------------------------------------ validation
def test_parameters_are_typed_and_operators_refused(client, auth):
    h = auth["rita"]
    err = assert_error(client.get("/api/cells", headers=h, params={"year[$gt]": "2020"}), 422,
                       "invalid")
    assert err["detail"][0]["loc"] == ["query", "year[$gt]"]
    assert_error(client.get("/api/cells", headers=h, params={"measure": "$where"}), 422)
    assert_error(client.get("/api/cells", headers=h, params={"year": "2020..20x"}), 422)
    assert_error(client.get("/api/cells", headers=h, params={"limit": 1001}), 422)
    assert_error(client.get("/api/cells", headers=h, params={"code": "PROSE.*"}), 422)
    assert_error(client.get("/api/cells", headers=h, params={"fields": "tokens"}), 422)
    assert_error(client.get("/api/cells", headers=h, params={"sort": "canonical"}), 422)
    assert_error(client.get("/api/cells", headers=h, params={"value_min": "nan"}), 422)
    assert_error(client.get("/api/cells"), 401, "unauthorized")
    # a string that looks like an operator is only ever a value compared for equality
    r = client.get("/api/cells", headers=h, params={"body": '{"$ne": null}'})
    assert r.status_code == 200 and r.json()["items"] == []


def test_bad_cursors_answer_the_json_error_shape(client, auth):
    h = auth["rita"]
    assert_error(client.get("/api/cells", headers=h, params={"cursor": "not-a-cursor!"}), 400,
                 "bad_cursor")
    nxt = client.get("/api/cells", headers=h, params={"limit": 2}).json()["next"]
    other = client.get("/api/cells", headers=h, params={"limit": 2, "cursor": nxt,
                                                        "measure": "reviews_total"})
    assert_error(other, 400, "bad_cursor")  # made for another query
    forged = research.make_cursor("0" * 16, {"$gt": ""}, "x")
    assert_error(client.get("/api/cells", headers=h, params={"cursor": forged}), 400,
                 "bad_cursor")


def test_export_stopped_early_ends_its_reader(store):
    """A client that hangs up: closing the rows ends the thread that reads ahead."""
    import threading

    _, rows = research.export_rows(store.db, "cells", ResearchQuery())
    assert next(rows)
    rows.close()
    assert not [t for t in threading.enumerate() if t.name == "export-read-ahead"]


def test_export_size_limit(client, auth):
    r = client.get("/api/export/cells.csv", headers=auth["rita"], params={"export_limit": 5})
    assert_error(r, 400, "export_too_large")
    ok = client.get("/api/export/cells.csv", headers=auth["rita"],
                    params={"export_limit": 5, "measure": "applications_received",
                            "year": "2024"})
    assert ok.status_code == 200


def test_openapi_documents_the_research_routes(client):
    spec = client.get("/openapi.json").json()
    for name in ("reports", "cells", "claims", "commitments", "findings"):
        for path in (f"/api/{name}", f"/api/export/{name}.{{fmt}}"):
            op = spec["paths"][path]["get"]
            params = {p["name"] for p in op["parameters"]}
            assert {"measure", "year", "cursor", "fields", "sort", "limit"} <= params, path
            assert "Filters:" in op["description"]
    assert "/api/measures" in spec["paths"]


# ------------------------------------------------------------------ indexes
TYPICAL = [  # the typical queries of the API, each served by an index; True: the pages
    # after the first too (range filters put them beyond the embedded server's planner)
    ("cells", {"measure": ["applications_received"]}, True),
    ("cells", {"measure": ["applications_received"], "year": "2020..2024"}, True),
    ("cells", {"measure": ["reviews_total"], "level": ["county"]}, True),
    ("cells", {"measure": ["applications_received"], "body": "平潭综合实验区"}, True),
    ("cells", {"metric": "t3.new", "column": "total", "year": "2020..2024"}, True),
    ("cells", {"topic": ["applications"], "year": "2019..2024"}, True),
    ("cells", {"measure": ["applications_received"], "region": "淮安"}, False),
    ("cells", {"measure": ["applications_received"], "value_min": 100}, False),
    ("claims", {"measure": ["applications_received"], "year": "2020..2024"}, True),
    ("claims", {"kind": ["figure"], "year": "2020..2024"}, True),
    ("claims", {"text": "申请"}, True),
    ("claims", {"kind": ["figure"], "text": "申请", "year": "2020..2024"}, True),
    ("commitments", {"year": "2019..2024"}, True),
    ("findings", {"code": "PROSE.*", "status": ["fail"]}, False),
    ("findings", {"code": "PROSE.*", "status": ["fail"], "topic": ["applications"]}, False),
    ("findings", {"code": "PROSE.FIGURE", "year": "2011..2024"}, True),
    ("findings", {"state": ["open"], "year": "2019.."}, True),
    ("findings", {"measure": ["applications_received"]}, True),
    ("reports", {"year": "2019..2024"}, True),
    ("reports", {"template": ["2021"], "year": "2019..2024"}, True),
    ("reports", {"level": ["county"], "year": "2011.."}, True),
    ("reports", {"body": "平潭综合实验区"}, True),
]


@pytest.mark.parametrize("collection,params,pages", TYPICAL,
                         ids=[f"{c}:{','.join(p)}" for c, p, _ in TYPICAL])
def test_typical_queries_use_an_index(store, collection, params, pages):
    """The first page and the pages after it (same year and a later id; later years).
    The first page's index holds every field the query filters on, so the server
    examines no document that the filter then drops (an index on ``canonical`` alone
    would pass for IXSCAN while it reads every canonical row)."""
    plans = research.explain(store.db, collection, ResearchQuery(**params))
    for plan in plans:  # a year range sorted by year: one query a year
        scan = scan_of(plan["queryPlanner"]["winningPlan"])
        assert scan["stage"] == "IXSCAN", scan
        assert scan["keyPattern"].get("canonical") == 1
        stats = plan["executionStats"]
        assert stats["totalDocsExamined"] == stats["nReturned"], (scan["keyPattern"], stats)
    first = research.page(store.db, collection, ResearchQuery(**params, limit=1))
    assert first["next"], "the test needs a query with more than one row"
    if not pages:
        return
    after = research.explain(store.db, collection,
                             ResearchQuery(**params, limit=1, cursor=first["next"]))
    for plan in after[:2]:  # (the third, rows without a year, only when sorting descending)
        assert scan_of(plan["queryPlanner"]["winningPlan"])["stage"] == "IXSCAN", plan


def test_text_search_within_a_kind_rides_the_token_index(store):
    """``/api/claims?kind=figure&text=申请&year=2020..2024`` (issue 10's slow query: the
    server found no index of its shape and read every canonical claim)."""
    plans = research.explain(store.db, "claims", ResearchQuery(
        kind=["figure"], text="申请", year="2020..2024"))
    assert len(plans) == 5  # one query a year, in the sort's order
    for plan in plans:
        scan = scan_of(plan["queryPlanner"]["winningPlan"])
        assert list(scan.get("keyPattern") or {}) == ["canonical", "tokens", "kind", "year", "_id"], scan
    assert sum(p["executionStats"]["nReturned"] for p in plans) > 0


SPLIT = [  # filters no index serves whole: several words, a measure list with a year range
    ("claims", {"text": "申请 公开"}),
    ("claims", {"kind": ["figure"], "text": "申请 公开", "year": "2011..2024"}),
    ("cells", {"measure": ["applications_received", "applications_granted"], "year": "2020..2024"}),
]


@pytest.mark.parametrize("collection,params", SPLIT, ids=[f"{c}:{','.join(p)}" for c, p in SPLIT])
def test_filters_no_index_serves_whole_start_on_one(store, collection, params):
    """The part one index serves is a first ``$match`` on it (the embedded server
    otherwise reads every canonical row), and the pages hold the rows of the whole filter
    as one plain ``find``, in its order."""
    for plan in research.explain(store.db, collection, ResearchQuery(**params)):
        scan = scan_of(plan["queryPlanner"]["winningPlan"])
        assert scan["stage"] == "IXSCAN" and len(scan["keyPattern"]) > 2, scan
    q = ResearchQuery(**params)
    _, flt, _, sort = research.export_query(collection, q)
    plain = [str(d["_id"]) for d in store.db[collection].find(flt, {"_id": 1}).sort(sort)]
    ids, cursor = [], None
    while True:
        got = research.page(store.db, collection,
                            ResearchQuery(**params, limit=1, fields=["id"], cursor=cursor))
        ids += [r["id"] for r in got["items"]]
        if not (cursor := got["next"]):
            break
    assert ids == plain and len(plain) > 1


# ------------------------------------------------------------------ README
def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Research API", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```")[1::2]
    return [line for block in blocks for line in block.splitlines()
            if line.startswith(("curl ", "gongkai "))]


def test_readme_research_examples_run(env, tmp_path):
    """Every curl and gongkai line of the README's Research API section, run against a
    real ``gongkai serve`` over the test store."""
    import socket
    import sys
    import time

    commands = _readme_commands()
    assert len(commands) >= 8
    token = run_cli(["users", "token", "rita"], env).stdout.strip()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "gongkai", "serve", "--port", str(port)],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while subprocess.run(["curl", "-sf", f"{base}/openapi.json", "-o", "/dev/null"]).returncode:
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.3)
        run_env = {**env, "TOKEN": token, "PYTHONPATH": str(ROOT)}
        for line in commands:
            cmd = line.replace("http://127.0.0.1:8080", base)
            cmd = cmd.replace("curl -s ", "curl -sS --fail ", 1)
            if cmd.startswith("gongkai "):
                cmd = f"{sys.executable} -m {cmd}"
            res = subprocess.run(["bash", "-c", cmd], env=run_env, cwd=tmp_path,
                                 capture_output=True, text=True, timeout=300)
            assert res.returncode == 0, f"{line}\n{res.stderr}"
            if " -o " not in cmd and "--out " not in cmd:
                assert res.stdout.strip(), line
            if cmd.startswith("curl") and " -o " not in cmd:
                json.loads(res.stdout)
        assert pq.read_table(tmp_path / "cells.parquet").num_rows > 0
        assert pq.read_table(tmp_path / "reports.parquet").num_rows > 0
    finally:
        server.terminate()
        server.wait(timeout=30)
