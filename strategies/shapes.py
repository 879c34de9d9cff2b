"""Shapes ``(N, D)`` of ``x``, from a bounded pool.

JAX compiles once per input shape, so the pools are small and fixed: a run
compiles at most ``len(N_POOL) * len(D_POOL)`` shapes per implementation (the
repetition property doubles only an ``N`` whose double is in the pool).  They
still reach every shape that breaks code: a single row, a single feature,
square ``x`` (every ``D`` is also an ``N``), ``N`` just past 64, and large
``N`` just past powers of two: 1025, and 2049, past 2048, where code that
pads batches to a bucket size or averages the means of fixed-size blocks
goes wrong (one row past a multiple of 512 and of 2048 is the worst case for
both).  Shrinking moves toward
the front of each pool, so a failure is reported at the smallest shape that
shows it.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.strategies.cached import choice

N_POOL = (1, 2, 3, 4, 6, 7, 8, 16, 65, 130, 1025, 2049)
D_POOL = (1, 2, 3, 4, 7, 8)
REPEATABLE_N = tuple(n for n in N_POOL if 2 * n in N_POOL)
"""The ``N`` whose doubling is also in the pool: the repetition property compiles nothing new."""

SHAPE_KINDS = ("any", "square", "single row", "single feature", "many rows")


def draw_shape(draw: st.DrawFn, n_pool: tuple[int, ...] = N_POOL) -> tuple[int, int]:
    """An ``(N, D)`` pair with ``N`` from ``n_pool``; the edge kinds are drawn as often as
    the general one."""
    kind = draw(choice(SHAPE_KINDS))
    if kind == "square":
        d = draw(choice(tuple(d for d in D_POOL if d in n_pool)))
        return d, d
    if kind == "single row":
        return 1, draw(choice(D_POOL))
    if kind == "single feature":
        return draw(choice(n_pool)), 1
    if kind == "many rows":
        n = draw(choice(tuple(n for n in n_pool if n > 64) or (max(n_pool),)))
        return n, draw(choice(D_POOL))
    return draw(choice(n_pool)), draw(choice(D_POOL))
