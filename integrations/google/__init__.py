"""Gmail and Google Calendar behind the provider protocol, through Google's own client libraries."""

from integrations.google.client import GoogleEndpoints
from integrations.google.provider import GmailProvider

__all__ = ["GmailProvider", "GoogleEndpoints"]
