"""extractors.dedup: the hand-written MinHash gives datasketch's band keys (the keys stored
for every report must not change), and near-duplicates share bands."""
from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest

from extractors.dedup import BANDS, ROWS, SEED, SHINGLE, _shingles, signature
from extractors.crossyear import tokens


def _datasketch_signature(text: str) -> list[str]:
    """The former implementation, on datasketch's MinHash."""
    datasketch = pytest.importorskip("datasketch")
    toks = tokens(text)
    shingles = {"".join(toks[i:i + SHINGLE]).encode("utf-8") for i in range(max(len(toks) - SHINGLE + 1, 0))}
    if not shingles:
        return []
    mh = datasketch.MinHash(num_perm=BANDS * ROWS, seed=SEED)
    mh.update_batch(list(shingles))
    return [f"b{band}:" + hashlib.blake2b(struct.pack(f"<{ROWS}Q", *map(int, mh.hashvalues[band * ROWS:(band + 1) * ROWS])),
                                          digest_size=8).hexdigest() for band in range(BANDS)]


def test_same_keys_as_datasketch(corpus_dir: Path) -> None:
    for path in sorted((corpus_dir / "reports").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert signature(text) == _datasketch_signature(text), path.name


@pytest.mark.parametrize("text", ["", "短", "abc 12.5 政府信息公开", "x" * 3, "政府信息公开工作年度报告" * 3000])
def test_same_keys_as_datasketch_edge_cases(text: str) -> None:
    assert signature(text) == _datasketch_signature(text)


def test_shingles_are_joined_tokens() -> None:
    toks = tokens("2023年 平江县 ABC 受理12.5件")
    assert _shingles("2023年 平江县 ABC 受理12.5件") == {"".join(toks[i:i + SHINGLE]).encode() for i in range(len(toks) - SHINGLE + 1)}


def test_near_duplicates_share_bands() -> None:
    base = "本机关2023年共收到政府信息公开申请21件，办结21件，其中予以公开15件，部分公开3件，不予公开3件。" * 8
    edited = base.replace("21件", "22件", 1)
    other = "全区各部门认真落实主动公开要求，发布政策解读材料四十余篇，回应社会关切问题若干。" * 8
    assert set(signature(base)) & set(signature(edited))
    assert not set(signature(base)) & set(signature(other))
