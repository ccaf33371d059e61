"""The shared base: clock, fault plan, accounting, loopback server, control API, CLI."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import requests

from integrations.sandbox import Sandbox
from integrations.sandbox.accounting import Accounting
from integrations.sandbox.clock import SimClock
from integrations.sandbox.faults import Fault, FaultPlan
from integrations.sandbox.http import LoopbackServer, Request, Response

from .conftest import START


def test_clock_moves_only_when_told() -> None:
    clock = SimClock(datetime(2026, 1, 1, 12, 0))
    assert clock.now() == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    clock.advance(timedelta(hours=2))
    assert clock.now().hour == 14
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    assert clock.now().year == 2027


def test_fault_rule_fires_given_number_of_times_then_retires() -> None:
    plan = FaultPlan()
    plan.add("google", "gmail.*", "unavailable", times=2)
    assert plan.take("google", "calendar.events.list") is None
    assert plan.take("google", "gmail.users.messages.list") == Fault("unavailable")
    assert plan.take("google", "gmail.users.messages.get") == Fault("unavailable")
    assert plan.take("google", "gmail.users.messages.get") is None
    assert plan.rules() == []


def test_probabilistic_faults_replay_with_the_same_seed() -> None:
    def draws(seed: int) -> list[bool]:
        plan = FaultPlan(seed)
        plan.add("microsoft", "*", "rate_limit", probability=0.5, retry_after=3)
        return [plan.take("microsoft", "graph.messages.delta") is not None for _ in range(40)]

    assert draws(1) == draws(1)
    assert 5 < sum(draws(1)) < 35


def test_fault_plan_rejects_nonsense() -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError, match="kind"):
        plan.add("google", "*", "explode", times=1)
    with pytest.raises(ValueError, match="exactly one"):
        plan.add("google", "*", "drop")


def test_accounting_counts_requests_and_units() -> None:
    acc = Accounting()
    acc.record("google", "a@x", "gmail.users.messages.send")
    acc.record("google", "a@x", "gmail.users.messages.get")
    acc.record("google", "b@x", "gmail.users.messages.get")
    assert acc.total() == 3
    assert acc.total(account="a@x") == 2
    assert acc.units(method="gmail.users.messages.get") == 10
    assert acc.units(account="a@x") == 105
    assert acc.snapshot()["units"] == 110
    acc.reset()
    assert acc.total() == 0


def test_loopback_server_survives_crashes_and_garbage() -> None:
    def handler(request: Request) -> Response:
        if request.path == "/boom":
            raise RuntimeError("bug")
        if request.path == "/drop":
            return Response(drop=True)
        return Response(200, {}, request.body)

    server = LoopbackServer(handler)
    server.start()
    try:
        assert requests.post(server.url + "echo", data=b"hi", timeout=5).content == b"hi"
        assert requests.get(server.url + "boom", timeout=5).status_code == 500
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url + "drop", timeout=5)
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(b"\x00\x01 garbage\r\n\r\n")
            assert raw.recv(100).startswith(b"HTTP/1.1 400")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(b"POST /x HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
            assert raw.recv(100).startswith(b"HTTP/1.1 400")
        assert requests.get(server.url + "still-alive", timeout=5).status_code == 200
    finally:
        server.stop()


def test_control_api_drives_clock_faults_and_accounting(sandbox: Sandbox) -> None:
    control = sandbox.endpoints()["control"]
    assert requests.get(control + "health", timeout=5).json()["ok"] is True
    moved = requests.post(control + "clock/advance", json={"seconds": 3600}, timeout=5).json()
    assert datetime.fromisoformat(moved["now"]) == START + timedelta(hours=1)
    requests.post(control + "clock/set", json={"at": "2026-04-01T00:00:00+00:00"}, timeout=5)
    assert sandbox.clock.now() == datetime(2026, 4, 1, tzinfo=UTC)
    added = requests.post(
        control + "faults",
        json={"provider": "google", "method": "*", "kind": "unavailable", "times": 1},
        timeout=5,
    )
    assert added.status_code == 201
    assert len(requests.get(control + "faults", timeout=5).json()["rules"]) == 1
    bad = requests.post(control + "faults", json={"provider": "google", "kind": "x"}, timeout=5)
    assert bad.status_code == 400
    assert requests.delete(control + "faults", timeout=5).json() == {"rules": []}
    assert requests.post(control + "clock/advance", data=b"{", timeout=5).status_code == 400
    assert requests.get(control + "accounting", timeout=5).json()["requests"] == 0
    assert requests.get(control + "nowhere", timeout=5).status_code == 404


def test_cli_prints_endpoints_then_exits_cleanly_on_sigterm() -> None:
    code = "from integrations.sandbox.cli import serve_forever; serve_forever()"
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            endpoints = json.loads(proc.stdout.readline())
            assert requests.get(endpoints["control"] + "health", timeout=5).ok
            proc.terminate()
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
