"""What ``gongkai`` loads before it needs it (issue 11: start-up before the first report).
Not a timed test: each asserts on the modules a real process imported."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Run a gongkai command in this fresh process, then print the modules it imported.
_RUN = """
import json, sys
from gongkai.cli import main
try:
    main(sys.argv[1:], prog_name="gongkai")
except SystemExit:
    pass
print("MODULES " + json.dumps(sorted(sys.modules)))
"""
# No command needs these before it uses them; check and the help texts never do.
SERVICES = {"pymongo", "bson", "gridfs", "celery", "kombu", "billiard", "redis", "fastapi",
            "starlette", "uvicorn", "pyarrow", "pandas", "onnxruntime"}
MODELS = {"spacy", "jieba", "thinc", "numpy", "yaml"}


def _imported(*args: str, env: dict[str, str] | None = None) -> tuple[set[str], list[str]]:
    """(top-level packages imported, output lines) of ``gongkai ARGS`` in a new process."""
    if env is None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    out = subprocess.run([sys.executable, "-c", _RUN, *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    lines = out.stdout.splitlines()
    assert lines and lines[-1].startswith("MODULES "), out.stderr[-2000:]
    modules = json.loads(lines[-1][len("MODULES "):])
    return {m.split(".")[0] for m in modules} | set(modules), lines[:-1]


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["ingest", "--help"]])
def test_help_loads_no_model_and_no_service_client(args: list[str]) -> None:
    imported, lines = _imported(*args)
    assert lines, "no help printed"
    assert sorted(imported & (SERVICES | MODELS)) == []


def test_check_loads_no_service_client_and_no_other_language(corpus_dir) -> None:
    report = corpus_dir / "reports" / "2016_pingtan_zhsyq.txt"
    imported, lines = _imported("check", "--json", str(report))
    assert len(lines) == 1 and json.loads(lines[0])["report"]["year"] == 2016
    assert sorted(imported & SERVICES) == []
    # spaCy's Matcher over jieba tokens needs no language pipeline: spacy.blank("zh")
    # would fill spaCy's registry, importing every language's tokenizer
    assert "spacy.matcher" in imported and "spacy.lang.ja" not in imported
    # jieba finds its dictionary without setuptools' pkg_resources (extractors.nlp)
    assert "jieba" in imported and "pkg_resources" not in imported


def test_local_ingest_loads_no_web_arrow_or_broker_client(corpus_dir, cli_env) -> None:
    report = corpus_dir / "reports" / "2016_pingtan_zhsyq.txt"
    imported, lines = _imported("ingest", "--json", str(report), env=cli_env)
    assert json.loads(lines[-1])["status"] == {"done": 1}
    # the review app, the research export and the broker's client are for other commands
    assert sorted(imported & {"fastapi", "starlette", "uvicorn", "pyarrow", "pandas", "redis",
                              "onnxruntime", "pkg_resources", "celery"}) == []


@pytest.mark.parametrize("first", ["", "import worker.tasks; "])
def test_celery_finds_the_app_of_the_worker_package(first: str) -> None:
    """``celery -A worker`` finds ``worker.app`` (imported on first use, not with the
    package), also when the ``worker.app`` submodule was imported first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    code = (f"import sys; {first}import worker; from celery.app.utils import find_app; "
            "print(find_app('worker').main)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["gongkai"], out.stderr[-2000:]
