"""Raises a different ``BaseException`` by seed: ``SystemExit(0)``, ``KeyboardInterrupt``,
``GeneratorExit``, ``unittest.SkipTest``, pytest's ``fail`` and ``exit`` outcomes.

In-process these stopped the run with exit code 0, interrupted it, or escaped
the suite's ``except Exception``.
"""

import unittest

import pytest

_RAISERS = (
    lambda: (_ for _ in ()).throw(SystemExit(0)),
    lambda: (_ for _ in ()).throw(KeyboardInterrupt()),
    lambda: (_ for _ in ()).throw(GeneratorExit()),
    lambda: (_ for _ in ()).throw(unittest.SkipTest("skip")),
    lambda: pytest.fail("fail", pytrace=False),
    lambda: pytest.exit("stop the run", returncode=0),
)


def one_step(seed, x, y, lr):
    _RAISERS[int(seed) % len(_RAISERS)]()
