"""Synthetic 政府信息公开工作年度报告 for scale tests and seeded-discrepancy evaluation.

``generate(n, seed, out_dir)`` writes ``n`` plausible reports of the three template
generations (pre2019 national 2014 list, 2019 trial, 2021; ../shared/docs/DOMAIN.md)
as ``<name>.txt`` (one paragraph per line, table rows as ``cell | cell``), optionally
``<name>.html``, and a ``<name>.gold.json`` holding the table as generated and the one
discrepancy seeded on purpose (or null).

Why this is hand-written rather than sampled from real reports: the point is ground
truth.  Every table is built to satisfy the DOMAIN.md identities (表三 一+二 = 三（七）+四,
row sums, 表四 blocks, pre-2019 sums of parts and channel inequalities) and bodies report
consecutive years whose carry-overs and 现行有效 counts roll forward, so any finding on a
clean report is a false positive and the seeded place is known exactly.  The prose is
composed from this module's own phrase banks (none of it is taken from real reports);
figures in it are rendered from the final table, so the only disagreement in a report is
the seeded one.  Output is deterministic for a seed (``random.Random`` per body).
"""
from __future__ import annotations

import argparse
import html
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

GENERATOR_VERSION = "synth.v1"
_ENCODER = json.JSONEncoder(ensure_ascii=False)
YEARS = range(2014, 2026)
T3_APPLICANTS = ("natural", "commercial", "research", "nonprofit", "legal", "other_org")
T3_COLUMNS = T3_APPLICANTS + ("total",)
T4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
T4_BLOCKS = ("t4.review", "t4.litigation_direct", "t4.litigation_after_review")
# (key, column) pairs stored in hundredths (printed with two decimals)
MONEY = {("p.fees", "value"), ("p.org.budget", "value"), ("t2.fees", "amount"),
         ("t2.procurement", "amount")}
MONEY_KEYS = {k for k, _ in MONEY}

# ----------------------------------------------------------------------------- names

PROVINCES = ("湖南省", "江西省", "福建省", "江苏省", "浙江省", "安徽省", "四川省", "河南省",
             "山东省", "湖北省", "广东省", "贵州省", "云南省", "河北省", "山西省", "陕西省")
SYLLABLES = "青安平江河山阳宁兴华城东西南清源云溪丰泰永新长乐龙宝定昌德武临桂松林嘉"
DEPARTMENTS = ("民政局", "财政局", "教育局", "自然资源局", "生态环境局", "住房和城乡建设局",
               "交通运输局", "卫生健康委员会", "市场监督管理局", "人力资源和社会保障局",
               "农业农村局", "水利局", "司法局", "统计局", "发展和改革委员会")
# level -> (relative weight, scale of the figures)
LEVELS = {"province": (1, 20.0), "city": (3, 8.0), "city_department": (5, 2.5),
          "county": (5, 4.0), "county_department": (8, 1.0), "township": (3, 0.3)}


@dataclass(frozen=True)
class Body:
    name: str
    region: str
    level: str
    scale: float
    short: str  # how the prose refers to itself (我局 / 我市 …)


def _place(rng: random.Random, suffix: str) -> str:
    return "".join(rng.sample(SYLLABLES, 2)) + suffix


def make_body(rng: random.Random) -> Body:
    levels = list(LEVELS)
    level = rng.choices(levels, weights=[LEVELS[x][0] for x in levels])[0]
    prov, city = rng.choice(PROVINCES), _place(rng, "市")
    county = _place(rng, rng.choice(("县", "区")))
    dept = rng.choice(DEPARTMENTS)
    name, region, short = {
        "province": (prov + "人民政府", prov, "我省"),
        "city": (city + "人民政府", prov + city, "我市"),
        "city_department": (city + dept, prov + city, "我" + dept[-1]),
        "county": (county + "人民政府", prov + city + county, "我" + county[-1]),
        "county_department": (county + dept, prov + city + county, "我" + dept[-1]),
        "township": (county + _place(rng, "镇") + "人民政府", prov + city + county, "我镇"),
    }[level]
    return Body(name, region, level, LEVELS[level][1], short)


def template_of(year: int) -> str:
    return "pre2019" if year <= 2018 else ("2019trial" if year <= 2020 else "2021")


# ----------------------------------------------------------------------------- numbers

def _amount(rng: random.Random, mean: float) -> int:
    """A non-negative count around ``mean`` (long right tail, often small)."""
    if mean <= 0:
        return 0
    return int(rng.expovariate(1.0 / mean))


def _split(rng: random.Random, total: int, weights: Sequence[float]) -> list[int]:
    """``total`` split into len(weights) non-negative parts, roughly by weight."""
    parts = [0] * len(weights)
    if total <= 0:
        return parts
    w = [x * (0.3 + rng.random()) for x in weights]
    s = sum(w)
    if s <= 0:
        parts[0] = total
        return parts
    parts = [int(total * x / s) for x in w]
    parts[w.index(max(w))] += total - sum(parts)
    return parts


def _active(rng: random.Random, weights: dict[str, float], p: float, keep: int = 1) -> list[float]:
    """Weights with all but the first ``keep`` rows switched off at probability 1-p."""
    out = []
    for i, w in enumerate(weights.values()):
        out.append(w if i < keep or rng.random() < p else 0.0)
    return out


def _channels(rng: random.Random, total: int, shares: Sequence[float]) -> list[int]:
    """Per-channel counts: each <= total, their sum >= total (the first is the main one)."""
    out = [min(total, int(total * s * (0.5 + rng.random()))) for s in shares]
    out[0] = total - int(total * 0.2 * rng.random())
    short = total - sum(out)
    if short > 0:
        j = rng.randrange(1, len(out)) if len(out) > 1 else 0
        out[j] = min(total, out[j] + short)
    return out


# ----------------------------------------------------------------------------- table data

