"""Strategies built once and reused.

Constructing a Hypothesis strategy inside a draw costs more than drawing from
it (each new instance is validated on first use), and the composites here run
once per example.  These helpers return the same instance for the same
arguments.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable
from typing import Any

from hypothesis import strategies as st


@functools.cache
def choice(options: tuple[Hashable, ...]) -> st.SearchStrategy:
    """``st.sampled_from(options)``; shrinks toward the first option."""
    return st.sampled_from(options)


@functools.cache
def below(size: int) -> st.SearchStrategy[int]:
    """An index in ``range(size)``; shrinks toward 0."""
    return st.integers(0, size - 1)


@functools.cache
def fixed_size_lists(elements: st.SearchStrategy, size: int) -> st.SearchStrategy[list[Any]]:
    return st.lists(elements, min_size=size, max_size=size)
