"""The command line imports only the module of the command it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from typer.main import get_command_name

from worker.cli import COMMANDS, _register, app


def test_every_command_is_mapped_to_the_module_that_defines_it() -> None:
    _register([])  # no command: every module, as `outreach --help` does
    found = {
        c.name or get_command_name(c.callback.__name__): c.callback.__module__
        for c in app.registered_commands
        if c.callback
    }
    for group in app.registered_groups:
        assert group.typer_instance is not None
        assert group.name is not None
        callbacks = [c.callback for c in group.typer_instance.registered_commands if c.callback]
        found[group.name] = callbacks[0].__module__
    assert {name: f"worker.cli.{module}" for name, module in COMMANDS.items()} == found


def test_a_command_does_not_import_the_provider_libraries() -> None:
    # `outreach status` has no business loading the Google or Microsoft clients: each
    # call of any command paid most of a second for them.
    code = (
        "import sys; from worker.cli import _register; _register(['status']); "
        "print(sorted(m for m in sys.modules if m.startswith(('googleapiclient', 'msal'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_each_command_runs_by_its_name_with_only_its_module_imported() -> None:
    # Typer runs an app holding a single command as that command, without its name;
    # with one module imported per call, `outreach sandbox` would say "unexpected extra
    # argument (sandbox)".
    def usage(name: str) -> tuple[str, int, str]:
        done = subprocess.run(
            [sys.executable, "-c", "from worker.cli import main; main()", name, "--help"],
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "100"},
        )
        return name, done.returncode, done.stdout

    with ThreadPoolExecutor(4) as pool:
        for name, code, out in pool.map(usage, COMMANDS):
            assert code == 0, (name, out)
            assert f" {name} [OPTIONS]" in out, (name, out)
