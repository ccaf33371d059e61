"""`outreach schedule`: inviting a contact to a meeting at a time the user chose."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Annotated

import typer
from rich.text import Text

from events.projections.accounts import AccountRow
from integrations.protocol import NeedsReconnect, Provider, ProviderError
from worker.accounts.providers import opened_provider
from worker.accounts.sandbox import ProviderUnavailable
from worker.cli import app
from worker.cli.common import console, fail, opened_app, print_json
from worker.services.scheduling import schedule_meeting


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
    with opened_app() as a, ExitStack() as opened:

        def provider_for(row: AccountRow) -> Provider:
            return opened.enter_context(opened_provider(a, row))

        try:
            # The page's schedule form takes the same steps through the same service.
            done = schedule_meeting(
                a,
                provider_for,
                contact,
                when=when,
                offered=offered,
                minutes=minutes,
                place=place,
                account=account,
            )
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
                "contact_id": done.contact.contact_id,
                "start": start.isoformat(),
                "end": done.request.end.isoformat(),
                "time_zone": done.request.time_zone,
                "place": done.request.location,
                "link": done.link,
                "calendar_link": done.calendar_link,
            }
        )
        return
    person = done.contact
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
