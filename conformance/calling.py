"""Calling an implementation and reading what it returns.

Every property calls the implementation through :func:`call`, so an
implementation that raises, or returns something that is not
``[step_after, loss_after]``, fails with a message that says so, names the
implementation and the input, and never with an unrelated error from the
property's own arithmetic.
"""

from __future__ import annotations

import contextlib
import io
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import jax
import numpy as np

from conformance.implementations import Implementation
from strategies.problems import Problem


class ImplementationRaised(AssertionError):
    """The implementation raised; the original exception is chained as ``__cause__``."""


class UnreadableOutput(AssertionError):
    """The output cannot be read as two numbers ``[step_after, loss_after]``."""


DEFAULT_CALL_TIMEOUT = 60.0
"""Seconds one call may take; generous, because the first call on a shape compiles."""

call_timeout = DEFAULT_CALL_TIMEOUT
"""Set once per process from ``--call-timeout`` by the plugin; 0 disables the limit."""


class ImplementationHung(BaseException):
    """A call did not return within the time limit.

    A ``BaseException``, so that Hypothesis stops at once instead of replaying
    (and waiting for) the hanging call while it shrinks.
    """


OUTPUT_LIMIT = 1 << 20
"""Bytes of stdout and stderr one call may write before it fails (the rest is dropped)."""


class ImplementationPrinted(AssertionError):
    """The implementation wrote more than :data:`OUTPUT_LIMIT` to stdout or stderr."""


class _BoundedSink(io.TextIOBase):
    """Counts what is written and keeps only the first :data:`OUTPUT_LIMIT` characters."""

    def __init__(self) -> None:
        self.written = 0
        self.kept: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.written < OUTPUT_LIMIT:
            self.kept.append(text[: OUTPUT_LIMIT - self.written])
        self.written += len(text)
        return len(text)


class ImplementationExited(AssertionError):
    """The implementation called ``sys.exit`` (or raised ``SystemExit``)."""


@contextmanager
def _time_limit(seconds: float, what: str) -> Iterator[None]:
    """Interrupt the block after ``seconds`` with :class:`ImplementationHung` (main thread only;
    a hang inside C code that never returns to Python is left to pytest-timeout)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise ImplementationHung(f"{what} did not return within {seconds:g} s (--call-timeout)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class GlobalStateChanged(AssertionError):
    """The implementation changed process-wide state (restored before this is raised)."""


@dataclass(frozen=True)
class GlobalState:
    """The process-wide settings an implementation could change behind the suite's back.

    ``jax_enable_x64`` would silently turn the reference's float32 into float64;
    NumPy's error and print settings change what later code does and shows.
    The global NumPy RNG is compared only on request (reading it costs ~35 us).
    """

    jax_x64: bool
    numpy_errors: dict[str, str]
    numpy_print: dict[str, object]
    numpy_rng: object = field(default=None, compare=False)

    @classmethod
    def capture(cls, with_rng: bool = False) -> GlobalState:
        return cls(
            jax_x64=bool(jax.config.read("jax_enable_x64")),
            numpy_errors=np.geterr(),
            numpy_print=np.get_printoptions(),
            numpy_rng=np.random.get_state(legacy=False) if with_rng else None,
        )

    def restore(self) -> None:
        jax.config.update("jax_enable_x64", self.jax_x64)
        np.seterr(**self.numpy_errors)
        np.set_printoptions(**self.numpy_print)  # type: ignore[arg-type]
        if self.numpy_rng is not None:
            np.random.set_state(self.numpy_rng)  # type: ignore[arg-type]

    def changes_since(self, before: GlobalState) -> list[str]:
        changes = []
        if self.jax_x64 != before.jax_x64:
            changes.append(f"jax_enable_x64 {before.jax_x64} -> {self.jax_x64}")
        if self.numpy_errors != before.numpy_errors:
            changes.append(f"numpy error settings {before.numpy_errors} -> {self.numpy_errors}")
        if self.numpy_print != before.numpy_print:
            changed = {
                k for k in self.numpy_print if self.numpy_print[k] != before.numpy_print.get(k)
            }
            changes.append(f"numpy print options ({', '.join(sorted(changed))})")
        if before.numpy_rng is not None and not _same_rng(before.numpy_rng, self.numpy_rng):
            changes.append("numpy's global random state (reseeded or drawn from)")
        return changes


def _same_rng(first: object, second: object) -> bool:
    a, b = first["state"], second["state"]  # type: ignore[index]
    return bool(np.array_equal(a["key"], b["key"]) and a["pos"] == b["pos"])


@dataclass(frozen=True)
class Output:
    """What one call returned: the raw value, and ``[step_after, loss_after]`` as float64."""

    raw: object
    values: np.ndarray

    @property
    def step(self) -> float:
        return float(self.values[0])

    @property
    def loss(self) -> float:
        return float(self.values[1])


def describe(value: object) -> str:
    """A short description of a returned value, for messages."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"{type(value).__module__}.{type(value).__qualname__} shape={shape} dtype={dtype}"
    return f"{type(value).__qualname__} {value!r:.80}"


