"""What the process that hosts an implementation does: import it, and answer each request.

One :class:`Service` per implementation.  A request is plain data (see
:mod:`conformance.isolation.protocol`); the answer is plain data too: what
``one_step`` returned, described (:func:`describe_output`), or what it
raised; for the TrainState properties, what the suite's own scenario code
observed (:mod:`conformance.properties.train_state_scenarios`).  Every
``BaseException`` out of the implementation (``SystemExit``, pytest's skip
and xfail outcomes, ``KeyboardInterrupt``...) is an answer like any other,
never an outcome of the process that judges.

The same code serves a host process (:mod:`conformance.isolation.host`) and,
under ``--in-process``, the judging process itself.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import gc
import importlib
import importlib.util
import io
import logging
import os
import random
import signal
import sys
import threading
import warnings
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from conformance.isolation.descriptions import FILE_MODULE_PREFIX, describe_exception, first_line
from conformance.isolation.layouts import lay_out
from conformance.isolation.own_changes import own_directory, watching
from conformance.isolation.protocol import plain_dtype
from conformance.reference.class_calls import ClassCallFailed

if TYPE_CHECKING:
    # What np.geterr() returns; NumPy's stubs name it, NumPy does not export it.
    from numpy._core._ufunc_config import _ErrDict

OUTPUT_LIMIT = 1 << 20
"""Characters one request may write to ``sys.stdout``/``sys.stderr`` before it fails."""

OUTPUT_KEPT = 4096
"""Characters of what a request printed that are sent to the judge (the count is exact)."""

BUFFERS_KEPT = 16
"""Input arrays the host keeps to refill for a later call of the same shape and dtype
(``reuse_buffers``): a few per shape of the small pools the suite draws from."""

ANSWERS_WATCHED = 64
"""Writable arrays ``one_step`` returned that the host holds (alive, so that their memory is
not reused) to see whether a later call returns the same memory: a few more than the calls
between two asks of one problem in a property."""

VALUES_SENT = 64
"""Values of an output that are sent to the judge: it needs two, and shows at most eight; the
count is sent too.  So an answer to ``one_step`` is a few kilobytes, whatever it returned."""


class ImportFailed(Exception):
    """The implementation cannot be imported or offers nothing to test; one-line message."""


def is_file_spec(spec: str) -> bool:
    return spec.endswith(".py") or "/" in spec or "\\" in spec


def spec_name(spec: str) -> str:
    """The name test ids carry: the file's stem, or the last part of the module name."""
    return Path(spec).stem if is_file_spec(spec) else spec.rsplit(".", 1)[-1]


def spec_directory(spec: str, target: str | None = None) -> str | None:
    """The directory of the implementation's file, before it is imported; ``None`` where it
    cannot be told without importing it."""
    if is_file_spec(spec):
        return str(Path(target or spec).expanduser().resolve().parent)
    try:
        found = importlib.util.find_spec(spec)
    except Exception:
        return None
    origin = found.origin if found is not None else None
    return str(Path(origin).resolve().parent) if origin and origin != "built-in" else None


