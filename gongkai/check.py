"""``gongkai check``: what ingest would store for the given files, without a database.

Every input is expanded like ingest expands it (folders, archives, JSONL of pages:
gongkai/inputs.py), each document runs through ``extractors.pipeline.analyse``, and the
documents are then related to one another with ``extractors.related.relate`` (renderings
of one report, cross-year findings, near-duplicates), the same functions the worker uses
against the stored reports.  So ``check`` over several files says what ``show`` says about
each of them after ``ingest`` of the same files in the same order.
Hand-written: glue over gongkai's own functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from extractors.errors import GongkaiError


@dataclass
class Checked:
    source: str
    record: dict | None = None  # the check record (None when the document failed)
    text: str = ""
    error: dict | None = None


def analyse_inputs(paths: list[str], use_ner: bool = True) -> Iterator[Checked]:
    """One ``Checked`` per document of ``paths``, in ingest order."""
    from extractors.pipeline import analyse
    from gongkai.inputs import iter_items

    for item in iter_items(paths):
        if item.failure:
            yield Checked(item.source, error=item.failure)
            continue
        try:
            result = analyse(item.data, source=item.source, filename=item.filename,
                             use_ner=use_ner)
        except GongkaiError as exc:
            yield Checked(item.source, error=exc.to_dict())
            continue
        yield Checked(item.source, record=result.record, text=result.text)


def relate_checked(checked: list[Checked], cap: int | None = None) -> list[Checked]:
    """Add to each record what relating it to the others gives: ``rendering_of`` and
    ``renderings`` ({id, source}), cross-year and near-duplicate findings, and
    ``duplicate_check`` (None, or the ``truncated`` mark of a report with more than
    ``cap`` near-duplicate candidates, as ``show`` has it after ingest)."""
    from extractors.related import CANDIDATE_LIMIT, relate

    done = [c for c in checked if c.record is not None]
    records = [{**c.record, "id": c.record["sha256"], "text": c.text} for c in done]
    related = relate(records, cap=cap or CANDIDATE_LIMIT)
    sources: dict[str, str] = {}
    for c in done:
        sources.setdefault(c.record["sha256"], c.source)
    for c in done:
        rel = related[c.record["sha256"]]
        of = rel["rendering_of"]
        c.record = {**c.record, "findings": c.record["findings"] + rel["findings"],
                    "rendering_of": {"id": of, "source": sources[of]} if of else None,
                    "renderings": [{"id": r, "source": sources[r]} for r in rel["renderings"]],
                    "duplicate_check": rel["duplicate_check"]}
    return checked


def check_paths(paths: list[str], use_ner: bool = True, cap: int | None = None) -> list[Checked]:
    """``check`` over ``paths``: every document analysed, then related to the others
    (``cap``: the ``duplicate_candidates`` setting)."""
    return relate_checked(list(analyse_inputs(paths, use_ner=use_ner)), cap)
