"""Brief fuzzing in `make test` (the long run: `python -m gongkai.fuzz --minutes N`):
hostile variants of corpus reports and generated HTML/markdown end in a record or in one
of the project's own clear errors, each within a bound; bad ingest inputs (damaged
archives, bad JSONL) become failed items, never an exception."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.errors import DocumentError, InputError
from gongkai import fuzz
from gongkai.inputs import iter_items

BOUND = timedelta(seconds=fuzz.SLOW_SECONDS)


@pytest.fixture(scope="module", autouse=True)
def _warm():
    fuzz.outcome("warm.txt", fuzz.seeds()[0][1])  # jieba and spaCy load outside the deadline


@settings(max_examples=40, deadline=BOUND, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(fuzz.documents())
def test_analyse_ends_in_a_record_or_a_clear_error(doc):
    from extractors.pipeline import analyse

    name, data = doc
    try:
        record = analyse(data, filename=name, use_ner=False).record
    except DocumentError as exc:
        assert exc.code.startswith("E2") and exc.message
        return
    json.dumps(record, allow_nan=False)  # the check contract stays valid JSON (no inf/NaN)


def test_crash_keys_name_the_class_and_the_project_function():
    from extractors.numbers import parse_number

    with pytest.raises(AttributeError) as info:
        parse_number(None)  # type: ignore[arg-type]
    assert fuzz.crash_key(info.value) == "AttributeError in extractors.numbers.parse_number"


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", "政府信息公开工作年度报告" * 20)
        z.writestr("p.jsonl", json.dumps({"url": "http://x/1", "text": "报告"}) + "\n")
    return buf.getvalue()


@settings(max_examples=40, deadline=BOUND, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["zip", "jsonl"]), at=st.integers(0, 400),
       payload=st.binary(max_size=8), cut=st.booleans())
def test_bad_ingest_inputs_become_failed_items(tmp_path_factory, kind, at, payload, cut):
    data = _zip_bytes() if kind == "zip" else b'{"url": "u", "html": "<p>x</p>"}\n{"text": 1}\n'
    data = data[:at] + payload + data[at + len(payload):]
    data = data[: len(data) // 2] if cut else data
    path = tmp_path_factory.mktemp("in") / f"f.{kind}"
    path.write_bytes(data)
    for item in iter_items([str(path)]):
        assert item.failure is None or item.failure["code"] == InputError.code


def test_odd_jsonl_pages_become_items_with_string_sources(tmp_path):
    """Found by `gongkai fuzz --ingest`: a lone surrogate escape in a page's html (valid
    JSON) crashed ingest with UnicodeEncodeError, and a non-string url became the
    report's source (True, a number, an operator object)."""
    path = tmp_path / "pages.jsonl"
    path.write_text('{"url": true, "html": "<p>\\ud800报告</p>"}\n'
                    '{"url": {"$gt": ""}, "fetched_at": 5, "text": "报告"}\n', "utf-8")
    items = list(iter_items([str(path)]))
    assert [i.failure for i in items] == [None, None]
    assert items[0].data.decode("utf-8") == "<p>?报告</p>"
    assert items[0].source == f"{path}:1" and items[1].source == f"{path}:2"
    assert items[1].meta["url"] is None and items[1].meta["fetched_at"] is None


@settings(max_examples=30, deadline=BOUND, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(fuzz.ingest_inputs())
def test_fuzzed_ingest_inputs_expand_to_well_formed_items(doc):
    res = fuzz.ingest_outcome(*doc)
    assert res.kind == "ok", res.trace


def test_fuzz_command_runs_for_its_time_and_prints_figures(tmp_path):
    import os

    from tests.conftest import run_cli

    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    proc = run_cli(["fuzz", "--minutes", "0.1", "--out", str(tmp_path / "f")], env, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("inputs tried: ") and int(first.split()[2].rstrip(";")) > 0