def import_spec(spec: str, target: str | None = None) -> ModuleType:
    """Import a dotted module name or a ``.py`` file; :class:`ImportFailed` says why not.

    ``target`` is what to import when it differs from the ``spec`` the user
    gave (an absolute path, in a process with another working directory);
    messages name the spec.
    """
    if is_file_spec(spec):
        path = Path(target or spec).expanduser()
        if not path.is_file():
            raise ImportFailed(f"--trainstate-impl {spec}: no such file")
        module_name = f"{FILE_MODULE_PREFIX}{path.stem}_{abs(hash(str(path.resolve()))):x}"
        loader_spec = importlib.util.spec_from_file_location(module_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ImportFailed(f"--trainstate-impl {spec}: cannot be imported as a Python file")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[module_name] = module
        try:
            loader_spec.loader.exec_module(module)
        except BaseException as exc:
            sys.modules.pop(module_name, None)
            raise ImportFailed(
                f"--trainstate-impl {spec}: importing it raised {type(exc).__name__}: "
                f"{first_line(exc)}"
            ) from None
        return module
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as exc:
        if exc.name is not None and spec.startswith(exc.name):
            raise ImportFailed(f"--trainstate-impl {spec}: no module named {exc.name!r}") from None
        raise ImportFailed(
            f"--trainstate-impl {spec}: importing it raised ModuleNotFoundError: {first_line(exc)}"
        ) from None
    except BaseException as exc:
        raise ImportFailed(
            f"--trainstate-impl {spec}: importing it raised {type(exc).__name__}: {first_line(exc)}"
        ) from None


def _attempt(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except Exception:
        return None


def describe_output(raw: Any) -> dict[str, Any]:
    """What ``one_step`` returned, as data: type, shape, dtype and its values as float64."""
    shape = _attempt(lambda: tuple(int(n) for n in raw.shape))
    dtype = _attempt(lambda: np.dtype(raw.dtype))
    described: dict[str, Any] = {
        "type": f"{type(raw).__module__}.{type(raw).__qualname__}",
        "is_ndarray": isinstance(raw, np.ndarray),
        "shape": None if shape is None else list(shape),
        "dtype": None if dtype is None else str(dtype),
        "dtype_kind": None if dtype is None else dtype.kind,
        "as_array_dtype": _attempt(lambda: str(np.asarray(raw).dtype)),
    }
    if shape is None or dtype is None:
        # An array is shown from its values by the judge; anything else by its repr.
        described["repr"] = _attempt(lambda: f"{raw!r:.200}") or f"<{type(raw).__qualname__}>"
    try:
        values = np.asarray(raw, dtype=np.float64).reshape(-1)
        described["values"] = values[:VALUES_SENT]
        described["size"] = int(values.size)
    except Exception as exc:
        described["values_error"] = f"{type(exc).__name__}: {first_line(exc)}"
    return described


class _BoundedSink(io.TextIOBase):
    """Counts what is written and keeps only the first :data:`OUTPUT_KEPT` characters."""

    def __init__(self) -> None:
        self.written = 0
        self.kept: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.written < OUTPUT_KEPT:
            self.kept.append(text[: OUTPUT_KEPT - self.written])
        self.written += len(text)
        return len(text)


_JAX_SETTINGS = (
    "jax_enable_x64",
    "jax_default_matmul_precision",
    "jax_numpy_rank_promotion",
    "jax_numpy_dtype_promotion",
    "jax_default_prng_impl",
    "jax_disable_jit",
    "jax_debug_nans",
    "jax_debug_infs",
    "jax_threefry_partitionable",
    "jax_random_seed_offset",
    "jax_legacy_prng_key",
    "jax_debug_key_reuse",
    "jax_transfer_guard",
    "jax_check_tracer_leaks",
    "jax_default_device",
    "jax_compilation_cache_dir",
    "jax_persistent_cache_min_compile_time_secs",
    "jax_persistent_cache_min_entry_size_bytes",
)
"""JAX's process-wide settings that change what later JAX code computes, or whether it runs:
float64 everywhere, another matmul precision, broadcasting or promotion that raises, another
PRNG or PRNG layout (other random numbers for the same key), no compilation, NaN checks, every
``PRNGKey(k)`` made as ``PRNGKey(k + offset)``, legacy ``uint32[2]`` keys refused, a typed key
used twice raising ``KeyReuseError``, an implicit host-to-device transfer refused, a leaked
tracer raising, arrays placed on another device by default; and where and which programs
JAX writes to a persistent compilation cache, which then holds the caller's own programs."""


_JAX_DEFAULTS: dict[str, object] = {
    "jax_enable_x64": False,
    "jax_default_matmul_precision": None,
    "jax_numpy_rank_promotion": "allow",
    "jax_numpy_dtype_promotion": "standard",
    "jax_default_prng_impl": "threefry2x32",
    "jax_disable_jit": False,
    "jax_debug_nans": False,
    "jax_debug_infs": False,
    "jax_random_seed_offset": 0,
    "jax_legacy_prng_key": "allow",
    "jax_debug_key_reuse": False,
    "jax_transfer_guard": None,
    "jax_check_tracer_leaks": False,
    "jax_default_device": None,
    "jax_compilation_cache_dir": None,
    "jax_persistent_cache_min_compile_time_secs": 1.0,
    "jax_persistent_cache_min_entry_size_bytes": 0,
}
"""What :data:`_JAX_SETTINGS` are when JAX is imported with no ``JAX_*`` variable naming them:
the settings a module found when its import is what imported JAX.  Not
``jax_threefry_partitionable``, whose default changed (``True`` from JAX 0.5): a call's change
of it is still seen."""


def _environment_value(name: str, default: object) -> object:
    """The value JAX reads for setting ``name`` from its ``JAX_*`` variable, if one is set,
    as the type of its default; else the default."""
    text = os.environ.get(name.upper())
    if text is None:
        return default
    if isinstance(default, bool):
        return text.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, (int, float)):
        try:
            return type(default)(float(text))
        except ValueError:
            return text
    return text


def _jax_settings() -> dict[str, object]:
    # JAX's defaults until something imports it; a NumPy implementation never pays for it.
    jax = sys.modules.get("jax")
    if jax is None:
        return {}
    # A setting this JAX does not have yet (the seed offset is newer than the oldest JAX the
    # suite supports) cannot have been changed.
    values = {
        name: getattr(jax.config, name) for name in _JAX_SETTINGS if hasattr(jax.config, name)
    }
    # An enum (dtype promotion) is set back, and shown, by its value.
    return {name: getattr(value, "value", value) for name, value in values.items()}


def _flax_settings() -> dict[str, object]:
    """Flax's process-wide flags (``flax.config``): ``flax_return_frozendict`` makes every later
    ``init`` return a ``FrozenDict``, ``flax_fix_rng_separator`` derives other random numbers;
    nothing until something imports Flax."""
    flax = sys.modules.get("flax")
    config = getattr(flax, "config", None)
    if config is None:
        return {}
    names = [n for n in dir(config) if n.startswith(("flax_", "nnx_"))]
    return {name: getattr(config, name) for name in names}


@functools.cache
def _flax_defaults() -> dict[str, object]:
    """Each flag's default as ``flax/configurations.py`` declares it (``bool_flag(name=...,
    default=...)``), read from the source, not run: the values Flax starts with in a host,
    whose environment names no ``FLAX_*`` variable."""
    module = sys.modules.get("flax.configurations")
    source = getattr(module, "__file__", None)
    if source is None:
        return {}
    try:
        tree = ast.parse(Path(source).read_text())
    except (OSError, SyntaxError, ValueError):
        return {}
    found: dict[str, object] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        given = {k.arg: k.value for k in node.keywords}
        if "name" in given and "default" in given:
            with contextlib.suppress(ValueError, TypeError, SyntaxError):
                found[str(ast.literal_eval(given["name"])).lower()] = ast.literal_eval(
                    given["default"]
                )
    return found


@dataclasses.dataclass(frozen=True)
class GlobalState:
    """The process-wide settings an implementation could change behind its caller's back.

    JAX's settings (:data:`_JAX_SETTINGS`: ``jax_enable_x64`` silently turns
    later float32 computations into float64) and NumPy's error and print
    settings change what later code does and shows.  Every request puts them
    back, so that each call starts from the same settings.  The global
    generators (NumPy's, Python's ``random``) and the environment variables are
    checked only on request (NumPy's state costs ~70 us to read or set): the
    call then starts from :data:`_RNG_BASELINE` and :data:`_PY_RNG_BASELINE`, so
    that a call that reseeds one always shows, even when an earlier call left
    the very state the reseeding makes.
    """

    jax: Mapping[str, object]
    numpy_errors: _ErrDict
    numpy_print: Mapping[str, object]
    flax: Mapping[str, object] = dataclasses.field(default_factory=dict)

    @classmethod
    def capture(cls) -> GlobalState:
        return cls(
            jax=_jax_settings(),
            numpy_errors=np.geterr(),
            numpy_print=np.get_printoptions(),
            flax=_flax_settings(),
        )

    def restore(self) -> None:
        jax = sys.modules.get("jax")
        if jax is not None:
            now = _jax_settings()
            for name, value in self.jax.items():
                if now.get(name) != value:
                    jax.config.update(name, value)
        if self.flax:
            config = sys.modules["flax"].config
            now = _flax_settings()
            for name, value in self.flax.items():
                if now.get(name) != value:
                    with contextlib.suppress(Exception):
                        config.update(name, value)
        np.seterr(**self.numpy_errors)
        np.set_printoptions(**self.numpy_print)  # type: ignore[arg-type]

    def import_changes_since(self, before: GlobalState) -> list[str]:
        """:meth:`changes_since`, for an import: where the import is what imported JAX, its
        settings are compared with what JAX starts with: its defaults, or the value the
        environment gives (the host's own compilation cache, ``JAX_ENABLE_X64=1``)."""
        if not before.jax and self.jax:
            found = {
                name: _environment_value(name, default) for name, default in _JAX_DEFAULTS.items()
            }
            before = dataclasses.replace(before, jax=found)
        if not before.flax and self.flax:
            before = dataclasses.replace(before, flax=_flax_defaults())
        return self.changes_since(before)

    def changes_since(self, before: GlobalState) -> list[str]:
        changes = [
            f"{name} {before.jax.get(name)!r} -> {value!r}"
            for name, value in self.jax.items()
            # A setting first read now: JAX was imported by the call, with its defaults.
            if name in before.jax and before.jax[name] != value
        ]
        changes += [
            f"flax.config.{name} {before.flax.get(name)!r} -> {value!r}"
            for name, value in self.flax.items()
            if name in before.flax and before.flax[name] != value
        ]
        if self.numpy_errors != before.numpy_errors:
            changes.append(f"numpy error settings {before.numpy_errors} -> {self.numpy_errors}")
        if self.numpy_print != before.numpy_print:
            changed = {
                k for k in self.numpy_print if self.numpy_print[k] != before.numpy_print.get(k)
            }
            changes.append(f"numpy print options ({', '.join(sorted(changed))})")
        return changes


_RNG_BASELINE = np.random.get_state(legacy=False)
"""The global NumPy generator's state when this process started the suite's code."""
_PY_RNG_BASELINE = random.getstate()
"""Python's global ``random`` generator's state, likewise."""


def _rng_changed(baseline: dict[str, Any] = _RNG_BASELINE) -> bool:
    now = np.random.get_state(legacy=False)
    a, b = baseline["state"], now["state"]
    return not (np.array_equal(a["key"], b["key"]) and a["pos"] == b["pos"])


@dataclasses.dataclass(frozen=True)
class ProcessFacts:
    """What else a call could leave changed for the rest of its caller's process: the working
    directory, Python's garbage collector, the root logger, ``logging.disable``'s level (which
    drops every logger's records below it), the SIGINT, SIGTERM and SIGALRM handlers, a
    pending SIGALRM timer (a watchdog's, a time limit's), the warnings filters, and the
    threads running.  Checked with the generators (:func:`captured`); all but
    the threads are put back."""

    cwd: str
    gc_enabled: bool
    root_logger: tuple[int, tuple[object, ...]]
    logging_disabled: int
    signals: tuple[object, ...]
    alarm_left: float
    warnings_filters: tuple[object, ...]
    threads: frozenset[int]

    @classmethod
    def capture(cls) -> ProcessFacts:
        root = logging.getLogger()
        return cls(
            cwd=os.getcwd(),
            gc_enabled=gc.isenabled(),
            root_logger=(root.level, tuple(root.handlers)),
            logging_disabled=logging.root.manager.disable,
            signals=tuple(signal.getsignal(s) for s in _SIGNALS),
            alarm_left=signal.getitimer(signal.ITIMER_REAL)[0],
            warnings_filters=tuple(warnings.filters),
            threads=frozenset(t.ident or 0 for t in threading.enumerate()),
        )

    def changes_since(
        self, before: ProcessFacts, imported: bool, own: Mapping[str, str]
    ) -> list[str]:
        """What changed, each put back; an import may set up logging, warnings filters, signal
        handlers or threads of its own once, so a call that imported is not held to those,
        but for the kinds of change (:data:`~conformance.isolation.own_changes.KINDS`) the
        implementation's own code made (``own``, each with its place)."""

        def held(kind: str) -> bool:
            return not imported or kind in own

        changes = []
        if self.cwd != before.cwd:
            changes.append(f"the working directory ({before.cwd} -> {self.cwd})")
            os.chdir(before.cwd)
        if self.gc_enabled != before.gc_enabled:
            changes.append(f"gc.isenabled() {before.gc_enabled} -> {self.gc_enabled}")
            (gc.enable if before.gc_enabled else gc.disable)()
        if self.root_logger != before.root_logger:
            if held("root_logger"):
                changes.append(
                    "the root logger's level or handlers "
                    f"({own.get('root_logger', 'logging.basicConfig?')})"
                )
            root = logging.getLogger()
            root.setLevel(before.root_logger[0])
            root.handlers[:] = list(before.root_logger[1])  # type: ignore[arg-type]
        if self.logging_disabled != before.logging_disabled:
            if held("logging_disabled"):
                changes.append(
                    f"logging.disable's level ({before.logging_disabled} -> "
                    f"{self.logging_disabled}: every logger's records at or below it are dropped)"
                )
            logging.disable(before.logging_disabled)
        if self.signals != before.signals:
            if not imported:
                changes.append("the SIGINT, SIGTERM or SIGALRM handler")
            for number, handler in zip(_SIGNALS, before.signals, strict=True):
                with contextlib.suppress(TypeError, ValueError):
                    signal.signal(number, handler)  # type: ignore[arg-type]
        if before.alarm_left > 0 and self.alarm_left == 0:
            # Held whatever the call imported: no library's set-up cancels its importer's timer.
            changes.append(
                "the caller's pending SIGALRM timer, cancelled (signal.alarm(0) or "
                "setitimer(ITIMER_REAL, 0) without setting back what alarm returned)"
            )
            signal.setitimer(signal.ITIMER_REAL, before.alarm_left)
        if self.warnings_filters != before.warnings_filters:
            if held("warnings"):
                changes.append(
                    f"the warnings filters ({own.get('warnings', 'warnings.simplefilter?')})"
                )
            warnings.filters[:] = list(before.warnings_filters)  # type: ignore[index]
        started = self.threads - before.threads
        if started and not imported:
            changes.append(
                f"{len(started)} thread(s) it started and left running after it returned"
            )
        return changes


_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)

