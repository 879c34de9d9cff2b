"""Property 6: ``one_step`` is a pure function: no randomness, no state between calls."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.calling import Output, call
from conformance.expected import expected
from conformance.implementations import Implementation
from conformance.profiles import suite_settings
from conformance.repro import reproducible
from conformance.strategies.data import draw_data
from conformance.strategies.edge_cases import pin_edge_cases
from conformance.strategies.problems import Problem, problems, threshold_of

pytestmark = pytest.mark.trainstate_one_step


def _identical(first: Output, second: Output) -> bool:
    return np.array_equal(first.values, second.values, equal_nan=True) and (
        first.raw.as_array_dtype == second.raw.as_array_dtype
    )


@suite_settings()
@pin_edge_cases("small", "absolute")
@given(problem=problems())
def test_same_call_twice_is_identical(impl: Implementation, problem: Problem) -> None:
    with reproducible(impl, "test_same_call_twice_is_identical", ("problem", problem)):
        # The first answer may be one an earlier property got; the second is asked for now.
        first = call(impl, problem)
        second = call(impl, problem, fresh=True)
        assert _identical(first, second), (
            f"the same call returned {first.raw.shown()} and then {second.raw.shown()}; one_step "
            f"must be deterministic {problem.label()}"
        )


@st.composite
def neighbours(draw: st.DrawFn, problem: Problem) -> Problem:
    """Another problem with the same seed and shape but other data and learning rate.

    An implementation that caches on part of its inputs (the seed, the shape)
    answers it with a stale result.
    """
    x, y, description = draw_data(draw, problem.n, problem.d)
    threshold = threshold_of(x)
    factor = draw(st.floats(0.1, 1.5))
    return Problem(
        seed=problem.seed,
        x=x,
        y=y,
        lr=factor * threshold,
        lr_kind="small" if factor <= 1 else "moderate",
        threshold=threshold,
        description=description,
    )


@suite_settings()
@given(problem=problems(), data_=st.data())
def test_no_hidden_state_between_calls(
    impl: Implementation, problem: Problem, data_: st.DataObject
) -> None:
    neighbour = data_.draw(neighbours(problem), label="same seed and shape, other data")
    stranger = data_.draw(problems(), label="unrelated problem")
    sequence = [("first", problem), ("neighbour", neighbour), ("stranger", stranger)]
    sequence.append(("again", problem))
    with reproducible(impl, "test_no_hidden_state_between_calls", *sequence):
        outputs: list[Output] = []
        for name, current in sequence:
            # Each call after the first is made now, in this order: a kept answer would
            # not show what the earlier calls left behind.
            out = call(impl, current, fresh=bool(outputs))
            want = expected(current)
            error = abs(out.loss - want.loss_after)
            assert out.step == 1.0 and error <= want.loss_after_tolerance, (
                f"call {len(outputs) + 1} ({name}) of a sequence returned [step, loss]="
                f"{out.values.tolist()}, but the canonical step gives [1.0, {want.loss_after!r}] "
                f"(tolerance {want.loss_after_tolerance:.3g}), after {len(outputs)} earlier "
                f"call(s); if it is right when called alone, it depends on earlier calls "
                f"{current.label()}"
            )
            outputs.append(out)
        assert _identical(outputs[0], outputs[-1]), (
            f"the same call returned {outputs[0].raw.shown()} first and {outputs[-1].raw.shown()} "
            f"after two other calls: one_step keeps state between calls {problem.label()}"
        )
