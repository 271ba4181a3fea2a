"""The corpus dashboard in headless Chromium (Debian's ``chromium`` through Playwright's
``executable_path``): a real ``gongkai serve`` over a real embedded store with the real
corpus ingested; a researcher opens /dashboard and every plot is drawn (an SVG image
the browser decoded), each with its JSON twin and CSV link answering.  The screenshot
goes to ``tmp/artifacts/dashboard.png`` (docs/dashboard.png is a copy of it)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pymongo
import pytest

from tests.conftest import ROOT, port_open, run_cli
from tests.test_web_browser import ARTIFACTS, _free_port, browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.corpus]
PASSWORD = "dashboard pw 1"
PLOTS = ("reports", "rules", "prose", "distribution", "timeliness")


@pytest.fixture(scope="module")
def server(mongo_url, corpus_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dash")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(GONGKAI_MONGO_URL=mongo_url, GONGKAI_DB_NAME="gk_dash_" + uuid.uuid4().hex[:8],
               GONGKAI_DATA_DIR=str(folder / "data"), GONGKAI_NER="false", GONGKAI_WORKERS="2")
    res = run_cli(["ingest", str(corpus_dir / "reports"), str(corpus_dir / "pdf"), "--json"], env)
    assert res.returncode == 0, res.stderr[-2000:]
    subprocess.run([sys.executable, "-m", "gongkai", "users", "add", "rita", "--role",
                    "researcher", "--password-stdin", "--lang", "en"], env=env, cwd=ROOT,
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gongkai", "serve", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not port_open("127.0.0.1", port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("gongkai serve did not start")
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)
    pymongo.MongoClient(mongo_url).drop_database(env["GONGKAI_DB_NAME"])


def test_dashboard_renders_every_plot(browser, server):  # noqa: F811
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(f"{server}/dashboard")
    page.fill("#name", "rita")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url(f"{server}/dashboard")
    page.wait_for_load_state("networkidle")
    for name in PLOTS:
        fig = page.locator(f"#plot-{name}")
        img = fig.locator("img")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(),
                               timeout=30000)
        assert img.evaluate("img => img.naturalWidth") > 100, name
        for kind in ("json", "csv"):
            href = fig.locator(f"a.{kind}").get_attribute("href")
            r = page.request.get(server + href)
            assert r.status == 200, (name, kind, r.text()[:300])
            if kind == "json":
                assert r.json()["rows"], (name, href)
            else:
                assert r.headers["content-type"].startswith("text/csv")
        svg = page.request.get(server + img.get_attribute("src"))
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert b"no data" not in svg.body(), name
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    page.close()
