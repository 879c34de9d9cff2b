"""Property 8: ``one_step`` does not modify its inputs, and accepts read-only arrays."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from conformance.calling import call, call_raw
from conformance.failures import ImplementationRaised
from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.repro import reproducible
from conformance.strategies.edge_cases import pin_edge_cases
from conformance.strategies.problems import Problem, problems

pytestmark = pytest.mark.trainstate_one_step


def _unchanged(before: np.ndarray, after: object) -> bool:
    return (
        isinstance(after, np.ndarray)
        and before.dtype == after.dtype
        and before.shape == after.shape
        and before.tobytes() == after.tobytes()
    )


def _shown(after: object) -> str:
    return repr(after) if isinstance(after, np.ndarray) else f"an array of dtype {after}"


@suite_settings()
@pin_edge_cases("small", "absolute")
@given(problem=problems())
def test_inputs_are_not_modified(impl: Implementation, problem: Problem) -> None:
    with reproducible(impl, "test_inputs_are_not_modified", ("problem", problem)):
        result = call_raw(impl, problem)
        for name, before, after in (
            ("x", problem.x, result.x_after),
            ("y", problem.y, result.y_after),
        ):
            assert _unchanged(before, after), (
                f"one_step modified its input {name}: {before!r} became {_shown(after)}; the "
                f"caller's arrays must be left untouched {problem.label()}"
            )


@suite_settings()
@pin_edge_cases("small")
@given(problem=problems())
def test_read_only_inputs_are_accepted(impl: Implementation, problem: Problem) -> None:
    with reproducible(impl, "test_read_only_inputs_are_accepted", ("problem", problem)):
        writable = call(impl, problem)
        try:
            read_only = call(impl, problem, read_only=True)
        except ImplementationRaised as exc:
            raise ImplementationRaised(
                f"{exc} -- raised only because x and y were read-only arrays; one_step must "
                "not write into its inputs"
            ) from None
        assert np.array_equal(writable.values, read_only.values, equal_nan=True), (
            f"with read-only x and y one_step returned {read_only.values.tolist()}, with "
            f"writable copies {writable.values.tolist()} {problem.label()}"
        )
