"""Calling an implementation's ``one_step`` and reading what it returned.

Every one-step property calls the implementation through :func:`call` or
:func:`call_raw`, which send the problem to the implementation's own process
and read its answer as data (:class:`Returned`), or reuse the answer to the
same question (see :func:`call_raw`).  An implementation that
raises, prints too much, or returns something that is not ``[step_after,
loss_after]`` fails with a message that says so, names the implementation
and the input, and never with an unrelated error from the property's own
arithmetic.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import numpy as np

from conformance.isolation.descriptions import missing_field
from conformance.isolation.failures import (
    GlobalStateChanged,
    HostMisbehaved,
    ImplementationPrinted,
    ImplementationRaised,
    UnreadableOutput,
)
from conformance.isolation.implementations import Implementation
from conformance.isolation.service import OUTPUT_LIMIT
from conformance.isolation.untrusted_text import printed_lines
from conformance.properties.exact_keys import exact_key
from conformance.strategies.problems import Problem


@dataclasses.dataclass(frozen=True)
class Returned:
    """What one call returned, as its process described it."""

    type: str
    is_ndarray: bool
    shape: tuple[int, ...] | None
    dtype: str | None
    dtype_kind: str | None
    as_array_dtype: str | None
    values: np.ndarray | None
    """The output as float64, flattened, if it converts (``np.asarray(out, float64)``)."""
    values_error: str | None
    repr: str | None
    size: int | None = None
    """How many values the output has (only the first few are sent)."""

    @classmethod
    def from_answer(cls, data: Any) -> Returned:
        if not isinstance(data, dict):
            raise HostMisbehaved("the description of the output is not a dict")
        values = data.get("values")
        shape = data.get("shape")
        return cls(
            type=str(data.get("type")),
            is_ndarray=bool(data.get("is_ndarray")),
            shape=None if shape is None else tuple(int(n) for n in shape),
            dtype=None if data.get("dtype") is None else str(data["dtype"]),
            dtype_kind=None if data.get("dtype_kind") is None else str(data["dtype_kind"]),
            as_array_dtype=None
            if data.get("as_array_dtype") is None
            else str(data["as_array_dtype"]),
            values=values.astype(np.float64) if isinstance(values, np.ndarray) else None,
            values_error=None if data.get("values_error") is None else str(data["values_error"]),
            repr=None if data.get("repr") is None else str(data["repr"]),
            size=None if data.get("size") is None else int(data["size"]),
        )

    @property
    def is_array(self) -> bool:
        return self.shape is not None and self.dtype is not None

    @property
    def is_jax(self) -> bool:
        return self.type.startswith("jax")

    def describe(self) -> str:
        """A short description of the returned value, for messages."""
        if self.is_array:
            return f"{self.type} shape={self.shape} dtype={self.dtype}"
        return f"{self.type.rsplit('.', 1)[-1]} {self.repr or ''}".rstrip()

    def shown(self) -> str:
        """The value itself, as far as it can be shown."""
        if self.is_array and self.values is not None and self.values.size <= 8:
            return f"{np.array2string(self.values, separator=', ')} ({self.dtype})"
        return self.describe()


@dataclasses.dataclass(frozen=True)
class Output:
    """What one call returned, and ``[step_after, loss_after]`` as float64."""

    raw: Returned
    values: np.ndarray
    reused_inputs: bool = False
    """Whether ``x`` and ``y`` were the arrays of an earlier call, refilled in place."""
    shares_an_earlier_answer: bool = False
    """Whether the returned array is (in memory) a writable array an earlier call returned."""

    @property
    def step(self) -> float:
        return float(self.values[0])

    @property
    def loss(self) -> float:
        return float(self.values[1])


@dataclasses.dataclass(frozen=True)
class CallResult:
    """A call's output, and its inputs as they were after the call."""

    returned: Returned
    x_after: Any = None
    y_after: Any = None
    reused_inputs: bool = False
    shares_an_earlier_answer: bool = False
    seed_after: Any = None
    """A seed passed as an array, as it was after the call."""


def _built_one_step(impl: Implementation) -> str | None:
    # As reported: naming a call never starts a process.
    capabilities = impl.reported_capabilities()
    cls = capabilities.built_from if capabilities else None
    return None if cls is None else f"one_step built from {cls.name} by the canonical recipe"


