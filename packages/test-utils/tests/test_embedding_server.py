"""The local OpenAI-compatible embeddings server, driven with the standard library."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import numpy as np
import pytest

from memory_test_utils.embedding_server import (
    DEFAULT_API_KEY,
    EmbeddingServer,
    run_embedding_server,
    text_vector,
)


def _post(
    server: EmbeddingServer, body: object, *, key: str | None = DEFAULT_API_KEY
) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(
        f"{server.url}/embeddings",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def test_answers_like_openai() -> None:
    with run_embedding_server(dim=8) as server:
        status, _, payload = _post(server, {"model": "m", "input": ["a", "b"]})
    assert status == 200
    assert [item["index"] for item in payload["data"]] == [0, 1]
    np.testing.assert_allclose(payload["data"][1]["embedding"], text_vector("b", 8))
    assert server.inputs == [["a", "b"]]
    assert server.url.startswith("http://127.0.0.1:")


def test_text_vectors_are_deterministic_and_not_unit() -> None:
    np.testing.assert_array_equal(text_vector("same", 16), text_vector("same", 16))
    assert not np.allclose(text_vector("same", 16), text_vector("other", 16))
    assert abs(float(np.linalg.norm(text_vector("same", 16))) - 1.0) > 0.5


def test_checks_the_key() -> None:
    with run_embedding_server() as server:
        assert _post(server, {"model": "m", "input": ["a"]}, key="wrong")[0] == 401
        assert _post(server, {"model": "m", "input": ["a"]}, key=None)[0] == 401
    with run_embedding_server(api_key=None) as open_server:
        assert _post(open_server, {"model": "m", "input": ["a"]}, key=None)[0] == 200


@pytest.mark.parametrize("body", [{"input": ["a"]}, {"model": "m", "input": []}, {"model": "m"}])
def test_rejects_bad_requests(body: object) -> None:
    with run_embedding_server() as server:
        assert _post(server, body)[0] == 400


def test_scripted_failures_then_normal_answers() -> None:
    with run_embedding_server() as server:
        server.fail_next(1, status=429, retry_after=1.5)
        server.fail_next(1, status=500)
        server.reply_next(b"not json at all", status=200)
        status, headers, _ = _post(server, {"model": "m", "input": ["a"]})
        assert (status, headers.get("Retry-After")) == (429, "1.5")
        assert _post(server, {"model": "m", "input": ["a"]})[0] == 500
        with pytest.raises(json.JSONDecodeError):
            _post(server, {"model": "m", "input": ["a"]})
        assert _post(server, {"model": "m", "input": ["a"]})[0] == 200
        assert len(server.requests) == 4


def test_stall_is_cut_short_by_close() -> None:
    with run_embedding_server() as server:
        server.stall_next(1, seconds=0.3)
        started = time.monotonic()
        assert _post(server, {"model": "m", "input": ["a"]})[0] == 200
        assert time.monotonic() - started >= 0.3
        server.stall_next(1, seconds=60)
        request = urllib.request.Request(
            f"{server.url}/embeddings", data=b"{}", method="POST", headers={}
        )
        with pytest.raises(TimeoutError):
            urllib.request.urlopen(request, timeout=0.2)
        started = time.monotonic()
    assert time.monotonic() - started < 5  # closing did not wait out the 60 s stall


def test_reverse_order() -> None:
    with run_embedding_server() as server:
        server.reverse_order = True
        _, _, payload = _post(server, {"model": "m", "input": ["a", "b", "c"]})
    assert [item["index"] for item in payload["data"]] == [2, 1, 0]
