"""The rendering figures of ``gongkai evaluate --renderings``: every tabled real report is
rendered in each format (:mod:`gongkai.renderings`), read back through
``extractors.pipeline.analyse`` and compared with the gold cells and with what the text
rendering of the same report gives.

Per format and layout (each report's default layout, and one other variant chosen by
its id: :mod:`gongkai.renderings.variants`): the share of gold cells read equal (key, column, value, state), the cells
read that the gold does not have, the ``fail``
findings the rendering raises that the text rendering does not (extra) and those the
text rendering raises that the rendering does not (missing), and the reports compared.
A finding is identified by its code, status and cells (key, column, value, state).

Hand-written: the comparison is this project's contract, no library has it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class FormatScore:
    fmt: str
    cells_equal: int = 0
    cells_gold: int = 0
    cells_extra: int = 0  # cells read that the gold does not have
    extra_fails: int = 0
    missing_fails: int = 0
    reports: int = 0
    errors: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    @property
    def cells_share(self) -> float:
        return self.cells_equal / self.cells_gold if self.cells_gold else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.fmt, "cells_equal": self.cells_equal, "cells_gold": self.cells_gold,
                "cells_share": round(self.cells_share, 4), "cells_extra": self.cells_extra, "extra_fails": self.extra_fails,
                "missing_fails": self.missing_fails, "reports": self.reports, "errors": self.errors}


def finding_id(f: dict) -> tuple:
    cells = tuple(sorted((c.get("key"), c.get("column"), c.get("value"), c.get("state"))
                         for c in f.get("cells") or () if isinstance(c, dict)))
    return f.get("code"), f.get("status"), cells


def fails(record: dict) -> Counter:
    return Counter(finding_id(f) for f in record["findings"] if f.get("status") == "fail")


def cells_equal(gold: list[dict], predicted: list[dict]) -> tuple[int, list[str], list[str]]:
    """(gold cells read equal, the misses, the cells read that the gold does not have)."""
    from gongkai.evaluate import score_cells

    s = score_cells(gold, predicted)
    return s.tp, [m.strip() for m in s.misses], [f.strip() for f in s.false_alarms]


def text_records(model_ids: list[str], corpus_dir: Path) -> dict[str, dict]:
    from extractors.pipeline import analyse
    from gongkai.renderings.layout import load_report

    out = {}
    for rid in model_ids:
        text = load_report(rid, corpus_dir).text
        out[rid] = analyse(text.encode("utf-8"), filename=f"{rid}.txt", use_ner=False).record
    return out


def compare(fmt: str, paths: dict[str, Path], text: dict[str, dict], corpus_dir: Path) -> FormatScore:
    from extractors.errors import DocumentError
    from extractors.pipeline import analyse
    from gongkai.renderings.layout import load_report

    score = FormatScore(fmt)
    for rid, path in sorted(paths.items()):
        gold = list(load_report(rid, corpus_dir).gold_cells)
        score.cells_gold += len(gold)
        try:
            record = analyse(path.read_bytes(), filename=path.name, use_ner=False).record
        except DocumentError as exc:
            score.errors.append(f"{rid}: {exc}")
            continue
        score.reports += 1
        equal, misses, extra = cells_equal(gold, record["table"]["cells"])
        score.cells_equal += equal
        score.cells_extra += len(extra)
        score.details += [f"{rid} cell {m}" for m in misses] + [f"{rid} extra cell {e}" for e in extra]
        got, want = fails(record), fails(text[rid])
        for f in (got - want).elements():
            score.extra_fails += 1
            score.details.append(f"{rid} extra fail {f[0]} {[c[:2] for c in f[2]]}")
        for f in (want - got).elements():
            score.missing_fails += 1
            score.details.append(f"{rid} missing fail {f[0]} {[c[:2] for c in f[2]]}")
    return score


LAYOUTS = ("default", "other")  # each report's default layout; one other, chosen by its id
PAGED = ("html", "docx", "pdf")  # the formats with a page layout (markdown has none)


def layout_variants(ids: list[str], which: str) -> dict[str, int]:
    from gongkai.renderings.variants import suite_variant

    return {rid: 0 if which == "default" else suite_variant(rid) for rid in ids}


def evaluate_renderings(corpus_dir: Path, formats: tuple[str, ...] | None = None,
                        out: Path | None = None, variants: range | None = None) -> list[FormatScore]:
    """Scores per format and layout (``html`` the defaults, ``html/other`` the other
    variants; with ``variants``, the paged formats in each of those layout variants,
    ``html/v3``); a format whose tools are missing (PDF without soffice) is reported with
    an error instead of a score."""
    from gongkai.renderings.cache import FORMATS, build_many
    from gongkai.renderings.layout import report_ids
    from gongkai.renderings.pdf import SofficeMissing

    ids = report_ids()
    text = text_records(ids, corpus_dir)
    scores = []
    for fmt in formats or FORMATS:
        if fmt in PAGED and variants is not None:
            layouts = [(f"{fmt}/v{v}", {rid: v for rid in ids}) for v in variants]
        else:  # markdown has no page layout
            layouts = [(fmt if which == "default" else f"{fmt}/{which}", layout_variants(ids, which))
                       for which in (LAYOUTS if fmt in PAGED else LAYOUTS[:1])]
        for label, chosen in layouts:
            try:
                paths = build_many(ids, fmt, corpus_dir, out, chosen)
            except SofficeMissing as exc:
                scores.append(FormatScore(label, errors=[str(exc)]))
                break
            scores.append(compare(label, paths, text, corpus_dir))
    return scores


def format_scores(scores: list[FormatScore]) -> str:
    lines = [f"{'rendering':<16}{'cells equal':>22}{'extra cells':>13}{'extra fails':>13}"
             f"{'missing fails':>15}{'reports':>9}"]
    for s in scores:
        if not s.reports and s.errors:
            lines.append(f"{s.fmt:<16}  not built: {s.errors[0]}")
            continue
        cells = f"{s.cells_share * 100:.1f} % ({s.cells_equal}/{s.cells_gold})"
        lines.append(f"{s.fmt:<16}{cells:>22}{s.cells_extra:>13}{s.extra_fails:>13}"
                     f"{s.missing_fails:>15}{s.reports:>9}")
    return "\n".join(lines)
