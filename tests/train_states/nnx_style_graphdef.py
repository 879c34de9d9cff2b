"""A ``flax.nnx``-style TrainState: ``create(graphdef, *, params, tx)`` and positional
``apply_gradients(self, grads, **kwargs)``, as ``flax.nnx.TrainState`` declares them.

Another API: its ``create`` needs a ``graphdef`` and takes no ``apply_fn``, so the
suite's first ``create`` fails, once, and every property that needs a state is
blocked by that failure.
"""

from typing import Any

import optax
from flax import struct


class TrainState(struct.PyTreeNode):
    graphdef: Any = struct.field(pytree_node=False)
    params: Any = struct.field(pytree_node=True)
    tx: optax.GradientTransformation = struct.field(pytree_node=False)
    opt_state: optax.OptState = struct.field(pytree_node=True)
    step: int = 0

    @classmethod
    def create(cls, graphdef, *, params, tx, **kwargs):
        return cls(graphdef=graphdef, params=params, tx=tx, opt_state=tx.init(params), **kwargs)

    def apply_gradients(self, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)
