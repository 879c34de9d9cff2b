"""Mutant: a compact TrainState whose step counter is a uint8 array.

Exposed by: the step's dtype (the value is right for the first 255 steps, then wraps to 0, and
a schedule reading state.step starts over).
Caught by: the create property (create's step must be an integer of at least 32 bits; the
other step checks count from it and leave its type to that property).
"""

import jax.numpy as jnp
from flax.training import train_state


class TrainState(train_state.TrainState):
    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        state = super().create(apply_fn=apply_fn, params=params, tx=tx, **kwargs)
        return state.replace(step=jnp.zeros((), jnp.uint8))  # BUG: wraps after 255 steps