PENDING_ALARM_SECONDS = 10.0**7
"""The SIGALRM timer a host keeps pending (ignored, and far off), as a caller with a watchdog or
a time limit has one: a call that cancels it shows (:meth:`ProcessFacts.changes_since`)."""


def arm_pending_alarm() -> None:
    """Give this process the pending, ignored SIGALRM timer of :data:`PENDING_ALARM_SECONDS`."""
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    signal.setitimer(signal.ITIMER_REAL, PENDING_ALARM_SECONDS)


def _environment_changes(before: dict[str, str]) -> list[str]:
    """The names of the environment variables set, changed or removed since ``before`` (the
    values may be anything, secrets included: they are not reported), which are put back."""
    now = dict(os.environ)
    names = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    for name in names:
        if name in before:
            os.environ[name] = before[name]
        else:
            del os.environ[name]
    return [f"environment variable {name}" for name in names]


@dataclasses.dataclass(frozen=True)
class _Untouched:
    """What an import may change when a library does it, but not the implementation's own
    top-level code: what changes what its importer's code computes (its random draws, the
    variables its JAX and subprocesses read).  Logging and warnings set-up only changes what
    the importer shows, and scripts do it at their top: not held at import (a call is held to
    them)."""

    python_rng: object
    numpy_rng: dict[str, Any]
    environment: dict[str, str]

    @classmethod
    def capture(cls) -> _Untouched:
        return cls(random.getstate(), np.random.get_state(legacy=False), dict(os.environ))

    def changed_by(self, own: Mapping[str, str]) -> list[str]:
        """The kinds of change the module's own code made (``own``, see
        :mod:`conformance.isolation.own_changes`) that are held at import and still in force,
        with their place."""
        changed = {
            "python_rng": random.getstate() != self.python_rng,
            "numpy_rng": _rng_changed(self.numpy_rng),
            "environment": dict(os.environ) != self.environment,
        }
        shown = {
            "python_rng": "Python's global random state",
            "numpy_rng": "numpy's global random state",
            "environment": "the environment variables",
        }
        return [f"{shown[kind]} ({place})" for kind, place in own.items() if changed.get(kind)]


