"""Learning: mining patterns and heuristics across episodes, and the learning queue."""

from .confidence import apply_feedback as apply_feedback
from .confidence import effectiveness_score as effectiveness_score
from .confidence import wilson_lower_bound as wilson_lower_bound
from .extract import is_decision as is_decision
from .extract import observe_episode as observe_episode
from .queue import LearningQueue as LearningQueue
from .queue import QueueStats as QueueStats
from .service import LearningService as LearningService
from .service import LearningStats as LearningStats
from .service import RelearnReport as RelearnReport

__all__ = [
    "LearningQueue",
    "LearningService",
    "LearningStats",
    "QueueStats",
    "RelearnReport",
    "apply_feedback",
    "effectiveness_score",
    "is_decision",
    "observe_episode",
    "wilson_lower_bound",
]
