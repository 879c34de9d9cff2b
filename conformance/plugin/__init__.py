"""The pytest plugin: the implementations, collecting and parametrizing the properties.

Loaded by :mod:`pytest_trainstate` (the ``pytest11`` entry point, which also
holds the options: :mod:`conformance.plugin.options`) and, in a checkout, by the root
``conftest.py``.  The rest of the plugin is in the modules this one registers:
:mod:`conformance.plugin.profile_loading` (the profiles registered in time),
:mod:`conformance.plugin.collection` (run order, known deviations),
:mod:`conformance.plugin.counting` (examples counted, the corpus replayed and
recorded), :mod:`conformance.plugin.verdict_hooks` (``--trainstate-maxfail``, the
matrix, the JSON report), :mod:`conformance.plugin.scheduling` (xdist) and
:mod:`conformance.isolation.lifecycle` (the processes that host the
implementations: started, checked, stopped).

- ``--trainstate-impl SPEC`` (repeatable) or ``TRAINSTATE_IMPL=SPEC[,SPEC...]``:
  the implementations to test, each a dotted module name or a ``.py`` path;
  with neither, the reference.  Every property is parametrized over them with
  the implementation's name as the id, so ``-k numpy_float64`` selects one.
  Given with no test paths, the session runs the suite's properties, and
  nothing else, whatever directory it starts in and whatever that project's
  ``testpaths`` and ``python_files`` say (:func:`pytest_load_initial_conftests`,
  :class:`SuiteModule`).
- ``--trainstate-sandbox``, ``--trainstate-memory-limit``,
  ``--trainstate-in-process``: how the implementations run
  (:mod:`conformance.isolation.launcher`).

Only the suite's own modules are touched: a project's own tests, in the same
session, keep their order, scheduler, fixtures and markers.

No implementation is ever imported into a process of pytest's: each judging
process starts one host process per implementation when it collects the
properties.  A missing file or a name given twice stops the run at start-up
with a one-line usage error.  A module that cannot be imported, or defines
nothing to test, is a verdict of its own (``module_imports`` fails, every
other property is blocked by it), so that it never costs another
implementation of the run its verdict.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conformance.isolation.connection import Connection, Host, InProcessHost
from conformance.isolation.implementations import (
    REFERENCE_SPEC,
    Implementation,
    ImplementationError,
    check_specs,
)
from conformance.isolation.launcher import Isolation, IsolationError, choose
from conformance.plugin.options import ENV_VAR, requested_specs
from conformance.plugin.stash import CORPUS, DEVIATIONS, IMPLS, ISOLATION
from conformance.reporting.known_deviations import KnownDeviationsError, Pattern, read_patterns
from conformance.reporting.verdicts import library_version

# The plugin's other hooks, one module per job.
pytest_plugins = [
    "conformance.plugin.profile_loading",
    "conformance.plugin.collection",
    "conformance.plugin.budget",
    "conformance.plugin.counting",
    "conformance.plugin.verdict_hooks",
    "conformance.plugin.scheduling",
    "conformance.isolation.lifecycle",
]

SUITE = Path(__file__).resolve().parent.parent
JAX_CACHE_SUBDIR = "trainstate-jax-compilation-cache"
JUDGE_CACHE = "judge"
"""Subdirectory of the JAX cache written by the judging processes only."""
REFERENCE_CACHE = "reference"
"""Subdirectory written by the built-in reference's own hosts (the suite's code)."""

_JAX_CACHE = pytest.StashKey[Path | None]()

MARKERS = {
    "trainstate_one_step": "a property of one_step(seed, x, y, lr) (trainstate-conformance)",
    "trainstate_train_state": "a property of a TrainState-like class (trainstate-conformance)",
    "trainstate_module": "a property of the implementation's module itself: it imports and "
    "defines something to test (trainstate-conformance)",
    "trainstate_observed": "the verdict rests on what the suite observed inside the "
    "implementation's own process (trainstate-conformance)",
    "trainstate_basic": "a basic promise of the contract, run before the other properties "
    "(trainstate-conformance)",
    "trainstate_no_updates": "a TrainState property that never completes an apply_gradients "
    "call, run last (trainstate-conformance)",
}


def is_suite_module(path: Path) -> bool:
    """Whether ``path`` is one of the suite's property modules."""
    return path.parent == SUITE and path.name.startswith("test_") and path.suffix == ".py"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    """With implementations named and no test paths, the suite's properties are the test paths.

    So a session started anywhere (a project whose ``testpaths`` name its own
    tests, or none) runs exactly the suite.  ``--trainstate-impl PATH`` with a
    space is where this matters most: pytest decides its rootdir before plugins
    add their options, so it took ``PATH`` for a test path, found no
    configuration near it, and collected everything below the working
    directory.
    """
    known = early_config.known_args_namespace
    if requested_specs(known) and not getattr(known, "file_or_dir", None):
        args.append(str(SUITE))


