"""Corpus statistics against a real embedded store with the real corpus ingested (text
renderings and the three published PDFs, which are renderings of three of them), plus
one report of another body made late on purpose.  Every expected figure is recomputed
here from the manifest or from the stored documents by plain iteration, never typed in.
The same statistics through storage/stats.py, GET /api/stats/* (JSON and CSV) and
``gongkai stats``."""
from __future__ import annotations

import csv
import io
import json
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pymongo
import pytest
from pymongo import monitoring
from fastapi.testclient import TestClient

from storage import stats
from storage.store import Store
from tests.conftest import ROOT, run_cli, scan_of
from web.app import create_app

pytestmark = [pytest.mark.services, pytest.mark.corpus]
PASSWORD = "stats password 1"
LATE_BODY = "平江县财政局"


def _late_report(folder: Path) -> Path:
    """The seed report as another body's, dated after the 2008 deadline (2018-03-31)."""
    text = (ROOT / "corpus" / "2017_pingjiang_mzj.txt").read_text("utf-8")
    path = folder / "2017_pingjiang_czj_late.txt"
    path.write_text(text.replace("平江县民政局", LATE_BODY) + f"\n{LATE_BODY}\n2018年4月20日\n",
                    "utf-8")
    return path


@pytest.fixture(scope="module")
def env(mongo_url, corpus_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("stats")
    import os
    import uuid

    e = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    e.update(GONGKAI_MONGO_URL=mongo_url, GONGKAI_DB_NAME="gk_stats_" + uuid.uuid4().hex[:8],
             GONGKAI_DATA_DIR=str(folder / "data"), GONGKAI_NER="false", GONGKAI_WORKERS="2")
    res = run_cli(["ingest", str(corpus_dir / "reports"), str(corpus_dir / "pdf"),
                   str(_late_report(folder)), "--json"], e)
    assert res.returncode == 0, res.stderr[-2000:]
    res = subprocess.run([sys.executable, "-m", "gongkai", "users", "add", "rita", "--role",
                          "researcher", "--password-stdin"], env=e, cwd=ROOT, text=True,
                         input=PASSWORD + "\n", capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr
    yield e
    pymongo.MongoClient(mongo_url).drop_database(e["GONGKAI_DB_NAME"])


@pytest.fixture(scope="module")
def db(env):
    client = pymongo.MongoClient(env["GONGKAI_MONGO_URL"], tz_aware=True)
    yield client[env["GONGKAI_DB_NAME"]]
    client.close()


@pytest.fixture(scope="module")
def canonical(db) -> dict[str, dict]:
    return {r["_id"]: r for r in db.reports.find({"status": "done", "rendering_of": None})}


def _manifest(corpus_dir: Path) -> list[dict]:
    with open(corpus_dir / "manifest.tsv", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f, delimiter="\t") if r["file"].startswith("reports/")]


# ------------------------------------------------------------------ storage
def test_renderings_are_counted_once(db, canonical, corpus_dir):
    per_year = stats.reports_by(db, ["year"])["rows"]
    assert sum(r["reports"] for r in per_year) == len(canonical)
    assert db.reports.count_documents({}) == len(canonical) + 3  # the three PDFs
    want = Counter(int(r["year"]) for r in _manifest(corpus_dir)) + Counter([2017])
    assert {r["year"]: r["reports"] for r in per_year} == dict(want)
    # a range includes its last year (the embedded server's $lte over an index does not)
    some = stats.rule_failures(db, stats.StatsFilter(year_from=2012, year_to=2013))["rows"]
    every = stats.rule_failures(db)["rows"]
    assert some == [r for r in every if r["year"] in (2012, 2013)] and \
        {r["year"] for r in some} == {2012, 2013}


def test_reports_by_template_follow_the_manifest(db, corpus_dir):
    rows = stats.reports_by(db, ["template"])["rows"]
    want = Counter(r["template"] for r in _manifest(corpus_dir)) + Counter(["pre2019"])
    assert {r["template"]: r["reports"] for r in rows} == dict(want)
    two = stats.reports_by(db, ["year", "template"], stats.StatsFilter(year_from=2019))["rows"]
    assert all(r["year"] >= 2019 and r["template"] in ("2019trial", "2021") for r in two)


def test_rule_shares_match_the_stored_findings(db, canonical):
    rows = stats.rule_failures(db)["rows"]
    assert rows
    years = Counter(r["year"] for r in canonical.values())
    fails: dict[tuple, set] = {}
    for f in db.findings.find({"status": "fail", "report_id": {"$in": list(canonical)}}):
        fails.setdefault((f["code"], f["year"]), set()).add(f["report_id"])
    got = {(r["code"], r["year"]): r for r in rows}
    assert {k for k, r in got.items() if r["fail"]} == set(fails)
    for k, ids in fails.items():
        assert got[k]["fail"] == len(ids)
        assert got[k]["fail_share"] == round(len(ids) / years[k[1]], 4)


def test_prose_agreement_counts_reports_with_checkable_prose(db, canonical):
    rows = {r["year"]: r for r in stats.prose_agreement(db)["rows"]}
    checked = {c["report_id"] for c in db.claims.find({"verifiable": True})} & set(canonical)
    bad = {f["report_id"] for f in db.findings.find(
        {"code": {"$in": list(stats.PROSE_CODES)}, "status": {"$in": ["fail", "warn"]}})}
    bad &= checked
    for year, r in rows.items():
        ids = {i for i in checked if canonical[i]["year"] == year}
        assert r["reports_checked"] == len(ids)
        assert r["reports_disagreeing"] == len(ids & bad)
    assert sum(r["reports_disagreeing"] for r in rows.values()) == len(bad) > 0
    by_level = stats.prose_agreement(db, by_level=True)["rows"]
    assert sum(r["reports_checked"] for r in by_level) == len(checked)


def test_timeliness_per_year(db, canonical):
    rows = {r["year"]: r for r in stats.timeliness(db)["rows"]}
    late = [f for f in db.findings.find({"code": "TIME.DEADLINE", "status": "warn"})]
    assert [canonical[f["report_id"]]["sources"][0]["source"].endswith("_late.txt")
            for f in late] == [True]
    assert late[0]["extra"]["timeliness"]["days_late"] == 20
    assert rows[2017]["late"] == 1 and rows[2017]["median_days_late"] == 20
    for year, r in rows.items():
        assert r["on_time"] + r["late"] + r["not_assessable"] == r["reports"]
    # the 沭阳县发改局 department's report, 公开日期 2024-01-17, is on time
    assert rows[2023]["on_time"] >= 1


def test_distribution_of_one_cell(db, canonical):
    result = stats.distribution(db, metric="t3.new@total", by=["year"])
    values: dict[int, list] = {}
    for t in db.tables.find({"_id": {"$in": list(canonical)}}):
        for c in t.get("cells") or []:
            if (c["key"], c["column"]) == ("t3.new", "total") and c["state"] in ("number", "zero"):
                values.setdefault(t["year"], []).append(c["value"])
    got = {r["year"]: r for r in result["rows"]}
    assert set(got) == set(values)
    for year, xs in values.items():
        assert got[year]["n"] == len(xs) and got[year]["median"] == statistics.median(xs)
        hist = [got[year][c] for c in result["columns"][-(len(result["bins"]) - 1):]]
        assert sum(hist) == len(xs)


def test_region_scope(db, canonical):
    rows = stats.reports_by(db, ["year"], regions=["平潭"])["rows"]
    want = sum(1 for r in canonical.values() if "平潭" in (r["report"].get("body") or ""))
    assert 0 < sum(r["reports"] for r in rows) == want < len(canonical)
    rows = stats.reports_by(db, ["year"], stats.StatsFilter(region="平潭"))["rows"]
    want = sum(1 for r in canonical.values() if (r["report"].get("region") or "").startswith("平潭"))
    assert 0 < sum(r["reports"] for r in rows) == want


# ------------------------------------------------------------------ indexes (explain)
class _Aggregates(monitoring.CommandListener):
    """The collection and pipeline of every ``aggregate`` a client sends."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, list]] = []

    def started(self, event) -> None:
        if event.command_name == "aggregate" and not event.command.get("explain"):
            self.seen.append((event.command["aggregate"], event.command["pipeline"]))

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


TYPICAL_STATS = [  # the dashboard's statistics (web/routes_stats.py), then filtered ones
    ("reports", {"by": ["year", "template"]}, {}, None),
    ("rules", {}, {}, None),
    ("prose", {"by_level": True}, {}, None),
    ("timeliness", {}, {}, None),
    ("distribution", {"measure": "applications_received", "by": ["level"]}, {}, None),
    ("rules", {"code_prefix": "PROSE."}, {"year_from": 2019, "year_to": 2023}, None),
    ("prose", {}, {"level": "county", "year_from": 2018}, None),
    ("distribution", {"measure": "applications_received"}, {"year_from": 2020}, None),
    ("reports", {"by": ["year"]}, {"template": "2021"}, ["平潭"]),
]


@pytest.mark.parametrize("name,options,flt,regions", TYPICAL_STATS,
                         ids=[f"{n}:{','.join([*o, *f])}{':scoped' if r else ''}"
                              for n, o, f, r in TYPICAL_STATS])
def test_typical_statistics_start_on_an_index(env, name, options, flt, regions):
    """Every aggregation a typical statistic runs (each ``aggregate`` the statistic sends,
    seen by PyMongo's command monitoring) starts with a ``$match`` that the server plans
    on a research index.  The plan is the server's answer to ``db.command("aggregate",
    ..., explain=True)``: SecantusDB supports it and plans the pipeline's leading
    ``$match`` the way the aggregation runs it (lifted into the first fetch); the other
    stages are not planned.  Conditions the embedded server cannot put on one index (a
    second range, ``$or`` of a region scope, ``versions.rules``) are in a second
    ``$match`` (storage/stats.py ``_matches``)."""
    listener = _Aggregates()
    client = pymongo.MongoClient(env["GONGKAI_MONGO_URL"], tz_aware=True,
                                 event_listeners=[listener])
    try:
        db = client[env["GONGKAI_DB_NAME"]]
        result = stats.run(db, name, stats.StatsFilter(**flt), regions, **options)
        assert result["rows"], "the test needs a statistic with rows"
        assert listener.seen
        for collection, pipeline in listener.seen:
            plan = db.command("aggregate", collection, pipeline=pipeline, explain=True)
            scan = scan_of(plan["queryPlanner"]["winningPlan"])
            assert scan["stage"] == "IXSCAN", (collection, pipeline[0], scan)
            assert scan["keyPattern"].get("canonical") == 1, scan
    finally:
        client.close()


# ------------------------------------------------------------------ API
@pytest.fixture(scope="module")
def client(db, env):
    store = Store(pymongo.MongoClient(env["GONGKAI_MONGO_URL"], tz_aware=True),
                  env["GONGKAI_DB_NAME"])
    c = TestClient(create_app(store), raise_server_exceptions=False)
    res = run_cli(["users", "token", "rita"], env)
    assert res.returncode == 0, res.stderr
    c.headers["Authorization"] = f"Bearer {res.stdout.strip().split()[-1]}"
    return c


def test_api_json_and_csv_agree_with_storage(client, db):
    r = client.get("/api/stats/reports", params={"by": ["year", "template"]})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == stats.reports_by(db, ["year", "template"])["rows"]
    r = client.get("/api/stats/timeliness", params={"format": "csv", "year": "2017"})
    assert r.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert (row["year"], row["late"]) == ("2017", "1")
    for name, params in (("rules", {"code": "PROSE."}), ("prose", {"by_level": "true"}),
                         ("distribution", {"metric": "t3.new@total"})):
        r = client.get(f"/api/stats/{name}", params=params)
        assert r.status_code == 200 and r.json()["rows"], (name, r.text)
    paths = client.get("/openapi.json").json()["paths"]
    assert {f"/api/stats/{n}" for n in stats.NAMES} <= set(paths)


@pytest.mark.parametrize("params", [{"year": "x"}, {"year": "2024..2019"}, {"level": "planet"},
                                    {"region[$ne]": "1"}, {"nope": "1"},
                                    {"by": "colour"}], ids=str)
def test_api_rejects_bad_parameters(client, params):
    r = client.get("/api/stats/reports", params=params)
    assert r.status_code == 422
    assert set(r.json()["error"]) == {"status", "code", "message", "detail"}


def test_api_takes_text_literally(client):
    r = client.get("/api/stats/reports", params={"region": ".*"})
    assert r.status_code == 200 and r.json()["rows"] == []


def test_api_needs_a_login_and_a_measure_or_metric(client):
    assert TestClient(client.app).get("/api/stats/reports").status_code == 401
    assert client.get("/api/stats/distribution").status_code == 422
    bad = client.get("/api/stats/distribution", params={"metric": "t3.new@total",
                                                        "measure": "x"})
    assert bad.status_code == 422


# ------------------------------------------------------------------ CLI
def test_cli_stats(env, db):
    res = run_cli(["stats", "reports", "--by", "template", "--format", "json"], env)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["rows"] == stats.reports_by(db, ["template"])["rows"]
    res = run_cli(["stats", "timeliness", "--year", "2017", "--format", "csv"], env)
    [row] = list(csv.DictReader(io.StringIO(res.stdout)))
    assert row["late"] == "1"
    res = run_cli(["stats", "rules", "--code", "PROSE."], env)
    assert res.returncode == 0 and "PROSE.FIGURE" in res.stdout
    for bad in (["stats", "distribution"], ["stats", "rules", "--year", "20x"]):
        res = run_cli(bad, env)
        assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_distribution_of_a_measure_spans_the_generations(db, canonical):
    result = stats.distribution(db, measure="applications_received", by=[])
    cells = [c for c in db.cells.find({"canonical": True, "measure": "applications_received"})
             if c["state"] in ("number", "zero")]
    [row] = result["rows"]
    assert row["n"] == len({c["report_id"] for c in cells})
    assert {c["template"] for c in cells} >= {"pre2019", "2021"}
    with pytest.raises(KeyError):
        stats.distribution(db, measure="no_such_measure")


# ------------------------------------------------------------------ README
def _readme_lines() -> list[str]:
    section = (ROOT / "README.md").read_text("utf-8").split("## Dashboard", 1)[1]
    section = section.split("\n## ", 1)[0]
    return [ln for block in section.split("```")[1::2] for ln in block.splitlines()
            if ln.startswith(("curl ", "gongkai "))]


def test_readme_dashboard_examples_run(env, client):
    import shlex
    from urllib.parse import urlsplit

    lines = _readme_lines()
    assert len(lines) >= 10
    for line in lines:
        words = shlex.split(line)
        if words[0] == "gongkai":
            res = run_cli(words[1:], env)
            assert res.returncode == 0 and res.stdout.strip(), (line, res.stderr)
            continue
        url = urlsplit(words[-1])
        r = client.get(f"{url.path}?{url.query}")
        assert r.status_code == 200, (line, r.text)
        assert r.text.strip() and (r.headers["content-type"].startswith("text/csv")
                                   or r.json()["rows"]), line
