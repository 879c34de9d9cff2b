"""The verdict "does not apply": a property with nothing to judge on an implementation.

A module of its own, free of JAX: the report hook, which the plugin runs in every
pytest session it loads in, tells this verdict from a skip without importing the
TrainState checks.
"""

from __future__ import annotations

import pytest

__all__ = ["DoesNotApply"]


class DoesNotApply(pytest.skip.Exception):  # type: ignore[misc, name-defined]
    """The property does not apply to this implementation (a verdict of its own, not a skip)."""
