"""A state whose own ``create`` fills a required field: an exponential moving average of the
params, started as a copy of them (the pattern of EMA train states in diffusion and
vision code, which override ``create`` and declare ``ema_params`` without a default).
Its users never pass ``ema_params``; passing it raises "got multiple values".
"""

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct
from flax.training import train_state


class TrainState(train_state.TrainState):
    ema_params: Any
    ema_decay: float = struct.field(pytree_node=False, default=0.999)

    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        return cls(
            step=0,
            apply_fn=apply_fn,
            params=params,
            tx=tx,
            opt_state=tx.init(params),
            ema_params=jax.tree_util.tree_map(jnp.copy, params),
            **kwargs,
        )
