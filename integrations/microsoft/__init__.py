"""Outlook mail and calendar behind the provider protocol: MSAL for tokens, requests for Graph."""

from integrations.microsoft.auth import TokenSource
from integrations.microsoft.provider import OutlookProvider

__all__ = ["OutlookProvider", "TokenSource"]
