"""Pure parts of the ImBox chat translation (api/imbox/chat_translate.py)."""

from __future__ import annotations

import asyncio
import json

from pydantic import BaseModel, Field

from frontdesk.api.imbox import chat_translate as ct


class _Row(BaseModel):
    value: int = Field(alias="valueID")


async def _body(batches: list[list[_Row]]) -> bytes:
    response = ct.json_stream(batches)
    assert response.media_type == "application/json"
    return b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[misc]


def test_the_stream_joins_every_batch_into_one_envelope_by_the_spec_names() -> None:
    rows = [[_Row(valueID=1), _Row(valueID=2)], [], [_Row(valueID=3)]]
    body = asyncio.run(_body(rows))
    assert body == (
        b'{"result":"success","json":[{"valueID":1},{"valueID":2},{"valueID":3}],"length":3}'
    )
    assert json.loads(body)["length"] == 3
    assert asyncio.run(_body([])) == b'{"result":"success","json":[],"length":0}'
