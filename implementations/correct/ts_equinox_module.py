"""A TrainState as an ``eqx.Module``: Equinox's frozen dataclass, a pytree by construction.

``apply_fn`` and ``tx`` are ``eqx.field(static=True)`` (so they are in the
pytree structure, not leaves); ``step``, ``params`` and ``opt_state`` are
children.  Instances are immutable (assignment raises
``dataclasses.FrozenInstanceError``).  ``replace`` is ``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import equinox as eqx
import optax


class TrainState(eqx.Module):
    step: Any
    apply_fn: Callable[..., Any] = eqx.field(static=True)
    params: Any
    tx: optax.GradientTransformation = eqx.field(static=True)
    opt_state: Any

    def replace(self, **changes: Any) -> TrainState:
        return dataclasses.replace(self, **changes)

    @classmethod
    def create(cls, *, apply_fn: Callable[..., Any], params: Any, tx: Any, **kwargs: Any):
        return cls(
            step=0, apply_fn=apply_fn, params=params, tx=tx, opt_state=tx.init(params), **kwargs
        )

    def apply_gradients(self, *, grads: Any, **kwargs: Any) -> TrainState:
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)
