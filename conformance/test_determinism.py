"""Property 6: ``one_step`` is a pure function: no randomness, no state between calls.

An answer belongs to its caller: a memo that returns the array it keeps shares state with
every later call of the same inputs through what callers write into it."""

from __future__ import annotations

import numpy as np

from conformance.isolation.implementations import Implementation
from conformance.properties.blocked import Blocked
from conformance.properties.calling import Output, call
from conformance.properties.expected import expected
from conformance.properties.skeleton import one_step_property
from conformance.strategies.edge_cases import edge_pins
from conformance.strategies.problems import Problem, problems
from conformance.strategies.sequences import CallSequence, call_sequences, sequence_pins


def _identical(first: Output, second: Output) -> bool:
    return np.array_equal(first.values, second.values, equal_nan=True) and (
        first.raw.as_array_dtype == second.raw.as_array_dtype
    )


@one_step_property(pins=edge_pins("small", "absolute"), problem=problems())
def test_same_call_twice_is_identical(impl: Implementation, problem: Problem) -> None:
    # The first answer may be one an earlier property got; the second is asked for now.
    first = call(impl, problem)
    second = call(impl, problem, fresh=True)
    assert _identical(first, second), (
        f"the same call returned {first.raw.shown()} and then {second.raw.shown()}; one_step "
        f"must be deterministic {problem.label()}"
    )
    assert not second.shares_an_earlier_answer, (
        f"the same call, made again, returned the very writable array an earlier call "
        f"returned (one memory, two answers), so a caller that writes into its answer "
        f"(out[1] *= n, total += ...) changes what later calls return; a memo must hand out "
        f"a copy or a read-only array {problem.label()}"
    )


@one_step_property(pins=sequence_pins(), sequence=call_sequences())
def test_no_hidden_state_between_calls(impl: Implementation, sequence: CallSequence) -> None:
    problem = sequence.first
    outputs: list[Output] = []
    for name, current in sequence.calls():
        # Each call after the first is made now, in this order: a kept answer would
        # not show what the earlier calls left behind.  Its x and y are the arrays of the
        # last such call of their shape in this sequence, refilled, as a data loader reuses
        # its batch buffers.
        later = bool(outputs)
        out = call(
            impl, current, fresh=later, reuse_buffers=later, forget_buffers=len(outputs) == 1
        )
        want = expected(current)
        error = abs(out.loss - want.loss_after)
        # The step of a first call is the step counter's property; later ones must repeat it.
        step = outputs[0].step if outputs else out.step
        if not later and error > want.loss_after_tolerance:
            # A wrong answer to a single call is the agreement properties' failure; after it,
            # a wrong answer shows nothing about state kept between calls.
            raise Blocked(
                f"one_step's answer to the sequence's first problem, [step, loss]="
                f"{out.values.tolist()}, is not the canonical loss {want.loss_after!r} "
                f"(tolerance {want.loss_after_tolerance:.3g}), so the calls after it cannot "
                f"show state kept between calls",
                current.label(),
                per_example=True,
            )
        refilled = (
            "; its x and y were the arrays of an earlier call, overwritten in place with these "
            "values (a cache keyed on the arrays' identity answers for their old contents)"
            if out.reused_inputs
            else ""
        )
        assert out.step == step and error <= want.loss_after_tolerance, (
            f"call {len(outputs) + 1} ({name}) of a sequence returned [step, loss]="
            f"{out.values.tolist()}, but the canonical step gives [{step}, {want.loss_after!r}] "
            f"(tolerance {want.loss_after_tolerance:.3g}), after {len(outputs)} earlier "
            f"call(s), the first of which, {problem.label()}, it answered right{refilled}; if "
            f"it is right when called alone, it depends on earlier calls {current.label()}"
        )
        outputs.append(out)
    assert _identical(outputs[0], outputs[-1]), (
        f"the same call returned {outputs[0].raw.shown()} first and {outputs[-1].raw.shown()} "
        f"after two other calls: one_step keeps state between calls {problem.label()}"
    )
