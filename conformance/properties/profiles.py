"""Hypothesis profiles of the suite, used the Hypothesis way.

``trainstate-dev`` (local work), ``trainstate-ci`` (derandomized, no example
database, for gating) and ``trainstate-thorough`` (for a nightly run) are
registered on import.  Select one with Hypothesis's own
``--hypothesis-profile NAME``; without it the suite uses ``trainstate-ci``
when the ``CI`` environment variable is set and ``trainstate-dev`` otherwise.

The suite does not load a profile globally: installing the plugin must not
change the settings of a project's other Hypothesis tests.  Instead every
conformance test is decorated with :func:`suite_settings`, evaluated when the
test module is imported.  Deadlines are always off, because the first call of
a JAX implementation on a new shape includes its compilation; hangs are the
job of the per-call timeout.  Hypothesis's explain phase is off: after
shrinking it replays a failure hundreds of times to annotate which parts of
the input could vary (22 of the 25 s a failing TrainState property took,
measured on a ``ts_`` mutant), while the suite's messages name the input.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypedDict, TypeVar

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st

T = TypeVar("T", bound=Callable[..., object])

LOCAL_PROFILE = "trainstate-dev"
CI_PROFILE = "trainstate-ci"
THOROUGH_PROFILE = "trainstate-thorough"
PROFILES = (LOCAL_PROFILE, CI_PROFILE, THOROUGH_PROFILE)
"""Named for the suite: a project's own ``ci`` profile is not overwritten by registering these."""
HYPOTHESIS_CI = "ci"
"""The profile Hypothesis loads by itself when it finds a CI environment variable."""


class _CommonSettings(TypedDict):
    """The settings every profile of the suite shares (keyword arguments of ``settings``)."""

    deadline: None
    phases: tuple[Phase, ...]
    suppress_health_check: list[HealthCheck]


_COMMON: _CommonSettings = {
    "deadline": None,
    "phases": tuple(phase for phase in Phase if phase is not Phase.explain),
    # The implementation under test is a pytest parameter, not a fixture with state:
    # sharing it across examples is the point.  Examples an implementation blocks are
    # rejected (conformance.plugin.counting): many of them say something about it, not
    # about the strategies.
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
}

settings.register_profile(LOCAL_PROFILE, max_examples=100, **_COMMON)
settings.register_profile(
    CI_PROFILE, max_examples=25, derandomize=True, database=None, print_blob=True, **_COMMON
)
settings.register_profile(THOROUGH_PROFILE, max_examples=2000, **_COMMON)


def default_profile_name(environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    """The profile used when none is named: ``trainstate-ci`` under CI, else ``trainstate-dev``."""
    on_ci = environ.get("CI", "").strip().lower() not in ("", "0", "false")
    return CI_PROFILE if on_ci else LOCAL_PROFILE


def suite_settings(*, shares_draws: bool = True) -> Callable[[T], T]:
    """Decorate a conformance test with the profile named on the command line, if any.

    Hypothesis's pytest plugin loads ``--hypothesis-profile NAME`` before test
    modules are imported, so a current profile other than Hypothesis's own
    ``default`` was chosen by the user (or by their conftest) and wins, with
    deadlines and the explain phase off.  Hypothesis's own ``ci`` is no choice
    either: Hypothesis loads it by itself on a CI machine, and there the suite
    uses ``trainstate-ci`` (a profile of yours for the suite needs another name).

    Under a derandomized profile (``trainstate-ci``) the test is also seeded by
    what it draws (:func:`draws_of`).  Hypothesis would derive the seed from the
    test id, which carries the implementation, so every implementation would
    get other inputs.  Seeded by its strategies, every implementation is judged
    on the same inputs (a grader's class takes one exam), the judge computes
    what each input should give once, and the properties that draw alike draw
    the same problems: one call of ``one_step`` then answers all of them
    (:func:`conformance.properties.calling.call_raw`).  Each property still runs every
    one of its examples; they are fewer distinct problems in the run.
    ``shares_draws=False`` seeds it by its name too: for properties whose
    answers cannot be shared (each TrainState scenario asks its own
    question), other properties' inputs would only narrow what the run meets.
    """
    current = settings.get_current_profile_name()
    if current == HYPOTHESIS_CI:
        chosen = settings.get_profile(CI_PROFILE)
    elif current != "default":
        named = settings.get_profile(current)
        # The named profile keeps its own phases (it may turn shrinking off, say), without
        # explain, and the suite's health checks are suppressed on top of its own.
        chosen = settings(
            named,
            deadline=None,
            phases=tuple(phase for phase in named.phases if phase is not Phase.explain),
            suppress_health_check=[
                *named.suppress_health_check,
                *_COMMON["suppress_health_check"],
            ],
        )
    else:
        chosen = settings.get_profile(default_profile_name())

    def decorate(test: T) -> T:
        decorated = chosen(test)
        if chosen.derandomize:
            decorated = seed(draws_of(test, by_name=not shares_draws))(decorated)
        return decorated

    return decorate


def draws_of(test: Callable[..., object], *, by_name: bool = False) -> str:
    """What a ``@given`` test draws, as its arguments' strategies: ``problem=problems()``.

    Strategies print as the calls that built them, so two tests get the same
    text exactly when they draw alike.  A test that also draws inside its body
    (``st.data()``) draws what its body decides, which no other test shares:
    its name comes first, so that such tests do not all draw from one stream;
    so it does ``by_name``.  A test without ``@given`` is named.
    """
    name = getattr(test, "__name__", repr(test))
    given_kwargs = getattr(getattr(test, "hypothesis", None), "_given_kwargs", None)
    if not given_kwargs:
        return name
    drawn = ", ".join(f"{arg}={strategy!r}" for arg, strategy in given_kwargs.items())
    inside = any(isinstance(strategy, type(st.data())) for strategy in given_kwargs.values())
    return f"{name}: {drawn}" if inside or by_name else drawn
