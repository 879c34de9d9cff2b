"""One call of ``one_step`` answers every property that asks the same question, and no more."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from conformance.isolation.failures import GlobalStateChanged, ImplementationUnavailable
from conformance.isolation.implementations import Implementation
from conformance.properties.calling import ANSWERS_KEPT, call, call_raw
from conformance.properties.expected import expected
from conformance.strategies.data import DataDescription
from conformance.strategies.problems import Problem, threshold_of


class CountingConnection:
    """A host that answers ``[1, k]`` to its k-th request, and records what it was asked."""

    name = "counting"
    spec = "counting.py"

    def __init__(self, state_changes: tuple[str, ...] = ()) -> None:
        self.requests: list[dict[str, Any]] = []
        self.state_changes = list(state_changes)

    def start(self) -> None:
        pass

    def capabilities(self) -> dict[str, Any]:
        return {}

    def reported(self) -> dict[str, Any] | None:
        return {}

    def request(self, message: dict[str, Any], what: str) -> dict[str, Any]:
        self.requests.append(message)
        values = np.array([1.0, float(len(self.requests))])
        returned = {
            "type": "numpy.ndarray",
            "is_ndarray": True,
            "shape": [2],
            "dtype": "float64",
            "dtype_kind": "f",
            "as_array_dtype": "float64",
            "values": values,
        }
        inputs = {"x": message["x"].copy(), "y": message["y"].copy()}
        return {"returned": returned, "inputs_after": inputs, "state_changes": self.state_changes}

    def stop(self) -> None:
        pass


def problem(seed: object = 3, lr: float = 0.5, rows: int = 2) -> Problem:
    x = np.arange(rows * 2, dtype=np.float32).reshape(rows, 2)
    return Problem(
        seed=seed,
        x=x,
        y=np.ones(rows, np.float32),
        lr=lr,
        lr_kind="small",
        threshold=threshold_of(x),
        description=DataDescription("float32", 1.0, "pinned", "test", "pinned", "test"),
    )


def implementation(connection: CountingConnection) -> Implementation:
    return Implementation("counting", "counting.py", connection)  # type: ignore[arg-type]


def test_the_same_question_is_asked_once() -> None:
    impl = implementation(connection := CountingConnection())
    first = call(impl, problem())
    again = call(impl, problem())
    assert first.loss == again.loss == 1.0
    assert len(connection.requests) == 1 and impl.calls["one_step"] == 1
    # Every call asks for everything a property may check, so one answer serves them all.
    assert connection.requests[0]["return_inputs"] and connection.requests[0]["check_rng"]
    assert call_raw(impl, problem()).x_after is not None
    assert len(connection.requests) == 1


@pytest.mark.parametrize(
    "other",
    [
        problem(seed=3.0),  # the same int(seed), another type: another question
        problem(seed=np.int64(3)),
        problem(lr=0.25),
        problem(rows=3),
    ],
    ids=["float seed", "numpy seed", "lr", "shape"],
)
def test_a_different_question_is_a_new_call(other: Problem) -> None:
    impl = implementation(connection := CountingConnection())
    call(impl, problem())
    assert call(impl, other).loss == 2.0
    assert len(connection.requests) == 2


def test_seeds_that_print_alike_are_different_questions() -> None:
    """0-d arrays print 8 digits: both seeds are ``array(2.14748365e+09)``, and their int()
    differ, so the oracle's answers differ too (a soak run met this as a false failure)."""
    near, far = problem(seed=np.array(2147483646.0)), problem(seed=np.array(2147483647.0))
    assert repr(near.seed) == repr(far.seed)
    impl = implementation(connection := CountingConnection())
    call(impl, near)
    assert call(impl, far).loss == 2.0
    assert len(connection.requests) == 2
    assert expected(near).loss_after != expected(far).loss_after
    assert expected(far) == expected(problem(seed=2147483647))


