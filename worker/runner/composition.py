"""The composition root: the one place that wires the app, the providers, the templates and
the runtime together, for `run`, `worker`, `scheduler`, `sync`, the demo and the web page.

Each run mode asks for what it needs here instead of assembling Renderer + ProviderFactory +
Runtime itself, so a new collaborator (a lock, a limiter) is added once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import TypeAlias

from worker.accounts.run_providers import ProviderFactory
from worker.runner.embedded import EmbeddedWorker
from worker.runner.runtime import Runtime
from worker.services.app import App
from worker.services.effects import ProviderFor
from worker.services.rendering import Renderer

#: A lock per key shared by processes (Redis, scaled out): entered, it says whether it is held.
KeyLock: TypeAlias = Callable[[str], AbstractContextManager[bool]]


def renderer(app: App) -> Renderer:
    """The message templates: the user's overrides in the config directory, then ours."""
    return Renderer(app.settings.config_dir / "templates")


@contextmanager
def providers(app: App, env: Mapping[str, str] | None = None) -> Iterator[ProviderFactory]:
    """One provider per thread per account, all closed when the block ends."""
    factory = ProviderFactory(app, os.environ if env is None else env)
    try:
        yield factory
    finally:
        factory.close()


def runtime(
    app: App,
    provider_for: ProviderFor,
    *,
    account_lock: KeyLock | None = None,
    action_lock: KeyLock | None = None,
) -> Runtime:
    """The actors' runtime over `app`, with the scaled-out locks when given."""
    return Runtime(
        app=app,
        provider_for=provider_for,
        renderer=renderer(app),
        account_lock=account_lock,
        action_lock=action_lock,
    )


def embedded(app: App, provider_for: ProviderFor, threads: int = 2) -> EmbeddedWorker:
    """Everything in this process: actors on an in-process broker, sync and tick."""
    return EmbeddedWorker(app, provider_for, renderer(app), threads)
