"""`outreach ui` and `outreach run` serve the page as a user starts them: a taken port falls
back to the next, the address is printed, and a second `outreach ui` signs in to the page
already running instead of starting another."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.harness.lockstep import lockstep_env

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


def _stop(proc: subprocess.Popen[str]) -> None:
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
