"""Rendering messages from Jinja2 templates: sandboxed, strict, and refusing header injection.

A template file holds a `Subject:` line, a blank line, then the body. Files in
`<config dir>/templates/` override the packaged ones of the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from worker.addresses import InvalidInput, check_text

KINDS = ("outreach", "nudge", "confirmation", "thank_you", "referrer_thanks", "keep_in_touch")
_PACKAGED = Path(__file__).resolve().parent.parent / "templates"
_SUBJECT = re.compile(r"\ASubject:[ \t]*(?P<subject>[^\r\n]*)\r?\n\r?\n", re.IGNORECASE)
MAX_OUTPUT = 100_000


class TemplateProblem(ValueError):
    """A template could not be rendered; the message names the template and the cause."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class _Bounded(SandboxedEnvironment):
    """Sandbox that also caps `range` so a template cannot spin for minutes."""

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if __obj is range and args and any(isinstance(a, int) and abs(a) > 1000 for a in args):
            raise jinja2.exceptions.SecurityError("range() larger than 1000 is not allowed")
        return super().call(__context, __obj, *args, **kwargs)


class Renderer:
    """Renders the message kinds.

    Parameters:
      override_dir: the user's template directory (may not exist).
    """

    def __init__(self, override_dir: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if override_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(override_dir)))
        loaders.append(jinja2.FileSystemLoader(str(_PACKAGED)))
        self.env = _Bounded(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain-text mail; nothing here is HTML
            keep_trailing_newline=True,
        )

    def render(self, kind: str, context: dict[str, Any]) -> Rendered:
        if kind not in KINDS:
            raise TemplateProblem(f"unknown message kind {kind!r}")
        name = f"{kind}.txt.j2"
        try:
            text = self.env.get_template(name).render(**context)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(
                f"template {exc.filename or name}:{exc.lineno}: {exc.message}"
            ) from None
        except jinja2.UndefinedError as exc:
            raise TemplateProblem(f"template {name}: {exc.message}") from None
        except jinja2.exceptions.SecurityError as exc:
            raise TemplateProblem(f"template {name}: not allowed: {exc}") from None
        except jinja2.TemplateError as exc:
            raise TemplateProblem(f"template {name}: {exc}") from None
        if len(text) > MAX_OUTPUT:
            raise TemplateProblem(f"template {name}: output longer than {MAX_OUTPUT} characters")
        match = _SUBJECT.match(text)
        if match is None:
            raise TemplateProblem(
                f"template {name}: must start with a 'Subject:' line and a blank line"
            )
        try:
            subject = check_text(
                match["subject"], f"template {name}: subject", max_len=250, required=True
            )
        except InvalidInput as exc:
            raise TemplateProblem(str(exc)) from None
        body = text[match.end() :].strip() + "\n"
        return Rendered(subject=subject, body=body)
