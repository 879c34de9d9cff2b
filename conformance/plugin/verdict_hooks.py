"""From test reports to verdicts: ``--trainstate-maxfail``, the matrix, the JSON and grader files.

Workers attach each property's verdict to its report (``user_properties``,
which xdist ships to the controller), and the properties ``-k``/``-m``
deselected to their output at the end (``workeroutput``); the controller, or
the only process without xdist, collects them, prints the matrix and writes
the report.  Only these processes decide verdicts: none of them ever runs an
implementation's code (unless ``--trainstate-in-process``).
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from conformance import __version__
from conformance.plugin.collection import marker_names
from conformance.plugin.stash import COUNT, FAILURES, ISOLATION, impl_of, property_name
from conformance.properties.blocked import Blocked
from conformance.properties.not_applicable import DoesNotApply
from conformance.reporting.verdicts import (
    IMPLEMENTATION_PROCESS,
    JUDGE,
    LIBRARIES,
    Verdict,
    class_from_report,
    format_extra_fields,
    format_matrix,
    library_version,
    overall,
    report_properties,
    verdict_from_report,
    write_json,
)

OBSERVED_MARKER = "trainstate_observed"
_DESELECTED_KEY = "trainstate_deselected"
_WEIGHTS = pytest.StashKey[dict[str, float]]()


def pytest_configure(config: pytest.Config) -> None:
    """Read ``--trainstate-weights`` before any property runs: a bad file is a usage error."""
    path = config.getoption("trainstate_weights", None)
    if path is None or _is_worker(config):
        return
    from conformance.plugin import SUITE
    from conformance.reporting import graders

    try:
        config.stash[_WEIGHTS] = graders.read_weights(Path(path), graders.property_names(SUITE))
    except graders.WeightsError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_runtest_setup(item: pytest.Item) -> None:
    limit = item.config.getoption("trainstate_maxfail")
    impl = impl_of(item)
    if limit > 0 and impl is not None:
        failed = item.config.stash.setdefault(FAILURES, {}).get(impl.name, 0)
        if failed >= limit:
            pytest.skip(
                f"{impl.name} already failed {failed} properties (--trainstate-maxfail {limit})"
            )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    impl = impl_of(item)
    if impl is not None and report.when in ("setup", "call"):
        error = call.excinfo.value if call.excinfo is not None else None
        observed = item.get_closest_marker(OBSERVED_MARKER) is not None or _built_one_step(item)
        blocked = isinstance(error, Blocked) and report.when == "call"
        if blocked:
            # pytest's word for a test that could not run because something it needs failed is
            # an error (JUnit <error>), and it fails the run: the implementation does not conform.
            report.outcome = "failed"
            report.when = "setup"
            report.longrepr = f"Blocked: {error}"
        report.user_properties.extend(
            report_properties(
                impl.name,
                property_name(item),
                item.stash.get(COUNT, None),
                error,
                not_applicable=isinstance(error, DoesNotApply),
                evidence=IMPLEMENTATION_PROCESS if observed else JUDGE,
                markers=marker_names(item),
                blocked_by=error.cause if blocked else None,  # type: ignore[union-attr]
            )
        )
        # A blocked property does not count towards --trainstate-maxfail: the property that
        # owns the failing call is still to run, and its failure is the one worth reporting.
        if report.failed and not blocked:
            failures = item.config.stash.setdefault(FAILURES, {})
            failures[impl.name] = failures.get(impl.name, 0) + 1
    return report


def _built_one_step(item: pytest.Item) -> bool:
    """A one-step property of a module that defines only a TrainState: its ``one_step`` is the
    recipe run in the implementation's process, with whatever class that process chooses."""
    impl = impl_of(item)
    if impl is None or item.get_closest_marker("trainstate_one_step") is None:
        return False
    chosen = item.config.stash.get(ISOLATION, None)
    if chosen is None or chosen.trusts_the_code:
        return False
    reported = impl.reported_capabilities()
    return reported is not None and reported.one_step_is_built


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    verdict = verdict_from_report(report)
    if verdict is not None:
        _SESSION.verdicts.append(verdict)
        described = class_from_report(report)
        if described is not None:
            _SESSION.classes[verdict.implementation] = described


