"""Flax's ImageNet example (examples/imagenet/train.py): BatchNorm statistics and mixed
precision's loss scale as fields without a default.

The example creates its state with ``batch_stats=variables['batch_stats']`` and
``dynamic_scale=None`` on CPU (a ``DynamicScale()`` on GPU), and steps with
``state.apply_gradients(grads=grads, batch_stats=new_batch_stats)``.  The
suite gives ``batch_stats`` a small pytree (``Any``) and ``dynamic_scale``
its default ``DynamicScale()``.
"""

from typing import Any

from flax.training import dynamic_scale as dynamic_scale_lib
from flax.training import train_state


class TrainState(train_state.TrainState):
    batch_stats: Any
    dynamic_scale: dynamic_scale_lib.DynamicScale
