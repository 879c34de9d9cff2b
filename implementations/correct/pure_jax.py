"""The one SGD step in pure JAX + Optax, with a home-made ``TrainState`` (no Flax).

``TrainState`` mirrors ``flax.training.train_state.TrainState``: a frozen
dataclass registered as a pytree (``step``, ``params`` and ``opt_state`` are
leaves, ``apply_fn`` and ``tx`` static), ``create(*, apply_fn, params, tx,
**kwargs)`` starting at ``step=0``, keyword-only ``apply_gradients(*, grads,
**kwargs)`` returning a new instance with ``step + 1``, and ``replace``.

The model is ``nn.Dense(1)`` written by hand: params ``{"kernel": (D, 1),
"bias": (1,)}`` with Linen's initialisation, applied as ``x @ kernel + bias``.
The whole step is one ``jax.jit`` with ``seed`` and ``lr`` traced.
"""

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

_PARAMS_FOLD = int.from_bytes(hashlib.sha1(b"\x01").digest()[:4], "big")
_TRUNC_NORMAL_STD = 0.87962566103423978


@dataclasses.dataclass(frozen=True)
class TrainState:
    step: int | jax.Array
    apply_fn: Callable = dataclasses.field(metadata={"static": True})
    params: Any
    tx: optax.GradientTransformation = dataclasses.field(metadata={"static": True})
    opt_state: optax.OptState

    def replace(self, **updates: Any) -> "TrainState":
        return dataclasses.replace(self, **updates)

    def apply_gradients(self, *, grads: Any, **kwargs: Any) -> "TrainState":
        updates, new_opt_state = self.tx.update(grads, self.opt_state, self.params)
        new_params = optax.apply_updates(self.params, updates)
        return self.replace(
            step=self.step + 1, params=new_params, opt_state=new_opt_state, **kwargs
        )

    @classmethod
    def create(cls, *, apply_fn: Callable, params: Any, tx: Any, **kwargs: Any) -> "TrainState":
        return cls(
            step=0, apply_fn=apply_fn, params=params, tx=tx, opt_state=tx.init(params), **kwargs
        )


jax.tree_util.register_dataclass(
    TrainState, data_fields=["step", "params", "opt_state"], meta_fields=["apply_fn", "tx"]
)


def dense_init(seed: jax.Array, d: int) -> dict[str, jax.Array]:
    """``nn.Dense(1).init(PRNGKey(seed), x)["params"]`` without Flax."""
    key = jax.random.fold_in(jax.random.PRNGKey(seed), _PARAMS_FOLD)
    stddev = jnp.sqrt(jnp.array(1.0 / d, jnp.float32)) / jnp.array(_TRUNC_NORMAL_STD, jnp.float32)
    kernel = jax.random.truncated_normal(key, -2.0, 2.0, (d, 1), jnp.float32) * stddev
    return {"kernel": kernel, "bias": jnp.zeros((1,), jnp.float32)}


def dense_apply(variables: dict[str, Any], x: jax.Array) -> jax.Array:
    p = variables["params"]
    return x @ p["kernel"] + p["bias"]


@jax.jit
def _step(seed: jax.Array, x: jax.Array, y: jax.Array, lr: jax.Array) -> jax.Array:
    state = TrainState.create(
        apply_fn=dense_apply, params=dense_init(seed, x.shape[1]), tx=optax.sgd(lr)
    )

    def loss_fn(p):
        return jnp.mean((state.apply_fn({"params": p}, x).reshape(-1) - y) ** 2)

    state = state.apply_gradients(grads=jax.grad(loss_fn)(state.params))
    return jnp.stack([jnp.asarray(state.step, jnp.float32), loss_fn(state.params)])


def one_step(seed, x, y, lr) -> jax.Array:
    return _step(
        np.int32(int(seed)), np.asarray(x, np.float32), np.asarray(y, np.float32), np.float32(lr)
    )
