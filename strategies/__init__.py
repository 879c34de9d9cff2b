"""Hypothesis strategies for the one-step contract.

- :mod:`conformance.strategies.shapes`: ``(N, D)`` from a bounded pool reaching every edge shape.
- :mod:`conformance.strategies.seeds`: seeds whose ``int()`` lies in the int32 range.
- :mod:`conformance.strategies.data`: ``x`` and ``y`` with structure (constant and zero columns,
  duplicated rows, rank deficiency, exact linear targets, outliers).
- :mod:`conformance.strategies.learning_rates`: ``lr`` relative to the data's descent threshold.
- :mod:`conformance.strategies.problems`: all of it together, as a :class:`Problem`.
- :mod:`conformance.strategies.edge_cases`: the edge inputs every one-step property pins.
- :mod:`conformance.strategies.pytrees`: parameter pytrees, matching and mismatched gradients
  (the TrainState-contract properties).
- :mod:`conformance.strategies.optimizers`: a catalogue of named Optax transformations.
"""
