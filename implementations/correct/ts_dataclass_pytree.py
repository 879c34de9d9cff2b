"""A hand-written TrainState: a frozen dataclass registered as a pytree by hand.

No Flax: ``step``, ``params`` and ``opt_state`` are the pytree children,
``apply_fn`` and ``tx`` the auxiliary (static) data, registered with
``jax.tree_util.register_pytree_with_keys`` so that key paths name the fields.
``create`` and ``apply_gradients`` are keyword-only and do what Flax's do;
``replace`` is ``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import optax


@dataclasses.dataclass(frozen=True)
class TrainState:
    step: Any
    apply_fn: Callable[..., Any]
    params: Any
    tx: optax.GradientTransformation
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


def _flatten_with_keys(state: TrainState):
    children = tuple(
        (jax.tree_util.GetAttrKey(name), getattr(state, name))
        for name in ("step", "params", "opt_state")
    )
    return children, (state.apply_fn, state.tx)


def _unflatten(aux: tuple[Any, Any], children: tuple[Any, Any, Any]) -> TrainState:
    apply_fn, tx = aux
    step, params, opt_state = children
    return TrainState(step=step, apply_fn=apply_fn, params=params, tx=tx, opt_state=opt_state)


jax.tree_util.register_pytree_with_keys(TrainState, _flatten_with_keys, _unflatten)
