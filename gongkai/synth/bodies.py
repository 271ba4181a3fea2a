"""Synthetic bodies: names, regions, levels and the scale of their figures."""
from __future__ import annotations

import random
from dataclasses import dataclass

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
