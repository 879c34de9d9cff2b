"""Hypothesis strategies over the Optax catalogue (:mod:`conformance.strategies.optax_catalogue`).

Hyper-parameters come from small pools rather than continuous ranges (see
the catalogue for why).  Shrinking moves towards the first entry (plain
``sgd``) and the first value of each pool.
"""

from __future__ import annotations

import functools

from conformance.strategies.cached import choice
from conformance.strategies.optax_catalogue import CATALOGUE, OPTIMIZER_NAMES, OptimizerCase
from hypothesis import strategies as st


@functools.cache
@st.composite
def optimizers(
    draw: st.DrawFn, names: tuple[str, ...] = OPTIMIZER_NAMES, default_hyperparams: bool = False
) -> OptimizerCase:
    """An entry of the catalogue (by name) with hyper-parameters from its pools.

    ``default_hyperparams`` takes the first value of each pool, so that a
    property that compiles meets one transformation object per name.
    """
    name = draw(choice(names))
    pools = CATALOGUE[name].pools
    if default_hyperparams:
        values = tuple((key, pool[0]) for key, pool in pools.items())
    else:
        values = tuple((key, draw(choice(pool))) for key, pool in pools.items())
    return OptimizerCase(name, values)


@functools.cache
def update_counts(max_k: int = 5) -> st.SearchStrategy[int]:
    """``k``, the number of ``apply_gradients`` calls in a sequence: 1 to ``max_k``."""
    return st.integers(1, max_k)
