"""The project's own exception family: a user's mistake apart from a bug.

`UserError` is something the person at the keyboard can fix (a name that matches nobody, a
file that is not CSV, a setting out of range): the command line shows its message as one
line and exits 2, the web page shows it beside the form. Anything else that escapes is a
bug: exit 1, with the traceback in the log. It lives in the lowest package so that every
layer raises from the same family; subclasses keep their old built-in base (LookupError,
ValueError) so existing `except` clauses still hold.
"""

from __future__ import annotations


class OutreachError(Exception):
    """Base of every exception this project raises on purpose."""


class UserError(OutreachError):
    """Something the user can fix; the message names what was wrong and where, in one line."""


class InvalidSetting(UserError, ValueError):
    """A setting, an environment variable or a name given to us has a value we cannot use."""
