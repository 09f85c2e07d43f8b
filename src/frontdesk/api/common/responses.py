"""JSON responses from models the route built itself.

A sync FastAPI route that returns a model is validated and serialised a second time, and
that happens on another trip through the thread pool: on the hottest routes this trip cost
more than the database work. A model our own code constructed is valid already, so the
hot routes return its JSON directly; `response_model` on the route still documents it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import Response
from pydantic import BaseModel


def model_json(
    model: BaseModel,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    exclude: set[str] | None = None,
) -> Response:
    """The model as FastAPI would send it (field aliases), without validating it again."""
    return Response(
        model.model_dump_json(by_alias=True, exclude=exclude),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def models_json(
    models: Sequence[BaseModel], *, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON array of models, as `model_json` sends one."""
    body = b"[" + b",".join(model.model_dump_json(by_alias=True).encode() for model in models)
    return Response(body + b"]", media_type="application/json", headers=headers)
