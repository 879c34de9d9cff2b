"""OTT-JAX's ``PotentialTrainState`` (ott-jax/ott ``src/ott/neural/networks/potentials.py``):
Flax's TrainState with two required static callables, which the project fills with bound
methods of the potential's linen module (``BasePotential.create_train_state``).

Flax's create and apply_gradients: it conforms.  Each ``module.method`` access makes a new
bound method, equal to the others but not the same object, so what ``jax.jit`` hands back
for a static field (the value of the trace it reuses) is compared by ``==``, as Flax
compares static fields in a tree structure.  The module is a small stand-in for OTT's
``PotentialMLP``, with its list attribute (so the module itself cannot be hashed; a bound
method hashes by its module's identity).
"""

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
from flax import linen as nn
from flax import struct
from flax.core import frozen_dict
from flax.training import train_state

PotentialValueFn_t = Callable[[jnp.ndarray], jnp.ndarray]
PotentialGradientFn_t = Callable[[jnp.ndarray], jnp.ndarray]


class PotentialTrainState(train_state.TrainState):
    """Adds information about the model's value and gradient to the state."""

    potential_value_fn: Callable[
        [frozen_dict.FrozenDict[str, jnp.ndarray], PotentialValueFn_t | None],
        PotentialValueFn_t,
    ] = struct.field(pytree_node=False)
    potential_gradient_fn: Callable[
        [frozen_dict.FrozenDict[str, jnp.ndarray]], PotentialGradientFn_t
    ] = struct.field(pytree_node=False)


class PotentialMLP(nn.Module):
    dim_hidden: Sequence[int]

    @nn.compact
    def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
        for n_hidden in self.dim_hidden:
            x = nn.leaky_relu(nn.Dense(n_hidden)(x))
        return nn.Dense(1)(x).squeeze(-1)

    def potential_value_fn(self, params, other_potential_value_fn=None):
        return lambda x: self.apply({"params": params}, x)

    def potential_gradient_fn(self, params):
        return jax.vmap(jax.grad(self.potential_value_fn(params)))


TrainState = PotentialTrainState

_POTENTIAL = PotentialMLP(dim_hidden=[64, 64])


def trainstate_fields(params):
    # What BasePotential.create_train_state passes: the potential module's bound methods.
    return {
        "potential_value_fn": _POTENTIAL.potential_value_fn,
        "potential_gradient_fn": _POTENTIAL.potential_gradient_fn,
    }
