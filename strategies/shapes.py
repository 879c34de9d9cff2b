"""Shapes ``(N, D)`` of ``x``, from a fixed pool of pairs.

JAX compiles once per input shape, and an eager implementation pays 0.2 to
0.7 s of compilation for each new one, so the pool is a fixed set of pairs
(:data:`SHAPE_POOL`), not every ``N`` with every ``D``.  It still holds every
kind of shape that breaks code: a single row, a single feature (with every
``N`` of :data:`N_POOL`), square ``x`` (every narrow ``D``), ``N`` at and just past 64,
and large ``N`` just past powers of two: 1025, 8193, past 2048, 4096 and
8192, where code that pads batches to a bucket size, averages the means of
fixed-size blocks, caps or chunks a batch, or takes another path for large
inputs goes wrong (one row past a multiple of 512, 2048 and 4096 is the worst
case for all of them), each with more than one feature too; and 24577, past
16384 by 8193 rows, which a cap at 16384 drops, a bucket of 32768 pads and
blocks of 16384 split unequally, all by far more than rounding; wide ``x``
(:data:`WIDE_D`), drawn with few rows; and an aligned shape (:data:`ALIGNED`).
Every narrow ``D`` above 1 is met with fewer rows than features, with more, and
with ``N`` past 64 (:data:`GENERAL`).
Shrinking moves toward the front of each kind's shapes, the smallest first, so a
failure is reported at the smallest shape that shows it.
"""

from __future__ import annotations

import functools
from collections.abc import Collection

from hypothesis import strategies as st

from conformance.strategies.cached import choice

Shape = tuple[int, int]

N_POOL = (1, 2, 3, 4, 6, 7, 8, 16, 64, 65, 130, 1025, 8193, 24577)
PINNED_ONLY: tuple[Shape, ...] = ((70001, 8),)
"""Shapes of a pin, never drawn (the agreement property's sparse repeated rows,
:func:`conformance.strategies.edge_cases.sparse_repeated_rows_problem`): a stored problem of
this shape is one the suite made, and is replayed."""
NARROW_D = (1, 2, 3, 4, 7, 8)
WIDE_D = (9, 257)
"""Wide ``x``: one feature past 8, and 257, past 256: a prime, so code that works on features
in tiles (of 8, 16, ..., 256 lanes) has a partial last tile, and a tile that is dropped, or
assigned where it should be added, shows; so does code that takes another path (a narrower
dtype, another algorithm) from 256 features on."""
WIDE_N = (2, 130)
"""The rows of a wide ``x``: two, and 130."""
ALIGNED: tuple[Shape, ...] = ((256, 16),)
"""Rows a multiple of 32, 64, 128 and 256, two tiles of 128 or more, features a multiple of
16: where code takes a path of its own for aligned shapes (micro-batches of 32 rows whose
gradients are summed, rows laid out in tiles of 128, features stored in bfloat16 for
tensor-core tiles), and is right for every unaligned shape.  One tile of 128 rows is not
enough: a tiled layout that mixes rows and tiles up is only wrong with two."""
D_POOL = NARROW_D + WIDE_D

GENERAL: tuple[Shape, ...] = (
    (2, 3), (2, 4), (3, 2), (2, 8), (4, 2), (6, 3), (7, 2), (3, 7), (8, 3), (16, 7),
    (65, 2), (65, 8), (130, 2), (130, 4), (1025, 3), (1025, 7), (8193, 2),
)  # fmt: skip
"""Neither a single row, nor a single feature, nor square: two to six ``N`` for each narrow
``D`` above 1, from fewer rows than features to 8193 rows."""

SHAPES_BY_KIND: dict[str, tuple[Shape, ...]] = {
    "square": tuple((d, d) for d in NARROW_D),
    "single row": tuple((1, d) for d in NARROW_D),
    "single feature": tuple((n, 1) for n in N_POOL),
    "many rows": tuple(s for s in GENERAL if s[0] > 64),
    "many features": tuple((n, d) for n in WIDE_N for d in WIDE_D),
    "aligned": ALIGNED,
}
SHAPE_POOL: tuple[Shape, ...] = tuple(
    sorted(
        {s for shapes in SHAPES_BY_KIND.values() for s in shapes} | set(GENERAL),
        key=lambda s: (s[0] * s[1], s),
    )
)
"""Every shape drawn, the smallest first."""
SHAPE_KINDS = ("any", *SHAPES_BY_KIND)
"""``"any"`` draws from the whole pool; each other kind from its own shapes, so that the edge
kinds are drawn as often as the general one."""

REPEATABLE_SHAPES: tuple[Shape, ...] = tuple(
    s for s in SHAPE_POOL if (2 * s[0], s[1]) in SHAPE_POOL
)
"""The shapes whose rows doubled are also in the pool: the repetition property compiles nothing
new."""


@functools.cache
def _kinds(shapes: tuple[Shape, ...]) -> dict[str, tuple[Shape, ...]]:
    """Each kind with its shapes among ``shapes``, the kinds left empty dropped."""
    kept = set(shapes)
    by_kind = {"any": SHAPE_POOL, **SHAPES_BY_KIND}
    found = {kind: tuple(s for s in by_kind[kind] if s in kept) for kind in SHAPE_KINDS}
    return {kind: among for kind, among in found.items() if among}


def shapes_with(n_pool: Collection[int], among: Collection[Shape]) -> tuple[Shape, ...]:
    """The shapes of the pool in ``among`` whose ``N`` is in ``n_pool``, the smallest first."""
    return tuple(s for s in SHAPE_POOL if s in among and s[0] in n_pool)


def draw_shape(draw: st.DrawFn, shapes: tuple[Shape, ...] = SHAPE_POOL) -> Shape:
    """An ``(N, D)`` pair from ``shapes`` (a subset of :data:`SHAPE_POOL`); each kind that has
    shapes there is drawn as often as the others."""
    kinds = _kinds(shapes)
    kind = draw(choice(tuple(kinds)), label="shape kind")
    return draw(choice(kinds[kind]), label="(N, D)")  # type: ignore[no-any-return]
