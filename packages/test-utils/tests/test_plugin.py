"""The pytest plugin: markers and fixtures, checked in-process and in a pytester run."""

from __future__ import annotations

import random

import pytest
import sniffio

from memory_test_utils import plugin
from memory_test_utils.factories import EpisodeFactory


def test_rng_fixture_is_seeded(rng: random.Random) -> None:
    assert rng.random() == random.Random(1234).random()


def test_episode_factory_fixture(episode_factory: EpisodeFactory) -> None:
    first = episode_factory(n_steps=2)
    second = episode_factory(completed=False)
    assert first.id != second.id
    assert len(first.steps) == 2
    assert second.outcome is None


def test_episode_factory_is_reproducible(episode_factory: EpisodeFactory) -> None:
    from memory_test_utils.factories import make_episode

    assert episode_factory() == make_episode(random.Random(1234))


@pytest.mark.anyio
async def test_runs_under_the_requested_backend(anyio_backend: str) -> None:
    assert anyio_backend in plugin.ANYIO_BACKENDS
    assert sniffio.current_async_library() == anyio_backend


@pytest.mark.slow
def test_slow_marker_is_registered(pytestconfig: pytest.Config) -> None:
    markers = pytestconfig.getini("markers")
    assert any(line.startswith("slow:") for line in markers)


def test_async_tests_run_under_trio_and_asyncio(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import sniffio

        @pytest.mark.anyio
        async def test_backend(anyio_backend):
            assert sniffio.current_async_library() == anyio_backend
        """
    )
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_backend?trio? PASSED*", "*test_backend?asyncio? PASSED*"])


def test_conftest_can_override_the_backend(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.anyio
        async def test_backend(anyio_backend):
            assert anyio_backend == "asyncio"
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_fixtures_and_marker_in_a_fresh_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.slow
        def test_fixtures(rng, episode_factory):
            assert rng.random() == __import__("random").Random(1234).random()
            assert episode_factory(n_steps=1).steps[0].step_number == 1
        """
    )
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    deselected = pytester.runpytest("-m", "not slow", "-p", "no:cacheprovider")
    deselected.assert_outcomes(deselected=1)
