"""Locality-sensitive signatures for finding near-duplicate reports at corpus scale.

Comparing every report with every other one is quadratic; instead each report gets
MinHash band keys over the same character 5-shingles that the exact check
(``extractors.crossyear.shingle_similarity``) uses.  Storage indexes the keys, so the
candidates for a new report are one indexed ``$in`` query; the exact Jaccard similarity
then decides.  With 16 bands of 4 rows, pairs with Jaccard ≥ 0.6 share a band with
probability > 0.87, and pairs below 0.3 rarely do.

The MinHash is written out here rather than taken from datasketch: importing datasketch
imports scipy (two seconds of start-up before the first report), and its default
permutation scheme changed between releases, which would silently change stored keys.
This is datasketch 2.0's "affine32" scheme for ``MinHash(num_perm=64, seed=1)``, fixed:
32-bit SHA-1 of each shingle, the MurmurHash3 finalizer, then ``a·h + b mod 2³²`` with the
(odd) ``a`` and ``b`` that numpy's ``RandomState(seed)`` draws; the keys are identical to
datasketch's (tests/extractors/test_dedup.py).
"""
from __future__ import annotations

import hashlib
import struct
from functools import cache
from hashlib import sha1
from itertools import accumulate
from typing import Any

from extractors.crossyear import tokens

BANDS, ROWS = 16, 4
SHINGLE = 5
SEED = 1  # fixed: stored signatures must stay comparable across processes and releases
_BLOCK = 8192  # shingles permuted at a time (bounds memory for very long documents)


def _shingles(text: str) -> set[bytes]:
    """UTF-8 of each run of SHINGLE joined tokens: the joined text encoded once and cut
    at the tokens' byte offsets (the encoding of a concatenation is the concatenation of
    the encodings), rather than each shingle cut and encoded on its own."""
    toks = tokens(text)
    encoded = "".join(toks).encode("utf-8")
    ends = list(accumulate(map(len, map(str.encode, toks)), initial=0))
    return {encoded[a:b] for a, b in zip(ends, ends[SHINGLE:])}


@cache
def _permutations() -> tuple[Any, Any]:
    import numpy as np

    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, BANDS * ROWS, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, BANDS * ROWS, dtype=np.uint32)
    return a, b


def _fmix32(hv: Any) -> Any:
    import numpy as np

    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def minhash(shingles: set[bytes]) -> Any:
    """The BANDS·ROWS minimum permuted hash values of ``shingles`` (uint32)."""
    import numpy as np

    a, b = _permutations()
    hashes = np.frombuffer(b"".join([sha1(s).digest()[:4] for s in shingles]), dtype="<u4")
    low = np.full(BANDS * ROWS, 0xFFFFFFFF, dtype=np.uint32)
    for i in range(0, len(hashes), _BLOCK):
        hv = _fmix32(hashes[i:i + _BLOCK].astype(np.uint32))
        # one row per permutation, permuted in place: the minimum runs along contiguous
        # rows (a quarter of the time of a column minimum over shingle rows)
        permuted = np.multiply.outer(a, hv)
        permuted += b[:, None]
        np.minimum(low, permuted.min(axis=1), out=low)
    return low


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
    values = minhash(shingles)
    keys = []
    for band in range(BANDS):
        rows = values[band * ROWS:(band + 1) * ROWS]
        digest = hashlib.blake2b(struct.pack(f"<{ROWS}Q", *map(int, rows)), digest_size=8)
        keys.append(f"b{band}:{digest.hexdigest()}")
    return keys
