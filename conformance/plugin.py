"""The pytest plugin: its options, the implementations, and parametrizing the properties.

The rest of the plugin is in the modules this one registers:
:mod:`conformance.profile_loading` (the profiles registered in time),
:mod:`conformance.collection` (run order, known deviations, time limits),
:mod:`conformance.counting` (examples counted, the corpus replayed and
recorded), :mod:`conformance.verdict_hooks` (``--impl-maxfail``, the matrix,
the JSON report) and :mod:`conformance.scheduling` (xdist).

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

import os
from pathlib import Path

import pytest

from conformance.implementations import (
    REFERENCE_SPEC,
    Implementation,
    ImplementationError,
    load_all,
)
from conformance.items import CORPUS, DEVIATIONS, IMPLS
from conformance.known_deviations import KnownDeviationsError, Pattern, read_patterns
from conformance.verdicts import library_version

# The plugin's other hooks, one module per job.
pytest_plugins = [
    "conformance.profile_loading",
    "conformance.collection",
    "conformance.counting",
    "conformance.verdict_hooks",
    "conformance.scheduling",
]

ENV_VAR = "TRAINSTATE_IMPL"
JAX_CACHE_SUBDIR = "trainstate-jax-compilation-cache"
_JAX_CACHE_CONFIGURED = pytest.StashKey[bool]()

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
    config.stash[DEVIATIONS] = deviations
    corpus_path = config.getoption("corpus")
    if corpus_path is not None:
        from conformance import corpus

        try:
            config.stash[CORPUS] = corpus.load(Path(corpus_path))
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
    if IMPLS not in config.stash:
        _configure_jax_cache(config)
        specs = requested_specs(config) or [REFERENCE_SPEC]
        try:
            config.stash[IMPLS] = load_all(specs)
        except ImplementationError as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[IMPLS]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "impl" in metafunc.fixturenames:
        impls = implementations(metafunc.config)
        metafunc.parametrize("impl", impls, ids=[impl.name for impl in impls])


def runs_the_suite(config: pytest.Config) -> bool:
    """Whether this session was asked for the conformance properties: an implementation is
    named, or a path (or ``--pyargs`` module) given to pytest is, holds or is inside the suite.

    In any other session (another project's tests, with this package installed) the plugin
    stays out of sight: no header, and neither Hypothesis nor NumPy imported.
    """
    if requested_specs(config):
        return True
    suite = Path(__file__).resolve().parent
    for arg in config.args:
        target = arg.split("::")[0]
        if config.getoption("pyargs", False) and target.split(".")[0] == suite.name:
            return True
        path = (config.invocation_params.dir / target).resolve()
        if path == suite or suite in path.parents or path in suite.parents:
            return True
    return False


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    if not runs_the_suite(config):
        return None
    from conformance import profiles

    specs = requested_specs(config)
    source = "--impl" if config.getoption("impl") else (ENV_VAR if specs else "default")
    lines = [f"trainstate-conformance: implementations from {source}:"]
    if specs:
        lines += [f"  {impl.name}: {impl.origin}" for impl in implementations(config)]
    else:
        lines.append(f"  reference: {REFERENCE_SPEC} (loaded when a property runs)")
    profile = config.getoption("hypothesis_profile", None) or profiles.default_profile_name()
    shown = ("jax", "flax", "optax", "numpy", "hypothesis")
    versions = ", ".join(f"{name} {library_version(name)}" for name in shown)
    lines.append(f"trainstate-conformance: hypothesis profile {profile}; {versions}")
    return lines
