"""Embedding providers behind one protocol, and the hooks that keep models apart.

An :class:`Embedder` turns texts into float32 unit vectors of a fixed dimension. Its
``name`` identifies the model: stored vectors are keyed by it so vectors of different
models are never mixed, and :func:`check_embedding_model` makes a model change explicit.

- :class:`HashingEmbedder`: the dependency-free local default.
- :class:`SentenceTransformerEmbedder`: a local neural model, offline by default
  (extra ``sentence-transformers``).
- :class:`OpenAICompatibleEmbedder`: OpenAI, Ollama, vLLM or llama.cpp over HTTP
  (extra ``openai``).

Importing this package imports neither httpx nor torch: each provider imports its
library when it is first constructed or used.
"""

from __future__ import annotations

from ..errors import EmbeddingError as EmbeddingError
from ..errors import EmbeddingModelChangedError as EmbeddingModelChangedError
from .hashing import HashingEmbedder as HashingEmbedder
from .model_guard import MODEL_METADATA_KEY as MODEL_METADATA_KEY
from .model_guard import EmbeddingModelRecord as EmbeddingModelRecord
from .model_guard import ModelChangePolicy as ModelChangePolicy
from .model_guard import ModelCheck as ModelCheck
from .model_guard import ReembedProgress as ReembedProgress
from .model_guard import check_embedding_model as check_embedding_model
from .model_guard import record_embedding_model as record_embedding_model
from .openai_http import OpenAICompatibleEmbedder as OpenAICompatibleEmbedder
from .protocol import Embedder as Embedder
from .sentence_transformers import PACKAGED_MODEL as PACKAGED_MODEL
from .sentence_transformers import SentenceTransformerEmbedder as SentenceTransformerEmbedder

__all__ = [
    "MODEL_METADATA_KEY",
    "PACKAGED_MODEL",
    "Embedder",
    "EmbeddingError",
    "EmbeddingModelChangedError",
    "EmbeddingModelRecord",
    "HashingEmbedder",
    "ModelChangePolicy",
    "ModelCheck",
    "OpenAICompatibleEmbedder",
    "ReembedProgress",
    "SentenceTransformerEmbedder",
    "check_embedding_model",
    "record_embedding_model",
]
