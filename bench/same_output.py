"""Do ``analyse`` records stay the same?  A check for speed work that must not change output.

    python bench/same_output.py dump DIR FILE_OR_FOLDER...   # records of the code as it is
    python bench/same_output.py diff DIR FILE_OR_FOLDER...   # the same files again, compared

Each document's ``analyse()`` record (NER off, as ``check`` and ``ingest`` run it by
default; ``--ner`` for the model on) is written as sorted-key JSON to DIR, one file per
document; ``diff`` prints the documents whose record differs, with the first differing
top-level keys, and exits 1 if any does.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUFFIXES = {".txt", ".html", ".htm", ".docx", ".pdf", ".md"}


def documents(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for p in map(Path, paths):
        found.extend(sorted(f for f in p.rglob("*") if f.suffix in SUFFIXES) if p.is_dir() else [p])
    return found


def _key(path: Path) -> str:
    return "__".join(path.resolve().parts[-3:]) + ".json"


def _record(path: Path, ner: bool) -> str:
    from extractors.errors import DocumentError
    from extractors.pipeline import analyse

    try:
        record = analyse(path.read_bytes(), filename=path.name, use_ner=ner).record
    except DocumentError as exc:
        record = {"error": type(exc).__name__, "message": str(exc)}
    return json.dumps(record, sort_keys=True, ensure_ascii=False, indent=0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("dump", "diff"))
    ap.add_argument("dir")
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--ner", action="store_true")
    args = ap.parse_args(argv)
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    docs, changed = documents(args.paths), 0
    for path in docs:
        target = out / _key(path)
        now = _record(path, args.ner)
        if args.mode == "dump":
            target.write_text(now, encoding="utf-8")
            continue
        before = target.read_text(encoding="utf-8") if target.exists() else None
        if before != now:
            changed += 1
            old, new = json.loads(before or "{}"), json.loads(now)
            keys = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
            print(f"{path}: differs in {', '.join(keys[:6]) or '(missing dump)'}")
    print(f"{len(docs)} documents, {changed} changed" if args.mode == "diff"
          else f"{len(docs)} records written to {out}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
