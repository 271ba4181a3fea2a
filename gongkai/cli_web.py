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
                   "or part of the body name, e.g. 江苏).")
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


def register(main: click.Group) -> None:
    main.add_command(serve)
    main.add_command(users)
