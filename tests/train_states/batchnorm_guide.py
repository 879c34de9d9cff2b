"""Flax's BatchNorm guide (docs_nnx/guides/linen_to_nnx and docs/guides/training_techniques/
batch_norm): the running statistics as a field without a default.

``TrainState.create(apply_fn=model.apply, params=variables['params'],
batch_stats=variables['batch_stats'], tx=optax.sgd(0.1))``; each step passes
the new statistics with ``apply_gradients(grads=grads,
batch_stats=updates['batch_stats'])``.
"""

from typing import Any

from flax.training import train_state


class TrainState(train_state.TrainState):
    batch_stats: Any
