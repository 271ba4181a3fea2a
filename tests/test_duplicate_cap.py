"""The near-duplicate candidate cap (setting ``duplicate_candidates``), through real
ingests in two arrival orders: under the cap the findings do not depend on the order and
no report is marked; over it every report whose check was cut says so (stored, shown by
``gongkai show``), every near-duplicate pair missing from a run has such a report, and
the findings still do not depend on the order (worker/duplicates.py settles them)."""
import json
import random
import re
import shutil
import uuid

import pytest

from tests.conftest import run_cli
from tests.fault_support import db_of

pytestmark = pytest.mark.services
COPIES = 7  # one report copied under 7 other bodies: each copy has 6+ candidates


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Eight same-year near-duplicates (one text under eight bodies) and eight other
    generated reports of the same year."""
    from gongkai.synth import main as synth

    src = tmp_path_factory.mktemp("synth")
    assert synth(["--n", "16", "--seed", "7", "--out", str(src), "--years", "2023",
                  "--formats", "txt"]) in (0, None)
    paths = sorted(src.glob("*.txt"))
    bodies = [re.search(r"^(\S+?)(?:20\d\d年)", p.read_text("utf-8")).group(1) for p in paths]
    base = paths[0].read_text("utf-8")
    for i in range(1, COPIES + 1):
        (src / f"2023_copy_{i}.txt").write_text(
            base.replace(bodies[0], bodies[i]) + f"\n（本报告第{i}版）\n", "utf-8")
    return src


_COMPLETE: dict = {}
_SUMMARIES: dict = {}


def _ingest(src, order, env, cap, batches=1, between=None):
    """Ingest ``src`` in name order, reversed or shuffled, in ``batches`` ingests one
    after another (``between(env)`` after each but the last); (duplicate pairs,
    truncated ids, env)."""
    names = sorted(p.name for p in src.glob("*.txt"))
    if order == "reverse":
        names = names[::-1]
    elif order == "shuffled":
        random.Random(3).shuffle(names)
    env = {**env, "GONGKAI_DB_NAME": "gk_cap_" + uuid.uuid4().hex[:8],
           "GONGKAI_DUPLICATE_CANDIDATES": str(cap), "GONGKAI_WORKERS": "1"}
    size = -(-len(names) // batches)
    for b in range(batches):
        folder = src.parent / f"{order}_{cap}_{uuid.uuid4().hex[:6]}"
        folder.mkdir()
        for i, name in enumerate(names[b * size:(b + 1) * size]):
            shutil.copy(src / name, folder / f"{i:03d}_{name}")  # arrival order = name order
        proc = run_cli(["ingest", str(folder), "--json"], env, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        if between and b < batches - 1:
            between(env)
    _SUMMARIES[env["GONGKAI_DB_NAME"]] = json.loads(proc.stdout)  # with what settling did
    db = db_of(env)
    pairs = {frozenset((f["report_id"], f["prev_report_id"]))
             for f in db.findings.find({"scope": "duplicate"})}
    cut = {d["_id"] for d in db.reports.find({"duplicate_check.status": "truncated"})}
    return pairs, cut, env


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Fourteen same-year variants of one report under fourteen bodies, each missing a
    different share of its lines (so they share from 2 to 16 of the 16 MinHash bands
    with one another: rankings with ties and without), and four other reports."""
    from gongkai.synth import main as synth

    src = tmp_path_factory.mktemp("graded")
    assert synth(["--n", "4", "--seed", "7", "--out", str(src), "--years", "2023",
                  "--formats", "txt"]) in (0, None)
    base = sorted(src.glob("*.txt"))[0]
    text = base.read_text("utf-8")
    body = re.search(r"^(\S+?)(?:20\d\d年)", text).group(1)
    lines = text.splitlines()
    for i in range(14):
        rng = random.Random(i)
        kept = [line for j, line in enumerate(lines) if j < 3 or rng.random() > 0.02 * (i % 7)]
        (src / f"2023_variant_{i:02d}.txt").write_text(
            "\n".join(kept).replace(body, f"测试{i}县人民政府") + f"\n（本报告第{i}版）\n", "utf-8")
    base.unlink()
    return src


def _findings(env) -> set[tuple[str, str, str]]:
    return {(f["report_id"], f["prev_report_id"], f["code"])
            for f in db_of(env).findings.find({"scope": "duplicate"})}


def _tops(env, cap: int) -> dict[str, set[str]]:
    """Each done report's top: the ``cap`` of its pool sharing most bands, ties by id."""
    docs = {d["_id"]: (d["body_key"], set(d["lsh"]))
            for d in db_of(env).reports.find({"status": "done"})}
    top = {}
    for rid, (body, lsh) in docs.items():
        pool = [(-len(lsh & other), oid) for oid, (ob, other) in docs.items()
                if oid != rid and ob != body and lsh & other]
        top[rid] = {oid for _, oid in sorted(pool)[:cap]}
    return top


