"""Grading platforms' results files, from the verdicts: Gradescope's and PrairieLearn's.

Course staff grade on a platform that reads a ``results.json`` of its own, not
the suite's JSON report, so the controller also writes theirs
(``--trainstate-gradescope PATH``, ``--trainstate-prairielearn PATH``), from the
same :class:`~conformance.reporting.verdicts.Verdict` objects and
implementations as :func:`~conformance.reporting.verdicts.write_json`.  Only the
judging process writes them, so a submission cannot score itself.

One entry per property of each implementation, worth its weight (1 by default,
``--trainstate-weights``), earned when the property passed or is a declared
known deviation.  A failed, blocked (``blocked by: <cause>``), skipped or
deselected property earns nothing and says why; one that does not apply (the
TrainState properties of a module with only ``one_step``) is left out, since
it can neither be earned nor lost.  A platform grades one submission: with
several implementations in a run, every (implementation, property) is an entry
of the one score, named ``IMPLEMENTATION: property``.

Gradescope (``gradescope-autograders.readthedocs.io/en/latest/specs/``)::

    {"score": float, "output": str, "output_format": "text",
     "tests": [{"name": str, "score": float, "max_score": float,
                "status": "passed" | "failed", "output": str}]}

PrairieLearn (``docs.prairielearn.com/externalGrading/``, "Grading results")::

    {"gradable": bool, "score": float in [0, 1], "message": str, "output": str,
     "tests": [{"name": str, "points": float, "max_points": float,
                "message": str, "output": str}],
     "format_errors": [str]}            # only when not gradable

A PrairieLearn submission is not gradable (the platform then neither scores it
nor counts the attempt, as for a syntax error) when no implementation of the run
could be judged at all: each could not be imported (``module_imports`` failed) or
got no verdict.  A module that imports but lacks what ``--trainstate-require``
asks for, or hides what its source defines, is graded: that failure
(:class:`~conformance.properties.requirements.RequirementNotMet`) scores, so hiding
a class earns no free attempt.

Weights file (``--trainstate-weights PATH``), TOML, one table::

    [weights]
    output_is_a_finite_float_pair = 2
    module_imports = 0        # listed, scores nothing

Every key must be a property of the suite and every value a finite number
>= 0; anything else is a one-line :class:`WeightsError` naming the line.
"""

from __future__ import annotations

import ast
import difflib
import json
import math
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from conformance.properties.requirements import RequirementNotMet
from conformance.reporting.repro import property_name
from conformance.reporting.verdicts import Verdict, format_matrix, overall

WEIGHTS_OPTION = "--trainstate-weights"
WEIGHTS_TABLE = "weights"
DEFAULT_WEIGHT = 1.0
MODULE_PROPERTY = "module_imports"
"""The property that fails when an implementation cannot be imported (``test_module.py``)."""
BASIC_MARKER = "trainstate_basic"
EARNED = ("passed", "known-deviation")
"""Statuses that earn a property's points: a declared known deviation is the grader's choice."""


class WeightsError(Exception):
    """A weights file that cannot be used; the message is the one line the usage error prints."""


@dataclass(frozen=True)
class Entry:
    """One property of one implementation, as a grading platform scores it."""

    implementation: str
    property: str
    passed: bool
    points: float
    max_points: float
    summary: str
    """One line: what happened (the failure message, ``blocked by: ...``, ``not run: ...``)."""
    details: str
    """The summary, then the repro snippet when there is one: what a student acts on."""


def property_names(suite: Path) -> set[str]:
    """The suite's property names, read from the source of its ``test_*.py`` modules.

    A property is a top-level ``test_*`` function of one of them, which is what the
    plugin collects.  Reading rather than importing keeps JAX out of the process,
    and works on the xdist controller, which never collects: a weights file is
    checked before any property runs.
    """
    names = set()
    for module in sorted(suite.glob("test_*.py")):
        tree = ast.parse(module.read_text(), filename=str(module))
        names |= {
            property_name(node.name)
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")
        }
    return names


