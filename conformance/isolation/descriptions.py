"""What the host tells the judge about exceptions and classes, as plain data.

Shared by the host's service (:mod:`conformance.isolation.service`) and the
suite's scenario code that runs beside it
(:mod:`conformance.properties.train_state_scenarios`), and read by the judge.
"""

from __future__ import annotations

import re
from typing import Any

MESSAGE_LIMIT = 2000
"""Characters of an exception's message that are sent back."""

FILE_MODULE_PREFIX = "_trainstate_impl_"
"""Module names of implementations imported from a file: ``_trainstate_impl_<stem>_<hash>``."""


def first_line(exc: BaseException) -> str:
    try:
        lines = str(exc).strip().splitlines()
    except Exception:
        return f"<{type(exc).__name__} whose str() raised>"
    return lines[0][:MESSAGE_LIMIT] if lines else ""


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """What an exception was, as data: its type, its message's first line, its kind.

    ``builtins`` lists the built-in classes it derives from, so that the judge
    can tell an ``AttributeError`` (``dataclasses.FrozenInstanceError`` is one)
    from anything else without the class itself.
    """
    kind = type(exc)
    return {
        "type": kind.__qualname__,
        "module": kind.__module__,
        "message": first_line(exc),
        "builtins": [c.__name__ for c in kind.__mro__ if c.__module__ == "builtins"],
        "is_exception": isinstance(exc, Exception),
        "exit_code": repr(exc.code)[:60] if isinstance(exc, SystemExit) else None,
    }


CANONICAL_FIELDS: tuple[str, ...] = ("step", "apply_fn", "params", "tx", "opt_state")
"""The fields of ``flax.training.train_state.TrainState``, in its order."""
PYTREE_FIELDS: tuple[str, ...] = ("step", "params", "opt_state")
"""Its pytree fields: the ones ``apply_gradients`` sets itself."""
STATIC_FIELDS: tuple[str, ...] = ("apply_fn", "tx")
"""Its static fields (``pytree_node=False``)."""
APPLY_GRADIENTS_ARGUMENTS: tuple[str, ...] = ("grads",)
"""The arguments of ``apply_gradients`` besides the fields: a field of that name (a class that
keeps the last gradients as ``grads``) cannot be replaced through its keywords, in Flax's class
either."""


def missing_field(name: str, raised: str) -> str:
    """Why a state has no field ``name``, in one wording wherever the field is read, so that
    one missing field is one cause in a verdict.  ``raised`` is the exception's type; an
    ``AttributeError``'s message (which names the class) is left out for that reason."""
    return (
        f"the state has no field {name!r} ({raised}); Flax's TrainState has fields "
        f"{', '.join(CANONICAL_FIELDS)}"
    )


NOT_A_FIELD = "not_a_field"
"""A keyword no TrainState declares: Flax's ``replace`` (and so ``apply_gradients``) rejects it."""
REJECTED_KEYWORDS: tuple[str, ...] = (*PYTREE_FIELDS, NOT_A_FIELD)
"""The keywords ``apply_gradients(grads=..., **kwargs)`` raises ``TypeError`` on in Flax: the
fields it sets itself (given twice to ``replace``), and a field the class does not have."""


def class_name(cls: type) -> str:
    """``module.QualName``; a class from an ``--impl`` file shows as ``file.py:QualName``."""
    module = getattr(cls, "__module__", "?")
    match = re.fullmatch(rf"{FILE_MODULE_PREFIX}(.+)_[0-9a-f]+", module)
    if match:
        return f"{match.group(1)}.py:{cls.__qualname__}"
    return f"{module}.{cls.__qualname__}"
