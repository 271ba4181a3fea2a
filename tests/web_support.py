"""Shared set-up of the review-app tests: one real embedded store per test module with
the project's own reports ingested through the real CLI (the seed report, with markup
injected in its title, body name and text, and the six synthetic years of one body),
and accounts of every role made with ``gongkai users add``."""
from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pymongo
import pytest

from tests.conftest import ROOT, run_cli

SEED = ROOT / "corpus" / "2017_pingjiang_mzj.txt"
SYNTHETIC = sorted((ROOT / "corpus" / "synthetic").glob("*.txt"))
SCRIPT_TITLE = '平江县民政局<script>alert("t")</script>2017年政府信息公开工作年度报告'
SCRIPT_TEXT = "<script>alert('b')</script>"
PASSWORD = "correct horse 42"
USERS = {  # name: (role, regions)
    "admin": ("admin", []),
    "ann": ("auditor", []),
    "jiang": ("auditor", ["平江"]),     # sees the seed body only
    "xin": ("auditor", ["平新"]),       # sees the synthetic body only
    "rita": ("researcher", []),
}


def script_report(folder: Path) -> Path:
    """The seed report with ``<script>`` in its title (hence body name) and its text."""
    text = SEED.read_text("utf-8")
    path = folder / "2017_pingjiang_script.txt"
    path.write_text(f"{SCRIPT_TITLE}\n{SCRIPT_TEXT}{text}", "utf-8")
    return path


def near_copy(folder: Path) -> Path:
    """The seed's text under another body's title: a same-year near-duplicate."""
    path = folder / "2017_pingjiang_czj_copy.txt"
    path.write_text("平江县财政局2017年政府信息公开工作年度报告\n" + SEED.read_text("utf-8"), "utf-8")
    return path


def carried_over_changed(folder: Path) -> list[Path]:
    """The synthetic years, with 2020's 二、上年结转 row made 2 where 2019 carried 0
    forward (so X.CARRIED_OVER, a cross-year finding, fires on 2020)."""
    out = []
    for path in SYNTHETIC:
        if not path.name.startswith("2020_"):
            out.append(path)
            continue
        lines = path.read_text("utf-8").splitlines()
        lines = ["二、上年结转政府信息公开申请数量 | 2 | 0 | 0 | 0 | 0 | 0 | 2"
                 if ln.startswith("二、上年结转") else ln for ln in lines]
        copy = folder / path.name
        copy.write_text("\n".join(lines) + "\n", "utf-8")
        out.append(copy)
    return out


def build_store(mongo_url: str, folder: Path) -> dict:
    """Ingest the reports into a fresh database and add the users; returns env + names."""
    db_name = "gk_web_" + uuid.uuid4().hex[:10]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(GONGKAI_MONGO_URL=mongo_url, GONGKAI_DB_NAME=db_name,
               GONGKAI_DATA_DIR=str(folder / "data"), GONGKAI_NER="false",
               GONGKAI_WORKERS="1")
    files = [str(script_report(folder)), str(near_copy(folder))]
    files += [str(p) for p in carried_over_changed(folder)]
    res = run_cli(["ingest", *files, "--json"], env)
    assert res.returncode == 0, res.stderr + res.stdout
    for name, (role, regions) in USERS.items():
        args = ["users", "add", name, "--role", role, "--password-stdin"]
        for r in regions:
            args += ["--region", r]
        res = subprocess.run(
            [os.sys.executable, "-m", "gongkai", *args], env=env, cwd=ROOT,
            input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
    return {"env": env, "db_name": db_name, "mongo_url": mongo_url}


def drop(info: dict) -> None:
    client = pymongo.MongoClient(info["mongo_url"])
    client.drop_database(info["db_name"])
    client.close()


@pytest.fixture(scope="module")
def web_db(mongo_url, tmp_path_factory):
    info = build_store(mongo_url, tmp_path_factory.mktemp("web"))
    yield info
    drop(info)
