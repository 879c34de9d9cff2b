"""The pytest plugin: choosing implementations, parametrizing the properties, reporting.

Registered by the repository's ``conftest.py`` and, for installed use, as the
``pytest11`` entry point ``conformance.plugin``.

- ``--impl SPEC`` (repeatable) or ``TRAINSTATE_IMPL=SPEC[,SPEC...]``: the
  implementations to test, each a dotted module name or a ``.py`` path; with
  neither, the reference.  Every property is parametrized over them with the
  implementation's name as the id, so ``-k numpy_float64`` selects one.
- ``--conformance-report PATH``: the verdicts as JSON (:mod:`conformance.verdicts`).
- ``--xfails-file``, ``--skips-file``, ``--known-failures-as-skips``: known
  deviations (:mod:`conformance.known_deviations`).
- ``--corpus PATH``: the regression corpus (:mod:`conformance.corpus`).
- ``--impl-maxfail N``: stop judging an implementation after N failed properties.
- ``--call-timeout SECONDS``: the limit for one call (:mod:`conformance.calling`).
- ``--no-jax-cache``: do not use JAX's persistent compilation cache (by default
  it lives in pytest's cache directory, shared by xdist workers and kept
  between runs).
- Under xdist without ``--dist``, work-stealing scheduling
  (:mod:`conformance.scheduling`).

Nothing is imported or configured until a test asks for ``impl``, unless
``--impl`` or ``TRAINSTATE_IMPL`` names something, which is then checked at
start-up so that a typo stops the run with a one-line usage error.
"""

from __future__ import annotations

import functools
import gc
import os
import warnings
from collections.abc import Generator
from importlib import metadata
from pathlib import Path

import pytest

from conformance import __version__
from conformance import (
    profiles as _profiles,
)  # registers dev, ci, thorough before Hypothesis loads one
from conformance.implementations import (
    REFERENCE_SPEC,
    Implementation,
    ImplementationError,
    load_all,
)
from conformance.known_deviations import (
    KnownDeviationsError,
    Pattern,
    UnmatchedDeviationWarning,
    matches,
    read_patterns,
)
from conformance.verdicts import (
    ExampleCount,
    Verdict,
    format_matrix,
    report_properties,
    verdict_from_report,
    write_json,
)

pytest_plugins = ["conformance.scheduling"]

ENV_VAR = "TRAINSTATE_IMPL"
JAX_CACHE_SUBDIR = "trainstate-jax-compilation-cache"
_IMPLS = pytest.StashKey[list[Implementation]]()
_JAX_CACHE_CONFIGURED = pytest.StashKey[bool]()
_COUNT = pytest.StashKey[ExampleCount]()
_FAILURES = pytest.StashKey[dict[str, int]]()
_DEVIATIONS = pytest.StashKey[list[tuple[str, Pattern]]]()
_CORPUS = pytest.StashKey[list[dict]]()
_LAST_FAILURE = pytest.StashKey[dict[str, object]]()
LIBRARIES = ("jax", "jaxlib", "flax", "optax", "numpy", "hypothesis", "pytest")

MARKERS = {
    "one_step": "a property of one_step(seed, x, y, lr) (trainstate-conformance)",
    "train_state": "a property of a TrainState-like class (trainstate-conformance)",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("trainstate-conformance")
    group.addoption(
        "--impl",
        action="append",
        default=[],
        metavar="SPEC",
        help=(
            "implementation to test: a dotted module name or a path to a .py file defining "
            f"one_step and/or TrainState; repeatable. Default: ${ENV_VAR} (comma-separated), "
            "else the built-in reference."
        ),
    )
    group.addoption(
        "--conformance-report",
        metavar="PATH",
        default=None,
        help="write the verdict of every property for every implementation to PATH as JSON",
    )
    group.addoption(
        "--call-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="fail a call of one_step that takes longer than this (default 60; 0: no limit)",
    )
    group.addoption(
        "--impl-maxfail",
        type=int,
        default=0,
        metavar="N",
        help="skip the remaining properties of an implementation once N of them failed "
        "(per process: under xdist each worker counts its own); 0: never",
    )
    group.addoption(
        "--xfails-file",
        action="append",
        default=[],
        metavar="PATH",
        help="file of test-id patterns that are known to fail: marked xfail (see README)",
    )
    group.addoption(
        "--skips-file",
        action="append",
        default=[],
        metavar="PATH",
        help="file of test-id patterns not to run: skipped as known deviations",
    )
    group.addoption(
        "--known-failures-as-skips",
        action="store_true",
        default=False,
        help="skip the tests of --xfails-file instead of running them as xfail",
    )
    group.addoption(
        "--corpus",
        metavar="PATH",
        default=None,
        help="regression corpus (JSON lines): replayed before drawing, failures appended",
    )
    group.addoption(
        "--no-jax-cache",
        action="store_true",
        default=False,
        help="do not use JAX's persistent compilation cache in pytest's cache directory",
    )


def requested_specs(config: pytest.Config) -> list[str]:
    """The specs from ``--impl``, else ``$TRAINSTATE_IMPL``; empty when neither is given."""
    specs = [s.strip() for s in config.getoption("impl") if s.strip()]
    if specs:
        return specs
    return [s.strip() for s in os.environ.get(ENV_VAR, "").split(",") if s.strip()]


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    timeout = config.getoption("call_timeout")
    if timeout is not None:
        if timeout < 0:
            raise pytest.UsageError(f"--call-timeout must be >= 0, got {timeout:g}")
        from conformance import calling

        calling.call_timeout = timeout
    deviations: list[tuple[str, Pattern]] = []
    try:
        for kind, option in (("xfail", "--xfails-file"), ("skip", "--skips-file")):
            for path in config.getoption(option.lstrip("-").replace("-", "_")):
                deviations += [(kind, pattern) for pattern in read_patterns(option, path)]
    except KnownDeviationsError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_DEVIATIONS] = deviations
    corpus_path = config.getoption("corpus")
    if corpus_path is not None:
        from conformance import corpus

        try:
            config.stash[_CORPUS] = corpus.load(Path(corpus_path))
        except corpus.CorpusError as exc:
            raise pytest.UsageError(str(exc)) from None
    if requested_specs(config):
        implementations(config)


