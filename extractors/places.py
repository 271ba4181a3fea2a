"""The province of a body name: printed, or looked up in the region gazetteer.

``config/gazetteer.yaml`` maps every prefecture-level division (and the districts and
counties of the 直辖市) to its province-level unit.  A body name that prints a province
("江苏省淮安市…", "国家税务总局江苏省税务局") has that province; otherwise its first place unit
is looked up ("淮安市洪泽区人民政府" → 淮安市 → 江苏省), or a prefecture's short form at its
start ("恩施州人民政府").  A county-level unit printed alone ("洪泽区", "瑞安市") is not in the
data, and a name more than one province has (``ambiguous``) gives none: the province is
then unknown (None), never guessed.  Hand-written: a dictionary lookup over data the
project keeps; the libraries that know Chinese divisions ship their own, undated tables
down to villages, far more than a body name needs.

>>> g = load_gazetteer()
>>> province_of("淮安市洪泽区人民政府", ["淮安市", "洪泽区"])
'江苏省'
>>> province_of("国家税务总局江苏省税务局", [])
'江苏省'
>>> province_of("恩施州人民政府", [])
'湖北省'
>>> province_of("洪泽区人民政府", ["洪泽区"]) is None, province_of("朝阳区人民政府", ["朝阳区"]) is None
(True, True)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from extractors.errors import ConfigError
from extractors.sections import CONFIG_DIR, load_yaml

GAZETTEER_FILE = CONFIG_DIR / "gazetteer.yaml"
_SECTIONS = ("divisions", "province_administered", "former")
# a short form followed by one of these is the start of another unit's name ("巴州区")
_SUFFIX_START = "市区县旗镇乡盟州"


@dataclass(frozen=True)
class Gazetteer:
    province: dict[str, str]  # place unit → province-level unit (ambiguous names absent)
    provinces: frozenset[str]  # the province-level units named in the file
    aliases: dict[str, str]  # short form → full name
    ambiguous: frozenset[str]


@lru_cache(maxsize=2)
def load_gazetteer(path: Path = GAZETTEER_FILE) -> Gazetteer:
    """The gazetteer; a ConfigError names a name listed under two provinces or an alias
    of an unknown name."""
    d = load_yaml(path, ("divisions",))
    province: dict[str, str] = {}
    for section in _SECTIONS:
        for prov, names in (d.get(section) or {}).items():
            for name in names or ():
                if province.get(name, prov) != prov:
                    raise ConfigError(f"{path}: {name} is under {province[name]} and {prov}; "
                                      "list it under ambiguous")
                province[name] = prov
    ambiguous = frozenset(a["name"] for a in d.get("ambiguous") or ())
    aliases = {str(k): str(v) for k, v in (d.get("aliases") or {}).items()}
    for short, full in aliases.items():
        if full not in province:
            raise ConfigError(f"{path}: alias {short} names {full}, which is not listed")
    return Gazetteer(
        province={k: v for k, v in province.items() if k not in ambiguous},
        provinces=frozenset(d["divisions"]),
        aliases=aliases,
        ambiguous=ambiguous,
    )


def province_of(body: str, units: list[str], printed: frozenset[str] | None = None) -> str | None:
    """The province-level unit of a body name whose leading place units are ``units``.

    ``printed``: the province-level names to find printed in the name (default: those of
    the gazetteer); the first printed wins over any lookup."""
    g = load_gazetteer()
    names = printed if printed is not None else g.provinces
    found = [(body.find(p), p) for p in names if p in body]
    if found:
        return min(found)[1]
    if units:
        first = units[0]
        if first in g.province:
            return g.province[first]
        if first in g.ambiguous:
            return None
    for short, full in g.aliases.items():
        after = body[len(short): len(short) + 1]
        if body.startswith(short) and not (after and after in _SUFFIX_START):
            return g.province.get(full)
    return None
