"""Edge inputs pinned on every property with ``@example``.

Random generation reaches all of these, but a conformance verdict should not
depend on luck for the inputs that break code most often: a single row, a
single feature, square ``x``, ``N`` just past 64 and just past 8192 with wide
rows, over 1 MiB (padded, blocked, capped or chunked batches, a path for large
inputs), ``N`` 8193 rows past 16384 (with the int32 minimum seed), 256 rows of
16 features (aligned paths, with large values), ``D`` just past 256 (features
in tiles), the int32 extremes and a negative fractional seed, seeds as NumPy
``int8``, ``uint32``, ``float32``, a fractional ``float16``, a 0-d array and a
negative fractional one, ``lr == 0``, ``lr`` above 0.5, and all-zero or
constant data.  Two edges share a pin where one pin serves both, so that a
correct verdict costs no more calls.  Their shapes are in the pool of
:mod:`conformance.strategies.shapes`, so they compile nothing extra, except the
wide 8193-row one, and the repetition property's doubles of those whose doubled
rows are not in the pool.
"""

from __future__ import annotations

import copy
import functools

import numpy as np

from conformance.strategies.data import DataDescription
from conformance.strategies.problems import Problem, threshold_of
from conformance.strategies.shapes import PINNED_ONLY

_LR_FACTORS = {"zero": 0.0, "small": 0.5, "moderate": 1.5, "large": 4.0}


def _problem(
    name: str,
    seed: object,
    x: np.ndarray,
    y: np.ndarray,
    lr_kind: str,
    lr: float | None = None,
    threshold: float | None = None,
    scale: float | None = None,
) -> Problem:
    if threshold is None:
        threshold = threshold_of(x)
    if scale is None:
        scale = float(np.max(np.abs(x), initial=0.0))
    if lr is None:
        lr = _LR_FACTORS[lr_kind] * threshold
    return Problem(
        seed=seed,
        x=x,
        y=y,
        lr=lr,
        lr_kind=lr_kind,
        threshold=threshold,
        description=DataDescription(
            dtype=x.dtype.name,
            scale=scale,
            x_kind="pinned",
            x_structure=name,
            y_kind="pinned",
            source="conformance.strategies.edge_cases",
        ),
    )


def _grid(n: int, d: int, scale: float = 1.0, dtype: type = np.float32) -> np.ndarray:
    values = (np.arange(n * d, dtype=np.float64).reshape(n, d) % 7 - 3.0) / 2.0
    values[:, 0] += np.arange(n) % 3
    return (values * scale).astype(dtype)


@functools.cache
def _edge_inputs() -> tuple[tuple[str, object, np.ndarray, np.ndarray, float, float], ...]:
    """Each pinned input as ``(name, seed, x, y, threshold, scale)``, built once per process: every
    property pins them at import, and the largest is 8 MiB with a 258 x 258 eigenproblem."""
    inputs = [
        ("single row, single feature", 0, np.array([[1.5]], np.float32),
         np.array([-2.0], np.float32)),
        ("square x", np.int8(-1), _grid(3, 3), np.array([1.0, -1.0, 0.5], np.float32)),
        ("N just past 64", 2**31 - 1, _grid(65, 2), np.linspace(-1, 1, 65).astype(np.float32)),
        ("negative fractional seed", -3.7, _grid(4, 2, dtype=np.float64), np.arange(4.0)),
        # 8193 rows past 16384: a cap there drops them, a bucket of 32768 pads 8191 rows,
        # blocks of 16384 rows are unequal; a single feature keeps it at 96 KiB.
        ("int32 minimum seed, N past 16384", -(2**31), _grid(24577, 1, scale=1.00342),
         np.linspace(-3, 1, 24577).astype(np.float32)),
        # Scaled off the half-integers, which float16 and bfloat16 hold exactly: code that
        # stores large inputs in a narrower type is then off by more than rounding.
        ("N just past 8192, 8 MiB of x", np.array(5.0), _grid(8193, 257, scale=1.00342),
         np.linspace(-2, 2, 8193).astype(np.float32)),
        # Aligned (256 rows, 16 features: micro-batches of 32, tiles of 128 rows, tensor-core
        # tiles), off the half-integers, which bfloat16 holds exactly.
        ("large values, 256 rows of 16 features", np.float32(7.0),
         _grid(256, 16, scale=1.00342e3), (np.arange(256.0) * 1e3).astype(np.float32)),
        ("all zeros", np.uint32(12345), np.zeros((2, 4), np.float32), np.zeros(2, np.float32)),
        # Off the half-integers too: float16 holds those exactly.
        ("D just past 256", np.array(-2.6), _grid(2, 257, scale=1.00342),
         np.array([1.0, -0.5], np.float32)),
        # Targets stored as bytes (labels, counts): -y of a uint8 wraps to 253.
        ("constant column and uint8 targets", np.float16(99.5), np.ones((7, 2), np.float32),
         np.full(7, 3, np.uint8)),
    ]  # fmt: skip
    for _, _, x, y in inputs:
        x.flags.writeable = y.flags.writeable = False
    return tuple(
        (name, seed, x, y, threshold_of(x), float(np.max(np.abs(x), initial=0.0)))
        for name, seed, x, y in inputs
    )


