"""Property 4: with ``lr == 0`` the step changes nothing, so ``loss_after`` is the initial loss."""

from __future__ import annotations

from conformance.isolation.implementations import Implementation
from conformance.properties.calling import call
from conformance.properties.expected import expected
from conformance.properties.skeleton import one_step_property
from conformance.strategies.edge_cases import edge_pins
from conformance.strategies.problems import Problem, problems


@one_step_property(pins=edge_pins("zero"), problem=problems(lr_kinds=("zero",)), basic=True)
def test_zero_lr_keeps_initial_loss(impl: Implementation, problem: Problem) -> None:
    out = call(impl, problem)
    want = expected(problem)
    tolerance = want.loss_before_tolerance
    assert abs(out.loss - want.loss_before) <= tolerance, (
        f"loss_after={out.loss!r} with lr=0, but the canonical loss before the step is "
        f"{want.loss_before!r} (exact) and an SGD step with lr=0 leaves the params unchanged "
        f"(|difference| {abs(out.loss - want.loss_before):.3g} > tolerance "
        f"{tolerance:.3g}) {problem.label()}"
    )
