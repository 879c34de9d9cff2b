"""The pytest plugin: its options, the implementations, and parametrizing the properties.

The rest of the plugin is in the modules this one registers:
:mod:`conformance.profile_loading` (the profiles registered in time),
:mod:`conformance.collection` (run order, known deviations),
:mod:`conformance.counting` (examples counted, the corpus replayed and
recorded), :mod:`conformance.verdict_hooks` (``--impl-maxfail``, the matrix,
the JSON report), :mod:`conformance.scheduling` (xdist) and
:mod:`conformance.isolation.lifecycle` (the processes that host the
implementations: started, checked, stopped).

Registered by the repository's ``conftest.py`` and, for installed use, as the
``pytest11`` entry point ``conformance.plugin``.

- ``--impl SPEC`` (repeatable) or ``TRAINSTATE_IMPL=SPEC[,SPEC...]``: the
  implementations to test, each a dotted module name or a ``.py`` path; with
  neither, the reference.  Every property is parametrized over them with the
  implementation's name as the id, so ``-k numpy_float64`` selects one.
- ``--sandbox {auto,bwrap,none}``, ``--memory-limit``, ``--in-process``:
  how the implementations run (:mod:`conformance.isolation.launcher`).
- ``--grading``: an implementation that cannot be loaded fails its verdict
  instead of stopping the run (``python -m conformance`` sets it).
- ``--conformance-report PATH``: the verdicts as JSON (:mod:`conformance.verdicts`).
- ``--xfails-file``, ``--skips-file``, ``--known-failures-as-skips``: known
  deviations (:mod:`conformance.known_deviations`).
- ``--corpus PATH``: the regression corpus (:mod:`conformance.corpus`).
- ``--impl-maxfail N``: stop judging an implementation after N failed properties.
- ``--call-timeout SECONDS``: the limit for one call of an implementation.
- ``--no-jax-cache``: do not use JAX's persistent compilation cache (by default
  it lives in pytest's cache directory, shared by xdist workers and kept
  between runs).
- Under xdist without ``--dist``, work-stealing scheduling
  (:mod:`conformance.scheduling`).

No implementation is ever imported into a process of pytest's: each judging
process starts one host process per implementation when it collects the
properties.  A missing file or a name given twice stops the run at start-up
with a one-line usage error; so, before any property runs, does a module
that cannot be imported or defines nothing to test (unless ``--grading``).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from conformance.implementations import (
    REFERENCE_SPEC,
    Implementation,
    ImplementationError,
    check_specs,
)
from conformance.isolation.connection import Connection, Host, InProcessHost
from conformance.isolation.launcher import (
    DEFAULT_MEMORY_LIMIT,
    SANDBOX_CHOICES,
    Isolation,
    IsolationError,
    choose,
)
from conformance.items import CORPUS, DEVIATIONS, IMPLS, ISOLATION
from conformance.known_deviations import KnownDeviationsError, Pattern, read_patterns
from conformance.verdicts import library_version

# The plugin's other hooks, one module per job.
pytest_plugins = [
    "conformance.profile_loading",
    "conformance.collection",
    "conformance.counting",
    "conformance.verdict_hooks",
    "conformance.scheduling",
    "conformance.isolation.lifecycle",
]

ENV_VAR = "TRAINSTATE_IMPL"
JAX_CACHE_SUBDIR = "trainstate-jax-compilation-cache"
JUDGE_CACHE = "judge"
"""Subdirectory of the JAX cache written by the judging processes only."""
REFERENCE_CACHE = "reference"
"""Subdirectory written by the built-in reference's own hosts (the suite's code)."""
DEFAULT_CALL_TIMEOUT = 60.0
"""Seconds one call may take; generous, because the first call on a shape compiles."""

_JAX_CACHE = pytest.StashKey[Path | None]()

MARKERS = {
    "one_step": "a property of one_step(seed, x, y, lr) (trainstate-conformance)",
    "train_state": "a property of a TrainState-like class (trainstate-conformance)",
    "impl_process_observation": "the verdict rests on what the suite observed inside the "
    "implementation's own process (trainstate-conformance)",
}


def _memory(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if match is None:
        raise pytest.UsageError(f"--memory-limit {text}: expected a size like 4G, 512M or 0")
    scale = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[match.group(2)]
    return int(float(match.group(1)) * scale)


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
        "--sandbox",
        choices=SANDBOX_CHOICES,
        default="auto",
        help="run each implementation under bubblewrap: auto (when bwrap works here, the "
        "default), bwrap (required), none",
    )
    group.addoption(
        "--memory-limit",
        default=f"{DEFAULT_MEMORY_LIMIT >> 30}G",
        metavar="SIZE",
        help="address space an implementation's process may use (default 4G; 0: no limit)",
    )
    group.addoption(
        "--in-process",
        action="store_true",
        default=False,
        help="import the implementations into pytest's own processes, e.g. to debug them "
        "with pdb: this trusts their code, and a crash or hang takes the run down",
    )
    group.addoption(
        "--grading",
        action="store_true",
        default=False,
        help="an implementation that cannot be imported fails its verdict instead of "
        "stopping the run (python -m conformance sets it)",
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
        default=DEFAULT_CALL_TIMEOUT,
        metavar="SECONDS",
        help="fail a call of an implementation that takes longer than this; its process is "
        f"killed (default {DEFAULT_CALL_TIMEOUT:g}; 0: no limit)",
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


_NAMED = pytest.StashKey[list[tuple[str, str]]]()


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    if config.getoption("call_timeout") < 0:
        raise pytest.UsageError(
            f"--call-timeout must be >= 0, got {config.getoption('call_timeout'):g}"
        )
    _memory(config.getoption("memory_limit"))
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
    try:
        config.stash[_NAMED] = check_specs(requested_specs(config) or [REFERENCE_SPEC])
    except ImplementationError as exc:
        raise pytest.UsageError(str(exc)) from None


def named_implementations(config: pytest.Config) -> list[tuple[str, str]]:
    """``(name, spec)`` of every implementation under test, in command-line order."""
    return config.stash[_NAMED]


def _jax_cache_root(config: pytest.Config) -> Path | None:
    """JAX's persistent compilation cache, in pytest's cache directory (``None``: none).

    Every xdist worker sees the same directory, so a program compiled by one
    is a cache hit for the others and for the next run.  The thresholds are
    lowered because every compile here is small (~0.2 s) and would otherwise
    not be saved.  Only judging processes write :data:`JUDGE_CACHE`; a host
    gets a copy of it (and of the reference's), except the built-in
    reference's hosts, which keep :data:`REFERENCE_CACHE` themselves.
    """
    if _JAX_CACHE in config.stash:
        return config.stash[_JAX_CACHE]
    cache = getattr(config, "cache", None)
    root = None
    if not config.getoption("no_jax_cache") and cache is not None:
        import jax

        root = cache.mkdir(JAX_CACHE_SUBDIR)
        judge = root / JUDGE_CACHE
        judge.mkdir(exist_ok=True)
        (root / REFERENCE_CACHE).mkdir(exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", str(judge))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    config.stash[_JAX_CACHE] = root
    return root


def _hidden_paths(config: pytest.Config) -> list[str]:
    """What a sandboxed host must not see: the report, corpus, JUnit file and pytest's cache."""
    paths = [
        config.getoption("conformance_report"),
        config.getoption("corpus"),
        config.getoption("xmlpath", None),
    ]
    cache = getattr(config, "cache", None)
    if cache is not None:
        paths.append(str(cache._cachedir))
    return [str(p) for p in paths if p]


def isolation(config: pytest.Config) -> Isolation:
    """How implementations run in this session, decided once per process."""
    if ISOLATION not in config.stash:
        specs = [spec for _, spec in config.stash[_NAMED]]
        try:
            config.stash[ISOLATION] = choose(
                config.getoption("sandbox"),
                in_process=config.getoption("in_process"),
                memory_limit=_memory(config.getoption("memory_limit")),
                hidden=_hidden_paths(config),
                readable_paths=[*sys.path, *(s for s in specs if s.endswith(".py"))],
            )
        except IsolationError as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[ISOLATION]


def _connection(config: pytest.Config, name: str, spec: str) -> Connection:
    timeout = config.getoption("call_timeout")
    chosen = isolation(config)
    if chosen.trusts_the_code:
        return InProcessHost(name, spec, timeout)
    root = _jax_cache_root(config)
    if root is None:
        return Host(name, spec, chosen, timeout)
    if spec == REFERENCE_SPEC:
        return Host(name, spec, chosen, timeout, writable_jax_cache=root / REFERENCE_CACHE)
    return Host(
        name, spec, chosen, timeout, jax_caches=(root / JUDGE_CACHE, root / REFERENCE_CACHE)
    )


def implementations(config: pytest.Config) -> list[Implementation]:
    """The implementations under test, each with its connection in this process."""
    if IMPLS not in config.stash:
        _jax_cache_root(config)
        config.stash[IMPLS] = [
            Implementation(name, spec, _connection(config, name, spec))
            for name, spec in config.stash[_NAMED]
        ]
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
    for impl in implementations(config):
        lines.append(f"  {impl.name}: {impl.location}")
    lines.append(f"trainstate-conformance: isolation: {isolation(config).description}")
    profile = config.getoption("hypothesis_profile", None) or profiles.default_profile_name()
    shown = ("jax", "flax", "optax", "numpy", "hypothesis")
    versions = ", ".join(f"{name} {library_version(name)}" for name in shown)
    lines.append(f"trainstate-conformance: hypothesis profile {profile}; {versions}")
    return lines
