"""`outreach ui` and `outreach run` serve the page as a user starts them: a taken port falls
back to the next, the address is printed, and a second `outreach ui` signs in to the page
already running instead of starting another."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.harness.lockstep import lockstep_env
from worker.cli.ui import can_open_browser

MAIN = [sys.executable, "-c", "from worker.cli import main; main()"]
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/sign-in\?token=\S+)")
ADDRESS = re.compile(r"The web page is at (http://127\.0\.0\.1:(\d+))")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    return base | lockstep_env(tmp_path, f"sqlite:///{tmp_path / 'ui.db'}")


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else already listens on."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*MAIN, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _read_until(proc: subprocess.Popen[str], pattern: re.Pattern[str]) -> re.Match[str]:
    assert proc.stdout is not None
    for line in proc.stdout:
        found = pattern.search(line)
        if found:
            return found
    raise AssertionError(
        f"no line matching {pattern.pattern}: {proc.stderr and proc.stderr.read()}"
    )


def _stop(proc: subprocess.Popen[Any]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_ui_falls_back_from_a_taken_port_and_a_second_ui_signs_in_to_it(
    env: dict[str, str], taken_port: int
) -> None:
    page = _start(["ui", "--no-browser", "--port", str(taken_port)], env)
    try:
        url, port = _read_until(page, ADDRESS).groups()
        assert int(port) != taken_port
        link = _read_until(page, LINK)[1]
        with requests.Session() as browser:
            assert "Nothing waits for your review" in browser.get(link, timeout=10).text
        again = subprocess.run(
            [*MAIN, "ui", "--no-browser", "--port", str(taken_port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert f"The web page is at {url}" in again.stdout
        second = LINK.search(again.stdout)
        assert second is not None
        assert second[1] != link  # a new one-time link, for the page already running
        with requests.Session() as other:
            assert other.get(second[1], timeout=10).status_code == 200
            assert other.get(link, timeout=10).status_code == 401  # the first is spent
    finally:
        _stop(page)


def test_run_serves_the_page_unless_told_not_to(env: dict[str, str]) -> None:
    run = _start(["run", "--ui-port", "0", "--tick-interval", "3600"], env)
    try:
        url = _read_until(run, ADDRESS)[1]
        assert requests.get(f"{url}/ping", timeout=10).text == "outreach"
        assert requests.get(url, timeout=10).status_code == 401  # not signed in
    finally:
        _stop(run)
    quiet = _start(["run", "--no-ui", "--tick-interval", "3600"], env)
    try:
        assert quiet.stdout is not None
        with pytest.raises(subprocess.TimeoutExpired):
            quiet.wait(timeout=3)  # running, and printing no address
    finally:
        _stop(quiet)
        assert quiet.stdout is None or quiet.stdout.closed


# --- `outreach run` opens the page, signed in, only for a user at a terminal -------------


@pytest.mark.parametrize(
    ("env", "interactive", "platform", "opens"),
    [
        ({"DISPLAY": ":0"}, True, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, True, "linux", True),
        ({}, True, "linux", False),  # over SSH: no display to open it on
        ({"DISPLAY": ":0"}, False, "linux", False),  # a service, a pipe
        ({"DISPLAY": ":0", "CI": "true"}, True, "linux", False),
        ({}, True, "darwin", True),
        ({}, True, "win32", True),
        ({"CI": "1"}, True, "darwin", False),
    ],
)
def test_when_run_may_open_a_browser(
    env: dict[str, str], interactive: bool, platform: str, opens: bool
) -> None:
    assert can_open_browser(env, interactive, platform) is opens


def _fake_browser(tmp_path: Path) -> tuple[str, Path]:
    """A browser command (for Python's webbrowser, through BROWSER) that notes each link."""
    opened = tmp_path / "opened.txt"
    script = tmp_path / "fake-browser"
    script.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    script.chmod(0o755)
    return str(script), opened


def _at_terminal(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """The command with a terminal for its output, as a user starting it has."""
    main, child = pty.openpty()
    proc = subprocess.Popen([*MAIN, *args], env=env, stdout=child, stderr=child)
    os.close(child)
    return proc, main


def _read_terminal(fd: int, until: re.Pattern[str], seconds: float = 60) -> str:
    seen = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until.search(seen.decode(errors="replace")):
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the command ended and its terminal closed
                break
    return seen.decode(errors="replace")


#: Matches nothing: read what the terminal shows until the time is up.
NEVER = re.compile(r"(?!)")


def _terminal_env(env: dict[str, str], browser: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != "CI"} | {"DISPLAY": ":99", "BROWSER": browser}


def test_run_at_a_terminal_opens_the_page_signed_in_and_prints_no_token(
    env: dict[str, str], tmp_path: Path
) -> None:
    browser, opened = _fake_browser(tmp_path)
    run, terminal = _at_terminal(
        ["run", "--ui-port", "0", "--tick-interval", "3600"], _terminal_env(env, browser)
    )
    try:
        shown = _read_terminal(terminal, re.compile(r"Opened it in your browser"))
        assert "Opened it in your browser, signed in." in shown, shown
        url = ADDRESS.search(shown)
        assert url is not None
        [link] = opened.read_text().split()
        assert link.startswith(f"{url[1]}/sign-in?token=")
        with requests.Session() as user:
            assert "Nothing waits for your review" in user.get(link, timeout=10).text
    finally:
        _stop(run)
        shown += _read_terminal(terminal, NEVER, seconds=2)
        os.close(terminal)
    token = link.split("token=", 1)[1]
    assert token not in shown
    assert "token=" not in shown
    data_dir = Path(env["OUTREACH_DATA_DIR"])
    for kept in data_dir.rglob("*.log"):
        assert token not in kept.read_text(errors="replace")


def test_run_opens_no_browser_without_a_terminal_or_when_told_not_to(
    env: dict[str, str], tmp_path: Path
) -> None:
    browser, opened = _fake_browser(tmp_path)
    piped = _start(
        ["run", "--ui-port", "0", "--tick-interval", "3600"], _terminal_env(env, browser)
    )
    try:
        _read_until(piped, ADDRESS)
    finally:
        _stop(piped)
    told, terminal = _at_terminal(
        ["run", "--ui-port", "0", "--tick-interval", "3600", "--no-browser"],
        _terminal_env(env, browser),
    )
    try:
        assert ADDRESS.search(_read_terminal(terminal, ADDRESS))
    finally:
        _stop(told)
        os.close(terminal)
    assert not opened.exists()


def test_ui_opens_the_browser_where_there_is_a_display_else_prints_the_link(
    env: dict[str, str], tmp_path: Path
) -> None:
    browser, opened = _fake_browser(tmp_path)
    shown = _terminal_env(env, browser)
    page = _start(["ui", "--port", "0"], shown)
    try:
        _read_until(page, ADDRESS)
        for _ in range(100):
            if opened.exists():
                break
            time.sleep(0.1)
        [link] = opened.read_text().split()
        with requests.Session() as user:
            assert "Nothing waits for your review" in user.get(link, timeout=10).text
        # Over SSH, no display: the link is printed for the user to open.
        without = {k: v for k, v in shown.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        again = subprocess.run(
            [*MAIN, "ui", "--port", "0"],
            env=without,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert LINK.search(again.stdout)
        assert len(opened.read_text().split()) == 1  # no second browser
    finally:
        page.send_signal(signal.SIGINT)
        rest, _ = page.communicate(timeout=15)
    assert "token=" not in rest  # opened in the browser: not printed
