"""Mutant: ``apply_gradients`` adds the updates by hand, rebuilding each container of the
params with ``type(p)(...)``.

Bug: a NamedTuple's constructor takes its fields one by one, so ``type(p)(generator)``
raises ``TypeError`` for NamedTuple params (``Params(w, b)``, the usual container of
pure-JAX code), which Flax updates with ``optax.apply_updates`` as any other pytree.
Dicts, ``FrozenDict``, tuples, lists and single arrays are updated as Flax's are.
Caught by: ``test_train_state_optax_loop.py::test_params_and_opt_state_follow_the_optax_loop``
(NamedTuple params, drawn and pinned).
"""

from collections.abc import Mapping

import jax.numpy as jnp
from flax.core import FrozenDict
from flax.training import train_state


def _add(p, u):
    if isinstance(p, FrozenDict):
        return FrozenDict({k: _add(p[k], u[k]) for k in p})
    if isinstance(p, Mapping):
        return type(p)((k, _add(p[k], u[k])) for k in p)
    if isinstance(p, (list, tuple)):
        return type(p)(_add(a, b) for a, b in zip(p, u, strict=True))  # BUG: not a NamedTuple
    return jnp.asarray(p + u).astype(jnp.asarray(p).dtype)


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        updates, new_opt_state = self.tx.update(grads, self.opt_state, self.params)
        return self.replace(
            step=self.step + 1, params=_add(self.params, updates), opt_state=new_opt_state, **kwargs
        )
