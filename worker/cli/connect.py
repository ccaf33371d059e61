"""`outreach connect google|microsoft`: signing in to a mail and calendar account once."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.text import Text

from worker.accounts.google_connect import ConnectError, connect, read_client_secrets, sign_in
from worker.cli import app
from worker.cli.common import console, fail, opened_app, print_json, short
from worker.services.settings import SettingsError, load_settings

connect_app = typer.Typer(
    rich_markup_mode="markdown", help="Connect a mail and calendar account.", no_args_is_help=True
)
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


@connect_app.command("microsoft")
def connect_microsoft(
    client_id: Annotated[
        str | None,
        typer.Option(
            "--client-id",
            help="Application (client) ID of your Entra app registration "
            "(default: OUTREACH_MICROSOFT_CLIENT_ID).",
        ),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(
            "--tenant",
            help="common (default), organizations, consumers, or your tenant's id or domain.",
        ),
    ] = None,
    address: Annotated[
        str | None, typer.Argument(help="The address you expect to connect (checked).")
    ] = None,
) -> None:
    """Sign in to Microsoft once (device code): Outlook mail (read, drafts, send) and Calendar."""
    # Imported here: msal and requests are not needed by the other commands.
    from worker.accounts import microsoft_connect as microsoft
    from worker.accounts.microsoft import MicrosoftEndpoints, MicrosoftSetupError, previous_grant

    try:
        endpoints = MicrosoftEndpoints.from_env()
        if address and (client_id is None or tenant is None):
            # Reconnecting a known address: its client id and tenant are in its token
            # file. (Only then are settings read: they create the data directory.)
            before = previous_grant(load_settings(), address)
            if before is not None:
                client_id = client_id or before.client_id
                tenant = tenant or before.tenant
        # Signing in comes before opening the app: an interrupted or refused sign-in
        # then leaves nothing behind, not even a new data directory.
        grant = microsoft.sign_in(
            client_id,
            tenant or "common",
            endpoints=endpoints,
            say=lambda line: console.print(Text(line), soft_wrap=True),
        )
    except (MicrosoftSetupError, microsoft.ConnectError, SettingsError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted: the sign-in was abandoned and nothing was stored", 130)
    with opened_app() as a:
        try:
            done = microsoft.connect(a, grant, expected=address)
        except microsoft.ConnectError as exc:
            fail(str(exc))
    again = "reconnected" if done.reconnected else "connected"
    console.print(
        Text(
            f"{again} {done.email} ({short(done.account_id)}) through Microsoft Graph; "
            f"calendar times in {done.time_zone}"
        )
    )


@connect_app.command("sandbox")
def connect_sandbox_account(
    provider: Annotated[
        str, typer.Option("--provider", help="google (Gmail emulator) or microsoft (Outlook).")
    ] = "google",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Connect the running sandbox's account, to try everything without a real one.

    Start `outreach sandbox` first; it says what to export."""
    import os

    from worker.accounts.sandbox import sandbox_endpoints
    from worker.services.sandbox_account import connect_sandbox

    if provider not in ("google", "microsoft"):
        fail(f"connect sandbox: --provider must be google or microsoft, not {provider!r}")
    kind: Literal["google", "microsoft"] = "google" if provider == "google" else "microsoft"
    with opened_app(as_json=as_json) as a:
        done = connect_sandbox(a, sandbox_endpoints(os.environ), kind)
    if as_json:
        print_json(asdict(done))
        return
    again = "already connected" if done.already else "connected"
    console.print(Text(f"{again} the sandbox's {kind} account {done.email} ({done.account_id})"))
