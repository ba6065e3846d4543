"""Wire types of Hrana over HTTP (``POST /v2/pipeline``), as msgspec Structs.

Only what this package sends and reads: ``execute``, ``batch`` (with ``ok`` /
``not`` conditions) and ``close`` requests, their results and errors. Responses
are decoded into these types, so a malformed or hostile response is rejected
by msgspec instead of surfacing as a ``KeyError`` somewhere later. Unknown
fields (``rows_read``, ``query_duration_ms``, …) are ignored.
"""

from __future__ import annotations

import base64

import msgspec

from ._sql import Row, SqlValue

__all__ = [
    "Batch",
    "BatchRequest",
    "BatchResponse",
    "BatchStep",
    "CloseRequest",
    "ExecuteRequest",
    "ExecuteResponse",
    "HranaError",
    "NotCond",
    "OkCond",
    "PipelineRequest",
    "PipelineResponse",
    "StmtResult",
    "StreamError",
    "StreamOk",
    "WireStmt",
    "decode_pipeline_response",
    "decode_rows",
    "encode_pipeline_request",
    "to_wire_value",
]


class NullValue(msgspec.Struct, tag="null", tag_field="type"):
    """SQL NULL."""


class IntegerValue(msgspec.Struct, tag="integer", tag_field="type"):
    """A 64-bit integer, sent as a decimal string so JSON doubles cannot round it."""

    value: str


class FloatValue(msgspec.Struct, tag="float", tag_field="type"):
    """A 64-bit float."""

    value: float


class TextValue(msgspec.Struct, tag="text", tag_field="type"):
    """UTF-8 text."""

    value: str


class BlobValue(msgspec.Struct, tag="blob", tag_field="type"):
    """Bytes, base64 (the server answers without padding)."""

    base64: str


WireValue = NullValue | IntegerValue | FloatValue | TextValue | BlobValue


class WireStmt(msgspec.Struct, omit_defaults=True):
    """One statement with positional arguments."""

    sql: str
    args: list[WireValue] = msgspec.field(default_factory=list)
    want_rows: bool = True


class OkCond(msgspec.Struct, tag="ok", tag_field="type"):
    """True when batch step ``step`` ran and succeeded."""

    step: int


class NotCond(msgspec.Struct, tag="not", tag_field="type"):
    """Negation of ``cond``."""

    cond: OkCond


class BatchStep(msgspec.Struct, omit_defaults=True):
    """A statement of a batch, skipped unless ``condition`` holds."""

    stmt: WireStmt
    condition: OkCond | NotCond | None = None


class Batch(msgspec.Struct):
    """Statements the server runs in order."""

    steps: list[BatchStep]


class ExecuteRequest(msgspec.Struct, tag="execute", tag_field="type"):
    """Run one statement on the stream."""

    stmt: WireStmt


class BatchRequest(msgspec.Struct, tag="batch", tag_field="type"):
    """Run a batch on the stream."""

    batch: Batch


class CloseRequest(msgspec.Struct, tag="close", tag_field="type"):
    """Close the stream (rolling back any open transaction)."""


StreamRequest = ExecuteRequest | BatchRequest | CloseRequest


class PipelineRequest(msgspec.Struct):
    """Body of ``POST /v2/pipeline``; ``baton`` null opens a new stream."""

    baton: str | None
    requests: list[StreamRequest]


class Col(msgspec.Struct):
    """A result column."""

    name: str | None = None


class StmtResult(msgspec.Struct):
    """Rows and change count of one statement."""

    cols: list[Col]
    rows: list[list[WireValue]]
    affected_row_count: int = 0


class HranaError(msgspec.Struct):
    """An error the server reports for a request or a batch step."""

    message: str
    code: str | None = None


class BatchResult(msgspec.Struct):
    """Per-step results; both entries are null for a skipped step."""

    step_results: list[StmtResult | None]
    step_errors: list[HranaError | None]


class ExecuteResponse(msgspec.Struct, tag="execute", tag_field="type"):
    """Result of an ``execute`` request."""

    result: StmtResult


class BatchResponse(msgspec.Struct, tag="batch", tag_field="type"):
    """Result of a ``batch`` request."""

    result: BatchResult


class CloseResponse(msgspec.Struct, tag="close", tag_field="type"):
    """Result of a ``close`` request."""


class StreamOk(msgspec.Struct, tag="ok", tag_field="type"):
    """A request that succeeded."""

    response: ExecuteResponse | BatchResponse | CloseResponse


class StreamError(msgspec.Struct, tag="error", tag_field="type"):
    """A request that failed."""

    error: HranaError


class PipelineResponse(msgspec.Struct):
    """Answer to a pipeline: the next baton (null once closed) and one result per request."""

    results: list[StreamOk | StreamError]
    baton: str | None = None
    base_url: str | None = None


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(PipelineResponse)
_NULL = NullValue()


def to_wire_value(value: SqlValue) -> WireValue:
    """The Hrana form of one argument."""
    if value is None:
        return _NULL
    # bool before int: it is an int subclass, and SQLite stores it as 0/1.
    if isinstance(value, bool):
        return IntegerValue(str(int(value)))
    if isinstance(value, int):
        return IntegerValue(str(value))
    if isinstance(value, float):
        return FloatValue(value)
    if isinstance(value, str):
        return TextValue(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return BlobValue(base64.b64encode(value).decode("ascii"))
    raise TypeError(f"cannot send a {type(value).__name__} as an SQL argument")


def _from_wire(value: WireValue) -> SqlValue:
    if isinstance(value, TextValue):
        return value.value
    if isinstance(value, BlobValue):
        data = value.base64
        return base64.b64decode(data + "=" * (-len(data) % 4))
    if isinstance(value, IntegerValue):
        return int(value.value)
    if isinstance(value, FloatValue):
        return value.value
    return None


def decode_rows(result: StmtResult) -> list[Row]:
    """The rows of a statement result as Python tuples."""
    return [tuple(_from_wire(value) for value in row) for row in result.rows]


def encode_pipeline_request(request: PipelineRequest) -> bytes:
    """JSON body of a pipeline request."""
    return _encoder.encode(request)


def decode_pipeline_response(body: bytes) -> PipelineResponse:
    """Parse a pipeline response; raises ``msgspec.ValidationError``/``DecodeError``."""
    return _decoder.decode(body)
