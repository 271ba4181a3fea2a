"""The ``gongkai`` command line: each command parses arguments and calls an importable
function (ingest, check, reports, show, worker, db, evaluate)."""
from __future__ import annotations

import errno
import json
import logging
import sys

import click

from extractors.errors import GongkaiError
from config import settings as settings_mod


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def _settings(ctx: click.Context):
    return ctx.obj["settings"]


class _Main(click.Group):
    """Every failure a user can hit ends in one line, never a traceback: gongkai's own
    errors with their code, unreadable files, an unreachable database or broker."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GongkaiError as exc:
            raise click.ClickException(f"{exc.code} {exc.message}") from exc
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise click.ClickException(_disk_full(exc)) from exc
            raise click.ClickException(_one_line(exc)) from exc
        except Exception as exc:
            service = _service_error(exc, ctx)
            if service:
                raise click.ClickException(service) from exc
            if type(exc).__module__.split(".")[0] in _SERVICE_MODULES:
                raise click.ClickException(
                    f"{type(exc).__name__}: {_one_line(exc)} (is the database/broker "
                    "reachable? see `gongkai db status`, mongo_url, broker_url)") from exc
            raise


_SERVICE_MODULES = {"pymongo", "bson", "gridfs", "kombu", "redis", "amqp", "celery"}


def _disk_full(exc: BaseException) -> str:
    return (f"E504 no space left on the database's disk ({_one_line(exc)[:100]}): free "
            "space (or move data_dir), then run the same command again; what was stored "
            "is kept, queued")


def _service_error(exc: BaseException, ctx: click.Context) -> str | None:
    """One line for an unreachable or full database."""
    pe = sys.modules.get("pymongo.errors")
    if pe is None:  # no database was used: not a database error (and --help stays light)
        return None
    s = (ctx.obj or {}).get("settings")
    where = (s.mongo_url if s and s.mongo_url else "the embedded store") if s else "MongoDB"
    if isinstance(exc, (pe.ServerSelectionTimeoutError, pe.AutoReconnect,
                        pe.ConnectionFailure)):
        return (f"E501 the database ({where}) is unreachable ({_one_line(exc)[:120]}): "
                "start MongoDB or fix mongo_url (`gongkai db status` for the embedded "
                "store), then run the same command again")
    text = str(exc)
    if isinstance(exc, pe.PyMongoError) and ("No space left" in text or "ENOSPC" in text
                                            or "disk full" in text.lower()
                                            or _embedded_disk_full(s)):
        return _disk_full(exc)
    return None


def _embedded_disk_full(s) -> bool:
    """The embedded server answers a full disk with a bare internal error: look."""
    import shutil

    if s is None or s.mongo_url:
        return False
    try:
        return shutil.disk_usage(s.data_path).free < 16 * 1024 * 1024
    except OSError:
        return False


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


@click.group(cls=_Main)
@click.option("--settings", "settings_file", type=click.Path(dir_okay=False),
              help="Settings file (default: ./gongkai.toml if present).")
@click.option("--mongo-url", default=None, help="MongoDB URL (default: embedded server).")
@click.option("--broker-url", default=None, help="Celery broker URL (default: run locally).")
@click.option("--data-dir", default=None, help="Folder of the embedded store.")
@click.option("--db-name", default=None, help="Database name.")
@click.pass_context
def main(ctx: click.Context, settings_file, mongo_url, broker_url, data_dir, db_name) -> None:
    """gongkai: audit government information-disclosure annual reports."""
    try:
        s = settings_mod.load_settings(settings_file, mongo_url=mongo_url,
                                       broker_url=broker_url, data_dir=data_dir,
                                       db_name=db_name)
    except GongkaiError as exc:
        raise click.UsageError(exc.message) from exc
    # The resolved settings travel explicitly (ctx.obj, the local pool's task arguments,
    # the worker command's process): the caller's os.environ is never written.
    logging.basicConfig(level=s.log_level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"settings": s}


def _store(ctx: click.Context):
    from storage.store import Store

    store = Store.from_settings(_settings(ctx))
    store.setup()
    return store


# ------------------------------------------------------------------------- check
@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines (the check contract).")
@click.option("--text", "as_text", is_flag=True, help="Print the normalized text offsets point into.")
@click.option("--ner/--no-ner", "ner", default=None,
              help="Run the statistical NER model besides the entity rules (default: the ner setting, off).")
@click.pass_context
def check(ctx, files, as_json, as_text, ner) -> None:
    """Parse, extract and cross-check FILES locally (no database, no broker); several
    files are also related to one another as ingest relates them (renderings of one
    report, cross-year and near-duplicate findings)."""
    from gongkai.check import analyse_inputs, check_paths

    paths = list(files)
    use_ner = _settings(ctx).ner if ner is None else ner
    results = (analyse_inputs(paths, use_ner=use_ner) if as_text
               else check_paths(paths, use_ner=use_ner,
                                cap=_settings(ctx).duplicate_candidates))
    failed = False
    for item in results:
        if item.error is not None:
            failed = True
            out = {"source": item.source, "error": item.error}
            click.echo(_dump(out) if as_json else
                       f"{item.source}: {item.error.get('code')} {item.error.get('message')}")
        elif as_text:
            click.echo(item.text)
        elif as_json:
            click.echo(_dump(item.record))
        else:
            click.echo(_human_check(item.record))
    sys.exit(1 if failed else 0)


def _human_check(rec: dict) -> str:
    r = rec["report"]
    lines = [f"{rec['source']}: {r.get('body')} {r.get('year')} · template {r.get('template')}"
             f" · {len(rec['table']['cells'])} cells · {len(rec['claims'])} claims · "
             f"{len(rec['commitments'])} commitments · {len(rec['findings'])} findings"]
    lines += _rendering_lines(rec)
    if (rec.get("duplicate_check") or {}).get("status") == "truncated":
        lines.append(f"  [truncated] near-duplicate check: {rec['duplicate_check']['message']}")
    for f in rec["findings"]:
        lines.append(f"  [{f['status']}] {f['code']}: {f['message']}")
    return "\n".join(lines)


def _rendering_lines(rec: dict) -> list[str]:
    of = rec.get("rendering_of")
    lines = [f"  rendering of {of['id'][:12]} {of.get('source')} (the same report)"] if of else []
    lines += [f"  rendered also as {r['id'][:12]} {r.get('source')}"
              for r in rec.get("renderings") or []]
    return lines


# ------------------------------------------------------------------------- ingest
@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--wait/--no-wait", default=False,
              help="With a broker: wait for the workers and show progress.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--force", is_flag=True, help="Process again even if already done.")
@click.option("--workers", type=int, default=None, help="Local processes (no broker).")
@click.pass_context
def ingest(ctx, paths, wait, as_json, force, workers) -> None:
    """Store and process PATHS: files, folders, .zip/.tar.gz archives, JSONL of pages."""
    import time

    from tqdm import tqdm

    from gongkai import ingest as ing

    s = _settings(ctx)
    if s.broker_url:  # before anything is stored: no report waits on a broker that is away
        from worker.sweep import queue_sizes

        queue_sizes(s)
    store = _store(ctx)
    summary = ing.IngestSummary(mode="celery" if s.broker_url else "local")
    started = time.monotonic()
    ing.store_inputs(store, list(paths), summary, ing.Limits.from_settings(s))
    todo = ing.pending(store, summary.ids, force)
    bar = tqdm(total=len(todo), unit="doc", disable=as_json or not todo, file=sys.stderr)
    tally = {"done": 0, "failed": 0}

    def progress(result: dict) -> None:
        if result.get("skipped"):
            return
        tally["failed" if result.get("status") == "failed" else "done"] += 1
        bar.update(1)
        bar.set_postfix(done=tally["done"], failed=tally["failed"])

    try:
        ing.dispatch(s, store, summary, todo, force, wait, workers, progress,
                     lambda c: _bar_counts(bar, c), lambda m: bar.write(m, file=sys.stderr))
    except KeyboardInterrupt:
        bar.close()
        left = work_left(store, summary.ids)
        click.echo(f"interrupted: {left} reports not finished, none left processing; "
                   "run the same command again to resume", err=True)
        sys.exit(130)
    bar.close()
    summary.seconds = time.monotonic() - started
    ing.finish(store, summary)
    _print_summary(summary, as_json, waited=wait or not s.broker_url)
    if summary.unfinished and (wait or not s.broker_url):
        click.echo(f"E505 {summary.unfinished} reports unfinished ("
                   + ", ".join(f"{k} {summary.status[k]}" for k in ("queued", "processing",
                                                                   "pending")
                               if summary.status.get(k))
                   + f"): {summary.unfinished_reason or 'held by another process'}; "
                   "run the same command again to resume", err=True)
    waited = wait or not s.broker_url
    sys.exit(0 if summary.ok or (not waited and not summary.status.get("failed")) else 1)


def work_left(store, ids: list[str]) -> int:
    from storage import work

    try:
        return work.unfinished(work.progress(store.db, ids))
    except Exception:  # noqa: BLE001 - the store went away too: say what we know
        return len(ids)


def _bar_counts(bar, counts: dict[str, int]) -> None:
    finished = counts.get("done", 0) + counts.get("failed", 0)
    bar.n = min(finished, bar.total)
    bar.set_postfix(done=counts.get("done", 0), failed=counts.get("failed", 0),
                    remaining=counts.get("queued", 0) + counts.get("processing", 0)
                    + counts.get("pending", 0))
    bar.refresh()


def _print_summary(summary, as_json: bool, waited: bool) -> None:
    if as_json:
        click.echo(_dump(summary.to_dict()))
        return
    st = summary.status
    click.echo(f"{summary.documents} documents, {len(summary.ids)} distinct "
               f"({summary.new} new, {summary.duplicates} already stored) · "
               f"{summary.reports} reports · mode {summary.mode}")
    if summary.mode == "celery" and not waited:
        click.echo(f"enqueued {summary.enqueued}; follow with `gongkai reports`")
    click.echo("status: " + ", ".join(f"{k} {v}" for k, v in sorted(st.items())))
    for r in summary.renderings:
        click.echo(f"  rendering {r['id'][:12]} {r.get('source')} is the report "
                   f"{r['rendering_of'][:12]} {r.get('of_source')} (counted once)")
    for f in summary.failed:
        click.echo(f"  failed {f['id'][:12]} {f.get('source')}: {f.get('code')} {f.get('message')}")
    done = summary.settled
    if done.get("settled"):
        click.echo(f"near-duplicates past the cap settled: {done['settled']} reports, "
                   f"{done['checked']} pairs checked, {done['dropped']} dropped")


@main.command()
@click.option("--failed", is_flag=True, help="Retry the reports stored as failed.")
@click.option("--all", "everything", is_flag=True, help="Redo every stored report.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--workers", type=int, default=None)
@click.pass_context
def reprocess(ctx, failed, everything, as_json, workers) -> None:
    """Bring stored reports up to the current versions (a new rule set only re-evaluates
    findings from the stored tables and claims; new extractors re-parse)."""
    import time

    from gongkai import ingest as ing

    s = _settings(ctx)
    store = _store(ctx)
    query = {"status": "failed"} if failed else {}
    summary = ing.IngestSummary(mode="celery" if s.broker_url else "local")
    summary.ids = [d["_id"] for d in store.db.reports.find(query, {"_id": 1})]
    started = time.monotonic()
    force = failed or everything
    todo = ing.pending(store, summary.ids, force)
    ing.dispatch(s, store, summary, todo, force, True, workers, lambda r: None, lambda c: None,
                 lambda m: click.echo(m, err=True), settle_all=True)
    summary.seconds = time.monotonic() - started
    ing.finish(store, summary)
    _print_summary(summary, as_json, waited=True)
    sys.exit(0 if summary.ok else 1)


@main.command()
@click.option("--settle", is_flag=True, required=True,
              help="Bring the near-duplicate findings of reports past the candidate cap to "
                   "what they are in any arrival order.")
@click.option("--year", "years", type=int, multiple=True, help="Only these years.")
@click.option("--all", "everything", is_flag=True,
              help="Every report past the cap, not only those marked to be settled.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def relate(ctx, settle, years, everything, as_json) -> None:
    """Relate stored reports again (``--settle``: the near-duplicate findings past the
    ``duplicate_candidates`` cap; ingest and reprocess do this by themselves)."""
    from worker.duplicates import settle as settle_marked

    stats = settle_marked(_store(ctx), list(years) or None, _settings(ctx).duplicate_candidates,
                          everything=everything)
    if as_json:
        click.echo(_dump(stats))
        return
    click.echo(f"settled {stats['settled']} reports past the cap: {stats['checked']} pairs "
               f"checked, {stats['dropped']} dropped, {stats['unmarked']} back within the cap")


# ------------------------------------------------------------------------- reports / show
@main.command()
@click.option("--status", type=click.Choice(["queued", "processing", "done", "failed"]))
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", type=int, default=0)
@click.option("--renderings", "with_renderings", is_flag=True,
              help="Also list the renderings of a report (same report in another form) "
                   "as rows of their own.")
@click.pass_context
def reports(ctx, status, as_json, limit, with_renderings) -> None:
    """List stored reports with status and counts (a report stored in several forms
    once, with its renderings)."""
    rows = _store(ctx).list_reports(status, limit, renderings=with_renderings)
    for doc in rows:
        src = (doc.get("sources") or [{}])[0].get("source")
        rep = doc.get("report") or {}
        item = {"id": doc["_id"], "status": doc["status"], "source": src,
                "body": rep.get("body"), "year": rep.get("year"),
                "template": rep.get("template"), "counts": doc.get("counts"),
                "error": doc.get("error"), "rendering_of": doc.get("rendering_of"),
                "renderings": doc.get("renderings") or []}
        if as_json:
            click.echo(_dump(item))
            continue
        c = doc.get("counts") or {}
        tail = (f"{c.get('cells', 0)} cells {c.get('claims', 0)} claims "
                f"{c.get('findings', 0)} findings ({c.get('fail', 0)} fail)"
                if doc["status"] == "done" else
                (doc.get("error") or {}).get("message", ""))
        if doc.get("rendering_of"):
            tail += f" · rendering of {doc['rendering_of'][:12]}"
        click.echo(f"{doc['_id'][:12]}  {doc['status']:<10} {rep.get('year') or '':<5} "
                   f"{rep.get('template') or '':<9} {src}  {tail}")
        for r in item["renderings"]:
            click.echo(f"{'':14}rendered also as {r['id'][:12]} {r.get('source')}")


@main.command()
@click.argument("report_ids", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--text", "as_text", is_flag=True, help="Print the stored normalized text.")
@click.pass_context
def show(ctx, report_ids, as_json, as_text) -> None:
    """Print stored reports (ids or unique prefixes) with their table, claims,
    commitments and findings; --json prints one JSON object per report."""
    store = _store(ctx)
    full_ids = {rid: store.resolve_id(rid) for rid in report_ids}
    records = {rid: store.full_record(fid) if fid else None for rid, fid in full_ids.items()}
    missing = [rid for rid, rec in records.items() if rec is None]
    if missing:
        raise click.ClickException(f"no stored report with id {', '.join(missing)}")
    for rid, record in records.items():
        if as_text:
            click.echo(store.get_text(full_ids[rid]) or "")
        elif as_json:
            click.echo(_dump(record))
        else:
            click.echo(_human_check(record) if record["status"] == "done" else
                       f"{record['source']}: {record['status']} {record.get('error')}")


# ------------------------------------------------------------------------- worker / db
@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--concurrency", "-c", type=int, default=None)
@click.option("--loglevel", default="INFO")
@click.option("--queues", type=click.Choice(["all", "light", "heavy"]), default="all",
              show_default=True, help="light: text and HTML; heavy: PDF, DOCX, large files.")
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def worker(ctx, concurrency, loglevel, queues, celery_args) -> None:
    """Start a Celery worker consuming the broker's queues (it also re-enqueues lost
    and stale reports at start and every sweep_seconds)."""
    if not _settings(ctx).broker_url:
        raise click.UsageError("no broker configured: set GONGKAI_BROKER_URL or --broker-url")
    from worker.app import app, configure
    from worker.sweep import HEAVY, LIGHT

    configure(_settings(ctx))
    settings_mod.use(_settings(ctx))  # this process becomes the worker: its tasks use them
    names = {"all": f"{LIGHT},{HEAVY}", "light": LIGHT, "heavy": HEAVY}[queues]
    argv = ["worker", f"--loglevel={loglevel}", "-Q", names]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    app.worker_main(argv + list(celery_args))


@main.group()
def db() -> None:
    """Manage the embedded store (ignored when mongo_url is set)."""


@db.command("start")
@click.pass_context
def db_start(ctx) -> None:
    from storage import embedded

    click.echo(embedded.ensure_server(_settings(ctx).data_path))


@db.command("stop")
@click.pass_context
def db_stop(ctx) -> None:
    from storage import embedded

    stopped = embedded.stop_server(_settings(ctx).data_path)
    click.echo("stopped" if stopped else "not running")


@db.command("status")
@click.pass_context
def db_status(ctx) -> None:
    from storage import embedded

    info = embedded.status(_settings(ctx).data_path)
    click.echo(_dump(info) if info else "not running")
    sys.exit(0 if info else 1)


def run() -> None:  # pragma: no cover - console entry
    main()


from gongkai import cli_eval  # noqa: E402  (evaluate, renderings, synth, fuzz)

cli_eval.register(main)

from gongkai import cli_web  # noqa: E402  (the review app's serve / users commands)

cli_web.register(main)

from gongkai import cli_stats  # noqa: E402  (gongkai stats: corpus statistics)

cli_stats.register(main)

from gongkai import cli_query  # noqa: E402  (the research query command)

cli_query.register(main)