# pre2019 national list (2014): (key, printed label, unit); unit None = heading row
PRE2019_ROWS = (
    ("p.section.proactive", "一、主动公开情况", None),
    ("p.proactive.total", "（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）", "条"),
    ("p.proactive.normative", "其中：主动公开规范性文件数", "条"),
    ("p.proactive.normative_issued", "制发规范性文件总数", "件"),
    ("p.proactive.channels", "（二）通过不同渠道和方式公开政府信息的情况", None),
    ("p.channel.gazette", "1.政府公报公开政府信息数", "条"),
    ("p.channel.website", "2.政府网站公开政府信息数", "条"),
    ("p.channel.weibo", "3.政务微博公开政府信息数", "条"),
    ("p.channel.wechat", "4.政务微信公开政府信息数", "条"),
    ("p.channel.other", "5.其他方式公开政府信息数", "条"),
    ("p.section.response", "二、回应解读情况", None),
    ("p.response.total", "（一）回应公众关注热点或重大舆情数（不同方式回应同一热点或舆情计1次）", "次"),
    ("p.response.channels", "（二）通过不同渠道和方式回应解读的情况", None),
    ("p.response.press", "1.参加或举办新闻发布会总次数", "次"),
    ("p.response.press_head", "其中：主要负责同志参加新闻发布会次数", "次"),
    ("p.response.interview", "2.政府网站在线访谈次数", "次"),
    ("p.response.interview_head", "其中：主要负责同志参加政府网站在线访谈次数", "次"),
    ("p.response.interpretation", "3.政策解读稿件发布数", "篇"),
    ("p.response.weibo_wechat", "4.微博微信回应事件数", "次"),
    ("p.response.other", "5.其他方式回应事件数", "次"),
    ("p.section.apply", "三、依申请公开情况", None),
    ("p.apply.received", "（一）收到申请数", "件"),
    ("p.apply.in_person", "1.当面申请数", "件"),
    ("p.apply.fax", "2.传真申请数", "件"),
    ("p.apply.online", "3.网络申请数", "件"),
    ("p.apply.letter", "4.信函申请数", "件"),
    ("p.apply.completed", "（二）申请办结数", "件"),
    ("p.apply.on_time", "1.按时办结数", "件"),
    ("p.apply.extended", "2.延期办结数", "件"),
    ("p.reply.total", "（三）申请答复数", "件"),
    ("p.reply.already_public", "1.属于已主动公开范围数", "件"),
    ("p.reply.granted", "2.同意公开答复数", "件"),
    ("p.reply.partial", "3.同意部分公开答复数", "件"),
    ("p.reply.denied", "4.不同意公开答复数", "件"),
    ("p.reply.denied.state_secret", "其中：涉及国家秘密", "件"),
    ("p.reply.denied.commercial_secret", "涉及商业秘密", "件"),
    ("p.reply.denied.privacy", "涉及个人隐私", "件"),
    ("p.reply.denied.security", "危及国家安全、公共安全、经济安全和社会稳定", "件"),
    ("p.reply.denied.not_gov_info", "不是《条例》所指政府信息", "件"),
    ("p.reply.denied.other_law", "法律法规规定的其他情形", "件"),
    ("p.reply.not_this_body", "5.不属于本行政机关公开数", "件"),
    ("p.reply.nonexistent", "6.申请信息不存在数", "件"),
    ("p.reply.redirect", "7.告知作出更改补充数", "件"),
    ("p.reply.other_channel", "8.告知通过其他途径办理数", "件"),
    ("p.review.total", "四、行政复议数量", "件"),
    ("p.review.upheld", "（一）维持具体行政行为数", "件"),
    ("p.review.corrected", "（二）被依法纠错数", "件"),
    ("p.review.other", "（三）其他情形数", "件"),
    ("p.litigation.total", "五、行政诉讼数量", "件"),
    ("p.litigation.upheld", "（一）维持具体行政行为或者驳回原告诉讼请求数", "件"),
    ("p.litigation.corrected", "（二）被依法纠错数", "件"),
    ("p.litigation.other", "（三）其他情形数", "件"),
    ("p.complaints", "六、举报投诉数量", "件"),
    ("p.fees", "七、依申请公开信息收取的费用", "万元"),
    ("p.section.org", "八、机构建设和保障经费情况", None),
    ("p.org.units", "（一）政府信息公开工作专门机构数", "个"),
    ("p.org.reading_points", "（二）设置政府信息公开查阅点数", "个"),
    ("p.org.staff", "（三）从事政府信息公开工作人员数", "人"),
    ("p.org.staff_fulltime", "1.专职人员数（不包括政府公报及政府网站工作人员数）", "人"),
    ("p.org.staff_parttime", "2.兼职人员数", "人"),
    ("p.org.budget", "（四）政府信息公开专项经费（不包括用于政府公报编辑管理及政府网站建设维护等方面的经费）", "万元"),
    ("p.section.meeting", "九、政府信息公开会议和培训情况", None),
    ("p.meeting.meetings", "（一）召开政府信息公开工作会议或专题会议数", "次"),
    ("p.meeting.trainings", "（二）举办各类培训班数", "次"),
    ("p.meeting.trainees", "（三）接受培训人员数", "人次"),
)

