"""Property 8: ``one_step`` does not modify its inputs, accepts read-only arrays, and gives the
same result whatever the arrays' memory layout."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conformance.isolation.failures import ImplementationRaised
from conformance.isolation.implementations import Implementation
from conformance.isolation.layouts import JAX_ARRAYS, LAYOUTS
from conformance.properties.calling import call, call_raw, read
from conformance.properties.expected import expected
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
    """``x`` and ``y``, and a seed passed as a 0-d array (what ``np.load`` gives): code that
    truncates such a seed in place (``np.trunc(s, out=s)``) answers right and leaves the
    caller's seed changed."""
    result = call_raw(impl, problem)
    inputs = [("x", problem.x, result.x_after), ("y", problem.y, result.y_after)]
    if isinstance(problem.seed, np.ndarray):
        inputs.append(("seed", problem.seed, result.seed_after))
    for name, before, after in inputs:
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


@one_step_property(
    pins=[
        {"problem": pin["problem"], "layout": LAYOUTS[1 + i % (len(LAYOUTS) - 1)]}
        for i, pin in enumerate(edge_pins("small"))
    ],
    problem=problems(),
    layout=st.sampled_from(LAYOUTS[1:]),
)
def test_memory_layout_does_not_change_the_result(
    impl: Implementation, problem: Problem, layout: str
) -> None:
    """``x`` and ``y`` Fortran-ordered, as transposed or strided views, or as JAX arrays: the
    same values give the canonical result, and NumPy arrays stay unmodified.  Code that reads
    the buffer rather than the array (``ravel(order="K")``) is right only for the
    C-contiguous arrays callers usually pass; code that reads NumPy's attributes
    (``x.flags``) raises on the JAX arrays JAX code passes.  A result as wrong with
    C-contiguous arrays is not the layout's doing: the agreement property reports it, once."""
    try:
        result = call_raw(impl, problem, layout=layout)
    except ImplementationRaised as exc:
        if exc.prerequisite:
            raise
        raise ImplementationRaised(
            f"{exc} -- raised only with x and y {layout}; the same values C-contiguous are accepted"
        ) from None
    out = read(result.returned, impl, problem)
    want = expected(problem)
    tolerance = want.loss_after_tolerance
    error = abs(out.loss - want.loss_after)
    if error > tolerance:
        # Wrong whatever the layout (the agreement property's failure), or wrong for this one.
        plain = call(impl, problem)
        assert abs(out.loss - plain.loss) <= tolerance, (
            f"loss_after={out.loss!r} with x and y {layout}, but {plain.loss!r} with the same "
            f"values C-contiguous, and the canonical step gives {want.loss_after!r} "
            f"(|difference| {error:.3g} > tolerance {tolerance:.3g}); the memory layout of an "
            f"array is not its value {problem.label()}"
        )
    if layout == JAX_ARRAYS:
        # Immutable, and of JAX's dtypes: what comes back is a conversion, not the input.
        return
    for name, before, after in (
        ("x", problem.x, result.x_after),
        ("y", problem.y, result.y_after),
    ):
        assert _unchanged(before, after), (
            f"one_step modified its input {name}, passed {layout}: {before!r} became "
            f"{_shown(after)} {problem.label()}"
        )
