"""extractors.nlp reads jieba's own dictionary cache file faster than jieba does, and must
end with exactly what ``Tokenizer.initialize`` gives (or let jieba build the file)."""
from __future__ import annotations

import json
import logging
import marshal
import subprocess
import sys

import jieba
import pytest

from extractors.nlp import _load_cache
from tests.conftest import ROOT

jieba.setLogLevel(logging.WARNING)
TEXT = "平江县民政局2017年度无依申请公开政府信息，本年制发行政规范性文件3件。"


def test_the_cache_file_gives_what_jieba_initialize_gives() -> None:
    ref = jieba.Tokenizer()
    ref.initialize()  # builds jieba's cache file if it is not there yet
    tk = jieba.Tokenizer()
    assert _load_cache(tk)
    assert tk.initialized and tk.total == ref.total and tk.FREQ == ref.FREQ
    assert tk.lcut(TEXT) == ref.lcut(TEXT)


# A fresh process, as the CLI imports jieba (extractors.nlp.jieba_module: without
# pkg_resources), with no cache file: jieba builds it from its dict.txt.
_BUILD = """
import json, sys
from extractors.nlp import _load_cache, jieba_module
jieba = jieba_module()
tk = jieba.Tokenizer()
tk.tmp_dir = sys.argv[1]
loaded = _load_cache(tk)
tk.initialize()
print(json.dumps([loaded, "pkg_resources" in sys.modules, tk.total, len(tk.FREQ)]))
"""


def test_without_the_file_jieba_builds_it_and_the_next_load_reads_it(tmp_path) -> None:
    out = subprocess.run([sys.executable, "-c", _BUILD, str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=120)
    loaded, pkg_resources, total, size = json.loads(out.stdout)
    assert not loaded and not pkg_resources
    assert (tmp_path / "jieba.cache").is_file()
    tk = jieba.Tokenizer()
    tk.tmp_dir = str(tmp_path)
    assert _load_cache(tk)
    assert (tk.total, len(tk.FREQ)) == (total, size)
    ref = jieba.Tokenizer()
    ref.initialize()
    assert tk.FREQ == ref.FREQ and tk.total == ref.total


@pytest.mark.parametrize("content", [b"not marshal", marshal.dumps(["a list"]), b""])
def test_an_unusable_cache_file_is_left_to_jieba(tmp_path, content: bytes) -> None:
    (tmp_path / "jieba.cache").write_bytes(content)
    tk = jieba.Tokenizer()
    tk.tmp_dir = str(tmp_path)
    assert not _load_cache(tk) and not tk.initialized and tk.FREQ == {}


def test_a_custom_dictionary_is_left_to_jieba(tmp_path) -> None:
    words = tmp_path / "dict.txt"
    words.write_text("政府信息 5 n\n", encoding="utf-8")
    tk = jieba.Tokenizer(str(words))
    assert not _load_cache(tk) and not tk.initialized
