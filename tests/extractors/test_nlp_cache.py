"""extractors.nlp reads jieba's own dictionary cache file faster than jieba does, and must
end with exactly what ``Tokenizer.initialize`` gives (or let jieba build the file)."""
from __future__ import annotations

import logging
import marshal

import jieba
import pytest

from extractors.nlp import _load_cache

jieba.setLogLevel(logging.WARNING)
TEXT = "平江县民政局2017年度无依申请公开政府信息，本年制发行政规范性文件3件。"


def test_the_cache_file_gives_what_jieba_initialize_gives() -> None:
    ref = jieba.Tokenizer()
    ref.initialize()  # builds jieba's cache file if it is not there yet
    tk = jieba.Tokenizer()
    assert _load_cache(tk)
    assert tk.initialized and tk.total == ref.total and tk.FREQ == ref.FREQ
    assert tk.lcut(TEXT) == ref.lcut(TEXT)


def test_without_the_file_jieba_builds_it_and_the_next_load_reads_it(tmp_path) -> None:
    tk = jieba.Tokenizer()
    tk.tmp_dir = str(tmp_path)
    assert not _load_cache(tk) and not tk.initialized
    tk.initialize()  # what get_tokenizer does then: jieba builds and writes the file
    assert (tmp_path / "jieba.cache").is_file()
    again = jieba.Tokenizer()
    again.tmp_dir = str(tmp_path)
    assert _load_cache(again)
    assert again.FREQ == tk.FREQ and again.total == tk.total


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
