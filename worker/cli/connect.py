"""`outreach connect google`: signing in to a mail and calendar account once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from worker.cli import app
from worker.cli.common import console, fail, opened_app, short
from worker.connect_google import ConnectError, connect, read_client_secrets, sign_in

connect_app = typer.Typer(help="Connect a mail and calendar account.", no_args_is_help=True)
app.add_typer(connect_app, name="connect")


@connect_app.command("google")
def connect_google(
    client_secrets: Annotated[
        Path,
        typer.Option(
            "--client-secrets",
            help="The JSON of a 'Desktop app' OAuth client from Google Cloud.",
        ),
    ],
    no_browser: Annotated[
        bool,
        typer.Option(
            "--no-browser", help="Print the sign-in address and read back where it ended."
        ),
    ] = False,
    address: Annotated[
        str | None, typer.Argument(help="The address you expect to connect (checked).")
    ] = None,
) -> None:
    """Sign in to Google once: Gmail (read, drafts, send) and Calendar events."""
    try:
        config = read_client_secrets(client_secrets)
    except ConnectError as exc:
        fail(str(exc))
    with opened_app() as a:
        try:
            grant = sign_in(
                config,
                open_browser=not no_browser,
                paste=no_browser,
                prompt=lambda text: str(typer.prompt(text)),
                say=lambda line: console.print(Text(line), soft_wrap=True),
            )
            done = connect(a, grant, expected=address)
        except ConnectError as exc:
            fail(str(exc))
    again = "reconnected" if done.reconnected else "connected"
    console.print(
        Text(f"{again} {done.email} ({short(done.account_id)}), calendar in {done.time_zone}")
    )
