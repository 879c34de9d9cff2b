"""Hypothesis strategies for the one-step contract.

- :mod:`strategies.shapes`: ``(N, D)`` from a bounded pool that reaches every edge shape.
- :mod:`strategies.seeds`: seeds whose ``int()`` lies in the int32 range.
- :mod:`strategies.data`: ``x`` and ``y`` with structure (constant and zero columns,
  duplicated rows, rank deficiency, exact linear targets, outliers).
- :mod:`strategies.learning_rates`: ``lr`` relative to the data's descent threshold.
- :mod:`strategies.problems`: all of it together, as a :class:`Problem`.
- :mod:`strategies.edge_cases`: the edge inputs every one-step property pins.
- :mod:`strategies.pytrees`: parameter pytrees, matching and mismatched gradients
  (the TrainState-contract properties).
- :mod:`strategies.optimizers`: a catalogue of named Optax transformations.
"""
