"""Research query rows as CSV (csv module), JSON Lines or Parquet (pyarrow), written as a
stream of byte chunks so that neither the server nor the CLI holds a whole export.

No MongoDB here: rows come from ``storage.research.export_rows``; the column types come
from ``storage.research_spec`` (a Parquet file has one schema for every row group, so
types are declared, not guessed from the first rows).  Only the choice of columns and the
spreadsheet-formula guard are written here.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from storage.research_spec import SPECS

FORMATS = ("csv", "jsonl", "parquet")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson",
               "parquet": "application/vnd.apache.parquet"}
BATCH_ROWS = 5000


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _coerce(kind: str, value: Any) -> Any:
    """A stored value as its declared column type (None when it is not one)."""
    if value is None:
        return None
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return bool(value)
    except (TypeError, ValueError):
        return None
    if kind == "json":
        return _json(value)
    return str(value)


def _safe(value: Any) -> Any:
    """Spreadsheet cells that start like a formula are written as text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _types(collection: str, fields: list[str]) -> list[str]:
    spec = SPECS[collection]
    return [spec.fields[f][1] for f in fields]


def csv_chunks(collection: str, fields: list[str], rows: Iterable[dict]) -> Iterator[bytes]:
    types = _types(collection, fields)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(fields)
    yield ("\ufeff" + buf.getvalue()).encode("utf-8")  # a BOM: spreadsheets read UTF-8
    n = 0
    for row in rows:
        if n == 0:
            buf.seek(0)
            buf.truncate()
        writer.writerow([_safe(_json(row.get(f)) if t == "json" else row.get(f))
                         for f, t in zip(fields, types)])
        n += 1
        if n == BATCH_ROWS:
            yield buf.getvalue().encode("utf-8")
            n = 0
    if n:
        yield buf.getvalue().encode("utf-8")


def jsonl_chunks(collection: str, fields: list[str], rows: Iterable[dict]) -> Iterator[bytes]:
    lines: list[str] = []
    for row in rows:
        lines.append(json.dumps({f: row.get(f) for f in fields}, ensure_ascii=False,
                                default=str))
        if len(lines) == BATCH_ROWS:
            yield ("\n".join(lines) + "\n").encode("utf-8")
            lines = []
    if lines:
        yield ("\n".join(lines) + "\n").encode("utf-8")


class _Sink(io.RawIOBase):
    """A write-only file that keeps what was written until it is drained."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.pos = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        b = bytes(data)
        self.parts.append(b)
        self.pos += len(b)
        return len(b)

    def tell(self) -> int:
        return self.pos

    def drain(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def parquet_schema(collection: str, fields: list[str]):
    import pyarrow as pa

    kinds = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(),
             "bool": pa.bool_(), "json": pa.string()}
    return pa.schema([(f, kinds[t]) for f, t in zip(fields, _types(collection, fields))])


def _column(values: list, kind: str, arrow_type):
    """One Arrow column; values that are not of the declared type become null (a rare
    slow path: stored values are typed already)."""
    import pyarrow as pa

    if kind == "json":
        return pa.array([_json(v) for v in values], type=arrow_type)
    try:
        return pa.array(values, type=arrow_type)
    except (TypeError, ValueError, pa.ArrowException):
        return pa.array([_coerce(kind, v) for v in values], type=arrow_type)


def parquet_chunks(collection: str, fields: list[str], rows: Iterable[dict]) -> Iterator[bytes]:
    """Row groups of BATCH_ROWS rows, each written (and handed on) as soon as it is full."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(collection, fields)
    types = _types(collection, fields)
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")

    def flush(batch: list[dict]) -> bytes:
        columns = [_column([r.get(f) for r in batch], t, schema.field(i).type)
                   for i, (f, t) in enumerate(zip(fields, types))]
        writer.write_table(pa.Table.from_arrays(columns, schema=schema))
        return sink.drain()

    batch: list[dict] = []
    written = False
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            yield flush(batch)
            batch, written = [], True
    if batch or not written:
        yield flush(batch)
    writer.close()
    yield sink.drain()


def chunks(fmt: str, collection: str, fields: list[str], rows: Iterable[dict]) -> Iterator[bytes]:
    """The export of ``rows`` in ``fmt`` (csv | jsonl | parquet), chunk by chunk."""
    writer = {"csv": csv_chunks, "jsonl": jsonl_chunks, "parquet": parquet_chunks}[fmt]
    return writer(collection, fields, rows)