# 表三 result rows: (key, group label or None, own label, weight); the first two always on
T3_RESULTS = (
    ("t3.granted", None, "（一）予以公开", 6.0),
    ("t3.partial", None, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 1.0),
    ("t3.denied.state_secret", "（三）不予公开", "1.属于国家秘密", 0.2),
    ("t3.denied.prohibited", "（三）不予公开", "2.其他法律行政法规禁止公开", 0.2),
    ("t3.denied.security", "（三）不予公开", "3.危及“三安全一稳定”", 0.2),
    ("t3.denied.third_party", "（三）不予公开", "4.保护第三方合法权益", 0.5),
    ("t3.denied.internal", "（三）不予公开", "5.属于三类内部事务信息", 0.4),
    ("t3.denied.process", "（三）不予公开", "6.属于四类过程性信息", 0.5),
    ("t3.denied.enforcement_file", "（三）不予公开", "7.属于行政执法案卷", 0.3),
    ("t3.denied.query", "（三）不予公开", "8.属于行政查询事项", 0.3),
    ("t3.unable.not_held", "（四）无法提供", "1.本机关不掌握相关政府信息", 3.0),
    ("t3.unable.need_create", "（四）无法提供", "2.没有现成信息需要另行制作", 0.6),
    ("t3.unable.unclear", "（四）无法提供", "3.补正后申请内容仍不明确", 0.5),
    ("t3.rejected.petition", "（五）不予处理", "1.信访举报投诉类申请", 0.8),
    ("t3.rejected.repeat", "（五）不予处理", "2.重复申请", 0.6),
    ("t3.rejected.publication", "（五）不予处理", "3.要求提供公开出版物", 0.2),
    ("t3.rejected.massive", "（五）不予处理", "4.无正当理由大量反复申请", 0.3),
    ("t3.rejected.confirm", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息", 0.2),
)
T3_OTHER_2021 = (
    ("t3.other.no_correction", "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", 0.6),
    ("t3.other.no_fee", "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", 0.1),
    ("t3.other.other", "（六）其他处理", "3.其他", 0.4),
)
T3_OTHER_2019 = (("t3.other", None, "（六）其他处理", 0.8),)
APPLICANT_WEIGHTS = {"natural": 10.0, "commercial": 1.5, "research": 0.1,
                     "nonprofit": 0.2, "legal": 0.4, "other_org": 0.8}
T3_HEADER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def t3_results(template: str) -> tuple:
    return T3_RESULTS + (T3_OTHER_2021 if template == "2021" else T3_OTHER_2019)


# ----------------------------------------------------------------------------- values

@dataclass
class Draft:
    """One report being built: its table values and what was seeded."""

    body: Body
    year: int
    template: str
    name: str
    v: dict[tuple[str, str], int] = field(default_factory=dict)
    flip: str | None = None  # a false qualitative statement the prose must make
    seeded: dict | None = None


def _pre2019_proactive(rng: random.Random, s: float, v: dict) -> None:
    total = max(1, _amount(rng, 90 * s))
    chans = _channels(rng, total, (1.0, 0.05, 0.3, 0.4, 0.15))
    for key, n in zip(("website", "gazette", "weibo", "wechat", "other"), chans):
        v[("p.channel." + key, "value")] = n
    issued = _amount(rng, 6 * s)
    v[("p.proactive.total", "value")] = total
    v[("p.proactive.normative_issued", "value")] = issued
    v[("p.proactive.normative", "value")] = rng.randint(0, min(issued, total))


def _pre2019_response(rng: random.Random, s: float, v: dict) -> None:
    total = _amount(rng, 12 * s)
    keys = ("interpretation", "press", "interview", "weibo_wechat", "other")
    for key, n in zip(keys, _channels(rng, total, (1.0, 0.2, 0.1, 0.4, 0.2))):
        v[("p.response." + key, "value")] = n
    v[("p.response.total", "value")] = total
    for head in ("press", "interview"):
        v[(f"p.response.{head}_head", "value")] = rng.randint(0, v[(f"p.response.{head}", "value")])


def _put_parts(v: dict, total_key: str, keys: Sequence[str], parts: Sequence[int], col: str = "value") -> None:
    v[(total_key, col)] = sum(parts)
    for k, n in zip(keys, parts):
        v[(k, col)] = n


def _pre2019_apply(rng: random.Random, s: float, v: dict) -> None:
    received = _amount(rng, 5 * s) if rng.random() < 0.7 else 0
    _put_parts(v, "p.apply.received", [f"p.apply.{k}" for k in ("in_person", "fax", "online", "letter")],
               _split(rng, received, (3.0, 0.1, 2.0, 0.8)))
    extended = rng.randint(0, received // 5)
    _put_parts(v, "p.apply.completed", ("p.apply.on_time", "p.apply.extended"), (received - extended, extended))
    items = ("already_public", "granted", "partial", "denied", "not_this_body", "nonexistent",
             "redirect", "other_channel")
    weights = _active(rng, dict(zip(items, (2.0, 4.0, 0.8, 0.6, 1.0, 1.0, 0.3, 0.5))), 0.5, keep=2)
    _put_parts(v, "p.reply.total", [f"p.reply.{k}" for k in items], _split(rng, received, weights))
    reasons = ("state_secret", "commercial_secret", "privacy", "security", "not_gov_info", "other_law")
    _put_parts(v, "p.reply.denied", [f"p.reply.denied.{k}" for k in reasons],
               _split(rng, v[("p.reply.denied", "value")], _active(rng, dict.fromkeys(reasons, 1.0), 0.3)))


def _pre2019_rest(rng: random.Random, s: float, v: dict) -> None:
    for block, mean in (("review", 0.4 * s), ("litigation", 0.2 * s)):
        n = _amount(rng, mean) if rng.random() < 0.4 else 0
        _put_parts(v, f"p.{block}.total", [f"p.{block}.{k}" for k in ("upheld", "corrected", "other")],
                   _split(rng, n, _active(rng, {"u": 5.0, "c": 1.0, "o": 1.0}, 0.3)))
    v[("p.complaints", "value")] = _amount(rng, 0.5 * s) if rng.random() < 0.3 else 0
    v[("p.fees", "value")] = rng.randint(1, 300) if rng.random() < 0.05 else 0
    v[("p.org.units", "value")] = 1 if rng.random() < 0.8 else 0
    v[("p.org.reading_points", "value")] = rng.randint(1, 2 + int(s))
    full = rng.randint(0, 1 + int(s / 4)) if rng.random() < 0.5 else 0
    _put_parts(v, "p.org.staff", ("p.org.staff_fulltime", "p.org.staff_parttime"), (full, rng.randint(1, 3 + int(s))))
    v[("p.org.budget", "value")] = rng.randint(1, 500) * 10 if rng.random() < 0.3 else 0
    v[("p.meeting.meetings", "value")] = rng.randint(0, 4)
    trainings = rng.randint(0, 3)
    v[("p.meeting.trainings", "value")] = trainings
    v[("p.meeting.trainees", "value")] = trainings * rng.randint(8, 40)


def values_pre2019(rng: random.Random, d: Draft, state: dict) -> None:
    s = d.body.scale
    for step in (_pre2019_proactive, _pre2019_response, _pre2019_apply, _pre2019_rest):
        step(rng, s, d.v)
    state.clear()  # nothing in the pre-2019 list rolls into the new formats


def _t2_documents(rng: random.Random, d: Draft, state: dict) -> None:
    issues_rules = d.body.level in ("province", "city")
    for key, mean in (("t2.rules", 2.0 if issues_rules else 0.0), ("t2.normative", 3.0 * d.body.scale)):
        made = _amount(rng, mean)
        if d.template == "2021":
            prev = state.setdefault("in_force", {}).get(key, _amount(rng, 8 * mean))
            repealed = rng.randint(0, min(prev, max(1, made)))
            now = prev + made - repealed
            d.v.update({(key, "issued"): made, (key, "repealed"): repealed, (key, "in_force"): now})
            state["in_force"][key] = now
        else:
            prev = state.setdefault("published_total", {}).get(key, _amount(rng, 8 * mean))
            published = made - rng.randint(0, made // 6)
            d.v.update({(key, "made"): made, (key, "published"): published,
                        (key, "total_published"): prev + published})
            state["published_total"][key] = prev + published


def _t2_decisions_2019(rng: random.Random, d: Draft, state: dict) -> None:
    items = state.setdefault("items", {})
    means = {"t2.licensing": 30, "t2.other_services": 10, "t2.penalty": 40, "t2.enforcement": 5, "t2.fees": 6}
    for key, mean in means.items():
        prev = items.get(key, _amount(rng, mean * d.body.scale ** 0.5))
        change = rng.randint(-min(prev, 3), 3) if rng.random() < 0.4 else 0
        d.v[(key, "prev_items")], d.v[(key, "change")] = prev, change
        items[key] = prev + change
        if key != "t2.fees":
            d.v[(key, "decisions")] = _amount(rng, mean * 3 * d.body.scale)
    d.v[("t2.procurement", "count")] = _amount(rng, 10 * d.body.scale)
    count = d.v[("t2.procurement", "count")]
    d.v[("t2.procurement", "amount")] = count * rng.randint(50_000, 900_000) * 100 + rng.randint(0, 99)


def _t2_decisions_2021(rng: random.Random, d: Draft, state: dict) -> None:
    for key, mean in (("t2.licensing", 90), ("t2.penalty", 120), ("t2.enforcement", 15)):
        d.v[(key, "decisions")] = _amount(rng, mean * d.body.scale) if rng.random() < 0.85 else 0
    d.v[("t2.fees", "amount")] = _amount(rng, 30000 * d.body.scale) if rng.random() < 0.6 else 0


def _t3_values(rng: random.Random, d: Draft, state: dict) -> None:
    s = d.body.scale
    new_total = _amount(rng, 8 * s) if rng.random() < 0.85 else 0
    new = dict(zip(T3_APPLICANTS, _split(rng, new_total, _active(rng, APPLICANT_WEIGHTS, 0.35))))
    carried = state.get("carry") or {c: (rng.randint(0, 2) if rng.random() < 0.1 else 0) for c in T3_APPLICANTS}
    results = t3_results(d.template)
    weights = _active(rng, {r[0]: r[3] for r in results}, 0.3, keep=2)
    carry = {}
    for col in T3_APPLICANTS:
        avail = new[col] + carried[col]
        carry[col] = rng.randint(0, min(avail, 1 + avail // 8)) if avail and rng.random() < 0.25 else 0
        parts = _split(rng, avail - carry[col], weights)
        for (key, *_), n in zip(results, parts):
            d.v[(key, col)] = n
        d.v[("t3.new", col)], d.v[("t3.carried_over", col)] = new[col], carried[col]
        d.v[("t3.total", col)], d.v[("t3.carry_forward", col)] = avail - carry[col], carry[col]
    for key in [r[0] for r in results] + ["t3.new", "t3.carried_over", "t3.total", "t3.carry_forward"]:
        d.v[(key, "total")] = sum(d.v[(key, c)] for c in T3_APPLICANTS)
    state["carry"] = carry


def _t4_values(rng: random.Random, d: Draft) -> None:
    for block, mean in zip(T4_BLOCKS, (0.5, 0.3, 0.15)):
        n = _amount(rng, mean * d.body.scale) if rng.random() < 0.35 else 0
        parts = _split(rng, n, _active(rng, {"u": 6.0, "c": 1.0, "o": 1.0, "p": 1.0}, 0.3))
        for col, x in zip(T4_COLUMNS, parts + [n]):
            d.v[(block, col)] = x


def values_new(rng: random.Random, d: Draft, state: dict) -> None:
    _t2_documents(rng, d, state)
    (_t2_decisions_2021 if d.template == "2021" else _t2_decisions_2019)(rng, d, state)
    _t3_values(rng, d, state)
    _t4_values(rng, d)


# ----------------------------------------------------------------------------- prose banks
# Written for this generator; {b} body, {s} self-reference, {y} year, {ny} next year.

INTRO = (
    "依据《中华人民共和国政府信息公开条例》（以下简称《条例》）和上级主管部门的工作部署，{b}编写了{y}年度政府信息公开工作报告。",
    "按照《中华人民共和国政府信息公开条例》的规定，现将{b}{y}年政府信息公开工作情况报告如下。",
    "本报告由{b}根据《中华人民共和国政府信息公开条例》要求编制，如实反映{y}年度政府信息公开工作的开展情况。",
)
PERIOD = (
    "报告所列数据的统计期限为{y}年1月1日至{y}年12月31日。",
    "文中数据统计时段自{y}年1月1日起至{y}年12月31日止。",
)
CONTACT = (
    "本报告电子版可在{b}门户网站政府信息公开专栏下载查阅；对报告内容如有疑问，请与{b}办公室联系（电话：{tel}）。",
    "公众可登录{b}门户网站查阅本报告电子版，如有疑问可致电{b}办公室（{tel}）咨询。",
)
OPENING = (
    "{y}年，{s}坚持以公开促落实、以公开促规范，围绕中心工作持续推进政务公开，各项任务完成情况良好。",
    "{y}年，{s}把政府信息公开作为提升治理能力的重要抓手，健全制度、压实责任，公开工作规范化水平稳步提高。",
    "一年来，{s}认真落实上级关于政务公开的部署要求，聚焦群众关切，不断拓展公开内容、优化公开方式。",
    "{y}年，{s}围绕年度政务公开工作要点，细化任务分工，推动政府信息公开工作取得新进展。",
)
LEADERSHIP = (
    "调整充实了政府信息公开工作领导小组，由主要负责同志任组长，办公室承担日常工作，形成了分工明确、逐级负责的工作格局。",
    "明确一名分管领导牵头负责，各内设机构确定信息员，建立了信息采集、审核、发布的闭环流程。",
    "将政务公开纳入年度目标考核，定期研究部署，确保各项公开任务有人抓、有人管。",
)
MANAGEMENT = (
    "严格执行信息发布前保密审查和“三审三校”制度，全年未发生泄密和不当公开事件。",
    "对以往发布的政策文件开展集中清理，及时标注失效信息，保持公开目录准确完整。",
    "完善依申请公开登记、受理、办理、答复各环节台账，做到全程留痕、可追溯。",
)
PLATFORM = (
    "全年门户网站发布各类信息{x}条，开设专题专栏{k}个，政务新媒体账号保持正常更新。",
    "持续优化门户网站政府信息公开专栏，全年更新栏目内容{x}条，清理整合低效栏目{k}个。",
    "依托门户网站和{k}个政务新媒体账号发布信息{x}条，线上线下公开渠道进一步畅通。",
)
SUPERVISION = (
    "组织开展政务公开业务培训{k}次，对照考核指标开展自查，发现问题及时整改。",
    "邀请社会监督员参与评议，开展季度检查{k}次，检查结果纳入年度考核。",
    "将政务公开工作情况纳入督查范围，全年通报检查情况{k}次。",
)
PROBLEMS = (
    "政策解读的形式较为单一，图解、视频等群众易于接受的解读方式运用不够",
    "部分内设机构对政府信息公开工作重视程度不一，信息报送不够及时",
    "依申请公开答复的规范性仍需加强，答复文书质量有待提高",
    "政务新媒体内容更新频率不高，互动回应功能发挥不充分",
    "工作人员业务能力参差不齐，对《条例》的理解把握不够到位",
    "重点领域信息公开的深度和广度还需进一步拓展",
)
MEASURES = (
    "将进一步完善信息发布审核机制，确保公开内容准确、及时、完整",
    "力争在{ny}年进一步提高主动公开信息的数量和质量",
    "将加大政策解读力度，力争在{ny}年将图解、音视频等多样化解读比例提高到{pct}%以上",
    "将加强对工作人员的业务培训，{ny}年计划举办专题培训不少于{k}次",
    "将持续规范依申请公开办理流程，力争在{ny}年将答复文书规范率提高到100%",
    "将扩大政务新媒体覆盖面，进一步提高信息发布的时效性",
    "将围绕重点领域增加公开事项，力争在{ny}年扩大基层政务公开标准目录覆盖范围",
)
ORDINALS = ("一是", "二是", "三是", "四是")
NO_APPLICATION = ("本年度{s}未收到政府信息公开申请，无依申请公开办理情况。",
                  "全年无依申请公开政府信息情况。")
NO_DISPUTE = ("全年未发生因政府信息公开引起的行政复议和行政诉讼案件。",
              "本年度无因政府信息公开申请提起行政复议、行政诉讼的情况。")
UPHELD = ("均获维持", "结果均获维持")


# ----------------------------------------------------------------------------- rendering

def fmt(key: str, col: str, n: int) -> str:
    """The printed form of a stored value (money is stored in hundredths)."""
    if (key, col) not in MONEY:
        return str(n)
    text = "0" if n == 0 else f"{n // 100}.{n % 100:02d}"
    return text + "元" if key == "t2.procurement" else text


def ref_value(v: dict, ref: str) -> int:
    """The value of a metric reference ``key@col`` or ``a+b`` (catalogue-keys.md)."""
    return sum(v[tuple(part.split("@"))] for part in ref.split("+"))


def gold_value(key: str, col: str, n: int) -> int | float:
    return n / 100 if (key, col) in MONEY and n else n


@dataclass
class Doc:
    """Blocks of one report: ("p", text) or ("table", rows of (text, rowspan, colspan))."""

    d: Draft
    rng: random.Random
    blocks: list = field(default_factory=list)
    cells: list = field(default_factory=list)
    quotes: dict = field(default_factory=dict)  # "key@col" -> (pattern, value)
    statements: dict = field(default_factory=dict)  # statement kind -> phrase
    cell_json: list = field(default_factory=list)  # each gold cell pre-encoded (speed)

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def fig(self, ref: str, pattern: str) -> str:
        """``pattern`` with the value of cell(s) ``ref`` (``key@col`` or ``a+b``)."""
        n = ref_value(self.d.v, ref)
        key, col = ref.split("+")[0].split("@")
        self.quotes.setdefault(ref, (pattern, n, key, col))
        return pattern.format(fmt(key, col, n))

    def say(self, bank: Sequence[str], **kw) -> str:
        d = self.d
        return self.rng.choice(bank).format(b=d.body.name, s=d.body.short, y=d.year, ny=d.year + 1, **kw)

    def row(self, key: str, label: str, cols: Sequence[str], lead: list) -> list:
        """Value cells of one table row (recorded as gold cells), after its ``lead`` cells."""
        out, v, append = list(lead), self.d.v, self.cells.append
        prefix = f'{{"key": "{key}", "column": "'
        tail = f'", "label": {_ENCODER.encode(label)}, "raw": "'
        money, encoded = key in MONEY_KEYS, self.cell_json.append
        for col in cols:  # the hot loop of the generator: money is the rare case
            n = v[(key, col)]
            if money and (key, col) in MONEY:
                raw, value = fmt(key, col, n), gold_value(key, col, n)
            else:
                raw, value = str(n), n
            state = "number" if n else "zero"
            append({"key": key, "column": col, "label": label, "raw": raw, "value": value, "state": state})
            encoded(f'{prefix}{col}{tail}{raw}", "value": {value!r}, "state": "{state}"}}')
            out.append((raw, 1, 1))
        return out


def _c(*texts: str) -> list:
    return [(t, 1, 1) for t in texts]


T2_LAYOUT = {
    "2021": (
        ("第二十条第（一）项", ("本年制发件数", "本年废止件数", "现行有效件数"), ("issued", "repealed", "in_force"),
         (("t2.rules", "规章"), ("t2.normative", "行政规范性文件"))),
        ("第二十条第（五）项", ("本年处理决定数量",), ("decisions",), (("t2.licensing", "行政许可"),)),
        ("第二十条第（六）项", ("本年处理决定数量",), ("decisions",),
         (("t2.penalty", "行政处罚"), ("t2.enforcement", "行政强制"))),
        ("第二十条第（八）项", ("本年收费金额（单位：万元）",), ("amount",), (("t2.fees", "行政事业性收费"),)),
    ),
    "2019trial": (
        ("第二十条第（一）项", ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
         ("made", "published", "total_published"), (("t2.rules", "规章"), ("t2.normative", "规范性文件"))),
        ("第二十条第（五）项", ("上一年项目数量", "本年增/减", "处理决定数量"), ("prev_items", "change", "decisions"),
         (("t2.licensing", "行政许可"), ("t2.other_services", "其他对外管理服务事项"))),
        ("第二十条第（六）项", ("上一年项目数量", "本年增/减", "处理决定数量"), ("prev_items", "change", "decisions"),
         (("t2.penalty", "行政处罚"), ("t2.enforcement", "行政强制"))),
        ("第二十条第（八）项", ("上一年项目数量", "本年增/减"), ("prev_items", "change"),
         (("t2.fees", "行政事业性收费"),)),
        ("第二十条第（九）项", ("采购项目数量", "采购总金额"), ("count", "amount"),
         (("t2.procurement", "政府集中采购"),)),
    ),
}


def table2(doc: Doc) -> None:
    for heading, headers, cols, rows in T2_LAYOUT[doc.d.template]:
        doc.p(heading)
        table = [_c("信息内容", *headers)]
        table += [doc.row(key, label, cols, _c(label)) for key, label in rows]
        doc.blocks.append(("table", table))


def table3(doc: Doc) -> None:
    table = [[(T3_HEADER, 3, 3), ("申请人情况", 1, 7)],
             [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
             _c("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")]
    for key, label in (("t3.new", "一、本年新收政府信息公开申请数量"), ("t3.carried_over", "二、上年结转政府信息公开申请数量")):
        table.append(doc.row(key, label, T3_COLUMNS, [(label, 1, 3)]))
    results = t3_results(doc.d.template)
    for i, (key, group, label, _) in enumerate(results):
        lead = [("三、本年度办理结果", len(results) + 1, 1)] if i == 0 else []
        if group and (i == 0 or results[i - 1][1] != group):
            lead.append((group, sum(1 for r in results if r[1] == group), 1))
        lead.append((label, 1, 1 if group else 2))
        table.append(doc.row(key, label, T3_COLUMNS, lead))
    table.append(doc.row("t3.total", "（七）总计", T3_COLUMNS, [("（七）总计", 1, 2)]))
    table.append(doc.row("t3.carry_forward", "四、结转下年度继续办理", T3_COLUMNS, [("四、结转下年度继续办理", 1, 3)]))
    doc.blocks.append(("table", table))


def table4(doc: Doc) -> None:
    heads = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    table = [[("行政复议", 1, 5), ("行政诉讼", 1, 10)],
             [(h, 2, 1) for h in heads] + [("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
             _c(*heads, *heads)]
    data: list = []
    labels = {"t4.review": "行政复议", "t4.litigation_direct": "未经复议直接起诉",
              "t4.litigation_after_review": "复议后起诉"}
    for block in T4_BLOCKS:
        data = doc.row(block, labels[block], T4_COLUMNS, data)
    table.append(data)
    doc.blocks.append(("table", table))


def table_pre2019(doc: Doc) -> None:
    table = [_c("统计指标", "单位", "统计数")]
    for key, label, unit in PRE2019_ROWS:
        if unit is None:  # a heading row: no cell (the gold convention of corpus/gold/tables)
            table.append(_c(label, "/", "/"))
        else:
            table.append(doc.row(key, label, ("value",), _c(label, unit)))
    doc.p("附：政府信息公开情况统计表")
    doc.blocks.append(("table", table))


# ----------------------------------------------------------------------------- prose

NEW_SECTIONS = ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项")
PRE2019_SECTIONS = ("一、概述", "二、主动公开政府信息情况", "三、依申请公开政府信息情况",
                    "四、政府信息公开收费及减免情况", "五、因政府信息公开申请行政复议、提起行政诉讼的情况",
                    "六、政府信息公开工作存在的主要问题及改进措施", "七、其他需要报告的事项")


def intro(doc: Doc, sections: Sequence[str]) -> None:
    d = doc.d
    doc.p(f"{d.body.name}{d.year}年政府信息公开工作年度报告")
    parts = "、".join(s.split("、", 1)[1] for s in sections)
    tel = f"0{doc.rng.randint(710, 799)}-{doc.rng.randint(2000000, 8999999)}"
    doc.p(doc.say(INTRO) + f"全文包括{parts}等部分。" + doc.say(PERIOD) + doc.say(CONTACT, tel=tel))


def _join(parts: list[str]) -> str:
    return "，".join(p for p in parts if p) + "。"


def dispute_sentence(doc: Doc, review: str, litigation: str, upheld: bool) -> str:
    """复议/诉讼 counts, with 均获维持 when every case was upheld (or when flipped)."""
    d, rng = doc.d, doc.rng
    r, lit = ref_value(d.v, review), ref_value(d.v, litigation)
    if r + lit == 0:
        doc.statements["no_dispute"] = text = doc.say(NO_DISPUTE)
        return text
    figures = [doc.fig(ref, pattern) for ref, pattern, n in
               ((review, "被申请行政复议{}件", r), (litigation, "被提起行政诉讼{}件", lit)) if n]
    text = "因政府信息公开" + "、".join(figures)
    if upheld or d.flip == "all_upheld":
        phrase = rng.choice(UPHELD)
        doc.statements["all_upheld"] = text + "，" + phrase
        text += "，" + phrase
    return text + "。"


def _t4_all_upheld(v: dict) -> bool:
    return all(v[(b, c)] == 0 for b in T4_BLOCKS for c in ("corrected", "other", "pending"))


def overview_new(doc: Doc) -> None:
    d, rng = doc.d, doc.rng
    doc.p(NEW_SECTIONS[0])
    doc.p(doc.say(OPENING) + doc.say(LEADERSHIP))
    doc.p("（一）主动公开。" + proactive_new(doc))
    doc.p("（二）依申请公开。" + applications_new(doc)
          + dispute_sentence(doc, "t4.review@total", "t4.litigation_direct@total+t4.litigation_after_review@total",
                             _t4_all_upheld(d.v)))
    doc.p("（三）政府信息管理。" + doc.say(MANAGEMENT))
    doc.p("（四）平台建设。" + doc.say(PLATFORM, x=rng.randint(50, 3000), k=rng.randint(1, 12)))
    doc.p("（五）监督保障。" + doc.say(SUPERVISION, k=rng.randint(1, 6)))


def proactive_new(doc: Doc) -> str:
    d, rng = doc.d, doc.rng
    parts = [f"全年主动公开政府信息{rng.randint(40, 400) * max(1, int(d.body.scale))}条"]
    col = "issued" if d.template == "2021" else "made"
    if d.v[("t2.normative", col)]:
        parts.append(doc.fig(f"t2.normative@{col}", rng.choice(("新制发规范性文件{}件", "制定出台规范性文件{}件"))))
    for key, word in (("t2.licensing", "行政许可"), ("t2.penalty", "行政处罚")):
        if d.v[(key, "decisions")] and rng.random() < 0.6:
            parts.append(doc.fig(f"{key}@decisions", "公开" + word + "决定{}件"))
    return _join(parts) + rng.choice(("重点做好财政预决算、重大项目和民生领域信息发布。",
                                      "及时发布与群众切身利益相关的政策文件和办事指南。", ""))


def applications_new(doc: Doc) -> str:
    d, rng = doc.d, doc.rng
    if d.flip == "no_application" or d.v[("t3.new", "total")] + d.v[("t3.carried_over", "total")] == 0:
        doc.statements["no_application"] = text = doc.say(NO_APPLICATION)
        return text
    parts = [doc.fig("t3.new@total", rng.choice(("本年度共收到政府信息公开申请{}件", "全年新收政府信息公开申请{}件")))]
    if d.v[("t3.carried_over", "total")]:
        parts.append(doc.fig("t3.carried_over@total", "上年结转{}件"))
    parts.append(doc.fig("t3.total@total", rng.choice(("已办结{}件", "办理完毕{}件"))))
    if d.v[("t3.granted", "total")] and rng.random() < 0.7:
        parts.append(doc.fig("t3.granted@total", "其中予以公开{}件"))
    text = _join(parts)
    if d.v[("t3.carry_forward", "total")]:  # its own sentence: not part of the 其中 list
        text += doc.fig("t3.carry_forward@total", "另有{}件结转下年度继续办理") + "。"
    return text


def problems(doc: Doc, heading: str, extra: str = "") -> None:
    rng = doc.rng
    doc.p(heading)
    probs = rng.sample(PROBLEMS, 2)
    doc.p("（一）存在的主要问题。" + extra + "；".join(probs) + "。")
    measures = rng.sample(MEASURES, 3)
    text = "；".join(o + doc.say((m,), pct=rng.choice((30, 40, 50)), k=rng.randint(2, 6))
                    for o, m in zip(ORDINALS, measures))
    doc.p("（二）改进措施。下一步，" + doc.d.body.short + "针对上述问题，" + text + "。")


def render_new(doc: Doc) -> None:
    intro(doc, NEW_SECTIONS)
    overview_new(doc)
    doc.p(NEW_SECTIONS[1])
    table2(doc)
    doc.p(NEW_SECTIONS[2])
    table3(doc)
    doc.p(NEW_SECTIONS[3])
    table4(doc)
    problems(doc, NEW_SECTIONS[4])
    doc.p(NEW_SECTIONS[5])
    doc.p(doc.rng.choice(("本年度未收取政府信息公开信息处理费。", "本年度无其他需要报告的事项。"))
          if doc.d.template == "2021" else "无其他需要报告的事项。")


def _pre2019_all_upheld(v: dict) -> bool:
    return all(v[(f"p.{b}.{c}", "value")] == 0 for b in ("review", "litigation") for c in ("corrected", "other"))


def _staff_sentence(doc: Doc) -> str:
    d = doc.d
    text = doc.fig("p.org.staff@value", "现有从事政府信息公开工作人员{}人")
    if d.flip == "all_parttime" or d.v[("p.org.staff_fulltime", "value")] == 0:
        doc.statements["all_parttime"] = text = text + "，均为兼职"
        return text + doc.rng.choice(("，工作力量相对薄弱；", "，专业力量不足；"))
    return text + "，" + doc.fig("p.org.staff_fulltime@value", "其中专职{}人") + "；"


def proactive_pre2019(doc: Doc) -> str:
    """Total first, then channels in a sentence of their own: channels overlap (one item
    can go out on several), so they are not written as a 其中 breakdown of the total."""
    v, rng = doc.d.v, doc.rng
    total = doc.fig("p.proactive.total@value", rng.choice(("全年主动公开政府信息{}条", "本年度共主动公开各类政府信息{}条")))
    parts = [doc.fig("p.channel.website@value", rng.choice(("政府网站发布{}条", "门户网站公开{}条")))]
    optional = (("p.channel.wechat", "政务微信推送{}条"), ("p.proactive.normative_issued", "制发规范性文件{}件"),
                ("p.response.interpretation", "发布政策解读稿件{}篇"), ("p.response.total", "回应社会关注热点{}次"))
    for key, pattern in optional:
        if v[(key, "value")] and rng.random() < 0.7:
            parts.append(doc.fig(key + "@value", pattern))
    return total + "（同一信息通过多个渠道发布的只计1条）。从发布渠道看，" + _join(parts)


def applications_pre2019(doc: Doc) -> str:
    d, v, rng = doc.d, doc.d.v, doc.rng
    if d.flip == "no_application" or v[("p.apply.received", "value")] == 0:
        doc.statements["no_application"] = text = doc.say(NO_APPLICATION)
        return text
    parts = [doc.fig("p.apply.received@value", rng.choice(("共收到政府信息公开申请{}件", "全年受理政府信息公开申请{}件")))]
    if v[("p.apply.online", "value")]:
        parts.append(doc.fig("p.apply.online@value", "其中网络申请{}件"))
    handled = [doc.fig("p.apply.extended@value", "延期办结{}件") if v[("p.apply.extended", "value")]
               else "均在规定期限内办结"]
    if v[("p.reply.granted", "value")]:
        handled.append(doc.fig("p.reply.granted@value", "同意公开{}件"))
    return _join(parts) + "从办理情况看，" + _join(handled)


def render_pre2019(doc: Doc) -> None:
    d, rng = doc.d, doc.rng
    intro(doc, PRE2019_SECTIONS)
    doc.p(PRE2019_SECTIONS[0])
    doc.p(doc.say(OPENING) + doc.say(LEADERSHIP) + doc.say(MANAGEMENT))
    doc.p(PRE2019_SECTIONS[1])
    doc.p(proactive_pre2019(doc))
    doc.p(PRE2019_SECTIONS[2])
    doc.p(applications_pre2019(doc))
    doc.p(PRE2019_SECTIONS[3])
    doc.p("本年度未收取依申请公开信息费用，无减免情况。" if d.v[("p.fees", "value")] == 0
          else doc.fig("p.fees@value", "本年度收取依申请公开信息检索、复制等费用{}万元") + "。")
    doc.p(PRE2019_SECTIONS[4])
    doc.p(dispute_sentence(doc, "p.review.total@value", "p.litigation.total@value", _pre2019_all_upheld(d.v)))
    problems(doc, PRE2019_SECTIONS[5], extra=_staff_sentence(doc))
    doc.p(PRE2019_SECTIONS[6])
    if d.v[("p.meeting.trainings", "value")]:
        doc.p(_join([doc.fig("p.meeting.trainings@value", "全年举办政府信息公开业务培训{}期"),
                     doc.fig("p.meeting.trainees@value", "培训{}人次")]))
    else:
        doc.p(rng.choice(("无其他需要报告的事项。", "本年度无需要特别说明的其他事项。")))
    table_pre2019(doc)


# ----------------------------------------------------------------------------- seeding

PRE2019_SUMS = {
    "p.apply.received": ("p.apply.in_person", "p.apply.fax", "p.apply.online", "p.apply.letter"),
    "p.apply.completed": ("p.apply.on_time", "p.apply.extended"),
    "p.reply.total": tuple(f"p.reply.{k}" for k in ("already_public", "granted", "partial", "denied",
                                                    "not_this_body", "nonexistent", "redirect", "other_channel")),
    "p.reply.denied": tuple(f"p.reply.denied.{k}" for k in ("state_secret", "commercial_secret", "privacy",
                                                           "security", "not_gov_info", "other_law")),
    "p.review.total": ("p.review.upheld", "p.review.corrected", "p.review.other"),
    "p.litigation.total": ("p.litigation.upheld", "p.litigation.corrected", "p.litigation.other"),
    "p.org.staff": ("p.org.staff_fulltime", "p.org.staff_parttime"),
}
PRE2019_CHANNELS = {
    "p.proactive.total": ("p.channel.gazette", "p.channel.website", "p.channel.weibo", "p.channel.wechat",
                          "p.channel.other"),
    "p.response.total": ("p.response.press", "p.response.interview", "p.response.interpretation",
                         "p.response.weibo_wechat", "p.response.other"),
}
KINDS = {"pre2019": ("table_number", "prose_figure", "statement_flip", "channel_over_total", "placeholder"),
         "2019trial": ("table_number", "prose_figure", "statement_flip", "placeholder"),
         "2021": ("table_number", "prose_figure", "statement_flip", "placeholder")}


def identity_cells(d: Draft) -> list[tuple[str, str]]:
    """Cells that take part in a within-table identity and in no cross-year check."""
    if d.template == "pre2019":
        keys = [k for parent, kids in PRE2019_SUMS.items() for k in (parent, *kids)]
        return [(k, "value") for k in keys]
    rows = [r[0] for r in t3_results(d.template)] + ["t3.new", "t3.total"]
    return [(k, c) for k in rows for c in T3_COLUMNS] + [(b, c) for b in T4_BLOCKS for c in T4_COLUMNS]


def _seed(d: Draft, kind: str, cells: list[str], what: str) -> None:
    d.seeded = {"kind": kind, "cells": cells, "quote": None, "what": what}


def seed_table_number(rng: random.Random, d: Draft) -> None:
    key, col = rng.choice(identity_cells(d))
    old = d.v[(key, col)]
    delta = rng.choice((-1, 1)) * rng.randint(1, 3 + old // 4)
    new = old + delta if old + delta >= 0 else old - delta
    d.v[(key, col)] = new
    _seed(d, "table_number", [f"{key}@{col}"],
          f"{key}@{col} printed {new} instead of {old}; its sum identity breaks")


def seed_placeholder(rng: random.Random, d: Draft) -> None:
    cells = identity_cells(d)
    if d.template == "pre2019":
        cells += [(k, "value") for kids in PRE2019_CHANNELS.values() for k in kids]
    key, col = rng.choice([c for c in cells if d.v[c] < 500])
    old, d.v[(key, col)] = d.v[(key, col)], 1000
    _seed(d, "placeholder", [f"{key}@{col}"], f"{key}@{col} printed the placeholder 1000 instead of {old}")


def seed_channel(rng: random.Random, d: Draft) -> None:
    total = rng.choice(list(PRE2019_CHANNELS))
    chan = rng.choice(PRE2019_CHANNELS[total])
    t = d.v[(total, "value")]
    d.v[(chan, "value")] = t + rng.randint(1, max(3, t))
    _seed(d, "channel_over_total", [f"{chan}@value", f"{total}@value"],
          f"{chan} ({d.v[(chan, 'value')]}) exceeds the de-duplicated total {total} ({t})")


def _bump(d: Draft, cells: Sequence[tuple[str, str]]) -> None:
    for cell in cells:
        d.v[cell] += 1


def _flip_parttime(rng: random.Random, d: Draft) -> tuple[str, str]:
    cell = ("p.org.staff_fulltime", "value")
    if d.v[cell] == 0:
        _bump(d, (cell, ("p.org.staff", "value")))
    return "p.org.staff_fulltime@value", f"prose says all staff are part-time while 专职 = {d.v[cell]}"


def _flip_upheld(rng: random.Random, d: Draft) -> tuple[str, str]:
    if d.template == "pre2019":
        col = rng.choice(("corrected", "other"))
        cell, total = ("p.review." + col, "value"), ("p.review.total", "value")
    else:
        col = rng.choice(("corrected", "other", "pending"))
        cell, total = ("t4.review", col), ("t4.review", "total")
    _bump(d, (cell, total))
    ref = "@".join(cell)
    return ref, f"prose says every case was upheld while {ref} = {d.v[cell]}"


def _flip_no_application(rng: random.Random, d: Draft) -> tuple[str, str]:
    pre = d.template == "pre2019"
    cell = ("p.apply.received", "value") if pre else ("t3.new", "total")
    if d.v[cell] == 0:  # add one granted application, keeping every identity
        keys = ("p.apply.received", "p.apply.online", "p.apply.completed", "p.apply.on_time",
                "p.reply.total", "p.reply.granted")
        _bump(d, [(k, "value") for k in keys] if pre else
              [(k, c) for k in ("t3.new", "t3.granted", "t3.total") for c in ("natural", "total")])
    ref = "@".join(cell)
    return ref, f"prose says no applications were received while {ref} = {d.v[cell]}"


FLIPS = {"all_parttime": _flip_parttime, "all_upheld": _flip_upheld, "no_application": _flip_no_application}


def seed_flip(rng: random.Random, d: Draft) -> None:
    """Force the table so a qualitative statement is false, and make the prose say it."""
    options = ("all_upheld", "no_application") + (("all_parttime",) if d.template == "pre2019" else ())
    d.flip = rng.choice(options)
    ref, what = FLIPS[d.flip](rng, d)
    _seed(d, "statement_flip", [ref], what)
    d.seeded["statement"] = d.flip


def seed_before_render(rng: random.Random, d: Draft, rate: float) -> None:
    if rng.random() >= rate:
        return
    kind = rng.choice(KINDS[d.template])
    if kind == "prose_figure":
        _seed(d, kind, [], "")
    else:
        {"table_number": seed_table_number, "placeholder": seed_placeholder,
         "channel_over_total": seed_channel, "statement_flip": seed_flip}[kind](rng, d)


def _wrong(rng: random.Random, n: int, money: bool, avoid: set) -> int:
    step = 100 if money else 1
    for _ in range(20):
        w = n + rng.choice((-1, 1)) * step * rng.randint(1, 2 + n // (4 * step))
        if w >= 0 and w != n and w not in avoid:
            return w
    return n + step * rng.randint(1000, 2000)


def seed_prose(doc: Doc) -> bool:
    """Make one prose figure disagree with its cell; False when the prose states none."""
    d, rng = doc.d, doc.rng
    texts = [b[1] for b in doc.blocks if b[0] == "p"]
    usable = [(ref, q) for ref, q in doc.quotes.items()
              if sum(t.count(q[0].format(fmt(q[2], q[3], q[1]))) for t in texts) == 1]
    if not usable:
        return False
    ref, (pattern, n, key, col) = rng.choice(usable)
    either = d.v.get(("t3.new", "total"), 0) + d.v.get(("t3.carried_over", "total"), 0)  # 受理N件 readings
    wrong = _wrong(rng, n, (key, col) in MONEY, {n, either})
    old, new = pattern.format(fmt(key, col, n)), pattern.format(fmt(key, col, wrong))
    doc.blocks = [(b[0], b[1].replace(old, new)) if b[0] == "p" else b for b in doc.blocks]
    _seed(d, "prose_figure", ref.split("+"),
          f"prose states {fmt(key, col, wrong)} for {ref}, the table has {fmt(key, col, n)}")
    d.seeded["quote"] = new
    return True


# ----------------------------------------------------------------------------- output

def build(rng: random.Random, body: Body, year: int, state: dict, name: str, rate: float) -> tuple[Doc, dict]:
    """One report: values, seeding, prose and tables; returns its blocks and gold record."""
    d = Draft(body, year, template_of(year), name)
    (values_pre2019 if d.template == "pre2019" else values_new)(rng, d, state)
    seed_before_render(rng, d, rate)
    doc = _render(rng, d)
    if d.seeded and d.seeded["kind"] == "prose_figure" and not seed_prose(doc):
        seed_table_number(rng, d)
        doc = _render(rng, d)
    if d.seeded and d.seeded["kind"] == "statement_flip":
        d.seeded["quote"] = doc.statements[d.seeded.pop("statement")]
    gold = {"file": name + ".txt", "generator": GENERATOR_VERSION, "template": d.template, "year": year,
            "body": body.name, "region": body.region, "level": body.level,
            "seeded": d.seeded, "cells": doc.cells}
    return doc, gold


def _render(rng: random.Random, d: Draft) -> Doc:
    doc = Doc(d, rng)
    (render_pre2019 if d.template == "pre2019" else render_new)(doc)
    return doc


def to_txt(doc: Doc) -> str:
    lines = [b[1] if b[0] == "p" else "\n".join(" | ".join(c[0] for c in row) for row in b[1])
             for b in doc.blocks]
    return "\n".join(lines) + "\n"


def _html_cell(cell: tuple) -> str:
    text, rs, cs = cell
    attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
    return f"<td{attrs}>{html.escape(text)}</td>"


def to_html(doc: Doc) -> str:
    title = html.escape(doc.blocks[0][1])
    body = [f"<h1>{title}</h1>"]
    for kind, content in doc.blocks[1:]:
        if kind == "p":
            body.append(f"<p>{html.escape(content)}</p>")
        else:
            rows = "".join("<tr>" + "".join(_html_cell(c) for c in row) + "</tr>" for row in content)
            body.append(f'<table border="1">{rows}</table>')
    return ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>'
            f"{title}</title></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def plan(n: int, rng: random.Random, years: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """(body index, year) for each report: bodies report runs of consecutive years."""
    if years:
        return [(i // len(years), years[i % len(years)]) for i in range(n)]
    out: list[tuple[int, int]] = []
    while len(out) < n:
        run = min(n - len(out), rng.randint(1, 6))
        start = rng.randint(YEARS.start, YEARS.stop - run)
        b = out[-1][0] + 1 if out else 0
        out += [(b, start + k) for k in range(run)]
    return out


def generate(n: int, seed: int, out_dir: Path, discrepancy_rate: float = 0.5,
             formats: Sequence[str] = ("txt",), *, years: Sequence[int] | None = None) -> list[dict]:
    """Write ``n`` synthetic reports (+ ``.gold.json``) into ``out_dir``; return the gold records.

    ``years``: every body reports exactly these years (default: random runs of 1–6
    consecutive years in 2014–2025).  Same arguments, same bytes.
    """
    bad = set(formats) - {"txt", "html"}
    if bad or not 0.0 <= discrepancy_rate <= 1.0:
        raise ValueError(f"formats must be among txt, html (got {sorted(bad)}); "
                         f"discrepancy_rate must be in [0, 1] (got {discrepancy_rate})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    golds, current = [], (-1, None, None, None)
    for b, year in plan(n, random.Random(seed), years):
        if b != current[0]:
            rng = random.Random(f"{seed}:{b}")
            current = (b, rng, make_body(rng), {})
        _, rng, body, state = current
        doc, gold = build(rng, body, year, state, f"{year}_synth{seed}_b{b:05d}", discrepancy_rate)
        _write(out_dir, doc, gold, formats)
        golds.append(gold)
    return golds


def _write(out_dir: Path, doc: Doc, gold: dict, formats: Sequence[str]) -> None:
    stem = out_dir / gold["file"][:-4]
    if "txt" in formats:
        stem.with_suffix(".txt").write_text(to_txt(doc), encoding="utf-8")
    if "html" in formats:
        stem.with_suffix(".html").write_text(to_html(doc), encoding="utf-8")
    stem.with_suffix(".gold.json").write_text(gold_json(gold, doc.cell_json), encoding="utf-8")


def gold_json(gold: dict, cell_json: Sequence[str] | None = None) -> str:
    """The gold record as JSON, one cell per line; ``cell_json``: the cells already encoded."""
    enc = _ENCODER.encode
    lines = [f" {enc(k)}: {enc(v)}" for k, v in gold.items() if k != "cells"]
    cells = ",\n  ".join(cell_json if cell_json is not None else map(enc, gold["cells"]))
    return "{\n" + ",\n".join(lines) + ',\n "cells": [\n  ' + cells + "\n ]\n}\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gongkai.synth", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100, help="number of reports")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True, help="output folder (created)")
    ap.add_argument("--rate", type=float, default=0.5, help="share of reports with one seeded discrepancy")
    ap.add_argument("--formats", default="txt", help="comma list of txt, html")
    ap.add_argument("--years", default=None, help="comma list: every body reports these years")
    args = ap.parse_args(argv)
    years = [int(y) for y in args.years.split(",")] if args.years else None
    t0, c0 = time.perf_counter(), time.process_time()
    golds = generate(args.n, args.seed, args.out, args.rate, tuple(args.formats.split(",")), years=years)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    seeded = sum(1 for g in golds if g["seeded"])
    print(f"{len(golds)} reports ({seeded} seeded) in {args.out}: {dt:.2f}s wall, {cpu:.2f}s cpu, "
          f"{len(golds) / max(dt, 1e-9):.0f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
