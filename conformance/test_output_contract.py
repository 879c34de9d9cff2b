"""Property 1: ``one_step`` returns a 1-D array of shape (2,), of a real floating dtype, finite."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from conformance.calling import call_raw, describe
from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.repro import reproducible
from strategies.edge_cases import pin_edge_cases
from strategies.problems import Problem, problems

pytestmark = pytest.mark.one_step


@suite_settings()
@pin_edge_cases("zero", "absolute", "large")
@given(problem=problems())
def test_output_is_a_finite_float_pair(impl: Implementation, problem: Problem) -> None:
    with reproducible(impl, "test_output_is_a_finite_float_pair", ("problem", problem)):
        out = call_raw(impl, problem)
        where = f"{impl.name}.one_step returned {describe(out)}"
        assert isinstance(out, np.ndarray) or type(out).__module__.startswith("jax"), (
            f"{where}, but the contract asks for a NumPy or JAX array {problem.label()}"
        )
        assert out.ndim == 1 and out.shape == (2,), (
            f"{where}, but the contract asks for a 1-D array of shape (2,): "
            f"[step_after, loss_after] {problem.label()}"
        )
        assert np.issubdtype(out.dtype, np.floating), (
            f"{where}, but the contract asks for a real floating dtype {problem.label()}"
        )
        values = np.asarray(out)
        assert np.all(np.isfinite(values)), (
            f"{impl.name}.one_step returned {values!r}, which is not finite; the reference gives "
            f"finite values for every tested input {problem.label()}"
        )
