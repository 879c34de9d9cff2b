"""Per-property verdicts: collected from test reports, printed as a matrix, saved as JSON.

Each conformance test report carries, in ``user_properties`` (which xdist ships
from the workers to the controller), the implementation, the property, how many
examples ran and at which one the first failure came, the repro snippet and
falsifying example from the exception's notes, whether the property did not
apply, and what its verdict rests on.  The controller merges them, so the
matrix is the same with and without ``-n``.

An implementation's overall verdict (:func:`overall`):

- ``DOES NOT CONFORM``: a property failed, or was blocked (it could not judge
  because a more basic call failed: :mod:`conformance.properties.blocked`);
- ``INCOMPLETE``: none failed, but a property that applies to it did not run
  to the end: skipped for any reason but a known-deviation file
  (``--impl-maxfail``, say), or not selected (``-k``, ``-m``);
- ``CONFORMS``: every property that applies ran and passed (or is a declared
  known deviation).  "Does not apply" (the TrainState properties for a
  module with only ``one_step``) is a status of its own and counts for neither.

JSON report (``--trainstate-report PATH``), schema version 5::

    {"schema": "trainstate-conformance/report", "schema_version": 5,
     "suite_version": str, "library_versions": {name: version},
     "hypothesis_profile": str, "hypothesis_seed": str | null,
     "isolation": str, "verdict_budget": float | null,
     "platform": {"judge": "cpu", "hosts": str, "device": "cpu" | "accelerator",
                  "matmul_precision": str, "matmul_precision_source": str},
     "implementations": [{"name", "spec", "verdict", "not_selected": [property],
                          "train_state": null | {"name", "fields_hook": bool,
                              "fields_hook_near_miss": str | null,
                              "extra_fields": [{"name", "annotation", "static": bool,
                                                "required": bool, "value": str}]}}],
     "results": [{"implementation", "property", "nodeid",
                  "status": "passed" | "failed" | "blocked" | "skipped"
                            | "known-deviation" | "not-applicable",
                  "blocked_by": str | null,
                  "evidence": "judge" | "implementation-process",
                  "message": str | null, "examples": int | null,
                  "first_failure_at": int | null,
                  "falsifying_example": str | null, "repro": str | null,
                  "calls": {"one_step" | "create" | "apply_gradients": int} | null,
                  "not_run": int | null, "markers": [str] | null}]}

``calls`` counts the calls into the implementation the property made, shrinking
included: what the verdict cost, in a unit that does not depend on the machine.
``not_run`` counts the draws Hypothesis made that were not run because the
property's share of ``--trainstate-verdict-budget`` was spent (the header's
``verdict_budget``, in seconds, or null); ``examples`` are those that ran.

``blocked_by`` is, for a blocked property, the failure that blocked it (a
call and what it raised, without the input), the same text for every property
it blocked; pytest reports a blocked property as an error (JUnit ``<error>``).

``train_state`` is the module's ``TrainState`` class as its process reported it
when the module was loaded (``module_imports`` carries it, so it is null when
that property did not run), with each extra field's value: where the value
every ``create`` of the suite passes comes from (the module's
``trainstate_fields``, the suite's choice, the class's own ``create``, the
default).  ``fields_hook_near_miss`` names a function of the module that looks
meant as ``trainstate_fields`` but is not called, being named otherwise.

``markers`` are the suite's markers the property carries (its family, and where
it comes in the run order: :func:`conformance.plugin.collection.run_rank`).

``evidence`` says what a verdict rests on: ``judge`` when only on the values
the implementation returned, compared in the judging process;
``implementation-process`` when also on facts the suite's code observed
inside the implementation's own process (an exception raised, an object's
identity, a refused assignment), which a tampering implementation could
falsify there (see the README's trust model).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import cast

import pytest

from conformance.reporting.known_deviations import is_known_deviation
from conformance.reporting.repro import REPRO_HEADER

SCHEMA = "trainstate-conformance/report"
SCHEMA_VERSION = 5
KEY_PREFIX = "trainstate_"
CLASS_KEY = KEY_PREFIX + "train_state_class"
"""The ``user_properties`` entry of ``module_imports`` that describes the module's class."""
STATUS_MARKS = {
    "passed": "pass",
    "failed": "FAIL",
    "blocked": "blocked",
    "skipped": "skip",
    "known-deviation": "known",
    "not-applicable": "n/a",
}
OBSERVED_MARK = "*"
JUDGE = "judge"
IMPLEMENTATION_PROCESS = "implementation-process"
CONFORMS, DOES_NOT_CONFORM, INCOMPLETE = "CONFORMS", "DOES NOT CONFORM", "INCOMPLETE"


