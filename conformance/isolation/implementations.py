"""The implementations under test, as the judging processes know them: a name, a spec, a host.

A spec is a dotted module name (``mypkg.train``) or a path to a ``.py`` file.
An implementation module defines ``one_step(seed, x, y, lr)``, or a
``TrainState`` class with Flax's API, or both.  The judge never imports it:
each judging process talks to it through a :class:`Connection` to the
process that hosts it (:mod:`conformance.isolation`), and learns what it
defines from that process (:meth:`Implementation.capabilities`).  When it
defines only ``TrainState``, its host builds ``one_step`` from the canonical
recipe with that class, so every one-step property runs on it too.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Any

from conformance.isolation.connection import Connection
from conformance.isolation.descriptions import APPLY_GRADIENTS_ARGUMENTS
from conformance.isolation.service import is_file_spec, spec_name

REFERENCE_SPEC = "conformance.reference.flax_step"
REFERENCE_NAME = "reference"


class ImplementationError(Exception):
    """A spec that cannot be turned into an implementation; the message is one line."""


@dataclasses.dataclass(frozen=True)
class ExtraField:
    """A field of a TrainState class beyond Flax's five, its default, and the value ``create``
    gets for it (:mod:`conformance.properties.extra_fields`)."""

    name: str
    default_kind: str
    """``"bool"``, ``"int"``, ``"float"``, ``"str"``, ``"array"`` (another default, where the
    declaration takes an array), ``"other"`` or ``"missing"``."""
    default: Any = None
    annotation: str = ""
    static: bool = False
    value: str = ""
    """Where the value every ``create`` passes comes from: the module's hook, the suite's
    choice (and which), or the field's default."""

    @property
    def required(self) -> bool:
        return self.default_kind == "missing"


@dataclasses.dataclass(frozen=True)
class TrainStateClass:
    """What the host reported of the module's ``TrainState`` class."""

    name: str
    is_dataclass: bool
    extra_fields: tuple[ExtraField, ...]
    fields_hook: bool = False
    """Whether the module defines ``trainstate_fields(params)``."""
    fields_hook_near_miss: str | None = None
    """A function of the module named like the hook but not it, which the suite does not call."""

    @property
    def drawable_fields(self) -> tuple[ExtraField, ...]:
        """The extra fields the suite may give drawn values: those with a default of a kind it
        can draw (not ``"other"``), where the module gives no particular values (a class may
        need them)."""
        if self.fields_hook:
            return ()
        return tuple(f for f in self.extra_fields if f.default_kind not in ("missing", "other"))

    @property
    def keyword_fields(self) -> tuple[ExtraField, ...]:
        """The drawable fields ``apply_gradients(grads=..., **fields)`` can be given: not one
        named like its own argument (``grads``)."""
        return tuple(f for f in self.drawable_fields if f.name not in APPLY_GRADIENTS_ARGUMENTS)

    def as_json(self) -> dict[str, Any]:
        """The class and the values its extra fields get, as the report gives them."""
        return {
            "name": self.name,
            "fields_hook": self.fields_hook,
            "fields_hook_near_miss": self.fields_hook_near_miss,
            "extra_fields": [
                {
                    "name": f.name,
                    "annotation": f.annotation,
                    "static": f.static,
                    "required": f.required,
                    "value": f.value,
                }
                for f in self.extra_fields
            ],
        }


@dataclasses.dataclass(frozen=True)
class Capabilities:
    origin: str
    one_step_is_built: bool
    train_state: TrainStateClass | None
    import_state_changes: tuple[str, ...] = ()
    """Process-wide settings importing the module changed (``jax_enable_x64``, say)."""

    @property
    def built_from(self) -> TrainStateClass | None:
        """The class the suite built ``one_step`` from by the canonical recipe; ``None`` for a
        module's own ``one_step``."""
        return self.train_state if self.one_step_is_built else None


