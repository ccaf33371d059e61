"""`outreach service install|uninstall`: keep `outreach run` running as a user service."""

from __future__ import annotations

from typing import Annotated

import typer

from worker.cli import app
from worker.cli.common import console
from worker.services.settings import load_settings

service_app = typer.Typer(
    rich_markup_mode="markdown", help="Run `outreach run` as a user service.", no_args_is_help=True
)
app.add_typer(service_app, name="service")


@service_app.command()
def install(
    print_only: Annotated[
        bool, typer.Option("--print", help="Print the service files; write nothing.")
    ] = False,
) -> None:
    """Write a systemd user unit (Linux) or a launchd agent (macOS) running `outreach run`."""
    from worker.runner import service_unit as su

    env = su.environment()
    exe = su.outreach_executable()
    unit = su.systemd_unit(exe, env)
    log_dir = load_settings().data_dir
    plist = su.launchd_plist(exe, env, log_dir)
    if print_only:
        typer.echo(f"# {su.systemd_unit_path(env)}\n{unit}")
        typer.echo(f"<!-- {su.launchd_plist_path()} -->\n{plist}")
        return
    if su.is_macos():
        path = su.launchd_plist_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(plist, encoding="utf-8")
        console.print(f"wrote {path}\nstart it: launchctl load -w {path}", highlight=False)
        return
    path = su.systemd_unit_path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(unit, encoding="utf-8")
    console.print(
        f"wrote {path}\nstart it: systemctl --user daemon-reload && "
        "systemctl --user enable --now outreach\n"
        "keep it running after logout: loginctl enable-linger $USER\n"
        f"on macOS the equivalent is (outreach service install --print):\n{plist}",
        highlight=False,
        markup=False,
    )


@service_app.command()
def uninstall() -> None:
    """Remove the service file written by `install` (stop the service first)."""
    from worker.runner import service_unit as su

    path = su.launchd_plist_path() if su.is_macos() else su.systemd_unit_path(su.environment())
    if not path.exists():
        console.print(f"nothing to remove: {path} does not exist", highlight=False)
        return
    path.unlink()
    stop = (
        f"launchctl unload {path}"
        if su.is_macos()
        else "systemctl --user disable --now outreach; systemctl --user daemon-reload"
    )
    console.print(f"removed {path}\nif it was running: {stop}", highlight=False, markup=False)
