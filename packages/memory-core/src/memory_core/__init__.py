"""memory_core: self-learning episodic memory for AI agents.

Agents start an episode for a task, log the steps they take, and complete it
with an outcome; the memory scores it, reflects on it, and hands relevant past
experience back before the next task.
"""

from .config import Limits as Limits
from .config import MemoryConfig as MemoryConfig
from .config import RetrievalWeights as RetrievalWeights
from .embedding import Embedder as Embedder
from .embedding import HashingEmbedder as HashingEmbedder
from .errors import BackpressureError as BackpressureError
from .errors import EpisodeStateError as EpisodeStateError
from .errors import MemoryCoreError as MemoryCoreError
from .errors import NotFoundError as NotFoundError
from .errors import StorageError as StorageError
from .errors import ValidationError as ValidationError
from .memory import SelfLearningMemory as SelfLearningMemory
from .models import Episode as Episode
from .models import ExecutionStep as ExecutionStep
from .models import Reflection as Reflection
from .models import RetrievedEpisode as RetrievedEpisode
from .models import RewardScore as RewardScore
from .models import TaskContext as TaskContext
from .models import TaskOutcome as TaskOutcome
from .patterns import ContextPattern as ContextPattern
from .patterns import DecisionPoint as DecisionPoint
from .patterns import Effectiveness as Effectiveness
from .patterns import ErrorRecovery as ErrorRecovery
from .patterns import Heuristic as Heuristic
from .patterns import Pattern as Pattern
from .patterns import PatternMatch as PatternMatch
from .patterns import ToolSequence as ToolSequence
from .redaction import RedactionConfig as RedactionConfig
from .redaction import RedactionStats as RedactionStats
from .redaction import SecretRedactor as SecretRedactor
from .stats import MemoryStats as MemoryStats
from .sync import SyncSelfLearningMemory as SyncSelfLearningMemory

__version__ = "0.1.0"

__all__ = [
    "BackpressureError",
    "ContextPattern",
    "DecisionPoint",
    "Effectiveness",
    "Embedder",
    "Episode",
    "EpisodeStateError",
    "ErrorRecovery",
    "ExecutionStep",
    "HashingEmbedder",
    "Heuristic",
    "Limits",
    "MemoryConfig",
    "MemoryCoreError",
    "MemoryStats",
    "NotFoundError",
    "Pattern",
    "PatternMatch",
    "RedactionConfig",
    "RedactionStats",
    "Reflection",
    "RetrievalWeights",
    "RetrievedEpisode",
    "RewardScore",
    "SecretRedactor",
    "SelfLearningMemory",
    "StorageError",
    "SyncSelfLearningMemory",
    "TaskContext",
    "TaskOutcome",
    "ToolSequence",
    "ValidationError",
    "__version__",
]
