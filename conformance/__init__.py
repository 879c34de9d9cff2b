"""trainstate-conformance: a property-based conformance suite for Flax's TrainState.

The property tests live in this package (``test_*.py``); the pytest plugin that
selects implementations is :mod:`conformance.plugin`.
"""

__version__ = "0.1.0"
