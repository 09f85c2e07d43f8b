"""Each dialect's own OpenAPI document, generated from its FastAPI routes.

A dialect owns the routes under its path prefix. FastAPI describes their parameters,
bodies and answers from the routes themselves; what it cannot know is added here from
the dialect's `Description`: its error envelope (FastAPI documents a 422 with its own
`detail` list, which none of our dialects sends: each renders errors in its own envelope,
http/errors.py), the status bad input gets (400 for the vendors, 422 natively), its
security scheme, and query parameters a dialect parses by hand (ImBox). Every operation
then documents the bad-input status and a `default` answer with that envelope, so a
client, or schemathesis, can hold every answer to the document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts

Schema = dict[str, Any]
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_FASTAPI_ERRORS = ("HTTPValidationError", "ValidationError")


@dataclass(frozen=True)
class Description:
    title: str
    description: str
    owns: Callable[[str], bool]  # whether a route path belongs to the dialect
    error: Schema  # JSON Schema of its error envelope
    bad_input: int = 400
    security_schemes: Mapping[str, Schema] = field(default_factory=dict)
    # query parameters parsed by hand, per (METHOD, path template)
    parameters: Mapping[tuple[str, str], Sequence[Schema]] = field(default_factory=dict)


def document(app: FastAPI, dialect: Description, version: str) -> dict[str, Any]:
    routes = [
        context
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and dialect.owns(context.path or "")
        and context.include_in_schema
    ]
    doc = get_openapi(
        title=dialect.title,
        version=version,
        description=dialect.description,
        routes=routes,
    )
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            _describe_errors(operation, dialect)
            extra = dialect.parameters.get((method.upper(), path), ())
            operation.setdefault("parameters", []).extend(extra)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in _FASTAPI_ERRORS:
        schemas.pop(name, None)
    schemas["Error"] = dialect.error
    if dialect.security_schemes:
        components.setdefault("securitySchemes", {}).update(dialect.security_schemes)
        doc["security"] = [{name: []} for name in dialect.security_schemes]
    return doc


def _describe_errors(operation: dict[str, Any], dialect: Description) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    error = {"content": {"application/json": {"schema": _ERROR_REF}}}
    responses[str(dialect.bad_input)] = {"description": "Bad input", **error}
    responses["default"] = {
        "description": "Any other error (401, 403, 404, 405, 409, 413, 429)",
        **error,
    }


def serve(app: FastAPI, path: str, dialect: Description, version: str) -> None:
    """Serve the dialect's document at `path` (built on first request, then kept)."""
    built: list[dict[str, Any]] = []

    async def openapi() -> JSONResponse:
        if not built:
            built.append(document(app, dialect, version))
        return JSONResponse(built[0])

    app.add_api_route(path, openapi, methods=["GET"], include_in_schema=False)


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


STRING: Schema = {"type": "string"}
