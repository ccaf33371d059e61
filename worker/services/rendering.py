"""Rendering messages from Jinja2 templates: sandboxed, strict, and refusing header injection.

A template file holds a `Subject:` line, a blank line, then the body. Files in
`<config dir>/templates/` override the packaged ones of the same name.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import jinja2
from jinja2.sandbox import SandboxedEnvironment

import templates
from events.errors import UserError
from worker.domain import wording
from worker.domain.addresses import InvalidInput, check_text
from worker.domain.markers import find_markers

KINDS = (
    "outreach",
    "nudge",
    "confirmation",
    "confirmation_ask",
    "thank_you",
    "referrer_thanks",
    "keep_in_touch",
    "propose_times",
    "decline_thanks",
)
# The templates package ships beside ours; found by import, wherever it is installed.
_PACKAGED = Path(templates.__file__).resolve().parent
_SUBJECT = re.compile(r"\ASubject:[ \t]*(?P<subject>[^\r\n]*)\r?\n\r?\n", re.IGNORECASE)
MAX_OUTPUT = 100_000


class TemplateProblem(UserError, ValueError):
    """A template could not be rendered; the message names the template and the cause."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


#: What one render may cost. Templates are the user's files, but a mistake (or a file
#: copied from somewhere) must not hang an actor thread or eat the machine's memory.
MAX_SECONDS = 2.0
MAX_NUMBER = 10_000  # the largest int a call or filter may take (a width, a count)
MAX_ELEMENTS = 100_000  # items all range() calls and repetitions may make, per render
_WIDE_FORMAT = re.compile(r"\d{5,}|\*")  # a width or precision of 10000+, or one from an arg


def _refuse(why: str) -> NoReturn:
    raise jinja2.exceptions.SecurityError(why)


def _check_number(value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        _refuse(f"a number above {MAX_NUMBER} is not allowed here")


class _Bounded(SandboxedEnvironment):
    """Sandbox that also bounds the work of one render: numbers passed to calls and
    filters, items made by range() and repetition, `**`, and (in `Renderer.render`) time."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._made = threading.local()
        # Mail has no use for lorem ipsum, and lipsum(100000) is slow by itself.
        self.globals.pop("lipsum", None)
        self.filters = {name: _bounded_filter(f) for name, f in self.filters.items()}

    def reset(self) -> None:
        self._made.count = 0

    def _made_items(self, n: int) -> None:
        self._made.count = getattr(self._made, "count", 0) + n
        if self._made.count > MAX_ELEMENTS:
            _refuse(f"more than {MAX_ELEMENTS} items made by range() or repetition")

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            _check_number(value)
        # The sandbox's own range (safe_range) stands in for the builtin in templates.
        if __obj is range or __obj is self.globals.get("range"):
            self._made_items(len(range(*args)))
        # The sandbox hands out str.format wrapped; '{:>1000000000}' would make a gigabyte.
        inner = getattr(__obj, "__wrapped__", __obj)
        if getattr(inner, "__name__", "") in ("format", "format_map"):
            text = getattr(inner, "__self__", None)
            if isinstance(text, str) and _WIDE_FORMAT.search(text):
                _refuse("a format width above 9999 is not allowed")
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_number(left)
            if isinstance(right, int | float) and abs(right) > 64:
                _refuse("an exponent above 64 is not allowed")
        elif operator == "%" and isinstance(left, str) and _WIDE_FORMAT.search(left):
            _refuse("a format width above 9999 is not allowed")
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int):
                    self._made_items(len(seq) * max(times, 0))
        return super().call_binop(context, operator, left, right)


def _bounded_filter(f: Any) -> Any:
    """A filter refusing huge numeric arguments (`center(10**9)` would allocate a gigabyte)."""

    @functools.wraps(f)  # keeps jinja's pass_context/pass_environment markers
    def bounded(*args: Any, **kwargs: Any) -> Any:
        for value in (*args[1:], *kwargs.values()):
            _check_number(value)
        return f(*args, **kwargs)

    return bounded


class _Deadline:
    """Stops a render that runs past its time: a line tracer on the template's own frames
    (the compiled template is Python; every loop turn runs one of its lines), installed
    for this thread only and the previous tracer put back afterwards."""

    def __init__(self, seconds: float) -> None:
        self.until = time.monotonic() + seconds
        self.seconds = seconds

    def _global(self, frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "call" and frame.f_code.co_filename.endswith(".j2"):
            return self._line
        return None

    def _line(self, _frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "line" and time.monotonic() > self.until:
            _refuse(f"rendering took longer than {self.seconds:g} s")
        return self._line

    def __enter__(self) -> None:
        self._previous = sys.gettrace()
        sys.settrace(self._global)

    def __exit__(self, *_exc: object) -> None:
        sys.settrace(self._previous)


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
        # The wording helpers a template may apply to the user's own words.
        self.env.filters.update(
            {
                "sentence": _bounded_filter(wording.sentence),
                "own_words": _bounded_filter(wording.in_own_words),
                "names": _bounded_filter(wording.names),
                "first_name": _bounded_filter(lambda name: wording.first_name(str(name))),
            }
        )

    def render(self, kind: str, context: dict[str, Any]) -> Rendered:
        if kind not in KINDS:
            raise TemplateProblem(f"unknown message kind {kind!r}")
        name = f"{kind}.txt.j2"
        try:
            template = self.env.get_template(name)
            self.env.reset()
            with _Deadline(MAX_SECONDS):
                text = template.render(**context)
        except RecursionError:
            # A macro calling itself, or a recursive loop without end.
            raise TemplateProblem(f"template {name}: recursion too deep") from None
        except MemoryError:
            raise TemplateProblem(f"template {name}: needs too much memory") from None
        except jinja2.TemplateNotFound as exc:
            # {% include %} and {% extends %} reach only the template directories.
            raise TemplateProblem(
                f"template {name}: includes {exc.name!r}, which is not a template here"
            ) from None
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
        except Exception as exc:
            # Whatever else a template raises ({{ 1 / 0 }}, an index out of range) is the
            # template's problem too: recorded as a failed action, not a crashed actor.
            raise TemplateProblem(f"template {name}: {type(exc).__name__}: {exc}") from None
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
        # Squeeze the blank lines an optional sentence left behind when it was dropped.
        body = re.sub(r"\n{3,}", "\n\n", body)
        markers = find_markers(f"{subject}\n{body}")
        if markers:
            # No slot is ever left for the reader to see: a template drops a sentence whose
            # data is missing; it never sends "[What stayed with you]".
            raise TemplateProblem(f"template {name}: the message still holds {markers[0]}")
        return Rendered(subject=subject, body=body)
