"""`gongkai ingest` end to end through the real CLI, the real pipeline and a real embedded
MongoDB-compatible server (local mode: no broker)."""
import json
import os
import shutil
import zipfile

import pytest

from tests.conftest import run_cli

SEED = "2017_pingjiang_mzj.txt"


def _summary(proc):
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _reports(env):
    proc = run_cli(["reports", "--json"], env)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


@pytest.fixture
def small_corpus(tmp_path, corpus_dir):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    for name in (SEED, "2021_pingtan_zhsyq.txt"):
        shutil.copy(corpus_dir / "reports" / name, folder / name)
    shutil.copy(corpus_dir / "reports" / "2019_shanghai_shizfbgt.txt", folder / "sub" / "sh.txt")
    return folder


def test_ingest_stores_processes_and_is_idempotent(small_corpus, cli_env):
    first = run_cli(["ingest", str(small_corpus), "--json"], cli_env)
    s1 = _summary(first)
    assert first.returncode == 0, first.stderr
    assert s1["distinct"] == 3 and s1["new"] == 3 and s1["status"] == {"done": 3}
    stored = _reports(cli_env)
    assert len(stored) == 3 and all(r["status"] == "done" for r in stored)
    assert {r["template"] for r in stored} == {"pre2019", "2019trial", "2021"}

    # a copy of the same content elsewhere, and the same folder again: no new report, no work
    shutil.copy(small_corpus / SEED, small_corpus / "sub" / "copy.txt")
    second = run_cli(["ingest", str(small_corpus), "--json"], cli_env)
    s2 = _summary(second)
    assert second.returncode == 0
    assert s2["new"] == 0 and s2["duplicates"] == 4 and s2["distinct"] == 3
    assert s2["status"] == {"done": 3}
    assert len(_reports(cli_env)) == 3


def test_show_prints_what_check_prints(small_corpus, cli_env):
    seed = small_corpus / SEED
    assert run_cli(["ingest", str(seed), "--json"], cli_env).returncode == 0
    checked = json.loads(run_cli(["check", str(seed), "--json", "--no-ner"], cli_env).stdout)
    [row] = _reports(cli_env)
    shown = json.loads(run_cli(["show", row["id"][:12], "--json"], cli_env).stdout)
    assert shown["sha256"] == row["id"]
    assert shown["report"] == checked["report"]
    assert shown["table"]["cells"] == checked["table"]["cells"]
    for kind in ("claims", "commitments", "entities"):
        assert shown[kind] == checked[kind], kind
    strip = lambda fs: sorted(json.dumps({k: f[k] for k in ("code", "status", "values", "spans")},
                                         sort_keys=True) for f in fs)
    assert strip(shown["findings"]) == strip(checked["findings"])


