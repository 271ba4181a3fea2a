"""End-to-end tests of the review app in headless Chromium (Debian's ``chromium``,
driven by Playwright with ``executable_path``): a real ``gongkai serve`` process over a
real embedded store.  Screenshots of the queue, a finding page and a body's audit page
are saved to ``tmp/artifacts/``.  Run with ``make test-browser`` (``-m browser``)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pymongo
import pytest

from tests.conftest import ROOT, port_open
from tests.web_support import PASSWORD, web_db  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tmp" / "artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(web_db):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gongkai", "serve", "--port", str(port)],
                            env=web_db["env"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while not port_open("127.0.0.1", port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("gongkai serve did not start: " + (proc.stdout.read() or ""))
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run should install it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def db(web_db):
    client = pymongo.MongoClient(web_db["mongo_url"])
    yield client[web_db["db_name"]]
    client.close()


def login(browser, server, name):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page.goto(f"{server}/queue")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url(f"{server}/queue")
    return page


def finding_id(db, **query) -> str:
    doc = db.findings.find_one({**query, "review.state": "open"}, sort=[("_id", 1)])
    assert doc, query
    return doc["_id"]


def test_auditor_filters_opens_and_confirms_with_the_keyboard(browser, server, db):
    page = login(browser, server, "ann")
    page.select_option("#f-code", "P.PROACTIVE.CHANNEL_LE_TOTAL")
    page.fill("input[name=region]", "平江")
    page.fill("input[name=body]", '平江县民政局')
    page.click("#apply-filter")
    page.wait_for_url("**code=P.PROACTIVE.CHANNEL_LE_TOTAL**")
    rows = page.locator("tr.finding-row")
    assert rows.count() == 1
    fid = rows.first.get_attribute("data-id")
    page.screenshot(path=str(ARTIFACTS / "queue.png"))
    page.keyboard.press("Enter")
    page.wait_for_selector("#finding")
    involved = page.locator("table.grid td.cell-involved")
    assert sorted(involved.all_inner_texts()) == ["128", "980"]
    assert involved.first.is_visible()
    assert page.locator("mark.span").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "finding.png"), full_page=True)
    page.keyboard.press("c")
    page.wait_for_selector("#review-state.state-confirmed")
    assert "ann" in page.inner_text("#trail") and "confirm" in page.inner_text("#trail")
    page.goto(f"{server}/queue")
    assert page.locator(f"tr[data-id='{fid}']").count() == 0
    page.goto(f"{server}/findings/{fid}")
    trail = page.inner_text("#trail")
    assert "ann" in trail and "确认" in trail and "P.PROACTIVE.CHANNEL_LE_TOTAL@" in trail
    page.click("#body-link")
    page.wait_for_selector("#body-name")
    page.screenshot(path=str(ARTIFACTS / "body.png"), full_page=True)
    page.close()


def test_dismiss_from_the_queue_with_a_reason(browser, server, db):
    page = login(browser, server, "ann")
    page.goto(f"{server}/queue?body=平新县司法局")
    first = page.locator("tr.finding-row").first
    fid = first.get_attribute("data-id")
    total = int(page.inner_text("#total"))
    page.keyboard.press("d")
    page.wait_for_selector("#dismiss-dialog[open]")
    page.keyboard.press("2")
    page.fill("#dismiss-form textarea[name=note]", "统计口径与正文不同")
    page.click("#dismiss-ok")
    page.locator(f"tr[data-id='{fid}']").wait_for(state="detached")
    assert int(page.inner_text("#total")) == total - 1
    doc = db.findings.find_one({"_id": fid})
    assert doc["review"]["state"] == "dismissed" and doc["review"]["reason"] == "different_basis"
    assert doc["review"]["note"] == "统计口径与正文不同"
    page.close()


def test_script_in_title_body_and_text_shows_as_text(browser, server, db):
    page = login(browser, server, "ann")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    fid = finding_id(db, code="STRUCT.ANNOUNCED", body="平江县民政局")
    page.goto(f"{server}/findings/{fid}")
    assert page.inner_text("#report-title").startswith('平江县民政局<script>alert("t")</script>')
    assert "<script>alert('b')</script>" in page.inner_text("section.text")
    page.goto(f"{server}/queue")
    assert dialogs == []  # nothing shown ran as script (the body name is read without markup)
    page.close()


def test_researcher_cannot_decide(browser, server, db):
    page = login(browser, server, "rita")
    fid = finding_id(db, code="P.RESPONSE.NONZERO")
    page.goto(f"{server}/findings/{fid}")
    assert page.locator("#decision-form").count() == 0 and page.is_visible("#read-only")
    with page.expect_response(f"**/api/findings/{fid}/decision") as resp:
        page.keyboard.press("c")
    assert resp.value.status == 403
    assert resp.value.json()["error"]["code"] == "read_only"
    page.wait_for_selector("#toast.bad")
    assert db.findings.find_one({"_id": fid})["review"]["state"] == "open"
    page.close()


def test_region_scoped_auditor_cannot_open_another_regions_finding(browser, server, db):
    page = login(browser, server, "jiang")
    other = finding_id(db, body="平新县司法局")
    resp = page.goto(f"{server}/findings/{other}")
    assert resp.status == 403
    assert page.get_attribute("section.error-page", "data-code") == "out_of_scope"
    page.goto(f"{server}/queue?status=fail&status=warn&status=not_assessable")
    bodies = page.locator("tr.finding-row td:nth-child(4) a").all_inner_texts()
    assert bodies and all("平江" in b for b in bodies)
    page.close()


def test_english_per_user(browser, server):
    page = login(browser, server, "admin")
    assert "待审队列" in page.inner_text("header.top")
    page.click("form[action='/lang'] button")
    page.wait_for_selector("text=Queue")
    assert "Queue" in page.inner_text("header.top")
    page.click("form[action='/lang'] button")  # back to Chinese for the other tests
    page.wait_for_selector("text=待审队列")
    page.close()
