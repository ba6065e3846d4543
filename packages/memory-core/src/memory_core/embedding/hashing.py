"""The dependency-free local default embedder.

:class:`HashingEmbedder` needs nothing but numpy: it hashes word stems, word
bigrams and character trigrams into a fixed number of buckets (the "hashing
trick") with sublinear term weights and a signed hash to cancel collisions on
average. It captures lexical and sub-word overlap (so "endpoint" and
"endpoints", "deploy" and "deployment" land close), not deep meaning; plug in a
neural embedder for that.
"""

from __future__ import annotations

import itertools
import zlib
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..text import tokenize

__all__ = ["HashingEmbedder"]

_WORD_WEIGHT = 1.0
_BIGRAM_WEIGHT = 0.7
_TRIGRAM_WEIGHT = 0.35


class HashingEmbedder:
    """Feature-hashing embedder: deterministic across processes and platforms."""

    def __init__(self, dim: int = 384) -> None:
        if not 8 <= dim <= 8192:
            raise ValueError(f"dim must be in [8, 8192], got {dim}")
        self._dim = dim

    @property
    def name(self) -> str:
        """Model identity including the dimension."""
        return f"hashing-v1-{self._dim}"

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    def __repr__(self) -> str:
        return f"HashingEmbedder(dim={self._dim})"

    def _features(self, text: str) -> Counter[str]:
        words = tokenize(text)
        features: Counter[str] = Counter()
        for word in words:
            features["w:" + word] += 1
            padded = f"<{word}>"
            for i in range(len(padded) - 2):
                features["c:" + padded[i : i + 3]] += 1
        for first, second in itertools.pairwise(words):
            features[f"b:{first} {second}"] += 1
        return features

    def _vector(self, text: str) -> npt.NDArray[np.float32]:
        vector = np.zeros(self._dim, dtype=np.float32)
        weights = {"w": _WORD_WEIGHT, "b": _BIGRAM_WEIGHT, "c": _TRIGRAM_WEIGHT}
        for feature, count in self._features(text).items():
            digest = zlib.crc32(feature.encode("utf-8"))
            sign = 1.0 if digest & 0x80000000 else -1.0
            vector[digest % self._dim] += sign * weights[feature[0]] * (1.0 + np.log(count))
        norm = float(np.linalg.norm(vector))
        if norm > 0.0:
            vector /= norm
        return vector

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed each text; identical texts give identical vectors in any process."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self._vector(text)
        return out
