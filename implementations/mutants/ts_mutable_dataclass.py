"""Mutant: a pytree dataclass that is not frozen.

Bug: ``@dataclasses.dataclass`` without ``frozen=True`` (registered with
``jax.tree_util.register_dataclass``); everything else is Flax's behaviour,
but ``state.step = 5`` silently succeeds, so a state can be changed under
every holder of a reference.
Caught by: ``test_train_state_frozen_fields.py::test_assigning_a_field_raises_attribute_error``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import optax


@dataclasses.dataclass  # frozen=True missing
class TrainState:
    step: Any
    apply_fn: Any
    params: Any
    tx: Any
    opt_state: Any

    def replace(self, **changes: Any) -> TrainState:
        return dataclasses.replace(self, **changes)

    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        return cls(
            step=0, apply_fn=apply_fn, params=params, tx=tx, opt_state=tx.init(params), **kwargs
        )

    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)


jax.tree_util.register_dataclass(
    TrainState, data_fields=["step", "params", "opt_state"], meta_fields=["apply_fn", "tx"]
)
