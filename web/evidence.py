"""The evidence of a finding, laid out for a person: pure functions over stored data.

- :func:`table_grids` rebuilds the statistics tables as printed — rows in the order of
  their offsets in the text, one grid per table (表二/表三/表四, or the pre-2019 table),
  columns as the catalogue names them — from the stored cells, marks the cells a finding
  involves, and marks as *not read* the cells the catalogue expects there that no cell
  was stored for.
- :func:`text_windows` cuts the report text around each span for highlighting.
- :func:`shared_passages` marks the passages two texts share (runs of equal n-grams).
- :func:`rule_terms` states a rule's terms with the catalogue's printed labels.

These are layouts of gongkai's own data structures (cell keys, catalogue entries, rule
terms); no library knows them.  Output is plain data: templates escape every string.
"""
from __future__ import annotations

from extractors.catalogue import Catalogue

SECTION_ORDER = ("t2", "t3", "t4", "pre2019", "other")


def _section(key: str, catalogue: Catalogue) -> str:
    entry = catalogue.entries.get(key)
    if entry is None or not entry.section:
        return "other"
    return entry.section.split(".")[0]


def _column_name(col: str, catalogue: Catalogue) -> str:
    cdef = catalogue.columns.get(col)
    return cdef.labels[0] if cdef and cdef.labels else col


def _rows_by_offset(cells: list[dict]) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    for c in sorted(cells, key=lambda c: (c.get("start") is None, c.get("start") or 0)):
        rows.setdefault(c.get("key") or "?", []).append(c)
    return rows


def table_grids(cells: list[dict], catalogue: Catalogue, template: str | None,
                involved: set[tuple[str, str]] | None = None) -> list[dict]:
    """One grid per printed table: ``{"section", "columns": [{"id", "name"}], "rows":
    [{"key", "label", "missing", "cells": [{"column", "raw", "value", "state",
    "involved", "missing", "start", "end"}]}], "involved": bool}``."""
    involved = involved or set()
    grouped: dict[str, dict[str, list[dict]]] = {}
    for key, row in _rows_by_offset(cells).items():
        grouped.setdefault(_section(key, catalogue), {})[key] = row
    for key in catalogue.mandatory(template or ""):
        grouped.setdefault(_section(key, catalogue), {}).setdefault(key, [])
    grids = [_grid(sec, rows, catalogue, template, involved)
             for sec, rows in grouped.items()]
    return sorted(grids, key=lambda g: SECTION_ORDER.index(g["section"])
                  if g["section"] in SECTION_ORDER else 99)


def _grid(section: str, rows: dict[str, list[dict]], catalogue: Catalogue,
          template: str | None, involved: set[tuple[str, str]]) -> dict:
    seen: list[str] = []
    for row in rows.values():
        for c in row:
            if c.get("column") not in seen:
                seen.append(c.get("column"))
    order = [k for k in rows if rows[k]]
    for key in rows:  # rows never read: after the catalogue row printed before them
        if not rows[key]:
            order.insert(_insert_at(order, key, catalogue), key)
    out_rows = [_grid_row(key, rows[key], seen, catalogue, template, involved)
                for key in order]
    return {"section": section, "columns": [{"id": c, "name": _column_name(c, catalogue)}
                                            for c in seen],
            "rows": out_rows, "involved": any(r["involved"] for r in out_rows)}


def _insert_at(order: list[str], key: str, catalogue: Catalogue) -> int:
    keys = list(catalogue.entries)
    if key not in keys:
        return len(order)
    before = keys[: keys.index(key)]
    positions = [order.index(k) for k in before if k in order]
    return max(positions) + 1 if positions else 0


