"""Retrieval: the episode index, BM25, and the non-text signals."""

from .dense import ANN_FROM as ANN_FROM
from .dense import QUANTIZED_FROM as QUANTIZED_FROM
from .dense import DenseIndex as DenseIndex
from .engine import EpisodeRetriever as EpisodeRetriever
from .engine import RetrievalStats as RetrievalStats
from .filters import RetrievalFilters as RetrievalFilters
from .index import SIGNALS as SIGNALS
from .index import EpisodeIndex as EpisodeIndex
from .index import ScoredEpisode as ScoredEpisode
from .index import episode_document as episode_document
from .lexical import BM25Index as BM25Index
from .signals import context_match as context_match
from .signals import recency as recency
from .signals import reward_signal as reward_signal

__all__ = [
    "ANN_FROM",
    "QUANTIZED_FROM",
    "SIGNALS",
    "BM25Index",
    "DenseIndex",
    "EpisodeIndex",
    "EpisodeRetriever",
    "RetrievalFilters",
    "RetrievalStats",
    "ScoredEpisode",
    "context_match",
    "episode_document",
    "recency",
    "reward_signal",
]
