"""The module imports and defines something to test: ``one_step``, ``TrainState``, or both,
and what the assignment requires (:mod:`conformance.properties.requirements`).

Its own process imports it (:mod:`conformance.isolation.host`).  When that
fails (the import raises, ``one_step`` is not callable, ``TrainState`` is not
a class, neither is defined, ``trainstate_fields`` is not a function), this is
the one failure that says why; every other property is blocked by it
(:mod:`conformance.properties.blocked`), and the other implementations of the
run are judged as usual.
"""

from __future__ import annotations

import pytest

from conformance.isolation.descriptions import first_line
from conformance.isolation.failures import ImplementationUnavailable
from conformance.isolation.implementations import Implementation
from conformance.properties.requirements import RequirementNotMet, first_missing
from conformance.reporting.verdicts import CLASS_KEY


@pytest.mark.trainstate_module
@pytest.mark.trainstate_basic
# That it imported, and what it defines, is what its process reported (the source check aside).
@pytest.mark.trainstate_observed
def test_module_imports(impl: Implementation, request: pytest.FixtureRequest) -> None:
    try:
        capabilities = impl.capabilities()
    except ImplementationUnavailable as exc:
        raise AssertionError(first_line(exc)) from None
    if capabilities.train_state is not None:
        # The report and the verdict's summary say what values the class's fields were given.
        # Appended as record_property would, without its warning under JUnit's xunit2 family.
        request.node.user_properties.append((CLASS_KEY, capabilities.train_state.as_json()))
    cause = first_missing(impl)
    if cause is not None:
        raise RequirementNotMet(cause)
