"""extractors.commitments: promises from 改进措施 sections and future-marked sentences."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from extractors.commitments import extract_commitments
from extractors.sections import segment

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "corpus" / "gold" / "claims"

# The seed report's section 六 (2017 平江县民政局), verbatim.
PINGJIANG = """六、政府信息公开工作存在的主要问题及改进措施
县民政局认真贯彻落实县委、县政府关于政府信息公开工作的部署和要求,以提升工作质量和水平为突破口,突出民政工作信息,不断创新工作机制,优化工作思路,狠抓措施落实,确保全面完成全年政府信息公开工作各项目标任务。
(一)存在的主要问题:
1、由于单位人员紧张,缺乏专业从事网站管理建设的专职人员,现在从事政府信息公开工作的人员均为兼职,在网站建设上存在短板。
2、在规范性文件和政策性解读等信息公开量上还有提高的空间。
3、内容更新速度有待进一步提高。
(二)改进的措施:
1、着力抓好政务信息报送工作。进一步做好规范性文件的和政策性解读稿件的公开工作,深入开展调查研究、积极拓宽信息渠道,提炼一批具有较高参考价值的信息,使信息质量和总量较上年有较大提高。继续扩大信息覆盖面。
2、主动接受群众监督,服务广大群众,积极回应网络信箱的信访等群众反应的问题,在规定的时限内办结并回复。
3、积极开展相关的教育和培训工作。进一步深化认识,不断增强干部职工学习网络信息技术的主动性和自觉性。
平江县民政局将在2018年中,紧紧围绕县委、县政府全年的中心工作,不断总结经验,扩大政府公开信息覆盖面,拓宽信息收集渠道。
七、附表
政府信息公开情况统计表 |
"""

# Shanghai 2019 section 五: problems and measures as 一是/二是 runs.
SHANGHAI = """五、政府信息公开工作存在的主要问题及改进情况
（一）主要问题
一是新《条例》实施后，专业领域的理论学习仍需加强；二是决策公开仍需进一步加强，公众参与具体举措需进一步细化完善。
（二）改进措施
一是深入做好《条例》的贯彻落实。抓紧修订出台《上海市政府信息公开规定》，动态拓展主动公开范围。二是进一步深化解读回应。重点做好精准解读工作，提高政策解读的针对性。
六、其他需要报告的事项
无。
"""


def _offsets_ok(text: str, items) -> None:
    for c in items:
        assert text[c.start:c.end] == c.text


def test_pingjiang_measures_not_problems() -> None:
    items = extract_commitments(PINGJIANG, year=2017)
    _offsets_ok(PINGJIANG, items)
    assert [c.text[:6] for c in items] == ["1、着力抓好", "2、主动接受", "3、积极开展", "平江县民政局"]
    assert all("有待" not in c.text and "均为兼职" not in c.text for c in items)
    assert all(c.deadline == 2018 for c in items)
    first = items[0]
    assert (first.direction, first.metric, first.measurable) == ("up", "信息质量和总量", True)
    assert first.action == "着力抓好政务信息报送工作"
    assert items[-1].direction == "up" and items[-1].pattern and "@" in items[-1].pattern


def test_shanghai_numbered_runs() -> None:
    items = extract_commitments(SHANGHAI, year=2019)
    _offsets_ok(SHANGHAI, items)
    assert [c.action for c in items] == ["深入做好《条例》的贯彻落实", "进一步深化解读回应"]
    assert [c.deadline for c in items] == [2020, 2020]
    assert items[1].direction == "up" and items[1].metric == "政策解读的针对性"


def test_with_sections_gives_the_same_items() -> None:
    text = "一、总体情况\n2017年，我局主动公开信息128条。\n" + PINGJIANG
    assert extract_commitments(text, segment(text), 2017) == extract_commitments(text, None, 2017)


def test_future_marker_outside_sections() -> None:
    text = "一、总体情况\n本机关持续推进政务公开。下一年度，力争主动公开信息数量增加10%。\n"
    (c,) = extract_commitments(text, year=2020)
    assert (c.deadline, c.direction, c.section) == (2021, "up", None)
    assert c.text == "下一年度，力争主动公开信息数量增加10%。"


def test_past_tense_prose_is_not_a_promise() -> None:
    text = "一、总体情况\n2018年，我局进一步加强了信息公开工作，不断提高公开质量。\n"
    assert extract_commitments(text, year=2018) == []


def test_no_year_no_implied_deadline() -> None:
    items = extract_commitments(SHANGHAI)
    assert items and all(c.deadline is None for c in items)


def test_canonical_metric_when_phrase_names_a_cell() -> None:
    text = "五、存在的主要问题及改进情况\n（二）改进措施\n一是进一步提高主动公开政府信息数量。\n"
    (c,) = extract_commitments(text, year=2017)
    assert (c.metric, c.direction, c.measurable) == ("p.proactive.total", "up", True)


def test_layout_wrapped_items(corpus_dir: Path) -> None:
    text = (corpus_dir / "reports" / "2023_huaian_hongzequ_zf.txt").read_text(encoding="utf-8")
    items = extract_commitments(text, year=2023)
    _offsets_ok(text, items)
    assert len(items) == 3 and all(c.deadline == 2024 for c in items)


def test_five_megabyte_paragraph() -> None:
    unit = "下一步将进一步提高信息公开质量，扩大公开范围，"
    text = (unit * (5_000_000 // len(unit) + 1))[:5_000_000]
    start = time.perf_counter()
    items = extract_commitments(text, year=2020)
    print(f"commitments, 5 MB paragraph: {len(items)} items in {time.perf_counter() - start:.1f} s")
    _offsets_ok(text, items)


def test_corpus_report(corpus_report: Path) -> None:
    text = corpus_report.read_text(encoding="utf-8")
    items = extract_commitments(text, segment(text), int(corpus_report.name[:4]))
    _offsets_ok(text, items)
    assert all(c.deadline is None or c.deadline >= int(corpus_report.name[:4]) for c in items)


def test_gold_commitments(corpus_dir: Path) -> None:
    files = sorted(GOLD.glob("*.json"))
    if not files:
        pytest.skip("corpus/gold/claims has no gold files yet")
    hit = total = ok = found = 0
    for path in files:
        gold = json.loads(path.read_text(encoding="utf-8"))
        text = (corpus_dir / gold["file"]).read_text(encoding="utf-8")
        items = extract_commitments(text, year=int(Path(gold["file"]).name[:4]))
        spans = []
        for g in gold["commitments"]:
            at = text.find(g["quote"])
            spans.append((at, at + len(g["quote"])))
        hit += sum(any(a < c.end and c.start < b for c in items) for a, b in spans)
        ok += sum(any(a < c.end and c.start < b for a, b in spans) for c in items)
        total, found = total + len(spans), found + len(items)
    print(f"gold commitments: recall {hit}/{total}, precision {ok}/{found}")
    assert hit / total >= 0.85 and ok / found >= 0.85
