"""`outreach schedule`: inviting a contact to a meeting at a time the user chose."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from integrations.protocol import NeedsReconnect, ProviderError
from worker.accounts.providers import opened_provider
from worker.accounts.sandbox import ProviderUnavailable
from worker.cli import app
from worker.cli.common import console, fail, opened_app, print_json
from worker.services.invitations import (
    invite,
    plan,
    plan_offered,
    scheduling_account,
    still_free,
)


@app.command()
def schedule(
    contact: Annotated[str, typer.Argument(help="Id, e-mail or name.")],
    when: Annotated[
        str | None,
        typer.Argument(help="Start: '2026-03-05 15:00' in your time zone, or ISO 8601."),
    ] = None,
    offered: Annotated[
        int | None,
        typer.Option("--offered", help="Invite at the N-th time offered to them (1, 2, 3)."),
    ] = None,
    minutes: Annotated[int, typer.Option("--minutes", help="Length of the meeting.")] = 30,
    place: Annotated[
        str | None,
        typer.Option("--place", help="Address or video link (default: meeting_place setting)."),
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Account to invite from (address or id).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Invite a contact: a calendar event with them as attendee, invitation sent."""
    if (when is None) == (offered is None):
        fail("give WHEN or --offered N (one of them)")
    with opened_app() as a:
        row = scheduling_account(a, account)
        if offered is not None:
            person, request = plan_offered(a, contact, offered)
        else:
            person, request = plan(a, contact, str(when), minutes=minutes, place=place)
        try:
            with opened_provider(a, row) as provider:
                if offered is not None and not still_free(a, provider, request):
                    fail("that time is no longer free in your calendar: offer them another")
                done = invite(a, provider, row, person, request)
        except ProviderUnavailable as exc:
            fail(str(exc))
        except NeedsReconnect as exc:
            fail(f"{exc}; run `{exc.command}`")
        except ProviderError as exc:
            fail(f"the calendar refused: {exc}")
    start = done.request.start
    if as_json:
        print_json(
            {
                "meeting_id": done.meeting_id,
                "provider_event_id": done.provider_event_id,
                "contact_id": person.contact_id,
                "start": start.isoformat(),
                "end": done.request.end.isoformat(),
                "time_zone": done.request.time_zone,
                "place": done.request.location,
                "link": done.link,
                "calendar_link": done.calendar_link,
            }
        )
        return
    console.print(
        Text(
            f"invited {person.name} for {start:%a %d %b %Y %H:%M} ({done.request.time_zone}), "
            f"{int((done.request.end - start).total_seconds() // 60)} minutes"
            + (f", {done.request.location}" if done.request.location else "")
        )
    )
    if done.link:
        console.print(Text(f"  video call: {done.link}"), soft_wrap=True)
    if done.calendar_link:
        console.print(Text(f"  in your calendar: {done.calendar_link}"), soft_wrap=True)
