"""Flax's dropout guide (docs/guides/training_techniques/dropout): the dropout PRNG key as a
field without a default.

``TrainState.create(apply_fn=..., params=..., key=dropout_key, tx=...)``; the step
folds the step number into ``state.key``.  The suite gives it
``jax.random.PRNGKey(42)``.
"""

import jax
from flax.training import train_state


class TrainState(train_state.TrainState):
    key: jax.Array
