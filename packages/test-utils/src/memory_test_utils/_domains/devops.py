"""Domain devops: deployments, infrastructure as code, incidents and CI."""

from __future__ import annotations

from .._vocabulary_types import Domain
from ._constructors import stack, task_kind

__all__ = ["DOMAIN"]

_OPS_ENTITIES = ("api", "worker", "gateway", "scheduler", "postgres database", "redis cache")
DOMAIN = Domain(
    name="devops",
    stacks=(
        stack(
            "hcl",
            "terraform",
            ("terraform", "tflint", "aws"),
            (("tflint", "terraform", "git"), ("aws", "terraform")),
            ("tf_lock", "tf_unauthorized", "git_push_rejected"),
            ("destroy",),
            ("infra/modules/{entity}/main.tf", "infra/envs/staging.tfvars"),
        ),
        stack(
            "yaml",
            "helm",
            ("kubectl", "helm", "kubeconform", "docker", "curl"),
            (("docker", "helm", "kubectl"), ("kubeconform", "kubectl", "curl")),
            ("k8s_notfound", "k8s_oom", "disk_full", "git_push_rejected"),
            ("rollout", "retry"),
            ("charts/{entity}/values.yaml", "k8s/{entity}-deployment.yaml"),
        ),
        stack(
            "yaml",
            "ansible",
            ("ansible-playbook", "ansible-lint", "ssh", "shellcheck"),
            (("ansible-lint", "ansible-playbook", "ssh"), ("shellcheck", "ansible-lint")),
            ("ssh_unreachable", "git_push_rejected"),
            ("retry_hosts",),
            ("playbooks/{entity}.yml", "inventory/production.ini"),
        ),
    ),
    kinds=(
        task_kind(
            "devops.deploy",
            "code_generation",
            ("deployment", "kubernetes"),
            "Rolled out",
            _OPS_ENTITIES,
            "Deploy the {entity} service to the staging cluster",
            "Roll out a new version of the {entity} with zero downtime",
            "Set up a blue-green deployment for the {entity}",
        ),
        task_kind(
            "devops.infra",
            "code_generation",
            ("infrastructure", "terraform"),
            "Provisioned",
            _OPS_ENTITIES,
            "Provision the {entity} with Terraform",
            "Add a Terraform module for the {entity}",
            "Create infrastructure for the {entity} in a new region",
        ),
        task_kind(
            "devops.incident",
            "debugging",
            ("incident", "kubernetes"),
            "Incident resolved",
            _OPS_ENTITIES,
            "Debug crash-looping pods of the {entity}",
            "Investigate OOMKilled {entity} containers",
            "Fix failing health checks on the {entity}",
        ),
        task_kind(
            "devops.ci",
            "refactoring",
            ("ci", "automation"),
            "Pipeline faster and green",
            _OPS_ENTITIES,
            "Speed up the CI pipeline for the {entity}",
            "Add a CI job that builds {entity} images",
            "Cache dependencies in the {entity} CI workflow",
        ),
    ),
    subgoals=("update config", "apply changes", "verify health", "write runbook"),
)
