"""The suite's Hypothesis profiles, and how a profile the user names is applied."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance.properties.profiles import CI_PROFILE, PROFILES, draws_of, suite_settings

NAMED = "tests-named-without-shrinking"
settings.register_profile(
    NAMED,
    max_examples=7,
    deadline=200,
    phases=[Phase.explicit, Phase.generate, Phase.explain],
    suppress_health_check=[HealthCheck.filter_too_much],
)


def _loaded(name: str) -> Iterator[None]:
    previous = settings.get_current_profile_name()
    settings.load_profile(name)
    yield
    settings.load_profile(previous)


@pytest.fixture
def named_profile() -> Iterator[None]:
    yield from _loaded(NAMED)


def applied() -> settings:
    @suite_settings()
    def test() -> None: ...

    chosen: settings = test._hypothesis_internal_use_settings  # type: ignore[attr-defined]
    return chosen


def test_a_named_profile_keeps_its_own_settings_but_deadline_and_explain(named_profile) -> None:
    chosen = applied()
    assert chosen.max_examples == 7
    assert chosen.phases == (Phase.explicit, Phase.generate)
    assert chosen.deadline is None
    assert {HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture} <= set(
        chosen.suppress_health_check
    )


def test_hypothesis_own_ci_profile_is_no_choice_the_suite_uses_its_own() -> None:
    # Hypothesis loads "ci" by itself wherever a CI variable is set, as on this project's CI.
    for _ in _loaded("ci"):
        chosen = applied()
        assert chosen.max_examples == settings.get_profile(CI_PROFILE).max_examples
        assert chosen.derandomize


def test_the_suites_profiles_carry_its_prefix() -> None:
    assert all(name.startswith("trainstate-") for name in PROFILES)
    assert settings.get_profile(CI_PROFILE).derandomize
    assert Phase.explain not in settings.get_profile(CI_PROFILE).phases


@pytest.fixture
def ci_profile() -> Iterator[None]:
    yield from _loaded(CI_PROFILE)


def test_under_ci_properties_that_draw_alike_share_their_seed(ci_profile) -> None:
    from conformance.strategies.problems import problems

    def seeded(strategy: st.SearchStrategy[object], name: str) -> object:
        def body(problem: object) -> None: ...

        body.__name__ = name
        test = suite_settings()(given(problem=strategy)(body))
        return test._hypothesis_internal_use_seed  # type: ignore[attr-defined]

    one = seeded(problems(), "test_one")
    assert one == seeded(problems(), "test_other") == "problem=" + repr(problems())
    assert seeded(problems(lr_kinds=("zero",)), "test_one") != one
    # What a test draws in its body is its own: such tests do not share one stream.
    assert seeded(st.data(), "test_one") != seeded(st.data(), "test_other")
    assert draws_of(lambda: None) == "<lambda>"
