"""`outreach ui`: serve the web page on this computer and open it, signed in."""

from __future__ import annotations

import os
import sys
import threading
import webbrowser
from collections.abc import Callable, Mapping
from typing import Annotated

import typer
from rich.text import Text

from worker.cli import app
from worker.cli.common import console, opened_app
from worker.runner.clocks import clock_from_env
from worker.runner.signals import stop_on_signals

Port = Annotated[
    int,
    typer.Option(help="Port on 127.0.0.1 (the next free one is used when it is taken).", min=0),
]
NoBrowser = Annotated[
    bool,
    typer.Option(
        "--no-browser", help="Do not open a browser; print a one-time sign-in link instead."
    ),
]


def say_address(url: str) -> None:
    console.print(Text(f"The web page is at {url} (open it with `outreach ui`)."), soft_wrap=True)


#: Opens a link in the user's browser; False when none could be opened.
Opener = Callable[[str], bool]


def can_open_browser(env: Mapping[str, str], interactive: bool, platform: str) -> bool:
    """Whether a command started by the user may open their browser: at a terminal (not
    a service, a pipe or CI), and on Linux and the BSDs with a display to open it on
    (not over SSH without one)."""
    if not interactive or env.get("CI"):
        return False
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return True


def browser_for_run(no_browser: bool) -> Opener | None:
    """The browser `outreach run` opens the page in, signed in; None when it should not."""
    if no_browser or not can_open_browser(os.environ, sys.stdout.isatty(), sys.platform):
        return None
    return webbrowser.open


def open_signed_in(link: str, no_browser: bool) -> None:
    """Open the one-time link in the browser, or hand it to the user at the terminal only
    (never to a log): it is spent on first use and expires in five minutes."""
    # Asked for by name: opened from a launcher too (no terminal), but not in CI nor over
    # SSH without a display (Python would open a text browser in the terminal).
    wanted = not no_browser and can_open_browser(os.environ, True, sys.platform)
    if not (wanted and webbrowser.open(link)):
        # soft_wrap: a link cut at the terminal's width would not open.
        console.print(
            Text(f"Open this link once to sign in (valid 5 minutes): {link}"), soft_wrap=True
        )


@app.command()
def ui(
    port: Port = 8765,
    no_browser: NoBrowser = False,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; anything but loopback is for a container."),
    ] = "127.0.0.1",
    allow_host: Annotated[
        list[str] | None,
        typer.Option("--allow-host", help="Another Host header to answer (host:port)."),
    ] = None,
) -> None:
    """Open the web page: what waits for you, your people, how it is going."""
    from worker.web.server import quiet_waitress, running_page, serve, sign_in_link

    quiet_waitress()
    with opened_app(clock_from_env(os.environ)) as a:
        already = running_page(a.settings.data_dir)
        if already is not None:
            # `outreach run` (or another `ui`) serves it already: just sign this browser in.
            say_address(already)
            open_signed_in(sign_in_link(a.settings.data_dir, already), no_browser)
            return
        served = serve(a, host, port, extra_hosts=list(allow_host or []))
        say_address(served.url)
        stop = threading.Event()
        stop_on_signals(stop.set)
        served.start()
        open_signed_in(served.sign_in_url(), no_browser)
        try:
            stop.wait()
        finally:
            served.stop()