def edge_problems(lr_kind: str) -> list[Problem]:
    """The pinned inputs, with ``lr`` of the given kind (``absolute`` pins 0.75).  Each
    problem has a seed of its own, as a drawn one has; ``x`` and ``y`` are shared, and
    read-only, so that nothing in the judge writes them.  An implementation never gets
    them: it gets copies (:func:`conformance.properties.calling.call_raw`), writable
    unless a property asks otherwise.  Copying them for every problem put 340 MB in
    each judging process (every property pins every input, 8 MiB of ``x`` among them)."""
    return [
        _problem(
            name,
            copy.copy(seed),
            x,
            y,
            lr_kind,
            min(0.75, 20 * threshold) if lr_kind == "absolute" else None,
            threshold,
            scale,
        )
        for name, seed, x, y, threshold, scale in _edge_inputs()
    ]


def near_fit_problem() -> Problem:
    """One row and a target of 1000, with ``lr`` 1e-4 below the threshold: the step lands
    0.1 short of the target, and the loss after it is about 0.01, next to terms of 1e6.  A
    loss computed as ``mean(p**2) - 2*mean(p*y) + mean(y**2)`` cancels there and is off by
    a rounding of 1e6 (0.06), or negative.  (At the threshold itself the step lands on the
    target, and both forms give 0.)"""
    x = np.array([[0.3, -1.2]], np.float32)
    return _problem("a step that nearly fits a large target", 0, x,
                    np.array([1000.0], np.float32), "small",
                    threshold_of(x) * (1 - 1e-4))  # fmt: skip


@functools.cache
def _sparse_repeated_rows() -> tuple[np.ndarray, np.ndarray]:
    (n, d), repeated = PINNED_ONLY[0], 66000
    x = np.zeros((n, d), np.float32)
    x[:repeated, 0] = 1.0
    rest = np.arange(n - repeated)
    x[repeated + rest, rest % d] = 1.0
    x[repeated + rest[rest % 5 == 0]] = 0.0
    y = np.concatenate([np.ones(repeated), (rest % 4) - 1.5]).astype(np.float32)
    x.flags.writeable = y.flags.writeable = False
    return x, y


def sparse_repeated_rows_problem() -> Problem:
    """70,001 one-hot rows of 8 features, 66,000 of them the same row and one in five of the
    rest all zeros: more repeats of one row than a 16-bit count holds (code that merges
    duplicate rows into weighted ones), a density of 1/8 with empty rows (code that takes a
    sparse path over the stored entries only, and drops an empty row's residual ``b - y``).
    Pinned on the agreement property alone: 2.2 MB of ``x``, and a shape of its own."""
    x, y = _sparse_repeated_rows()
    return _problem("70,001 sparse rows, one repeated 66,000 times", 0, x, y, "small")


def extreme_scale_problems() -> list[Problem]:
    """Data near 1e-6 with ``lr`` at the threshold: a loss near 1e-12, which code may take
    for converged and not step.  Data near 1e8 with ``lr`` a thousand times the threshold:
    residuals past 1e7, which a guard may clip, and a loss that grows about 1e6 times in
    the step, which code that rejects or damps a diverging step does not report.  Data near
    1e16 with ``lr`` half the threshold (about 1e-33): a loss near 1e32, still finite in
    float32, where code that rescales large inputs (and steps on the rescaled problem with
    the same ``lr``) or squares the gradient's norm in float32 departs from the step."""
    tiny = _grid(4, 2, scale=1e-6)
    huge = _grid(4, 2, scale=1e8)
    vast = _grid(4, 2, scale=1.00342e16)
    targets = np.array([1.0, -0.5, 0.25, 2.0])
    return [
        _problem("values near 1e-6", 1, tiny, (targets * 1e-6).astype(np.float32), "small",
                 threshold_of(tiny)),
        _problem("values near 1e8, lr 1000 times the threshold", 2, huge,
                 (targets * 1e8).astype(np.float32), "diverging", 1000.0 * threshold_of(huge)),
        _problem("values near 1e16", 3, vast, (targets * 1e16).astype(np.float32), "small",
                 0.5 * threshold_of(vast)),
    ]  # fmt: skip


def edge_pins(*lr_kinds: str, **other_arguments: object) -> list[dict[str, object]]:
    """The ``@example`` arguments that pin every edge problem, once for each learning-rate
    kind, with ``other_arguments`` beside each (for a property that draws more)."""
    return [
        {"problem": problem, **other_arguments}
        for lr_kind in lr_kinds
        for problem in edge_problems(lr_kind)
    ]
