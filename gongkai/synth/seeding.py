"""Seeded discrepancies: one per seeded report, its place recorded in the gold file."""
from __future__ import annotations

import random
from typing import Sequence

from gongkai.synth.render import Doc
from gongkai.synth.values import MONEY, T3_COLUMNS, T4_BLOCKS, T4_COLUMNS, Draft, fmt, t3_results

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