def _configure_jax_cache(config: pytest.Config) -> None:
    """Point JAX's persistent compilation cache into pytest's cache directory.

    Every xdist worker sees the same directory, so a shape compiled by one is a
    cache hit for the others and for the next run.  The thresholds are lowered
    because every compile here is small (~0.2 s) and would otherwise not be saved.
    """
    if config.stash.get(_JAX_CACHE_CONFIGURED, False):
        return
    config.stash[_JAX_CACHE_CONFIGURED] = True
    cache = getattr(config, "cache", None)
    if config.getoption("no_jax_cache") or cache is None:
        return
    import jax

    jax.config.update("jax_compilation_cache_dir", str(cache.mkdir(JAX_CACHE_SUBDIR)))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def implementations(config: pytest.Config) -> list[Implementation]:
    """The implementations under test, loaded once per process."""
    if _IMPLS not in config.stash:
        _configure_jax_cache(config)
        specs = requested_specs(config) or [REFERENCE_SPEC]
        try:
            config.stash[_IMPLS] = load_all(specs)
        except ImplementationError as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[_IMPLS]


TEST_TIMEOUT = 1800.0
"""pytest-timeout's limit for one property of one implementation, unless the user sets one.

The per-call limit (``--call-timeout``) catches a hang in Python code and fails
just that property; this is the backstop for a hang inside C code, where the
"thread" method ends the process (an xdist worker, which xdist reports and
replaces, so the run goes on).
"""


BASIC_PROPERTIES_FIRST = (
    "test_reference_agreement.py",
    "test_output_contract.py",
    "test_step_counter.py",
    "test_zero_learning_rate.py",
)
"""Modules run before the others, so that ``--impl-maxfail`` and ``-x`` stop on the most
basic broken promise, and a grader reads the contract's failures first."""


def run_rank(nodeid: str) -> int:
    """Where a test's module comes in the run order: the basic modules first, then the rest."""
    module = nodeid.partition("::")[0].rsplit("/", 1)[-1]
    if module in BASIC_PROPERTIES_FIRST:
        return BASIC_PROPERTIES_FIRST.index(module)
    return len(BASIC_PROPERTIES_FIRST)


def _basic_first(item: pytest.Item) -> int:
    return run_rank(item.nodeid)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A stable sort by a fixed key keeps collection identical on every xdist worker.
    items.sort(key=_basic_first)
    _mark_known_deviations(config, items)
    _add_default_timeout(config, items)
    if any(_impl_of(item) is not None for item in items):
        _freeze_imported_objects()


def _freeze_imported_objects() -> None:
    """Exempt everything alive after collection from the cyclic garbage collector.

    JAX, Flax, Optax and Hypothesis leave several hundred thousand long-lived
    objects that every full collection scans again, during the run and five
    times more at exit (pytest's unraisable-exception hook): about 1 s per
    process.  They live until exit anyway; objects the properties create are
    still collected as usual.
    """
    gc.freeze()


def _mark_known_deviations(config: pytest.Config, items: list[pytest.Item]) -> None:
    deviations = config.stash.get(_DEVIATIONS, [])
    as_skips = config.getoption("known_failures_as_skips")
    for item in items:
        for kind, pattern in deviations:
            if matches(pattern.text, item.nodeid):
                pattern.matched = True
                reason = f"known deviation ({pattern.where()}: {pattern.text})"
                if kind == "skip" or as_skips:
                    item.add_marker(pytest.mark.skip(reason=reason))
                else:
                    item.add_marker(pytest.mark.xfail(reason=reason, strict=False))
                break
    for _, pattern in deviations:
        if not pattern.matched:
            warnings.warn(
                UnmatchedDeviationWarning(
                    f"{pattern.where()}: {pattern.text!r} matches no collected test"
                ),
                stacklevel=1,
            )


