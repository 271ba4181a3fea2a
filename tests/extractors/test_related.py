"""extractors/related.py on hand-built ``gongkai check`` dicts: which records are
renderings of one report, and what relating several records adds to each."""
from __future__ import annotations

from extractors.related import rank_candidates, relate, renderings, same_report
from tests.extractors.test_crossyear import report

PROSE = ("本机关坚持以公开为常态、不公开为例外，全面推进决策、执行、管理、服务、结果公开，"
         "不断加强政府信息公开平台建设，主动回应社会关切，依法保障人民群众的知情权。")
OTHER = ("今年重点推进政务新媒体规范化建设，开展网站普查整改，完善依申请公开答复流程，"
         "组织业务培训三次，编印政策解读材料，畅通咨询渠道并及时回复群众留言。")


def record(rid: str, year: int, cells: dict[str, str], text: str = PROSE,
           body_key: str = "某某区", **more) -> dict:
    rec = report(year, "2021", cells, text=text)
    return {**rec, "id": rid, "body_key": body_key, "source": f"{rid}.txt", **more}


def t3(new: int, carried: int = 0, forward: int = 0) -> dict[str, str]:
    cells = {}
    for col in ("natural", "commercial", "research", "nonprofit", "legal", "other_org", "total"):
        on = col in ("natural", "total")
        cells[f"t3.new@{col}"] = str(new if on else 0)
        cells[f"t3.carried_over@{col}"] = str(carried if on else 0)
        cells[f"t3.carry_forward@{col}"] = str(forward if on else 0)
    return cells


def test_same_body_year_and_equal_cells_are_renderings_of_one_report():
    a = record("a", 2023, t3(5))
    pdf = record("b", 2023, {**t3(5), "unknown:页眉@value": ""}, text=PROSE + "\n-1-")
    assert same_report(a, pdf)
    assert not same_report(a, record("c", 2023, t3(6)))  # one number differs: another report
    assert not same_report(a, record("d", 2024, t3(5)))  # another year
    assert not same_report(a, record("e", 2023, t3(5), body_key="别的区"))
    assert not same_report(a, record("f", 2023, t3(5), body_key=None))
    assert not same_report(a, record("g", 2023, t3(5), text=OTHER))  # same zeros, other prose


def test_without_a_table_renderings_need_near_identical_text():
    a = record("a", 2013, {}, text=PROSE * 3)
    assert same_report(a, record("b", 2013, {}, text="\n".join([PROSE] * 3)))
    assert not same_report(a, record("c", 2013, {}, text=PROSE + OTHER * 2))


def test_the_first_arrived_rendering_is_the_report():
    first, copy, other = record("a", 2023, t3(5)), record("b", 2023, t3(5)), record("c", 2023, t3(7))
    assert renderings([first, copy, other]) == {"a": None, "b": "a", "c": None}
    assert renderings([copy, first]) == {"b": None, "a": "b"}


def test_relate_pairs_consecutive_years_once_and_never_renderings():
    prev = record("p", 2022, t3(1, forward=2), text=OTHER)
    prev_copy = record("q", 2022, t3(1, forward=2), text=OTHER)
    cur = record("c", 2023, t3(1, carried=3))  # carried over 3, last year carried forward 2
    cur_copy = record("d", 2023, t3(1, carried=3))
    out = relate([prev, cur, prev_copy, cur_copy])
    assert out["q"]["rendering_of"] == "p" and out["d"]["rendering_of"] == "c"
    assert out["p"]["renderings"] == ["q"] and out["c"]["renderings"] == ["d"]
    cross = out["c"]["findings"]
    assert {f["code"] for f in cross} == {"X.CARRIED_OVER"}
    assert {(f["scope"], f["prev_report_id"]) for f in cross} == {("cross_year", "p")}
    assert not out["p"]["findings"] and not out["q"]["findings"] and not out["d"]["findings"]


def test_relate_finds_same_year_near_duplicates_of_two_bodies_on_both():
    lsh = ["b0:1", "b1:2"]
    a = record("a", 2011, {}, text=PROSE * 4, lsh=lsh)
    b = record("b", 2011, {}, text=PROSE * 4 + "。", body_key="另一县", lsh=lsh)
    c = record("c", 2011, {}, text=OTHER * 4, body_key="第三县", lsh=["b5:9"])
    out = relate([a, b, c])
    assert [(f["code"], f["prev_report_id"]) for f in out["a"]["findings"]] == [("X.DUPLICATE", "b")]
    assert [(f["code"], f["prev_report_id"]) for f in out["b"]["findings"]] == [("X.DUPLICATE", "a")]
    assert out["c"]["findings"] == []


def test_candidates_are_ranked_by_shared_bands_and_capped():
    others = [{"id": str(i), "lsh": [f"b{j}:x" for j in range(i)]} for i in range(6)]
    ranked = rank_candidates([f"b{j}:x" for j in range(6)], others, limit=3)
    assert [o["id"] for o in ranked] == ["5", "4", "3"]
    assert rank_candidates([], others) == []


def test_candidate_ties_do_not_depend_on_arrival_order():
    """Which candidates are checked is decided by the pair (shared bands, then ids), so
    processing the same reports in another order checks the same pairs."""
    others = [{"id": f"r{i}", "lsh": ["b1:x"]} for i in range(8)]
    first = [o["id"] for o in rank_candidates(["b1:x"], others, limit=3)]
    again = [o["id"] for o in rank_candidates(["b1:x"], others[::-1], limit=3)]
    assert first == again == ["r0", "r1", "r2"]


def test_relate_past_the_cap_marks_the_record_and_checks_the_selected_pairs():
    """Four bodies' copies of one text, a cap of 2: each is compared with its 2 best
    (shared bands, then id) and with those that rank it among theirs, and says it was
    cut; under the cap nothing is marked."""
    lsh = ["b0:1", "b1:2"]
    copies = [record(rid, 2011, {}, text=PROSE * 4 + "。" * i, body_key=f"县{i}", lsh=lsh)
              for i, rid in enumerate("abcd")]
    out = relate(copies, cap=2)
    assert all(out[r]["duplicate_check"]["status"] == "truncated" for r in "abcd")
    assert out["a"]["duplicate_check"]["cap"] == 2
    pairs = {frozenset((r, f["prev_report_id"])) for r in "abcd" for f in out[r]["findings"]}
    # tops: a->b,c  b->a,c  c->a,b  d->a,b: every pair but (c, d)
    assert pairs == {frozenset(p) for p in ("ab", "ac", "bc", "ad", "bd")}
    again = relate(copies[::-1], cap=2)  # nor on the order given
    assert {r: sorted((f["prev_report_id"], f["code"]) for f in again[r]["findings"])
            for r in "abcd"} == {r: sorted((f["prev_report_id"], f["code"])
                                           for f in out[r]["findings"]) for r in "abcd"}
    assert all(v["duplicate_check"] is None for v in relate(copies, cap=3).values())
