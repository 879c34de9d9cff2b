"""The matmul precision in force for this run's implementations, which the tolerance follows.

Declared with ``--trainstate-matmul-precision`` (JAX's names: ``float32``,
``tensorfloat32``, ``bfloat16``), or the default of the device the
implementations run on: float32 on the CPU; on an accelerator, the precision
JAX uses there for a float32 matmul by default (TF32 on a GPU, bfloat16 passes
on a TPU).  The plugin settles it once per judging process
(:mod:`conformance.plugin.platform`); :mod:`conformance.properties.expected`
reads it for every bound.  Only the rounding bounds follow it: the properties
that do not depend on rounding (the step, immutability, exceptions,
determinism, the TrainState structure) keep their full power.
"""

from __future__ import annotations

from conformance.reference.tolerance import MATMUL_INPUT_ROUNDOFF

__all__ = ["PRECISIONS", "declare", "in_force"]

PRECISIONS: tuple[str, ...] = tuple(MATMUL_INPUT_ROUNDOFF)

_IN_FORCE = ["float32"]


def declare(precision: str) -> None:
    """Make ``precision`` the one in force in this process."""
    if precision not in MATMUL_INPUT_ROUNDOFF:
        raise ValueError(f"unknown matmul precision {precision!r}; JAX's are {PRECISIONS}")
    _IN_FORCE[0] = precision


def in_force() -> str:
    return _IN_FORCE[0]