@dataclasses.dataclass
class Capture:
    """What a request printed (through ``sys.stdout``/``sys.stderr``) and changed process-wide."""

    sink: _BoundedSink
    changes: list[str] = dataclasses.field(default_factory=list)

    imported: bool = False
    """Whether the block imported modules (and so was not held to the generators and the
    environment)."""

    def report(self) -> dict[str, Any]:
        return {
            "printed": self.sink.written,
            "output": "".join(self.sink.kept),
            "state_changes": self.changes,
            "imported": self.imported,
        }


@contextlib.contextmanager
def captured(check_rng: bool = False, own: str | None = None) -> Iterator[Capture]:
    """Capture printing and process-wide changes of the block; the settings are put back.

    ``own``: the implementation's directory, whose code is held to the changes a call that
    imports modules is excused (:mod:`conformance.isolation.own_changes`)."""
    capture = Capture(_BoundedSink())
    before = GlobalState.capture()
    environment = dict(os.environ) if check_rng else {}
    facts = ProcessFacts.capture() if check_rng else None
    modules = len(sys.modules)
    if check_rng:
        np.random.set_state(_RNG_BASELINE)
        random.setstate(_PY_RNG_BASELINE)
    streams: list[str] = []
    own_code: dict[str, str] = {}
    flipped: list[str] = []
    try:
        with (
            contextlib.redirect_stdout(capture.sink),
            contextlib.redirect_stderr(capture.sink),
            watching(own if check_rng else None) as own_code,
            _settings_set_inside(flipped if check_rng else None),
        ):
            try:
                yield capture
            finally:
                # Leaving the redirection puts the streams back, which would hide a call that
                # "restores" them to sys.__stdout__ rather than to what they were.
                streams = [
                    f"sys.{name} (replaced by {_stream_text(getattr(sys, name))}, not left as "
                    f"the caller's stream)"
                    for name in ("stdout", "stderr")
                    if getattr(sys, name) is not capture.sink
                ]
    finally:
        capture.changes = GlobalState.capture().changes_since(before) + streams
        if capture.changes:
            before.restore()
        # Set and put back inside the call: the end state shows nothing, the other threads
        # of the caller's process ran under the setting meanwhile.
        capture.changes += [f for f in flipped if f.split(" ", 1)[0] not in str(capture.changes)]
        if check_rng:
            if _rng_changed():
                capture.changes.append("numpy's global random state (reseeded or drawn from)")
                np.random.set_state(_RNG_BASELINE)
            # A call that imports (Flax lazily, say) may draw from Python's generator (rich
            # draws an id when Flax is first imported) or set variables at import: what those
            # modules do once, not what the call does each time. Both are put back either way.
            # Unless the implementation's own code made that kind of change (own_code).
            imported = capture.imported = len(sys.modules) > modules
            if random.getstate() != _PY_RNG_BASELINE:
                if not imported or "python_rng" in own_code:
                    by = own_code.get("python_rng", "reseeded or drawn from")
                    capture.changes.append(f"Python's global random state ({by})")
                random.setstate(_PY_RNG_BASELINE)
            environment_changes = _environment_changes(environment)
            if not imported or "environment" in own_code:
                capture.changes.extend(environment_changes)
            assert facts is not None
            capture.changes.extend(ProcessFacts.capture().changes_since(facts, imported, own_code))


