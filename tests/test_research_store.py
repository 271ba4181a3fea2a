"""Counted once, as the store changes: a report and its PDF rendering are one report in
research queries, and when the report fails the rendering takes its place (no report
lost, none counted twice).  Real embedded store, real ingest."""
from __future__ import annotations

import pymongo

from storage import research
from storage.research_params import ResearchQuery
from storage.store import Store
from tests.conftest import run_cli

NAME = "2024_huaian_shizf"


def _received(store, body: str) -> list[dict]:
    q = ResearchQuery(measure=["applications_received"], body=body,
                      fields=["report_id", "year", "value"])
    return research.page(store.db, "cells", q)["items"]


def test_a_rendering_stands_in_when_its_report_fails(corpus_dir, cli_env):
    files = [str(corpus_dir / "reports" / f"{NAME}.txt"), str(corpus_dir / "pdf" / f"{NAME}.pdf")]
    res = run_cli(["ingest", *files, "--json"], cli_env)
    assert res.returncode == 0, res.stderr
    client = pymongo.MongoClient(cli_env["GONGKAI_MONGO_URL"], tz_aware=True)
    store = Store(client, cli_env["GONGKAI_DB_NAME"])
    try:
        docs = list(store.db.reports.find({}, {"rendering_of": 1, "canonical": 1, "report": 1}))
        (report,) = [d for d in docs if not d.get("rendering_of")]
        (rendering,) = [d for d in docs if d.get("rendering_of")]
        assert report["canonical"] is True and rendering["canonical"] is False
        body = report["report"]["body"]
        rows = _received(store, body)
        assert [r["report_id"] for r in rows] == [report["_id"]]  # once, not twice
        both = research.page(store.db, "cells", ResearchQuery(
            measure=["applications_received"], body=body, renderings=True, fields=["report_id"]))
        assert sorted(r["report_id"] for r in both["items"]) == sorted(d["_id"] for d in docs)

        store.mark_failed(report["_id"], {"code": "E999", "message": "test"}, {})
        rows = _received(store, body)
        assert [r["report_id"] for r in rows] == [rendering["_id"]]  # the PDF stands in
        assert research.page(store.db, "reports", ResearchQuery(
            fields=["id"]))["items"] == [{"id": rendering["_id"]}]
        for name in ("claims", "findings"):
            assert store.db[name].count_documents({"report_id": report["_id"],
                                                   "canonical": True}) == 0
    finally:
        client.close()
