"""Domain vocabulary: stacks, planted tool motifs and paraphrased task descriptions.

One module per domain; :data:`DOMAINS` lists them in generation order.
"""

from __future__ import annotations

from .._vocabulary_types import Domain
from .data import DOMAIN as _DATA
from .devops import DOMAIN as _DEVOPS
from .frontend import DOMAIN as _FRONTEND
from .ml import DOMAIN as _ML
from .mobile import DOMAIN as _MOBILE
from .security import DOMAIN as _SECURITY
from .systems import DOMAIN as _SYSTEMS
from .web import DOMAIN as _WEB

__all__ = ["DOMAINS"]

DOMAINS: tuple[Domain, ...] = (_WEB, _DATA, _DEVOPS, _ML, _SECURITY, _MOBILE, _FRONTEND, _SYSTEMS)
