"""extractors.entities: rule entities (config/patterns/entities.jsonl) and LAC ORG/LOC/PER."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from extractors.entities import extract_entities

# (text, label, expected entity text)
RULE_CASES = [
    ("根据《中华人民共和国政府信息公开条例》编制", "LAW", "《中华人民共和国政府信息公开条例》"),
    ("按照国办发〔2014〕32号文件要求", "DOC_NO", "国办发〔2014〕32号"),
    ("依据国办公开办函〔2021〕30号", "DOC_NO", "国办公开办函〔2021〕30号"),
    ("（国令第 711 号）", "DOC_NO", "国令第 711 号"),
    ("自2017年1月1日起", "DATE", "2017年1月1日"),
    ("统计期限自 2024 年 1 月 1 日起", "DATE", "2024 年 1 月 1 日"),
    ("2024年，全区", "DATE", "2024年"),
    ("二〇一二年二月二十日", "DATE", "二〇一二年二月二十日"),
    ("电话：0517-83605210。", "PHONE", "0517-83605210"),
    ("请联系办公室,电话6282639。", "PHONE", "6282639"),
    ("可在平江县政府门户网(http://www.pingjiang.gov.cn)上下载", "URL", "http://www.pingjiang.gov.cn"),
    ("“中国上海”门户网站（www.shanghai.gov.cn）下载", "URL", "www.shanghai.gov.cn"),
    ("电子邮箱：24336243@163.com）", "EMAIL", "24336243@163.com"),
]


@pytest.mark.parametrize("text,label,expected", RULE_CASES, ids=[c[2] for c in RULE_CASES])
def test_rule_entities(text: str, label: str, expected: str) -> None:
    entities = extract_entities(text, use_ner=False, use_spacy=False)
    assert (label, expected) in [(e.label, e.text) for e in entities]
    for e in entities:
        assert text[e.start:e.end] == e.text and e.source == "rule" and "@" in (e.pattern or "")


def test_ner_finds_orgs_the_rules_miss() -> None:
    text = "本报告由淮安市洪泽区人民政府办公室编制，平江县民政局负责解释。"
    entities = extract_entities(text, use_ner=True, use_spacy=False)  # the model alone
    orgs = {e.text for e in entities if e.label == "ORG" and e.source == "ner"}
    assert {"淮安市洪泽区人民政府办公室", "平江县民政局"} <= orgs
    assert all(text[e.start:e.end] == e.text for e in entities)


def test_ner_joins_wrapped_pdf_lines() -> None:
    text = ("  本报告由淮安市洪泽区人民政府办公室根据《中华人民共和国政府\n信息公开条例》要求编制。如对本报告有疑问，请与淮安市洪\n"
            "泽区人民政府办公室联系，联系电话为0517-87290606，地址在淮安市洪泽区洪泽湖大道。\n")
    entities = extract_entities(text)
    assert ("ORG", "淮安市洪\n泽区人民政府办公室") in [(e.label, e.text) for e in entities]
    assert ("LAW", "《中华人民共和国政府\n信息公开条例》") in [(e.label, e.text) for e in entities]


def test_use_ner_false_is_rules_only() -> None:
    text = "平江县民政局2017年度无依申请公开政府信息。"
    assert {e.source for e in extract_entities(text, use_ner=False, use_spacy=False)} == {"rule"}
    assert {e.source for e in extract_entities(text, use_ner=False)} <= {"rule", "spacy"}


def test_table_lines_not_sent_to_ner() -> None:
    text = "平江县民政局 | 件 | 0\n上海市人民政府办公厅 | 2 | 3\n"
    assert [e for e in extract_entities(text) if e.source == "ner"] == []


def test_no_overlaps_rules_win() -> None:
    text = "依据《上海市人民政府办公厅关于做好政府信息公开工作的通知》，上海市人民政府办公厅发布。"
    entities = extract_entities(text)
    spans = sorted((e.start, e.end) for e in entities)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert entities[0].label == "LAW"


def test_corpus_report_rules_and_ner(corpus_report: Path) -> None:
    text = corpus_report.read_text(encoding="utf-8")
    start = time.perf_counter()
    entities = extract_entities(text)
    elapsed = time.perf_counter() - start
    assert entities and all(text[e.start:e.end] == e.text for e in entities)
    assert any(e.source == "ner" for e in entities)
    print(f"{corpus_report.stem}: {len(text)} chars, {len(entities)} entities, {elapsed:.2f} s")


def test_large_text_rules_only() -> None:
    text = "2017年1月1日，按照国办发〔2014〕32号要求，电话0517-83605210。" * 50_000
    start = time.perf_counter()
    entities = extract_entities(text, use_ner=False)
    assert len(entities) == 150_000 and time.perf_counter() - start < 60
