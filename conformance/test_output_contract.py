"""Property 1: ``one_step`` returns a 1-D array of shape (2,), of a real floating dtype, finite."""

from __future__ import annotations

import pytest
from hypothesis import given

from conformance.calling import call_raw
from conformance.checks import check_output_contract
from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.repro import reproducible
from conformance.strategies.edge_cases import pin_edge_cases
from conformance.strategies.problems import Problem, problems

pytestmark = pytest.mark.trainstate_one_step


@suite_settings()
@pin_edge_cases("zero", "absolute", "large")
@given(problem=problems())
def test_output_is_a_finite_float_pair(impl: Implementation, problem: Problem) -> None:
    with reproducible(impl, "test_output_is_a_finite_float_pair", ("problem", problem)):
        check_output_contract(
            call_raw(impl, problem).returned, problem, name=f"{impl.name}.one_step"
        )
