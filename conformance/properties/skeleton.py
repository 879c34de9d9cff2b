"""The skeleton of every property: one decorator per family, so a property is one module.

``@one_step_property(...)`` and ``@train_state_property(...)`` take the
property's strategies as keyword arguments (as ``@given`` does) and its edge
pins, and apply, in order:

- a wrapper that attaches a repro snippet (:mod:`conformance.reporting.repro`) to any
  failure, named from the function itself;
- every pin as an ``@example``;
- ``@given``;
- the suite's Hypothesis settings (:func:`conformance.properties.profiles.suite_settings`);
- the markers that say what the plugin does with the property: its family
  (``trainstate_one_step``, ``trainstate_train_state``), ``trainstate_basic``
  (run first), ``trainstate_no_updates`` (a TrainState property that never
  completes an update, run last) and ``trainstate_observed`` (its verdict rests
  on what was observed inside the implementation's process).

The plugin registers the markers (:data:`conformance.plugin.MARKERS`) and reads
only them: no list elsewhere names a property.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance.isolation.descriptions import first_line
from conformance.isolation.failures import ImplementationRaised, ImplementationUnavailable
from conformance.isolation.implementations import Implementation
from conformance.properties.blocked import Blocked
from conformance.properties.built_step import block_if_the_class_update_differs
from conformance.properties.profiles import suite_settings
from conformance.reporting.repro import attached_to_failures

__all__ = ["one_step_property", "train_state_property"]

F = TypeVar("F", bound=Callable[..., None])


def _skeleton(
    marks: list[pytest.MarkDecorator],
    pins: Iterable[Mapping[str, object]],
    strategies: dict[str, st.SearchStrategy[Any]],
    shares_draws: bool,
    applies: Callable[[Implementation], object] | None = None,
    owns_raising: bool = False,
    on_failure: Callable[[Implementation, dict[str, Any]], None] | None = None,
) -> Callable[[F], F]:
    def decorate(body: F) -> F:
        @functools.wraps(body)
        def run(impl: Implementation, **inputs: Any) -> None:
            try:
                if applies is not None:
                    applies(impl)
                with attached_to_failures(impl, run, inputs):
                    body(impl, **inputs)
            except ImplementationRaised as exc:
                # A call this property only needs raised: the property that owns the call
                # reports it (conformance.properties.blocked).
                if exc.in_class_call or (exc.prerequisite and not owns_raising):
                    raise Blocked(exc.cause, exc.label, per_example=True) from None
                raise
            except ImplementationUnavailable as exc:
                # "name: --trainstate-impl spec: why", as module_imports reports it.
                raise Blocked(first_line(exc).removeprefix(f"{impl.name}: ")) from None
            except (AssertionError, Blocked):
                if on_failure is not None:
                    on_failure(impl, inputs)
                raise

        test: Any = run
        for pin in reversed(list(pins)):
            test = example(**pin)(test)
        test = suite_settings(shares_draws=shares_draws)(given(**strategies)(test))
        for mark in marks:
            test = mark(test)
        return test  # type: ignore[no-any-return]

    return decorate


def one_step_property(
    *,
    pins: Iterable[Mapping[str, object]] = (),
    basic: bool = False,
    owns_raising: bool = False,
    observed: bool = False,
    **strategies: st.SearchStrategy[Any],
) -> Callable[[F], F]:
    """A property of ``one_step``: ``@given(**strategies)``, every pin an ``@example``.

    Its draws are shared with the properties that draw alike, and so are the
    calls of ``one_step`` that answer them (:mod:`conformance.properties.calling`).
    ``basic`` runs it before the others.  ``owns_raising``: it fails when
    ``one_step`` raises on a valid input; every other property is blocked by
    that failure.  ``observed``: its verdict rests on what the host reported of
    the call beyond its values (the output's type, the process's global state).  A property
    that is not ``observed`` and fails on a ``one_step`` built from a class whose own update
    leaves the Optax loop is blocked by that (:mod:`conformance.properties.built_step`).
    """
    marks = [pytest.mark.trainstate_one_step]
    if basic:
        marks.append(pytest.mark.trainstate_basic)
    if observed:
        marks.append(pytest.mark.trainstate_observed)
    # What the host reports beyond the values (global state, types) is not the class's update.
    return _skeleton(
        marks,
        pins,
        strategies,
        shares_draws=True,
        owns_raising=owns_raising,
        on_failure=None if observed else block_if_the_class_update_differs,
    )


def train_state_property(
    *,
    pins: Iterable[Mapping[str, object]] = (),
    updates: bool = True,
    **strategies: st.SearchStrategy[Any],
) -> Callable[[F], F]:
    """A property of a TrainState class: ``@given(**strategies)``, every pin an ``@example``.

    It does not apply to a module without a TrainState class
    (:func:`~conformance.properties.observing.train_state_class`, checked before
    the body).  Seeded by its name too, since no other property asks its
    scenario's questions.  ``updates=False`` says it never completes an
    ``apply_gradients`` call (it runs last).  Every verdict of a TrainState
    property rests on the implementation's process, its values included: that
    process runs the suite's scenario code, and a submission can rewrite it
    there to have another class tested in its place.
    """
    marks = [pytest.mark.trainstate_train_state, pytest.mark.trainstate_observed]
    if not updates:
        marks.append(pytest.mark.trainstate_no_updates)
    from conformance.properties.observing import train_state_class

    return _skeleton(marks, pins, strategies, shares_draws=False, applies=train_state_class)