@dataclass
class ExampleCount:
    """Examples a property ran for one implementation, the index of the first failure, and
    the calls into the implementation they made (``{"one_step": n}``, say)."""

    examples: int = 0
    first_failure_at: int | None = None
    calls: dict[str, int] = field(default_factory=dict)
    not_run: int = 0
    """Draws not run because the property's share of ``--trainstate-verdict-budget`` was spent."""


@dataclass(frozen=True)
class Verdict:
    implementation: str
    property: str
    nodeid: str
    status: str
    evidence: str
    message: str | None
    examples: int | None
    first_failure_at: int | None
    falsifying_example: str | None
    repro: str | None
    calls: dict[str, int] | None = None
    not_run: int | None = None
    markers: list[str] | None = None
    blocked_by: str | None = None


def report_properties(
    impl_name: str,
    property_name: str,
    count: ExampleCount | None,
    error: BaseException | None,
    *,
    not_applicable: bool,
    evidence: str,
    markers: list[str],
    blocked_by: str | None = None,
) -> list[tuple[str, object]]:
    """The ``user_properties`` entries a worker attaches to a conformance test's report.

    For a group of distinct failures (Hypothesis's ``ExceptionGroup``) the first
    member speaks for the group, so the message says what went wrong.
    """
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    message = None
    if error is not None:
        text = str(error).strip().splitlines()
        message = f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
    repro = falsifying = None
    # A skip (a property that does not apply, say) falsifies nothing, whatever notes
    # Hypothesis added to it on the way out.
    notes = [] if isinstance(error, pytest.skip.Exception) else getattr(error, "__notes__", [])
    for note in notes:
        text = note.strip()
        if text.startswith(REPRO_HEADER) and repro is None:
            repro = text
        # "Falsifying example: ..." before Hypothesis 6.16x, "Failing example: ..." after.
        elif text.startswith(("Falsifying", "Failing")) and falsifying is None:
            falsifying = text
    return [
        (KEY_PREFIX + "impl", impl_name),
        (KEY_PREFIX + "property", property_name),
        (KEY_PREFIX + "examples", None if count is None else count.examples),
        (KEY_PREFIX + "first_failure_at", None if count is None else count.first_failure_at),
        (KEY_PREFIX + "calls", None if count is None else dict(count.calls)),
        (KEY_PREFIX + "not_run", None if count is None else count.not_run),
        (KEY_PREFIX + "markers", markers),
        (KEY_PREFIX + "repro", repro),
        (KEY_PREFIX + "falsifying", falsifying),
        (KEY_PREFIX + "message", message),
        (KEY_PREFIX + "not_applicable", not_applicable),
        (KEY_PREFIX + "evidence", evidence),
        (KEY_PREFIX + "blocked_by", blocked_by),
    ]


_PARAMETRIZED_TEST = re.compile(r"::test_(?P<property>\w+)\[(?P<impl>[^\]]+)\]$")


def _crashed_worker_properties(report: pytest.TestReport) -> dict[str, object]:
    """xdist's report for a test whose worker died carries no user properties: read the id."""
    match = _PARAMETRIZED_TEST.search(report.nodeid)
    if not (report.failed and match and "crashed while running" in str(report.longrepr)):
        return {}
    return {"impl": match["impl"], "property": match["property"]}


