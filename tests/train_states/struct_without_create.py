"""A state as openpi-style training code writes it: a plain ``flax.struct`` dataclass that
holds the model's definition beside its params, with neither ``create`` nor
``apply_gradients`` (the training step builds it and calls ``tx.update`` itself).
Another API: ``TrainState.create`` raises ``AttributeError``, once, at its root.
"""

from typing import Any

import optax
from flax import struct


@struct.dataclass
class TrainState:
    step: int
    params: Any
    model_def: Any = struct.field(pytree_node=False)
    tx: optax.GradientTransformation = struct.field(pytree_node=False)
    opt_state: Any
    ema_params: Any = None
