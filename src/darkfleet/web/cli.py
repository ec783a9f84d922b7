"""``darkfleet serve`` and ``darkfleet token ...``: thin layers over :mod:`darkfleet.web`.
Registered by ``darkfleet.cli`` (``app.command("serve")(serve)``, ``app.add_typer(token_app, name="token")``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

out = Console()
err = Console(stderr=True, soft_wrap=True)

LakeOpt = Annotated[Path, typer.Option("--lake", help="The lake directory (its case store is LAKE/cases.sqlite).")]
StoreOpt = Annotated[str | None, typer.Option("--store", help="Case store URL (sqlite:///… or postgresql+psycopg://…).")]

token_app = typer.Typer(no_args_is_help=True, help="API tokens of the web application (stored hashed).")


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(2)


def _store(lake: Path, store: str | None):  # type: ignore[no-untyped-def]
    from darkfleet.cases.store import CaseStore, store_url

    if store is None and not lake.is_dir():
        raise _fail(f"no lake at {lake}")
    return CaseStore.open(store_url(lake, store))


def serve(
    lake: LakeOpt,
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind (127.0.0.1: this machine only).")] = "127.0.0.1",
    store: StoreOpt = None,
) -> None:
    """Start the web application: the map UI at /, the REST API at /api/ (spec at /openapi.json)."""
    import uvicorn

    from darkfleet.cases.store import StoreError
    from darkfleet.web.app import create_app

    try:
        app = create_app(lake, store, warm=True)
    except (FileNotFoundError, NotADirectoryError, StoreError) as exc:
        raise _fail(str(exc)) from exc
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]warning:[/] listening on {escape(host)}: other machines can reach the API "
                  "(put it behind TLS; tokens travel in every request)")
    err.print(f"darkfleet web on http://{escape(host)}:{port}/ (API /api/, spec /openapi.json); "
              f"tokens: darkfleet token add NAME --role analyst --lake {escape(str(lake))}")
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


@token_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The user the token stands for (recorded on every write).")],
    lake: LakeOpt,
    role: Annotated[str, typer.Option("--role", help="viewer (read), analyst (read + write), admin (+ load data).")],
    store: StoreOpt = None,
) -> None:
    """Create a token and print it once (only its SHA-256 is stored)."""
    from darkfleet.cases.store import StoreError
    from darkfleet.web.auth import add_token

    try:
        token = add_token(_store(lake, store), name, role)
    except StoreError as exc:
        raise _fail(str(exc)) from exc
    err.print(f"token for {escape(name)} ({escape(role)}); it is shown only now:")
    typer.echo(token)


@token_app.command("list")
def list_(lake: LakeOpt, store: StoreOpt = None) -> None:
    """The tokens: name, role, created, revoked (never the tokens themselves)."""
    from darkfleet.web.auth import list_tokens

    table = Table("name", "role", "created at", "revoked at")
    for t in list_tokens(_store(lake, store)):
        table.add_row(t.name, t.role, t.created_at.isoformat(timespec="seconds"),
                      t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else "")
    out.print(table)


@token_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="The token's name.")],
    lake: LakeOpt,
    store: StoreOpt = None,
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    from darkfleet.cases.store import StoreError
    from darkfleet.web.auth import revoke_token

    try:
        revoke_token(_store(lake, store), name)
    except StoreError as exc:
        raise _fail(str(exc)) from exc
    err.print(f"token {escape(name)!r} revoked")