@contextlib.contextmanager
def _settings_set_inside(found: list[str] | None) -> Iterator[None]:
    """Record in ``found`` each of :data:`_JAX_SETTINGS` that ``jax.config.update`` sets to
    another value inside the block (nothing where ``found`` is ``None`` or JAX is not
    imported).  ``jax.enable_x64(True)`` and the other scoped forms are thread-local and do
    not go through ``update``."""
    jax = sys.modules.get("jax")
    if found is None or jax is None:
        yield
        return
    config = jax.config
    original = config.update

    def update(name: str, value: Any) -> Any:
        if name in _JAX_SETTINGS and getattr(config, name, value) != value:
            seen = f"{name} (set to {value!r} inside the call and put back before it returned: "
            seen += "the setting is process-wide, so the caller's other threads ran under it "
            seen += "meanwhile; a scoped form such as `with jax.enable_x64(True):` is "
            seen += "thread-local)"
            if not any(f.startswith(f"{name} ") for f in found):
                found.append(seen)
        return original(name, value)

    shadowed = "update" in vars(config)
    config.update = update
    try:
        yield
    finally:
        if shadowed:
            config.update = original
        else:
            del config.update


def _stream_text(stream: object) -> str:
    for name in ("stdout", "stderr"):
        if stream is getattr(sys, f"__{name}__"):
            return f"sys.__{name}__"
    return f"a {type(stream).__name__}"