def read_weights(path: Path, known: Collection[str]) -> dict[str, float]:
    """The ``[weights]`` table of the TOML file ``path``: property name to points.

    Strict, because a typo would silently leave a property at weight 1: every key
    must be in ``known`` and every value a finite number >= 0 (not a boolean).
    """
    where = f"{WEIGHTS_OPTION} {path}"
    try:
        text = path.read_text()
        document = tomllib.loads(text)
    except OSError as exc:
        raise WeightsError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise WeightsError(f"{where}: not a TOML file ({exc})") from None
    for key in document:
        if key != WEIGHTS_TABLE:
            raise WeightsError(
                f"{_at(where, text, key)}: unexpected {key!r}: the file holds one [weights] table"
            )
    table = document.get(WEIGHTS_TABLE)
    if not isinstance(table, dict):
        raise WeightsError(f"{where}: expected a [weights] table of 'property = points' lines")
    weights = {}
    for name, value in table.items():
        if name not in known:
            raise WeightsError(
                f"{_at(where, text, name)}: unknown property {name!r}{_hint(name, known)}"
            )
        if not _is_weight(value):
            raise WeightsError(
                f"{_at(where, text, name)}: the weight of {name} must be a number >= 0, "
                f"got {value!r}"
            )
        weights[name] = float(value)
    return weights


def _is_weight(value: object) -> bool:
    # bool is an int to Python, and nan and inf are floats to TOML: none is a weight.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value >= 0


def _at(where: str, text: str, key: str) -> str:
    """``where:LINE``, the line that sets ``key`` or opens its table (``where`` if none does)."""
    name = rf"""(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')"""
    pattern = re.compile(rf"(?:^|[\s{{,.]){name}\s*=|^\s*\[\[?\s*(?:[^\]]*[.\s])?{name}\s*[\].]")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.search(line.split("#", 1)[0]):
            return f"{where}:{number}"
    return where


