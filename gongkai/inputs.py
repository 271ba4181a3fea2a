"""Expand ingest arguments into documents: files, folders (recursively), .zip and
.tar.gz/.tgz archives, and JSONL files of crawled pages.

Each yielded ``Item`` is one document's raw bytes with where it came from.  Input that is
bad at the container level (a truncated archive, an empty or invalid JSONL line) is
yielded as an ``Item`` with a ``failure`` so that it is stored with status ``failed`` and
a reason, like any other bad document, and the rest of the corpus still goes through.

Archive members are bounded before anything is read into memory or stored: a member
larger than ``max_document_mb`` or expanding more than ``max_archive_ratio`` times its
compressed size (a zip bomb) becomes a failed item whose stored bytes are a short note
naming the member, never its expanded content; so does the rest of an archive once all
it expanded passes that ratio of the archive's size.
Hand-written because it is only glue over the standard library's zipfile/tarfile/json.
"""
from __future__ import annotations

import json
import lzma
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from extractors.errors import InputError

SKIP_NAMES = {".DS_Store", "Thumbs.db"}
RATIO_FLOOR = 1 << 20  # members expanding to less than this are not refused for their ratio


@dataclass(frozen=True)
class Limits:
    """How far an archive member may expand (settings ``max_document_mb`` and
    ``max_archive_ratio``; the defaults are theirs)."""

    max_member_bytes: int = 20 << 20
    max_ratio: float = 100.0

    @classmethod
    def from_settings(cls, settings) -> Limits:
        return cls(settings.max_document_bytes, settings.max_archive_ratio)


class _Refused(Exception):
    """A member over the limits: its reason; nothing of it is kept."""
SKIP_SUFFIXES = {".json", ".md", ".tsv"}  # annotations and manifests beside the reports


@dataclass
class Item:
    data: bytes
    source: str  # path, archive member ("a.zip!x/y.txt") or URL
    filename: str | None = None
    meta: dict = field(default_factory=dict)  # url, fetched_at
    failure: dict | None = None


def _failure(message: str) -> dict:
    return {"code": InputError.code, "error": "InputError", "message": message}


def _is_archive(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".zip", ".tar.gz", ".tgz", ".tar"))


def iter_items(paths: list[str], limits: Limits | None = None) -> Iterator[Item]:
    limits = limits or Limits()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{raw}: no such file or folder")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name in SKIP_NAMES or child.suffix.lower() in SKIP_SUFFIXES:
                    continue
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                yield from _file_items(child, limits)
        else:
            yield from _file_items(path, limits)


def _file_items(path: Path, limits: Limits) -> Iterator[Item]:
    name = path.name.lower()
    if name.endswith(".jsonl"):
        yield from _jsonl_items(path)
    elif _is_archive(path):
        yield from _archive_items(path, limits)
    else:
        yield Item(data=path.read_bytes(), source=str(path), filename=path.name)


def _archive_items(path: Path, limits: Limits) -> Iterator[Item]:
    data = path.read_bytes()
    budget = _Budget(limits, len(data))
    try:
        if path.name.lower().endswith(".zip"):
            members = list(_zip_members(path, budget))
        else:
            members = list(_tar_members(path, budget))
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError, zlib.error, lzma.LZMAError,
            RuntimeError, NotImplementedError) as exc:  # a bad stream, encrypted, unknown compression
        yield Item(data=data, source=str(path), filename=path.name,
                   failure=_failure(f"archive {path.name} is damaged or truncated "
                                    f"({type(exc).__name__}: {exc}); re-download it"))
        return
    for member_name, member_data in members:
        source = f"{path}!{member_name}"
        if isinstance(member_data, _Refused):
            yield _refused_item(source, member_name, str(member_data))
        elif member_name.lower().endswith(".jsonl"):
            yield from _jsonl_lines(member_data, source)
        else:
            yield Item(data=member_data, source=source, filename=Path(member_name).name)


