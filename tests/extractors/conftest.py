"""Shared fixtures and helpers for extractor tests: the real corpus beside the checkout.

``corpus_dir`` skips with a clear reason when ``../shared/corpus`` is absent.  The plain
functions (``corpus_files``, ``manifest``) work at collection time for parametrization and
return nothing when the corpus is absent (the parametrized test then reports an empty
parameter set and is skipped).
"""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()


def corpus_present() -> bool:
    return (CORPUS / "reports").is_dir()


def corpus_files(sub: str, pattern: str = "*") -> list[Path]:
    """Sorted files of ``corpus/<sub>`` (``reports`` or ``pdf``); [] when the corpus is absent."""
    folder = CORPUS / sub
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


def corpus_params(sub: str, pattern: str = "*") -> list:
    """``pytest.param(path, id=stem)`` for every corpus file, for readable test ids."""
    return [pytest.param(p, id=p.stem) for p in corpus_files(sub, pattern)]


@lru_cache(maxsize=1)
def manifest() -> dict[str, dict[str, str]]:
    """manifest.tsv rows keyed by their ``file`` column (e.g. ``reports/2019_x.txt``)."""
    path = CORPUS / "manifest.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}


def manifest_row(path: Path) -> dict[str, str]:
    return manifest()[f"{path.parent.name}/{path.name}"]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not corpus_present():
        pytest.skip(f"../shared/corpus not present: expected the real corpus at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def corpus_manifest(corpus_dir) -> dict[str, dict[str, str]]:
    """manifest.tsv rows keyed by ``file`` (``reports/…txt``, ``pdf/…pdf``)."""
    return manifest()


_PARAMETRIZED = {
    "corpus_report": (("reports", "*.txt"),),
    "corpus_pdf": (("pdf", "*.pdf"),),
    "corpus_document": (("reports", "*.txt"), ("pdf", "*.pdf")),
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking ``corpus_report`` / ``corpus_pdf`` / ``corpus_document`` runs once per
    corpus file (id = file stem, ``pdf:`` prefix for PDFs in ``corpus_document``)."""
    for name, sources in _PARAMETRIZED.items():
        if name not in metafunc.fixturenames:
            continue
        params = [
            pytest.param(p, id=(f"pdf:{p.stem}" if name == "corpus_document" and sub == "pdf" else p.stem))
            for sub, pattern in sources
            for p in corpus_files(sub, pattern)
        ]
        if not params:
            reason = f"../shared/corpus not present: expected the real corpus at {CORPUS}"
            params = [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-corpus")]
        metafunc.parametrize(name, params)
