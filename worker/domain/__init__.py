"""The domain: pure decisions and interpretations; no I/O, no SQLAlchemy, Dramatiq, Redis,
HTTP clients or cryptography.

Policies say what is due from (views, now, settings); the interpretation of a sync turns what
a provider saw into events; addresses, auto-replies and backoff rules are read here. Everything
in this package can be tested without a server, and import-linter checks that it stays so.
"""
