"""extractors/tokenmatch.py: the token patterns matched without spaCy find what spaCy's
Matcher finds, on every prose sentence of the real corpus; the pattern files stay valid
spaCy patterns (spaCy validates them here, not at run time)."""
from __future__ import annotations

from pathlib import Path

import pytest

from extractors.errors import ConfigError
from extractors.nlp import get_tokenizer, sentence_spans
from extractors.patterns import SPACY_LABELS, load_spacy_patterns
from extractors.tokenmatch import TokenMatcher, compile_pattern


def _spacy_matcher(records):
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    vocab = Vocab()
    matcher = Matcher(vocab, validate=True)
    for i, rec in enumerate(records):
        matcher.add(str(i), [rec["pattern"]])
    return vocab, matcher


@pytest.mark.parametrize("name", sorted(SPACY_LABELS))
def test_pattern_files_are_valid_spacy_patterns(name: str) -> None:
    _spacy_matcher(load_spacy_patterns(name))  # Matcher(validate=True) raises on a bad one


@pytest.mark.parametrize("name", sorted(SPACY_LABELS))
def test_same_matches_as_spacy_on_the_corpus(corpus_dir: Path, name: str) -> None:
    from spacy.tokens import Doc

    records = load_spacy_patterns(name)
    vocab, theirs = _spacy_matcher(records)
    ours = TokenMatcher()
    for i, rec in enumerate(records):
        ours.add(i, rec["pattern"])
    tokenizer, total = get_tokenizer(), 0
    for path in sorted((corpus_dir / "reports").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for s, e in sentence_spans(text):
            words = [w for w in tokenizer.lcut(text[s:e]) if w]
            doc = Doc(vocab, words=words, spaces=[False] * len(words))
            want = {(int(vocab.strings[m]), a, b) for m, a, b in theirs(doc)}
            got = set(ours(words))
            assert got == want, (path.name, text[s:e])
            total += len(got)
    assert total > (100 if name.startswith("entities") else 5)  # commitments: few targets


QUANTIFIERS = [
    ([{"TEXT": "a", "OP": "{1,3}"}, {"TEXT": "b"}], "a a a a b c"),
    ([{"TEXT": {"REGEX": "^[ab]$"}, "OP": "?"}, {"TEXT": {"IN": ["b", "c"]}}], "a b c b"),
    ([{"TEXT": {"NOT_IN": ["x"]}, "OP": "{0,2}"}, {"TEXT": "c"}], "x a b c"),
    ([{"TEXT": "a", "OP": "+"}, {"TEXT": "b", "OP": "*"}], "a a b b"),
    ([{"TEXT": "a", "OP": "{2}"}], "a a a"),
]


@pytest.mark.parametrize("pattern,text", QUANTIFIERS, ids=[t for _, t in QUANTIFIERS])
def test_quantifiers_as_spacy(pattern: list, text: str) -> None:
    from spacy.tokens import Doc

    vocab, theirs = _spacy_matcher([{"pattern": pattern}])
    words = text.split()
    ours = TokenMatcher()
    ours.add(0, pattern)
    want = {(a, b) for _, a, b in theirs(Doc(vocab, words=words))}
    assert {(a, b) for _, a, b in ours(words)} == want


@pytest.mark.parametrize("pattern", [[{"LOWER": "a"}], [{"TEXT": "a", "OP": "!"}],
                                     [{"TEXT": {"FUZZY": "a"}}], []])
def test_unsupported_pattern_is_a_config_error(pattern: list) -> None:
    with pytest.raises(ConfigError):
        compile_pattern(pattern, "x")