def verdict_from_report(report: pytest.TestReport) -> Verdict | None:
    """The verdict a report carries, or ``None`` for reports that decide nothing."""
    props = {k[len(KEY_PREFIX) :]: v for k, v in report.user_properties if k.startswith(KEY_PREFIX)}
    crashed = "impl" not in props
    if crashed:
        props = _crashed_worker_properties(report)
    if "impl" not in props:
        return None
    decisive = crashed or report.when == "call" or (report.when == "setup" and not report.passed)
    if not decisive:
        return None
    message: str | None
    if props.get("blocked_by"):
        status, message = "blocked", str(report.longrepr).removeprefix("Blocked: ")
    elif report.skipped and hasattr(report, "wasxfail"):
        status, message = "known-deviation", str(report.wasxfail) or None
    elif report.skipped:
        longrepr = report.longrepr
        message = skip_reason(longrepr[2] if isinstance(longrepr, tuple) else str(longrepr))
        if props.get("not_applicable"):
            status = "not-applicable"
        else:
            status = "known-deviation" if is_known_deviation(message) else "skipped"
    elif report.failed:
        # report_properties puts a str or None under "message".
        status, message = (
            "failed",
            cast("str | None", props.get("message")) or _crash_message(report),
        )
    else:
        status, message = "passed", None
    return Verdict(
        implementation=str(props["impl"]),
        property=str(props["property"]),
        nodeid=report.nodeid,
        status=status,
        evidence=str(props.get("evidence") or JUDGE),
        message=message,
        examples=props.get("examples"),  # type: ignore[arg-type]
        first_failure_at=props.get("first_failure_at"),  # type: ignore[arg-type]
        falsifying_example=props.get("falsifying"),  # type: ignore[arg-type]
        repro=props.get("repro"),  # type: ignore[arg-type]
        calls=props.get("calls"),  # type: ignore[arg-type]
        not_run=props.get("not_run"),  # type: ignore[arg-type]
        markers=props.get("markers"),  # type: ignore[arg-type]
        blocked_by=props.get("blocked_by"),  # type: ignore[arg-type]
    )


_SKIP_PREFIX = re.compile(r"^(Skipped|[\w.]*DoesNotApply): ")


def skip_reason(text: str) -> str:
    """Why a property was skipped or does not apply, as pytest's report words it, without the
    exception's type and without Hypothesis's notes on the example it was raised in (a
    property that does not apply has no failing example)."""
    lines = _SKIP_PREFIX.sub("", text.strip()).splitlines()
    reason = itertools.takewhile(lambda line: not line.startswith(("Falsifying", "Failing")), lines)
    return "\n".join(reason).strip()


def _crash_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr).strip().splitlines()[-1]
    return text.strip().splitlines()[0] if text.strip() else "failed"


def overall(verdicts: Iterable[Verdict], not_selected: Iterable[str] = ()) -> str:
    """One implementation's verdict from its properties' (see the module docstring)."""
    statuses = [v.status for v in verdicts]
    if "failed" in statuses or "blocked" in statuses:
        return DOES_NOT_CONFORM
    if not statuses or "skipped" in statuses or any(True for _ in not_selected):
        return INCOMPLETE
    return CONFORMS


def _cell(verdict: Verdict | None) -> str:
    if verdict is None:
        return "-"
    mark = STATUS_MARKS[verdict.status]
    if verdict.status == "passed" and verdict.evidence == IMPLEMENTATION_PROCESS:
        mark += OBSERVED_MARK
    return mark


