"""The regression corpus: failing examples saved as JSON lines and replayed on every run.

``--trainstate-corpus PATH`` names a file (commit it next to the implementation).  When a
property fails, the minimal falsifying inputs are appended as one record::

    {"implementation": "my_step", "property": "step_after_is_exactly_one",
     "inputs": {"problem": {...}, ...}}

and every later run calls the property with each matching record *before*
Hypothesis draws anything, so a fixed bug that comes back fails at once, on
the exact inputs, whatever the Hypothesis database or seed.  Arrays are
stored as base64 of their bytes with dtype and shape, floats with
``float.hex``, pytrees with their containers (``dict``, ``FrozenDict``, JAX
or NumPy arrays) and key order: the replay is bit-exact, for the one-step
problems and the TrainState cases alike.  A repro snippet holds the same
record (:mod:`conformance.reporting.repro`).

Only the judging processes read and write the file; implementations never
see its path.  Each record is checked when the file is read: a record whose
inputs the suite's strategies could not have drawn (a problem outside the
contract, a ``threshold`` or ``lr_kind`` that does not fit its data, an input
no property takes) is refused with a usage error, because replaying it could
make a correct implementation fail.  A record names its drawn types
(``TrainStateCase``...) from a fixed list only.
"""

from __future__ import annotations

import base64
import fcntl
import json
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from conformance.isolation.descriptions import REJECTED_KEYWORDS
from conformance.isolation.layouts import LAYOUTS
from conformance.isolation.protocol import ProtocolError
from conformance.isolation.trees import named_params, namedtuple_fields
from conformance.strategies.data import DataDescription
from conformance.strategies.problems import Problem
from conformance.strategies.pytrees import LEAF_KINDS, NON_FINITE_GRADS
from conformance.strategies.seeds import SEED_FORMS
from conformance.strategies.train_state_cases import (
    APPLY_FN_KINDS,
    GRADS_DTYPES,
    LOW_PRECISION_KINDS,
)


class CorpusError(Exception):
    """A corpus file that cannot be read; the message is one line."""


class NotRecordable(Exception):
    """An input with no exact JSON form (a Hypothesis data object, say)."""


_NUMPY_SCALARS: dict[str, type] = {
    t.__name__: t
    for t in (
        *(np.int8, np.int16, np.int32, np.int64),
        *(np.uint8, np.uint16, np.uint32, np.uint64),
        *(np.float16, np.float32, np.float64),
    )
}


def _recordable_cases() -> dict[str, type]:
    """The drawn types a record may hold, by name: a record's name must not choose any
    other class."""
    from conformance.strategies.mismatched_grads import MismatchCase
    from conformance.strategies.optax_catalogue import OptimizerCase
    from conformance.strategies.pytrees import GradSequence, TreeCase
    from conformance.strategies.sequences import CallSequence
    from conformance.strategies.train_state_cases import DenseProblem, ExtraValues, TrainStateCase
    from conformance.strategies.tree_specs import TreeSpec

    kinds = (
        OptimizerCase,
        TreeSpec,
        TreeCase,
        GradSequence,
        MismatchCase,
        TrainStateCase,
        ExtraValues,
        DenseProblem,
        CallSequence,
    )
    return {kind.__name__: kind for kind in kinds}


def _array(value: np.ndarray) -> dict[str, object]:
    data = base64.b64encode(np.ascontiguousarray(value).tobytes()).decode("ascii")
    return {"__array__": data, "dtype": value.dtype.str, "shape": list(value.shape)}


