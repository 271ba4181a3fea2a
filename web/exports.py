"""Exports: confirmed findings as CSV (csv module) or XLSX (openpyxl), a body's audit
page as PDF (WeasyPrint renders the same HTML page, CJK through the system's Noto CJK
fonts) or DOCX (python-docx).  Only the layout of gongkai's rows is written here."""
from __future__ import annotations

import csv
import io

from web.i18n import translator

COLUMNS = ("id", "code", "rule", "status", "severity", "body", "region", "level", "year",
           "template", "message", "expression", "report_id", "decided_by", "decided_at",
           "note")


def _row(f: dict) -> list:
    rv = f.get("review") or {}
    return [f.get("_id"), f.get("code"), f.get("rule"), f.get("status"), f.get("severity"),
            f.get("body"), f.get("region"), f.get("level"), f.get("year"), f.get("template"),
            f.get("message"), f.get("expression"), f.get("report_id"), rv.get("by"),
            rv.get("at").isoformat() if rv.get("at") else None, rv.get("note")]


def _safe(value):
    """Spreadsheet cells that start like a formula are written as text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def findings_table(rows: list[dict], fmt: str) -> tuple[bytes, str]:
    table = [[_safe(v) for v in _row(f)] for f in rows]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(COLUMNS)
        writer.writerows(table)
        return ("\ufeff" + buf.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "confirmed"
    ws.append(list(COLUMNS))
    for r in table:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pdf_of(html: str) -> bytes:
    from pathlib import Path

    from weasyprint import CSS, HTML

    css = CSS(filename=str(Path(__file__).with_name("static") / "app.css"))
    return HTML(string=html).write_pdf(stylesheets=[css])


def docx_of(data: dict, request) -> bytes:
    from docx import Document

    lang = ((getattr(request.state, "user", None) or {}).get("lang")) or "zh"
    t = translator(lang)
    doc = Document()
    doc.add_heading(f"{data.get('body') or data['body_key']} · {t('body.audit')}", level=1)
    doc.add_paragraph(f"{t('filter.region')}: {data.get('region') or '—'} · "
                      f"{t('body.years')}: {', '.join(str(y) for y in data['years'])}")
    _docx_findings(doc, data, t)
    _docx_commitments(doc, data, t)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _docx_findings(doc, data: dict, t) -> None:
    doc.add_heading(t("body.findings"), level=2)
    table = doc.add_table(rows=1, cols=5)
    for cell, head in zip(table.rows[0].cells, ("year", "code", "status", "state", "message")):
        cell.text = t(f"col.{head}")
    for f in data["findings"]:
        cells = table.add_row().cells
        values = (f.get("year"), f.get("code"), t(f"status.{f.get('status')}"),
                  t(f"state.{(f.get('review') or {}).get('state', 'open')}"),
                  f.get("message"))
        for cell, v in zip(cells, values):
            cell.text = "" if v is None else str(v)


def _docx_commitments(doc, data: dict, t) -> None:
    doc.add_heading(t("body.commitments"), level=2)
    for c in data["commitments"]:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(f"{c.get('year')}: ").bold = True
        p.add_run(str(c.get("text") or ""))
        p.add_run(f" — {t('follow.' + c['follow'])}")
