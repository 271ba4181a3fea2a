"""jieba and spaCy, built once per process, lazily, with the domain user dictionary.

The user dictionary is config/terms.txt plus the catalogue's row labels (when
extractors.catalogue is present) so that "依申请公开" or "行政规范性文件" stay one token in
the indexed token array and in near-duplicate shingles.  A private ``jieba.Tokenizer``
is used (not jieba's module-level default) so loading our words changes no global state
that other code might rely on; spaCy's Chinese tokenizer is pointed at it.
Nothing is built at import: a parent process that forks workers pays nothing.
"""
from __future__ import annotations

import logging
import re
import sys
from functools import cache
from typing import Any

from extractors.patterns import load_spacy_patterns, load_terms

log = logging.getLogger(__name__)
_LABEL_OK = re.compile(r"^[\u4e00-\u9fff（）()、]{2,24}$")


def catalogue_labels() -> list[str]:
    """Row labels from the metric catalogue, or [] when it is not available yet."""
    try:
        from extractors.catalogue import load_catalogue  # written by another step
    except ImportError:
        return []
    try:
        labels = load_catalogue().labels()
    except FileNotFoundError as exc:
        log.warning("catalogue not loaded for the jieba dictionary: %s", exc)
        return []
    return [lab for lab in labels if isinstance(lab, str) and _LABEL_OK.match(lab)]


def user_words() -> list[tuple[str, int | None, str | None]]:
    """(word, freq, tag) entries of the user dictionary."""
    words: list[tuple[str, int | None, str | None]] = []
    for line in load_terms():
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        words.append((parts[0], freq, tag))
    words += [(label, None, None) for label in catalogue_labels()]
    return words


def jieba_module() -> Any:
    """``jieba``, imported without setuptools' ``pkg_resources``: jieba only wants it to
    open its own dict.txt and, when the import fails, opens the file beside its module
    instead (jieba._compat); importing ``pkg_resources`` scans every installed
    distribution, 0.1 CPU-s of each process's start.  The block lasts while jieba is
    imported (no gongkai code imports ``pkg_resources``; another thread's import of it in
    that instant would fail); later imports of it work."""
    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    block = "pkg_resources" not in sys.modules
    if block:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import jieba
    finally:
        if block and sys.modules.get("pkg_resources", ...) is None:
            del sys.modules["pkg_resources"]
    return jieba


@cache
def get_tokenizer() -> Any:
    """A private jieba.Tokenizer with the user dictionary loaded (one per process)."""
    jieba = jieba_module()
    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    if not _load_cache(tk):
        tk.initialize()  # jieba builds its prefix dictionary and writes its cache file
    for word, freq, tag in user_words():
        tk.add_word(word, freq, tag)
    return tk


def _load_cache(tk: Any) -> bool:
    """Load jieba's own cache file of its default dictionary (the file and the place
    ``Tokenizer.initialize`` uses: ``tmp_dir`` or the temp folder, ``jieba.cache``) into
    ``tk``, as ``initialize`` does when the file is there, but from bytes in memory:
    ``marshal.load`` on the open file reads it a few bytes per call, three times slower
    (0.6 against 0.2 CPU-s for its ~500k entries).  False when there is no usable
    file: then ``initialize`` builds it."""
    import marshal
    import os
    import tempfile

    jieba = jieba_module()
    if tk.initialized or tk.dictionary != jieba.DEFAULT_DICT:
        return tk.initialized
    path = os.path.join(tk.tmp_dir or tempfile.gettempdir(), tk.cache_file or "jieba.cache")
    try:
        with open(path, "rb") as f:
            freq, total = marshal.loads(f.read())
    except (OSError, ValueError, EOFError, TypeError):
        return False
    if not isinstance(freq, dict) or not isinstance(total, int):
        return False
    tk.FREQ, tk.total, tk.initialized = freq, total, True
    return True


