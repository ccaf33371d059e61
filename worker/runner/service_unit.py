"""The service files that keep `outreach run` running: a systemd user unit, a launchd agent.

Only non-secret settings are copied into them (the secret key stays in its 0600 file or
the user's own environment: unit files are often world-readable).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

LABEL = "org.outreach.worker"
UNIT_NAME = "outreach.service"
#: Settings worth carrying into the service's environment; never the secret key.
CARRIED = ("OUTREACH_CONFIG_DIR", "OUTREACH_DATA_DIR", "OUTREACH_DATABASE_URL")


def outreach_executable() -> str:
    """The `outreach` command this installation runs (absolute: services have no PATH)."""
    found = shutil.which("outreach")
    if found:
        return str(Path(found).resolve())
    return str(Path(sys.argv[0]).resolve())


def systemd_unit_path(env: Mapping[str, str]) -> Path:
    config = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user" / UNIT_NAME


def launchd_plist_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"


def _carried(env: Mapping[str, str]) -> dict[str, str]:
    return {k: env[k] for k in CARRIED if env.get(k)}


def systemd_unit(executable: str, env: Mapping[str, str]) -> str:
    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        "[Unit]",
        "Description=outreach: informational-interview bookkeeping worker",
        "After=network-online.target",
        "",
        "[Service]",
        f"ExecStart={quoted(executable)} run",
        # Restart after a crash, not after `systemctl stop` or a clean SIGTERM exit.
        "Restart=on-failure",
        "RestartSec=10",
        *(f"Environment={quoted(f'{k}={v}')}" for k, v in _carried(env).items()),
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return "\n".join(lines)


def launchd_plist(executable: str, env: Mapping[str, str], log_dir: Path) -> str:
    variables = "".join(
        f"\n      <key>{escape(k)}</key><string>{escape(v)}</string>"
        for k, v in _carried(env).items()
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
  <dict>
    <key>Label</key><string>{LABEL}</string>
    <key>ProgramArguments</key>
    <array><string>{escape(executable)}</string><string>run</string></array>
    <key>EnvironmentVariables</key>
    <dict>{variables}
    </dict>
    <key>RunAtLoad</key><true/>
    <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
    <key>StandardOutPath</key><string>{escape(str(log_dir / "outreach.log"))}</string>
    <key>StandardErrorPath</key><string>{escape(str(log_dir / "outreach.log"))}</string>
  </dict>
</plist>
"""


def is_macos() -> bool:
    return sys.platform == "darwin"


def environment() -> dict[str, str]:
    return dict(os.environ)
