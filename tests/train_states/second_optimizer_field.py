"""A state with a second optimizer for the biases (KataCR, wty-yy): Flax's own ``create`` and
``apply_gradients``, a static ``tx_bias: optax.GradientTransformation`` that the project's
own step applies to the biases, and required ``batch_stats`` and ``ema`` dicts.

Follows Flax's contract when called the Flax way: it must conform.  The suite gives
``tx_bias`` a real transformation (``optax.identity()``), not a stand-in function, so that a
class whose ``create`` calls its ``init`` is judged on its own API.
"""

import optax
from flax import struct
from flax.training import train_state


class TrainState(train_state.TrainState):
    batch_stats: dict = struct.field(pytree_node=True)
    tx_bias: optax.GradientTransformation = struct.field(pytree_node=False)
    ema: dict = struct.field(pytree_node=True)
