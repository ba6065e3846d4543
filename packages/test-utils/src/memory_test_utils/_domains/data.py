"""Domain data: ETL pipelines, data quality, reporting and schema changes."""

from __future__ import annotations

from .._vocabulary_types import Domain
from ._constructors import stack, task_kind

__all__ = ["DOMAIN"]

_DATA_ENTITIES = ("orders", "payments", "clickstream events", "shipments", "invoices")
DOMAIN = Domain(
    name="data",
    stacks=(
        stack(
            "python",
            "pandas",
            ("python", "pip", "pytest", "jupyter", "ruff", "duckdb", "dvc"),
            (("duckdb", "python", "pytest"), ("jupyter", "python", "git")),
            ("py_keyerror", "py_module", "dataset_missing", "git_push_rejected"),
            ("pytest_pass", "row_counts"),
            ("pipelines/{entity}.py", "tests/test_{entity}_pipeline.py", "reports/{entity}.html"),
        ),
        stack(
            "sql",
            "dbt",
            ("dbt", "psql", "sqlfluff", "duckdb", "docker"),
            (("sqlfluff", "dbt", "psql"), ("psql", "dbt", "git")),
            ("dbt_column", "pg_duplicate", "pg_refused", "git_push_rejected"),
            ("schema", "row_counts"),
            ("models/staging/stg_{entity}.sql", "models/marts/{entity}.yml"),
        ),
        stack(
            "scala",
            "spark",
            ("sbt", "spark-submit", "hdfs"),
            (("sbt", "spark-submit", "hdfs"),),
            ("spark_oom", "scala_member", "git_push_rejected"),
            ("partitions",),
            ("src/main/scala/jobs/{entity}.scala",),
        ),
    ),
    kinds=(
        task_kind(
            "data.etl",
            "code_generation",
            ("etl", "pipeline"),
            "Pipeline loads data",
            _DATA_ENTITIES,
            "Build an ETL pipeline that loads {entity} into the warehouse",
            "Write a job to ingest daily {entity} exports",
            "Create an incremental load for {entity}",
            "Backfill {entity} from the raw bucket",
        ),
        task_kind(
            "data.quality",
            "testing",
            ("data-quality", "testing"),
            "Quality checks in place",
            _DATA_ENTITIES,
            "Add data quality checks for {entity}",
            "Validate null rates and duplicates in {entity}",
            "Write tests asserting {entity} row counts match the source",
        ),
        task_kind(
            "data.report",
            "analysis",
            ("analytics", "reporting"),
            "Report published",
            _DATA_ENTITIES,
            "Analyze weekly {entity} trends for the dashboard",
            "Compute monthly revenue from {entity}",
            "Build a cohort analysis of {entity}",
        ),
        task_kind(
            "data.schema",
            "refactoring",
            ("schema", "migration"),
            "Schema migrated",
            _DATA_ENTITIES,
            "Migrate the {entity} table to a new schema",
            "Rename columns in the {entity} model",
            "Normalize the {entity} staging model",
        ),
    ),
    subgoals=("load raw data", "transform", "validate output", "document model"),
)
