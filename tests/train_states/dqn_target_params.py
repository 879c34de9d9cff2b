"""DQN code (CleanRL's dqn_jax.py and its kin): the target network's params as a field
without a default, synced with ``state.replace(target_params=optax.incremental_update(...))``.

The module gives the target its own copy of the params through
``trainstate_fields`` (what DQN code passes at create), and the suite would
pick a copy by the field's name anyway.
"""

from __future__ import annotations

import flax
import jax
import jax.numpy as jnp
from flax.training.train_state import TrainState as FlaxTrainState


class TrainState(FlaxTrainState):
    target_params: flax.core.FrozenDict


def trainstate_fields(params):
    return {"target_params": jax.tree_util.tree_map(jnp.copy, params)}
