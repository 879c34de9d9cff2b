"""A user class's own call failing inside the canonical recipe, told apart from the recipe's.

:func:`conformance.reference.recipe.one_step_from_train_state` builds ``one_step``
around a module's ``TrainState``.  When the class's ``create`` or
``apply_gradients`` raises there, the one-step properties cannot judge
anything: the failure is the class's, and the TrainState properties own it.
The recipe raises :class:`ClassCallFailed` with the call as made, so that the
host reports which call of the class raised, in the words of that call.
"""

from __future__ import annotations

EXTRA_FIELDS_CALL = "choosing the values of the class's extra fields (trainstate_fields(params))"
"""How the recipe and the TrainState properties name the step that finds those values."""


class ClassCallFailed(Exception):
    """``call`` (as made, e.g. ``TrainState.create(apply_fn=..., params=..., tx=...)``) raised
    ``raised``."""

    def __init__(self, call: str, raised: Exception, missing_field: str | None = None) -> None:
        super().__init__(f"{call} raised {type(raised).__name__}: {raised}")
        self.call = call
        self.raised = raised
        self.missing_field = missing_field
        """The field the returned state lacks, where reading it raised ``AttributeError``."""
