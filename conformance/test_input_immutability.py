"""Property 8: ``one_step`` does not modify its inputs, and accepts read-only arrays."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from conformance.calling import ImplementationRaised, call
from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.repro import reproducible
from strategies.edge_cases import pin_edge_cases
from strategies.problems import Problem, problems

pytestmark = pytest.mark.one_step


def _unchanged(before: np.ndarray, after: np.ndarray) -> bool:
    return (
        before.dtype == after.dtype
        and before.shape == after.shape
        and (before.tobytes() == after.tobytes())
    )


@suite_settings()
@pin_edge_cases("small", "absolute")
@given(problem=problems())
def test_inputs_are_not_modified(impl: Implementation, problem: Problem) -> None:
    mine = problem.replace(x=problem.x.copy(), y=problem.y.copy())
    with reproducible(impl, "test_inputs_are_not_modified", ("problem", problem)):
        call(impl, mine, copy_inputs=False)
        for name, before, after in (("x", problem.x, mine.x), ("y", problem.y, mine.y)):
            assert _unchanged(before, after), (
                f"one_step modified its input {name}: {before!r} became {after!r}; the caller's "
                f"arrays must be left untouched {problem.label()}"
            )


@suite_settings()
@pin_edge_cases("small")
@given(problem=problems())
def test_read_only_inputs_are_accepted(impl: Implementation, problem: Problem) -> None:
    x, y = problem.x.copy(), problem.y.copy()
    x.flags.writeable = False
    y.flags.writeable = False
    frozen = problem.replace(x=x, y=y)
    with reproducible(impl, "test_read_only_inputs_are_accepted", ("problem", problem)):
        writable = call(impl, problem)
        try:
            read_only = call(impl, frozen, copy_inputs=False)
        except ImplementationRaised as exc:
            raise ImplementationRaised(
                f"{exc} -- raised only because x and y were read-only arrays; one_step must "
                "not write into its inputs"
            ) from exc.__cause__
        assert np.array_equal(writable.values, read_only.values, equal_nan=True), (
            f"with read-only x and y one_step returned {read_only.values.tolist()}, with "
            f"writable copies {writable.values.tolist()} {problem.label()}"
        )
