"""Mutant: ``apply_gradients`` masks the updates (to freeze params by path prefix) through
``flatten_dict``/``unflatten_dict(..., sep="/")``.

Bug: the round trip through "/"-joined paths splits a key that contains "/", as every
Haiku param name does (``"mlp/~/linear_0"``), so the mask has another structure than
the updates and ``tree_map`` raises, where Flax's class updates the params.  The mask is
built even when nothing is frozen.
Caught by: ``test_train_state_optax_loop.py::test_params_and_opt_state_follow_the_optax_loop``
(the pinned params with a Haiku-style key).
"""

import jax
import jax.numpy as jnp
import optax
from flax import traverse_util
from flax.core import FrozenDict, freeze, unfreeze
from flax.training import train_state


class TrainState(train_state.TrainState):
    FROZEN_PREFIXES = ()

    def apply_gradients(self, *, grads, **kwargs):
        if not isinstance(self.params, (dict, FrozenDict)):
            return super().apply_gradients(grads=grads, **kwargs)
        flat = traverse_util.flatten_dict(unfreeze(self.params), sep="/")
        mask = traverse_util.unflatten_dict(
            {path: not path.startswith(self.FROZEN_PREFIXES) for path in flat}, sep="/"
        )
        mask = freeze(mask) if isinstance(self.params, FrozenDict) else mask
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        updates = jax.tree_util.tree_map(
            lambda u, trainable: u if trainable else jnp.zeros_like(u), updates, mask
        )
        params = optax.apply_updates(self.params, updates)
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)
