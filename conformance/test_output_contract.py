"""Property 1: ``one_step`` returns a 1-D array of shape (2,), of a real floating dtype, finite."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from conformance.calling import call_raw
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
        out = call_raw(impl, problem).returned
        where = f"{impl.name}.one_step returned {out.describe()}"
        assert out.is_ndarray or out.is_jax, (
            f"{where}, but the contract asks for a NumPy or JAX array {problem.label()}"
        )
        assert out.shape == (2,), (
            f"{where}, but the contract asks for a 1-D array of shape (2,): "
            f"[step_after, loss_after] {problem.label()}"
        )
        assert out.dtype_kind == "f", (
            f"{where}, but the contract asks for a real floating dtype {problem.label()}"
        )
        assert out.values is not None and bool(np.all(np.isfinite(out.values))), (
            f"{impl.name}.one_step returned {out.shown()}, which is not finite; the canonical "
            f"step gives finite values for every tested input {problem.label()}"
        )