def _array_facts(array: Any) -> tuple[object, ...]:
    if not isinstance(array, np.ndarray):
        return (type(array).__name__,)
    return (array.shape, array.strides, array.dtype.str, bool(array.flags.writeable))


def _input_changes(name: str, before: tuple[object, ...], array: Any) -> list[str]:
    """How the caller's array object ``name`` differs from what it was (its bytes are the
    judge's to read): its shape, strides or dtype reassigned, its writeable flag set."""
    after = _array_facts(array)
    if after == before:
        return []
    labels = ("shape", "strides", "dtype", "writeable flag")
    return [
        f"the caller's {name}: its {label} {old!r} -> {new!r}"
        for label, old, new in zip(labels, before, after, strict=False)
        if old != new
    ] or [f"the caller's {name}: replaced by a {after[0]}"]


class Service:
    """Answers the requests of the judge for one imported implementation module."""

    def __init__(
        self,
        module: ModuleType,
        let_through: tuple[type[BaseException], ...] = (),
        import_changes: tuple[str, ...] = (),
    ) -> None:
        from conformance.properties.extra_fields import (
            HOOK,
            FieldValues,
            module_hook,
            near_miss_hook,
        )

        one_step = getattr(module, "one_step", None)
        train_state = getattr(module, "TrainState", None)
        if one_step is not None and not callable(one_step):
            raise ImportFailed("one_step is not callable")
        if train_state is not None and not isinstance(train_state, type):
            raise ImportFailed("TrainState is not a class")
        if one_step is None and train_state is None:
            raise ImportFailed("defines neither one_step nor TrainState")
        if getattr(module, HOOK, None) is not None and module_hook(module) is None:
            raise ImportFailed(f"{HOOK} is not a function of params")
        self.module = module
        self.own = own_directory(module)
        """The implementation's directory (:mod:`conformance.isolation.own_changes`)."""
        self.let_through = let_through
        self.import_changes = import_changes
        """The process-wide settings importing the module changed (and left so)."""
        self.train_state: type | None = train_state
        self.fields = (
            None
            if train_state is None
            else FieldValues(train_state, module_hook(module), near_miss_hook(module))
        )
        if self.fields is not None and any(f.required for f in self.fields.fields):
            self.fields.settle(train_state)  # type: ignore[arg-type]
        self.one_step_is_built = one_step is None
        self.earlier: tuple[np.ndarray, bytes] | None = None
        """The last writable array ``one_step`` returned, and its bytes then (:meth:`_one_step`)."""
        self.earlier_jax: Any = None
        """The last JAX array ``one_step`` returned, which a later call must not delete."""
        self.answers_given: deque[np.ndarray] = deque(maxlen=ANSWERS_WATCHED)
        """The last writable arrays ``one_step`` returned, which their caller owns."""
        self.buffers: OrderedDict[tuple[str, tuple[int, ...], str], np.ndarray] = OrderedDict()
        """Inputs handed to earlier calls that asked ``reuse_buffers`` (:meth:`_refilled`)."""
        if one_step is None:
            from conformance.reference.recipe import one_step_from_train_state

            assert self.fields is not None
            one_step = one_step_from_train_state(train_state, self.fields.for_params)  # type: ignore[arg-type]
        self.one_step: Callable[..., Any] = one_step

    @classmethod
    def load(
        cls,
        spec: str,
        target: str | None = None,
        let_through: tuple[type[BaseException], ...] = (),
    ) -> Service:
        """Import ``spec`` (from ``target``, see :func:`import_spec`).

        ``let_through``: exceptions that are not the implementation's answer but
        stop the judge (``--in-process``: Ctrl-C, the suite's own time limit).
        """
        before = GlobalState.capture()
        untouched = _Untouched.capture()
        with watching(spec_directory(spec, target)) as own_code:
            module = import_spec(spec, target)
        # Left as the import made them: the module's functions are judged as its users run them.
        changed = (
            *GlobalState.capture().import_changes_since(before),
            *untouched.changed_by(own_code),
        )
        try:
            return cls(module, let_through, changed)
        except ImportFailed as exc:
            raise ImportFailed(f"--trainstate-impl {spec}: {exc}") from None

    def capabilities(self) -> dict[str, Any]:
        from conformance.properties.extra_fields import describe_class

        return {
            "origin": str(getattr(self.module, "__file__", None) or self.module.__name__),
            "one_step_is_built": self.one_step_is_built,
            "import_state_changes": list(self.import_changes),
            "train_state": None
            if self.train_state is None or self.fields is None
            else describe_class(self.train_state, self.fields),
        }

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "one_step":
            return self._one_step(request)
        if op == "train_state":
            return self._train_state(request)
        return {"error": f"unknown request {op!r}"}

    def _one_step(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("inputs_are_shared"):
            # Laid out, and made read-only where asked, in the judge's memory: used as they are.
            x, y = request["x"], request["y"]
        else:
            layout = str(request.get("layout") or "C-contiguous")
            x = lay_out(np.array(request["x"]), layout)
            y = lay_out(np.array(request["y"]), layout)
            if request.get("read_only"):
                x.flags.writeable = False
                y.flags.writeable = False
        reused = False
        if request.get("reuse_buffers"):
            if request.get("forget_buffers"):
                # A sequence of calls starts its own buffers, so that which call gets which
                # arrays depends on that sequence alone, and a repro snippet meets the same.
                self.buffers.clear()
            (x, x_reused), (y, y_reused) = self._refilled("x", x), self._refilled("y", y)
            reused = x_reused and y_reused
        answer: dict[str, Any]
        facts = {"x": _array_facts(x), "y": _array_facts(y)}
        seed = request["seed"]
        if isinstance(seed, np.ndarray):
            # The host's own copy, whose values are sent back: a 0-d seed array is the
            # caller's, to be left as it was, as x and y are.
            seed = np.array(seed)
        with captured(check_rng=bool(request.get("check_rng")), own=self.own) as capture:
            try:
                raw = self.one_step(seed, x, y, request["lr"])
            except ClassCallFailed as failed:
                answer = {"raised": describe_exception(failed.raised), "in_class_call": failed.call}
                if failed.missing_field:
                    answer["missing_field"] = failed.missing_field
            except BaseException as exc:
                if isinstance(exc, self.let_through):
                    raise
                answer = {"raised": describe_exception(exc)}
            else:
                answer = {"returned": describe_output(raw)}
        capture.changes += _input_changes("x", facts["x"], x) + _input_changes("y", facts["y"], y)
        # The caller keeps what an earlier call returned: one buffer filled by every call (to
        # save an allocation) changes it behind the caller's back.
        if self.earlier is not None and self.earlier[0].tobytes() != self.earlier[1]:
            capture.changes.append(
                "the array an earlier call returned (its values changed since: one buffer "
                "returned by every call?)"
            )
        # A JAX array cannot change, but its buffer can be donated (jax.jit's donate_argnums)
        # to a later computation: the caller's earlier answer is then deleted.
        if self.earlier_jax is not None and self.earlier_jax.is_deleted():
            capture.changes.append(
                "the JAX array an earlier call returned (deleted since: its buffer donated to "
                "a later call?)"
            )
        returned = raw if "returned" in answer else None
        self.earlier_jax = returned if callable(getattr(returned, "is_deleted", None)) else None
        # A memo that hands out the array it keeps gives every caller of the same inputs one
        # array: a caller that writes into its answer (out[1] *= n, total += ...) changes the
        # others' and every later one.  Equal values cannot show it; the memory does.
        shared = isinstance(returned, np.ndarray) and any(
            np.shares_memory(returned, given) for given in self.answers_given
        )
        if isinstance(returned, np.ndarray) and returned.flags.writeable and not shared:
            self.answers_given.append(returned)
        self.earlier = (
            (returned, returned.tobytes())
            if isinstance(returned, np.ndarray) and returned.flags.writeable
            else None
        )
        if request.get("return_inputs"):
            answer["inputs_after"] = {"x": _sendable(x), "y": _sendable(y)}
        if isinstance(seed, np.ndarray):
            # Sent whether or not x and y are (in shared memory, the judge reads them itself).
            answer["seed_after"] = _sendable(seed)
        return {
            **answer,
            "reused_inputs": reused,
            "shares_an_earlier_answer": shared,
            **capture.report(),
        }

    def _refilled(self, name: str, values: np.ndarray) -> tuple[np.ndarray, bool]:
        """The array handed as ``name`` to the last call that asked ``reuse_buffers`` with this
        shape and dtype, overwritten in place with ``values``, as a data loader refills its
        batch buffer; a new array of the host's own where there is none (or the implementation
        made it read-only or reshaped it).  ``True`` with an array that was handed before.

        The judge's own arrays (``--in-process``) are never refilled: the buffers are copies.
        """
        key = (name, values.shape, values.dtype.str)
        buffer = self.buffers.get(key)
        if buffer is None or buffer.shape != values.shape or not buffer.flags.writeable:
            self.buffers[key] = np.array(values)
            if len(self.buffers) > BUFFERS_KEPT:
                self.buffers.popitem(last=False)
            return self.buffers[key], False
        self.buffers.move_to_end(key)
        buffer[...] = values
        return buffer, True

    def _train_state(self, request: dict[str, Any]) -> dict[str, Any]:
        from conformance.properties.train_state_scenarios import run

        if self.train_state is None:
            return {"error": "the implementation defines no TrainState class"}
        with captured() as capture:
            observed, calls = run(
                self.train_state,
                self.fields,
                str(request.get("scenario")),
                request["inputs"],
                self.let_through,
            )
        return {"observed": observed, "calls": calls, **capture.report()}


def _sendable(array: Any) -> Any:
    arr = np.asarray(array)
    return arr if plain_dtype(arr.dtype) else {"unsendable_dtype": str(arr.dtype)}