def test_read_only_inputs_are_another_question() -> None:
    impl = implementation(connection := CountingConnection())
    call(impl, problem())
    call(impl, problem(), read_only=True)
    assert [r["read_only"] for r in connection.requests] == [False, True]


def test_a_fresh_call_is_made_now_and_not_kept() -> None:
    impl = implementation(CountingConnection())
    assert call(impl, problem()).loss == 1.0
    assert call(impl, problem(), fresh=True).loss == 2.0
    assert call(impl, problem(), fresh=True).loss == 3.0
    # The kept answer is still the first one: a fresh call does not replace it.
    assert call(impl, problem()).loss == 1.0
    assert impl.calls["one_step"] == 3


def test_a_kept_answer_still_fails_the_property_that_checks_it() -> None:
    impl = implementation(CountingConnection(state_changes=("jax_enable_x64",)))
    call(impl, problem())
    with pytest.raises(GlobalStateChanged, match="jax_enable_x64"):
        call_raw(impl, problem(), check_global_state=True)


def test_the_oldest_answers_are_dropped_beyond_the_limit() -> None:
    impl = implementation(connection := CountingConnection())
    for lr in range(ANSWERS_KEPT + 1):
        call(impl, problem(lr=float(lr)))
    call(impl, problem(lr=float(ANSWERS_KEPT)))
    assert len(connection.requests) == ANSWERS_KEPT + 1
    call(impl, problem(lr=0.0))
    assert len(connection.requests) == ANSWERS_KEPT + 2


def test_reused_buffers_are_the_earlier_arrays_refilled_in_place() -> None:
    from types import ModuleType

    from conformance.isolation.service import Service

    seen: list[tuple[np.ndarray, np.ndarray, list[float]]] = []

    def one_step(seed: object, x: np.ndarray, y: np.ndarray, lr: float) -> np.ndarray:
        seen.append((x, y, x.ravel().tolist()))
        return np.array([1.0, 0.5])

    module = ModuleType("recording")
    module.one_step = one_step  # type: ignore[attr-defined]
    service = Service(module)

    def ask(p: Problem, reuse: bool) -> dict[str, Any]:
        request = {"op": "one_step", "seed": 0, "x": p.x, "y": p.y, "lr": 0.1}
        return service.handle({**request, "reuse_buffers": reuse, "inputs_are_shared": True})

    first, other = problem(rows=2), problem(rows=2)
    other.x[...] = -1.0
    assert ask(first, True)["reused_inputs"] is False
    assert ask(other, True)["reused_inputs"] is True
    assert seen[1][0] is seen[0][0] and seen[1][1] is seen[0][1]
    assert seen[1][2] == [-1.0] * 4 and seen[0][2] == [0.0, 1.0, 2.0, 3.0]
    # The judge's arrays are never the buffers, so refilling leaves them alone.
    assert seen[0][0] is not first.x and first.x.ravel().tolist() == [0.0, 1.0, 2.0, 3.0]
    # Another shape, or a call that does not ask, gets arrays of its own.
    assert ask(problem(rows=3), True)["reused_inputs"] is False
    assert ask(first, False)["reused_inputs"] is False and seen[-1][0] is first.x


def test_a_call_on_reused_buffers_is_another_question() -> None:
    impl = implementation(connection := CountingConnection())
    call(impl, problem())
    call(impl, problem(), fresh=True, reuse_buffers=True)
    assert [r["reuse_buffers"] for r in connection.requests] == [False, True]


class UnloadableConnection(CountingConnection):
    """A host whose module never imported."""

    def capabilities(self) -> dict[str, Any]:
        raise ImplementationUnavailable("unloadable: importing it raised ImportError")

    def request(self, message: dict[str, Any], what: str) -> dict[str, Any]:
        self.capabilities()
        return super().request(message, what)


def test_a_module_that_never_loads_is_not_counted_as_called() -> None:
    impl = implementation(UnloadableConnection())
    with pytest.raises(ImplementationUnavailable):
        call_raw(impl, problem())
    assert impl.calls["one_step"] == 0
