"""How queries are phrased: held-out templates and the edits people make when typing.

Query templates are never used to describe an episode, so every query is a paraphrase of
its intent, not a copy of some episode's text.
"""

from __future__ import annotations

__all__ = ["ABBREVIATIONS", "ENTITY_VARIANTS", "QUERY_TEMPLATES", "SYNONYMS"]

#: Held-out phrasings per task kind (never used for episodes).
QUERY_TEMPLATES: dict[str, tuple[str, ...]] = {
    "web.rest_endpoint": (
        "Need an HTTP API to list and create {entity}",
        "Add REST routes so clients can manage {entity}",
    ),
    "web.auth": (
        "Secure the {entity} service so only signed-in users get in",
        "Set up token-based authentication for {entity}",
    ),
    "web.perf": (
        "The {entity} endpoint responds too slowly, make it faster",
        "Speed up API responses for {entity}",
    ),
    "web.refactor": (
        "Clean up the {entity} request handlers and move logic into services",
        "Restructure the {entity} routes into separate modules",
    ),
    "web.tests": (
        "Cover the {entity} API with integration tests",
        "More automated tests for the {entity} endpoints",
    ),
    "data.etl": (
        "Load {entity} into the warehouse every night",
        "Set up ingestion of the {entity} exports",
    ),
    "data.quality": (
        "Check {entity} for nulls and duplicate rows",
        "Data validation for the {entity} dataset",
    ),
    "data.report": (
        "Dashboard of {entity} trends by week",
        "Monthly report on {entity}",
    ),
    "data.schema": (
        "Change the {entity} table schema and migrate the data",
        "Rename and normalize columns of {entity}",
    ),
    "data.perf": (
        "Queries against {entity} take too long",
        "Make the {entity} pipeline run faster",
    ),
    "devops.deploy": (
        "Ship the {entity} to staging",
        "Release a new {entity} version without downtime",
    ),
    "devops.infra": (
        "Write Terraform for the {entity}",
        "Stand up {entity} infrastructure in another region",
    ),
    "devops.incident": (
        "Pods of the {entity} keep restarting",
        "Containers of the {entity} are getting OOM killed",
    ),
    "devops.ci": (
        "Make the CI builds of the {entity} faster",
        "CI job to build container images for the {entity}",
    ),
    "ml.train": (
        "Train a {entity} model on labelled data",
        "Fine tune the {entity} classifier and track metrics",
    ),
    "ml.eval": (
        "Measure precision and recall of the {entity} model on holdout data",
        "Evaluate how well the {entity} model performs",
    ),
    "ml.debug": (
        "Training loss of the {entity} model diverges",
        "Training the {entity} model runs out of GPU memory",
    ),
    "ml.features": (
        "Feature engineering pipeline for the {entity} model",
        "Compute features for {entity} prediction",
    ),
    "ml.serve": (
        "Ship the {entity} model to production serving",
        "Put the {entity} model behind an HTTP endpoint",
    ),
    "security.audit": (
        "Security audit of the {entity} code",
        "Check the {entity} service for SQL injection and known CVEs",
    ),
    "security.secrets": (
        "Credentials leaked in the {entity} repository, clean them up",
        "Rotate the API keys of {entity}",
    ),
    "security.hardening": (
        "Lock down the {entity} docker image",
        "Make the {entity} container more secure",
    ),
    "security.pentest": (
        "Port scan the {entity} hosts",
        "Check the TLS certificates on the {entity} endpoints",
    ),
    "security.auth_review": (
        "Review how {entity} handles JWT tokens",
        "Audit the authentication of the {entity} service",
    ),
    "mobile.screen": (
        "Create the {entity} screen with input validation",
        "New {entity} view in the app",
    ),
    "mobile.crash": (
        "App crashes on the {entity} screen",
        "The {entity} screen freezes and the app stops responding",
    ),
    "mobile.release": (
        "Ship a beta build with the {entity} feature",
        "Generate app store screenshots of the {entity} flow",
    ),
    "mobile.tests": (
        "UI tests for the {entity} flow",
        "Snapshot testing of the {entity} screen",
    ),
    "frontend.component": (
        "Reusable {entity} UI component",
        "Accessible {entity} with keyboard support",
    ),
    "frontend.bug": (
        "The {entity} renders twice and jumps around",
        "State of the {entity} does not update",
    ),
    "frontend.perf": (
        "Lazy load the {entity} to cut bundle size",
        "Make renders of the {entity} cheaper",
    ),
    "frontend.docs": (
        "Storybook docs for the {entity}",
        "Describe the props of the {entity} component",
    ),
    "systems.perf": (
        "Speed up the {entity}",
        "The {entity} is too slow, profile it",
    ),
    "systems.crash": (
        "Segfault or memory leak in the {entity}",
        "Race condition in the {entity}",
    ),
    "systems.feature": (
        "Lock-free {entity} implementation",
        "Make the {entity} configurable in the runtime",
    ),
    "systems.docs": (
        "Design doc for the {entity}",
        "Explain how the {entity} works internally",
    ),
}

