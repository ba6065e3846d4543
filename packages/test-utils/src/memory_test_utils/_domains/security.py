"""Domain security: audits, leaked secrets, hardening and scans."""

from __future__ import annotations

from .._vocabulary_types import Domain
from ._constructors import stack, task_kind

__all__ = ["DOMAIN"]

_SEC_ENTITIES = ("payments", "login", "file upload", "admin", "billing")
DOMAIN = Domain(
    name="security",
    stacks=(
        stack(
            "python",
            "django",
            ("bandit", "pip-audit", "semgrep", "pytest", "pip", "gitleaks"),
            (("bandit", "semgrep", "pytest"), ("pip-audit", "pip", "pytest")),
            ("pip_vuln", "secret_leak", "py_assert"),
            ("findings", "pytest_pass"),
            ("security/{entity}_review.md", "tests/test_{entity}_security.py"),
        ),
        stack(
            "go",
            None,
            ("gosec", "govulncheck", "go", "gitleaks"),
            (("gosec", "govulncheck", "go"),),
            ("go_undefined", "secret_leak", "git_push_rejected"),
            ("go_pass",),
            ("internal/{entity}/sanitize.go", "SECURITY.md"),
        ),
        stack(
            "dockerfile",
            None,
            ("docker", "trivy", "cosign", "openssl", "nmap", "curl"),
            (("docker", "trivy", "cosign"), ("nmap", "openssl", "curl")),
            ("trivy_cve", "host_down", "tls_issuer", "disk_full"),
            ("image_clean", "retry"),
            ("docker/{entity}.Dockerfile", "reports/{entity}-scan.sarif"),
        ),
    ),
    kinds=(
        task_kind(
            "security.audit",
            "analysis",
            ("audit", "security"),
            "Audit complete, no high findings",
            _SEC_ENTITIES,
            "Audit the {entity} service for injection vulnerabilities",
            "Run a security review of the {entity} code",
            "Scan {entity} dependencies for known CVEs",
        ),
        task_kind(
            "security.secrets",
            "debugging",
            ("secrets", "security"),
            "Secrets rotated",
            _SEC_ENTITIES,
            "Remove leaked credentials from the {entity} repository",
            "Rotate exposed API keys used by {entity}",
        ),
        task_kind(
            "security.hardening",
            "refactoring",
            ("hardening", "containers"),
            "Image hardened",
            _SEC_ENTITIES,
            "Harden the {entity} container image",
            "Enable TLS verification for {entity} clients",
            "Reduce the attack surface of the {entity} image",
        ),
        task_kind(
            "security.pentest",
            "testing",
            ("pentest", "network"),
            "Scan report delivered",
            _SEC_ENTITIES,
            "Scan exposed ports of the {entity} hosts",
            "Verify TLS certificates of the {entity} endpoints",
        ),
    ),
    subgoals=("scan", "triage findings", "patch", "write report"),
)
