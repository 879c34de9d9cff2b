"""A state that carries static callables beside the model (a pattern of RL and
classification code): ``logits_fn: Callable = struct.field(pytree_node=False)`` without
a default.

Static fields are part of the tree structure, never leaves: ``jax.jit`` retraces
for a new function.  The suite gives each a stand-in function.
"""

from collections.abc import Callable

from flax import struct
from flax.training import train_state


class TrainState(train_state.TrainState):
    logits_fn: Callable = struct.field(pytree_node=False)
    num_classes: int = struct.field(pytree_node=False)
