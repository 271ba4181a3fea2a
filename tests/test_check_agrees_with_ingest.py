"""What `gongkai check` says about files is what `show` says about them after `ingest`,
and every count agrees: the real CLI, the real corpus, a real embedded store.

Regression tests for the known bugs of issue 8: findings collapsing when stored,
`reports` counts leaving out cross-year and duplicate findings, renderings of one report
stored as two reports, and `check` over several files relating nothing."""
from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import uuid
from collections import Counter, defaultdict

import pymongo
import pytest

from tests.conftest import run_cli

HONGZE = ("2023_huaian_hongzequ_zf", "2024_huaian_hongzequ_zf")


def _lines(proc) -> list[dict]:
    assert proc.returncode in (0, 1), proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def _summary(proc) -> dict:
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _findings(record: dict) -> Counter:
    """The findings as a multiset of what they say (code, status, cells, spans, values)."""
    return Counter(json.dumps([f["code"], f["status"], f.get("cells"), f.get("spans"),
                               f.get("values")], sort_keys=True, ensure_ascii=False)
                   for f in record["findings"])


def _counts(record: dict) -> dict:
    statuses = [f["status"] for f in record["findings"]]
    return {"cells": len(record["table"]["cells"]), "claims": len(record["claims"]),
            "commitments": len(record["commitments"]), "entities": len(record["entities"]),
            "findings": len(statuses), "fail": statuses.count("fail"),
            "warn": statuses.count("warn")}


def _shown(env, ids) -> dict[str, dict]:
    proc = run_cli(["show", *ids, "--json"], env)
    assert proc.returncode == 0, proc.stderr
    return {r["id"]: r for r in _lines(proc)}


def _of(record) -> str | None:
    return (record.get("rendering_of") or {}).get("id")


def _agree(checked: list[dict], shown: dict[str, dict]) -> None:
    for rec in checked:
        got = shown[rec["sha256"]]
        assert _findings(got) == _findings(rec), rec["source"]
        assert _of(got) == _of(rec), rec["source"]
        assert sorted(r["id"] for r in got["renderings"]) == sorted(
            r["id"] for r in rec["renderings"]), rec["source"]


# ------------------------------------------------------------------ the whole real corpus