def _add_default_timeout(config: pytest.Config, items: list[pytest.Item]) -> None:
    user_timeout = config.getoption("timeout", None) is not None or bool(
        config.getini("timeout") if "timeout" in config._parser._inidict else None
    )
    if user_timeout:
        return
    for item in items:
        if _impl_of(item) is not None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT, method="thread"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "impl" in metafunc.fixturenames:
        impls = implementations(metafunc.config)
        metafunc.parametrize("impl", impls, ids=[impl.name for impl in impls])


def _impl_of(item: pytest.Item) -> Implementation | None:
    callspec = getattr(item, "callspec", None)
    impl = callspec.params.get("impl") if callspec is not None else None
    return impl if isinstance(impl, Implementation) else None


def _property_name(item: pytest.Item) -> str:
    name = getattr(item, "originalname", item.name)
    return name.removeprefix("test_")


def pytest_runtest_setup(item: pytest.Item) -> None:
    limit = item.config.getoption("impl_maxfail")
    impl = _impl_of(item)
    if limit > 0 and impl is not None:
        failed = item.config.stash.setdefault(_FAILURES, {}).get(impl.name, 0)
        if failed >= limit:
            pytest.skip(f"{impl.name} already failed {failed} properties (--impl-maxfail {limit})")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Count the examples a property runs, through Hypothesis's replaceable ``inner_test``."""
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    if handle is None or _impl_of(item) is None:
        return (yield)
    from hypothesis.errors import UnsatisfiedAssumption

    count = item.stash[_COUNT] = ExampleCount()
    inner = handle.inner_test

    @functools.wraps(inner)
    def counted(*args: object, **kwargs: object) -> object:
        count.examples += 1
        try:
            return inner(*args, **kwargs)
        except UnsatisfiedAssumption:
            raise
        except BaseException:
            if count.first_failure_at is None:
                count.first_failure_at = count.examples
            # Hypothesis runs the minimal failing example last, to report it.
            item.stash[_LAST_FAILURE] = kwargs
            raise

    handle.inner_test = counted
    try:
        _replay_corpus(item, counted)
        return (yield)
    finally:
        handle.inner_test = inner
        _record_failure(item)


def _replay_corpus(item: pytest.Item, test: object) -> None:
    """Call the property on each saved failing input of this implementation, before Hypothesis."""
    from conformance import corpus

    impl = _impl_of(item)
    for entry in item.config.stash.get(_CORPUS, []):
        if impl is not None and (entry["implementation"], entry["property"]) == (
            impl.name,
            _property_name(item),
        ):
            test(impl=impl, **corpus.inputs_of(entry))  # type: ignore[operator]


def _record_failure(item: pytest.Item) -> None:
    path = item.config.getoption("corpus")
    failure = item.stash.get(_LAST_FAILURE, None)
    impl = _impl_of(item)
    if path is None or failure is None or impl is None:
        return
    from conformance import corpus

    inputs = {name: value for name, value in failure.items() if name != "impl"}
    try:
        line = corpus.record(impl.name, _property_name(item), inputs)
    except corpus.NotRecordable:
        return
    corpus.append(Path(path), line)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    impl = _impl_of(item)
    if impl is not None and report.when in ("setup", "call"):
        error = call.excinfo.value if call.excinfo is not None else None
        report.user_properties.extend(
            report_properties(impl.name, _property_name(item), item.stash.get(_COUNT, None), error)
        )
        if report.failed:
            failures = item.config.stash.setdefault(_FAILURES, {})
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
    names = [impl.name for impl in config.stash.get(_IMPLS, [])]
    return names + sorted({v.implementation for v in _SESSION_VERDICTS} - set(names))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    path = config.getoption("conformance_report")
    if path is None or _is_worker(config):
        return
    impls = config.stash.get(_IMPLS, [])
    write_json(
        Path(path),
        list(_SESSION_VERDICTS),
        [(impl.name, impl.spec) for impl in impls]
        or [(name, "") for name in _implementation_names(config)],
        {
            "suite_version": __version__,
            "library_versions": {name: _version(name) for name in LIBRARIES},
            "hypothesis_profile": config.getoption("hypothesis_profile", None)
            or _profiles.default_profile_name(),
            "hypothesis_seed": config.getoption("hypothesis_seed", None),
        },
    )


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def pytest_report_header(config: pytest.Config) -> list[str]:
    specs = requested_specs(config)
    source = "--impl" if config.getoption("impl") else (ENV_VAR if specs else "default")
    lines = [f"trainstate-conformance: implementations from {source}:"]
    if specs:
        lines += [f"  {impl.name}: {impl.origin}" for impl in implementations(config)]
    else:
        lines.append(f"  reference: {REFERENCE_SPEC} (loaded when a property runs)")
    profile = config.getoption("hypothesis_profile", None) or _profiles.default_profile_name()
    versions = ", ".join(
        f"{name} {_version(name)}" for name in ("jax", "flax", "optax", "numpy", "hypothesis")
    )
    lines.append(f"trainstate-conformance: hypothesis profile {profile}; {versions}")
    return lines
