"""Comparing described pytrees: bit for bit, or within float32 rounding of ``k`` updates.

Each comparison returns ``None`` or a one-line description of the first
difference.  The tolerance policy of :func:`close_difference` is documented there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from conformance.isolation.trees import TreeData, expected_tree
from conformance.properties.observing import tree
from conformance.reference.tolerance import UNIT_ROUNDOFF


def bitwise_difference(actual: TreeData, expected: TreeData) -> str | None:
    """How ``actual`` differs from ``expected`` in structure, leaf types or bits."""
    if actual.treedef != expected.treedef:
        return f"pytree structure is {actual.treedef}, expected {expected.treedef}"
    for path, got, want in zip(expected.paths, actual.leaves, expected.leaves, strict=True):
        if not got.same_bits(want):
            return f"leaf {path or '<root>'} is {got}, expected {want}"
    return None


ULPS_PER_UPDATE = 16
"""Rounding budget per update, in units of the float32 unit roundoff (so ~1e-6 relative)."""
FLOOR = 4 * float(np.finfo(np.float32).tiny)


def close_difference(
    actual: TreeData, expected: TreeData, scale: Sequence[np.ndarray], k: int
) -> str | None:
    """How ``actual`` differs from ``expected`` beyond float32 rounding of ``k`` updates.

    Tolerance policy.  A faithful implementation runs the same Optax ops in the
    same order and is bit-identical to the hand-written loop; Flax's own is.  It
    may still differ in the last bits when it runs them differently: jitted
    (XLA fuses the update and may, e.g., turn a division into a multiplication
    by a reciprocal) where the loop runs op by op, or with ``x - lr*g`` for
    ``x + (-lr*g)``.  Each such rewrite moves an element by a few units of
    float32 roundoff relative to the magnitudes it is computed from, and the
    errors of successive updates add up.  So element ``j`` may differ by
    ``k * ULPS_PER_UPDATE * u * scale[j]`` (``u = 2**-24``, ``scale[j]`` the
    largest ``|value|`` element ``j`` takes along the trajectory, including the
    size of the updates), plus a floor for flushed subnormals.  That is ~1e-6
    relative per update, far below what any wrong update does: a missing,
    doubled, re-initialised or stale update moves params by ``lr * |update|``,
    at least ~1e-4 relative here.  Integer leaves (step counts) must be exact,
    and the structures must be equal.
    """
    if actual.treedef != expected.treedef:
        return f"pytree structure is {actual.treedef}, expected {expected.treedef}"
    for path, a, e, s in zip(expected.paths, actual.leaves, expected.leaves, scale, strict=True):
        where = path or "<root>"
        if e.array is None or a.array is None:
            if not a.same_bits(e):
                return f"leaf {where} is {a}, expected {e}"
            continue
        if a.array.shape != e.array.shape:
            return f"leaf {where} has shape {a.array.shape}, expected {e.array.shape}"
        if a.array.dtype != e.array.dtype:
            return f"leaf {where} has dtype {a.array.dtype}, expected {e.array.dtype}"
        if not np.issubdtype(e.array.dtype, np.inexact):
            if not np.array_equal(a.array, e.array):
                return f"leaf {where} is {a.text}, expected exactly {e.text}"
            continue
        a64, e64 = a.array.astype(np.float64), e.array.astype(np.float64)
        tol = k * ULPS_PER_UPDATE * UNIT_ROUNDOFF * np.asarray(s) + FLOOR
        err = np.abs(a64 - e64)
        bad = ~(err <= tol)  # NaN counts as bad
        if np.any(bad):
            j = np.unravel_index(np.argmax(np.where(bad, err, -1.0)), e64.shape) if e64.ndim else ()
            return (
                f"leaf {where}{list(j) if j else ''} is {float(a64[j])!r}, expected "
                f"{float(e64[j])!r} "
                f"(|diff| {err[j]:.3g} > tolerance {tol[j] if np.ndim(tol) else tol:.3g}); "
                f"actual {a.text}, expected {e.text}"
            )
    return None


def same_value(observed: dict[str, Any], sent: Any) -> bool:
    """The implementation's process reports the very object it was given, or equal bits."""
    return (
        bool(observed.get("identical"))
        or bitwise_difference(tree(observed["tree"]), expected_tree(sent)) is None
    )
