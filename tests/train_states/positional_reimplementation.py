"""A reimplementation with ``jax.tree_util.register_dataclass``, right but for one thing:
``create`` and ``apply_gradients`` take their arguments positionally too.

Real difference: it fails exactly the two keyword-only properties.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import optax


@dataclasses.dataclass(frozen=True)
class TrainState:
    step: Any
    apply_fn: Callable
    params: Any
    tx: optax.GradientTransformation
    opt_state: Any

    def replace(self, **updates):
        return dataclasses.replace(self, **updates)

    def apply_gradients(self, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)

    @classmethod
    def create(cls, apply_fn, params, tx, **kwargs):
        return cls(0, apply_fn, params, tx, tx.init(params), **kwargs)


jax.tree_util.register_dataclass(
    TrainState, data_fields=["step", "params", "opt_state"], meta_fields=["apply_fn", "tx"]
)
