"""Property 2: after one ``apply_gradients`` the step counter is exactly 1.

Where the module defines only a ``TrainState`` and the suite built ``one_step``
from it by the canonical recipe, ``step_after`` is the class's own step after
one ``apply_gradients``: a wrong one is the class's step counter, which
``test_step_counts_apply_gradients_calls`` judges, and this property is
blocked by it rather than failing a second time for the same cause.
"""

from __future__ import annotations

from conformance.isolation.implementations import Implementation
from conformance.properties.blocked import Blocked
from conformance.properties.calling import call
from conformance.properties.one_step_checks import check_step_after
from conformance.properties.skeleton import one_step_property
from conformance.strategies.edge_cases import edge_pins
from conformance.strategies.problems import Problem, problems


@one_step_property(pins=edge_pins("zero", "absolute"), problem=problems(), basic=True)
def test_step_after_is_exactly_one(impl: Implementation, problem: Problem) -> None:
    step = call(impl, problem).step
    try:
        check_step_after(step, problem)
    except AssertionError:
        cls = impl.capabilities().built_from
        if cls is not None:
            raise Blocked(
                f"the step of {cls.name} after one apply_gradients is "
                f"{step!r}, not 1 (test_step_counts_apply_gradients_calls judges the class's "
                "step counter)",
                problem.label(),
            ) from None
        raise
