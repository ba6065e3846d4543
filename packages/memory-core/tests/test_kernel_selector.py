"""The kernel selector: compiled by default, the env switch forces the references, and a
missing compiled module falls back (every kernel together) with one RuntimeWarning."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import memory_core._kernels as kernels

KERNELS = ("topk_cosine", "prefixspan", "mine_ngrams", "topk_int8", "quantize_rows")
COMPILED_MODULES = {
    "topk_cosine": "memory_core._kernels._similarity",
    "topk_int8": "memory_core._kernels._quantized",
    "quantize_rows": "memory_core._kernels._quantized",
    "prefixspan": "memory_core._kernels._mining",
    "mine_ngrams": "memory_core._kernels._mining",
}
REFERENCE_MODULES = {
    name: module.replace("._similarity", "._similarity_py")
    .replace("._mining", "._mining_py")
    .replace("._quantized", "._quantized_py")
    for name, module in COMPILED_MODULES.items()
}
env_forces_pure = os.environ.get("MEMORY_CORE_PURE_PYTHON", "") not in ("", "0")


def selector_state(env_value: str | None, prelude: str = "") -> dict[str, object]:
    """Import the selector in a fresh interpreter and report what it picked."""
    env = {key: value for key, value in os.environ.items() if key != "MEMORY_CORE_PURE_PYTHON"}
    if env_value is not None:
        env["MEMORY_CORE_PURE_PYTHON"] = env_value
    code = (
        "import json, warnings\n"
        f"{prelude}\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    import memory_core._kernels as k\n"
        "print(json.dumps({\n"
        "    'compiled': k.COMPILED,\n"
        f"    'modules': {{n: getattr(k, n).__module__ for n in {KERNELS!r}}},\n"
        "    'warnings': [w.category.__name__ for w in caught if 'kernels' in str(w.message)],\n"
        "}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    state: dict[str, object] = json.loads(done.stdout)
    return state


@pytest.mark.skipif(env_forces_pure, reason="MEMORY_CORE_PURE_PYTHON is set")
def test_compiled_kernels_are_the_default() -> None:
    assert kernels.COMPILED is True
    assert {n: getattr(kernels, n).__module__ for n in KERNELS} == COMPILED_MODULES


@pytest.mark.parametrize("value", ["1", "yes"])
def test_env_switch_forces_the_references(value: str) -> None:
    assert selector_state(value) == {
        "compiled": False,
        "modules": REFERENCE_MODULES,
        "warnings": [],
    }


@pytest.mark.parametrize("value", [None, "0", ""])
def test_env_switch_off_keeps_compiled(value: str | None) -> None:
    assert selector_state(value) == {
        "compiled": True,
        "modules": COMPILED_MODULES,
        "warnings": [],
    }


@pytest.mark.parametrize("missing", ["_similarity", "_mining", "_quantized"])
def test_missing_compiled_module_falls_back_with_one_warning(missing: str) -> None:
    block = f"import sys; sys.modules['memory_core._kernels.{missing}'] = None"
    assert selector_state(None, prelude=block) == {
        "compiled": False,
        "modules": REFERENCE_MODULES,
        "warnings": ["RuntimeWarning"],
    }
