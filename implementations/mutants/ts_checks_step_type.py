"""Mutant: a TrainState whose constructor checks that ``step`` is an integer ("fail early on
a bad checkpoint").

JAX rebuilds a state with leaves that are not arrays: ``jax.eval_shape`` and abstract restore
targets with ``ShapeDtypeStruct`` leaves, ``jax.tree_util.tree_map(lambda _: None, state)``
for sharding specs.  Each calls the constructor, which then raises; Flax's class never checks.
Caught by: ``test_train_state_pytree.py::test_flatten_unflatten_round_trip``.
"""

import jax
import numpy as np
from flax.training import train_state


class TrainState(train_state.TrainState):
    def __post_init__(self):
        # BUG: a type check in the constructor
        if not isinstance(self.step, (int, np.integer, jax.Array)):
            raise TypeError(f"step must be an integer, not {type(self.step).__name__}")
