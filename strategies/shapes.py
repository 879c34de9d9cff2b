"""Shapes ``(N, D)`` of ``x``, from a bounded pool.

JAX compiles once per input shape, so the pools are small and fixed: a run
compiles at most ``len(N_POOL) * len(D_POOL)`` shapes per implementation (the
repetition property doubles only an ``N`` whose double is in the pool).  They
still reach every shape that breaks code: a single row, a single feature,
square ``x`` (every narrow ``D`` is also an ``N``), ``N`` just past 64, and large
``N`` just past powers of two: 1025, and 8193, past 2048, 4096 and 8192,
where code that pads batches to a bucket size, averages the means of
fixed-size blocks, caps or chunks a batch, or takes another path for large
inputs goes wrong (one row past a multiple of 512, 2048 and 4096 is the
worst case for all of them); and wide ``x`` (:data:`WIDE_D`), drawn with few
rows so that it costs four shapes.  Shrinking moves toward the front of each pool, so a failure is
reported at the smallest shape that shows it.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.strategies.cached import choice

N_POOL = (1, 2, 3, 4, 6, 7, 8, 16, 65, 130, 1025, 8193)
NARROW_D = (1, 2, 3, 4, 7, 8)
WIDE_D = (9, 257)
"""Wide ``x``: one feature past 8, and 257, past 256: a prime, so code that works on features
in tiles (of 8, 16, ..., 256 lanes) has a partial last tile, and a tile that is dropped, or
assigned where it should be added, shows; so does code that takes another path (a narrower
dtype, another algorithm) from 256 features on."""
WIDE_N = (2, 130)
"""The rows of a wide ``x``: two, and 130."""
D_POOL = NARROW_D + WIDE_D
REPEATABLE_N = tuple(n for n in N_POOL if 2 * n in N_POOL)
"""The ``N`` whose doubling is also in the pool: the repetition property compiles nothing new."""

SHAPE_KINDS = ("any", "square", "single row", "single feature", "many rows", "many features")


def draw_shape(draw: st.DrawFn, n_pool: tuple[int, ...] = N_POOL) -> tuple[int, int]:
    """An ``(N, D)`` pair with ``N`` from ``n_pool``; the edge kinds are drawn as often as
    the general one."""
    kind = draw(choice(SHAPE_KINDS))
    if kind == "square":
        d = draw(choice(tuple(d for d in NARROW_D if d in n_pool)))
        return d, d
    if kind == "single row":
        return 1, draw(choice(NARROW_D))
    if kind == "single feature":
        return draw(choice(n_pool)), 1
    if kind == "many rows":
        n = draw(choice(tuple(n for n in n_pool if n > 64) or (max(n_pool),)))
        return n, draw(choice(NARROW_D))
    if kind == "many features":
        n = draw(choice(tuple(n for n in WIDE_N if n in n_pool) or (min(n_pool),)))
        return n, draw(choice(WIDE_D))
    return draw(choice(n_pool)), draw(choice(NARROW_D))