def one_step_name(impl: Implementation) -> str:
    """The ``one_step`` that was called, as messages name it: the module's own, or the one
    the suite built from the module's class (whose failures are the class's)."""
    built = _built_one_step(impl)
    return f"{impl.name}: the {built}" if built else f"{impl.name}.one_step"


def _raised(
    impl: Implementation, answer: dict[str, Any], label: str, prerequisite: bool
) -> ImplementationRaised:
    exception = answer["raised"]
    kind = str(exception.get("type", "?"))
    message = str(exception.get("message", ""))
    subject = _built_one_step(impl) or "one_step"
    in_class_call = answer.get("in_class_call")
    if kind == "SystemExit":
        cause = f"{subject} called sys.exit({exception.get('exit_code')})"
    else:
        origin = exception.get("module")
        shown = kind if origin in (None, "builtins") else f"{origin}.{kind}"
        note = (
            "" if exception.get("is_exception", True) else " (a BaseException; it fails the call)"
        )
        cause = f"{subject} raised {shown}: {message}{note}"
        if in_class_call:
            # The class's own call failed: the cause the TrainState properties give too.
            missing = answer.get("missing_field")
            cause = (
                missing_field(str(missing), "AttributeError")
                if missing
                else f"{in_class_call} raised {shown}: {message}{note}"
            )
            label = f"(in the {subject}) {label}"
    return ImplementationRaised(
        f"{impl.name}: {cause} {label}",
        cause,
        prerequisite=prerequisite,
        in_class_call=bool(in_class_call),
        label=label,
    )


ANSWERS_KEPT = 1024
"""Answers one judging process keeps per implementation (a few KB each; the 15 one-step
properties' draws of one run, per family, fit in it)."""


def call_raw(
    impl: Implementation,
    problem: Problem,
    *,
    read_only: bool = False,
    check_global_state: bool = False,
    fresh: bool = False,
    layout: str = "C-contiguous",
    reuse_buffers: bool = False,
    forget_buffers: bool = False,
) -> CallResult:
    """Call ``impl.one_step`` on ``problem`` in its process, or reuse the answer of that call.

    The implementation gets its own copies of ``x`` and ``y`` (read-only ones
    with ``read_only``, laid out in memory as ``layout`` says:
    :mod:`conformance.isolation.layouts`), and sends them back as they are
    after the call.  With ``reuse_buffers`` they are the arrays of the last such call
    of the same shapes and dtypes, if there was one, overwritten in place, as a
    data loader refills its batch buffers: an implementation that keys a cache on
    the arrays' identity answers for their old contents.  ``forget_buffers`` starts
    anew: earlier calls' arrays are not reused.
    Process-wide settings the call changes are put back in its process, and
    with ``check_global_state`` a change is also a failure.

    ``one_step`` is a pure function by contract, so one call answers every
    property that asks the same question (the same problem, bit for bit, and
    the same ``read_only``, ``layout`` and ``reuse_buffers``); the judging process keeps the answers
    (:data:`ANSWERS_KEPT`, per implementation).  The properties of purity
    itself (determinism, hidden state) ask with ``fresh``: a new call, made
    now, whose answer is not kept.  Every call asks for everything a property
    may check (the inputs after it, the global state around it), so that its
    answer serves them all.
    """
    key = _question(problem, read_only, layout, reuse_buffers)
    answer = None if fresh else impl.answers.get(key)
    if answer is not None and check_global_state and answer.get("imported"):
        # That call imported modules, so it was not held to Python's generator and the
        # environment (see conformance.isolation.service.captured): ask again, now.
        answer = None
    if answer is None:
        answer = _ask(impl, problem, read_only, layout, reuse_buffers, forget_buffers)
        changes = answer.get("state_changes")
        if answer.get("imported") and changes and not impl.changes_on_importing_call:
            impl.changes_on_importing_call.append(
                f"{'; '.join(map(str, changes))} (on an earlier call, which also imported "
                f"modules: a set-up that runs once, and that no later call shows; the imports' "
                f"own set-up is excused, not this) {problem.label()}"
            )
        output = str(answer.get("output", ""))
        if output:
            # What the call printed goes on to the test's captured output, within the limit.
            print(printed_lines(impl.name, output), end="")
        if not fresh:
            impl.answers[key] = answer
            if len(impl.answers) > ANSWERS_KEPT:
                impl.answers.popitem(last=False)
    else:
        impl.answers.move_to_end(key)
    plain = not (fresh or read_only or reuse_buffers or layout != "C-contiguous")
    if "raised" in answer and not plain:
        # Raising here is a failure of the property asking only if the plain call succeeds.
        plain = _plain_raises(impl, problem)
    return _read_answer(impl, problem, answer, check_global_state, prerequisite=plain)


