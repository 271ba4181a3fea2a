"""``gongkai stats NAME [filters] --format table|csv|json``: the corpus statistics of
storage/stats.py from the command line (the same rows as ``GET /api/stats/NAME``).
Registered on the main group by gongkai/cli.py; global options (``--db-name``,
``--mongo-url``…) go before ``stats``."""
from __future__ import annotations

import json
import re

import click

LEVELS = ["national", "province", "city", "county", "district", "township", "department"]
TEMPLATES = ["pre2019", "2019trial", "2021", "unknown"]


def _years(value: str | None) -> tuple[int | None, int | None]:
    """"2020", "2019..2024", "2019..", "..2024" → (from, to), as the research API reads them."""
    from storage.research_params import parse_years

    try:
        return parse_years(value) or (None, None)
    except ValueError as exc:
        raise _fail(f"--year {value!r}: {exc}") from exc


def _table(result: dict) -> str:
    cols = result["columns"]
    cells = [[_fmt(r.get(c)) for c in cols] for r in result["rows"]]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


class _OneLine(click.Command):
    """Bad arguments end in one line saying what to do (no usage block)."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise click.ClickException(f"{exc.format_message()} (gongkai stats --help)") from exc


def _fail(message: str) -> click.ClickException:
    return click.ClickException(f"{message} (gongkai stats --help)")


@click.command(cls=_OneLine)
@click.argument("name", type=click.Choice(["reports", "rules", "prose", "timeliness",
                                           "distribution"]))
@click.option("--year", "years", help="A year or a range: 2020, 2019..2024.",
              callback=lambda ctx, param, v: _years(v))
@click.option("--level", type=click.Choice(LEVELS))
@click.option("--region", help="Prefix of the stored region (江苏, 淮安市).")
@click.option("--template", type=click.Choice(TEMPLATES))
@click.option("--by", "by", multiple=True,
              type=click.Choice(["year", "region", "level", "template"]),
              help="reports / distribution: group by (repeatable).")
@click.option("--code", help="rules: a rule code or its prefix (PROSE.).")
@click.option("--by-level", is_flag=True, help="prose: per year and level.")
@click.option("--measure", help="distribution: a harmonised measure id.")
@click.option("--metric", help="distribution: one table cell, key@column.")
@click.option("--bins", type=click.IntRange(2, 50), default=10, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.pass_context
def stats(ctx, name, years, level, region, template, by, code, by_level, measure, metric,
          bins, fmt) -> None:
    """Corpus statistics (each report counted once): reports, rules, prose, timeliness,
    distribution."""
    from storage import stats as st
    from storage.store import Store

    if name == "distribution" and bool(measure) == bool(metric):
        raise _fail("distribution needs exactly one of --measure or --metric")
    if metric and not re.fullmatch(r"[a-z0-9_.]+@[a-z0-9_]+", metric):
        raise _fail(f"--metric {metric!r}: key@column, e.g. t3.new@total")
    lo, hi = years
    flt = st.StatsFilter(year_from=lo, year_to=hi, level=level, region=region, template=template)
    store = Store.from_settings(ctx.obj["settings"])
    dims = list(by) or None
    if name == "distribution" and dims and not set(dims) <= {"level", "year"}:
        raise _fail("distribution groups --by level and/or year")
    try:
        result = st.run(store.db, name, flt, by=dims, code_prefix=code, by_level=by_level,
                        measure=measure, metric=metric, bins=bins)
    except KeyError as exc:
        raise click.ClickException(f"no measure {exc.args[0]!r}; see config/measures.yaml") from exc
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, default=str))
    elif fmt == "csv":
        from web.routes_stats import csv_of

        click.echo(csv_of(result), nl=False)
    else:
        click.echo(_table(result))


def register(main: click.Group) -> None:
    main.add_command(stats)