def _hint(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def implementation_names(
    verdicts: Iterable[Verdict], implementations: list[tuple[str, str]]
) -> list[str]:
    """In command-line order, then any other name a verdict carries (as the matrix orders)."""
    names = [name for name, _ in implementations]
    return names + sorted({v.implementation for v in verdicts} - set(names))


def entries(
    verdicts: list[Verdict],
    implementations: list[tuple[str, str]],
    not_selected: Mapping[str, list[str]],
    weights: Mapping[str, float],
) -> list[Entry]:
    """Every scored property of every implementation: the basic promises first, then by name.

    The basic promises (the module imports, the output contract) come first because a
    student who fails one should read it before the failures that follow from it.
    """
    result: list[Entry] = []
    for impl in implementation_names(verdicts, implementations):
        ranked = [
            (BASIC_MARKER not in (v.markers or []), v.property, _entry(v, weights))
            for v in verdicts
            if v.implementation == impl and v.status != "not-applicable"
        ]
        ranked += [
            (True, name, _unselected(impl, name, weights)) for name in not_selected.get(impl, [])
        ]
        result += [entry for *_, entry in sorted(ranked, key=lambda r: (r[0], r[1]))]
    return result


def _entry(verdict: Verdict, weights: Mapping[str, float]) -> Entry:
    weight = weights.get(verdict.property, DEFAULT_WEIGHT)
    passed = verdict.status in EARNED
    summary = _summary(verdict)
    details = summary
    if verdict.status == "failed" and verdict.repro:
        details += "\n\n" + verdict.repro
    return Entry(
        verdict.implementation,
        verdict.property,
        passed,
        weight if passed else 0.0,
        weight,
        summary,
        details,
    )


def _summary(verdict: Verdict) -> str:
    if verdict.status == "passed":
        return "passed" + (f" ({verdict.examples} examples)" if verdict.examples else "")
    if verdict.status == "known-deviation":
        return f"known deviation: {verdict.message}" if verdict.message else "known deviation"
    if verdict.status == "blocked":
        return f"blocked by: {verdict.blocked_by or verdict.message}"
    if verdict.status == "skipped":
        return f"not run: {verdict.message or 'skipped'}"
    return verdict.message or "failed"


def _unselected(impl: str, name: str, weights: Mapping[str, float]) -> Entry:
    """A property deselected (``-k``, ``-m``): not run, not earned, and the verdict INCOMPLETE."""
    summary = "not run: not selected (-k or -m)"
    return Entry(impl, name, False, 0.0, weights.get(name, DEFAULT_WEIGHT), summary, summary)


def verdict_lines(
    verdicts: list[Verdict],
    implementations: list[tuple[str, str]],
    not_selected: Mapping[str, list[str]],
) -> list[str]:
    """Each implementation's line under the matrix (``NAME: VERDICT (counts)...``), as printed."""
    lines = []
    for impl in implementation_names(verdicts, implementations):
        mine = [v for v in verdicts if v.implementation == impl]
        unselected = list(not_selected.get(impl, []))
        # With one implementation, the last line format_matrix gives is that implementation's.
        printed = format_matrix(mine, [impl], {impl: unselected} if unselected else {})
        lines.append(printed[-1] if printed else f"{impl}: {overall(mine)} (no property ran)")
    return lines


def _name(entry: Entry, several: bool) -> str:
    return f"{entry.implementation}: {entry.property}" if several else entry.property


def _total(values: Iterable[float]) -> float:
    # Rounded, so that weights of 0.1 and 0.2 add up to 0.3 on the grade sheet.
    return round(sum(values), 9)


def gradescope_results(
    verdicts: list[Verdict],
    implementations: list[tuple[str, str]],
    not_selected: Mapping[str, list[str]],
    weights: Mapping[str, float],
) -> dict[str, object]:
    """Gradescope's ``results.json`` (see the module docstring).

    ``output_format`` is ``text`` because the top-level default, ``simple_format``,
    is HTML, and a failure message may hold ``<``; the tests' default is already text.
    """
    graded = entries(verdicts, implementations, not_selected, weights)
    several = len(implementation_names(verdicts, implementations)) > 1
    return {
        "score": _total(e.points for e in graded),
        "output": "\n".join(verdict_lines(verdicts, implementations, not_selected)),
        "output_format": "text",
        "tests": [
            {
                "name": _name(e, several),
                "score": e.points,
                "max_score": e.max_points,
                "status": "passed" if e.passed else "failed",
                "output": e.details,
            }
            for e in graded
        ],
    }


def _not_gradable(verdicts: list[Verdict], names: list[str]) -> list[str]:
    """Why no implementation could be judged (one line each), or ``[]`` when one could."""
    reasons = []
    for impl in names:
        mine = [v for v in verdicts if v.implementation == impl]
        imports = [
            v
            for v in mine
            if v.property == MODULE_PROPERTY
            and v.status == "failed"
            # The prefix is the type of the suite's own exception, not the submission's text.
            and not (v.message or "").startswith(f"{RequirementNotMet.__name__}:")
        ]
        if mine and not imports:
            return []
        cause = (imports[0].message or f"{MODULE_PROPERTY} failed") if imports else None
        reasons.append(f"{impl}: {cause or 'no property ran'}")
    return reasons or ["no implementation was named"]


def prairielearn_results(
    verdicts: list[Verdict],
    implementations: list[tuple[str, str]],
    not_selected: Mapping[str, list[str]],
    weights: Mapping[str, float],
) -> dict[str, object]:
    """A PrairieLearn external grader's ``results.json`` (see the module docstring).

    ``score`` is the fraction of the points that apply; 0 when none does (say, weights
    only on TrainState properties for a module with only ``one_step``): nothing was earned.
    ``output`` is the verdict matrix, for the student who wants all of it.
    """
    graded = entries(verdicts, implementations, not_selected, weights)
    names = implementation_names(verdicts, implementations)
    several = len(names) > 1
    earned, possible = _total(e.points for e in graded), _total(e.max_points for e in graded)
    document: dict[str, object] = {
        "gradable": True,
        "score": min(1.0, earned / possible) if possible > 0 else 0.0,
        "message": "\n".join(verdict_lines(verdicts, implementations, not_selected)),
        "output": "\n".join(
            format_matrix(verdicts, names, {k: list(v) for k, v in not_selected.items()})
        ),
        "tests": [
            {
                "name": _name(e, several),
                "points": e.points,
                "max_points": e.max_points,
                "message": e.summary,
                "output": e.details,
            }
            for e in graded
        ],
    }
    reasons = _not_gradable(verdicts, names)
    if reasons:
        document["gradable"] = False
        document["format_errors"] = reasons
    return document


def write_results(path: Path, document: Mapping[str, object]) -> None:
    """Write a platform's results file, creating its directory (PrairieLearn's is not made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
