"""`outreach sandbox`: serve the local provider emulators until interrupted, and say
everything a client needs to reach them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from worker.cli import app


def _lines(endpoints: dict[str, Any], saved: Path) -> list[str]:
    google = endpoints.get("google") or {}
    microsoft = endpoints.get("microsoft") or {}
    found = [
        f"endpoints saved to {saved}; in another terminal:",
        f"  export OUTREACH_SANDBOX_ENDPOINTS={saved}",
        "  outreach connect sandbox                       (the Gmail emulator's account)",
        "  outreach connect sandbox --provider microsoft  (the Outlook emulator's account)",
        f"Gmail API: {endpoints.get('gmail')}",
        f"Google Calendar API: {endpoints.get('calendar')}",
        f"Google token endpoint: {endpoints.get('google_token_uri')}",
        f"Google account: {google.get('email')}",
    ]
    if microsoft:
        found += [
            f"Microsoft Graph: {endpoints.get('graph')}",
            f"Microsoft sign-in authority: {endpoints.get('microsoft_authority')}",
            f"Outlook account: {microsoft.get('email')}",
            # MSAL insists on https: the emulator's identity server has a certificate of
            # its own, signed by this CA. A client in another process must trust it.
            f"Outlook emulator CA file (trust it for https): {microsoft.get('ca_cert')}",
        ]
    found.append(f"control (faults, clock, story): {endpoints.get('control')}")
    return [f"# {line}" for line in found]


@app.command()
def sandbox(
    endpoints_file: Annotated[
        Path | None,
        typer.Option(
            "--endpoints-file",
            help="Where to save the endpoints (default: sandbox.json in the data directory).",
        ),
    ] = None,
) -> None:
    """Serve the Gmail, Calendar and Graph emulators, to try everything without an account.

    The first line printed is their endpoints as JSON; the lines after it (starting
    with #) say what to export and run."""
    from integrations.sandbox.cli import serve_forever
    from worker.services.settings import log_file, write_private_file

    saved = endpoints_file or log_file(os.environ).parent / "sandbox.json"

    def announce(endpoints: dict[str, Any]) -> None:
        # Owner-only: the emulators' tokens are made up, but a token file is a token file.
        write_private_file(saved, (json.dumps(endpoints) + "\n").encode())
        for line in _lines(endpoints, saved):
            typer.echo(line)

    serve_forever(announce=announce)
