"""Domain web: REST APIs, auth, performance, refactoring and tests of services."""

from __future__ import annotations

from .._vocabulary_types import Domain
from ._constructors import stack, task_kind

__all__ = ["DOMAIN"]

_WEB_ENTITIES = ("users", "orders", "invoices", "products", "comments", "sessions")
DOMAIN = Domain(
    name="web",
    stacks=(
        stack(
            "python",
            "fastapi",
            (
                "uv",
                "pip",
                "ruff",
                "mypy",
                "pytest",
                "uvicorn",
                "curl",
                "alembic",
                "ripgrep",
                "docker",
            ),
            (
                ("ruff", "mypy", "pytest"),
                ("alembic", "pytest", "git"),
                ("uvicorn", "curl", "pytest"),
            ),
            (
                "py_module",
                "py_syntax",
                "py_assert",
                "pg_refused",
                "port_in_use",
                "http_timeout",
                "git_push_rejected",
            ),
            ("pytest_pass", "migration", "retry"),
            ("src/app/routes/{entity}.py", "tests/test_{entity}.py", "openapi.json"),
        ),
        stack(
            "typescript",
            "express",
            ("npm", "node", "tsc", "eslint", "jest", "curl", "prisma", "ripgrep", "docker"),
            (("eslint", "tsc", "jest"), ("prisma", "jest", "git")),
            (
                "node_module",
                "ts_property",
                "pg_refused",
                "port_in_use",
                "npm_peer",
                "git_push_rejected",
            ),
            ("jest_pass", "retry"),
            ("src/routes/{entity}.ts", "test/{entity}.test.ts", "prisma/schema.prisma"),
        ),
        stack(
            "rust",
            "axum",
            ("cargo", "rustfmt", "clippy", "rustc", "sqlx", "curl", "ripgrep", "docker"),
            (("rustfmt", "clippy", "cargo"), ("sqlx", "cargo", "curl")),
            ("rust_unresolved", "rust_borrow", "pg_refused", "git_push_rejected"),
            ("cargo_pass", "retry"),
            ("src/routes/{entity}.rs", "tests/{entity}_api.rs"),
        ),
        stack(
            "go",
            "gin",
            ("go", "gofmt", "golangci-lint", "curl", "ripgrep", "docker"),
            (("gofmt", "golangci-lint", "go"), ("go", "curl", "git")),
            ("go_undefined", "port_in_use", "git_push_rejected"),
            ("go_pass", "retry"),
            ("internal/handlers/{entity}.go", "internal/handlers/{entity}_test.go"),
        ),
    ),
    kinds=(
        task_kind(
            "web.rest_endpoint",
            "code_generation",
            ("api", "rest"),
            "Endpoint created and tested",
            _WEB_ENTITIES,
            "Build REST API endpoint for {entity}",
            "Add a REST endpoint that lists {entity}",
            "Implement CRUD endpoints for {entity}",
            "Create GET and POST routes for {entity}",
            "Expose {entity} through a JSON API",
        ),
        task_kind(
            "web.auth",
            "code_generation",
            ("auth", "api"),
            "Authentication enabled",
            ("admin", "billing", "accounts", "user profile"),
            "Add JWT authentication to the {entity} service",
            "Implement login and token refresh for {entity}",
            "Protect {entity} routes with OAuth2 bearer tokens",
            "Add role-based access control to {entity} endpoints",
        ),
        task_kind(
            "web.perf",
            "debugging",
            ("performance", "api"),
            "Latency back under budget",
            _WEB_ENTITIES,
            "Fix slow response times on the {entity} endpoint",
            "Debug N+1 queries when listing {entity}",
            "Reduce p95 latency of the {entity} API",
            "Add caching to the {entity} lookup",
        ),
        task_kind(
            "web.refactor",
            "refactoring",
            ("refactor", "api"),
            "Handlers refactored",
            _WEB_ENTITIES,
            "Refactor {entity} handlers into a service layer",
            "Split the {entity} router into smaller modules",
            "Extract validation of {entity} payloads into schemas",
        ),
        task_kind(
            "web.tests",
            "testing",
            ("testing", "api"),
            "Tests added, coverage up",
            _WEB_ENTITIES,
            "Write integration tests for the {entity} API",
            "Increase test coverage of {entity} endpoints",
            "Add contract tests for {entity} responses",
        ),
    ),
    subgoals=("implement handler", "write tests", "update api docs", "add migration"),
)
