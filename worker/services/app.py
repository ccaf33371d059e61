"""Opening the application: the store, keys, journal and views for one settings object."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from events.clock import Clock, SystemClock
from events.codec import Codec
from events.database import open_engine
from events.journal import Journal
from events.keyring import Keyring
from events.projections.projector import Projector
from events.store import EventStore
from worker.services.dating import dater_for
from worker.services.settings import Settings


@dataclass
class App:
    """Everything a command or actor needs, opened once and passed in."""

    settings: Settings
    clock: Clock
    engine: Engine
    store: EventStore
    keyring: Keyring
    codec: Codec
    journal: Journal
    projector: Projector

    def close(self) -> None:
        self.engine.dispose()


def open_app(settings: Settings, clock: Clock | None = None) -> App:
    """Open (and on first use create) the database named by the settings."""
    clock = clock or SystemClock()
    engine = open_engine(settings.database_url)
    store = EventStore(engine, clock)
    store.create_schema()
    keyring = Keyring(engine, settings.secret_key)
    keyring.create_schema()
    codec = Codec(keyring)
    projector = Projector(engine, store, codec)
    app = App(
        settings=settings,
        clock=clock,
        engine=engine,
        store=store,
        keyring=keyring,
        codec=codec,
        journal=Journal(store, codec, clock),
        projector=projector,
    )
    # Due moments follow the app's policy, even when settings are replaced later.
    projector.dater = dater_for(lambda: app.settings.policy)
    projector.create_schema()
    return app
