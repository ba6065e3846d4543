"""Optional OpenTelemetry spans: real spans when ``opentelemetry-api`` is installed.

Without the package, or until the application installs an SDK tracer provider,
:func:`span` returns a no-op context manager without calling OpenTelemetry at
all, so uninstrumented deployments pay nothing. Span names are
``memory.<operation>``, ``storage.<method>``, ``lifecycle.<step>``,
``retrieval.<step>`` and ``learning.<step>``; attributes carry the episode id,
namespace and operation (``memory.episode_id``, ``memory.namespace``,
``memory.operation``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from ._context import current_context

__all__ = ["TRACER_NAME", "span", "start_span", "tracing_available"]

TRACER_NAME = "memory_core"

# Any: the optional package may be missing, so its types cannot be named here.
_tracer: Any = None
_api: Any = None
_current_provider: Callable[[], object] = object
_unset_providers: tuple[type, ...] = (object,)
_UNKNOWN = object()
try:
    from opentelemetry import trace as _trace
except ImportError:  # pragma: no cover - exercised only without the optional package
    pass
else:
    _api = _trace
    # A proxy tracer: it follows whichever provider the application sets later.
    _tracer = _trace.get_tracer(TRACER_NAME)
    _current_provider = _trace.get_tracer_provider
    # Spans from these providers are no-ops that still cost microseconds each.
    _unset_providers = (_trace.ProxyTracerProvider, _trace.NoOpTracerProvider)
# The API can also install a provider named by this variable on first use.
_PROVIDER_FROM_ENV = "OTEL_PYTHON_TRACER_PROVIDER" in os.environ


def tracing_available() -> bool:
    """Whether ``opentelemetry-api`` is importable (spans are recorded if an SDK is set up)."""
    return _tracer is not None


def _provider_installed() -> bool:
    # get_tracer_provider() reads os.environ on every call while no provider is set, which
    # costs more than the rest of an instrumented call; the API's module global says the
    # same in one lookup (with the public call as the fallback should it ever move).
    provider = getattr(_api, "_TRACER_PROVIDER", _UNKNOWN)
    if provider is None and not _PROVIDER_FROM_ENV:
        return False
    if provider is None or provider is _UNKNOWN:
        provider = _current_provider()
    return not isinstance(provider, _unset_providers)


def start_span(name: str, **attributes: Any) -> AbstractContextManager[Any] | None:
    """The span context manager :func:`span` would return, or None when it would be a no-op."""
    if _tracer is None or not _provider_installed():
        return None
    clean = {key: value for key, value in attributes.items() if value is not None}
    for key, value in current_context().items():
        if value is not None:
            clean.setdefault(f"memory.{key}", value)
    manager: AbstractContextManager[Any] = _tracer.start_as_current_span(name, attributes=clean)
    return manager


def span(name: str, **attributes: Any) -> AbstractContextManager[Any]:
    """A span named ``name`` around the block (a no-op without OpenTelemetry).

    ``None`` attributes are dropped; the context fields (episode id, namespace,
    operation) are added. Exceptions leaving the block are recorded on the span
    and mark it as an error (OpenTelemetry's default), then propagate unchanged.
    """
    manager = start_span(name, **attributes)
    return nullcontext() if manager is None else manager
