"""CSV exports: RFC 4180 quoting, cells that cannot run as spreadsheet formulas, streamed.

A generator yields one chunk of text per batch of rows, so a response of any size holds
only one batch in memory; the caller fetches each batch by keyset.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from fastapi.responses import StreamingResponse

from frontdesk.http.cells import cell


def csv_chunks(
    header: Sequence[str], batches: Iterable[Iterable[Sequence[object]]]
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield buffer.getvalue()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([cell(value) for value in row] for row in batch)
        yield buffer.getvalue()


def csv_response(chunks: Iterator[str], filename: str) -> StreamingResponse:
    """`filename` is the server's own plain ASCII name, never a client's."""
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
