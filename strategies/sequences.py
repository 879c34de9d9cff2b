"""Sequences of ``one_step`` calls, for the property that looks for state kept between calls.

A :class:`CallSequence` is a problem, a *neighbour* (the same seed and shape,
other data and learning rate: what an implementation that caches on part of
its inputs answers with a stale result) and an unrelated problem.  Drawn as
one value, a sequence can be saved in the corpus and rebuilt by a repro snippet.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.strategies.data import draw_data
from conformance.strategies.printing import ShownByRepr
from conformance.strategies.problems import Problem, problems, threshold_of

NEIGHBOUR_FACTORS = (0.1, 1.5)
"""A neighbour's learning rate, as a multiple of its own data's descent threshold."""


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


@st.composite
def _neighbours(draw: st.DrawFn, problem: Problem) -> Problem:
    x, y, description = draw_data(draw, problem.n, problem.d)
    threshold = threshold_of(x)
    factor = draw(st.floats(*NEIGHBOUR_FACTORS))
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
    first = draw(problems())
    return CallSequence(first, draw(_neighbours(first)), draw(problems()))