def _bad_inputs(folder):
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "garbage.bin").write_bytes(bytes(range(256)) * 64)
    (folder / "truncated.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    (folder / "pages.jsonl").write_text('{"url": "http://x/1", "text": "无"}\n\n{broken\n')
    with open(folder / "big.txt", "wb") as big:  # 50 MB, over the default 20 MB limit
        chunk = "政府信息公开工作年度报告。".encode() * 65536
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            big.write(chunk)


def _processable_oddities(folder, seed_text):
    (folder / "gbk.txt").write_bytes(seed_text.replace("平江县", "某某县").encode("gb18030"))
    (folder / "bom.txt").write_bytes(b"\xef\xbb\xbf" + seed_text.replace("平江县", "某甲县").encode())
    body = "".join(f"<p>{line}" for line in seed_text.replace("平江县", "某乙县").splitlines())
    (folder / "broken.html").write_text(f"<html><body><div class=article>{body}<table><tr><td>x",
                                        encoding="utf-8")


def test_bad_inputs_fail_with_reasons_and_nothing_stored_is_lost(small_corpus, cli_env, tmp_path):
    assert run_cli(["ingest", str(small_corpus), "--json"], cli_env).returncode == 0
    before = {r["id"]: r for r in _reports(cli_env)}
    _bad_inputs(tmp_path / "bad")
    _processable_oddities(tmp_path / "bad", (small_corpus / SEED).read_text("utf-8"))
    proc = run_cli(["ingest", str(tmp_path / "bad"), str(small_corpus), "--json"], cli_env)
    assert proc.returncode == 1  # something failed
    summary = _summary(proc)
    reasons = {f["source"].rsplit("/", 1)[-1]: f["message"] for f in summary["failed"]}
    assert "empty" in reasons["empty.txt"].lower()
    assert "truncated" in reasons["truncated.zip"]
    assert "over the limit" in reasons["big.txt"]
    assert any("not valid JSON" in m for m in reasons.values())
    assert all(m for m in reasons.values())
    assert not {"gbk.txt", "bom.txt", "broken.html"} & set(reasons)  # processed, not failed
    rows = _reports(cli_env)
    odd = {r["source"].rsplit("/", 1)[-1]: r for r in rows}
    for name in ("gbk.txt", "bom.txt", "broken.html"):
        assert odd[name]["status"] == "done" and odd[name]["year"] == 2017, name
    after = {r["id"]: r for r in _reports(cli_env)}
    for rid, row in before.items():  # the earlier reports are untouched, except that the
        # odd copies of the seed (other bodies, same year) are its near-duplicates now
        dups = [f for f in json.loads(run_cli(["show", rid, "--json"], cli_env).stdout)["findings"]
                if f["scope"] == "duplicate"]
        counts = {**row["counts"], "findings": row["counts"]["findings"] + len(dups),
                  "warn": row["counts"]["warn"] + len(dups)}
        assert after[rid] == {**row, "counts": counts}
    assert {r["status"] for r in after.values()} <= {"done", "failed"}
    failed = run_cli(["reports", "--status", "failed", "--json"], cli_env)
    assert all(json.loads(l)["error"]["message"] for l in failed.stdout.splitlines())


def test_archives_are_ingested(small_corpus, cli_env, tmp_path):
    archive = tmp_path / "c.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in small_corpus.rglob("*.txt"):
            z.write(p, p.relative_to(small_corpus))
    proc = run_cli(["ingest", str(archive), "--json"], cli_env)
    assert proc.returncode == 0, proc.stderr
    assert _summary(proc)["status"] == {"done": 3}


def test_check_contract_keys(corpus_dir, cli_env):
    proc = run_cli(["check", str(corpus_dir / "reports" / SEED), "--json", "--no-ner"], cli_env)
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout.splitlines()[0])
    for key in ("source", "sha256", "report", "table", "claims", "commitments", "entities", "findings"):
        assert key in rec
    assert set(rec["report"]) >= {"title", "body", "region", "year", "template"}
    assert rec["report"]["year"] == 2017 and rec["report"]["template"] == "pre2019"
    cell = rec["table"]["cells"][0]
    assert set(cell) >= {"key", "label", "column", "value", "raw", "state"}
    text = run_cli(["check", str(corpus_dir / "reports" / SEED), "--text"], cli_env).stdout
    for claim in rec["claims"]:
        assert text[claim["start"]:claim["end"]] == claim["text"]


