"""Error vocabulary: how tools fail and the steps agents take to recover."""

from __future__ import annotations

from ._vocabulary_types import ErrorKind

__all__ = ["ERRORS"]


def _e(
    name: str,
    template: str,
    tools: tuple[str, ...],
    *recovery: tuple[str, str],
    action: str | None = None,
) -> tuple[str, ErrorKind]:
    kind = ErrorKind(name=name, template=template, tools=tools, recovery=recovery, action=action)
    return name, kind


ERRORS: dict[str, ErrorKind] = dict(
    [
        # Shared.
        _e(
            "git_push_rejected",
            "error: failed to push some refs to 'git@example.com:org/repo_{n}.git' (rejected)",
            ("git",),
            ("git", "rebase on main"),
            action="push branch",
        ),
        _e(
            "port_in_use",
            "listen tcp 0.0.0.0:{port}: bind: address already in use",
            ("uvicorn", "node", "go"),
            ("lsof", "find process holding port"),
            ("kill", "stop stale server"),
            action="start dev server",
        ),
        _e(
            "disk_full",
            "No space left on device: '/var/lib/docker/overlay2/{hex}/merged'",
            ("docker",),
            ("docker", "prune unused images"),
        ),
        _e(
            "pg_refused",
            "Connection refused to {ip}:{port} (postgres)",
            ("pytest", "alembic", "psql", "dbt", "prisma", "sqlx"),
            ("docker", "start container"),
        ),
        # Python.
        _e(
            "py_module",
            "ModuleNotFoundError: No module named 'plugin_{n}'",
            ("pytest", "python", "uvicorn"),
            ("pip", "install missing package"),
        ),
        _e(
            "py_syntax",
            'File "{py_path}", line {line}: SyntaxError: invalid syntax',
            ("pytest", "python"),
            ("editor", "apply patch"),
        ),
        _e(
            "py_assert",
            "AssertionError: expected status 200, got {code} in tests/test_api_{n}.py",
            ("pytest",),
            ("ripgrep", "locate definition"),
            ("editor", "edit file"),
        ),
        _e(
            "py_keyerror",
            "KeyError: 'col_{n}' at {py_path}:{line}",
            ("python", "jupyter"),
            ("jupyter", "inspect dataframe"),
            ("editor", "edit file"),
        ),
        _e(
            "http_timeout",
            "timeout after {ms} ms waiting for http://127.0.0.1:{port}/health",
            ("curl",),
            ("uvicorn", "restart dev server"),
        ),
        _e(
            "cuda_oom",
            "RuntimeError: CUDA out of memory. Tried to allocate {n} MiB on GPU {m}",
            ("python",),
            ("nvidia-smi", "inspect gpu memory"),
            ("editor", "edit file"),
        ),
        _e(
            "dataset_missing",
            "FileNotFoundError: [Errno 2] No such file or directory: '{data_path}'",
            ("python", "jupyter"),
            ("dvc", "pull dataset"),
        ),
        _e(
            "pip_vuln",
            "Found {m} known vulnerabilities in {m} packages (PYSEC-2024-{n})",
            ("pip-audit",),
            ("pip", "upgrade package"),
        ),
        # JavaScript / TypeScript.
        _e(
            "node_module",
            "Error: Cannot find module 'pkg-{n}' imported from {ts_path}",
            ("node", "jest", "vitest"),
            ("npm", "install missing package"),
        ),
        _e(
            "ts_property",
            "{ts_path}({line},{col}): error TS2339: Property 'field{n}' does not exist",
            ("tsc", "vue-tsc"),
            ("editor", "edit file"),
        ),
        _e(
            "vite_import",
            '[vite] Failed to resolve import "./components/Widget{n}" from "{ts_path}"',
            ("vite",),
            ("ripgrep", "find usages"),
            ("editor", "apply patch"),
        ),
        _e(
            "e2e_timeout",
            "TimeoutError: locator.click: Timeout {ms}ms exceeded waiting for #btn-{n}",
            ("playwright", "cypress"),
            ("editor", "edit file"),
        ),
        _e(
            "npm_peer",
            "npm ERR! ERESOLVE could not resolve peer dependency react@{n}.{m}.0",
            ("npm",),
            ("npm", "install dependencies"),
        ),
        # Rust, Go, C.
        _e(
            "rust_unresolved",
            "error[E0425]: cannot find value `x{n}` in this scope --> {rs_path}:{line}:{col}",
            ("cargo", "rustc"),
            ("editor", "apply patch"),
        ),
        _e(
            "rust_borrow",
            "error[E0502]: cannot borrow `state{n}` as mutable --> {rs_path}:{line}:{col}",
            ("cargo", "rustc", "clippy"),
            ("editor", "refactor function"),
        ),
        _e(
            "go_undefined",
            "{go_path}:{line}:{col}: undefined: handler{n}",
            ("go",),
            ("ripgrep", "locate definition"),
            ("editor", "edit file"),
        ),
        _e(
            "c_undeclared",
            "{c_path}:{line}:{col}: error: 'buf_{n}' undeclared (first use in this function)",
            ("gcc", "make"),
            ("editor", "edit file"),
        ),
        _e(
            "segfault",
            "Segmentation fault (core dumped) at 0x{hex} in worker_{n}",
            ("ctest", "make"),
            ("gdb", "inspect backtrace"),
            ("editor", "apply patch"),
        ),
        _e(
            "invalid_read",
            "Invalid read of size {m} at 0x{hex}: {c_path}:{line}",
            ("valgrind",),
            ("editor", "edit file"),
        ),
        # Data.
        _e(
            "dbt_column",
            'Database Error in model stg_orders_{n} ({sql_path}): column "amount" does not exist',
            ("dbt",),
            ("psql", "inspect table"),
            ("editor", "edit file"),
        ),
        _e(
            "pg_duplicate",
            'ERROR: duplicate key value violates unique constraint "orders_pkey" (id)=({n})',
            ("psql", "dbt"),
            ("psql", "deduplicate rows"),
        ),
        _e(
            "spark_oom",
            "java.lang.OutOfMemoryError: Java heap space (executor {n}, task {m})",
            ("spark-submit",),
            ("editor", "edit file"),
        ),
        _e(
            "scala_member",
            "[error] {scala_path}:{line}:{col}: value col{n} is not a member of DataFrame",
            ("sbt",),
            ("editor", "edit file"),
        ),
        # Infrastructure.
        _e(
            "tf_lock",
            "Error acquiring the state lock: lock ID {uuid} held for {n}s",
            ("terraform",),
            ("terraform", "force-unlock state"),
        ),
        _e(
            "tf_unauthorized",
            "UnauthorizedOperation: request {uuid} is not authorized to perform ec2:RunInstances",
            ("terraform", "aws"),
            ("aws", "refresh credentials"),
        ),
        _e(
            "k8s_notfound",
            'Error from server (NotFound): deployments.apps "api-{n}" not found',
            ("kubectl",),
            ("helm", "install chart"),
        ),
        _e(
            "k8s_oom",
            "container {hex12} OOMKilled: memory limit {n}Mi exceeded",
            ("kubectl", "helm"),
            ("kubectl", "describe pod"),
            ("helm", "raise memory limit"),
        ),
        _e(
            "ssh_unreachable",
            "fatal: [{ip}]: UNREACHABLE! ssh: connect to host {ip} port 22: timed out",
            ("ansible-playbook",),
            ("ssh", "check host connectivity"),
        ),
        # Security.
        _e(
            "trivy_cve",
            "CVE-2024-{n} (HIGH) in openssl 3.0.{m} at layer sha256:{hex}",
            ("trivy",),
            ("docker", "build image"),
        ),
        _e(
            "secret_leak",
            "leak found: aws-access-key in {py_path}:{line} commit {hex40}",
            ("gitleaks",),
            ("editor", "edit file"),
            ("git", "commit changes"),
        ),
        _e(
            "host_down",
            "Host {ip} seems down after {ms} ms",
            ("nmap",),
            ("nmap", "retry scan without ping"),
        ),
        _e(
            "tls_issuer",
            "verify error:num=20:unable to get local issuer certificate (depth {m})",
            ("openssl",),
            ("openssl", "fetch intermediate chain"),
        ),
        # Mobile.
        _e(
            "gradle_kotlin",
            "Execution failed for task ':app:compileDebugKotlin': {kt_path}:{line}",
            ("gradle",),
            ("editor", "edit file"),
        ),
        _e(
            "adb_offline",
            "adb: device emulator-{port} offline",
            ("adb",),
            ("emulator", "restart emulator"),
        ),
        _e(
            "xcode_destination",
            "xcodebuild: error: Unable to find a destination matching id {uuid}",
            ("xcodebuild",),
            ("simctl", "boot simulator"),
        ),
        _e(
            "pod_versions",
            'CocoaPods could not find compatible versions for pod "Alamofire" ({n}.{m})',
            ("pod",),
            ("pod", "update repo specs"),
        ),
        _e(
            "dart_method",
            "{dart_path}:{line}:{col}: Error: The method 'build{n}' isn't defined",
            ("flutter",),
            ("editor", "edit file"),
        ),
    ]
)