def _encode(value: object) -> object:
    import jax
    from flax.core import FrozenDict

    if isinstance(value, Problem):
        return {"__problem__": {f.name: _encode(getattr(value, f.name)) for f in fields(value)}}
    if isinstance(value, DataDescription):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    if type(value).__name__ in _recordable_cases() and is_dataclass(value):
        return {
            "__case__": type(value).__name__,
            "fields": {f.name: _encode(getattr(value, f.name)) for f in fields(value)},
        }
    if isinstance(value, np.ndarray):
        return _array(value)
    if isinstance(value, jax.Array):
        return {"__jax__": _array(np.asarray(value))}
    if isinstance(value, np.generic):
        return {"__numpy__": type(value).__name__, "value": _encode(value.item())}
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return {"__float__": value.hex()}
    if isinstance(value, FrozenDict):
        return {"__frozen__": [[k, _encode(v)] for k, v in value.items()]}  # type: ignore[no-untyped-call]
    if isinstance(value, dict):
        return {"__dict__": [[k, _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        named = namedtuple_fields(value)
        if named is not None:
            return {"__namedtuple__": list(named), "children": [_encode(v) for v in value]}
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    raise NotRecordable(type(value).__name__)


def _decode_array(value: dict[str, Any]) -> np.ndarray:
    data = base64.b64decode(value["__array__"])
    return np.frombuffer(data, dtype=value["dtype"]).reshape(value["shape"]).copy()


def _decode(value: Any) -> object:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__problem__" in value:
        raw: dict[str, Any] = {k: _decode(v) for k, v in value["__problem__"].items()}
        raw["description"] = DataDescription(**value["__problem__"]["description"])
        return Problem(**raw)
    if "__case__" in value:
        kind = _recordable_cases()[value["__case__"]]
        return kind(**{k: _decode(v) for k, v in value["fields"].items()})
    if "__array__" in value:
        return _decode_array(value)
    if "__jax__" in value:
        import jax

        return jax.device_put(_decode_array(value["__jax__"]))
    if "__numpy__" in value:
        # Only NumPy's scalar types: the name must not choose any other callable.
        kind = _NUMPY_SCALARS[value["__numpy__"]]
        return kind(_decode(value["value"]))
    if "__float__" in value:
        return float.fromhex(value["__float__"])
    if "__frozen__" in value:
        from flax.core import FrozenDict

        return FrozenDict({k: _decode(v) for k, v in value["__frozen__"]})  # type: ignore[no-untyped-call]
    if "__dict__" in value:
        return {k: _decode(v) for k, v in value["__dict__"]}
    if "__namedtuple__" in value:
        return named_params(value["__namedtuple__"], [_decode(v) for v in value["children"]])
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    return {k: _decode(v) for k, v in value.items()}


def record(implementation: str, prop: str, inputs: dict[str, object]) -> str:
    """One corpus line; raises :class:`NotRecordable` when an input has no JSON form."""
    encoded = {name: _encode(value) for name, value in sorted(inputs.items())}
    return json.dumps(
        {"implementation": implementation, "property": prop, "inputs": encoded}, sort_keys=True
    )


def _int32(value: object) -> bool:
    from conformance.reference.validation import INT32_MAX, INT32_MIN

    return (
        isinstance(value, int) and not isinstance(value, bool) and INT32_MIN <= value <= INT32_MAX
    )


def _fields(value: object) -> bool:
    from conformance.isolation.descriptions import CANONICAL_FIELDS

    names = list(value) if isinstance(value, (list, tuple)) else []
    return 1 <= len(names) == len(set(names)) and all(n in CANONICAL_FIELDS for n in names)


SCALAR_INPUTS: dict[str, Callable[[object], bool]] = {
    "alias_form": lambda v: v in SEED_FORMS,
    "alias_fraction": lambda v: isinstance(v, float) and 0.0 < abs(v) <= 0.999,
    "permutation_seed": lambda v: isinstance(v, int) and 0 <= v < 2**32,
    "other_seed": _int32,
    "new_step": lambda v: _int32(v) and 1 <= v <= 1000,  # type: ignore[operator]
    "value": lambda v: _int32(v) and 1 <= v <= 1000,  # type: ignore[operator]
    "field": lambda v: _fields([v]),
    "fields": _fields,
    "bare": lambda v: isinstance(v, bool),
    "layout": lambda v: v in LAYOUTS,
    "dtypes": lambda v: v in LOW_PRECISION_KINDS,
    "grads_dtype": lambda v: v in GRADS_DTYPES,
    "apply_fn": lambda v: v in APPLY_FN_KINDS,
    "keyword": lambda v: v in REJECTED_KEYWORDS,
    "non_finite": lambda v: v in NON_FINITE_GRADS,
    "leaves": lambda v: v in LEAF_KINDS,
}
"""The plain inputs the properties draw beside their cases, and their domains.  A drawn
case (a ``Problem``, a ``TrainStateCase``...) checks itself: ``inconsistency()``."""


def refusal(entry: object) -> str | None:
    """Why ``entry`` is not a record the suite writes, or ``None``."""
    if not isinstance(entry, dict) or not isinstance(entry.get("inputs"), dict):
        return "not a record with inputs"
    if not all(isinstance(entry.get(key), str) for key in ("implementation", "property")):
        return "no implementation or property"
    try:
        inputs = inputs_of(entry)
    except (KeyError, TypeError, ValueError, AttributeError, ProtocolError) as exc:
        return f"undecodable inputs ({type(exc).__name__}: {exc})"
    for name, value in inputs.items():
        check = getattr(value, "inconsistency", None)
        if callable(check):
            why = check()
            if why is not None:
                return f"its {name} cannot be drawn: {why}"
        elif name not in SCALAR_INPUTS or not SCALAR_INPUTS[name](value):
            return f"{name}={value!r} is not an input the properties draw"
    return None


def load(path: Path) -> list[dict[str, Any]]:
    """The records of a corpus file, checked; a missing file is an empty corpus."""
    if not path.exists():
        return []
    try:
        lines = path.read_text().splitlines()
        records = [
            (number, json.loads(line)) for number, line in enumerate(lines, 1) if line.strip()
        ]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(
            f"--trainstate-corpus {path}: cannot read it ({type(exc).__name__}: {exc})"
        ) from None
    for number, entry in records:
        why = refusal(entry)
        if why is not None:
            raise CorpusError(f"--trainstate-corpus {path}:{number}: refused: {why}")
    return [entry for _, entry in records]


def inputs_of(entry: dict[str, Any]) -> dict[str, object]:
    return {name: _decode(value) for name, value in entry["inputs"].items()}


def append(path: Path, line: str) -> None:
    """Add ``line`` unless it is already there; xdist workers share the file, hence the lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            if line not in (existing.rstrip("\n") for existing in handle):
                handle.write(line + "\n")
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
