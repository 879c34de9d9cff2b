"""What the assignment requires, and what the module's source shows, against what its
process reports it defines.

``--trainstate-require train_state`` (``--require`` for ``python -m conformance``)
says that the module must define a ``TrainState`` class; ``one_step`` that it
must define ``one_step`` itself (not have it built from its class).  A required
capability its process reports absent is a failure of ``module_imports``, and
the properties that need it are blocked by that failure, never "not
applicable".  So is one that the module's source plainly defines
(:mod:`conformance.isolation.declared_names`) while its process denies it:
code that hides its class from the suite does not get its properties waived.
"""

from __future__ import annotations

import functools

from conformance.isolation.declared_names import declared
from conformance.isolation.implementations import Implementation

CAPABILITIES = {"one_step": "one_step", "train_state": "TrainState"}
"""``--trainstate-require`` values, and the name each one asks the module to define."""


class RequirementNotMet(AssertionError):
    """The module imports, but does not define what it must, or hides what its source
    defines: a failure of ``module_imports`` a grader scores (and counts as an attempt),
    unlike a module that cannot be imported at all."""


@functools.cache
def _declared(spec: str) -> dict[str, int]:
    return declared(spec)


def missing(impl: Implementation, capability: str) -> str | None:
    """Why ``impl`` fails to define ``capability`` ("one_step" or "train_state") as it must,
    or ``None`` when it defines it, or need not and does not claim to."""
    capabilities = impl.capabilities()
    present = (
        capabilities.train_state is not None
        if capability == "train_state"
        else not capabilities.one_step_is_built
    )
    if present:
        return None
    name = CAPABILITIES[capability]
    line = _declared(impl.spec).get(name)
    if line is not None:
        return (
            f"{impl.name}'s source defines {name} (line {line}), but its process reported "
            f"that the module has no {name}"
        )
    if capability in impl.required:
        return (
            f"{impl.name} defines no {name}, and the assignment requires one "
            f"(--trainstate-require {capability})"
        )
    return None


def first_missing(impl: Implementation) -> str | None:
    """The first capability ``impl`` fails to define as it must (:func:`missing`)."""
    for capability in CAPABILITIES:
        cause = missing(impl, capability)
        if cause is not None:
            return cause
    return None
