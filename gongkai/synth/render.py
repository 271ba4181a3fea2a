"""Synthetic report text: tables as printed and prose composed from the phrase banks of
config/synth/phrases.yaml, figures rendered from the final table."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Sequence

from gongkai.synth.phrases import bank, compose, in_voice, topics_for
from gongkai.synth.values import (MONEY, MONEY_KEYS, T3_COLUMNS, T3_HEADER, T4_BLOCKS, T4_COLUMNS,
                                  PRE2019_ROWS, Draft, fmt, gold_value, ref_value, t3_results)

_ENCODER = json.JSONEncoder(ensure_ascii=False)


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
    filler: random.Random | None = None  # draws of the figure-free prose (see fillers)

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def fig(self, ref: str, pattern: str) -> str:
        """``pattern`` with the value of cell(s) ``ref`` (``key@col`` or ``a+b``)."""
        n = ref_value(self.d.v, ref)
        key, col = ref.split("+")[0].split("@")
        self.quotes.setdefault(ref, (pattern, n, key, col))
        return pattern.format(fmt(key, col, n))

    def say(self, bank: Sequence[str], voiced: bool = False, **kw) -> str:
        """One sentence of ``bank``; ``voiced``: in the body's house style (only for
        sentences that hold no figure and no statement the checks read)."""
        d = self.d
        text = self.rng.choice(bank)
        text = in_voice(d.body.name, text) if voiced else text
        return text.format(b=d.body.name, s=d.body.short, y=d.year, ny=d.year + 1, **kw)

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
    doc.p(doc.say(bank("intro"), voiced=True) + f"全文包括{parts}等部分。" + doc.say(bank("period")) + doc.say(bank("contact"), tel=tel))


def fillers(doc: Doc, name: str, lo: int, hi: int) -> str:
    """``lo``–``hi`` composed sentences of filler ``name`` (config/synth/phrases.yaml) about
    the body's own fields.  Drawn from a generator of their own (seeded by the report's
    name), so tables, figures and seeds are those the report would have without them;
    each body keeps six of its department's fields for all its years, as a real body
    writes about its own work."""
    if doc.filler is None:
        doc.filler = random.Random(f"{doc.d.name}:prose")
    rng, d = doc.filler, doc.d
    fields = random.Random(d.body.name).sample(topics_for(d.body.name), 6)
    out = []
    n = rng.randint(lo, hi)
    picks = rng.sample(fields, min(len(fields), n))
    for topic in picks + [rng.choice(fields) for _ in range(n - len(picks))]:
        out.append(in_voice(d.body.name, compose(rng, name)).format(
            b=d.body.name, s=d.body.short, topic=topic) + "。")
    return "".join(out)


def _join(parts: list[str]) -> str:
    return "，".join(p for p in parts if p) + "。"


def dispute_sentence(doc: Doc, review: str, litigation: str, upheld: bool) -> str:
    """复议/诉讼 counts, with 均获维持 when every case was upheld (or when flipped)."""
    d, rng = doc.d, doc.rng
    r, lit = ref_value(d.v, review), ref_value(d.v, litigation)
    if r + lit == 0:
        doc.statements["no_dispute"] = text = doc.say(bank("no_dispute"))
        return text
    figures = [doc.fig(ref, pattern) for ref, pattern, n in
               ((review, "被申请行政复议{}件", r), (litigation, "被提起行政诉讼{}件", lit)) if n]
    text = "因政府信息公开" + "、".join(figures)
    if upheld or d.flip == "all_upheld":
        phrase = rng.choice(bank("upheld"))
        doc.statements["all_upheld"] = text + "，" + phrase
        text += "，" + phrase
    return text + "。"


def _t4_all_upheld(v: dict) -> bool:
    return all(v[(b, c)] == 0 for b in T4_BLOCKS for c in ("corrected", "other", "pending"))


def overview_new(doc: Doc) -> None:
    d, rng = doc.d, doc.rng
    doc.p(NEW_SECTIONS[0])
    doc.p(doc.say(bank("opening"), voiced=True) + doc.say(bank("leadership"), voiced=True) + fillers(doc, "progress", 7, 10))
    doc.p("（一）主动公开。" + proactive_new(doc))
    doc.p(fillers(doc, "focus", 8, 11) + fillers(doc, "interpret", 6, 8))
    doc.p("（二）依申请公开。" + applications_new(doc)
          + dispute_sentence(doc, "t4.review@total", "t4.litigation_direct@total+t4.litigation_after_review@total",
                             _t4_all_upheld(d.v)))
    doc.p("（三）政府信息管理。" + doc.say(bank("management"), voiced=True) + fillers(doc, "practice", 7, 10))
    doc.p("（四）平台建设。" + doc.say(bank("platform"), x=rng.randint(50, 3000), k=rng.randint(1, 12))
          + fillers(doc, "service", 5, 7))
    doc.p("（五）监督保障。" + doc.say(bank("supervision"), k=rng.randint(1, 6)) + fillers(doc, "base", 5, 7))


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
        doc.statements["no_application"] = text = doc.say(bank("no_application"))
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
    probs = rng.sample(bank("problems"), 2)
    doc.p("（一）存在的主要问题。" + extra + "；".join(probs) + "。")
    measures = rng.sample(bank("measures"), 3)
    text = "；".join(o + doc.say((m,), pct=rng.choice((30, 40, 50)), k=rng.randint(2, 6))
                    for o, m in zip(bank("ordinals"), measures))
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
        doc.statements["no_application"] = text = doc.say(bank("no_application"))
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
    doc.p(doc.say(bank("opening"), voiced=True) + doc.say(bank("leadership"), voiced=True) + doc.say(bank("management"), voiced=True)
          + fillers(doc, "practice", 7, 10) + fillers(doc, "progress", 7, 10))
    doc.p(PRE2019_SECTIONS[1])
    doc.p(proactive_pre2019(doc))
    doc.p(fillers(doc, "focus", 8, 11) + fillers(doc, "interpret", 6, 8) + fillers(doc, "service", 5, 7))
    doc.p(fillers(doc, "base", 5, 7))
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
