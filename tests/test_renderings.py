"""Every rendering of a real report reads back as the report: the HTML page, the DOCX and
the DOCX→PDF rendering (gongkai.renderings) of each tabled report, read through
``extractors.pipeline.analyse``, give every gold cell (key, column, value, state) and no
other cell, and the same findings (code, status, cells) as the text rendering.

The renderings are built once per session into the content-hash cache
(``$GONGKAI_RENDERINGS_DIR`` or ``.gongkai/renderings``); the PDF ones need LibreOffice
(``soffice``) and skip with the reason when it is absent.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

from gongkai.renderings.markdown import MARKDOWN_RENDERERS
from tests.conftest import CORPUS

pytestmark = pytest.mark.corpus


def _ids() -> list[str]:
    if not (CORPUS / "reports").is_dir():
        return []
    from gongkai.renderings.layout import report_ids
    return report_ids()


IDS = _ids()
FORMATS = ("html", "docx", "pdf", *MARKDOWN_RENDERERS)
LAYOUTS = ("default", "other")  # each report's default layout and one other, by its id
CASES = [pytest.param(fmt, which, rid, id=f"{fmt}-{which}-{rid}")
         for fmt in FORMATS for which in LAYOUTS for rid in IDS
         if which == "default" or fmt in ("html", "docx", "pdf")]  # markdown: no page layout


def _variants(which: str) -> dict[str, int]:
    from gongkai.renderings.variants import suite_variant
    return {rid: (0 if which == "default" else suite_variant(rid)) for rid in IDS}


@lru_cache(maxsize=None)
def _paths(fmt: str, which: str = "default") -> dict:
    from gongkai.renderings.cache import build_many
    return build_many(IDS, fmt, CORPUS, variants=_variants(which))


@lru_cache(maxsize=None)
def _record(fmt: str, rid: str, which: str = "default") -> dict:
    from extractors.pipeline import analyse
    from gongkai.renderings.layout import load_report

    if fmt == "text":
        data, name = load_report(rid, CORPUS).text.encode("utf-8"), f"{rid}.txt"
    else:
        path = _paths(fmt, which)[rid]
        data, name = path.read_bytes(), path.name
    return analyse(data, filename=name, use_ner=False).record


def _need_tools(fmt: str) -> None:
    from gongkai.renderings.pdf import soffice
    if fmt == "pdf" and soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui fonts-noto-cjk")


@pytest.mark.parametrize("fmt,which,rid", CASES)
def test_rendering_gives_the_gold_cells(corpus_dir, fmt, which, rid):
    from gongkai.eval_renderings import cells_equal
    from gongkai.renderings.layout import load_report

    _need_tools(fmt)
    gold = list(load_report(rid, corpus_dir).gold_cells)
    equal, misses, extra = cells_equal(gold, _record(fmt, rid, which)["table"]["cells"])
    assert (misses, extra) == ([], []) and equal == len(gold)


@pytest.mark.parametrize("fmt,which,rid", CASES)
def test_rendering_gives_the_text_renderings_findings(corpus_dir, fmt, which, rid):
    from gongkai.eval_renderings import finding_id

    _need_tools(fmt)
    got = Counter(finding_id(f) for f in _record(fmt, rid, which)["findings"])
    want = Counter(finding_id(f) for f in _record("text", rid)["findings"])
    extra = sorted(f[:2] for f in (got - want).elements())
    missing = sorted(f[:2] for f in (want - got).elements())
    assert (extra, missing) == ([], [])


# ------------------------------------------------------------------ the model itself


def _table(rid: str, section: str):
    from gongkai.renderings.layout import load_report
    return next(t for t in load_report(rid, CORPUS).tables if t.section == section)


def _one_2021() -> str:
    from gongkai.renderings.layout import load_report
    return next(r for r in IDS if load_report(r, CORPUS).template == "2021")


def test_t3_has_the_official_merged_structure(corpus_dir):
    t3 = _table(_one_2021(), "t3")
    head = [[(c.text, c.rowspan, c.colspan) for c in row] for row in t3.grid[:2]]
    assert head[0][1] == ("申请人情况", 1, 7) and head[0][0][1:] == (3, 3)
    assert head[1] == [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)]
    results = next(c for row in t3.grid for c in row if c.text == "三、本年度办理结果")
    denied = next(c for row in t3.grid for c in row if c.text == "（三）不予公开")
    assert (results.kind, denied.kind, denied.rowspan) == ("label", "label", 8)
    # the 三、 label spans every result row: from （一）予以公开 to （七）总计
    first = next(r for r, row in enumerate(t3.grid) if row[0].text == "三、本年度办理结果")
    last = next(r for r, row in enumerate(t3.grid) if any(c.text.startswith("（七）") for c in row))
    assert results.rowspan == last - first + 1
    assert all(len(row) == 10 for row in t3.matrix())


def test_t4_heads_litigation_over_its_two_kinds(corpus_dir):
    t4 = _table(_one_2021(), "t4")
    assert [(c.text, c.colspan) for c in t4.grid[0]] == [("行政复议", 5), ("行政诉讼", 10)]
    assert [c.text for c in t4.grid[1]][-2:] == ["未经复议直接起诉", "复议后起诉"]
    assert t4.header_rows == 3 and len(t4.grid[3]) == 15


def test_prose_keeps_the_text_outside_the_tables(corpus_dir):
    from gongkai.renderings.layout import load_report

    for rid in IDS:
        model = load_report(rid, corpus_dir)
        assert not any("|" in p for p in model.paragraphs), rid
        assert model.tables and model.paragraphs, rid
        assert all(p.strip() == p and p for p in model.paragraphs), rid


def test_pages_cover_gb18030_and_word_export(corpus_dir):
    from gongkai.renderings.variants import layout

    styles = [layout(r) for r in IDS]
    assert any(s.encoding == "gb18030" for s in styles) and any(s.word for s in styles)
    path = _paths("html")[next(r for r, s in zip(IDS, styles) if s.encoding == "gb18030")]
    data = path.read_bytes()
    assert b'charset="gb18030"' in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_layouts_are_reproducible_and_the_suite_covers_many():
    """A layout is a function of (report id, variant); the suite's other variants span
    both page sizes, every margin set, font size, width, header and alignment choice."""
    from gongkai.renderings.variants import MARGINS_MM, layout, suite_variant

    rid = IDS[0] if IDS else "r"
    assert layout(rid, 3) == layout(rid, 3) and layout(rid, 0).variant == 0
    ids = IDS or [f"r{i}" for i in range(25)]
    others = [layout(r, suite_variant(r)) for r in ids]
    assert len({s.variant for s in others}) >= 5 and all(s.variant > 0 for s in others)
    assert {s.page for s in others} == {"A4", "Letter"}
    assert {s.margins_mm for s in others} == set(MARGINS_MM)
    for attr in ("body_pt", "table_pt", "table_width", "label_weight"):
        assert len({getattr(s, attr) for s in others}) >= 3, attr
    for attr in ("repeat_header", "center_cells", "word", "encoding"):
        assert len({getattr(s, attr) for s in others}) == 2, attr


def test_variants_are_cached_apart(corpus_dir):
    default, other = _paths("html"), _paths("html", "other")
    assert all(default[r] != other[r] and ".v0." in default[r].name for r in IDS)
    assert all(f".v{_variants('other')[r]}." in other[r].name for r in IDS)


def test_builds_are_cached_by_content(corpus_dir):
    from gongkai.renderings.cache import build_many

    first = _paths("html")
    again = build_many(IDS[:2], "html", CORPUS)
    assert all(again[r] == first[r] for r in IDS[:2])
    assert all(p.stat().st_mtime == first[r].stat().st_mtime for r, p in again.items())


def test_cli_builds_the_renderings_into_a_folder(corpus_dir, tmp_path):
    import os

    from tests.conftest import run_cli

    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}  # no settings leaked by other tests
    proc = run_cli(["renderings", "build", "--formats", "html", "--out", str(tmp_path),
                    "--corpus", str(corpus_dir)], env)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t") for line in proc.stdout.splitlines()]
    assert [r[1] for r in rows] == IDS and all(r[0] == "html" for r in rows)
    assert all(Path(r[2]).parent == tmp_path and Path(r[2]).is_file() for r in rows)


def test_evaluate_prints_one_line_per_format():
    from gongkai.eval_renderings import FormatScore, format_scores

    text = format_scores([FormatScore("html", 2982, 2982, reports=25),
                          FormatScore("pdf", 2185, 2982, 798, 23, 3, 24),
                          FormatScore("docx", errors=["soffice not found"]),
                          FormatScore("pdf/other", 2980, 2982, 2, 1, 0, 25)])
    lines = text.splitlines()
    assert lines[1].split() == ["html", "100.0", "%", "(2982/2982)", "0", "0", "0", "25"]
    assert lines[2].split() == ["pdf", "73.3", "%", "(2185/2982)", "798", "23", "3", "24"]
    assert "not built: soffice not found" in lines[3]
    assert lines[4].split() == ["pdf/other", "99.9", "%", "(2980/2982)", "2", "1", "0", "25"]


def test_every_layout_variant_of_a_range_is_scored(corpus_dir):
    """``evaluate --renderings --variants A..B``: each paged format in each variant of the
    range, labelled by it; a bad range is a usage error before anything is built."""
    from click.testing import CliRunner

    from gongkai.cli import main
    from gongkai.eval_renderings import evaluate_renderings

    [score] = evaluate_renderings(corpus_dir, formats=("html",), variants=range(3, 4))
    assert score.fmt == "html/v3" and score.reports == len(IDS)
    assert (score.cells_share, score.extra_fails, score.missing_fails) == (1.0, 0, 0)
    bad = CliRunner().invoke(main, ["evaluate", "--renderings", "--variants", "x..2"])
    assert bad.exit_code == 2 and "variant range" in bad.output
