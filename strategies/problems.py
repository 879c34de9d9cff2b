"""A whole input of ``one_step``: shape, data, seed and learning rate, as a :class:`Problem`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from reference.oracle import descent_threshold
from strategies.data import DataDescription, draw_data
from strategies.learning_rates import LR_KINDS, draw_learning_rate
from strategies.seeds import SEEDS
from strategies.shapes import N_POOL, draw_shape

SMALL_ARRAY = 12


@dataclass(frozen=True)
class Problem:
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
        return (
            f"[seed={self.seed!r}, N={self.n}, D={self.d}, lr={self.lr!r} ({self.lr_kind}), "
            f"x.dtype={self.x.dtype}]"
        )

    def replace(self, **changes: object) -> Problem:
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields.update(changes)
        return Problem(**fields)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        def show(a: np.ndarray) -> str:
            if a.size <= SMALL_ARRAY:
                return np.array2string(a, precision=9, separator=", ").replace("\n", "")
            return f"<{a.dtype} {a.shape}, min {a.min():.6g}, max {a.max():.6g}>"

        return (
            f"Problem(seed={self.seed!r}, lr={self.lr!r} ({self.lr_kind}, threshold "
            f"{self.threshold:.6g}), x={show(self.x)}, y={show(self.y)}, data: {self.description})"
        )

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        """Hypothesis prints falsifying examples with IPython-style pretty printing."""
        printer.text(repr(self))  # type: ignore[attr-defined]


def threshold_of(x: np.ndarray) -> float:
    """The descent threshold for ``x`` as the canonical recipe sees it (rounded to float32)."""
    return descent_threshold(np.asarray(x, np.float32))


@st.composite
def problems(
    draw: st.DrawFn,
    lr_kinds: tuple[str, ...] = LR_KINDS,
    n_pool: tuple[int, ...] = N_POOL,
) -> Problem:
    """A valid input of ``one_step``, with ``lr`` drawn from ``lr_kinds``."""
    n, d = draw_shape(draw, n_pool)
    x, y, description = draw_data(draw, n, d)
    seed = draw(SEEDS)
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
