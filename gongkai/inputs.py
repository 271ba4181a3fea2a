"""Expand ingest arguments into documents: files, folders (recursively), .zip and
.tar.gz/.tgz archives, and JSONL files of crawled pages.

Each yielded ``Item`` is one document's raw bytes with where it came from.  Input that is
bad at the container level (a truncated archive, an empty or invalid JSONL line) is
yielded as an ``Item`` with a ``failure`` so that it is stored with status ``failed`` and
a reason, like any other bad document, and the rest of the corpus still goes through.
Hand-written because it is only glue over the standard library's zipfile/tarfile/json.
"""
from __future__ import annotations

import json
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from extractors.errors import InputError

SKIP_NAMES = {".DS_Store", "Thumbs.db"}
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


def iter_items(paths: list[str]) -> Iterator[Item]:
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
                yield from _file_items(child)
        else:
            yield from _file_items(path)


def _file_items(path: Path) -> Iterator[Item]:
    name = path.name.lower()
    if name.endswith(".jsonl"):
        yield from _jsonl_items(path)
    elif _is_archive(path):
        yield from _archive_items(path)
    else:
        yield Item(data=path.read_bytes(), source=str(path), filename=path.name)


def _archive_items(path: Path) -> Iterator[Item]:
    data = path.read_bytes()
    try:
        if path.name.lower().endswith(".zip"):
            members = list(_zip_members(path))
        else:
            members = list(_tar_members(path))
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as exc:
        yield Item(data=data, source=str(path), filename=path.name,
                   failure=_failure(f"archive {path.name} is damaged or truncated "
                                    f"({type(exc).__name__}: {exc}); re-download it"))
        return
    for member_name, member_data in members:
        source = f"{path}!{member_name}"
        if member_name.lower().endswith(".jsonl"):
            yield from _jsonl_lines(member_data, source)
        else:
            yield Item(data=member_data, source=source, filename=Path(member_name).name)


def _zip_members(path: Path) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.is_dir() and Path(info.filename).name not in SKIP_NAMES:
                yield info.filename, archive.read(info)


def _tar_members(path: Path) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(path) as archive:
        for member in archive:
            if member.isfile() and Path(member.name).name not in SKIP_NAMES:
                handle = archive.extractfile(member)
                if handle is not None:
                    yield member.name, handle.read()


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
    url = page.get("url")
    kind = "page.html" if page.get("html") is not None else "page.txt"
    return Item(data=body.encode("utf-8"), source=url or where,
                filename=kind, meta={"url": url, "fetched_at": page.get("fetched_at"),
                                     "line": where})
