"""Serving the page in this process with waitress: a fixed default port that falls back
when taken, a thread to run it beside the worker, and the sign-in link that opens it.

Waitress because it is a kept, pure-Python WSGI server with a thread pool: the services
under the page are synchronous (SQLAlchemy, the providers' HTTP clients), so threads
serve them as they are, with no event loop to bridge, on every platform a user has.
"""

from __future__ import annotations

import errno
import gc
import logging
import os
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from events.errors import UserError
from events.projections.accounts import AccountRow
from integrations.protocol import Provider
from worker.accounts.providers import provider_for
from worker.runner.composition import renderer
from worker.services.app import App
from worker.web.app import PageContext, create_app
from worker.web.security import Gate, allowed_hosts, load_secret

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: Ports tried after the default one before letting the system choose.
FALLBACKS = 20
ADDRESS_FILE = "web.address"


class PortTaken(UserError, OSError):
    pass


@dataclass
class Served:
    """A page being served; `stop()` ends it."""

    url: str
    gate: Gate
    _server: object
    _thread: threading.Thread | None = None

    def sign_in_url(self) -> str:
        return f"{self.url}/sign-in?token={self.gate.sign_in_token()}"

    def run(self) -> None:
        self._server.run()  # type: ignore[attr-defined]

    def start(self) -> Served:
        self._thread = threading.Thread(target=self.run, name="web", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server: Any = self._server
        thread = self._thread
        if thread is not None and thread.is_alive():
            # Closed from the serving thread itself, through waitress's trigger: closing
            # the sockets from here raced that thread's select() on them, which then
            # failed with "Bad file descriptor" (seen in a CI run's teardown). With every
            # socket closed in its own thread, the loop finds nothing left and returns.
            server.trigger.pull_trigger(lambda: _close_all(server))
            thread.join(timeout=10)
        else:
            server.close()
        # What `settle` kept is the collector's again (a process serving page after page,
        # as the tests do, would otherwise never free the earlier ones' cycles).
        gc.unfreeze()


def _close_all(server: Any) -> None:
    """Stop the request threads, then close the listening socket, the open connections
    and the trigger: an empty map ends waitress's loop."""
    server.task_dispatcher.shutdown()
    wasyncore.close_all(server._map)


def page_context(
    app: App,
    host: str,
    port: int,
    *,
    providers: Callable[[AccountRow], Provider] | None = None,
    extra_hosts: list[str] | None = None,
) -> PageContext:
    def build(account: AccountRow) -> Provider:
        return provider_for(app, account)

    return PageContext(
        app=app,
        provider_for=providers or build,
        renderer=renderer(app),
        gate=Gate(load_secret(app.settings.data_dir)),
        hosts=allowed_hosts(host, port, extra_hosts),
    )


def _ports(port: int, fixed: bool) -> list[int]:
    if port == 0 or fixed:
        return [port]
    return [*range(port, port + FALLBACKS), 0]


def serve(
    app: App,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    fixed_port: bool = False,
    providers: Callable[[AccountRow], Provider] | None = None,
    extra_hosts: list[str] | None = None,
    threads: int = 4,
) -> Served:
    """Bind the page (the first free port from `port` unless `fixed_port`); not yet running."""
    for candidate in _ports(port, fixed_port):
        try:
            server = create_server(
                _Deferred(),
                host=host,
                port=candidate,
                threads=threads,
                ident="outreach",
                clear_untrusted_proxy_headers=True,
            )
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                continue
            raise
        bound = int(server.effective_port)
        context = page_context(app, host, bound, providers=providers, extra_hosts=extra_hosts)
        server.application = create_app(context)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        url = f"http://{shown}:{bound}"
        _write_address(app.settings.data_dir, url)
        settle()
        return Served(url=url, gate=context.gate, _server=server)
    raise PortTaken(f"web page: port {port} is taken (choose another with --port)")


def settle() -> None:
    """Keep what the process loaded to start (modules, the app, its tables) out of the
    garbage collector's full passes: with ~130,000 such objects, each pass took ~50 ms,
    and the request it fell in was that much slower."""
    gc.collect()
    gc.freeze()


class _Deferred:
    """A placeholder WSGI app: the real one needs the port actually bound (its Host check)."""

    def __call__(self, environ: object, start_response: object) -> list[bytes]:
        raise RuntimeError("the page is not ready yet")


def _write_address(data_dir: Path, url: str) -> None:
    (data_dir / ADDRESS_FILE).write_text(url + "\n")


def running_page(data_dir: Path) -> str | None:
    """The address of a page this install is already serving, if one answers there."""
    path = data_dir / ADDRESS_FILE
    try:
        url = path.read_text().strip()
    except OSError:
        return None
    if not url.startswith("http://"):
        return None
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=1) as answer:  # noqa: S310
            return url if answer.read() == b"outreach" else None
    except OSError:
        return None


def sign_in_link(data_dir: Path, url: str) -> str:
    """A one-time sign-in link for the page at `url` (any process with the secret can mint
    one: the page checks it against the same secret)."""
    return f"{url}/sign-in?token={Gate(load_secret(data_dir)).sign_in_token()}"


def quiet_waitress() -> None:
    # Waitress logs its queue warnings only; never request lines (which hold no token
    # anyway: the sign-in token is spent on first use).
    logging.getLogger("waitress").setLevel(os.environ.get("OUTREACH_WEB_LOG_LEVEL", "WARNING"))
