"""Repro snippets: a standalone Python block attached to every failing property.

The snippet rebuilds the failing inputs bit for bit (arrays as base64 of their
bytes with their dtype; Python floats by ``repr``, which round-trips exactly),
imports the implementation into the Python it is pasted into (it is the
user's own code), calls it and the reference on each, and prints both, so a
failure can be replayed in a notebook or under a debugger without Hypothesis
or pytest.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from conformance.failures import CallAborted
from conformance.implementations import Implementation
from conformance.strategies.problems import Problem


def _scalar(value: object) -> str:
    if isinstance(value, np.generic):
        kind = type(value).__name__
        python_value = value.item()
        return f"np.{kind}({python_value!r})"
    return repr(value)


def _array(a: np.ndarray) -> str:
    data = base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")
    return f'_array("{data}", "{a.dtype.str}", {a.shape!r})'


def snippet(impl: Implementation, property_name: str, calls: list[tuple[str, Problem]]) -> str:
    """Python source that replays ``calls`` on ``impl`` and on the reference."""
    lines = [
        f"# Reproduce {property_name} for {impl.name}: paste into Python and run.",
        "import base64",
        "import numpy as np",
        "from conformance.isolation.service import Service",
        "from conformance.reference.flax_step import one_step as reference_one_step",
        "",
        "def _array(data, dtype, shape):",
        "    return np.frombuffer(base64.b64decode(data), dtype=dtype).reshape(shape).copy()",
        "",
        f"impl = Service.load({impl.location!r})  # one_step, or built from its TrainState",
        "calls = {",
    ]
    for label, problem in calls:
        lines.append(
            f"    {label!r}: ({_scalar(problem.seed)}, {_array(problem.x)}, "
            f"{_array(problem.y)}, {_scalar(problem.lr)}),"
        )
    lines += [
        "}",
        "for name, (seed, x, y, lr) in calls.items():",
        '    print(name, "implementation:", impl.one_step(seed, x.copy(), y.copy(), lr))',
        '    print(name, "reference:     ", reference_one_step(seed, x, y, lr))',
    ]
    return "\n".join(lines)


@contextmanager
def reproducible(
    impl: Implementation, property_name: str, *calls: tuple[str, Problem]
) -> Iterator[None]:
    """On failure inside the block, attach a repro snippet of ``calls`` to the exception."""
    try:
        yield
    except (Exception, CallAborted) as exc:
        exc.add_note("\n" + snippet(impl, property_name, list(calls)))
        raise