def read(raw: object, impl: Implementation, problem: Problem) -> Output:
    """``raw`` as two float64 numbers, leniently: the output-contract property is strict."""
    try:
        values = np.asarray(raw, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise UnreadableOutput(
            f"{impl.name}.one_step returned {describe(raw)}, which is not an array of two "
            f"numbers [step_after, loss_after] {problem.label()}"
        ) from exc
    if values.shape != (2,):
        raise UnreadableOutput(
            f"{impl.name}.one_step returned {describe(raw)} with {values.size} values, "
            f"expected the two values [step_after, loss_after] {problem.label()}"
        )
    return Output(raw=raw, values=values)


def call_raw(
    impl: Implementation,
    problem: Problem,
    *,
    copy_inputs: bool = True,
    check_global_state: bool = False,
) -> object:
    """Call ``impl.one_step`` on ``problem``; raise :class:`ImplementationRaised` if it raises.

    With ``copy_inputs`` the implementation gets copies, so that one that writes
    into its inputs cannot corrupt the problem that later calls reuse (the
    input-immutability property passes its own arrays and checks them).
    Process-wide settings the call changes are always put back, so that the
    reference's answers do not depend on what an implementation did; with
    ``check_global_state`` a change is also a failure.
    """
    x = problem.x.copy() if copy_inputs else problem.x
    y = problem.y.copy() if copy_inputs else problem.y
    before = GlobalState.capture(with_rng=check_global_state)
    sink = _BoundedSink()
    try:
        with (
            _time_limit(call_timeout, f"{impl.name}.one_step {problem.label()}"),
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
        ):
            result = impl.one_step(problem.seed, x, y, problem.lr)
    except SystemExit as exc:
        raise ImplementationExited(
            f"{impl.name}.one_step called sys.exit({exc.code!r}) {problem.label()}"
        ) from None
    except Exception as exc:
        raise ImplementationRaised(
            f"{impl.name}.one_step raised {type(exc).__name__}: {exc} {problem.label()}"
        ) from exc
    finally:
        # What the call printed goes on to the test's captured output, within the limit.
        sys.stdout.write("".join(sink.kept))
        after = GlobalState.capture(with_rng=check_global_state)
        changes = after.changes_since(before)
        if changes:
            before.restore()
            if check_global_state:
                raise GlobalStateChanged(
                    f"{impl.name}.one_step changed process-wide state: {'; '.join(changes)}; "
                    f"it was restored, but one_step must not touch it {problem.label()}"
                )
    if sink.written > OUTPUT_LIMIT:
        raise ImplementationPrinted(
            f"{impl.name}.one_step printed {sink.written} characters to stdout/stderr in one "
            f"call (limit {OUTPUT_LIMIT}) {problem.label()}"
        )
    return result


def call(impl: Implementation, problem: Problem, *, copy_inputs: bool = True) -> Output:
    """Call ``impl.one_step`` on ``problem`` and read ``[step_after, loss_after]``."""
    return read(call_raw(impl, problem, copy_inputs=copy_inputs), impl, problem)
