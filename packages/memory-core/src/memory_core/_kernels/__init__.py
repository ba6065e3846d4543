"""Pick the compiled kernels, or their numpy references.

Setting ``MEMORY_CORE_PURE_PYTHON`` to a non-empty value other than ``"0"``
forces the references. If the compiled modules are missing (for example a
source checkout that was never built), the references are used and a
:class:`RuntimeWarning` says so once, at import.
"""

from __future__ import annotations

import os
import warnings

__all__ = ["COMPILED", "topk_cosine"]

_FORCE_PURE = os.environ.get("MEMORY_CORE_PURE_PYTHON", "") not in ("", "0")

COMPILED: bool
if _FORCE_PURE:
    from ._similarity_py import topk_cosine

    COMPILED = False
else:
    try:
        from ._similarity import topk_cosine
    except ImportError as exc:
        warnings.warn(
            f"memory_core compiled kernels are unavailable ({exc}); "
            "using the slower numpy reference implementation",
            RuntimeWarning,
            stacklevel=2,
        )
        from ._similarity_py import topk_cosine

        COMPILED = False
    else:
        COMPILED = True
