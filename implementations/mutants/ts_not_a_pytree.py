"""Mutant: a frozen dataclass that is not registered as a pytree.

Bug: everything works eagerly (create, apply_gradients, replace, frozen
fields), but JAX sees the whole state as one opaque leaf, so
``jax.jit(lambda s, g: s.apply_gradients(grads=g))`` raises and
``jax.tree_util`` cannot map over it.
Caught by: ``test_train_state_pytree.py`` (both properties) and
``test_train_state_jit.py::test_jitted_apply_gradients_matches_eager``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import optax


@dataclasses.dataclass(frozen=True)
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