def _grid_row(key: str, row: list[dict], columns: list[str], catalogue: Catalogue,
              template: str | None, involved: set[tuple[str, str]]) -> dict:
    entry = catalogue.entries.get(key)
    expected = set(entry.columns_for(template)) if entry else set()
    by_col = {c.get("column"): c for c in row}
    out = []
    for col in columns:
        c = by_col.get(col)
        if c is None:
            out.append({"column": col, "raw": None, "value": None, "state": None,
                        "missing": col in expected or not row, "involved": (key, col) in involved,
                        "start": None, "end": None})
            continue
        out.append({"column": col, "raw": c.get("raw"), "value": c.get("value"),
                    "state": c.get("state"), "missing": False,
                    "involved": (key, col) in involved, "start": c.get("start"),
                    "end": c.get("end")})
    label = row[0].get("label") if row else (entry.labels[0] if entry else key)
    return {"key": key, "label": label, "missing": not row, "cells": out,
            "involved": any(c["involved"] for c in out)}


def text_windows(text: str, spans: list, radius: int = 160) -> list[dict]:
    """Text around each span (overlapping windows merged): ``{"start", "end",
    "parts": [{"text", "mark"}]}`` — the spans' characters have ``mark`` true."""
    spans = sorted((max(0, int(s)), min(len(text), int(e))) for s, e in spans
                   if s is not None and e is not None)
    windows: list[list] = []
    for s, e in spans:
        lo, hi = max(0, s - radius), min(len(text), e + radius)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
            windows[-1][2].append((s, e))
        else:
            windows.append([lo, hi, [(s, e)]])
    return [{"start": lo, "end": hi, "parts": _parts(text, lo, hi, marks)}
            for lo, hi, marks in windows]


def _parts(text: str, lo: int, hi: int, marks: list[tuple[int, int]]) -> list[dict]:
    parts, pos = [], lo
    for s, e in marks:
        s = max(s, pos)
        if s > pos:
            parts.append({"text": text[pos:s], "mark": False})
        if e > s:
            parts.append({"text": text[s:e], "mark": True})
        elif e == s:
            parts.append({"text": "", "mark": True})  # an empty cell: show where
        pos = max(pos, e)
    if hi > pos:
        parts.append({"text": text[pos:hi], "mark": False})
    return parts


def shared_passages(a: str, b: str, n: int = 12) -> tuple[list[dict], list[dict], float]:
    """Both texts as parts with ``mark`` on characters inside an n-gram the other text
    also has, and the share of ``a``'s characters so marked."""
    grams_b = {b[i:i + n] for i in range(max(0, len(b) - n + 1))}
    grams_a = {a[i:i + n] for i in range(max(0, len(a) - n + 1))}
    mask_a = _mask(a, grams_b, n)
    mask_b = _mask(b, grams_a, n)
    share = round(sum(mask_a) / len(a), 3) if a else 0.0
    return _runs(a, mask_a), _runs(b, mask_b), share


def _mask(text: str, other: set[str], n: int) -> list[bool]:
    mask = [False] * len(text)
    for i in range(max(0, len(text) - n + 1)):
        if text[i:i + n] in other:
            for j in range(i, i + n):
                mask[j] = True
    return mask


def _runs(text: str, mask: list[bool]) -> list[dict]:
    parts: list[dict] = []
    for ch, m in zip(text, mask):
        if parts and parts[-1]["mark"] == m:
            parts[-1]["text"] += ch
        else:
            parts.append({"text": ch, "mark": m})
    return parts


def rule_terms(rule, catalogue: Catalogue, column_names: dict[str, str]) -> list[dict]:
    """The rule's term lists in printed labels: ``[{"role", "terms": [str]}]``."""
    out = []
    for role, terms in (rule.terms or {}).items():
        out.append({"role": role, "terms": [_term_text(t, catalogue, column_names)
                                             for t in terms]})
    return out


def _term_text(term, catalogue: Catalogue, column_names: dict[str, str]) -> str:
    if term.one_of:
        alts = [" + ".join(_term_text(t, catalogue, column_names) for t in alt)
                for alt in term.one_of]
        return "（" + " 或 ".join(alts) + "）"
    key, _, col = (term.ref or "").partition("@")
    entry = catalogue.entries.get(key)
    label = entry.labels[0] if entry else key
    if col and "{" not in col:
        label += f"［{column_names.get(col, col)}］"
    sign = "−" if term.weight < 0 else ""
    return f"{sign}{label}"
