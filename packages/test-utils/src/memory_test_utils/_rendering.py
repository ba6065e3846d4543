"""Render vocabulary templates into concrete strings (observations, error messages).

Everything draws from a caller's :class:`random.Random`, so output depends only on its seed.
"""

from __future__ import annotations

import math
import random
import uuid
import zlib
from collections.abc import Callable
from functools import cache

from ._vocabulary_types import ErrorKind

__all__ = ["LOGNORMAL", "ErrorRenderer", "observation_pools"]


def _lognormal_table(size: int, sigma: float, seed: int) -> tuple[float, ...]:
    rng = random.Random(seed)
    return tuple(math.exp(rng.gauss(0.0, sigma)) for _ in range(size))


#: 1024 draws of exp(N(0, 0.55)), indexed with ``getrandbits(10)``: a cheap log-normal factor.
LOGNORMAL: tuple[float, ...] = _lognormal_table(1024, 0.55, 20250101)

_POOL_SIZE = 4
_PORTS = (5432, 6379, 8000, 8080, 3000, 5173, 9092, 27017, 5554, 5556)
_TIMEOUTS = (1000, 2000, 3000, 5000, 10000, 30000, 60000)
_HTTP_CODES = (500, 502, 503, 404, 422, 401, 409)
# Absolute paths (build dirs, checkouts, mounts), as tracebacks and compilers in CI print them.
_PATHS: dict[str, tuple[str, ...]] = {
    "py": (
        "/tmp/build_{n}/app/main.py",
        "/home/agent/work/repo_{n}/src/app/service.py",
        "/srv/jobs/job-{n}/src/app/routes.py",
    ),
    "ts": (
        "/tmp/build_{n}/src/index.ts",
        "/home/agent/work/repo_{n}/src/routes/orders.ts",
        "/srv/jobs/job-{n}/src/components/Widget.tsx",
    ),
    "rs": (
        "/tmp/build_{n}/src/main.rs",
        "/home/agent/work/repo_{n}/crates/core/src/lib.rs",
        "/srv/jobs/job-{n}/src/handlers/mod.rs",
    ),
    "go": ("/tmp/build_{n}/cmd/server/main.go", "/home/agent/work/repo_{n}/internal/api/h.go"),
    "c": (
        "/tmp/build_{n}/src/main.c",
        "/home/agent/work/repo_{n}/src/buffer.c",
        "/srv/jobs/job-{n}/lib/io/reader.c",
    ),
    "sql": (
        "/tmp/dbt_{n}/target/compiled/stg_orders.sql",
        "/home/agent/work/repo_{n}/models/x.sql",
    ),
    "scala": ("/tmp/build_{n}/src/main/scala/App.scala", "/srv/jobs/job-{n}/src/Job.scala"),
    "kt": ("/tmp/build_{n}/app/src/main/java/Main.kt", "/srv/jobs/job-{n}/app/Screen.kt"),
    "dart": ("/tmp/build_{n}/lib/main.dart", "/home/agent/work/repo_{n}/lib/screens/home.dart"),
    "data": (
        "/data/raw/events_{n}.parquet",
        "/mnt/datasets/train_{n}.csv",
        "/data/processed/part-{n}.parquet",
    ),
}

_Gen = Callable[[random.Random], str]


def _num(low: int, high: int) -> _Gen:
    span = high - low + 1
    return lambda rng: str(low + int(rng.random() * span))


def _pick(values: tuple[int, ...]) -> _Gen:
    return lambda rng: str(values[int(rng.random() * len(values))])


def _port(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return str(_PORTS[int(rng.random() * len(_PORTS))])
    return str(1024 + int(rng.random() * 64511))


def _ip(rng: random.Random) -> str:
    bits = rng.getrandbits(24)
    return f"10.{bits >> 16}.{(bits >> 8) & 255}.{1 + (bits & 127)}"


_HEX_LETTERS = frozenset("abcdef")
_DIGITS = frozenset("0123456789")


def _hex(width: int) -> _Gen:
    # Real digests mix letters and digits; an all-digit draw would read as a number.
    def draw(rng: random.Random) -> str:
        while True:
            value = format(rng.getrandbits(width * 4), f"0{width}x")
            chars = set(value)
            if chars & _HEX_LETTERS and chars & _DIGITS:
                return value

    return draw


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _path(style: str) -> _Gen:
    patterns = _PATHS[style]
    return lambda rng: patterns[int(rng.random() * len(patterns))].format(
        n=1 + int(rng.random() * 9999)
    )


_GENERATORS: dict[str, _Gen] = {
    "n": _num(1, 9999),
    "m": _num(1, 99),
    "code": _pick(_HTTP_CODES),
    "line": _num(1, 1500),
    "col": _num(1, 120),
    "port": _port,
    "ms": _pick(_TIMEOUTS),
    "ip": _ip,
    "hex": _hex(16),
    "hex12": _hex(12),
    "hex40": _hex(40),
    "uuid": _uuid,
}


def _generator(name: str) -> _Gen:
    if name.endswith("_path"):
        return _path(name.removesuffix("_path"))
    return _GENERATORS[name]


class ErrorRenderer:
    """Renders messages of one :class:`ErrorKind` (a template plus value generators)."""

    __slots__ = ("_fields", "_template", "error_class", "kind")

    def __init__(self, kind: ErrorKind) -> None:
        self.kind = kind
        self.error_class = kind.error_class
        self._template = kind.template
        names = dict.fromkeys(kind.placeholders)  # ordered, deduplicated
        self._fields = tuple((name, _generator(name)) for name in names)

    def render(self, rng: random.Random) -> tuple[str, int | None]:
        """A message and, when it names a timeout, that timeout in ms (the step's latency)."""
        values = {name: gen(rng) for name, gen in self._fields}
        timeout = values.get("ms")
        return self._template.format_map(values), int(timeout) if timeout is not None else None


@cache
def observation_pools(tool: str, observations: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Four renderings of each observation template of a tool (fixed per tool, not per seed)."""
    rng = random.Random(zlib.crc32(tool.encode()))
    return tuple(
        tuple(
            template.format(
                n=1 + int(rng.random() * 400),
                m=1 + int(rng.random() * 9),
                s=f"{0.2 + rng.random() * 30:.2f}",
            )
            for _ in range(_POOL_SIZE)
        )
        for template in observations
    )
