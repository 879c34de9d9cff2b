"""Property 8: ``one_step`` does not modify its inputs, and accepts read-only arrays."""

from __future__ import annotations

import numpy as np

from conformance.isolation.failures import ImplementationRaised
from conformance.isolation.implementations import Implementation
from conformance.properties.calling import call, call_raw
from conformance.properties.skeleton import one_step_property
from conformance.strategies.edge_cases import edge_pins
from conformance.strategies.problems import Problem, problems


def _unchanged(before: np.ndarray, after: object) -> bool:
    return (
        isinstance(after, np.ndarray)
        and before.dtype == after.dtype
        and before.shape == after.shape
        and before.tobytes() == after.tobytes()
    )


def _shown(after: object) -> str:
    return repr(after) if isinstance(after, np.ndarray) else f"an array of dtype {after}"


@one_step_property(pins=edge_pins("small", "absolute"), problem=problems())
def test_inputs_are_not_modified(impl: Implementation, problem: Problem) -> None:
    result = call_raw(impl, problem)
    for name, before, after in (
        ("x", problem.x, result.x_after),
        ("y", problem.y, result.y_after),
    ):
        assert _unchanged(before, after), (
            f"one_step modified its input {name}: {before!r} became {_shown(after)}; the "
            f"caller's arrays must be left untouched {problem.label()}"
        )


@one_step_property(pins=edge_pins("small"), problem=problems())
def test_read_only_inputs_are_accepted(impl: Implementation, problem: Problem) -> None:
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
