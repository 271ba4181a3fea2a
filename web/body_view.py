"""One body's audit page as data: its reports year by year, the table cells year against
year with the changes, findings per year with their review state, and each year's
commitments with whether the next year's table moved the promised way.

The follow-up test reuses the cross-year machinery (``extractors.crossyear``: a
commitment's metric read through the rule set's table view), so the page and the
X.COMMITMENT rule agree."""
from __future__ import annotations

from fastapi import Request

from extractors.crosscheck import TableView
from extractors.crossyear import table_from_dict
from extractors.rules import load_rules
from storage import audit
from web.errors import ApiError


def body_data(request: Request, body_key: str, user: dict) -> dict:
    db = request.app.state.store.db
    reports = audit.body_reports(db, body_key, user.get("regions") or [])
    if not reports:
        raise ApiError(404, f"no stored reports of body {body_key} that you may see")
    tables = {r["_id"]: audit.table_cells(db, r["_id"]) for r in reports}
    ids = [r["_id"] for r in reports]
    findings = audit.body_findings(db, ids)
    years = [r.get("year") for r in reports]
    return {"body_key": body_key, "body": reports[-1].get("body"),
            "region": reports[-1].get("region"), "years": years,
            "reports": [_report_row(r, findings) for r in reports],
            "matrix": cell_matrix(reports, tables),
            "commitments": follow_ups(reports, tables, audit.body_commitments(db, ids)),
            "findings": findings}


def _report_row(r: dict, findings: list[dict]) -> dict:
    mine = [f for f in findings if f.get("report_id") == r["_id"]]
    states: dict[str, int] = {}
    for f in mine:
        s = (f.get("review") or {}).get("state", "open")
        states[s] = states.get(s, 0) + 1
    return {"id": r["_id"], "year": r.get("year"), "title": r.get("title"),
            "template": r.get("template"), "source": r.get("source"),
            "findings": len(mine), "states": states,
            "duplicate_check": r.get("duplicate_check")}  # None: every candidate compared


def cell_matrix(reports: list[dict], tables: dict[str, dict]) -> list[dict]:
    """Rows (key, column) with one entry per report year and ``changed`` marks."""
    rows: dict[tuple, dict] = {}
    for i, r in enumerate(reports):
        for c in tables[r["_id"]]["cells"]:
            k = (c.get("key"), c.get("column"))
            row = rows.setdefault(k, {"key": k[0], "column": k[1], "label": c.get("label"),
                                      "column_name": _column_name(k[1]),
                                      "values": [None] * len(reports), "order": len(rows)})
            row["values"][i] = {"raw": c.get("raw"), "value": c.get("value"),
                                "state": c.get("state")}
    out = []
    for row in sorted(rows.values(), key=lambda r: r["order"]):
        prev = None
        for v in row["values"]:
            if v is not None:
                v["changed"] = prev is not None and v.get("value") != prev.get("value")
                prev = v
        out.append(row)
    return out


def _column_name(col: str | None) -> str:
    from extractors.catalogue import load_catalogue

    cdef = load_catalogue().columns.get(col or "")
    return cdef.labels[0] if cdef and cdef.labels else (col or "")


def follow_ups(reports: list[dict], tables: dict[str, dict],
               commitments: list[dict]) -> list[dict]:
    """Each commitment with ``follow``: followed / not_followed / not_measurable /
    no_next_year / unknown, and the values it was judged on."""
    rs = load_rules()
    by_year = {r.get("year"): r for r in reports}
    views = {r["_id"]: TableView(table_from_dict({"report": r, "table": tables[r["_id"]]}), rs)
             for r in reports}
    out = []
    for c in commitments:
        this = next((r for r in reports if r["_id"] == c.get("report_id")), None)
        nxt = by_year.get((c.get("year") or 0) + 1)
        out.append({**c, **_judge(c, this and views[this["_id"]],
                                  nxt and views[nxt["_id"]], nxt)})
    return out


def _judge(c: dict, before: TableView | None, after: TableView | None, nxt: dict | None) -> dict:
    if c.get("direction") not in ("up", "down") or not c.get("metric"):
        return {"follow": "not_measurable"}
    if nxt is None or after is None or before is None:
        return {"follow": "no_next_year"}
    a, b = _metric(before, c["metric"]), _metric(after, c["metric"])
    if a is None or b is None:
        return {"follow": "unknown", "next_report": nxt["_id"]}
    moved = b > a if c["direction"] == "up" else b < a
    return {"follow": "followed" if moved else "not_followed", "before": a, "after": b,
            "next_report": nxt["_id"]}


def _metric(view: TableView, metric: str) -> float | None:
    got = view.metric(metric)
    if got is None or not got[0].known or not got[0].items:
        return None
    return got[0].interval.lo
