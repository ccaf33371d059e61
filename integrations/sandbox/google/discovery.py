"""Routing and request validation driven by the discovery documents the client library ships."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import googleapiclient

from integrations.sandbox.google.errors import GoogleError, bad_request

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


@dataclass(frozen=True)
class Method:
    """One discovery method: its id, verb, path pattern and parameter specs."""

    id: str
    http_method: str
    pattern: re.Pattern[str]
    literal_segments: int
    parameters: dict[str, dict[str, Any]]
    request_schema: str | None
    api: Api


@dataclass(frozen=True)
class Api:
    """One discovery document: its methods, global parameters and schemas."""

    name: str
    service_path: str
    global_parameters: dict[str, dict[str, Any]]
    schemas: dict[str, Any]


@dataclass(frozen=True)
class Call:
    """A request matched to a method, with typed parameters."""

    method: Method
    params: dict[str, Any]  # path + query parameters, converted to their declared types
    body: Any


def _walk(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(resource.get("methods", {}).values())
    for sub in resource.get("resources", {}).values():
        found.extend(_walk(sub))
    return found


def _compile(service_path: str, path: str) -> tuple[re.Pattern[str], int]:
    regex, literals = "", 0
    for segment in (service_path + path).strip("/").split("/"):
        match = re.fullmatch(r"\{(\+?)(\w+)\}", segment)
        if match:
            body = ".+" if match.group(1) else "[^/]+"
            regex += f"/(?P<{match.group(2)}>{body})"
        else:
            regex += "/" + re.escape(segment)
            literals += 1
    return re.compile(regex + "/?"), literals


@functools.cache
def load(name: str) -> tuple[Api, tuple[Method, ...]]:
    """Parse a shipped discovery document, e.g. "gmail.v1"."""
    doc = json.loads((DOCUMENTS / f"{name}.json").read_text())
    api = Api(name, doc["servicePath"], doc.get("parameters", {}), doc.get("schemas", {}))
    methods = []
    for spec in _walk(doc):
        pattern, literals = _compile(api.service_path, spec.get("flatPath", spec["path"]))
        request = spec.get("request", {}).get("$ref")
        params = spec.get("parameters", {})
        methods.append(
            Method(spec["id"], spec["httpMethod"], pattern, literals, params, request, api)
        )
    # Literal segments win over placeholders: ".../messages/send" before ".../messages/{id}".
    methods.sort(key=lambda m: -m.literal_segments)
    return api, tuple(methods)


def match(names: tuple[str, ...], verb: str, path: str) -> tuple[Method, dict[str, str]]:
    """The method serving this verb and path. 404 for an unknown path; 400 when the path
    exists for other verbs only."""
    other_verbs = False
    for name in names:
        for method in load(name)[1]:
            found = method.pattern.fullmatch(path)
            if found is None:
                continue
            if method.http_method != verb:
                other_verbs = True
                continue
            return method, {k: unquote(v) for k, v in found.groupdict().items()}
    if other_verbs:
        raise GoogleError(400, "badRequest", f"Method {verb} is not supported for path {path}.")
    raise GoogleError(404, "notFound", f"The requested URL {path} was not found on this server.")


def bind(
    method: Method, path_params: dict[str, str], query: dict[str, list[str]], body: bytes
) -> Call:
    """Check query and body against the discovery document; convert parameter types."""
    params: dict[str, Any] = {}
    for name, value in path_params.items():
        params[name] = _convert(name, [value], method.parameters.get(name, {"type": "string"}))
    for name, values in query.items():
        spec = method.parameters.get(name) or method.api.global_parameters.get(name)
        if spec is None or spec.get("location") == "path":
            raise bad_request(
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query'
                f" parameter. Field '{name}' could not be found in request message.",
                reason="invalid",
                location=name,
            )
        params[name] = _convert(name, values, spec)
    for name, spec in method.parameters.items():
        if spec.get("required") and name not in params:
            raise bad_request(f"Required parameter: {name}", reason="required", location=name)
    return Call(method, params, _body(method, body))


def _convert(name: str, values: list[str], spec: dict[str, Any]) -> Any:
    if len(values) > 1 and not spec.get("repeated"):
        raise bad_request(f"Parameter {name} may only be given once.", location=name)
    converted = [_scalar(name, value, spec) for value in values]
    return converted if spec.get("repeated") else converted[0]


def _scalar(name: str, value: str, spec: dict[str, Any]) -> Any:
    kind = spec.get("type", "string")
    if kind == "integer":
        try:
            number = int(value)
        except ValueError:
            raise bad_request(
                f"Invalid value '{value}'. Values must match the following regular"
                " expression: '-?\\d+'",
                reason="invalidParameter",
                location=name,
            ) from None
        if "minimum" in spec and number < int(spec["minimum"]):
            raise bad_request(f"Invalid value '{value}' for {name}.", "invalidParameter", name)
        return number
    if kind == "boolean":
        if value not in ("true", "false"):
            raise bad_request(
                f"Invalid boolean value: '{value}'.", reason="invalidParameter", location=name
            )
        return value == "true"
    if "enum" in spec and value not in spec["enum"]:
        raise bad_request(
            f"Invalid value at '{name}' ({value}): must be one of {', '.join(spec['enum'])}",
            reason="invalidParameter",
            location=name,
        )
    return value


def _body(method: Method, raw: bytes) -> Any:
    if not raw.strip():
        return None
    if method.request_schema is None:
        return None  # Google ignores bodies on body-less methods
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad_request(
            "Invalid JSON payload received. Unexpected token.", reason="parseError"
        ) from None
    _check_schema(method.api, body, {"$ref": method.request_schema}, method.request_schema)
    return body


def _check_schema(api: Api, value: Any, schema: dict[str, Any], where: str) -> None:
    """Reject unknown names and wrongly typed objects, as Google's JSON binder does."""
    if "$ref" in schema:
        schema = api.schemas.get(schema["$ref"], {})
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        if not isinstance(value, dict):
            raise bad_request(
                f"Invalid JSON payload received. Expected an object at '{where}'.",
                reason="invalid",
            )
        for name, item in value.items():
            prop = schema["properties"].get(name)
            if prop is None:
                raise bad_request(
                    f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}':"
                    " Cannot find field.",
                    reason="invalid",
                )
            _check_schema(api, item, prop, f"{where}.{name}")
    elif kind == "array" and isinstance(value, list):
        for index, item in enumerate(value):
            _check_schema(api, item, schema.get("items", {}), f"{where}[{index}]")
    elif kind == "array" and value is not None:
        raise bad_request(
            f"Invalid JSON payload received. Expected a list at '{where}'.", reason="invalid"
        )
