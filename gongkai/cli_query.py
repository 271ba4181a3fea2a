"""``gongkai query COLLECTION``: the research API's queries from the command line (the same
typed filters, storage.research underneath).  ``--format table`` or ``json`` prints one
page (``json`` with the cursor of the next); ``csv``, ``jsonl`` and ``parquet`` write
every matching row to stdout or ``--out``.  Registered on the main group by gongkai/cli.py.
"""
from __future__ import annotations

import json
import sys

import click
from pydantic import ValidationError

from storage.research_params import MAX_EXPORT, MAX_PAGE, QueryError, ResearchQuery
from storage.research_spec import COLLECTIONS

_LIST = ("measure", "topic", "kind", "status", "severity", "state", "template", "level", "scope",
         "cell_state")
_ONE = ("body", "body_key", "region", "metric", "column", "report", "code", "year",
        "value_min", "value_max", "text", "sort", "cursor")


class BadQuery(click.ClickException):
    """A parameter that does not validate: one line, exit status 2 (as for usage)."""

    exit_code = 2


def _help(name: str, repeat: bool = False) -> str | None:
    text = ResearchQuery.model_fields[name].description or ""
    return (text + "; repeat or separate with commas").lstrip("; ") if repeat else text or None


def _options(f):
    for name in reversed(_ONE):
        kind = float if name.startswith("value_") else str
        f = click.option(f"--{name.replace('_', '-')}", name, type=kind, default=None,
                         help=_help(name))(f)
    for name in reversed(_LIST):
        f = click.option(f"--{name.replace('_', '-')}", name, multiple=True,
                         help=_help(name, repeat=True))(f)
    return f


def build_query(values: dict) -> ResearchQuery:
    """The typed query of the command's options; a click.UsageError (one line) if bad."""
    data = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()
            if v not in (None, (), [], False)}
    try:
        return ResearchQuery(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = "--" + str(err["loc"][0]).replace("_", "-") if err.get("loc") else "query"
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        raise BadQuery(f"{where}: {msg}") from exc


def _table(rows: list[dict], fields: list[str]) -> str:
    def text(v) -> str:
        s = "" if v is None else json.dumps(v, ensure_ascii=False) if isinstance(
            v, (list, dict)) else str(v)
        return s.replace("\n", " ")[:60]

    cells = [[text(r.get(f)) for f in fields] for r in rows]
    widths = [max([len(f)] + [_width(c[i]) for c in cells]) for i, f in enumerate(fields)]
    lines = ["  ".join(_pad(f, w) for f, w in zip(fields, widths))]
    lines += ["  ".join(_pad(v, w) for v, w in zip(c, widths)) for c in cells]
    return "\n".join(lines)


def _width(s: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _width(s))


@click.command()
@click.argument("collection", type=click.Choice(COLLECTIONS))
@_options
@click.option("--renderings", is_flag=True, help="Also rows of renderings (counted once otherwise).")
@click.option("--fields", default=None, help="Comma-separated output fields.")
@click.option("--desc", is_flag=True, help="Sort descending.")
@click.option("--limit", type=int, default=None,
              help=f"table/json: rows per page (default 100, at most {MAX_PAGE}); "
                   f"exports: at most this many rows (default {MAX_EXPORT}).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "jsonl", "parquet"]),
              default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the export to FILE (parquet needs it unless stdout is redirected).")
@click.pass_context
def query(ctx, collection, renderings, fields, desc, limit, fmt, out, **filters) -> None:
    """Query stored COLLECTION (reports, cells, claims, commitments, findings), e.g.
    `gongkai query cells --measure applications_received --year 2020..2024 --format csv`."""
    from gongkai.cli import _store
    from storage import research, research_export

    exporting = fmt in research_export.FORMATS
    values = {**filters, "renderings": renderings, "desc": desc,
              "fields": fields.split(",") if fields else None,
              ("export_limit" if exporting else "limit"): limit}
    q = build_query(values)
    store = _store(ctx)
    try:
        if exporting:
            _export(store.db, collection, q, fmt, out)
        else:
            result = research.page(store.db, collection, q)
            click.echo(json.dumps(result, ensure_ascii=False, default=str) if fmt == "json"
                       else _table(result["items"], result["fields"]))
    except QueryError as err:
        raise BadQuery(f"--{err.param.replace('_', '-')}: {err.message}") from err
    except (research.CursorError, research.ExportTooLarge) as err:
        raise click.ClickException(str(err)) from err
    finally:
        store.close()


def _export(db, collection: str, q: ResearchQuery, fmt: str, out: str | None) -> None:
    from storage import research, research_export

    if fmt == "parquet" and out is None and sys.stdout.isatty():
        raise BadQuery("parquet is binary: give --out FILE or redirect stdout")
    fields, rows = research.export_rows(db, collection, q)
    chunks = research_export.chunks(fmt, collection, fields, rows)
    if out:
        with open(out, "wb") as stream:
            stream.writelines(chunks)
    else:
        sys.stdout.buffer.writelines(chunks)
        sys.stdout.buffer.flush()


def register(main: click.Group) -> None:
    main.add_command(query)