class _Session:
    """Verdicts and deselected properties of this process's session (the controller's).

    ``pytest_runtest_logreport`` receives no config, so this lives here; a
    process runs one session, and it is cleared when the session starts.
    """

    def __init__(self) -> None:
        self.verdicts: list[Verdict] = []
        self.deselected: dict[str, set[str]] = {}
        self.names: list[str] = []
        self.classes: dict[str, dict[str, object]] = {}
        """Each implementation's TrainState class, as ``module_imports`` reported it."""

    def not_selected(self) -> dict[str, list[str]]:
        ran = {(v.implementation, v.property) for v in self.verdicts}
        return {
            impl: sorted(p for p in props if (impl, p) not in ran)
            for impl, props in self.deselected.items()
        }


_SESSION = _Session()


def pytest_sessionstart(session: pytest.Session) -> None:
    from conformance.plugin import named_implementations

    _SESSION.__init__()  # type: ignore[misc]
    _SESSION.names = [name for name, _ in named_implementations(session.config)]


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        impl = impl_of(item)
        if impl is not None:
            _SESSION.deselected.setdefault(impl.name, set()).add(property_name(item))


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config):
        config.workeroutput[_DESELECTED_KEY] = {  # type: ignore[attr-defined]
            impl: sorted(props) for impl, props in _SESSION.deselected.items()
        }
        return
    _write_grader_files(config)
    path = config.getoption("trainstate_report")
    if path is None:
        return
    from conformance.plugin import isolation, named_implementations, platform
    from conformance.properties import profiles

    write_json(
        Path(path),
        list(_SESSION.verdicts),
        named_implementations(config),
        _SESSION.not_selected(),
        {
            "suite_version": __version__,
            "library_versions": {name: library_version(name) for name in LIBRARIES},
            "hypothesis_profile": config.getoption("hypothesis_profile", None)
            or profiles.default_profile_name(),
            "hypothesis_seed": config.getoption("hypothesis_seed", None),
            "isolation": isolation(config).description,
            "platform": platform.configure(config).as_json(),
            "verdict_budget": config.getoption("trainstate_verdict_budget"),
        },
        _SESSION.classes,
    )


def _write_grader_files(config: pytest.Config) -> None:
    """``--trainstate-gradescope``, ``--trainstate-prairielearn``: the platforms' results.json."""
    from conformance.plugin import named_implementations
    from conformance.reporting import graders

    writers = {
        "trainstate_gradescope": graders.gradescope_results,
        "trainstate_prairielearn": graders.prairielearn_results,
    }
    weights: dict[str, float] = config.stash.get(_WEIGHTS, {})
    for option, results in writers.items():
        path = config.getoption(option, None)
        if path is not None:
            document = results(
                list(_SESSION.verdicts),
                named_implementations(config),
                _SESSION.not_selected(),
                weights,
            )
            graders.write_results(Path(path), document)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    output = getattr(node, "workeroutput", {}) or {}
    for impl, props in output.get(_DESELECTED_KEY, {}).items():
        _SESSION.deselected.setdefault(impl, set()).update(props)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    if _is_worker(config) or not _SESSION.verdicts:
        return
    terminalreporter.section("trainstate-conformance verdict")
    names = _implementation_names(config)
    for line in format_matrix(_SESSION.verdicts, names, _SESSION.not_selected()):
        terminalreporter.write_line(line)
    for line in format_extra_fields(_SESSION.classes, names):
        terminalreporter.write_line(line)


def _implementation_names(config: pytest.Config) -> list[str]:
    """In command-line order (any other name a report carries, after them)."""
    from conformance.plugin import named_implementations

    names = [name for name, _ in named_implementations(config)]
    return names + sorted({v.implementation for v in _SESSION.verdicts} - set(names))


def session_verdicts() -> dict[str, str]:
    """Each implementation's overall verdict in this process's last session (for the CLI)."""
    not_selected = _SESSION.not_selected()
    names = _SESSION.names + sorted(
        {v.implementation for v in _SESSION.verdicts} - set(_SESSION.names)
    )
    return {
        name: overall(
            [v for v in _SESSION.verdicts if v.implementation == name], not_selected.get(name, [])
        )
        for name in names
    }
