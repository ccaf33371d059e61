"""`outreach init`: who you are (name, one-line introduction, signature), your time zone
and the hours messages may go out; written to config.toml."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from worker.cli import app
from worker.cli.common import console, fail, print_json
from worker.domain.settings import Policy, Profile
from worker.services.profile import Answers, profile_unset, system_zone, write_profile
from worker.services.settings import SettingsError, load_settings

_WINDOW = "HH-HH, e.g. 8-20: messages go out only between these hours, in your zone"


def _window(text: str) -> tuple[int, int]:
    start, sep, end = text.partition("-")
    if not sep or not start.strip().isdigit() or not end.strip().isdigit():
        raise SettingsError(f"init: --send-window {text!r}: expected {_WINDOW}")
    return int(start), int(end)


@app.command()
def init(
    name: Annotated[str | None, typer.Option(help="Your name, as you sign.")] = None,
    introduction: Annotated[
        str | None,
        typer.Option(help="One line about you, e.g. 'I taught physics and am moving into UX'."),
    ] = None,
    signature: Annotated[
        str | None, typer.Option(help="Lines under your name (use \\n between lines).")
    ] = None,
    time_zone: Annotated[
        str | None, typer.Option("--time-zone", help="Your IANA time zone (default: the system's).")
    ] = None,
    send_window: Annotated[str | None, typer.Option("--send-window", help=_WINDOW)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="No questions; print JSON.")] = False,
) -> None:
    """Say who you are: every message is introduced and signed with this."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(str(exc).splitlines()[0])
    current, policy = settings.profile, settings.policy
    # Questions only when nothing was given: options (or --json) mean a script is calling,
    # and what it left out keeps its current value.
    given = (name, introduction, signature, time_zone, send_window)
    ask = not as_json and all(value is None for value in given)
    defaults = {
        "name": None if profile_unset(current) else current.name,
        "introduction": None if current.headline == Profile().headline else current.headline,
        "signature": current.signature,
        "time_zone": policy.time_zone if policy.time_zone != Policy().time_zone else system_zone(),
        "window": f"{policy.send_window_start}-{policy.send_window_end}",
    }
    try:
        name = _answer(name, "Your name", defaults["name"], ask)
        introduction = _answer(
            introduction,
            "One line about you (what you did, where you are heading)",
            defaults["introduction"],
            ask,
        )
        signature = _answer(signature, "Signature (optional)", defaults["signature"], ask)
        time_zone = _answer(time_zone, "Your time zone", defaults["time_zone"], ask)
        send_window = _answer(send_window, "Send window (hours)", defaults["window"], ask)
        if not name:
            raise SettingsError("init: --name: give your own name")
        if not introduction:
            raise SettingsError("init: --introduction: one line about you is needed")
        start, end = _window(send_window or "")
        path = write_profile(
            settings.config_dir,
            Answers(
                name=name,
                headline=introduction,
                signature=(signature or "").replace("\\n", "\n"),
                time_zone=time_zone or "UTC",
                send_window_start=start,
                send_window_end=end,
            ),
        )
    except SettingsError as exc:
        fail(str(exc).splitlines()[0])
    written = load_settings()
    if as_json:
        print_json(
            {
                "config": str(path),
                "name": written.profile.name,
                "introduction": written.profile.headline,
                "signature": written.profile.signature,
                "time_zone": written.policy.time_zone,
                "send_window": [written.policy.send_window_start, written.policy.send_window_end],
            }
        )
        return
    console.print(Text(f"saved to {path}; your messages will be signed {written.profile.name}"))


def _answer(given: str | None, question: str, default: str | None, ask: bool) -> str | None:
    """An option given wins; else the question (with the current value as its default),
    or, under --json, the current value."""
    if given is not None:
        return given
    if not ask:
        return default
    answer: str = typer.prompt(question, default=default or "", show_default=bool(default))
    return answer.strip()
