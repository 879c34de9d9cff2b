"""Sequences of ``one_step`` calls, for the property that looks for state kept between calls.

A :class:`CallSequence` is a problem, a *neighbour* (the same seed and shape:
what an implementation that caches on part of its inputs answers with a stale
result) and an unrelated problem.  A neighbour either has other data and
another learning rate, or is the same problem with ``y`` re-paired with the
rows of ``x`` (or the rows of ``x`` with ``y``): the same learning rate, the
same values in each array, so the same sum, norm or sorted values of ``x`` and
of ``y``, and another answer.  A cache keyed on the learning rate and such a
summary of each array (a fingerprint in place of the data) returns the first
problem's result for it.  Or it is the same data with the learning rate
rounded to a few significant digits, which a cache keyed on the learning rate
so written takes for the first.  Drawn as one value, a sequence can be saved in the
corpus and rebuilt by a repro snippet.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from conformance.strategies.cached import choice
from conformance.strategies.data import draw_data
from conformance.strategies.printing import ShownByRepr
from conformance.strategies.problems import Problem, problems, threshold_of

NEIGHBOUR_FACTORS = (0.1, 1.5)
"""A neighbour's learning rate, as a multiple of its own data's descent threshold."""
_NEIGHBOUR_FACTOR_DRAWS = st.floats(*NEIGHBOUR_FACTORS)
NEIGHBOUR_KINDS = (
    "other data and lr",
    "y re-paired with x's rows",
    "x's rows re-paired with y",
    "lr rounded to a few digits",
)
"""How a neighbour differs from the first problem; shrinking moves towards the first."""
ROUNDED_DIGITS = (4, 3, 5)
"""The significant digits a neighbour's rounded learning rate keeps: a cache keyed on the
learning rate written to that many digits or fewer (``f"{lr:.4g}"``) answers it with the first
problem's result.  Four first: fewer move the learning rate further, more move it by less than
the loss's rounding shows."""


@dataclass(frozen=True)
class CallSequence(ShownByRepr):
    """``first``, ``neighbour``, ``stranger``, then ``first`` again, called in this order."""

    first: Problem
    neighbour: Problem
    stranger: Problem

    def calls(self) -> list[tuple[str, Problem]]:
        return [
            ("first", self.first),
            ("neighbour", self.neighbour),
            ("stranger", self.stranger),
            ("again", self.first),
        ]

    def __repr__(self) -> str:
        return (
            f"CallSequence(first={self.first!r}, neighbour={self.neighbour!r}, "
            f"stranger={self.stranger!r})"
        )

    def inconsistency(self) -> str | None:
        for name, problem in (("first", self.first), ("neighbour", self.neighbour)):
            why = problem.inconsistency()
            if why is not None:
                return f"{name}: {why}"
        why = self.stranger.inconsistency()
        if why is not None:
            return f"stranger: {why}"
        if self.neighbour.seed != self.first.seed or self.neighbour.x.shape != self.first.x.shape:
            return "the neighbour has another seed or shape than the first problem"
        return None


def re_paired(problem: Problem, kind: str) -> Problem | None:
    """``problem`` with ``y`` (or ``x``'s rows) rolled by one row, so that each target meets
    another row; ``None`` where that leaves nothing to re-pair (one row)."""
    if problem.n < 2:
        return None
    rows = kind == NEIGHBOUR_KINDS[2]
    x = np.roll(problem.x, 1, axis=0) if rows else problem.x
    y = problem.y if rows else np.roll(problem.y, 1)
    description = dataclasses.replace(
        problem.description, source=f"{problem.description.source}, {kind}"
    )
    # The rows' order changes the rounding of x's Gram matrix, and so perhaps the threshold's
    # last bit: the neighbour is a problem of its own, held to the same consistency.
    neighbour = problem.replace(x=x, y=y, threshold=threshold_of(x), description=description)
    return neighbour if neighbour.inconsistency() is None else None


def rounded_lr(problem: Problem, digits: int) -> Problem | None:
    """``problem`` with its learning rate rounded to ``digits`` significant digits: the same
    data and seed; ``None`` where that changes nothing or leaves the learning rate's kind."""
    lr = float(f"{problem.lr:.{digits}g}")
    if lr == problem.lr:
        return None
    description = dataclasses.replace(
        problem.description, source=f"{problem.description.source}, lr to {digits} digits"
    )
    neighbour = problem.replace(lr=lr, description=description)
    return neighbour if neighbour.inconsistency() is None else None


@st.composite
def _neighbours(draw: st.DrawFn, problem: Problem) -> Problem:
    kind = draw(choice(NEIGHBOUR_KINDS), label="neighbour")
    neighbour = None
    if kind == NEIGHBOUR_KINDS[3]:
        neighbour = rounded_lr(problem, draw(choice(ROUNDED_DIGITS), label="lr digits"))
    elif kind != NEIGHBOUR_KINDS[0]:
        neighbour = re_paired(problem, kind)
    if neighbour is not None:
        return neighbour
    x, y, description = draw_data(draw, problem.n, problem.d)
    threshold = threshold_of(x)
    factor = draw(_NEIGHBOUR_FACTOR_DRAWS, label="lr / threshold")
    return Problem(
        seed=problem.seed,
        x=x,
        y=y,
        lr=factor * threshold,
        lr_kind="small" if factor <= 1 else "moderate",
        threshold=threshold,
        description=description,
    )


@functools.cache
@st.composite
def call_sequences(draw: st.DrawFn) -> CallSequence:
    """A :class:`CallSequence`, its problems from :func:`~conformance.strategies.problems`."""
    first = draw(problems(), label="first call")
    neighbour = draw(_neighbours(first), label="second call")
    return CallSequence(first, neighbour, draw(problems(), label="third call"))


def sequence_pins() -> list[dict[str, object]]:
    """``@example`` arguments: an edge problem followed by itself with ``y`` re-paired, another
    followed by itself with ``x``'s rows re-paired, and a third followed by itself with the
    learning rate rounded to 4 digits (0.083333333 to 0.08333: 15 tolerances apart in the loss),
    each then a single-row stranger."""
    from conformance.strategies.edge_cases import edge_problems

    by_name = {p.description.x_structure: p for p in edge_problems("small")}
    stranger = by_name["single row, single feature"]
    pins: list[dict[str, object]] = []
    for name, kind in (
        ("square x", NEIGHBOUR_KINDS[1]),
        ("negative fractional seed", NEIGHBOUR_KINDS[2]),
    ):
        first = by_name[name]
        neighbour = re_paired(first, kind)
        assert neighbour is not None, f"the edge problem {name!r} has a row to re-pair"
        pins.append({"sequence": CallSequence(first, neighbour, stranger)})
    first = by_name["constant column and uint8 targets"]
    rounded = rounded_lr(first, ROUNDED_DIGITS[0])
    assert rounded is not None, "the pinned learning rate has more than 4 digits"
    pins.append({"sequence": CallSequence(first, rounded, stranger)})
    return pins
