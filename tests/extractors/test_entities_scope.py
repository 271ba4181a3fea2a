"""Where the entity models look (extractors/entities.py).

The EntityRuler over anchored jieba runs finds exactly what the ruler over whole compacted
prose chunks, tokenized by spaCy's own jieba segmenter, found before (compared on every
report of the real corpus).  With a ``focus``, LAC tags only the focus sentences and the
sentences with an organisation cue that no rule or ruler entity covers."""
from __future__ import annotations

from pathlib import Path

import pytest

from extractors.entities import _chunks, extract_entities, merge, ner_focus, rule_entities, spacy_entities
from extractors.models import Entity
from extractors.nlp import get_tokenizer, prose_blocks
from extractors.numbers import Compact
from extractors.patterns import load_spacy_patterns, pattern_ref


@pytest.fixture(scope="module")
def chunk_ruler():
    """The former pipeline: blank zh whose jieba segmenter is our tokenizer + the ruler."""
    import spacy

    nlp = spacy.blank("zh")
    nlp.tokenizer.jieba_seg = get_tokenizer()
    nlp.tokenizer.segmenter = "jieba"
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True, "overwrite_ents": True})
    ruler.add_patterns([{"id": r["id"], "label": r["label"], "pattern": r["pattern"]}
                        for r in load_spacy_patterns("entities_spacy.jsonl")])
    return nlp


def _chunk_entities(nlp, text: str) -> list[Entity]:
    refs = {r["id"]: pattern_ref(r) for r in load_spacy_patterns("entities_spacy.jsonl")}
    comps = [Compact(text, bs, be) for bs, be in prose_blocks(text)]
    pieces = [(comp, off, chunk) for comp in comps for off, chunk in _chunks(comp.text)]
    out = []
    for (comp, off, _), doc in zip(pieces, nlp.pipe(chunk for _, _, chunk in pieces)):
        for ent in doc.ents:
            start, end = comp.orig(off + ent.start_char), comp.orig_end(off + ent.end_char)
            out.append(Entity(ent.label_, text[start:end], start, end, "spacy", refs[ent.ent_id_]))
    return out


def test_same_entities_as_the_chunk_ruler(corpus_dir: Path, chunk_ruler) -> None:
    total = 0
    for path in sorted((corpus_dir / "reports").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        old = _chunk_entities(chunk_ruler, text)
        assert spacy_entities(text) == old, path.name
        assert extract_entities(text, use_ner=False) == merge(rule_entities(text) + old, len(text))
        total += len(old)
    assert total > 300  # the corpus names hundreds of bodies and places


def test_anchor_free_runs_are_not_tokenized() -> None:
    text = "进一步加强政务公开工作，提升服务水平。平江县民政局编制本报告。"
    assert [(e.text, e.label) for e in spacy_entities(text)] == [("平江县民政局", "ORG")]


def test_patterns_declare_anchors() -> None:
    """Without an anchor every run is tokenized (correct, slower): keep them declared."""
    assert all("anchor" in r for r in load_spacy_patterns("entities_spacy.jsonl"))


# --- LAC scope ---------------------------------------------------------------------------

SCOPE_TEXT = "习近平总书记强调要做好政务公开工作。国家税务总局发布通知。本年度共受理申请5件，由县供电公司答复2件。"


def _ner(text: str, focus) -> list[tuple[str, str]]:
    return [(e.label, e.text) for e in extract_entities(text, focus=focus) if e.source == "ner"]


def test_without_focus_lac_tags_all_prose() -> None:
    assert {("PER", "习近平"), ("ORG", "国家税务总局"), ("ORG", "县供电公司")} <= set(_ner(SCOPE_TEXT, None))


def test_focus_sentences_and_uncovered_cues_only() -> None:
    figure = SCOPE_TEXT.index("本年度")
    found = _ner(SCOPE_TEXT, [(figure, figure + 5)])
    assert ("ORG", "县供电公司") in found and ("ORG", "国家税务总局") in found  # focus; cue 总局
    assert ("PER", "习近平") not in found  # neither focus nor cue: not tagged


def test_cue_inside_a_ruler_entity_sends_nothing() -> None:
    text = "平江县民政局负责本报告的解释。习近平总书记强调要做好政务公开工作。"
    assert _ner(text, []) == []


def test_ner_focus_is_first_figures_and_commitment_starts() -> None:
    from extractors.models import Claim, Commitment

    claims = [Claim("figure", None, 5.0, None, None, "件", "受理申请5件", 40, 46, sentence=(30, 52)),
              Claim("figure", None, 2.0, None, None, "件", "答复2件", 48, 52, sentence=(30, 52))]
    commitments = [Commitment("进一步提高公开质量。", 60, 70)]
    assert ner_focus(claims, commitments) == [(40, 46), (60, 61)]  # first figure of a sentence, commitment start


def test_pipeline_tags_the_actor_of_a_figure() -> None:
    from extractors.pipeline import analyse_text

    text = "一、总体情况\n本年度，国家税务总局平江县税务局共受理政府信息公开申请5件。\n习近平总书记强调要做好政务公开工作。\n"
    ner = [(e["label"], e["text"]) for e in analyse_text(text)["entities"] if e["source"] == "ner"]
    assert any(label == "ORG" and "税务局" in name for label, name in ner)
    assert ("PER", "习近平") not in ner