@pytest.fixture(scope="module")
def corpus_db(mongo_url, corpus_dir, tmp_path_factory):
    """The real corpus (text reports, then PDFs) ingested once into its own database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(GONGKAI_MONGO_URL=mongo_url, GONGKAI_DB_NAME="gk_test_" + uuid.uuid4().hex[:10],
               GONGKAI_DATA_DIR=str(tmp_path_factory.mktemp("data")), GONGKAI_NER="false",
               GONGKAI_WORKERS="2")
    paths = [str(corpus_dir / "reports"), str(corpus_dir / "pdf")]
    proc = run_cli(["ingest", *paths, "--json"], env)
    assert proc.returncode == 0, proc.stderr
    yield env, paths, _summary(proc)
    pymongo.MongoClient(mongo_url).drop_database(env["GONGKAI_DB_NAME"])


def test_check_over_the_corpus_says_what_show_says_after_ingest(corpus_db):
    env, paths, _ = corpus_db
    checked = _lines(run_cli(["check", *paths, "--json", "--no-ner"], env))
    assert len(checked) == 29 and all("error" not in r for r in checked)
    shown = _shown(env, [r["sha256"] for r in checked])
    _agree(checked, shown)
    # the relations are there, not only agreeing: cross-year and duplicate findings
    scopes = Counter(f.get("scope") for r in checked for f in r["findings"])
    assert scopes["cross_year"] > 0 and scopes["duplicate"] > 0
    # a rendering takes part in no cross-year or near-duplicate check, on either side
    copies = {r["sha256"] for r in checked if r["rendering_of"]}
    assert len(copies) == 3
    related = [(r["sha256"], f["prev_report_id"]) for r in checked for f in r["findings"]
               if f.get("scope")]
    assert not [pair for pair in related if set(pair) & copies]


def test_reports_counts_are_the_counts_show_shows(corpus_db):
    env, _, _ = corpus_db
    rows = _lines(run_cli(["reports", "--json", "--renderings"], env))
    shown = _shown(env, [r["id"] for r in rows])
    assert len(rows) == 29
    for row in rows:
        assert row["counts"] == _counts(shown[row["id"]]) == shown[row["id"]]["counts"], row["source"]
    assert sum(r["counts"]["findings"] for r in rows) > sum(
        1 for r in shown.values() for f in r["findings"] if f["scope"] == "report")


def _renderings_by_manifest(corpus_dir) -> dict[str, str]:
    """pdf file -> text file, for the files manifest.tsv gives one source (one report)."""
    by_source = defaultdict(list)
    with (corpus_dir / "manifest.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            by_source[row["source"]].append(row["file"])
    pairs = {}
    for files in by_source.values():
        texts = [f for f in files if f.startswith("reports/")]
        for f in files:
            if f.startswith("pdf/") and texts:
                pairs[f.split("/", 1)[1]] = texts[0].split("/", 1)[1]
    return pairs


def test_renderings_of_the_corpus_are_recognised_and_counted_once(corpus_db, corpus_dir):
    env, _, summary = corpus_db
    expected = _renderings_by_manifest(corpus_dir)
    assert len(expected) == 3
    found = {os.path.basename(r["source"]): os.path.basename(r["of_source"])
             for r in summary["renderings"]}
    assert found == expected  # each PDF is the text file of the same report, nothing else
    assert summary["reports"] == summary["distinct"] - 3
    listed = _lines(run_cli(["reports", "--json"], env))
    assert len(listed) == summary["reports"]
    nested = {os.path.basename(r["source"]) for row in listed for r in row["renderings"]}
    assert nested == set(expected)
    human = run_cli(["show", summary["renderings"][0]["id"][:12]], env).stdout
    assert "rendering of" in human


# ------------------------------------------------------------------ bug: stored findings collapsed

def test_findings_that_differ_only_in_what_they_name_are_all_stored(corpus_dir, cli_env, tmp_path):
    """A report cut short after its table 3 lacks two required sections: two
    STRUCT.MANDATORY warns with no cells and no spans, which storing once collapsed."""
    lines = (corpus_dir / "reports" / "2022_pingtan_zhsyq.txt").read_text("utf-8").splitlines()
    cut = next(i for i, line in enumerate(lines) if line.startswith("四、结转下年度"))
    short = tmp_path / "cut.txt"
    short.write_text("\n".join(lines[:cut + 1]) + "\n", encoding="utf-8")
    [checked] = _lines(run_cli(["check", str(short), "--json", "--no-ner"], cli_env))
    mandatory = [f for f in checked["findings"] if f["code"] == "STRUCT.MANDATORY"]
    assert len(mandatory) == 2 and not any(f["cells"] or f["spans"] for f in mandatory)
    assert run_cli(["ingest", str(short), "--json"], cli_env).returncode == 0
    [row] = _lines(run_cli(["reports", "--json"], cli_env))
    shown = _shown(cli_env, [row["id"]])[row["id"]]
    assert _findings(shown) == _findings(checked)
    assert row["counts"]["findings"] == len(checked["findings"]) == len(shown["findings"])
    human = run_cli(["show", row["id"][:12]], cli_env).stdout
    assert human.count("STRUCT.MANDATORY") == 2


# ------------------------------------------------------------------ bug: check related nothing

def _seed_carried_over(text: str) -> str:
    """Last year's carried-forward 0 becomes 2 carried over this year (the year's own
    balance kept: 2 fewer new requests)."""
    text, n = re.subn(r"(?m)^(二、上年结转政府信息公开申请数量\s+)0(.*\s)0$", r"\g<1>2\g<2>2", text)
    text, m = re.subn(r"(?m)^(一、本年新收政府信息公开申请数量\s+)95(.*\s)95$", r"\g<1>93\g<2>93", text)
    assert n == m == 1
    return text


def test_check_on_two_years_of_one_body_gives_the_cross_year_findings(corpus_dir, cli_env, tmp_path):
    reports = corpus_dir / "reports"
    real = [str(reports / f"{stem}.txt") for stem in HONGZE]
    pair = _lines(run_cli(["check", *real, "--json", "--no-ner"], cli_env))
    assert [r["report"]["year"] for r in pair] == [2023, 2024]
    assert run_cli(["ingest", *real, "--json"], cli_env).returncode == 0
    _agree(pair, _shown(cli_env, [r["sha256"] for r in pair]))

    seeded = tmp_path / "2024.txt"
    seeded.write_text(_seed_carried_over((reports / f"{HONGZE[1]}.txt").read_text("utf-8")),
                      encoding="utf-8")
    alone = _lines(run_cli(["check", str(seeded), "--json", "--no-ner"], cli_env))[0]
    assert not any(f["code"].startswith("X.") for f in alone["findings"])
    both = _lines(run_cli(["check", real[0], str(seeded), "--json", "--no-ner"], cli_env))
    cross = [f for f in both[1]["findings"] if f.get("scope") == "cross_year"]
    assert {f["code"] for f in cross} == {"X.CARRIED_OVER"}
    assert {f["prev_report_id"] for f in cross} == {both[0]["sha256"]}
    assert not [f for f in both[0]["findings"] if f.get("scope")]  # stored on the later year
    human = run_cli(["check", real[0], str(seeded), "--no-ner"], cli_env).stdout
    assert "X.CARRIED_OVER" in human


def test_check_on_the_2011_duplicate_pair_flags_both(corpus_dir, cli_env):
    files = [str(corpus_dir / "reports" / f"2011_pingtan_{b}.txt") for b in ("xianzf", "zhsyq")]
    checked = _lines(run_cli(["check", *files, "--json", "--no-ner"], cli_env))
    for rec, other in ((checked[0], checked[1]), (checked[1], checked[0])):
        dups = [f for f in rec["findings"] if f["code"] == "X.DUPLICATE"]
        assert [(f["scope"], f["prev_report_id"]) for f in dups] == [("duplicate", other["sha256"])]
    assert run_cli(["ingest", *files, "--json"], cli_env).returncode == 0
    _agree(checked, _shown(cli_env, [r["sha256"] for r in checked]))


# ------------------------------------------------------------------ bug: renderings were two reports

def _html_page(text: str) -> bytes:
    """A government page of a text report: one <p> per line, ``a | b`` lines as table rows."""
    out, rows = [], []
    for line in text.splitlines() + [""]:
        if " | " in line:
            rows.append("<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>"
                                         for c in line.split(" | ")) + "</tr>")
            continue
        if rows:
            out.append("<table>" + "".join(rows) + "</table>")
            rows = []
        out.append(f"<p>{html.escape(line)}</p>")
    return ("<html><head><meta charset='utf-8'><title>年度报告</title></head><body>"
            "<div class='article'>" + "".join(out) + "</div></body></html>").encode("utf-8")


def test_renderings_are_related_once_and_checked_as_ingested(corpus_dir, cli_env, tmp_path):
    """The 2023 and 2024 reports of one body as text and as HTML pages: two reports, two
    renderings; the cross-year finding between the years is raised once, between the
    reports, and no rendering is compared with another."""
    folder = tmp_path / "in"
    folder.mkdir()
    files = []
    for year in (2023, 2024):
        src = corpus_dir / "reports" / f"{year}_pingtan_zhsyq.txt"
        files.append(folder / src.name)
        shutil.copy(src, files[-1])
    for year in (2023, 2024):
        page = folder / f"{year}_page.html"
        page.write_bytes(_html_page((folder / f"{year}_pingtan_zhsyq.txt").read_text("utf-8")))
        files.append(page)
    args = [str(f) for f in files]
    proc = run_cli(["ingest", *args, "--json"], cli_env)
    summary = _summary(proc)
    assert summary["distinct"] == 4 and summary["reports"] == 2
    assert {os.path.basename(r["source"]): os.path.basename(r["of_source"])
            for r in summary["renderings"]} == {"2023_page.html": "2023_pingtan_zhsyq.txt",
                                                "2024_page.html": "2024_pingtan_zhsyq.txt"}
    said = run_cli(["ingest", *args], cli_env).stdout
    assert "2 reports" in said and said.count("rendering ") == 2
    checked = _lines(run_cli(["check", *args, "--json", "--no-ner"], cli_env))
    shown = _shown(cli_env, [r["sha256"] for r in checked])
    _agree(checked, shown)
    cross = [(r["source"], f["code"], f["prev_report_id"]) for r in checked
             for f in r["findings"] if f.get("scope")]
    assert cross == [(args[1], "X.IN_FORCE", checked[0]["sha256"])]
    rows = _lines(run_cli(["reports", "--json"], cli_env))
    assert [len(r["renderings"]) for r in rows] == [1, 1]


def test_check_reads_pages_and_archives_as_ingest_reads_them(corpus_dir, cli_env, tmp_path):
    import zipfile

    seed = corpus_dir / "reports" / "2017_pingjiang_mzj.txt"
    pages = tmp_path / "pages.jsonl"
    pages.write_text(json.dumps({"url": "http://x/1", "text": seed.read_text("utf-8")},
                                ensure_ascii=False) + "\n{broken\n", encoding="utf-8")
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for stem in HONGZE:
            z.write(corpus_dir / "reports" / f"{stem}.txt", f"{stem}.txt")
    proc = run_cli(["check", str(pages), str(archive), "--json", "--no-ner"], cli_env)
    assert proc.returncode == 1  # the broken line
    out = _lines(proc)
    assert [r["source"].rsplit("!", 1)[-1] for r in out] == [
        "http://x/1", f"{pages}:2", *(f"{stem}.txt" for stem in HONGZE)]
    assert out[0]["report"]["year"] == 2017 and out[1]["error"]["code"] == "E300"
    assert [r["report"]["year"] for r in out[2:]] == [2023, 2024]
