"""From test reports to verdicts: ``--impl-maxfail``, the end-of-run matrix, the JSON report.

Workers attach each property's verdict to its report (``user_properties``,
which xdist ships to the controller); the controller, or the only process
without xdist, collects them, prints the matrix and writes the report.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from conformance import __version__
from conformance.items import COUNT, FAILURES, IMPLS, impl_of, property_name
from conformance.verdicts import (
    LIBRARIES,
    Verdict,
    format_matrix,
    library_version,
    report_properties,
    verdict_from_report,
    write_json,
)


def pytest_runtest_setup(item: pytest.Item) -> None:
    limit = item.config.getoption("impl_maxfail")
    impl = impl_of(item)
    if limit > 0 and impl is not None:
        failed = item.config.stash.setdefault(FAILURES, {}).get(impl.name, 0)
        if failed >= limit:
            pytest.skip(f"{impl.name} already failed {failed} properties (--impl-maxfail {limit})")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    impl = impl_of(item)
    if impl is not None and report.when in ("setup", "call"):
        error = call.excinfo.value if call.excinfo is not None else None
        report.user_properties.extend(
            report_properties(impl.name, property_name(item), item.stash.get(COUNT, None), error)
        )
        if report.failed:
            failures = item.config.stash.setdefault(FAILURES, {})
            failures[impl.name] = failures.get(impl.name, 0) + 1
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    verdict = verdict_from_report(report)
    if verdict is not None:
        _SESSION_VERDICTS.append(verdict)


_SESSION_VERDICTS: list[Verdict] = []
"""Verdicts of this process's session (the controller's, under xdist).

``pytest_runtest_logreport`` receives no config, so the list lives here; a
process runs one session, and it is cleared when the session starts.
"""


def pytest_sessionstart(session: pytest.Session) -> None:
    _SESSION_VERDICTS.clear()


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if _is_worker(config) or not _SESSION_VERDICTS:
        return
    names = _implementation_names(config)
    terminalreporter.section("trainstate-conformance verdict")
    for line in format_matrix(_SESSION_VERDICTS, names):
        terminalreporter.write_line(line)


def _implementation_names(config: pytest.Config) -> list[str]:
    """In command-line order; an xdist controller that loaded nothing takes them from verdicts."""
    names = [impl.name for impl in config.stash.get(IMPLS, [])]
    return names + sorted({v.implementation for v in _SESSION_VERDICTS} - set(names))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    path = config.getoption("conformance_report")
    if path is None or _is_worker(config):
        return
    from conformance import profiles

    impls = config.stash.get(IMPLS, [])
    write_json(
        Path(path),
        list(_SESSION_VERDICTS),
        [(impl.name, impl.spec) for impl in impls]
        or [(name, "") for name in _implementation_names(config)],
        {
            "suite_version": __version__,
            "library_versions": {name: library_version(name) for name in LIBRARIES},
            "hypothesis_profile": config.getoption("hypothesis_profile", None)
            or profiles.default_profile_name(),
            "hypothesis_seed": config.getoption("hypothesis_seed", None),
        },
    )
