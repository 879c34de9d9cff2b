"""Property 2: after one ``apply_gradients`` the step counter is exactly 1."""

from __future__ import annotations

from conformance.isolation.implementations import Implementation
from conformance.properties.calling import call
from conformance.properties.one_step_checks import check_step_after
from conformance.properties.skeleton import one_step_property
from conformance.strategies.edge_cases import edge_pins
from conformance.strategies.problems import Problem, problems


@one_step_property(pins=edge_pins("zero", "absolute"), problem=problems(), basic=True)
def test_step_after_is_exactly_one(impl: Implementation, problem: Problem) -> None:
    check_step_after(call(impl, problem).step, problem)
