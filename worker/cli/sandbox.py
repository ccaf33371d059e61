"""`outreach sandbox`: serve the local provider emulators until interrupted."""

from __future__ import annotations

from worker.cli import app


@app.command()
def sandbox() -> None:
    """Serve the Gmail, Calendar and Graph emulators; print their endpoints as JSON first."""
    from integrations.sandbox.cli import serve_forever

    serve_forever()
