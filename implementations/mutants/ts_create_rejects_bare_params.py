"""Mutant: ``create`` looks up Flax's fp8 key in ``params`` without checking for an array.

Bug: ``if OVERWRITE_WITH_GRADIENT in params`` without Flax's
``not isinstance(params, jax.Array)`` guard.  A single array is valid
``params`` (a pytree of one leaf), and ``in`` on it raises ``TypeError``.
Caught by: ``test_train_state_create.py::test_create_starts_at_step_zero_and_keeps_its_inputs``
(its bare-array params, drawn and pinned).
"""

from flax.linen.fp8_ops import OVERWRITE_WITH_GRADIENT
from flax.training import train_state


class TrainState(train_state.TrainState):
    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        inner = params["params"] if OVERWRITE_WITH_GRADIENT in params else params
        return cls(
            step=0, apply_fn=apply_fn, params=params, tx=tx, opt_state=tx.init(inner), **kwargs
        )
