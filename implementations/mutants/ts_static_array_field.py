"""Mutant: a TrainState that carries a dropout PRNG key in a field declared static
(``pytree_node=False``: "it is not trained").

A static field's value is part of the tree structure, which ``jax.jit`` hashes and compares;
a key is an array, which is not hashable, so every jitted step on the state raises.
Caught by: the extra-field property,
``test_extra_fields_are_carried_replaced_and_kept_as_declared`` (the properties that flatten
or jit the state are blocked by it).
"""

import jax
from flax import struct
from flax.training import train_state


class TrainState(train_state.TrainState):
    # BUG: an array in a static field
    key: jax.Array = struct.field(pytree_node=False)
