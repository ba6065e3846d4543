"""SentenceTransformerEmbedder with the model packaged on PyPI, loaded offline.

Not collected by the default test run (it needs torch): run it with the extra installed,
``nox -s embeddings`` or ``pytest packages/memory-core/tests_optional``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

# Set before sentence-transformers is imported: any attempt to reach the hub fails.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from memory_core.embedding import (
    PACKAGED_MODEL,
    Embedder,
    EmbeddingError,
    SentenceTransformerEmbedder,
)
from memory_core.errors import ValidationError


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def test_packaged_model_loads_offline(embedder: SentenceTransformerEmbedder) -> None:
    assert isinstance(embedder, Embedder)
    assert embedder.dim == 384
    assert embedder.name == f"sentence-transformers:{PACKAGED_MODEL}:384"
    assert "cpu" in repr(embedder)


def test_rows_are_unit_float32(embedder: SentenceTransformerEmbedder) -> None:
    texts = ["Build a REST API endpoint", "", "Fix the failing database migration"]
    vectors = embedder.embed(texts)
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, 384)
    norms = np.linalg.norm(vectors, axis=1)
    np.testing.assert_allclose(norms[[0, 2]], 1.0, atol=1e-5)
    assert norms[1] == 0.0
    np.testing.assert_allclose(embedder.embed(texts), vectors, atol=1e-6)
    assert embedder.embed([]).shape == (0, 384)


def test_paraphrases_are_closer_than_unrelated_texts(
    embedder: SentenceTransformerEmbedder,
) -> None:
    pairs = [
        ("How do I reset my password?", "I forgot my password, how can I change it?"),
        ("The deployment failed with a timeout", "Deploying timed out and did not finish"),
        ("Parse the CSV file into rows", "Read the comma-separated file line by line"),
    ]
    unrelated = "A recipe for banana bread with walnuts"
    for left, right in pairs:
        a, b, c = embedder.embed([left, right, unrelated])
        assert float(a @ b) > float(a @ c) + 0.2, (left, right)


def test_bad_input(embedder: SentenceTransformerEmbedder) -> None:
    with pytest.raises(ValidationError):
        embedder.embed("not a list")


def test_missing_local_model_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(EmbeddingError, match="cannot load"):
        SentenceTransformerEmbedder(str(tmp_path) + "/no-such-model")


def test_nothing_is_downloaded() -> None:
    # A fresh interpreter with the network disabled at the socket level still loads it.
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n    raise OSError('network disabled in this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from memory_core.embedding import SentenceTransformerEmbedder\n"
        "print(SentenceTransformerEmbedder().embed(['hello world']).shape)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("(1, 384)")
