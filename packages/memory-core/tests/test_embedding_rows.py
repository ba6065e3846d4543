"""The checks every embedding provider shares: accepted texts and returned rows."""

from __future__ import annotations

import numpy as np
import pytest

from memory_core.embedding._rows import check_texts, unit_rows
from memory_core.errors import EmbeddingError, ValidationError


def test_texts_must_be_a_sequence_of_str() -> None:
    assert check_texts(("a", "")) == ["a", ""]
    for bad in ("one string", b"bytes", {"a", "b"}, 7):
        with pytest.raises(ValidationError, match="texts must be a sequence of str, got"):
            check_texts(bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"texts\[1\] must be str, got int"):
        check_texts(["ok", 1])  # type: ignore[list-item]


def test_rows_are_unit_float32_and_zero_rows_stay_zero() -> None:
    rows = unit_rows([[3.0, 4.0], [0.0, 0.0]], count=2, dim=2, source="model 'm'")
    assert rows.dtype == np.float32
    np.testing.assert_allclose(rows, [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([[1.0, 0.0]], r"model 'm' returned an array of shape \(1, 2\), expected \(2, 2\)"),
        ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], r"shape \(2, 3\), expected \(2, 2\)"),
        ([[1.0, float("nan")], [0.0, 1.0]], r"model 'm' returned non-finite values"),
        ([[float("inf"), 0.0], [0.0, 1.0]], "non-finite"),
    ],
)
def test_bad_provider_output_is_an_embedding_error(rows: list[list[float]], message: str) -> None:
    with pytest.raises(EmbeddingError, match=message):
        unit_rows(rows, count=2, dim=2, source="model 'm'")
