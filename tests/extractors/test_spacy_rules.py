"""spaCy token patterns: the EntityRuler for government bodies and places
(config/patterns/entities_spacy.jsonl) and the commitment-target Matcher
(config/patterns/commitments_spacy.jsonl), their validation, and their wiring."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from extractors.commitments import extract_commitments
from extractors.entities import extract_entities, merge
from extractors.errors import ConfigError
from extractors.models import Entity
from extractors.patterns import PATTERN_DIR, SPACY_LABELS, load_spacy_patterns

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "corpus" / "gold" / "claims"

# Commitment items → (direction, measurable, metric).  Measurable means the Matcher found a
# direction verb with a counted target, or the target names a catalogue cell.
MATCHER_CASES = [
    ("着力减少行政复议、行政诉讼案件数量。", "down", True, "行政复议、行政诉讼案件数量"),
    ("进一步提高主动公开政府信息数量。", "up", True, "p.proactive.total"),
    ("使信息质量和总量较上年有较大提高。", "up", True, "信息质量和总量"),
    ("降低行政复议、行政诉讼发生率和纠错率。", "down", True, "行政复议、行政诉讼发生率和纠错率"),
    ("进一步缩短依申请公开办理时限。", "down", True, "依申请公开办理时限"),
    ("提高政府信息公开整体工作水平。", "up", False, "政府信息公开整体工作水平"),
    ("扩大政府公开信息覆盖面。", "up", False, "政府公开信息覆盖面"),
    ("加大统筹指导力度。", "up", False, "统筹指导力度"),
    ("提高工作效率。", "up", False, "工作效率"),
]

# Prose → (ORG text the ruler must find, pattern id).
ORG_CASES = [
    ("本报告由平江县民政局编制。", "平江县民政局", "ent.org.place_organ"),
    ("联系平潭综合实验区管委会办公室。", "平潭综合实验区管委会办公室", "ent.org.place_organ"),
    ("淮安市人民政府办公室负责解释。", "淮安市人民政府办公室", "ent.org.place_organ"),
    ("根据上海市人民政府办公厅的部署，", "上海市人民政府办公厅", "ent.org.government_token"),
    ("沭阳县发展和改革局编制本报告。", "沭阳县发展和改革局", "ent.org.place_desc_organ"),
    ("本报告由淮安市洪泽区人民政府办公室编制。", "淮安市洪泽区人民政府办公室", "ent.org.split_place_organ"),
    ("向县政务服务中心提交。", "县政务服务中心", "ent.org.bare_place_organ"),
]

# Prose → a word no ORG may include (a verb before a bare 区, a function word jieba glued to 区).
NOT_IN_ORG = [("各单位指定区行政服务中心窗口受理。", "指定"), ("对区管委会各部门进行督查。", "对"),
              ("全市各部门认真落实。", "全市"), ("以下简称区办公室", "简称")]


# --- pattern files ------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SPACY_LABELS))
def test_pattern_files_validate(name: str) -> None:
    records = load_spacy_patterns(name)
    assert records and len({r["id"] for r in records}) == len(records)
    assert all(isinstance(r["version"], int) for r in records)


BAD_RECORDS = [
    ({"id": "bad.key", "version": 1, "label": "ORG", "pattern": [{"TEXT": "局"}], "regex": "x"}, "unknown keys"),
    ({"id": "ent.org.place_organ", "version": 1, "label": "ORG", "pattern": [{"TEXT": "局"}]}, "unique"),
    ({"id": "bad.attr", "version": 1, "label": "ORG", "pattern": [{"TEXTT": "局"}]}, "bad spaCy token pattern"),
    ({"id": "bad.op", "version": 1, "label": "ORG", "pattern": [{"TEXT": "局", "OP": "!!"}]}, "bad spaCy token pattern"),
    ({"id": "bad.shape", "version": 1, "label": "ORG", "pattern": "平江县民政局"}, "list of token dicts"),
    ({"id": "bad.label", "version": 1, "label": "LAW", "pattern": [{"TEXT": "局"}]}, "label must be one of"),
    ({"id": "bad.version", "version": "1", "label": "ORG", "pattern": [{"TEXT": "局"}]}, "version"),
]


@pytest.mark.parametrize("record,message", BAD_RECORDS, ids=[r[0]["id"] + ":" + r[1] for r in BAD_RECORDS])
def test_bad_pattern_names_file_line_id(tmp_path: Path, record: dict, message: str) -> None:
    folder = tmp_path / "patterns"
    shutil.copytree(PATTERN_DIR, folder)
    path = folder / "entities_spacy.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() + [json.dumps(record, ensure_ascii=False)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_spacy_patterns("entities_spacy.jsonl", folder)
    assert f"entities_spacy.jsonl:{len(lines)}" in exc.value.message
    assert record["id"] in exc.value.message and message in exc.value.message


# --- EntityRuler ---------------------------------------------------------------------------

@pytest.mark.parametrize("text,org,rule", ORG_CASES, ids=[c[1] for c in ORG_CASES])
def test_ruler_finds_government_bodies(text: str, org: str, rule: str) -> None:
    entities = extract_entities(text, use_ner=False, use_spacy=True)
    (e,) = [e for e in entities if e.source == "spacy"]
    assert (e.label, e.text, e.pattern) == ("ORG", org, f"{rule}@1")
    assert text[e.start:e.end] == e.text and e.start == text.index(org)


@pytest.mark.parametrize("text,word", NOT_IN_ORG, ids=[c[1] for c in NOT_IN_ORG])
def test_ruler_skips_verbs_and_function_words(text: str, word: str) -> None:
    orgs = [e.text for e in extract_entities(text, use_ner=False, use_spacy=True) if e.label == "ORG"]
    assert not any(word in org for org in orgs)


def test_ruler_places_and_wrapped_lines() -> None:
    text = ("  本报告由淮安市洪泽区人民政府办公室根据《中华人民共和国政府\n信息公开条例》要求编制。如对本报告有疑问，请与淮安市洪\n"
            "泽区人民政府办公室联系，联系电话为0517-87290606，地址在淮安市洪泽区洪泽湖大道。\n")
    found = [(e.label, e.text, e.source) for e in extract_entities(text, use_ner=False, use_spacy=True)]
    assert ("ORG", "淮安市洪\n泽区人民政府办公室", "spacy") in found
    assert ("GPE", "淮安市洪泽区", "spacy") in found
    assert ("LAW", "《中华人民共和国政府\n信息公开条例》", "rule") in found


def test_ruler_skips_table_lines() -> None:
    text = "平江县民政局 | 件 | 0\n上海市人民政府办公厅 | 2 | 3\n"
    assert [e for e in extract_entities(text, use_ner=False, use_spacy=True) if e.source == "spacy"] == []


def test_merge_prefers_longer_then_rule_spacy_ner() -> None:
    law = Entity("LAW", "《上海市人民政府办公厅通知》", 0, 14, "rule", "ent.law@1")
    org = Entity("ORG", "上海市人民政府办公厅", 1, 11, "spacy", "ent.org.government_token@1")
    same = [Entity("ORG", "x" * 6, 20, 26, src, None) for src in ("ner", "spacy", "rule")]
    assert merge([org, law], 30) == [law]
    assert [e.source for e in merge(same, 30)] == ["rule"]
    assert [e.source for e in merge(same[:2], 30)] == ["spacy"]


def test_spacy_wins_ties_with_lac() -> None:
    text = "本报告由淮安市洪泽区人民政府办公室编制，平江县民政局负责解释。"
    orgs = {e.text: e.source for e in extract_entities(text, use_ner=True, use_spacy=True) if e.label == "ORG"}
    assert orgs["平江县民政局"] == "spacy" and orgs["淮安市洪泽区人民政府办公室"] == "spacy"


def test_corpus_report_offsets(corpus_report: Path) -> None:
    text = corpus_report.read_text(encoding="utf-8")
    entities = extract_entities(text, use_ner=False, use_spacy=True)
    assert all(text[e.start:e.end] == e.text for e in entities)
    spans = [(e.start, e.end) for e in entities]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


# --- commitment-target Matcher -------------------------------------------------------------

@pytest.mark.parametrize("sentence,direction,measurable,metric", MATCHER_CASES, ids=[c[0][:12] for c in MATCHER_CASES])
def test_matcher_targets(sentence: str, direction: str, measurable: bool, metric: str) -> None:
    text = f"五、存在的主要问题及改进情况\n（二）改进措施\n一是{sentence}\n"
    (c,) = extract_commitments(text, year=2017)
    assert (c.direction, c.measurable, c.metric) == (direction, measurable, metric)


def test_gold_measurable(corpus_dir: Path) -> None:
    """Measurable flags agree with corpus/gold/claims (was 17/42 with the substring scan alone)."""
    agree = total = 0
    for path in sorted(GOLD.glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        text = (corpus_dir / gold["file"]).read_text(encoding="utf-8")
        items = extract_commitments(text, year=int(Path(gold["file"]).name[:4]))
        for g in gold["commitments"]:
            at = text.find(g["quote"])
            hits = [c for c in items if at < c.end and c.start < at + len(g["quote"])]
            if hits:
                total += 1
                agree += hits[0].measurable == g["measurable"]
    print(f"gold measurable: {agree}/{total}")
    assert total >= 40 and agree / total >= 0.9