@cache
def get_nlp() -> Any:
    """``spacy.blank("zh")`` with the jieba segmenter using our tokenizer."""
    return _blank_zh()


def _blank_zh() -> Any:
    """blank zh whose jieba segmenter is our tokenizer.  Built with the "char" segmenter
    and switched afterwards, because asking spaCy for "jieba" loads jieba's global
    dictionary a second time (about a second per process) only to be replaced."""
    import spacy

    nlp = spacy.blank("zh")
    nlp.tokenizer.jieba_seg = get_tokenizer()
    nlp.tokenizer.segmenter = "jieba"
    return nlp


@cache
def get_entity_nlp() -> Any:
    """A second blank-zh pipeline (same jieba tokenizer) ending in an ``entity_ruler`` with
    the token patterns of config/patterns/entities_spacy.jsonl; each span's ``ent_id_`` is
    the pattern id.  Separate from :func:`get_nlp` so tokenizing callers pay nothing."""
    nlp = _blank_zh()
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True, "overwrite_ents": True})
    ruler.add_patterns([{"id": r["id"], "label": r["label"], "pattern": r["pattern"]}
                        for r in load_spacy_patterns("entities_spacy.jsonl")])
    return nlp


@cache
def get_matcher(name: str) -> Any:
    """A ``Matcher(validate=True)`` with the patterns of a config/patterns spaCy pattern
    file over a Chinese vocab of its own (``matcher.vocab``: make the Docs it matches
    with it, from jieba tokens); match ids are the pattern ids.  The vocab is the one
    ``spacy.blank("zh")`` makes, without building that pipeline (which imports every
    language's tokenizer first)."""
    from spacy.lang.zh import Chinese
    from spacy.matcher import Matcher
    from spacy.vocab import create_vocab

    matcher = Matcher(create_vocab(Chinese.lang, Chinese.Defaults), validate=True)
    for rec in load_spacy_patterns(name):
        matcher.add(rec["id"], [rec["pattern"]])
    return matcher


def tokens(text: str) -> list[str]:
    """jieba tokens without whitespace tokens (for the indexed token array and shingles)."""
    return [t for t in get_tokenizer().lcut(text) if t.strip()]


# --- prose layout: table lines, wrapped lines, sentences ------------------------------
# Reader output renders tables inline (" | " cells, or "label |" lines, or layout rows
# with wide gaps from pdftotext -layout).  Prose extractors skip those lines and rejoin
# prose lines that a PDF wrapped in the middle of a sentence.
_TABLE_LINE = re.compile(r" \| |^\||\|$|\S {3,}\S|^[\d\s.,%/—–\-]*$")
_LAYOUT_GAP = re.compile(r"\S {3,}\S")  # _TABLE_LINE's alternatives without a pipe
_NUMBERS_ONLY = re.compile(r"[\d\s.,%/—–\-]*$")
_HEADING_START = re.compile(r"\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[、.．](?!\d))")
_SENTENCE = re.compile(r"[^。；！？!?;]+[。；！？!?;]*")
_SENT_END = "。；！？：:!?;"
_CLAUSE_MARK = re.compile("[，,]")
_FULL_STOP = re.compile("[。；;]")
_PUNCTUATED = re.compile("[。，；,]")
_WORD_END = re.compile(r"[\u4e00-\u9fff\d]")
_PAGE_NO = re.compile(r"^\s*[-—－]\s*\d{1,3}\s*[-—－]\s*$")
WRAP_MIN = 20  # a PDF line this long that ends without punctuation continues below


def is_table_line(line: str) -> bool:
    """True for table rows: " | " cells, flattened "label |" rows, layout rows, bare numbers.
    A prose sentence that a converter ended with a stray " |" is no row: one pipe at the
    end of a line with 。/； or a clause mark in a long line (row labels have neither)."""
    s = line.strip()
    return _table_shaped(s) and not _prose_with_pipe(s)


