"""Mutant: from 64 leaves, ``create`` and ``apply_gradients`` run the optimizer on the params
raveled into one flat vector (``jax.flatten_util.ravel_pytree``), a fused update for speed.

Bug: the ``opt_state`` is the optimizer's state of one vector, not Flax's per-leaf tree
(``tx.init(params)``), and grads with a renamed key ravel alike and are applied.
Exposed by: params of 65 leaves (the Optax-loop property's pin).
Caught by: ``test_train_state_optax_loop.py::test_params_and_opt_state_follow_the_optax_loop``.
"""

import jax
import optax
from flax.training import train_state
from jax.flatten_util import ravel_pytree

_FUSE_FROM_LEAVES = 64


def _fused(params):
    return len(jax.tree_util.tree_leaves(params)) >= _FUSE_FROM_LEAVES


class TrainState(train_state.TrainState):
    @classmethod
    def create(cls, *, apply_fn, params, tx, **kwargs):
        if not _fused(params):
            return super().create(apply_fn=apply_fn, params=params, tx=tx, **kwargs)
        flat_params, _ = ravel_pytree(params)
        return cls(
            step=0,
            apply_fn=apply_fn,
            params=params,
            tx=tx,
            opt_state=tx.init(flat_params),
            **kwargs,
        )

    def apply_gradients(self, *, grads, **kwargs):
        if not _fused(self.params):
            return super().apply_gradients(grads=grads, **kwargs)
        flat_params, unravel = ravel_pytree(self.params)
        flat_grads, _ = ravel_pytree(grads)
        updates, new_opt_state = self.tx.update(flat_grads, self.opt_state, flat_params)
        new_params = unravel(optax.apply_updates(flat_params, updates))
        return self.replace(
            step=self.step + 1, params=new_params, opt_state=new_opt_state, **kwargs
        )