def test_over_the_cap_findings_do_not_depend_on_order(graded, cli_env):
    """Two stores, the same reports in two orders, 5 candidates compared per report of
    13+: the same (report, other, code) near-duplicate findings, settled to the pairs
    where one of the two is among the other's 5 sharing most bands."""
    runs = {order: _ingest(graded, order, cli_env, cap=5) for order in ("forward", "reverse")}
    (_, cut_f, env_f), (_, cut_r, env_r) = runs["forward"], runs["reverse"]
    found = _findings(env_f)
    assert found and found == _findings(env_r)
    assert cut_f == cut_r and len(cut_f) >= 14
    settled = [_SUMMARIES[env["GONGKAI_DB_NAME"]]["settled"] for env in (env_f, env_r)]
    # settled: those a newcomer took past the cap or entered (at this cap each entry)
    assert all(0 < s["settled"] <= len(cut_f) for s in settled), settled
    assert any(s["checked"] or s["dropped"] for s in settled), settled  # arrival order mattered
    top = _tops(env_f, 5)
    assert all(b in top[a] or a in top[b] for a, b, _ in found)
    checked = run_cli(["check", str(graded), "--json", "--no-ner"], env_f)  # the same cap
    records = [json.loads(line) for line in checked.stdout.splitlines()]
    assert checked.returncode == 0 and len(records) == len(top)
    assert {(r["sha256"], f["prev_report_id"], f["code"]) for r in records
            for f in r["findings"] if f.get("scope") == "duplicate"} == found
    assert {r["sha256"] for r in records
            if (r["duplicate_check"] or {}).get("status") == "truncated"} == cut_f
    again = run_cli(["relate", "--settle", "--all", "--json"], env_r)  # nothing left to do
    assert again.returncode == 0, again.stderr[-2000:]
    stats = json.loads(again.stdout)
    assert stats["checked"] == stats["dropped"] == 0 and stats["settled"] == len(cut_r)
    assert _findings(env_r) == found
    _COMPLETE["graded"] = found


def test_entries_counted_before_settling_leave_the_findings_of_any_order(graded, cli_env):
    """At a cap of 8 a report over it is settled again after about every second newcomer
    entering its top (drawn per pair; not after each, as at 5): in between the newcomers
    are compared with it by its last exact threshold.  Two orders still give the same findings, each of S,
    and settling everything again has nothing to check or drop."""
    runs = {order: _ingest(graded, order, cli_env, cap=8) for order in ("reverse", "shuffled")}
    (_, cut_r, env_r), (_, cut_s, env_s) = runs["reverse"], runs["shuffled"]
    found = _findings(env_r)
    assert found and found == _findings(env_s) and cut_r == cut_s and cut_r
    top = _tops(env_r, 8)
    assert all(b in top[a] or a in top[b] for a, b, _ in found)
    again = json.loads(run_cli(["relate", "--settle", "--all", "--json"], env_s).stdout)
    assert again["checked"] == again["dropped"] == 0 and again["settled"] == len(cut_s)
    assert _findings(env_s) == found


def test_over_the_cap_ingests_in_batches_settle_to_the_same_findings(graded, cli_env):
    """Three ingests of a shuffled order, each settling only the reports a newcomer may
    have changed: the findings of one ingest in any order, and an auditor's decisions
    on the near-duplicate findings that stay kept."""
    from storage import review

    found = _COMPLETE.get("graded") or _findings(_ingest(graded, "forward", cli_env, cap=5)[2])
    decided: set[str] = set()

    def confirm_all(env):
        db = db_of(env)
        for f in db.findings.find({"scope": "duplicate", "review.state": "open"}, {"_id": 1}):
            review.decide(db, f["_id"], "confirm", {"_id": "ann", "role": "auditor"})
            decided.add(f["_id"])

    _, cut, env = _ingest(graded, "shuffled", cli_env, cap=5, batches=3, between=confirm_all)
    assert _findings(env) == found and len(cut) >= 14
    kept = {f["_id"]: f["review"]["state"] for f in db_of(env).findings.find(
        {"_id": {"$in": sorted(decided)}})}
    assert kept and set(kept.values()) == {"confirmed"}


def test_under_the_cap_findings_do_not_depend_on_order_and_nothing_is_marked(reports, cli_env):
    forward, cut_f, _ = _ingest(reports, "forward", cli_env, cap=50)
    _COMPLETE["pairs"] = forward
    reverse, cut_r, _ = _ingest(reports, "reverse", cli_env, cap=50)
    assert len(forward) >= COPIES * (COPIES + 1) // 2  # the copies are pairwise duplicates
    assert forward == reverse
    assert cut_f == cut_r == set()


def test_over_the_cap_a_cut_check_is_marked_and_explains_every_missing_pair(reports, cli_env):
    complete = _COMPLETE.get("pairs") or _ingest(reports, "forward", cli_env, cap=50)[0]
    for order in ("forward", "reverse"):
        pairs, cut, env = _ingest(reports, order, cli_env, cap=2)
        assert cut, "copies with 6+ candidates each, 2 compared: some checks were cut"
        assert pairs <= complete  # a pair's findings are its own: a cut check only loses
        missing = complete - pairs
        assert missing and all(pair & cut for pair in missing), (order, missing, cut)
        rid = sorted(cut)[0]
        shown = run_cli(["show", rid], env)
        assert shown.returncode == 0 and "[truncated] near-duplicate check" in shown.stdout
        record = json.loads(run_cli(["show", rid, "--json"], env).stdout)
        assert record["duplicate_check"]["status"] == "truncated"
        assert record["duplicate_check"]["cap"] == 2 and record["duplicate_check"]["compared"] == 2
