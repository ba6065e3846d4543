"""Repository-wide test settings.

Hypothesis deadlines are per-example wall-clock limits; on a shared 2-core CI
machine they fail for reasons unrelated to the code, so they are off here.
Speed is measured by the benchmarks, never by tests.
"""

from hypothesis import settings

settings.register_profile("repository", deadline=None, print_blob=True)
settings.load_profile("repository")
