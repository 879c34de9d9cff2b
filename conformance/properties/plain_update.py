"""Whether the class's plain update already leaves the Optax loop, for a property that judges
another kind of update.

A property that judges an update made another way against the Optax loop
(with keyword fields, with params of another dtype) owns a difference only
where ``apply_gradients(grads=...)`` on float32 params of the same state
agrees with the loop.  Where that plain update differs too, the difference is
``test_params_and_opt_state_follow_the_optax_loop``'s to report, once, and the
property is blocked by it: one root cause, one failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.isolation.trees import TreeData
from conformance.properties.blocked import Blocked
from conformance.properties.observing import Context, Tree, observe, tree
from conformance.properties.optax_loop import Trajectory, expected_loop
from conformance.properties.tree_comparison import close_difference

OWNER = "test_params_and_opt_state_follow_the_optax_loop"


def first_difference(
    after: Sequence[dict[str, Any]], expected: Trajectory, grads_dtype: str = "float32"
) -> tuple[int, str, TreeData, TreeData, str] | None:
    """``(i, field, actual, expected, difference)`` of the first of params and opt_state, after
    the ``i``-th update (``after[i - 1]``, as a scenario reports them), that differs from the
    Optax loop's; ``None`` where none does.  ``grads_dtype``: as in
    :func:`~conformance.properties.tree_comparison.close_difference`."""
    want = dict(zip(("params", "opt_state"), expected.described, strict=True))
    scales = dict(zip(("params", "opt_state"), expected.scales, strict=True))
    for i, state in enumerate(after, start=1):
        for field in ("params", "opt_state"):
            actual, wanted = tree(state[field]), want[field][i]
            diff = close_difference(actual, wanted, scales[field], i, grads_dtype=grads_dtype)
            if diff is not None:
                return i, field, actual, wanted, diff
    return None


def block_if_the_plain_update_differs(
    ctx: Context, tx: Any, params: Any, grads: Sequence[Any], how: str
) -> None:
    """Raise :class:`Blocked` when ``apply_gradients(grads=...)`` of ``params`` (each of
    ``grads`` in turn) already differs from the Optax loop; ``how`` names the property's
    own kind of update (``"without keyword fields"``)."""
    seen = observe(ctx, "trajectory", tx=tx, params=Tree(params), grads=[Tree(g) for g in grads])
    found = first_difference(seen["after"], expected_loop(tx, params, grads))
    if found is not None:
        i, field, _, _, diff = found
        raise Blocked(
            f"the same updates {how} already differ from the Optax loop ({field} after {i}: "
            f"{diff}), which {OWNER} judges",
            str(ctx),
        )