class SuiteModule(pytest.Module):
    """A property module, collected whatever the session's ``python_*`` settings are.

    It is imported by its name in the installed package, not by path: pytest's
    default ``prepend`` import mode would put the checkout first on ``sys.path``,
    where its top-level ``strategies/`` and ``reference/`` would shadow a user's
    own packages of those names for the rest of the session.
    """

    def _getobj(self) -> ModuleType:
        module = importlib.import_module(f"{SUITE.name}.{self.path.stem}")
        self.config.pluginmanager.consider_module(module)
        return module

    def funcnamefilter(self, name: str) -> bool:
        return name.startswith("test_")

    def classnamefilter(self, name: str) -> bool:
        return False


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(
    module_path: Path, parent: pytest.Collector
) -> pytest.Module | None:
    if is_suite_module(module_path):
        return SuiteModule.from_parent(parent, path=module_path)
    return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    # pytest's own collector makes a module of the files its python_files match (and asks
    # pytest_pycollect_makemodule above); the suite's modules are collected in any case.
    from _pytest.python import path_matches_patterns

    if is_suite_module(file_path) and not path_matches_patterns(
        file_path, parent.config.getini("python_files")
    ):
        return SuiteModule.from_parent(parent, path=file_path)
    return None


def _memory(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if match is None:
        raise pytest.UsageError(
            f"--trainstate-memory-limit {text}: expected a size like 4G, 512M or 0"
        )
    scale = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[match.group(2)]
    return int(float(match.group(1)) * scale)


_NAMED = pytest.StashKey[list[tuple[str, str]]]()


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    timeout = config.getoption("trainstate_call_timeout")
    if timeout < 0:
        raise pytest.UsageError(f"--trainstate-call-timeout must be >= 0, got {timeout:g}")
    _memory(config.getoption("trainstate_memory_limit"))
    deviations: list[tuple[str, Pattern]] = []
    try:
        for kind, option in (("xfail", "xfails_file"), ("skip", "skips_file")):
            flag = f"--trainstate-{option.replace('_', '-')}"
            for path in config.getoption(f"trainstate_{option}"):
                deviations += [(kind, pattern) for pattern in read_patterns(flag, path)]
    except KnownDeviationsError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[DEVIATIONS] = deviations
    corpus_path = config.getoption("trainstate_corpus")
    if corpus_path is not None:
        from conformance.reporting import corpus

        try:
            config.stash[CORPUS] = corpus.load(Path(corpus_path))
        except corpus.CorpusError as exc:
            raise pytest.UsageError(str(exc)) from None
    try:
        config.stash[_NAMED] = check_specs(requested_specs(config.option) or [REFERENCE_SPEC])
    except ImplementationError as exc:
        raise pytest.UsageError(str(exc)) from None
    if runs_the_suite(config):
        from conformance.plugin import platform

        platform.configure(config)


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
    if not config.getoption("trainstate_no_jax_cache") and cache is not None:
        import jax

        root = cache.mkdir(JAX_CACHE_SUBDIR)
        judge = root / JUDGE_CACHE
        judge.mkdir(exist_ok=True)
        (root / REFERENCE_CACHE).mkdir(exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", str(judge))  # type: ignore[no-untyped-call]
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # type: ignore[no-untyped-call]
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)  # type: ignore[no-untyped-call]
    config.stash[_JAX_CACHE] = root
    return root


def _hidden_paths(config: pytest.Config) -> list[str]:
    """What a sandboxed host must not see: the reports (the suite's, the graders'), the weights,
    corpus, JUnit file and pytest's cache."""
    paths = [
        config.getoption("trainstate_report"),
        config.getoption("trainstate_gradescope"),
        config.getoption("trainstate_prairielearn"),
        config.getoption("trainstate_weights"),
        config.getoption("trainstate_corpus"),
        config.getoption("xmlpath", None),
    ]
    cache = getattr(config, "cache", None)
    if cache is not None:
        paths.append(str(cache._cachedir))
    return [str(p) for p in paths if p]


def _module_files(specs: list[str]) -> list[str]:
    """The files (or top-level package directories) a host reads to import ``specs``."""
    from conformance.isolation.declared_names import module_root

    return [str(root) for spec in specs if (root := module_root(spec)) is not None]


def isolation(config: pytest.Config) -> Isolation:
    """How implementations run in this session, decided once per process."""
    if ISOLATION not in config.stash:
        specs = [spec for _, spec in config.stash[_NAMED]]
        try:
            config.stash[ISOLATION] = choose(
                config.getoption("trainstate_sandbox"),
                in_process=config.getoption("trainstate_in_process"),
                memory_limit=_memory(config.getoption("trainstate_memory_limit")),
                hidden=_hidden_paths(config),
                readable_paths=[*sys.path, *_module_files(specs)],
                device=config.getoption("trainstate_device"),
                # The suite's own reference alone is no submission: nothing to refuse to run.
                trust_submissions=config.getoption("trainstate_trust_submissions")
                or all(spec == REFERENCE_SPEC for spec in specs),
            )
        except IsolationError as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[ISOLATION]


def _connection(config: pytest.Config, name: str, spec: str) -> Connection:
    timeout = config.getoption("trainstate_call_timeout")
    chosen = isolation(config)
    if chosen.trusts_the_code:
        return InProcessHost(name, spec, timeout)
    root = _jax_cache_root(config)
    trusted = spec == REFERENCE_SPEC
    if root is None:
        return Host(name, spec, chosen, timeout, trusted=trusted)
    if trusted:
        return Host(
            name, spec, chosen, timeout, writable_jax_cache=root / REFERENCE_CACHE, trusted=True
        )
    return Host(
        name, spec, chosen, timeout, jax_caches=(root / JUDGE_CACHE, root / REFERENCE_CACHE)
    )


def implementations(config: pytest.Config) -> list[Implementation]:
    """The implementations under test, each with its connection in this process."""
    if IMPLS not in config.stash:
        _jax_cache_root(config)
        required = frozenset(config.getoption("trainstate_require"))
        config.stash[IMPLS] = [
            Implementation(name, spec, _connection(config, name, spec), required=required)
            for name, spec in config.stash[_NAMED]
        ]
    return config.stash[IMPLS]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Only the suite's properties: a project's own test may take an argument named impl.
    if "impl" in metafunc.fixturenames and is_suite_module(Path(metafunc.module.__file__)):
        impls = implementations(metafunc.config)
        metafunc.parametrize("impl", impls, ids=[impl.name for impl in impls])


def runs_the_suite(config: pytest.Config) -> bool:
    """Whether this session was asked for the conformance properties: an implementation is
    named, or a path (or ``--pyargs`` module) given to pytest is, holds or is inside the suite.

    In any other session (another project's tests, with this package installed) the plugin
    stays out of sight: no header, and neither Hypothesis nor NumPy imported.
    """
    if requested_specs(config.option):
        return True
    suite = SUITE
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
    from conformance.properties import profiles

    specs = requested_specs(config.option)
    source = (
        "--trainstate-impl"
        if config.getoption("trainstate_impl")
        else (ENV_VAR if specs else "default")
    )
    lines = [f"trainstate-conformance: implementations from {source}:"]
    for impl in implementations(config):
        lines.append(f"  {impl.name}: {impl.location}")
    lines.append(f"trainstate-conformance: isolation: {isolation(config).description}")
    from conformance.plugin import platform

    lines.append(f"trainstate-conformance: platform: {platform.configure(config).describe()}")
    profile = config.getoption("hypothesis_profile", None) or profiles.default_profile_name()
    shown = ("jax", "flax", "optax", "numpy", "hypothesis")
    versions = ", ".join(f"{name} {library_version(name)}" for name in shown)
    lines.append(f"trainstate-conformance: hypothesis profile {profile}; {versions}")
    return lines
