"""A whole input of ``one_step``: shape, data, seed and learning rate, as a :class:`Problem`."""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from conformance.reference.oracle import descent_threshold
from conformance.strategies.arguments import subset
from conformance.strategies.data import DataDescription, draw_data
from conformance.strategies.learning_rates import (
    DIVERGING_FACTOR,
    LARGE_FACTOR,
    LR_KINDS,
    draw_learning_rate,
)
from conformance.strategies.printing import ShownByRepr, value_code
from conformance.strategies.seeds import SEEDS
from conformance.strategies.shapes import (
    N_POOL,
    PINNED_ONLY,
    SHAPE_POOL,
    Shape,
    draw_shape,
    shapes_with,
)

_POOL_N = {n for n, _ in SHAPE_POOL}
_POOL_D = {d for _, d in SHAPE_POOL}
"""Every ``N`` and every ``D`` of the pool, for checking a stored problem (or a shape of
:data:`~conformance.strategies.shapes.PINNED_ONLY`, as a whole)."""

SMALL_ARRAY = 12


@dataclass(frozen=True)
class Problem(ShownByRepr):
    """The inputs of one call, with how they were made.

    ``threshold`` is ``1/lambda_max`` of the loss Hessian for this ``x`` (the
    largest ``lr`` for which a step is guaranteed to descend by ``lr|g|^2/2``).
    """

    seed: object
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    lr: float
    lr_kind: str
    threshold: float
    description: DataDescription

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def d(self) -> int:
        return int(self.x.shape[1])

    def label(self) -> str:
        """The one-line coordinates that end every assertion message."""
        y_dtype = "" if self.y.dtype == self.x.dtype else f", y.dtype={self.y.dtype}"
        return (
            f"[seed={value_code(self.seed)}, N={self.n}, D={self.d}, lr={self.lr!r} "
            f"({self.lr_kind}), x.dtype={self.x.dtype}{y_dtype}]"
        )

    def inconsistency(self) -> str | None:
        """Why this is not a problem :func:`problems` could draw, or ``None``.

        A corpus record is checked with it before it is replayed: an input
        outside the contract, or one whose ``threshold`` or ``lr_kind`` do not
        fit its data, would make correct implementations fail the properties
        that rely on them.
        """
        from conformance.reference.validation import validate

        # A record's fields are what its JSON decoded to, whatever the annotations say.
        x: object = self.x
        y: object = self.y
        if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
            return "x and y must be arrays"
        if self.x.dtype not in (np.float32, np.float64):
            return f"x must be float32 or float64, not {self.x.dtype}"
        integer_y = self.y.dtype.kind in "iu"
        if self.y.dtype not in (np.float16, np.float32, np.float64) and not integer_y:
            return f"y must be float16, float32, float64 or an integer type, not {self.y.dtype}"
        if integer_y and not np.all(np.abs(self.y.astype(np.float64)) < 2**31):
            return "integer targets must fit in int32, as JAX without x64 holds them"
        if self.x.ndim != 2 or self.y.shape != (self.x.shape[0],):
            return f"x must be (N, D) and y (N,), not {self.x.shape} and {self.y.shape}"
        if (self.n not in _POOL_N or self.d not in _POOL_D) and self.x.shape not in PINNED_ONLY:
            return f"the shape {self.x.shape} is not in the shape pools"
        if not (np.all(np.isfinite(self.x)) and np.all(np.isfinite(self.y))):
            return "x and y must be finite"
        try:
            validate(self.seed, self.x, self.y, self.lr)
        except (TypeError, ValueError) as exc:
            return str(exc)
        threshold = threshold_of(self.x)
        if self.threshold != threshold:
            return f"threshold {self.threshold!r} is not the data's {threshold!r}"
        return _lr_inconsistency(self.lr, self.lr_kind, threshold)

    def replace(self, **changes: object) -> Problem:
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields.update(changes)
        return Problem(**fields)

    def __repr__(self) -> str:
        def show(a: np.ndarray) -> str:
            if a.size <= SMALL_ARRAY:
                return np.array2string(a, precision=9, separator=", ").replace("\n", "")
            return f"<{a.dtype} {a.shape}, min {a.min():.6g}, max {a.max():.6g}>"

        return (
            f"Problem(seed={value_code(self.seed)}, lr={self.lr!r} ({self.lr_kind}, threshold "
            f"{self.threshold:.6g}), x={show(self.x)}, y={show(self.y)}, data: {self.description})"
        )


def _lr_inconsistency(lr: float, kind: str, threshold: float) -> str | None:
    slack = 1.0 + 1e-12
    fits = {
        "zero": lr == 0.0,
        "small": 0.0 < lr <= threshold * slack,
        "moderate": threshold < lr * slack and lr < 2 * threshold * slack,
        "large": 2 * threshold <= lr * slack and lr <= LARGE_FACTOR * threshold * slack,
        "diverging": LARGE_FACTOR * threshold < lr * slack
        and lr <= DIVERGING_FACTOR * threshold * slack,
        "absolute": 0.0 < lr <= LARGE_FACTOR * threshold * slack,
    }
    if kind not in fits:
        return f"unknown learning-rate kind {kind!r}"
    if not isinstance(lr, float) or not fits[kind]:
        return f"lr={lr!r} is not a {kind} learning rate for the threshold {threshold!r}"
    return None


def threshold_of(x: np.ndarray) -> float:
    """The descent threshold for ``x`` as the canonical recipe sees it (rounded to float32)."""
    return descent_threshold(np.asarray(x, np.float32))


def problems(
    *,
    lr_kinds: Collection[str] = LR_KINDS,
    n_pool: Collection[int] = N_POOL,
    shapes: Collection[Shape] = SHAPE_POOL,
) -> st.SearchStrategy[Problem]:
    """A valid input of ``one_step``, as a :class:`Problem`.

    ``lr_kinds``: the kinds of learning rate to draw (a non-empty subset of
    :data:`~conformance.strategies.learning_rates.LR_KINDS`: ``"zero"``,
    ``"small"``, ``"moderate"``, ``"large"``, ``"diverging"``, ``"absolute"``); ``n_pool``: the
    numbers of rows to draw from (a non-empty subset of
    :data:`~conformance.strategies.shapes.N_POOL`); ``shapes``: the ``(N, D)`` pairs to draw
    from (a subset of :data:`~conformance.strategies.shapes.SHAPE_POOL`, whose shapes JAX
    compiles once each).  A shape is drawn from those in ``shapes`` with ``N`` in ``n_pool``.
    """
    rows = subset("n_pool", n_pool, N_POOL)
    among = shapes_with(rows, subset("shapes", shapes, SHAPE_POOL))
    if not among:
        raise InvalidArgument(f"no shape of shapes={tuple(shapes)!r} has N in n_pool={rows!r}")
    return _problems(subset("lr_kinds", lr_kinds, LR_KINDS), among)


@functools.cache
@st.composite
def _problems(draw: st.DrawFn, lr_kinds: tuple[str, ...], shapes: tuple[Shape, ...]) -> Problem:
    n, d = draw_shape(draw, shapes)
    x, y, description = draw_data(draw, n, d)
    seed = draw(SEEDS, label="seed")
    threshold = threshold_of(x)
    lr, lr_kind = draw_learning_rate(draw, threshold, lr_kinds)
    return Problem(
        seed=seed,
        x=x,
        y=y,
        lr=lr,
        lr_kind=lr_kind,
        threshold=threshold,
        description=description,
    )
