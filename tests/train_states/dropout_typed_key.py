"""Flax's dropout guide with a typed PRNG key: ``jax.random.key(0)``, which JAX recommends over
the legacy ``uint32[2]`` arrays of ``PRNGKey``, as the key field's value.

The module names it through ``trainstate_fields``, as the guide's users create
the state with their own root key.  The key's dtype is ``key<fry>``, which
NumPy cannot hold: it is compared by its data (adversary round 9, where the
suite was to fail this class of Flax's own).
"""

import jax
from flax.training import train_state


class TrainState(train_state.TrainState):
    key: jax.Array


def trainstate_fields(params):
    return {"key": jax.random.key(0)}
