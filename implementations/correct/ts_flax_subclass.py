"""A subclass of Flax's ``TrainState`` with extra fields, as Flax's docs suggest.

``extra`` is a pytree field (a leaf, like ``batch_stats`` would be) and
``label`` a static one, both with defaults: a dataclass field without a default
cannot follow the parent's, and ``create(**kwargs)`` passes them through to the
constructor while ``apply_gradients`` keeps them (it calls ``self.replace``).
It must pass everything Flax's own class passes, and the extra-field
properties exercise what Flax's class cannot: ``create(extra=...)`` and
``apply_gradients(grads=..., extra=...)``.
"""

from typing import Any

from flax import struct
from flax.training import train_state


class TrainState(train_state.TrainState):
    extra: Any = 0
    label: str = struct.field(pytree_node=False, default="")
