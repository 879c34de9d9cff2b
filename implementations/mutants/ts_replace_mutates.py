"""Mutant: ``replace`` writes into the state and returns it.

Bug: a hand-written frozen dataclass (registered as a pytree) whose
``replace(**fields)`` sets the fields on ``self`` with ``object.__setattr__``
and returns ``self`` instead of a modified copy; since ``apply_gradients`` is
built on ``replace``, the old state changes on every update too.
(A Flax subclass cannot have this bug: ``flax.struct`` re-installs its own
``replace`` on every subclass.)
Caught by: ``test_train_state_replace.py::test_replace_returns_a_modified_copy``
and ``test_train_state_old_state_unchanged.py``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import optax


@dataclasses.dataclass(frozen=True)
class TrainState:
    step: Any
    apply_fn: Any
    params: Any
    tx: Any
    opt_state: Any

    def replace(self, **changes: Any) -> TrainState:
        for name, value in changes.items():
            object.__setattr__(self, name, value)
        return self

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
