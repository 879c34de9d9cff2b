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


NON_FINITE_MISMATCH = "a NaN or an inf must be matched exactly: NaN by NaN, inf by same-sign inf"
"""What :func:`close_difference` says of an element the loop made NaN or inf and the actual
tree did not (or made the other inf)."""
ULPS_PER_UPDATE = 16
"""Rounding budget per update, in units of the float32 unit roundoff (so ~1e-6 relative)."""
LEAF_ROUNDINGS_PER_UPDATE = 2
"""Roundings per update, in units of a leaf's own roundoff, for a leaf narrower than float32
(float16, bfloat16): ``optax.apply_updates`` rounds the new param to its dtype, and a state
kept in it (schedule-free's) is rounded too; a jitted update may round each at another point,
one unit of that dtype apart."""
FLOOR = 4 * float(np.finfo(np.float32).tiny)


_NARROW_ROUNDOFF = {"float16": 2.0**-11, "bfloat16": 2.0**-8}
"""The unit roundoff of the float dtypes narrower than float32 that params take (10 and 7
stored mantissa bits)."""


def _leaf_roundoff(dtype: np.dtype[Any]) -> float:
    """A narrow float dtype's unit roundoff, else 0: float32 and wider leaves are covered by
    :data:`ULPS_PER_UPDATE`."""
    return _NARROW_ROUNDOFF.get(np.dtype(dtype).name, 0.0)


def close_difference(
    actual: TreeData,
    expected: TreeData,
    scale: Sequence[np.ndarray],
    k: int,
    *,
    grads_dtype: str = "float32",
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
    size of the updates), plus a floor for flushed subnormals.  A float16 or
    bfloat16 leaf is also rounded to its own dtype in each update, where a
    jitted update may round at another point: ``LEAF_ROUNDINGS_PER_UPDATE`` units
    of that dtype's roundoff (``2**-11``, ``2**-8``) more per update, 0.2% and
    1.6% of the scale at two updates, still short of a skipped update.  Gradients in
    such a dtype (``grads_dtype``) make updates rounded to it, which a jitted update may
    keep in float32 (XLA's excess precision): every leaf then takes that dtype's
    allowance.  That is ~1e-6
    relative per update, far below what any wrong update does: a missing,
    doubled, re-initialised or stale update moves params by ``lr * |update|``,
    at least ~1e-4 relative here.  Integer leaves (step counts) must be exact,
    and the structures must be equal.

    Where the expected element is NaN or an inf (gradients of a diverging run),
    no tolerance applies: it must be NaN too, or an inf of the same sign.  IEEE
    arithmetic gives NaN and inf alike in any order of the same ops, and a
    finite value there is an update that was not applied.  A finite expected
    element takes no NaN or inf (their difference is NaN or inf, never within
    the tolerance), and ``scale`` holds finite magnitudes only
    (:func:`conformance.properties.optax_loop.magnitude`), so an inf elsewhere
    on the trajectory cannot widen it.
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
        # ml_dtypes' bfloat16 is not a NumPy inexact type, but a float all the same.
        inexact = np.issubdtype(e.array.dtype, np.inexact) or _leaf_roundoff(e.array.dtype) > 0
        if not inexact:
            if not np.array_equal(a.array, e.array):
                return f"leaf {where} is {a.text}, expected exactly {e.text}"
            continue
        a64, e64 = a.array.astype(np.float64), e.array.astype(np.float64)
        per_update = ULPS_PER_UPDATE * UNIT_ROUNDOFF
        narrowest = max(_leaf_roundoff(e.array.dtype), _NARROW_ROUNDOFF.get(grads_dtype, 0.0))
        per_update += LEAF_ROUNDINGS_PER_UPDATE * narrowest
        tol = k * per_update * np.asarray(s) + FLOOR
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, which `alike` judges instead
            err = np.abs(a64 - e64)
        finite = np.isfinite(e64)
        alike = (np.isnan(a64) & np.isnan(e64)) | (np.isinf(e64) & (a64 == e64))
        bad = np.where(finite, ~(err <= tol), ~alike)  # a NaN difference counts as bad
        if np.any(bad):
            worst = np.where(bad, np.where(finite, np.nan_to_num(err, nan=np.inf), np.inf), -1.0)
            j = np.unravel_index(np.argmax(worst), e64.shape) if e64.ndim else ()
            got, want, at = float(a64[j]), float(e64[j]), [int(n) for n in j]
            if finite[j]:
                why = f"|diff| {err[j]:.3g} > tolerance {tol[j] if np.ndim(tol) else tol:.3g}"
            else:
                why = NON_FINITE_MISMATCH
            return (
                f"leaf {where}{at if at else ''} is {got!r}, expected {want!r} ({why}); "
                f"actual {a.text}, expected {e.text}"
            )
    return None


def same_value(observed: dict[str, Any], sent: Any) -> bool:
    """The implementation's process reports the very object it was given, or equal bits."""
    return (
        bool(observed.get("identical"))
        or bitwise_difference(tree(observed["tree"]), expected_tree(sent)) is None
    )
