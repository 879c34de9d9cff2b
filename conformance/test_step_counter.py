"""Property 2: after one ``apply_gradients`` the step counter is exactly 1."""

from __future__ import annotations

import pytest
from hypothesis import given

from conformance.calling import call
from conformance.checks import check_step_after
from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.repro import reproducible
from conformance.strategies.edge_cases import pin_edge_cases
from conformance.strategies.problems import Problem, problems

pytestmark = pytest.mark.trainstate_one_step


@suite_settings()
@pin_edge_cases("zero", "absolute")
@given(problem=problems())
def test_step_after_is_exactly_one(impl: Implementation, problem: Problem) -> None:
    with reproducible(impl, "test_step_after_is_exactly_one", ("problem", problem)):
        check_step_after(call(impl, problem).step, problem)