class _Budget:
    """The limits applied to one archive's members, and what they expanded to so far."""

    def __init__(self, limits: Limits, archive_bytes: int) -> None:
        self.limits, self.archive_bytes, self.expanded = limits, max(archive_bytes, 1), 0
        self.spent = False  # the whole archive passed its ratio: the rest is refused unread

    def check(self, size: int, compressed: int | None) -> None:
        """Raise :class:`_Refused` for a member of ``size`` bytes (``compressed`` on disk)."""
        mb, lim = size / 2**20, self.limits
        if self.spent:
            raise _Refused("the archive already expanded past its ratio limit; this member was not read")
        if size > lim.max_member_bytes:
            raise _Refused(f"expands to {mb:.1f} MB, over the limit of {lim.max_member_bytes / 2**20:.0f} MB "
                           "(setting max_document_mb)")
        ratio = size / max(compressed or 1, 1)
        if compressed is not None and size > RATIO_FLOOR and ratio > lim.max_ratio:
            raise _Refused(f"expands {ratio:.0f} times ({compressed / 2**20:.2f} MB to {mb:.1f} MB), over the "
                           f"limit of {lim.max_ratio:g} (setting max_archive_ratio): a zip bomb or a damaged file")
        if self.expanded + size > max(lim.max_ratio * self.archive_bytes, RATIO_FLOOR):
            self.spent = True
            raise _Refused(f"the archive expands more than {lim.max_ratio:g} times its "
                           f"{self.archive_bytes / 2**20:.2f} MB (setting max_archive_ratio); "
                           "this member and the rest were not read")
        self.expanded += size

    def read(self, handle, size: int) -> bytes:
        """The member's bytes, reading no more than its declared size allows."""
        data = handle.read(self.limits.max_member_bytes + 1)
        if len(data) > max(size, 0):  # the header understated the size
            self.spent = True
            raise _Refused(f"expands past its declared {size} bytes: a damaged or forged archive; "
                           "this member and the rest were not read")
        return data


def _refused_item(source: str, member: str, reason: str) -> Item:
    """A refused member: stored as a short note (never its content), status failed."""
    note = f"gongkai: archive member not stored\n{source}\n{reason}\n".encode()
    return Item(data=note, source=source, filename=Path(member).name,
                failure=_failure(f"archive member {member} {reason}; not stored: "
                                 "extract it and check it, or raise the limit"))


def _zip_members(path: Path, budget: _Budget) -> Iterator[tuple[str, bytes | _Refused]]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir() or Path(info.filename).name in SKIP_NAMES:
                continue
            try:
                budget.check(info.file_size, info.compress_size)
                with archive.open(info) as handle:
                    yield info.filename, budget.read(handle, info.file_size)
            except _Refused as refused:
                yield info.filename, refused


def _tar_members(path: Path, budget: _Budget) -> Iterator[tuple[str, bytes | _Refused]]:
    with tarfile.open(path) as archive:
        for member in archive:
            if not member.isfile() or Path(member.name).name in SKIP_NAMES:
                continue
            try:
                budget.check(member.size, None)  # compressed as a whole: the archive's ratio
                handle = archive.extractfile(member)
                if handle is not None:
                    yield member.name, budget.read(handle, member.size)
            except _Refused as refused:
                yield member.name, refused


def _jsonl_items(path: Path) -> Iterator[Item]:
    yield from _jsonl_lines(path.read_bytes(), str(path))


def _jsonl_lines(data: bytes, source: str) -> Iterator[Item]:
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # the newline that ends the last line
    for number, line in enumerate(lines, start=1):
        where = f"{source}:{number}"
        if not line.strip():
            yield Item(data=line, source=where,
                       failure=_failure(f"line {number} of {source} is empty"))
            continue
        yield _jsonl_item(line, where, number)


def _jsonl_item(line: bytes, where: str, number: int) -> Item:
    try:
        page = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return Item(data=line, source=where,
                    failure=_failure(f"line {number}: not valid JSON ({exc})"))
    if not isinstance(page, dict):
        return Item(data=line, source=where,
                    failure=_failure(f"line {number}: expected a JSON object"))
    body = page.get("html") if page.get("html") is not None else page.get("text")
    if not isinstance(body, str):
        return Item(data=line, source=where,
                    failure=_failure(f"line {number}: needs an \"html\" or \"text\" string"))
    url, fetched = (v if isinstance(v, str) else None for v in (page.get("url"), page.get("fetched_at")))
    kind = "page.html" if page.get("html") is not None else "page.txt"
    # "replace": a lone surrogate ("\ud800" is valid JSON) has no UTF-8 form
    return Item(data=body.encode("utf-8", "replace"), source=url or where,
                filename=kind, meta={"url": url, "fetched_at": fetched, "line": where})
