"""Synthetic table values: every table built to satisfy the DOMAIN.md identities, with
carry-overs and 现行有效 counts rolling from one year to the next of the same body."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Sequence

from gongkai.synth.bodies import Body

YEARS = range(2014, 2026)
T3_APPLICANTS = ("natural", "commercial", "research", "nonprofit", "legal", "other_org")
T3_COLUMNS = T3_APPLICANTS + ("total",)
T4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
T4_BLOCKS = ("t4.review", "t4.litigation_direct", "t4.litigation_after_review")
# (key, column) pairs stored in hundredths (printed with two decimals)
MONEY = {("p.fees", "value"), ("p.org.budget", "value"), ("t2.fees", "amount"),
         ("t2.procurement", "amount")}
MONEY_KEYS = {k for k, _ in MONEY}


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
