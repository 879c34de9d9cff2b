"""Repro snippets: a standalone Python block attached to every failing property, and what it runs.

A snippet holds the failing inputs as a corpus record (:mod:`conformance.reporting.corpus`:
arrays as base64 of their bytes with dtype and shape, floats by ``float.hex``),
so it rebuilds them bit for bit, and calls :func:`replay`.  That runs the
property's own code once on those inputs, with no Hypothesis and no pytest,
and so ends with the same ``AssertionError`` and message as the failure did.
The same record in a corpus file makes every later run try those inputs first.

By default :func:`replay` imports the implementation into the Python the
snippet is pasted into, so that a debugger can step into it: it is your own
code.  ``isolated=True`` hosts it in its own process, sandboxed where the
machine allows, as the suite does (for a submission you do not trust).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from conformance.isolation.implementations import REFERENCE_NAME, REFERENCE_SPEC, Implementation

# The corpus (NumPy, the strategies) is imported where it is used: the verdicts module imports
# REPRO_HEADER from here in every pytest session, the suite's or not.

__all__ = ["REPRO_HEADER", "replay", "snippet"]

REPRO_HEADER = "# Reproduce "
"""How a snippet begins: the report finds it among an exception's notes by this."""

SHOWN_CHARS = 400
"""How much of each input's ``repr`` the snippet's comment shows (the record is exact)."""

_REPLAYING: ContextVar[bool] = ContextVar("replaying", default=False)


def property_name(function_name: str) -> str:
    """A property's name in verdicts, reports and corpus records: its function's, less ``test_``."""
    return function_name.removeprefix("test_")


def snippet(impl: Implementation, test: Callable[..., object], inputs: Mapping[str, object]) -> str:
    """Python source that runs ``test`` on ``impl`` with ``inputs`` again.

    Raises :class:`conformance.reporting.corpus.NotRecordable` for an input with no exact
    form in a record.
    """
    from conformance.reporting import corpus

    record = corpus.record(impl.name, property_name(test.__name__), dict(inputs))
    lines = [
        f"{REPRO_HEADER}{test.__name__} for {impl.name}: paste into Python and run.",
        "# It runs the property once on the failing inputs and raises its AssertionError:",
    ]
    for name, value in sorted(inputs.items()):
        shown = repr(value)
        if len(shown) > SHOWN_CHARS:
            shown = shown[:SHOWN_CHARS] + " ..."
        lines.append(f"#   {name} = {shown}".replace("\n", " "))
    lines += [
        "from conformance.reporting.repro import replay",
        "",
        "replay(",
        f"    {impl.location!r},",
        f"    {test.__module__ + ':' + test.__name__!r},",
        f"    {record!r},",
        ")",
    ]
    return "\n".join(lines)


@contextmanager
def attached_to_failures(
    impl: Implementation, test: Callable[..., object], inputs: Mapping[str, object]
) -> Iterator[None]:
    """On a failure inside the block, add :func:`snippet` to the exception's notes.

    Hypothesis's own control flow and "does not apply" are not failures.
    """
    from hypothesis.errors import HypothesisException

    from conformance.isolation.failures import CallAborted
    from conformance.properties.not_applicable import DoesNotApply
    from conformance.reporting import corpus

    try:
        yield
    except (HypothesisException, DoesNotApply):
        raise
    except (Exception, CallAborted) as exc:
        if not _REPLAYING.get():
            with suppress(corpus.NotRecordable):
                exc.add_note("\n" + snippet(impl, test, inputs))
        raise


def _property(target: str) -> Callable[..., object]:
    module_name, _, function = target.partition(":")
    test = getattr(importlib.import_module(module_name), function)
    inner = getattr(getattr(test, "hypothesis", None), "inner_test", None)
    if inner is None:
        raise ValueError(f"{target} is not a property of the suite")
    return inner  # type: ignore[no-any-return]


def replay(
    implementation: str,
    target: str,
    record: str,
    *,
    isolated: bool = False,
    call_timeout: float = 300.0,
) -> None:
    """Run the property ``target`` (``module:function``) on ``implementation`` with
    the inputs of ``record`` (a corpus line); its failure propagates.

    ``implementation`` is a ``.py`` path or a dotted module name, as for
    ``--trainstate-impl``.  Prints what happened when the property passes or
    does not apply.
    """
    from conformance.isolation.connection import Connection, Host, InProcessHost
    from conformance.isolation.launcher import choose
    from conformance.isolation.service import spec_name
    from conformance.properties.not_applicable import DoesNotApply
    from conformance.reporting import corpus

    entry = json.loads(record)
    why = corpus.refusal(entry)
    if why is not None:
        raise ValueError(f"the record is refused: {why}")
    inputs = corpus.inputs_of(entry)
    test = _property(target)
    name = REFERENCE_NAME if implementation == REFERENCE_SPEC else spec_name(implementation)
    connection: Connection
    if isolated:
        chosen = choose(
            "auto",
            in_process=False,
            memory_limit=0,
            hidden=(),
            readable_paths=[*sys.path, implementation],
        )
        connection = Host(name, implementation, chosen, call_timeout)
    else:
        connection = InProcessHost(name, implementation, call_timeout)
    connection.start()
    token = _REPLAYING.set(True)
    try:
        test(impl=Implementation(name, implementation, connection), **inputs)
    except DoesNotApply as exc:
        print(f"{target} does not apply to {name}: {exc}")
    else:
        print(
            f"{target} passed on these inputs for {name}: the failure did not come back "
            "(if it depends on calls made before it, the implementation keeps state between "
            "calls, which test_determinism.py looks for)"
        )
    finally:
        _REPLAYING.reset(token)
        connection.stop()
