"""docker-compose.yml starts exactly the scaled-out mode: redis, postgres, workers, one scheduler.

`docker compose` itself is not run here (not installed on the test machines); the file
is parsed and its services checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def services() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    found: dict[str, Any] = data["services"]
    return found


def test_compose_has_the_four_services() -> None:
    assert set(services()) >= {"redis", "postgres", "worker", "scheduler"}


def test_worker_and_scheduler_get_what_they_need() -> None:
    s = services()
    assert s["worker"]["command"] == ["outreach", "worker"]
    assert s["scheduler"]["command"] == ["outreach", "scheduler"]
    for name in ("worker", "scheduler"):
        env = s[name]["environment"]
        assert env["OUTREACH_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in env["OUTREACH_DATABASE_URL"]
        assert env["OUTREACH_BROKER_URL"].startswith("redis://redis:6379")
        assert "OUTREACH_SECRET_KEY" in env  # required from the caller, never a default
        assert set(s[name]["depends_on"]) == {"postgres", "redis"}
    # Any number of workers; the scheduler's lock keeps extra schedulers idle anyway.
    assert "replicas" not in s["scheduler"].get("deploy", {})


def test_the_database_matches_postgres_service() -> None:
    s = services()
    pg = s["postgres"]["environment"]
    url = s["worker"]["environment"]["OUTREACH_DATABASE_URL"]
    assert url.endswith(
        f"{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}"
    )


def test_the_web_page_is_one_more_process_on_loopback() -> None:
    web = services()["web"]
    assert web["command"][:2] == ["outreach", "ui"]
    assert "--no-browser" in web["command"]
    assert web["environment"] == services()["worker"]["environment"]  # the same log
    # Published on the host's loopback only: nobody else on the network reaches it.
    assert all(p.startswith("127.0.0.1:") for p in web["ports"])
    assert set(web["volumes"]) == {"config:/config", "data:/data"}  # the page secret lives in data
