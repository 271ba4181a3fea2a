"""DOCX → PDF through LibreOffice headless: the Word→PDF path most bodies publish.

The DOCX (:mod:`gongkai.renderings.docx`) sets A4, a CJK font from fonts-noto-cjk and
lets table rows break across pages, so the PDF has long tables crossing page breaks and
rows split between pages.  Several documents are converted in one ``soffice`` run (its
start-up is most of the cost); each run has its own user profile so that parallel runs
do not share LibreOffice's lock.

Hand-written: a subprocess call; LibreOffice does the typesetting.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_S = 900


class SofficeMissing(RuntimeError):
    """LibreOffice (soffice) is not installed: the PDF renderings cannot be built."""


def soffice() -> str | None:
    """The LibreOffice binary, or None (Debian: apt-get install libreoffice-writer-nogui
    fonts-noto-cjk)."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx_files: list[Path], out_dir: Path) -> dict[Path, Path]:
    """Convert DOCX files to PDF in ``out_dir``; returns docx path -> pdf path."""
    binary = soffice()
    if binary is None:
        raise SofficeMissing("soffice not found: apt-get install -y libreoffice-writer-nogui fonts-noto-cjk")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not docx_files:
        return {}
    with tempfile.TemporaryDirectory(prefix="gongkai-soffice-") as profile:
        cmd = [binary, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, docx_files)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    done = {p: out_dir / f"{p.stem}.pdf" for p in docx_files}
    missing = [str(p) for p, pdf in done.items() if not pdf.is_file()]
    if missing:
        raise RuntimeError(f"soffice did not convert {missing}: {proc.stderr.strip()[-500:]}")
    return done
