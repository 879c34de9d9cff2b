"""Raises pytest's xfail outcome from ``one_step``: in-process, an expected failure."""

import pytest


def one_step(seed, x, y, lr):
    pytest.xfail("known to fail")
