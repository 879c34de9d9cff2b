"""The reference one-step function, its input validation, and an independent oracle.

- :mod:`conformance.reference.flax_step`: the canonical recipe with Flax's ``TrainState`` and
  ``optax.sgd``, jitted once per input shape.
- :mod:`conformance.reference.linen_init`: ``nn.Dense(1)``'s initialisation rebuilt from
  ``jax.random`` alone, cached by ``(seed, D)``.
- :mod:`conformance.reference.oracle`: the same step in closed form in float64 NumPy, with the
  magnitudes the tolerance policy needs.
- :mod:`conformance.reference.tolerance`: the float32 rounding-error bound.
- :mod:`conformance.reference.validation`: the input checks shared by all of them.
"""
