"""cross_year on hand-built ``gongkai check`` dicts, shingle similarity and body_key."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from extractors.crossyear import body_key, cross_year, shingle_similarity, tokens
from extractors.rules import load_rules

RS = load_rules()
T3_COLS = ["natural", "commercial", "research", "nonprofit", "legal", "other_org", "total"]


def report(year: int, template: str, cells: dict[str, str], claims=(), commitments=(), text=None) -> dict:
    rows = []
    for i, (ref, raw) in enumerate(cells.items()):
        key, _, column = ref.partition("@")
        value = None if raw.strip() in ("", "/", "无") else (float(raw) if "." in raw else int(raw))
        state = "blank" if value is None else ("zero" if value == 0 else "number")
        rows.append({"key": key, "label": key, "column": column or "value", "value": value,
                     "raw": raw, "state": state, "start": 100 + 10 * i, "end": 103 + 10 * i})
    out = {"source": f"{year}.txt", "report": {"year": year, "template": template},
           "table": {"cells": rows}, "claims": list(claims), "commitments": list(commitments)}
    if text is not None:
        out["text"] = text
    return out


def codes(findings):
    return sorted(f.code for f in findings)


def test_carried_over_matches_last_years_carry_forward():
    prev = report(2022, "2021", {f"t3.carry_forward@{c}": "1" if c in ("natural", "total") else "0" for c in T3_COLS})
    same = report(2023, "2021", {f"t3.carried_over@{c}": "1" if c in ("natural", "total") else "0" for c in T3_COLS})
    assert cross_year(prev, same, RS) == []
    moved = report(2023, "2021", {f"t3.carried_over@{c}": "3" if c in ("natural", "total") else "0" for c in T3_COLS})
    found = cross_year(prev, moved, RS)
    assert [(f.code, f.status) for f in found] == [("X.CARRIED_OVER", "warn")] * 2
    assert found[0].expression == "3 = 1 ✗"
    assert {c["year"] for c in found[0].cells} == {"cur", "prev"}
    assert found[0].spans == ((100, 103),)  # this year's cell only


def test_a_cell_not_read_in_either_year_is_unknown_not_zero():
    """This year's table lacks 上年结转 of one column (a page break ate it) and last year's
    lacks 结转下年度 of another: those columns are not_assessable, naming the unread cells,
    never a warning computed with 0 in their place."""
    prev = report(2022, "2021", {f"t3.carry_forward@{c}": "1" for c in T3_COLS if c != "research"})
    cur = report(2023, "2021", {f"t3.carried_over@{c}": "1" for c in T3_COLS if c != "legal"})
    found = cross_year(prev, cur, RS)
    assert [(f.code, f.status) for f in found] == [("X.CARRIED_OVER", "not_assessable")]
    assert sorted(found[0].extra["unread"]) == ["t3.carried_over@legal", "t3.carry_forward@research"]
    assert "未读" in found[0].expression


def test_in_force_roll_forward():
    prev = report(2022, "2021", {"t2.normative@in_force": "698"})
    cur = report(2023, "2021", {"t2.normative@issued": "77", "t2.normative@repealed": "132",
                                "t2.normative@in_force": "470"})
    [f] = cross_year(prev, cur, RS)
    assert (f.code, f.status) == ("X.IN_FORCE", "warn")
    assert f.expression == "470 = 698 + 77 − 132 (643) ✗" and f.values == (470, 643)
    ok = report(2023, "2021", {"t2.normative@issued": "77", "t2.normative@repealed": "132",
                               "t2.normative@in_force": "643"})
    assert cross_year(prev, ok, RS) == []


def test_roll_forward_needs_consecutive_years_and_templates():
    prev = report(2021, "2021", {"t2.normative@in_force": "698"})
    cur = report(2023, "2021", {"t2.normative@issued": "1", "t2.normative@repealed": "0",
                                "t2.normative@in_force": "5"})
    assert cross_year(prev, cur, RS) == []
    prev19 = report(2020, "2019trial", {"t2.normative@total_published": "698"})
    cur21 = report(2021, "2021", {"t2.normative@issued": "1", "t2.normative@repealed": "0",
                                  "t2.normative@in_force": "5"})
    assert cross_year(prev19, cur21, RS) == []


def test_2019_trial_total_published_and_prev_items():
    prev = report(2019, "2019trial", {"t2.rules@total_published": "0", "t2.licensing@prev_items": "10",
                                      "t2.licensing@change": "2"})
    cur = report(2020, "2019trial", {"t2.rules@published": "0", "t2.rules@total_published": "7",
                                     "t2.licensing@prev_items": "12"})
    assert codes(cross_year(prev, cur, RS)) == ["X.TOTAL_PUBLISHED"]


def test_cumulative_one_finding_listing_every_broken_row():
    prev = report(2015, "pre2019", {"p.apply.received@cumulative": "1", "p.reply.total@cumulative": "1",
                                    "p.proactive.total@cumulative": "100", "p.channel.gazette@cumulative": ""})
    cur = report(2016, "pre2019", {"p.apply.received@value": "0", "p.apply.received@cumulative": "0",
                                   "p.reply.total@value": "0", "p.reply.total@cumulative": "0",
                                   "p.proactive.total@value": "20", "p.proactive.total@cumulative": "120",
                                   "p.channel.gazette@value": "0", "p.channel.gazette@cumulative": "0"})
    found = cross_year(prev, cur, RS)
    assert [(f.code, f.status) for f in found] == [("X.CUMULATIVE", "warn"), ("X.CUMULATIVE", "not_assessable")]
    assert found[0].expression == "0 = 1 + 0; 0 = 1 + 0 ✗"
    assert found[1].expression == "0 = 空 + 0"


def test_change_claim_against_last_years_table():
    prev = report(2018, "2021", {"t3.new@total": "1000"})
    claim = {"kind": "change", "metric": "t3.new", "value": 12.3, "unit": "%", "direction": "down",
             "text": "申请数量较去年回落12.3%", "start": 5, "end": 17}
    right = report(2019, "2021", {"t3.new@total": "877"}, claims=[claim])
    assert cross_year(prev, right, RS) == []
    wrong = report(2019, "2021", {"t3.new@total": "880"}, claims=[claim])  # −12.0 %
    [f] = cross_year(prev, wrong, RS)
    assert (f.code, f.status, f.spans) == ("X.CHANGE", "warn", ((5, 17),))
    count = {"kind": "change", "metric": "t3.new", "value": 20, "unit": "件", "direction": "up",
             "text": "增加20件", "start": 1, "end": 6}
    assert cross_year(prev, report(2019, "2021", {"t3.new@total": "1020"}, claims=[count]), RS) == []
    assert len(cross_year(prev, report(2019, "2021", {"t3.new@total": "1021"}, claims=[count]), RS)) == 1


def test_commitment_direction():
    promise = {"text": "进一步提高政策解读数量", "start": 40, "end": 51, "metric": "p.response.interpretation",
               "direction": "up"}
    prev = report(2016, "pre2019", {"p.response.interpretation": "5"}, commitments=[promise])
    kept = report(2017, "pre2019", {"p.response.interpretation": "9"})
    broken = report(2017, "pre2019", {"p.response.interpretation": "5"})
    assert cross_year(prev, kept, RS) == []
    [f] = cross_year(prev, broken, RS)
    assert (f.code, f.status) == ("X.COMMITMENT", "warn") and f.extra["prev_spans"] == [(40, 51)]


BASE_TEXT = ("平潭县人民政府认真贯彻落实政府信息公开条例，进一步完善工作机制，加强组织领导，"
             "主动公开政府信息425条，其中网站公开418条，政府公报公开7条。全年未收到依申请公开。")


def test_shingle_similarity():
    a = tokens(BASE_TEXT)
    assert shingle_similarity(a, a) == 1.0
    assert shingle_similarity(a, tokens("完全不同的一段文字，讲的是别的事情。")) == 0.0
    near = tokens(BASE_TEXT.replace("平潭县", "平潭综合实验区").replace("425", "431"))
    assert 0.6 < shingle_similarity(a, near) < 1.0
    assert shingle_similarity([], a) == 0.0


def _tuple_jaccard(a: list[str], b: list[str], k: int = 5) -> float:
    """The definition, written out with sets of token tuples."""
    def runs(t):
        return {tuple(t[i:i + k]) for i in range(len(t) - k + 1)} if len(t) >= k else ({tuple(t)} if t else set())
    x, y = runs(a), runs(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def test_fingerprinted_shingles_give_the_set_jaccard_of_token_runs():
    import random

    from tests.extractors.conftest import corpus_files

    rng = random.Random(5)
    alphabet = "公开信息政府申请条例年度报告工作办理答复"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(40)]
    texts += [p.read_text(encoding="utf-8", errors="ignore") for p in corpus_files("reports")[:12]]
    texts += ["", "ab", "一二三", "一二三四五", "一二三四五六"]
    for i, a in enumerate(texts):
        for b in texts[i:]:
            assert shingle_similarity(tokens(a), tokens(b)) == _tuple_jaccard(tokens(a), tokens(b))


def test_stored_fingerprints_are_the_same_in_every_process():
    """Storage keeps a text's fingerprints for later reports' checks, read by other
    processes (whose str hashes are salted differently)."""
    import hashlib
    import os
    import subprocess
    import sys

    from extractors.crossyear import fingerprint_bytes, fingerprints_from, text_shingles

    text = BASE_TEXT + "2021年 GDP 增长 5.5% ABC"
    code = ("import hashlib, sys; from extractors.crossyear import fingerprint_bytes; "
            "print(hashlib.sha256(fingerprint_bytes(sys.argv[1])).hexdigest())")
    root = str(Path(__file__).resolve().parents[2])
    digests = {subprocess.run([sys.executable, "-c", code, text], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": root},
                              check=True).stdout.strip() for seed in ("1", "2")}
    assert digests == {hashlib.sha256(fingerprint_bytes(text)).hexdigest()}
    assert (fingerprints_from(fingerprint_bytes(text)) == text_shingles(text)).all()


def test_near_duplicate_warns_even_for_other_bodies():
    a = report(2011, "pre2019", {}, text=BASE_TEXT * 3)
    b = report(2011, "pre2019", {}, text=(BASE_TEXT * 3).replace("县", "区"))
    [f] = cross_year(a, b, RS)
    assert (f.code, f.status) == ("X.DUPLICATE", "warn") and f.extra["similarity"] > 0.6
    c = report(2012, "pre2019", {}, text="本年度报告由某局编制，内容涵盖主动公开、依申请公开和复议诉讼情况。" * 3)
    assert cross_year(a, c, RS) == []


@pytest.mark.parametrize("name,key", [
    ("平潭综合实验区（发布机构：平潭综合实验区管委会办公室）", "平潭综合实验区"),
    ("平潭综合实验区管委会", "平潭综合实验区"),
    ("平潭综合实验区（编制：平潭综合实验区管委会办公室；发布机构：平潭综合实验区管委会）", "平潭综合实验区"),
    ("平潭县人民政府（发布机构字段为空）", "平潭县"),
    ("平潭县人民政府", "平潭县"),
    ("上海市人民政府办公厅", "上海市人民政府办公厅"),
    ("沐阳县发展和改革局", "沭阳县发展和改革局"),
    ("淮安市洪泽区人民政府2023年度", "洪泽区"),
])
def test_body_key(name, key):
    assert body_key(name, RS) == key


PROBLEMS = "一、存在的主要问题及改进情况\n" + "信息公开工作仍存在一些不足，主要是公开内容不够全面，更新不够及时，解读不够深入。" * 2


def with_sections(year: int, intro: str, problems: str) -> dict:
    text = intro + problems
    r = report(year, "pre2019", {}, text=text)
    r["sections"] = {"sections": [{"title": "概述", "level": 1, "start": 0, "end": len(intro), "kind": "overview"},
                                  {"title": "存在的主要问题及改进情况", "level": 1, "start": len(intro),
                                   "end": len(text), "kind": "problems"}]}
    return r


def test_copied_section_warns_once():
    prev = with_sections(2012, "二〇一二年全区共主动公开政府信息739条，网站公开739条。", PROBLEMS)
    cur = with_sections(2013, "本年度新建了政务服务中心，受理审批事项一万余件，群众满意度明显提升。", PROBLEMS)
    [f] = cross_year(prev, cur, RS)
    assert (f.code, f.status, f.extra["section_kind"]) == ("X.SECTION_COPY", "warn", "problems")
    whole = with_sections(2013, "二〇一二年全区共主动公开政府信息739条，网站公开739条。", PROBLEMS)
    assert codes(cross_year(prev, whole, RS)) == ["X.DUPLICATE"]


# --------------------------------------------------------------- real corpus, end to end

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
GOLD = Path(__file__).resolve().parents[2] / "corpus" / "gold" / "findings"


@pytest.fixture(scope="module")
def corpus_pairs():
    """{later stem: cross_year findings} for consecutive reports of one body (body_key of
    the manifest's body) and, for X.DUPLICATE only, reports of other bodies of the same year."""
    if not (CORPUS / "manifest.tsv").is_file():
        pytest.skip(f"../shared/corpus not present: {CORPUS}")
    tables = pytest.importorskip("extractors.tables")
    sections_mod = pytest.importorskip("extractors.sections")
    docs = {}
    for row in csv.DictReader((CORPUS / "manifest.tsv").open(encoding="utf-8"), delimiter="\t"):
        if not row["file"].startswith("reports/"):
            continue
        text = (CORPUS / row["file"]).read_text(encoding="utf-8")
        table = tables.parse_tables(text)
        docs[Path(row["file"]).stem] = {
            "source": row["file"], "report": {"year": int(row["year"]), "template": table.template},
            "table": table.to_dict(), "claims": [], "commitments": [], "text": text,
            "sections": sections_mod.segment(text).to_dict(), "body": body_key(row["body"], RS)}
    found: dict[str, list] = {stem: [] for stem in docs}
    for b, cur in docs.items():
        for a, prev in docs.items():
            same_body = prev["body"] == cur["body"] and cur["report"]["year"] == prev["report"]["year"] + 1
            same_year = prev["body"] != cur["body"] and prev["report"]["year"] == cur["report"]["year"]
            if same_body:
                found[b] += cross_year(prev, cur, RS)
            elif same_year:
                found[b] += [f for f in cross_year(prev, cur, RS) if f.code == "X.DUPLICATE"]
    return found


def _gold(stem: str) -> list[dict]:
    path = GOLD / f"{stem}.json"
    return json.loads(path.read_text(encoding="utf-8"))["findings"] if path.is_file() else []


def _hit(f, g) -> bool:
    if f.status != g["status"]:
        return False
    if g["category"] == "duplicate":
        return f.code in ("X.DUPLICATE", "X.SECTION_COPY")
    return bool(set(g["cells"]) & {f"{c['key']}@{c['column']}" for c in f.cells})


@pytest.mark.corpus
def test_corpus_cross_year_gold_found(corpus_pairs):
    gold = [(stem, g) for stem in corpus_pairs for g in _gold(stem)
            if g["category"] in ("cross_year", "duplicate")]
    if not gold:
        pytest.skip("no gold cross-year findings")
    missed = [(stem, g["what"][:40]) for stem, g in gold if not any(_hit(f, g) for f in corpus_pairs[stem])]
    assert missed == []


@pytest.mark.corpus
def test_corpus_cross_year_nothing_extra(corpus_pairs):
    extra = [(stem, f.code, f.expression) for stem, found in corpus_pairs.items() for f in found
             if not any(_hit(f, g) for g in _gold(stem))]
    assert extra == []
