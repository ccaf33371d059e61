"""The project's own import name: `python -m outreach` runs the command line.

The application itself lives in the user's top-level packages (events, worker,
integrations, templates); docs/architecture.md says why they are not (yet) mapped under
this name.
"""
