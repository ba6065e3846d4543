"""Task intents of the retrieval-quality corpus: the workload domains with more to work on.

The workload domains have five or six entities per task kind, so a corpus of thousands of
episodes would hold hundreds of episodes per task intent and recall@k would measure nothing.
Here every domain gets a wider entity pool (several entities shared across domains on
purpose: ``orders`` in web and data, ``scheduler`` in devops and systems, ``login`` in
mobile and security), plus a few decoy task kinds whose wording overlaps another domain's
("deploy the fraud model" next to "deploy the worker service").
"""

from __future__ import annotations

from .vocabulary import DOMAINS, Domain, TaskKind

__all__ = ["EVAL_DOMAINS"]

_ENTITIES: dict[str, tuple[str, ...]] = {
    "web": (
        "users",
        "orders",
        "invoices",
        "products",
        "comments",
        "sessions",
        "payments",
        "carts",
        "shipments",
        "refunds",
        "subscriptions",
        "notifications",
        "reviews",
        "coupons",
        "addresses",
        "webhooks",
        "teams",
        "projects",
        "tickets",
        "bookings",
    ),
    "data": (
        "orders",
        "payments",
        "clickstream events",
        "shipments",
        "invoices",
        "customers",
        "subscriptions",
        "refunds",
        "inventory",
        "ad impressions",
        "support tickets",
        "sensor readings",
        "web sessions",
        "product catalog",
        "marketing spend",
        "app installs",
        "transactions",
        "returns",
        "leads",
        "page views",
    ),
    "devops": (
        "api",
        "worker",
        "gateway",
        "scheduler",
        "postgres database",
        "redis cache",
        "search cluster",
        "message queue",
        "auth service",
        "billing service",
        "frontend",
        "cron jobs",
        "metrics stack",
        "log pipeline",
        "kafka brokers",
        "ingress controller",
        "object storage",
        "vpn",
        "mail relay",
        "feature flag service",
    ),
    "ml": (
        "sentiment",
        "fraud",
        "churn",
        "image",
        "intent",
        "recommendation",
        "spam",
        "toxicity",
        "demand forecast",
        "object detection",
        "search ranking",
        "credit risk",
        "speech",
        "anomaly",
        "translation",
        "lead scoring",
        "pricing",
        "click-through",
    ),
    "security": (
        "payments",
        "login",
        "file upload",
        "admin",
        "billing",
        "checkout",
        "api gateway",
        "password reset",
        "webhooks",
        "sso",
        "reporting",
        "mobile backend",
        "partner api",
        "search",
        "support portal",
        "internal wiki",
    ),
    "mobile": (
        "login",
        "settings",
        "profile",
        "checkout",
        "onboarding",
        "search",
        "cart",
        "notifications",
        "chat",
        "feed",
        "map",
        "camera",
        "payments",
        "order history",
        "wallet",
        "rewards",
    ),
    "frontend": (
        "date picker",
        "data table",
        "modal dialog",
        "dropdown menu",
        "file uploader",
        "navigation bar",
        "search box",
        "tooltip",
        "carousel",
        "tabs",
        "toast notifications",
        "color picker",
        "form wizard",
        "sidebar",
        "pagination",
        "rich text editor",
        "chart",
        "accordion",
    ),
    "systems": (
        "ring buffer",
        "parser",
        "allocator",
        "scheduler",
        "hash table",
        "thread pool",
        "garbage collector",
        "file cache",
        "b-tree index",
        "tokenizer",
        "event loop",
        "network stack",
        "compressor",
        "lock manager",
        "memory pool",
        "write-ahead log",
    ),
}

#: Services that get authentication (web.auth has its own entity list in the workloads).
_AUTH_ENTITIES = (
    "admin",
    "billing",
    "accounts",
    "user profile",
    "checkout",
    "reporting",
    "inventory",
    "partner",
    "support",
    "search",
    "notifications",
    "payments",
)

# Decoy kinds: same intent family as another domain's kind, worded alike, different work.
_DECOYS: dict[str, TaskKind] = {
    "ml": TaskKind(
        name="ml.serve",
        task_type="code_generation",
        paraphrases=(
            "Deploy the {entity} model to the staging cluster",
            "Roll out a new version of the {entity} model",
            "Expose the {entity} model through a REST API",
        ),
        entities=(),
        tags=("serving", "model"),
        done="Model served",
    ),
    "security": TaskKind(
        name="security.auth_review",
        task_type="analysis",
        paraphrases=(
            "Review JWT authentication of the {entity} service",
            "Audit login and token refresh for {entity}",
            "Check OAuth2 bearer token handling in {entity}",
        ),
        entities=(),
        tags=("auth", "security"),
        done="Review complete",
    ),
    "data": TaskKind(
        name="data.perf",
        task_type="debugging",
        paraphrases=(
            "Fix slow queries on the {entity} table",
            "Reduce the runtime of the {entity} pipeline",
            "Add partitioning to speed up {entity} lookups",
        ),
        entities=(),
        tags=("performance", "sql"),
        done="Queries fast again",
    ),
}


def _with_entities(kind: TaskKind, entities: tuple[str, ...]) -> TaskKind:
    return TaskKind(
        name=kind.name,
        task_type=kind.task_type,
        paraphrases=kind.paraphrases,
        entities=entities,
        tags=kind.tags,
        done=kind.done,
    )


def _eval_domain(domain: Domain) -> Domain:
    entities = _ENTITIES[domain.name]
    kinds = [
        _with_entities(kind, _AUTH_ENTITIES if kind.name == "web.auth" else entities)
        for kind in domain.kinds
    ]
    decoy = _DECOYS.get(domain.name)
    if decoy is not None:
        kinds.append(_with_entities(decoy, entities))
    return Domain(
        name=domain.name, stacks=domain.stacks, kinds=tuple(kinds), subgoals=domain.subgoals
    )


#: The workload domains with the wider entity pools and the decoy kinds.
EVAL_DOMAINS: tuple[Domain, ...] = tuple(_eval_domain(domain) for domain in DOMAINS)
