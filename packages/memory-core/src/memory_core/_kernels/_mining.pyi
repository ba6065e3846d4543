import numpy.typing as npt

from memory_core._kernels._mining_py import NgramArrays as NgramArrays
from memory_core._kernels._mining_py import PatternArrays as PatternArrays

_PAIR_TABLE_CELLS: int

def mine_ngrams(
    tokens: npt.ArrayLike,
    offsets: npt.ArrayLike,
    *,
    min_n: int = 2,
    max_n: int | None = 5,
    min_support: int = 1,
    success: npt.ArrayLike | None = None,
    weights: npt.ArrayLike | None = None,
    n_items: int | None = None,
) -> NgramArrays: ...
def prefixspan(
    tokens: npt.ArrayLike,
    offsets: npt.ArrayLike,
    *,
    min_support: int,
    max_length: int | None = None,
    n_items: int | None = None,
) -> PatternArrays: ...
