"""The :class:`Embedder` protocol every embedding provider implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = ["Embedder"]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit float32 vectors of dimension ``dim``."""

    @property
    def name(self) -> str:
        """Model identity, e.g. ``"hashing-v1-384"``; stored with every vector."""
        ...

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """A (len(texts), dim) float32 array of unit rows (zero rows for empty texts)."""
        ...
