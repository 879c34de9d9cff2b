"""Process-wide changes made by the implementation's own code, told apart from its imports'.

A call that imports modules is not held to Python's generator, the
environment, the root logger, ``logging.disable`` or the warnings filters: an
installed library may set those up once when it is first imported
(``orbax.checkpoint`` adds a handler to the root logger, ``rich`` draws from
``random``).  The implementation's own code is held to them always, on its
first call and at its import too: while it is imported and called, the
functions that make those changes are wrapped, and a call of one of them
from a file of the implementation is recorded with its place.  "From a file
of the implementation" is the nearest caller outside the standard library, so
``os.environ.update(...)`` counts, and a library's ``random.seed`` does not.

This runs in the implementation's own process, as every host report does:
code that means to hide can unwrap the functions (see the trust model).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import os
import random
import sys
import sysconfig
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import numpy as np

_STANDARD_LIBRARY = tuple(
    str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("stdlib", "platstdlib")
)
_INSTALLED = tuple(
    str(Path(path).resolve())
    for path in (
        sys.prefix,
        sys.base_prefix,
        *(sysconfig.get_paths()[key] for key in ("purelib", "platlib")),
    )
)

_SUITE_PACKAGES = ("conformance", "conformance.reference", "conformance.strategies")


@functools.cache
def _suite_directories() -> tuple[str, ...]:
    """The suite's own packages (installed side by side or not), whose code (the recipe that
    builds ``one_step`` from a class) runs inside a call: never the implementation's,
    wherever that lies."""
    found = []
    for name in _SUITE_PACKAGES:
        spec = importlib.util.find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec is not None else []:
            found.append(str(Path(location).resolve()) + os.sep)
    return tuple(found)


_records: dict[str, str] | None = None
"""Where the watched functions record, while a window is open; ``None`` outside one."""
_own: tuple[str, ...] = ()
"""The directory of the implementation being watched."""
_not_own: tuple[str, ...] = ()
"""The installation's directories within it (a virtual environment inside a project)."""


def own_directory(module: ModuleType) -> str | None:
    """The directory of ``module``'s file, where its helpers live too; ``None`` where the module
    has no file."""
    file = getattr(module, "__file__", None)
    return str(Path(file).resolve().parent) if file else None


def _caller(frame: FrameType | None) -> FrameType | None:
    """The nearest frame outside the standard library (``os.environ.update`` calls
    ``__setitem__`` from ``_collections_abc``); ``None`` where that is the import machinery:
    a C extension's initialisation (jaxlib's sets environment variables) runs with no frame
    of its own, right under the ``import`` statement that loads it."""
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith("<frozen importlib"):
            return None
        if not name.startswith(("<frozen", *_STANDARD_LIBRARY)):
            return frame
        frame = frame.f_back
    return None


def _watched(owner: Any, name: str, kind: str, shown: str) -> Callable[..., Any]:
    function = getattr(owner, name)

    def watched(*args: Any, **kwargs: Any) -> Any:
        # A Logger method counts on the root logger only: a module's own logger is its own.
        on_root = owner is not logging.Logger or (args and args[0] is logging.getLogger())
        if _records is not None and _own and on_root:
            frame = _caller(sys._getframe(1))
            if frame is not None:
                path = str(Path(frame.f_code.co_filename).resolve())
                if path.startswith(_own) and not path.startswith(_not_own):
                    _records.setdefault(kind, f"{shown} at {Path(path).name}:{frame.f_lineno}")
        return function(*args, **kwargs)

    watched.__wrapped__ = function  # type: ignore[attr-defined]
    return watched


KINDS = (
    "python_rng",
    "numpy_rng",
    "root_logger",
    "logging_disabled",
    "warnings",
    "environment",
)
"""The kinds of change watched, as :class:`~conformance.isolation.service.ProcessFacts` and
:func:`~conformance.isolation.service.captured` name them."""

_WATCHED: tuple[tuple[Any, str, str, str], ...] = (
    (random, "seed", "python_rng", "random.seed()"),
    (np.random, "seed", "numpy_rng", "np.random.seed()"),
    (logging, "basicConfig", "root_logger", "logging.basicConfig()"),
    (logging.Logger, "addHandler", "root_logger", "root.addHandler()"),
    (logging.Logger, "setLevel", "root_logger", "root.setLevel()"),
    (logging, "disable", "logging_disabled", "logging.disable()"),
    (warnings, "simplefilter", "warnings", "warnings.simplefilter()"),
    (warnings, "filterwarnings", "warnings", "warnings.filterwarnings()"),
    (type(os.environ), "__setitem__", "environment", "os.environ[...] = ..."),
    (type(os.environ), "__delitem__", "environment", "del os.environ[...]"),
)


@contextlib.contextmanager
def watching(directory: str | None) -> Iterator[dict[str, str]]:
    """Record, in the dict yielded, the first call of each kind (:data:`KINDS`) of watched
    function that code under ``directory`` makes inside the block, with its place (nothing
    where ``directory`` is ``None``).  A call is not a change: one that is undone (a filter
    inside ``warnings.catch_warnings()``) is recorded too, and the caller judges by what
    changed."""
    global _records, _own, _not_own
    records: dict[str, str] = {}
    if directory is None:
        yield records
        return
    originals = [(owner, name, getattr(owner, name)) for owner, name, _, _ in _WATCHED]
    for owner, name, kind, shown in _WATCHED:
        setattr(owner, name, _watched(owner, name, kind, shown))
    own = directory + os.sep
    # An installed package is its own implementation (its directory lies in site-packages);
    # a project's own virtual environment is not (it lies in the project's directory).
    installed = [path + os.sep for path in (*_INSTALLED, *_STANDARD_LIBRARY)]
    not_own = (*(path for path in installed if not own.startswith(path)), *_suite_directories())
    _records, _own, _not_own = records, (own,), not_own
    try:
        yield records
    finally:
        _records, _own, _not_own = None, (), ()
        for owner, name, original in originals:
            setattr(owner, name, original)
