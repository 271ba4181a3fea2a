"""Locality-sensitive signatures for finding near-duplicate reports at corpus scale.

Comparing every report with every other one is quadratic; instead each report gets
MinHash band keys (datasketch) over the same character 5-shingles that the exact check
(``extractors.crossyear.shingle_similarity``) uses.  Storage indexes the keys, so the
candidates for a new report are one indexed ``$in`` query; the exact Jaccard similarity
then decides.  With 16 bands of 4 rows, pairs with Jaccard ≥ 0.6 share a band with
probability > 0.87, and pairs below 0.3 rarely do.
"""
from __future__ import annotations

import hashlib
import struct

from datasketch import MinHash

from extractors.crossyear import tokens

BANDS, ROWS = 16, 4
SHINGLE = 5
SEED = 1  # fixed: stored signatures must stay comparable across processes and releases


def _shingles(text: str) -> set[bytes]:
    toks = tokens(text)
    return {"".join(toks[i:i + SHINGLE]).encode("utf-8")
            for i in range(max(len(toks) - SHINGLE + 1, 0))}


def signature(text: str) -> list[str]:
    """Band keys ("b<i>:<hex>") for ``text``; empty for text too short to shingle.

    >>> signature("") == []
    True
    >>> signature("政府信息公开工作年度报告" * 5) == signature("政府信息公开工作年度报告" * 5)
    True
    """
    shingles = _shingles(text)
    if not shingles:
        return []
    mh = MinHash(num_perm=BANDS * ROWS, seed=SEED)
    mh.update_batch(list(shingles))
    keys = []
    for band in range(BANDS):
        rows = mh.hashvalues[band * ROWS:(band + 1) * ROWS]
        digest = hashlib.blake2b(struct.pack(f"<{ROWS}Q", *map(int, rows)), digest_size=8)
        keys.append(f"b{band}:{digest.hexdigest()}")
    return keys