def format_matrix(
    verdicts: list[Verdict],
    implementations: list[str],
    not_selected: dict[str, list[str]] | None = None,
) -> list[str]:
    """Property x implementation, one cell per verdict; one line per implementation after."""
    not_selected = not_selected or {}
    by_key = {(v.property, v.implementation): v for v in verdicts}
    properties = sorted({v.property for v in verdicts})
    impls = [
        i
        for i in implementations
        if i in not_selected or any(v.implementation == i for v in verdicts)
    ]
    lines: list[str] = []
    if properties and len(impls) <= 6:
        width = max(len(p) for p in properties)
        cols = [max(len(i), 5) for i in impls]
        header = (
            "property".ljust(width)
            + "  "
            + "  ".join(i.ljust(c) for i, c in zip(impls, cols, strict=True))
        )
        lines.append(header.rstrip())
        for prop in properties:
            cells = [
                _cell(by_key.get((prop, impl))).ljust(col)
                for impl, col in zip(impls, cols, strict=True)
            ]
            lines.append((prop.ljust(width) + "  " + "  ".join(cells)).rstrip())
        if any(_cell(v).endswith(OBSERVED_MARK) for v in verdicts):
            lines.append(
                f"{OBSERVED_MARK} resting on what the suite observed inside the implementation's "
                "own process (see the README's trust model)"
            )
        lines.append("")
    for impl in impls:
        mine = [v for v in verdicts if v.implementation == impl]
        unselected = not_selected.get(impl, [])
        counts = {s: sum(v.status == s for v in mine) for s in STATUS_MARKS}
        parts = [f"{n} {s.replace('-', ' ')}" for s, n in counts.items() if n]
        if unselected:
            parts.append(f"{len(unselected)} not selected")
        line = f"{impl}: {overall(mine, unselected)} ({', '.join(parts)}){_calls_phrase(mine)}"
        failed = [v.property for v in mine if v.status == "failed"]
        skipped = [v for v in mine if v.status == "skipped"]
        if failed:
            line += "; failed: " + ", ".join(failed)
        causes = Counter(v.blocked_by for v in mine if v.status == "blocked")
        for cause, count in causes.most_common():
            line += f"; {count} {'property' if count == 1 else 'properties'} blocked by: {cause}"
        if not failed and not causes and skipped:
            line += "; did not run to the end: " + ", ".join(
                f"{v.property} ({v.message})" for v in skipped[:3]
            )
        lines.append(line)
    return lines


CALL_NAMES = ("one_step", "create", "apply_gradients")


def total_calls(counts: Iterable[dict[str, int] | None]) -> dict[str, int]:
    """The sum of per-property ``calls`` (a verdict's, or a JSON report result's)."""
    totals: dict[str, int] = {}
    for calls in counts:
        for name, count in (calls or {}).items():
            totals[name] = totals.get(name, 0) + count
    return totals


def _calls_phrase(verdicts: list[Verdict]) -> str:
    """`` after 560 calls of one_step, 240 of create``: what the verdict cost."""
    totals = total_calls(v.calls for v in verdicts)
    named = [name for name in CALL_NAMES if totals.get(name)]
    if not named:
        return ""
    first, *rest = named
    return f" after {totals[first]} calls of {first}" + "".join(
        f", {totals[name]} of {name}" for name in rest
    )


LIBRARIES = ("jax", "jaxlib", "flax", "optax", "numpy", "hypothesis", "pytest")
"""The distributions whose versions a report records."""


def library_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def class_from_report(report: pytest.TestReport) -> dict[str, object] | None:
    """The class description a report carries (``module_imports``'), if any."""
    for key, value in report.user_properties:
        if key == CLASS_KEY and isinstance(value, dict):
            return value
    return None


def format_extra_fields(
    classes: dict[str, dict[str, object]], implementations: list[str]
) -> list[str]:
    """For each implementation whose class has fields beyond Flax's five, what every
    ``create`` passes them: one line per field under one naming the class."""
    lines: list[str] = []
    for impl in implementations:
        cls = classes.get(impl)
        fields = cast("list[dict[str, object]]", (cls or {}).get("extra_fields") or [])
        if not fields:
            continue
        lines.append(f"{impl}: the extra fields of {cls['name']} (values every create gets):")  # type: ignore[index]
        for f in fields:
            kind = "static, " if f["static"] else ""
            kind += "required" if f["required"] else "with a default"
            lines.append(
                f"  {f['name']}: {f['annotation'] or 'no annotation'} ({kind}): {f['value']}"
            )
    return lines


def write_json(
    path: Path,
    verdicts: list[Verdict],
    implementations: list[tuple[str, str]],
    not_selected: dict[str, list[str]],
    header: dict[str, object],
    classes: dict[str, dict[str, object]] | None = None,
) -> None:
    classes = classes or {}
    document = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        **header,
        "implementations": [
            {
                "name": name,
                "spec": spec,
                "verdict": overall(
                    [v for v in verdicts if v.implementation == name], not_selected.get(name, [])
                ),
                "not_selected": sorted(not_selected.get(name, [])),
                "train_state": classes.get(name),
            }
            for name, spec in implementations
        ],
        "results": [
            asdict(v) for v in sorted(verdicts, key=lambda v: (v.implementation, v.nodeid))
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
