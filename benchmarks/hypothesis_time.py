"""A pytest plugin for ``speed.py``: how much of each property's time is Hypothesis's own.

Loaded with ``-p hypothesis_time`` (``benchmarks/`` on ``PYTHONPATH``), with
``HYPOTHESIS_TIME_DIR`` naming a directory where every process writes one JSON
file.  For each property it records the wall time of the call, the examples
run, the time inside the test body (Hypothesis's inner test, which receives
the drawn arguments), and the part of that body time spent in the draws the
body itself makes (``st.data()``).

What remains, the call minus the body plus the body's draws, is Hypothesis's
own work: every draw the property makes, with its real strategies, and the
engine's bookkeeping between examples.  It is what the property would cost
with an empty body, so examples over that time is the bare draw rate of
exactly what the suite draws, measured in the run itself.

The body's draws are read from ``data.draw_times``, where Hypothesis records
every draw of an example (it reports them as "in data generation" in
``--hypothesis-show-statistics``); that attribute is internal to Hypothesis,
which is acceptable for a benchmark but not for the suite.
"""

from __future__ import annotations

import functools
import json
import math
import os
import time
from collections.abc import Generator
from pathlib import Path

import pytest

ENV_VAR = "HYPOTHESIS_TIME_DIR"

_records: list[dict[str, object]] = []


def _draw_time() -> float:
    from hypothesis.control import current_build_context

    return math.fsum(current_build_context().data.draw_times.values())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    if handle is None:
        return (yield)
    record = {"nodeid": item.nodeid, "examples": 0, "body": 0.0, "body_draws": 0.0}
    inner = handle.inner_test

    @functools.wraps(inner)
    def timed(*args: object, **kwargs: object) -> object:
        draws_before = _draw_time()
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            record["body"] += time.perf_counter() - start  # type: ignore[operator]
            record["body_draws"] += _draw_time() - draws_before  # type: ignore[operator]
            record["examples"] += 1  # type: ignore[operator]

    handle.inner_test = timed
    start = time.perf_counter()
    try:
        return (yield)
    finally:
        record["call"] = time.perf_counter() - start
        handle.inner_test = inner
        _records.append(record)


def pytest_sessionfinish(session: pytest.Session) -> None:
    directory = os.environ.get(ENV_VAR)
    if directory and _records:
        path = Path(directory) / f"{os.getpid()}.json"
        path.write_text(json.dumps(_records))


def hypothesis_seconds(record: dict[str, float]) -> float:
    """Hypothesis's own time in one property's call: all of it but the body's own work."""
    return record["call"] - record["body"] + record["body_draws"]
