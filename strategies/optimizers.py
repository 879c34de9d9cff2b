"""Hypothesis strategies over the Optax catalogue (:mod:`conformance.strategies.optax_catalogue`).

Hyper-parameters come from small pools rather than continuous ranges (see
the catalogue for why).  Shrinking moves towards the first entry (plain
``sgd``) and the first value of each pool.
"""

from __future__ import annotations

import functools
from collections.abc import Collection

from hypothesis import strategies as st

from conformance.strategies.arguments import instance, positive_int, subset
from conformance.strategies.cached import choice
from conformance.strategies.optax_catalogue import (
    CATALOGUE,
    DRAWN_OPTIMIZER_NAMES,
    OPTIMIZER_NAMES,
    OptimizerCase,
)


def optimizers(
    *, names: Collection[str] = DRAWN_OPTIMIZER_NAMES, default_hyperparams: bool = False
) -> st.SearchStrategy[OptimizerCase]:
    """An entry of the catalogue with hyper-parameters from its pools, as an :class:`OptimizerCase`.

    ``names``: the catalogue entries to draw from (a non-empty subset of
    :data:`~conformance.strategies.optax_catalogue.OPTIMIZER_NAMES`; by default every one
    but :data:`~conformance.strategies.optax_catalogue.PINNED_ONLY`);
    ``default_hyperparams`` takes the first value of each pool, so that a
    property that compiles meets one transformation object per name.
    """
    instance("default_hyperparams", default_hyperparams, bool)
    return _optimizers(subset("names", names, OPTIMIZER_NAMES), default_hyperparams)


@functools.cache
@st.composite
def _optimizers(
    draw: st.DrawFn, names: tuple[str, ...], default_hyperparams: bool
) -> OptimizerCase:
    name = draw(choice(names), label="optimizer")
    pools = CATALOGUE[name].pools
    if default_hyperparams:
        values = tuple((key, pool[0]) for key, pool in pools.items())
    else:
        values = tuple((key, draw(choice(pool), label=key)) for key, pool in pools.items())
    return OptimizerCase(name, values)


def update_counts(*, max_k: int = 5) -> st.SearchStrategy[int]:
    """``k``, the number of ``apply_gradients`` calls in a sequence: 1 to ``max_k``."""
    return _update_counts(positive_int("max_k", max_k))


@functools.cache
def _update_counts(max_k: int) -> st.SearchStrategy[int]:
    return st.integers(1, max_k)
