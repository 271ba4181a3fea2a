"""Pure layout functions of the review app: tables as printed, text windows, shared
passages, commitment follow-up, the message catalogue, the scope query."""
from __future__ import annotations

import pytest

from extractors.catalogue import load_catalogue
from storage.review import QueueFilter, in_scope, scope_query
from web import evidence
from web.body_view import follow_ups
from web.i18n import catalogue as messages, translator


def cell(key, column, raw, start, state="number"):
    value = None if state == "blank" else float(raw)
    return {"key": key, "column": column, "raw": raw, "value": value, "state": state,
            "label": key, "start": start, "end": start + len(raw)}


def test_grid_rows_in_printed_order_with_involved_and_unread_cells():
    cells = [cell("t4.review", "upheld", "10", 50), cell("t4.review", "total", "0", 60),
             cell("t3.new", "natural", "5", 10), cell("t3.new", "total", "5", 20)]
    grids = evidence.table_grids(cells, load_catalogue(), "2021", {("t4.review", "total")})
    sections = [g["section"] for g in grids]
    assert sections.index("t3") < sections.index("t4")
    t4 = next(g for g in grids if g["section"] == "t4")
    assert [c["id"] for c in t4["columns"]] == ["upheld", "total"]
    review_row = next(r for r in t4["rows"] if r["key"] == "t4.review")
    assert [c["involved"] for c in review_row["cells"]] == [False, True]
    # 表四's other mandatory blocks were not read at all: rows marked, cells marked
    unread = [r for r in t4["rows"] if r["missing"]]
    assert unread and all(c["missing"] for r in unread for c in r["cells"])
    t3 = next(g for g in grids if g["section"] == "t3")
    new = next(r for r in t3["rows"] if r["key"] == "t3.new")
    assert [c["raw"] for c in new["cells"]] == ["5", "5"]


def test_a_missing_column_of_a_read_row_is_marked_not_read():
    cells = [cell("t3.new", "natural", "5", 10), cell("t3.new", "total", "5", 20),
             cell("t3.granted", "natural", "1", 30)]
    t3 = next(g for g in evidence.table_grids(cells, load_catalogue(), "2021")
              if g["section"] == "t3")
    granted = next(r for r in t3["rows"] if r["key"] == "t3.granted")
    assert [c["missing"] for c in granted["cells"]] == [False, True]


def test_text_windows_mark_spans_and_merge_neighbours():
    text = "甲" * 100 + "目标" + "乙" * 10 + "其二" + "丙" * 100
    wins = evidence.text_windows(text, [[100, 102], [112, 114]], radius=20)
    assert len(wins) == 1
    marked = [p["text"] for p in wins[0]["parts"] if p["mark"]]
    assert marked == ["目标", "其二"]
    assert "".join(p["text"] for p in wins[0]["parts"]) == text[80:134]


def test_an_empty_span_is_still_shown():
    parts = evidence.text_windows("abc|def", [[3, 3]], radius=2)[0]["parts"]
    assert {"text": "", "mark": True} in parts


def test_shared_passages_marks_only_common_runs():
    common = "本机关认真贯彻落实政府信息公开条例各项要求"
    a, b = "甲乙丙丁" + common + "戊己", "子丑" + common + "寅卯辰"
    pa, pb, share = evidence.shared_passages(a, b, n=8)
    assert [p["text"] for p in pa if p["mark"]] == [common]
    assert [p["text"] for p in pb if p["mark"]] == [common]
    assert 0 < share < 1


def test_commitment_follow_up():
    reports = [{"_id": "a", "year": 2021, "template": "2021"},
               {"_id": "b", "year": 2022, "template": "2021"}]
    tables = {"a": {"cells": [cell("t3.new", "total", "5", 1)]},
              "b": {"cells": [cell("t3.new", "total", "3", 1)]}}
    commits = [{"report_id": "a", "year": 2021, "metric": "t3.new", "direction": "up"},
               {"report_id": "a", "year": 2021, "metric": "t3.new", "direction": "down"},
               {"report_id": "a", "year": 2021, "metric": None, "direction": None},
               {"report_id": "b", "year": 2022, "metric": "t3.new", "direction": "up"},
               {"report_id": "a", "year": 2021, "metric": "某项工作", "direction": "up"}]
    got = [c["follow"] for c in follow_ups(reports, tables, commits)]
    assert got == ["not_followed", "followed", "not_measurable", "no_next_year", "unknown"]


def test_message_catalogue_has_both_languages():
    assert all(set(v) >= {"zh", "en"} for v in messages().values())
    assert translator("zh")("state.confirmed") == "已确认"
    assert translator("en")("state.confirmed") == "confirmed"
    assert translator("en")("queue.page", page=1, pages=2) == "Page 1 of 2"


@pytest.mark.parametrize("doc, regions, seen", [
    ({"region": "江苏省淮安市洪泽区", "body": "洪泽区人民政府"}, ["江苏"], True),
    ({"region": "洪泽区", "body": "淮安市洪泽区人民政府"}, ["淮安"], True),
    ({"region": "平江县", "body": "平江县民政局"}, ["江苏"], False),
    ({"region": "平江县", "body": "平江县民政局"}, [], True),
    ({"region": None, "body": None}, ["江苏"], False),
])
def test_scope(doc, regions, seen):
    assert in_scope(doc, regions) is seen


def test_scope_query_escapes_regex():
    q = scope_query(["a.b"])
    assert q["$or"][0]["region"]["$regex"] == "^a\\.b"
    assert QueueFilter(region=".*").query()["region"]["$regex"] == "^\\.\\*"


def test_every_interface_word_is_in_the_catalogue():
    import re
    from pathlib import Path

    import yaml

    from extractors.rules import KINDS
    from storage.review import ACTIONS, REASONS, STATES, STATUSES

    root = Path(__file__).resolve().parents[1]
    used = set()
    for tpl in (root / "web" / "templates").glob("*.html"):
        used |= set(re.findall(r"t\('([a-z_]+\.[a-z_0-9]+)'", tpl.read_text("utf-8")))
    used = {k for k in used if not k.endswith("_")} | {"finding.year_cur", "finding.year_prev"}
    used |= {f"status.{s}" for s in STATUSES} | {f"state.{s}" for s in STATES}
    used |= {f"reason.{r}" for r in REASONS} | {f"action.{a}" for a in [*ACTIONS, "reopen"]}
    used |= {f"kind.{k}" for k in KINDS}
    levels = yaml.safe_load((root / "config" / "regions.yaml").read_text("utf-8"))
    used |= {f"level.{x['level']}" for key in ("place_suffixes", "body_kinds")
             for x in levels[key] if x.get("level") not in (None, "place")}
    missing = sorted(used - set(messages()))
    assert not missing, missing