def _question(problem: Problem, read_only: bool, layout: str, reuse_buffers: bool) -> bytes:
    """A digest of everything the call is given, exact to the bit and the type."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (problem.seed, problem.lr, problem.x, problem.y):
        digest.update(exact_key(part) + b";")
    digest.update(b"read-only" if read_only else b"writable")
    digest.update(layout.encode())
    digest.update(b"reused buffers" if reuse_buffers else b"own arrays")
    return digest.digest()


def _ask(
    impl: Implementation,
    problem: Problem,
    read_only: bool,
    layout: str,
    reuse_buffers: bool,
    forget_buffers: bool = False,
) -> dict[str, Any]:
    # Loads the module first, so that one that never loads is not counted as called.
    impl.connection.capabilities()
    impl.calls["one_step"] += 1
    return impl.connection.request(
        {
            "op": "one_step",
            "seed": problem.seed,
            "x": problem.x,
            "y": problem.y,
            "lr": problem.lr,
            "read_only": read_only,
            "layout": layout,
            "reuse_buffers": reuse_buffers,
            "forget_buffers": forget_buffers,
            "return_inputs": True,
            "check_rng": True,
        },
        f"{one_step_name(impl)} {problem.label()}",
    )


def _plain_raises(impl: Implementation, problem: Problem) -> bool:
    """Whether the plain call on ``problem`` (writable inputs, answer kept) raises."""
    try:
        call_raw(impl, problem)
    except ImplementationRaised:
        return True
    return False


def _read_answer(
    impl: Implementation,
    problem: Problem,
    answer: dict[str, Any],
    check_global_state: bool,
    prerequisite: bool = True,
) -> CallResult:
    changes = [str(c) for c in answer.get("state_changes", [])]
    if check_global_state and not changes:
        changes = impl.changes_on_importing_call
    if check_global_state and changes:
        raise GlobalStateChanged(
            f"{one_step_name(impl)} changed what its caller sees besides its result: "
            f"{'; '.join(changes)}; the suite put the settings back, but one_step must leave "
            f"process-wide state and the caller's arrays as it found them {problem.label()}"
        )
    if "raised" in answer:
        raise _raised(impl, answer, problem.label(), prerequisite)
    printed = int(answer.get("printed", 0))
    if printed > OUTPUT_LIMIT:
        raise ImplementationPrinted(
            f"{one_step_name(impl)} printed {printed} characters to stdout/stderr in one call "
            f"(limit {OUTPUT_LIMIT}) {problem.label()}"
        )
    inputs = answer.get("inputs_after") or {}
    return CallResult(
        Returned.from_answer(answer.get("returned")),
        inputs.get("x"),
        inputs.get("y"),
        reused_inputs=answer.get("reused_inputs") is True,
        shares_an_earlier_answer=answer.get("shares_an_earlier_answer") is True,
        seed_after=answer.get("seed_after"),
    )


def read(raw: Returned, impl: Implementation, problem: Problem) -> Output:
    """``raw`` as two float64 numbers, leniently: the output-contract property is strict."""
    if raw.values is None:
        raise UnreadableOutput(
            f"{one_step_name(impl)} returned {raw.describe()}, which is not an array of two "
            f"numbers [step_after, loss_after] ({raw.values_error}) {problem.label()}"
        )
    if raw.values.shape != (2,):
        raise UnreadableOutput(
            f"{one_step_name(impl)} returned {raw.describe()} with {raw.size} values, "
            f"expected the two values [step_after, loss_after] {problem.label()}"
        )
    return Output(raw=raw, values=raw.values)


def call(impl: Implementation, problem: Problem, **options: Any) -> Output:
    """Call ``impl.one_step`` on ``problem`` (see :func:`call_raw`) and read
    ``[step_after, loss_after]``."""
    result = call_raw(impl, problem, **options)
    output = read(result.returned, impl, problem)
    return dataclasses.replace(
        output,
        reused_inputs=result.reused_inputs,
        shares_an_earlier_answer=result.shares_an_earlier_answer,
    )
