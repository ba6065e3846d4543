"""Pick the compiled kernels, or their numpy references.

Setting ``MEMORY_CORE_PURE_PYTHON`` to a non-empty value other than ``"0"``
forces the references. If a compiled module is missing (for example a source
checkout that was never built), every kernel falls back to its reference, so
``COMPILED`` is true only when all compiled kernels are in use, and a
:class:`RuntimeWarning` says so once, at import.
"""

from __future__ import annotations

import os
import warnings

__all__ = ["COMPILED", "mine_ngrams", "prefixspan", "quantize_rows", "topk_cosine", "topk_int8"]

_FORCE_PURE = os.environ.get("MEMORY_CORE_PURE_PYTHON", "") not in ("", "0")

COMPILED: bool
if _FORCE_PURE:
    from ._mining_py import mine_ngrams, prefixspan
    from ._quantized_py import quantize_rows, topk_int8
    from ._similarity_py import topk_cosine

    COMPILED = False
else:
    try:
        from ._mining import mine_ngrams, prefixspan
        from ._quantized import quantize_rows, topk_int8
        from ._similarity import topk_cosine
    except ImportError as exc:
        warnings.warn(
            f"memory_core compiled kernels are unavailable ({exc}); "
            "using the slower reference implementations",
            RuntimeWarning,
            stacklevel=2,
        )
        from ._mining_py import mine_ngrams, prefixspan
        from ._quantized_py import quantize_rows, topk_int8
        from ._similarity_py import topk_cosine

        COMPILED = False
    else:
        COMPILED = True
