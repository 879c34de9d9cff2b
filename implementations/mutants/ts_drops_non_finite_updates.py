"""Mutant: ``apply_gradients`` guards against divergence without a branch: when any gradient is
NaN or inf, ``jnp.where`` keeps the old params and opt_state, and the step is still counted.

Flax applies every update it is given (a NaN gradient makes NaN params) and counts it; skipping
bad steps is the optimizer's job (``optax.apply_if_finite``, which also counts what it
skipped).  Unlike ``ts_skips_non_finite_updates`` the step is right, so only the params and
opt_state show it.
Exposed by: gradients with a NaN or an inf.
Caught by: ``test_train_state_optax_loop.py::test_params_and_opt_state_follow_the_optax_loop``
(its call 1 gradients with a NaN or a +inf).
"""

import jax
import jax.numpy as jnp
import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    def apply_gradients(self, *, grads, **kwargs):
        updates, opt_state = self.tx.update(grads, self.opt_state, self.params)
        params = optax.apply_updates(self.params, updates)
        finite = jnp.all(
            jnp.stack([jnp.all(jnp.isfinite(g)) for g in jax.tree_util.tree_leaves(grads)])
        )
        # BUG: a non-finite update is dropped, but the step is counted
        params, opt_state = jax.tree_util.tree_map(
            lambda new, old: jnp.where(finite, new, old),
            (params, opt_state),
            (self.params, self.opt_state),
        )
        return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **kwargs)
