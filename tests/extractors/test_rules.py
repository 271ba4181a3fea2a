"""config/rules.yaml loads and is valid; every malformed rule is rejected with the file,
line and rule id in the message."""
from __future__ import annotations

import re

import pytest

from extractors.errors import ConfigError
from extractors.rules import KINDS, load_rules, parse_rules, referenced_keys

GOOD_RULE = """
  - id: T.X
    version: 1
    kind: sum
    templates: [2021]
    cell: t3.total
    terms: [t3.granted, t3.partial]
    strength: hard
    severity: high
    message: "不符：{expr}"
    message_en: "mismatch: {expr}"
"""


def doc(rule: str = GOOD_RULE, head: str = "version: 1\nrules:") -> str:
    return head + rule


def test_shipped_rules_load():
    rs = load_rules()
    assert rs.version >= 1 and len(rs.rules) > 30
    ids = [r.id for r in rs.rules]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_.]+", i) for i in ids)
    assert {r.kind for r in rs.rules} <= set(KINDS)


def test_shipped_rules_cover_the_identities():
    rs = load_rules()
    for rule_id in ("T3.BALANCE", "T3.TOTAL", "T3.COLSUM", "T4.BLOCK", "P.APPLY.RECEIVED",
                    "P.APPLY.COMPLETED", "P.REPLY.TOTAL", "P.REPLY.DENIED", "P.REVIEW.TOTAL",
                    "P.LITIGATION.TOTAL", "P.STAFF.TOTAL", "P.PROACTIVE.CHANNEL_LE_TOTAL",
                    "P.RESPONSE.NONZERO", "P.NORMATIVE.ISSUED", "P.CUMULATIVE.GE_YEAR",
                    "X.CARRIED_OVER", "X.IN_FORCE", "X.CUMULATIVE", "X.DUPLICATE"):
        assert rs.get(rule_id) is not None, rule_id
    assert rs.get("P.NORMATIVE.ISSUED").strength == "soft"
    assert rs.get("T3.COLSUM").per_row and "t3.other.no_fee" in rs.get("T3.COLSUM").per_row


def test_shipped_rule_keys_are_in_the_catalogue():
    catalogue = pytest.importorskip("extractors.catalogue")
    known = set(catalogue.load_catalogue().entries)
    rs = load_rules()
    for rule in rs.rules:
        assert referenced_keys(rule, rs) <= known, rule.id


def test_good_rule_parses():
    rs = parse_rules(doc(), "x.yaml")
    [rule] = rs.rules
    assert rule.ref == "T.X@1" and rule.templates == ("2021",) and rule.line == 3


@pytest.mark.parametrize("edit,expected", [
    (("kind: sum", "kind: summ"), r"x\.yaml:3 rule T\.X: unknown kind 'summ'"),
    (("strength: hard", "strength: hardish"), r"rule T\.X: strength"),
    (("severity: high", "severity: urgent"), r"rule T\.X: severity"),
    (("templates: [2021]", "templates: [2022]"), r"rule T\.X: templates"),
    (("version: 1\n    kind", "version: 0\n    kind"), r"rule T\.X: version"),
    (("terms: [t3.granted, t3.partial]", "terms: [t3.granted, t3.partial]\n    colour: red"),
     r"rule T\.X: unknown field\(s\) \['colour'\]"),
    (("    cell: t3.total\n", ""), r"rule T\.X: missing field\(s\) \['cell'\]"),
    (('"不符：{expr}"', '"不符：{exprr}"'), r"rule T\.X: message uses unknown placeholder"),
    (("terms: [t3.granted, t3.partial]", "terms: [{keyy: t3.granted}]"), r"rule T\.X: bad term"),
    (("cell: t3.total", "cell: t3.total\n    per_column: nope"), r"unknown column set 'nope'"),
    (("cell: t3.total", "cell: t3.total\n    tolerance: loose"), r"rule T\.X: tolerance 'loose'"),
])
def test_bad_rules_are_rejected(edit, expected):
    old, new = edit
    assert old in GOOD_RULE
    with pytest.raises(ConfigError, match=expected):
        parse_rules(doc(GOOD_RULE.replace(old, new)), "x.yaml")


def test_duplicate_ids_rejected():
    with pytest.raises(ConfigError, match=r"x\.yaml:14 rule T\.X: duplicate rule id \(first at line 3\)"):
        parse_rules(doc(GOOD_RULE + GOOD_RULE), "x.yaml")


def test_unknown_top_level_field_rejected():
    with pytest.raises(ConfigError, match="unknown field"):
        parse_rules("version: 1\nrulez: []\n", "x.yaml")


def test_key_not_in_catalogue_rejected():
    pytest.importorskip("extractors.catalogue")
    with pytest.raises(ConfigError, match=r"rule T\.X: key\(s\) not in the catalogue: \['t3.grantedd'\]"):
        parse_rules(doc(GOOD_RULE.replace("t3.granted,", "t3.grantedd,")), "x.yaml")


def test_suppresses_must_name_a_rule():
    bad = GOOD_RULE.replace("strength: hard", "suppresses: [NO.SUCH]\n    strength: hard")
    with pytest.raises(ConfigError, match=r"suppresses unknown rule"):
        parse_rules(doc(bad), "x.yaml")
