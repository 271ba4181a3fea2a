"""What the research query layer offers on each collection: the output fields (name, stored
path, type), the filters (name → stored path and how it compares), the sorts, and the
indexes that serve them.  Data only; ``storage.research`` builds queries from it, the API
and CLI document it, ``Store.setup`` creates the indexes (also those the statistics of
storage/stats.py start on).

Every research index starts with ``canonical`` (True for a done report that is no other
report's rendering, and everything derived from it): every research query has it.  The
embedded server uses an index only when the query's fields are a prefix of its keys
(equalities, then at most one range or ``$in``), so the typical queries have indexes of
exactly their shape (the ``explain()`` test checks them); indexes of equality filters
end with ``year`` (the default sort) and ``_id`` (added by ``research.indexes``), so that
the pages after the first (same year and a later id; later years) stay on the index.
What no index serves whole on the embedded server (a real MongoDB does: several ranges
or ``$in`` lists at once, such as a measure list with a year range or several text
words; pages after the first of a range-filtered query; region-scoped accounts, an
``$or``) runs as a first ``$match`` of the largest part one index serves and a second of
the rest (storage/research_plan.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

# field types (for Parquet schemas and CSV rendering): str | int | float | bool | json
Field = tuple[str, str]


@dataclass(frozen=True)
class Spec:
    name: str
    fields: dict[str, Field]  # output name -> (stored path, type)
    default_fields: tuple[str, ...]
    filters: dict[str, str]  # filter name -> stored path
    sorts: dict[str, str]  # sort name -> stored path
    default_sort: str
    indexes: tuple[tuple[str, ...], ...] = field(default=())


_REPORT_BASE: dict[str, Field] = {
    "report_id": ("report_id", "str"), "body": ("body", "str"),
    "body_key": ("body_key", "str"), "region": ("region", "str"),
    "level": ("level", "str"), "year": ("year", "int"), "template": ("template", "str"),
}
_BASE_FILTERS = {"body": "body", "body_key": "body_key", "region": "region",
                 "level": "level", "year": "year", "template": "template",
                 "report": "report_id"}
_BASE_SORTS = {"year": "year", "body": "body", "region": "region", "level": "level",
               "template": "template"}

REPORTS = Spec(
    name="reports",
    fields={
        "id": ("_id", "str"), "body": ("report.body", "str"), "body_key": ("body_key", "str"),
        "region": ("report.region", "str"), "level": ("report.level", "str"),
        "year": ("year", "int"), "template": ("report.template", "str"),
        "title": ("report.title", "str"), "published": ("report.published", "str"),
        "format": ("format", "str"), "source": ("sources.0.source", "str"),
        "cells": ("counts.cells", "int"), "claims": ("counts.claims", "int"),
        "commitments": ("counts.commitments", "int"), "findings": ("counts.findings", "int"),
        "fail": ("counts.fail", "int"), "warn": ("counts.warn", "int"),
        "renderings": ("renderings", "json"), "flags": ("flags", "json"),
    },
    default_fields=("id", "body", "region", "level", "year", "template", "title",
                    "published", "cells", "claims", "fail", "warn"),
    filters={"body": "report.body", "body_key": "body_key", "region": "report.region",
             "level": "report.level", "year": "year", "template": "report.template",
             "report": "_id"},
    sorts={"year": "year", "body": "report.body", "region": "report.region",
           "level": "report.level", "template": "report.template",
           "published": "report.published", "fail": "counts.fail"},
    default_sort="year",
    indexes=(("canonical", "year"), ("canonical", "report.template", "year"),
             ("canonical", "report.level", "year"), ("canonical", "report.region"),
             ("canonical", "report.body", "year"), ("canonical", "body_key", "year")),
)

CELLS = Spec(
    name="cells",
    fields={"id": ("_id", "str"), **_REPORT_BASE, "measure": ("measure", "str"),
            "topic": ("topic", "str"), "key": ("key", "str"), "column": ("column", "str"), "label": ("label", "str"),
            "value": ("value", "float"), "raw": ("raw", "str"), "state": ("state", "str"),
            "unit": ("unit", "str"), "start": ("start", "int"), "end": ("end", "int")},
    default_fields=("report_id", "body", "region", "level", "year", "template", "topic",
                    "measure", "key", "column", "value", "state", "unit"),
    filters={**_BASE_FILTERS, "measure": "measure", "topic": "topic", "metric": "key",
             "column": "column",
             "value": "value", "cell_state": "state"},
    sorts={**_BASE_SORTS, "value": "value", "measure": "measure", "key": "key"},
    default_sort="year",
    # fewer than the other collections: a report has some 150–250 cells, and every index
    # costs each insert (on the embedded server 0.03 s per index per report); a cell query
    # names a measure, topic or key, and the other filters ride on those indexes
    indexes=(("canonical", "measure", "year"), ("canonical", "measure", "level", "year"),
             ("canonical", "measure", "region"), ("canonical", "measure", "body", "year"),
             ("canonical", "measure", "value"), ("canonical", "topic", "year"),
             ("canonical", "key", "column", "year"), ("canonical", "year"), ("report_id",)),
)

CLAIMS = Spec(
    name="claims",
    fields={"id": ("_id", "str"), **_REPORT_BASE, "kind": ("kind", "str"),
            "measure": ("measure", "str"), "topic": ("topic", "str"),
            "metric": ("metric", "str"), "value": ("value", "float"),
            "low": ("low", "float"), "high": ("high", "float"),
            "unit": ("unit", "str"), "text": ("text", "str"), "phrase": ("phrase", "str"),
            "qualifier": ("qualifier", "str"), "direction": ("direction", "str"),
            "verifiable": ("verifiable", "bool"), "start": ("start", "int"),
            "end": ("end", "int"), "pattern": ("pattern", "str")},
    default_fields=("report_id", "body", "region", "year", "template", "kind", "measure",
                    "metric", "value", "unit", "text"),
    filters={**_BASE_FILTERS, "measure": "measure", "topic": "topic", "metric": "metric",
             "kind": "kind",
             "value": "value", "text": "tokens"},
    sorts={**_BASE_SORTS, "value": "value", "measure": "measure", "kind": "kind",
           "metric": "metric"},
    default_sort="year",
    # ("canonical", "verifiable", "year"): the prose-vs-table statistic (storage/stats.py);
    # ("canonical", "tokens", "kind", "year"): a text search within a claim kind (without
    # it the embedded server, finding no index of the query's shape, fetched every
    # canonical claim through the ``canonical`` prefix and filtered them: 16.7 s a page
    # at 20,000 reports)
    indexes=(("canonical", "measure", "year"), ("canonical", "topic", "year"),
             ("canonical", "kind", "year"), ("canonical", "verifiable", "year"),
             ("canonical", "metric", "year"), ("canonical", "tokens", "year"),
             ("canonical", "tokens", "kind", "year"),
             ("canonical", "year"), ("canonical", "body", "year"), ("canonical", "region"),
             ("canonical", "body_key", "year"), ("canonical", "template", "year"),
             ("canonical", "level", "year")),
)

COMMITMENTS = Spec(
    name="commitments",
    fields={"id": ("_id", "str"), **_REPORT_BASE, "text": ("text", "str"),
            "deadline": ("deadline", "int"), "metric": ("metric", "str"),
            "direction": ("direction", "str"), "action": ("action", "str"),
            "measurable": ("measurable", "bool"), "section": ("section", "str"),
            "start": ("start", "int"), "end": ("end", "int")},
    default_fields=("report_id", "body", "region", "year", "deadline", "metric",
                    "direction", "text"),
    filters={**_BASE_FILTERS, "metric": "metric", "text": "tokens"},
    sorts={**_BASE_SORTS, "deadline": "deadline"},
    default_sort="year",
    indexes=(("canonical", "year"), ("canonical", "tokens", "year"), ("canonical", "metric", "year"),
             ("canonical", "body", "year"), ("canonical", "region"), ("canonical", "body_key", "year"),
             ("canonical", "template", "year"), ("canonical", "level", "year")),
)

FINDINGS = Spec(
    name="findings",
    fields={"id": ("_id", "str"), **_REPORT_BASE, "code": ("code", "str"),
            "rule": ("rule", "str"), "status": ("status", "str"),
            "severity": ("severity", "str"), "scope": ("scope", "str"),
            "state": ("review.state", "str"), "message": ("message", "str"),
            "message_en": ("message_en", "str"), "expression": ("expression", "str"),
            "measures": ("measures", "json"), "topics": ("topics", "json"), "values": ("values", "json"),
            "cells": ("cells", "json"), "spans": ("spans", "json"),
            "prev_report_id": ("prev_report_id", "str")},
    default_fields=("id", "report_id", "body", "region", "level", "year", "template",
                    "code", "status", "severity", "state", "topics", "measures", "message"),
    filters={**_BASE_FILTERS, "measure": "measures", "topic": "topics", "code": "code", "status": "status",
             "severity": "severity", "state": "review.state", "scope": "scope"},
    sorts={**_BASE_SORTS, "code": "code", "status": "status", "severity": "severity_rank"},
    default_sort="year",
    indexes=(("canonical", "status", "code", "year"), ("canonical", "code", "year"),
             ("canonical", "status", "topics", "code", "year"), ("canonical", "topics", "year"),
             ("canonical", "measures", "year"), ("canonical", "status", "year"),
             ("canonical", "review.state", "year"), ("canonical", "year"),
             ("canonical", "body", "year"), ("canonical", "region"), ("canonical", "body_key", "year"),
             ("canonical", "template", "year"), ("canonical", "level", "year")),
)

SPECS: dict[str, Spec] = {s.name: s for s in (REPORTS, CELLS, CLAIMS, COMMITMENTS, FINDINGS)}
COLLECTIONS = tuple(SPECS)