def test_real_corpus_twice_gives_one_report_per_distinct_file(corpus_dir, cli_env):
    import hashlib

    files = sorted((corpus_dir / "reports").glob("*.txt")) + sorted((corpus_dir / "pdf").glob("*.pdf"))
    distinct = {hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    for attempt in range(2):
        proc = run_cli(["ingest", str(corpus_dir / "reports"), str(corpus_dir / "pdf"), "--json"],
                       cli_env)
        summary = _summary(proc)
        assert summary["distinct"] == len(distinct)
        assert summary["new"] == (len(distinct) if attempt == 0 else 0)
    rows = _reports(cli_env)  # a report stored in two forms is listed once, with its renderings
    assert {r["id"] for r in rows} | {c["id"] for r in rows for c in r["renderings"]} == distinct
    assert len(rows) == summary["reports"] < len(distinct)
    for r in rows:
        assert r["status"] == "done" or (r["status"] == "failed" and r["error"]["message"]), r


def test_worker_stores_cross_year_and_duplicate_findings(corpus_dir, cli_env, tmp_path):
    import pymongo

    folder = tmp_path / "pair"
    folder.mkdir()
    for name in ("2011_pingtan_xianzf.txt", "2011_pingtan_zhsyq.txt",  # two bodies, one text
                 "2023_pingtan_zhsyq.txt", "2024_pingtan_zhsyq.txt"):  # one body, two years
        shutil.copy(corpus_dir / "reports" / name, folder / name)
    assert run_cli(["ingest", str(folder), "--json"], cli_env).returncode == 0
    db = pymongo.MongoClient(cli_env["GONGKAI_MONGO_URL"])[cli_env["GONGKAI_DB_NAME"]]
    dups = list(db.findings.find({"scope": "duplicate", "code": "X.DUPLICATE"}))
    assert len(dups) == 2 and len({d["report_id"] for d in dups}) == 2
    assert {d["prev_report_id"] for d in dups} == {d["report_id"] for d in dups}
    cross = list(db.findings.find({"scope": "cross_year"}))
    assert cross and {c["year"] for c in cross} == {2024}
    # the later year's report shows them in `show --json`, with the rest of its findings
    rid = cross[0]["report_id"]
    shown = json.loads(run_cli(["show", rid, "--json"], cli_env).stdout)
    assert {f["code"] for f in shown["findings"]} >= {c["code"] for c in cross}


def test_new_rule_version_re_evaluates_without_re_parsing(small_corpus, cli_env):
    import pymongo

    seed = small_corpus / SEED
    assert run_cli(["ingest", str(seed), "--json"], cli_env).returncode == 0
    db = pymongo.MongoClient(cli_env["GONGKAI_MONGO_URL"])[cli_env["GONGKAI_DB_NAME"]]
    report = db.reports.find_one({})
    findings_before = sorted((f["_id"], f["code"]) for f in db.findings.find({}))
    claim_ids = sorted(c["_id"] for c in db.claims.find({}))
    db.findings.update_one({"code": "PROSE.STATEMENT"}, {"$set": {"review.state": "confirmed"}})
    # as if the stored report had been checked by an older rule set
    db.reports.update_one({"_id": report["_id"]}, {"$set": {"versions.rules": "0"}})
    summary = _summary(run_cli(["ingest", str(seed), "--json"], cli_env))
    assert summary["status"] == {"done": 1}
    after = db.reports.find_one({"_id": report["_id"]})
    assert after.get("rechecked_at") and after["processed_at"] == report["processed_at"]
    assert after["versions"]["rules"] != "0"
    assert sorted(c["_id"] for c in db.claims.find({})) == claim_ids  # claims not rewritten
    assert sorted((f["_id"], f["code"]) for f in db.findings.find({})) == findings_before
    assert db.findings.find_one({"code": "PROSE.STATEMENT"})["review"]["state"] == "confirmed"


def test_reprocess_failed_keeps_bad_input_lines_failed_with_their_reason(cli_env, tmp_path, corpus_dir):
    """A JSONL line that is not a page (invalid JSON, no "html"/"text") failed because of
    its input: `reprocess --failed` must not turn the raw line into a done report."""
    page = (corpus_dir / "reports" / SEED).read_text("utf-8")
    pages = tmp_path / "pages.jsonl"
    pages.write_text("\n".join([json.dumps({"url": "http://x/1", "text": page}, ensure_ascii=False),
                                "{broken", json.dumps({"url": "http://x/3"}), ""]), encoding="utf-8")
    first = run_cli(["ingest", str(pages), "--json"], cli_env)
    assert first.returncode == 1
    before = {r["id"]: r for r in _reports(cli_env)}
    failed = {rid: r for rid, r in before.items() if r["status"] == "failed"}
    assert len(failed) == 2 and {r["error"]["code"] for r in failed.values()} == {"E300"}
    for flag, status in (("--failed", {"failed": 2}), ("--all", {"done": 1, "failed": 2})):
        again = run_cli(["reprocess", flag, "--json"], cli_env)
        assert again.returncode == 1, again.stderr  # they are still failed, so it says so
        assert _summary(again)["status"] == status
        after = {r["id"]: r for r in _reports(cli_env)}
        for rid, row in failed.items():
            assert after[rid]["status"] == "failed" and after[rid]["error"] == row["error"]
            assert run_cli(["show", rid, "--text"], cli_env).stdout.strip() == ""
    done = [r for r in _reports(cli_env) if r["status"] == "done"]
    assert [r["year"] for r in done] == [2017]


def test_a_user_error_is_one_line_without_traceback(cli_env, tmp_path):
    unreadable = tmp_path / "locked.txt"
    unreadable.write_text("报告", encoding="utf-8")
    unreadable.chmod(0)
    cases = [["show", "0000dead"], ["ingest", str(tmp_path / "absent")]]
    if not os.access(unreadable, os.R_OK):  # root reads everything
        cases.append(["check", str(unreadable)])
    for args in cases:
        proc = run_cli(args, cli_env)
        assert proc.returncode == 1, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, args
    env = {**cli_env, "GONGKAI_MONGO_URL": "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300"}
    proc = run_cli(["reports"], env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
