"""Build renderings once: each built file is named by the hash of what it is made from
(the renderer's source and the report's model content, or for a PDF the DOCX bytes and
the converter's source), so tests,
``gongkai evaluate --renderings`` and ``gongkai renderings build`` share the files and
rebuild only what changed.

The cache folder is ``$GONGKAI_RENDERINGS_DIR`` or ``.gongkai/renderings`` in the
checkout (git-ignored).  Formats are registered in ``RENDERERS`` (module, function taking
a ``ReportModel`` and returning the file's bytes, extension) and listed in ``FORMATS``;
``pdf`` is made from the ``docx`` rendering by LibreOffice (``DERIVED``).  Each report
is built in a layout variant (:mod:`gongkai.renderings.variants`; 0 = its default), named
in the file (``<id>.v<variant>.<hash>.<ext>``) and part of the hash.

Hand-written: a few lines of hashing; no cache library is needed for files on disk.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import shutil
from pathlib import Path
from typing import Union

from gongkai.renderings.layout import ROOT, ReportModel, load_report
from gongkai.renderings.markdown import MARKDOWN_RENDERERS
from gongkai.renderings.variants import layout

RENDERERS = {  # format -> (module, function(model) -> bytes, file extension)
    "html": ("gongkai.renderings.html", "render_html", "html"),
    "docx": ("gongkai.renderings.docx", "render_docx", "docx"),
}
RENDERERS.update(MARKDOWN_RENDERERS)  # md-<style>: converter markdown (renderings/markdown.py)
DERIVED = {"pdf": "docx"}  # format -> the format it is converted from
FORMATS = ("html", "docx", "pdf", *MARKDOWN_RENDERERS)


def cache_dir(path: str | Path | None = None) -> Path:
    folder = Path(path or os.environ.get("GONGKAI_RENDERINGS_DIR") or ROOT / ".gongkai" / "renderings")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def _source(module_name: str) -> bytes:
    return inspect.getsource(importlib.import_module(module_name)).encode("utf-8")


def _model_bytes(model: ReportModel) -> bytes:
    return repr((model.report_id, model.template, model.blocks)).encode("utf-8")


Variants = Union[int, dict[str, int]]  # one variant for all reports, or per report id


def _variant(variants, rid: str) -> int:
    return variants.get(rid, 0) if isinstance(variants, dict) else int(variants)


def build(report_id: str, fmt: str, corpus_dir: str | Path, out: str | Path | None = None,
          variant: int = 0) -> Path:
    """The rendering of one report in one format and layout variant (built if not cached)."""
    return build_many([report_id], fmt, corpus_dir, out, variant)[report_id]


def build_many(report_ids: list[str], fmt: str, corpus_dir: str | Path,
               out: str | Path | None = None, variants: Variants = 0) -> dict[str, Path]:
    """Renderings of several reports in one format, each in its variant (``variants``:
    one for all, or per id); PDFs missing from the cache are converted in one
    LibreOffice run."""
    folder = cache_dir(out)
    if fmt in DERIVED:
        return _derived(report_ids, fmt, corpus_dir, folder, variants)
    module, func, ext = RENDERERS[fmt]
    render = getattr(importlib.import_module(module), func)
    source = _source(module) + _source("gongkai.renderings.variants")
    paths = {}
    for rid in report_ids:
        model, style = load_report(rid, corpus_dir), layout(rid, _variant(variants, rid))
        digest = _digest(source, _model_bytes(model), repr(style).encode("utf-8"))
        path = folder / f"{rid}.v{style.variant}.{digest}.{ext}"
        if not path.is_file():
            _write(path, render(model) if fmt in MARKDOWN_RENDERERS else render(model, style))
        paths[rid] = path
    return paths


def _derived(report_ids: list[str], fmt: str, corpus_dir, folder: Path,
             variants: Variants) -> dict[str, Path]:
    from gongkai.renderings.pdf import docx_to_pdf

    base = build_many(report_ids, DERIVED[fmt], corpus_dir, folder, variants)
    source = _source("gongkai.renderings.pdf")
    paths = {rid: folder / f"{rid}.v{_variant(variants, rid)}.{_digest(source, p.read_bytes())}.{fmt}"
             for rid, p in base.items()}
    todo = [rid for rid, p in paths.items() if not p.is_file()]
    if todo:
        staging = folder / f"staging-{os.getpid()}"
        staging.mkdir(exist_ok=True)
        inputs = []
        for rid in todo:
            shutil.copyfile(base[rid], staging / f"{rid}.docx")
            inputs.append(staging / f"{rid}.docx")
        converted = docx_to_pdf(inputs, staging)
        for rid, src in zip(todo, inputs):
            os.replace(converted[src], paths[rid])
        shutil.rmtree(staging, ignore_errors=True)
    return paths


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