def _table_shaped(s: str) -> bool:
    """``_TABLE_LINE.search(s)`` for a stripped line, its alternatives tested with ``in``
    first: a prose line has no pipe and no run of three spaces, and its first character
    that is no digit/space/punctuation ends the bare-number test, so the regex is not
    tried at every character of the line."""
    if "|" in s:
        return bool(_TABLE_LINE.search(s))
    if "   " in s and _LAYOUT_GAP.search(s):
        return True
    return _NUMBERS_ONLY.match(s) is not None


def _prose_with_pipe(s: str) -> bool:
    if not s.endswith("|") or s.count("|") != 1:
        return False
    body = s[:-1].strip()
    return bool(_FULL_STOP.search(body)) or (len(body) >= 20 and bool(_CLAUSE_MARK.search(body)))


def _lines(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _wrapped_layout(text: str, lines: list[tuple[int, int]]) -> bool:
    """True when long prose lines mostly end mid-sentence (pdftotext output, not HTML)."""
    long = [text[s:e].strip() for s, e in lines if len(text[s:e].strip()) >= WRAP_MIN]
    open_ = [ln for ln in long if ln[-1] not in _SENT_END and not is_table_line(ln)]
    return len(long) > 0 and len(open_) > 0.3 * len(long)


def _continues(prev: str, line: str) -> bool:
    """Whether ``line`` continues the wrapped prose line ``prev``."""
    if len(prev) < WRAP_MIN or prev[-1] in _SENT_END or _HEADING_START.match(line):
        return False
    return not (_HEADING_START.match(prev) and not _PUNCTUATED.search(prev))


def _breaks_sentence(prev: str, line: str) -> bool:
    """A line break inside a sentence in any layout (an HTML ``<br>``, a converter's
    paragraph split): the line above ends without sentence punctuation and is prose (it
    ends with a clause mark, or has one and ends in a word), the line below is no heading.
    "…13件，上年结转政府信息公开" / "申请2件。" is one sentence."""
    if not prev or prev[-1] in _SENT_END or _HEADING_START.match(line):
        return False
    if prev[-1] in "，、,":
        return True
    head = _HEADING_START.match(prev)
    body = prev[head.end():] if head else prev
    return bool(_CLAUSE_MARK.search(body)) and _WORD_END.match(prev[-1]) is not None


_last_blocks: tuple[str, tuple[tuple[int, int], ...]] = ("", ())


def prose_blocks(text: str) -> list[tuple[int, int]]:
    """Spans of prose: one per paragraph line, wrapped PDF lines and sentences broken
    across lines joined, tables skipped.  The last text's blocks are remembered: claims,
    commitments and entities each ask for the same report's."""
    global _last_blocks
    if _last_blocks[0] is not text:
        _last_blocks = (text, tuple(_prose_blocks(text)))
    return list(_last_blocks[1])


def _prose_blocks(text: str) -> list[tuple[int, int]]:
    lines = _lines(text)
    wrapped = _wrapped_layout(text, lines)
    blocks: list[list[int]] = []
    prev = ""
    for start, end in lines:
        line = text[start:end]
        if wrapped and prev and (not line.strip() or _PAGE_NO.match(line)):
            continue  # a page break inside a wrapped paragraph: keep the paragraph open
        if not line.strip() or is_table_line(line):
            prev = ""
            continue
        if prev and ((wrapped and _continues(prev, line)) or _breaks_sentence(prev, line)):
            blocks[-1][1] = end
        else:
            blocks.append([start, end])
        prev = line.strip()
    return [(s, e) for s, e in blocks]


def sentence_spans(text: str, blocks: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Sentences (split on 。；！？ and at block ends), leading/trailing space trimmed."""
    spans = []
    for bs, be in prose_blocks(text) if blocks is None else blocks:
        for m in _SENTENCE.finditer(text, bs, be):
            s, e = m.start(), m.end()
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                spans.append((s, e))
    return spans
