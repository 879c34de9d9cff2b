"""Mutant: a hand-registered pytree that lists a static field among its data fields.

Bug: ``num_classes`` is declared static (``pytree_node=False``, a required
field) but registered with ``jax.tree_util.register_dataclass`` among the data
fields, so it becomes a leaf: ``jax.jit`` turns it into a tracer, and a new
value no longer changes the tree structure (no retrace).
Caught by: ``test_train_state_extra_fields.py::
test_extra_fields_are_carried_replaced_and_kept_as_declared``.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import optax

STATIC = {"pytree_node": False}


@dataclasses.dataclass(frozen=True)
class TrainState:
    step: Any
    apply_fn: Callable = dataclasses.field(metadata=STATIC)
    params: Any = None
    tx: optax.GradientTransformation = dataclasses.field(metadata=STATIC, default=None)
    opt_state: Any = None
    num_classes: int = dataclasses.field(metadata=STATIC, default=None)

    def replace(self, **updates):
        return dataclasses.replace(self, **updates)

    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)

    @classmethod
    def create(cls, *, apply_fn, params, tx, num_classes, **kwargs):
        return cls(
            step=0,
            apply_fn=apply_fn,
            params=params,
            tx=tx,
            opt_state=tx.init(params),
            num_classes=num_classes,
            **kwargs,
        )


jax.tree_util.register_dataclass(
    TrainState,
    data_fields=["step", "params", "opt_state", "num_classes"],
    meta_fields=["apply_fn", "tx"],
)
