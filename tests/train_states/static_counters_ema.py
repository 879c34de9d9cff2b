"""A diffusion project's ``TrainStateEMA``: a ``@struct.dataclass`` subclass of Flax's
TrainState with EMA params and gradient accumulation as fields without defaults, five of
them static numbers, one a counter that starts at 0.

Flax's create and apply_gradients: it conforms.  The static ``grad_accum_count=0`` is the
very object ``step=0`` is (CPython has one ``0``), so a static field's value is told apart
from the state's leaves by the key paths that give each leaf to its field, not by
identity alone.  ``trainstate_fields`` gives the values the project's
``create_train_state`` passes (public code; the project's ``create_train_state``, which
needs its ``GaussianDiffusion``, is left out).
"""

import jax
import jax.numpy as jnp
from flax import struct
from flax.core import FrozenDict
from flax.training import train_state


@struct.dataclass
class TrainStateEMA(train_state.TrainState):
    """
    Extension of Flax's TrainState to support:
      - Exponential Moving Average (EMA) of parameters
      - Gradient accumulation over multiple steps
    """

    ema_params: FrozenDict
    ema_step: int = struct.field(pytree_node=False)

    # EMA throttling
    warmup_steps: int = struct.field(pytree_node=False)
    update_every: int = struct.field(pytree_node=False)

    # Accumulation config
    grad_accum_steps: int = struct.field(pytree_node=False)
    grad_accum_count: int = struct.field(pytree_node=False)
    grad_accum: FrozenDict


TrainState = TrainStateEMA


def trainstate_fields(params):
    # As the project's create_train_state(ema_decay=0.9999, grad_accum_steps=1,
    # update_ema_every=1, warmup_steps=1000).
    return {
        "ema_params": params,
        "ema_step": 1 - 0.9999,
        "grad_accum_steps": 1,
        "grad_accum_count": 0,
        "grad_accum": jax.tree_util.tree_map(jnp.zeros_like, params),
        "update_every": 1,
        "warmup_steps": 1000,
    }