#: Word -> replacements a person might type instead (whole words, lower case).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "add": ("introduce", "put in"),
    "build": ("create", "make", "set up"),
    "create": ("build", "make"),
    "write": ("author", "draft"),
    "fix": ("repair", "resolve", "sort out"),
    "debug": ("troubleshoot", "diagnose"),
    "check": ("verify", "inspect"),
    "make": ("get",),
    "faster": ("quicker", "snappier"),
    "slow": ("sluggish", "laggy"),
    "speed up": ("accelerate", "optimize"),
    "reduce": ("cut", "lower", "shrink"),
    "tests": ("specs", "test cases"),
    "review": ("look over", "inspect"),
    "audit": ("assess", "review"),
    "ship": ("deploy", "push"),
    "release": ("roll out", "publish"),
    "secure": ("protect", "lock down"),
    "clean up": ("tidy", "scrub"),
    "evaluate": ("assess", "benchmark"),
    "measure": ("quantify", "compute"),
    "explain": ("describe", "write up"),
    "screen": ("page",),
    "keep restarting": ("are crash looping", "restart constantly"),
    "component": ("widget",),
    "need": ("want", "require"),
    "configurable": ("tunable", "adjustable"),
}

#: Long form -> abbreviation (applied to whole words, lower case).
ABBREVIATIONS: dict[str, str] = {
    "authentication": "auth",
    "application": "app",
    "database": "db",
    "configuration": "config",
    "production": "prod",
    "repository": "repo",
    "documentation": "docs",
    "infrastructure": "infra",
    "kubernetes": "k8s",
    "continuous integration": "CI",
    "integration tests": "ITs",
    "container images": "images",
    "implementation": "impl",
    "certificates": "certs",
    "credentials": "creds",
    "environment": "env",
    "performance": "perf",
    "dashboard": "dash",
    "monthly": "mthly",
    "engineering": "eng",
    "internally": "inside",
}

#: Entity -> other names people use for it.
ENTITY_VARIANTS: dict[str, tuple[str, ...]] = {
    "postgres database": ("postgres db", "pg database"),
    "redis cache": ("redis",),
    "clickstream events": ("clickstream",),
    "user profile": ("profile",),
    "hash table": ("hashmap", "hash map"),
    "b-tree index": ("btree index",),
    "write-ahead log": ("WAL",),
    "message queue": ("MQ",),
    "kafka brokers": ("kafka cluster",),
    "object detection": ("detection",),
    "modal dialog": ("modal",),
    "dropdown menu": ("dropdown",),
    "navigation bar": ("navbar",),
    "toast notifications": ("toasts",),
    "rich text editor": ("WYSIWYG editor",),
    "feature flag service": ("feature flags",),
    "sso": ("single sign-on",),
    "ad impressions": ("impressions",),
    "support tickets": ("tickets",),
    "app installs": ("installs",),
    "click-through": ("CTR",),
}
