"""The page's Flask application: the gate in front of every request, the security headers
after it, one-line notices for the user's mistakes and the mailbox's refusals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, flash, g, redirect, render_template, request
from werkzeug.wrappers.response import Response

from events.errors import UserError
from events.projections.accounts import AccountRow
from integrations.protocol import NeedsReconnect, Provider, ProviderError
from worker.services.app import App
from worker.services.notes import MAX_SENTENCE
from worker.services.rendering import Renderer
from worker.web.security import COOKIE, Gate

#: No script at all (the page works with plain forms), nothing from elsewhere, no framing.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
#: Reached without a session: signing in, the stylesheet, and the "is it running" probe.
OPEN_ENDPOINTS = frozenset({"static", "pages.sign_in", "pages.ping", "pages.signed_out"})
MAX_UPLOAD = 21 * 1024 * 1024


@dataclass(frozen=True)
class PageContext:
    """What the page serves from.

    Parameters:
      app: the opened application (its clock, settings and log).
      provider_for: builds the provider of an account; the page closes each it built at
        the end of the request (providers hold connections that are not thread-safe).
      renderer: the message templates (a draft's prepared text).
      gate: sign-in, sessions and CSRF for this install's secret.
      hosts: the Host headers the page answers to.
    """

    app: App
    provider_for: Callable[[AccountRow], Provider]
    renderer: Renderer
    gate: Gate
    hosts: frozenset[str]


def context() -> PageContext:
    ctx: PageContext = g.page
    return ctx


def request_provider(account: AccountRow) -> Provider:
    """The provider of `account` for this request, built once and closed at its end."""
    opened: dict[str, Provider] = g.setdefault("providers", {})
    if account.account_id not in opened:
        opened[account.account_id] = context().provider_for(account)
    return opened[account.account_id]


def safe_back(target: str | None, default: str = "/") -> str:
    """A path on this page to return to after a form: never another site."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not (target or "").startswith("/"):
        return default
    return target or default


def create_app(page: PageContext) -> Flask:
    from worker.web.pages import pages

    flask = Flask(__name__)
    flask.secret_key = page.gate.flash_key()
    flask.config.update(
        SESSION_COOKIE_NAME="outreach_notice",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=MAX_UPLOAD,
        TEMPLATES_AUTO_RELOAD=False,
    )
    flask.register_blueprint(pages)
    # The forms hold a sentence to what the service accepts: a longer one typed in full
    # would be refused after the fact, and the redirect back would lose what was typed.
    flask.jinja_env.globals["max_sentence"] = MAX_SENTENCE

    @flask.before_request
    def gate() -> Response | str | tuple[str, int] | None:
        g.page = page
        # First, before anything is read: a rebinding site's name is not ours.
        if request.host not in page.hosts:
            return "This page answers only at its own address.", 421
        if request.endpoint in OPEN_ENDPOINTS:
            return None
        sid = page.gate.session_id(request.cookies.get(COOKIE))
        if sid is None:
            return render_template("signed_out.html"), 401
        g.sid = sid
        if request.method not in ("GET", "HEAD") and not page.gate.csrf_ok(
            sid, request.form.get("csrf")
        ):
            abort(403)
        return None

    @flask.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @flask.teardown_request
    def close_providers(_exc: BaseException | None) -> None:
        for provider in g.pop("providers", {}).values():
            provider.close()

    @flask.context_processor
    def shared() -> dict[str, Any]:
        sid = g.get("sid")
        return {
            "csrf": page.gate.csrf_token(sid) if sid else "",
            "here": request.full_path.rstrip("?"),
            "endpoint": request.endpoint,
        }

    def back_with(message: str) -> Response:
        flash(message, "error")
        return redirect(safe_back(request.form.get("back")), 303)

    @flask.errorhandler(UserError)
    def user_error(exc: UserError) -> Response:
        text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        return back_with(text.splitlines()[0] if text else type(exc).__name__)

    @flask.errorhandler(NeedsReconnect)
    def reconnect(exc: NeedsReconnect) -> Response:
        return back_with(f"{str(exc).splitlines()[0]}; run `{exc.command}`")

    @flask.errorhandler(ProviderError)
    def provider_error(exc: ProviderError) -> Response:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return back_with(f"The mailbox refused: {first}. Nothing was changed; try again later.")

    @flask.errorhandler(403)
    def forbidden(_exc: Exception) -> tuple[str, int]:
        return render_template("refused.html"), 403

    return flask
