"""The near-duplicate candidate cap (setting ``duplicate_candidates``), through real
ingests in two arrival orders: under the cap the findings do not depend on the order and
no report is marked; over it every report whose check was cut says so (stored, shown by
``gongkai show``), and every near-duplicate pair missing from a run has such a report."""
import json
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


def _ingest(src, order, env, cap):
    """Ingest ``src`` in name order or reversed; (duplicate pairs, truncated ids, env)."""
    folder = src.parent / f"{order}_{cap}_{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    names = sorted(p.name for p in src.glob("*.txt"))
    for i, name in enumerate(names if order == "forward" else names[::-1]):
        shutil.copy(src / name, folder / f"{i:03d}_{name}")  # arrival order = name order
    env = {**env, "GONGKAI_DB_NAME": "gk_cap_" + uuid.uuid4().hex[:8],
           "GONGKAI_DUPLICATE_CANDIDATES": str(cap), "GONGKAI_WORKERS": "1"}
    proc = run_cli(["ingest", str(folder), "--json"], env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    db = db_of(env)
    pairs = {frozenset((f["report_id"], f["prev_report_id"]))
             for f in db.findings.find({"scope": "duplicate"})}
    cut = {d["_id"] for d in db.reports.find({"duplicate_check.status": "truncated"})}
    return pairs, cut, env


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