def _capabilities(data: dict[str, Any]) -> Capabilities:
    train_state = data.get("train_state")
    cls = None
    if isinstance(train_state, dict):
        cls = TrainStateClass(
            name=str(train_state.get("name")),
            is_dataclass=bool(train_state.get("dataclass")),
            extra_fields=tuple(
                ExtraField(
                    str(field["name"]),
                    str(field["default"]["kind"]),
                    field["default"].get("value"),
                    annotation=str(field.get("annotation", "")),
                    static=bool(field.get("static")),
                    value=str(field.get("value", "")),
                )
                for field in train_state.get("extra_fields", [])
            ),
            fields_hook=bool(train_state.get("fields_hook")),
            fields_hook_near_miss=(
                str(train_state["fields_hook_near_miss"])
                if train_state.get("fields_hook_near_miss") is not None
                else None
            ),
        )
    return Capabilities(
        origin=str(data.get("origin")),
        one_step_is_built=bool(data.get("one_step_is_built")),
        train_state=cls,
        import_state_changes=tuple(str(c) for c in data.get("import_state_changes") or ()),
    )


@dataclasses.dataclass(frozen=True, eq=False)
class Implementation:
    """One implementation under test.

    ``name`` is what test ids carry (``test_x[name]``), so ``-k name`` selects it.
    """

    name: str
    spec: str
    connection: Connection
    calls: Counter[str] = dataclasses.field(default_factory=Counter)
    """Calls of ``one_step``, ``create`` and ``apply_gradients`` made in this process so far.

    Counted, not timed, so that what a verdict costs does not depend on the machine."""
    required: frozenset[str] = frozenset()
    """What the assignment requires the module to define (``--trainstate-require``)."""
    answers: OrderedDict[bytes, dict[str, Any]] = dataclasses.field(default_factory=OrderedDict)
    """The answers of this process's calls of ``one_step``, by question
    (:func:`conformance.properties.calling.call_raw`), oldest first."""
    changes_on_importing_call: list[str] = dataclasses.field(default_factory=list)
    """The process-wide changes the first call that imported modules and changed any made, with
    that call's problem,
    whichever property asked it: a lazy first-call set-up runs once per host, and no later
    call shows it (:func:`conformance.properties.calling.call_raw`)."""

    @property
    def location(self) -> str:
        """The absolute path of a file spec, or the dotted module name."""
        return str(Path(self.spec).expanduser().resolve()) if is_file_spec(self.spec) else self.spec

    def capabilities(self) -> Capabilities:
        return _capabilities(self.connection.capabilities())

    def reported_capabilities(self) -> Capabilities | None:
        """The capabilities if its process has reported them; ``None`` otherwise (nothing is
        started to find out)."""
        reported = self.connection.reported()
        return None if reported is None else _capabilities(reported)

    def __repr__(self) -> str:
        return f"<implementation {self.name} from {self.spec}>"

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(repr(self))  # type: ignore[attr-defined]


def check_specs(specs: list[str]) -> list[tuple[str, str]]:
    """``(name, spec)`` for each spec, refusing missing files and two specs with one name.

    ``reference``, the name the built-in reference's test ids carry, names it as a spec too.
    Nothing is imported: whether a module imports is for its own process to find out.
    """
    named: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for given in specs:
        # The repository has a top-level reference/ package, but it is installed as
        # conformance.reference: a bare "reference" would import nothing in a host.
        spec = REFERENCE_SPEC if given == REFERENCE_NAME else given
        if is_file_spec(spec) and not Path(spec).expanduser().is_file():
            raise ImplementationError(f"--trainstate-impl {spec}: no such file")
        name = REFERENCE_NAME if spec == REFERENCE_SPEC else spec_name(spec)
        if name in seen:
            raise ImplementationError(
                f"--trainstate-impl {spec}: its name {name!r} is already taken by "
                f"--trainstate-impl {seen[name]}; "
                "rename one of the files"
            )
        seen[name] = spec
        named.append((name, spec))
    return named
