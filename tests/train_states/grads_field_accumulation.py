"""A state that accumulates gradients outside the class (KataCV, wty-yy): Flax's own
``create`` and ``apply_gradients``, and required fields ``dropout_rng``, ``accumulate``,
``acc_count``, and ``grads``, named like ``apply_gradients``'s own argument.

Follows Flax's contract: it must conform.  Its ``grads`` field can never be replaced through
``apply_gradients``'s keywords (the keyword is the gradients), in Flax's class either, so no
property may ask that of it.
"""

import jax
from flax import struct
from flax.training import train_state


class TrainState(train_state.TrainState):
    dropout_rng: jax.Array
    grads: dict = struct.field(pytree_node=True)
    accumulate: int
    acc_count: int
