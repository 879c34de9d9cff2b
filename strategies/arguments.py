"""Checking the arguments of the public strategies when they are built, not when they draw.

As ``hypothesis.extra.numpy`` does: a bad value raises
``hypothesis.errors.InvalidArgument`` at once, naming the argument, instead of
failing later as a ``KeyError`` inside a draw.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from typing import TypeVar

from hypothesis.errors import InvalidArgument

T = TypeVar("T")


def subset(name: str, values: Iterable[T], allowed: Collection[T]) -> tuple[T, ...]:
    """``values`` as a tuple, which must be non-empty, without repeats, each in ``allowed``."""
    if isinstance(values, (str, bytes)):
        raise InvalidArgument(f"{name}={values!r} must be a collection of values, not a string")
    try:
        chosen = tuple(values)
    except TypeError:
        raise InvalidArgument(f"{name}={values!r} must be a collection of values") from None
    if not chosen:
        raise InvalidArgument(f"{name} must not be empty")
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise InvalidArgument(f"{name} holds {unknown!r}, which are not among {tuple(allowed)!r}")
    if len(set(chosen)) != len(chosen):
        raise InvalidArgument(f"{name}={chosen!r} repeats a value")
    return chosen


def positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgument(f"{name}={value!r} must be an integer >= 1")
    return value


def positive_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgument(f"{name}={value!r} must be a number")
    if not (math.isfinite(value) and value > 0):
        raise InvalidArgument(f"{name}={value!r} must be finite and > 0")
    return float(value)


def instance(name: str, value: T, kind: type | tuple[type, ...]) -> T:
    if not isinstance(value, kind):
        wanted = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InvalidArgument(f"{name}={value!r} must be a {wanted}")
    return value
