"""Domain frontend: components, UI bugs, bundle size and docs."""

from __future__ import annotations

from .._vocabulary_types import Domain
from ._constructors import stack, task_kind

__all__ = ["DOMAIN"]

_FRONTEND_ENTITIES = ("date picker", "data table", "modal dialog", "dropdown menu", "file uploader")
DOMAIN = Domain(
    name="frontend",
    stacks=(
        stack(
            "typescript",
            "react",
            ("npm", "vite", "tsc", "eslint", "vitest", "playwright", "ripgrep"),
            (("eslint", "tsc", "vitest"), ("vite", "playwright", "git")),
            ("ts_property", "vite_import", "e2e_timeout", "node_module", "npm_peer"),
            ("vitest_pass", "bundle"),
            ("src/components/{entity}.tsx", "src/components/{entity}.test.tsx"),
        ),
        stack(
            "typescript",
            "vue",
            ("pnpm", "vite", "vue-tsc", "eslint", "vitest", "cypress"),
            (("eslint", "vue-tsc", "vitest"), ("vite", "cypress")),
            ("ts_property", "vite_import", "e2e_timeout"),
            ("vitest_pass", "bundle"),
            ("src/components/{entity}.vue", "tests/unit/{entity}.spec.ts"),
        ),
    ),
    kinds=(
        task_kind(
            "frontend.component",
            "code_generation",
            ("ui", "components"),
            "Component shipped",
            _FRONTEND_ENTITIES,
            "Build a reusable {entity} component",
            "Create a {entity} component with keyboard navigation",
            "Implement an accessible {entity} widget",
        ),
        task_kind(
            "frontend.bug",
            "debugging",
            ("bug", "ui"),
            "Bug fixed",
            _FRONTEND_ENTITIES,
            "Fix layout shift in the {entity}",
            "Debug state not updating in the {entity}",
            "Fix the {entity} rendering twice",
        ),
        task_kind(
            "frontend.perf",
            "refactoring",
            ("performance", "bundle"),
            "Bundle smaller",
            _FRONTEND_ENTITIES,
            "Reduce bundle size by lazy loading the {entity}",
            "Memoize expensive renders in the {entity}",
        ),
        task_kind(
            "frontend.docs",
            "documentation",
            ("docs", "components"),
            "Docs written",
            _FRONTEND_ENTITIES,
            "Document props of the {entity} component",
            "Write Storybook stories for the {entity}",
        ),
    ),
    subgoals=("build component", "style", "write tests", "write docs"),
)
