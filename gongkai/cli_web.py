"""``gongkai serve`` and ``gongkai users``: the review app's commands (registered on the
main group by gongkai/cli.py)."""
from __future__ import annotations

import json
import sys

import click


def _store(ctx: click.Context):
    from storage.store import Store

    store = Store.from_settings(ctx.obj["settings"])
    store.setup()
    return store


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, type=int, show_default=True)
@click.pass_context
def serve(ctx, host, port) -> None:
    """Serve the review app (pages and /api) over the configured store."""
    import uvicorn

    from web.app import create_app

    app = create_app(_store(ctx))
    click.echo(f"gongkai review on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@click.group()
def users() -> None:
    """Accounts of the review app."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\n")
    else:
        value = click.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(value) < 8:
        raise click.UsageError("the password needs at least 8 characters")
    return value


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "auditor", "researcher"]), required=True)
@click.option("--region", "regions", multiple=True,
              help="Limit the account to a region (repeatable; prefix of the stored region "
                   "or province, or part of the body name, e.g. 江苏).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_add(ctx, name, role, regions, lang, password_stdin) -> None:
    """Create the account NAME, or update its role, regions, language and password."""
    from storage import accounts
    from web.auth import hash_password

    store = _store(ctx)
    created = accounts.put_user(store.db, name, role, hash_password(_password(password_stdin)),
                                list(regions), lang)
    click.echo(f"{'created' if created else 'updated'} {name} ({role}"
               f"{', ' + '、'.join(regions) if regions else ''})")


@users.command("token")
@click.argument("name")
@click.option("--label", default="cli", show_default=True)
@click.pass_context
def users_token(ctx, name, label) -> None:
    """Print a new API bearer token for NAME (shown once; only its hash is stored)."""
    from storage import accounts
    from web.auth import new_secret

    store = _store(ctx)
    if accounts.get_user(store.db, name) is None:
        raise click.ClickException(f"no user {name}")
    secret = new_secret()
    accounts.add_token(store.db, secret, name, label)
    click.echo(secret)


@users.command("list")
@click.pass_context
def users_list(ctx) -> None:
    from storage import accounts

    for u in accounts.list_users(_store(ctx).db):
        click.echo(json.dumps({"name": u["_id"], "role": u["role"],
                               "regions": u.get("regions") or [], "lang": u.get("lang")},
                              ensure_ascii=False))


def reviews_report(settings, as_json: bool) -> str:
    """Rule reliability from the audit trail, as a table or JSON Lines."""
    from storage import audit
    from storage.store import Store

    store = Store.from_settings(settings)
    rows = audit.reliability(store.db)
    if as_json:
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    lines = [f"{'rule':<34} {'findings':>8} {'confirmed':>9} {'dismissed':>9} "
             f"{'more info':>9} {'precision':>9}  dismissal reasons"]
    for r in rows:
        prec = "—" if r["precision"] is None else f"{r['precision']:.3f}"
        why = ", ".join(f"{k} {v}" for k, v in r["reasons"].items())
        lines.append(f"{r['rule']:<34} {r.get('findings', 0):>8} {r['confirmed']:>9} "
                     f"{r['dismissed']:>9} {r['needs_info']:>9} {prec:>9}  {why}")
    return "\n".join(lines)


def _add_reviews_option(evaluate: click.Command) -> None:
    """``gongkai evaluate --reviews``: per rule, what auditors decided (the precision of
    every rule as measured by its users) instead of the gold-file evaluation."""
    gold_eval = evaluate.callback

    def callback(*args, reviews: bool = False, **kwargs):
        if reviews:
            ctx = click.get_current_context()
            click.echo(reviews_report(ctx.find_root().obj["settings"], kwargs.get("as_json")))
            return None
        return gold_eval(*args, **kwargs)

    evaluate.params.append(click.Option(
        ["--reviews"], is_flag=True,
        help="Report auditors' decisions per rule (confirmed / dismissed and why) "
             "from the store instead of scoring against the gold files."))
    evaluate.callback = callback


def register(main: click.Group) -> None:
    main.add_command(serve)
    main.add_command(users)
    _add_reviews_option(main.commands["evaluate"])
