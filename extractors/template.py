"""Which generation of the statistics template a report uses (DOMAIN.md "Three generations").

Detection is hand-written from the header and row signatures that only one generation
prints: 2021 (本年制发件数 / 现行有效件数, the 其他处理 sub-rows), the 2019 trial
(本年新制作数量 / 上一年项目数量 / 采购项目数量) and the pre-2019 lists (统计指标 / 统计数,
历年累计, 主动公开政府信息数 …).  A parsed table decides first (its keys and columns are
unambiguous); then the signatures in the text, compared with spaces removed so that
pdftotext layouts count; the report year is the last resort.
"""
from __future__ import annotations

import re

from extractors.models import Cell, Table

SIGNATURES = {
    "2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额",
             "申请人无正当理由逾期不补正", "申请人逾期未按收费通知要求缴纳费用"),
    "2019trial": ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量",
                  "采购项目数量", "其他对外管理服务事项"),
    "pre2019": ("统计指标", "统计数", "历年累计", "主动公开政府信息数", "主动公开信息数",
                "主动公开文件数", "受理依申请公开信息总数", "对申请的答复", "申请答复数",
                "政府信息公开情况统计表"),
}
_COLUMN_TEMPLATES = {"issued": "2021", "repealed": "2021", "in_force": "2021",
                     "made": "2019trial", "published": "2019trial", "total_published": "2019trial",
                     "prev_items": "2019trial", "count": "2019trial",
                     "value": "pre2019", "cumulative": "pre2019"}
_YEAR = re.compile(r"(20[0-4]\d)\s*年\s*度?\s*(?:政府)?信息公开")


def _from_cells(cells: tuple[Cell, ...]) -> str | None:
    votes: dict[str, int] = {}
    for c in cells:
        if not c.known:
            continue
        t = _COLUMN_TEMPLATES.get(c.column)
        if c.key.startswith("p."):
            t = "pre2019"
        elif c.key.startswith("t3.other."):
            t = "2021"
        if t:
            votes[t] = votes.get(t, 0) + 1
    return max(votes, key=votes.__getitem__) if votes else None


def _from_signatures(text: str) -> str | None:
    flat = "".join(text.split())  # the whitespace of re's \s, removed without a regex pass
    scores = {t: sum(flat.count(s) for s in sigs) for t, sigs in SIGNATURES.items()}
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] else None


def _from_year(text: str) -> str | None:
    m = _YEAR.search(text[:3000])
    if not m:
        return None
    year = int(m.group(1))
    return "pre2019" if year <= 2018 else "2019trial" if year <= 2020 else "2021"


def detect_template(text: str, table: Table | None = None) -> str:
    """pre2019 | 2019trial | 2021 | unknown."""
    if table is not None and table.cells:
        found = _from_cells(table.cells)
        if found:
            return found
    return _from_signatures(text) or _from_year(text) or "unknown"


def variant_of(template: str, cells: tuple[Cell, ...], form: str, header: list[str]) -> str:
    """A name for the local variant of the table, e.g. ``pre2019-fujian-cumulative``."""
    keys = {c.key for c in cells}
    columns = {c.column for c in cells}
    if template == "pre2019":
        if keys & {"p.response.total", "p.channel.wechat", "p.org.staff"}:
            name = "pre2019-national-2014"
        elif keys & {"p.fee_waiver", "p.litigation_reports", "p.apply.letter_fax"}:
            name = "pre2019-fujian-2014"
        elif "cumulative" in columns:
            name = "pre2019-fujian-2008"
        else:
            name = "pre2019-other"
    elif template in ("2019trial", "2021"):
        name = f"{template}-national"
        if template == "2021" and "t3.other" in keys:
            name += "-single-other"
    else:
        name = "unknown"
    return name if form == "pipe" else f"{name}+{form}"
