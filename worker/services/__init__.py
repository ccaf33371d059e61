"""Use cases over the log: contacts, imports, notes, meetings, invitations, drafts, rendering,
the effects of due actions, the tick and what `status` reports.

Services open the store and talk to providers only through the provider port
(`integrations.protocol.Provider`), which the accounts layer hands them; they never name a
concrete Google or Microsoft adapter.
"""
