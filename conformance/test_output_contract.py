"""Property 1: ``one_step`` returns a 1-D array of shape (2,), of a real floating dtype, finite,
with a loss that is not negative (a mean of squares)."""

from __future__ import annotations

from conformance.isolation.implementations import Implementation
from conformance.properties.built_step import block_if_the_class_update_differs
from conformance.properties.calling import call_raw, one_step_name
from conformance.properties.one_step_checks import check_output_contract
from conformance.properties.skeleton import one_step_property
from conformance.strategies.edge_cases import edge_pins
from conformance.strategies.problems import Problem, problems


@one_step_property(
    pins=edge_pins("zero", "absolute", "large"),
    problem=problems(),
    basic=True,
    owns_raising=True,
    # The output's type, shape and dtype are as the implementation's process described them.
    observed=True,
)
def test_output_is_a_finite_float_pair(impl: Implementation, problem: Problem) -> None:
    returned = call_raw(impl, problem).returned
    try:
        check_output_contract(returned, problem, name=one_step_name(impl))
    except AssertionError:
        # A built one_step returns what the canonical recipe makes of its class's update (a
        # NaN loss, say): where that update already leaves the Optax loop, this is that failure.
        block_if_the_class_update_differs(impl, {"problem": problem})
        raise
