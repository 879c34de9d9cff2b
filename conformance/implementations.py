"""Loading the implementations under test from ``--impl`` specs.

A spec is a dotted module name (``mypkg.train``) or a path to a ``.py`` file.
An implementation module defines ``one_step(seed, x, y, lr)``, or a
``TrainState`` class with Flax's API, or both.  When it defines only
``TrainState``, ``one_step`` is built from the canonical recipe with that class,
so every one-step property runs on it too.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

REFERENCE_SPEC = "reference.flax_step"
REFERENCE_NAME = "reference"

OneStep = Callable[[Any, Any, Any, Any], Any]
"""``one_step(seed, x, y, lr)``: ``x`` and ``y`` are NumPy arrays."""


class ImplementationError(Exception):
    """A spec that cannot be turned into an implementation; the message is one line."""


@dataclass(frozen=True)
class Implementation:
    """One implementation under test.

    ``name`` is what test ids carry (``test_x[name]``), so ``-k name`` selects it.
    ``one_step`` is the module's own function, or the one built from its
    ``TrainState``; ``one_step_is_built`` says which.
    """

    name: str
    spec: str
    module: ModuleType
    one_step: OneStep
    train_state: type | None
    one_step_is_built: bool

    @property
    def origin(self) -> str:
        return getattr(self.module, "__file__", None) or self.spec

    def __repr__(self) -> str:
        return f"<implementation {self.name} from {self.spec}>"

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(repr(self))  # type: ignore[attr-defined]


def _import_spec(spec: str) -> tuple[str, ModuleType]:
    if spec.endswith(".py") or "/" in spec or "\\" in spec:
        path = Path(spec).expanduser()
        if not path.is_file():
            raise ImplementationError(f"--impl {spec}: no such file")
        module_name = f"_trainstate_impl_{path.stem}_{abs(hash(str(path.resolve()))):x}"
        loader_spec = importlib.util.spec_from_file_location(module_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ImplementationError(f"--impl {spec}: cannot be imported as a Python file")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[module_name] = module
        try:
            loader_spec.loader.exec_module(module)
        except BaseException as exc:
            sys.modules.pop(module_name, None)
            raise ImplementationError(
                f"--impl {spec}: importing it raised {type(exc).__name__}: {_one_line(exc)}"
            ) from exc
        return path.stem, module
    try:
        module = importlib.import_module(spec)
    except ModuleNotFoundError as exc:
        if exc.name is not None and spec.startswith(exc.name):
            raise ImplementationError(f"--impl {spec}: no module named {exc.name!r}") from exc
        raise ImplementationError(
            f"--impl {spec}: importing it raised ModuleNotFoundError: {_one_line(exc)}"
        ) from exc
    except BaseException as exc:
        raise ImplementationError(
            f"--impl {spec}: importing it raised {type(exc).__name__}: {_one_line(exc)}"
        ) from exc
    return spec.rsplit(".", 1)[-1], module


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else repr(exc)


def load(spec: str) -> Implementation:
    """Import ``spec`` and check that it offers something to test."""
    name, module = _import_spec(spec)
    if spec == REFERENCE_SPEC:
        name = REFERENCE_NAME
    one_step = getattr(module, "one_step", None)
    train_state = getattr(module, "TrainState", None)
    if one_step is not None and not callable(one_step):
        raise ImplementationError(f"--impl {spec}: one_step is not callable")
    if train_state is not None and not isinstance(train_state, type):
        raise ImplementationError(f"--impl {spec}: TrainState is not a class")
    if one_step is None and train_state is None:
        raise ImplementationError(f"--impl {spec}: defines neither one_step nor TrainState")
    built = one_step is None
    if built:
        from reference.recipe import one_step_from_train_state

        one_step = one_step_from_train_state(train_state)
    return Implementation(
        name=name,
        spec=spec,
        module=module,
        one_step=one_step,
        train_state=train_state,
        one_step_is_built=built,
    )


def load_all(specs: list[str]) -> list[Implementation]:
    """Load every spec; names must be unique because they are the test ids."""
    impls = [load(spec) for spec in specs]
    seen: dict[str, str] = {}
    for impl in impls:
        if impl.name in seen:
            raise ImplementationError(
                f"--impl {impl.spec}: its name {impl.name!r} is already taken by "
                f"--impl {seen[impl.name]}; rename one of the files"
            )
        seen[impl.name] = impl.spec
    return impls
