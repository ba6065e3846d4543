import numpy as np
import numpy.typing as npt

def topk_cosine(
    matrix: npt.ArrayLike,
    query: npt.ArrayLike,
    k: int,
    *,
    assume_normalized: bool = False,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]: ...
