"""How a host process is started: its sandbox or user, its directory, its environment.

Three ways, chosen once per run (:func:`choose`) and named in the report
header (:attr:`Isolation.description`):

- **sandbox**: under bubblewrap (``bwrap``), where it is installed and works:
  the whole file system read-only except the host's private directory, the
  paths of the report, corpus, JAX cache and JUnit file hidden, no network,
  its own PID namespace (everything in it dies with the host), uid 65534
  inside, killed when the judging process dies;
- **process**: a plain child process in a session of its own; when the suite
  runs as root it runs as uid/gid 65534 (``nobody``), unless that user cannot
  read this Python installation or the implementation, which the header then
  says;
- **in-process** (``--trainstate-in-process``): no host at all, the implementation is
  imported into the judging process (for debugging; it trusts the code).

In the first two the host gets a fresh private directory as its working
directory, ``HOME`` and ``TMPDIR``, an environment with none of the suite's
settings (only locale, ``PATH`` and JAX's platform settings pass), and a JAX
compilation cache of its own (:func:`spawn`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import glob
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from conformance.isolation.service import is_file_spec

UNPRIVILEGED_ID = 65534
"""``nobody``/``nogroup`` on Debian and most Linux distributions."""

OUTPUT_TAIL = 64 << 10
"""Bytes of a host's own stdout/stderr (C-level writes, crash reports) kept for messages."""

PASSED_ENVIRONMENT = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "TZ",
    "JAX_PLATFORMS",
    "JAX_PLATFORM_NAME",
    "XLA_FLAGS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)
"""Environment variables a host inherits (and every ``LC_*``); everything else stays behind."""

BOOTSTRAP = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from conformance.isolation.host import main; main(sys.argv[2:])"
)


class IsolationError(Exception):
    """The requested isolation cannot be had here; the message is one line."""


@functools.cache
def bubblewrap() -> tuple[str | None, str]:
    """``(path, version)`` of a ``bwrap`` that can start a sandbox here, or ``(None, reason)``."""
    path = shutil.which("bwrap")
    if path is None:
        return None, "bwrap is not installed"
    try:
        version = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        probe = subprocess.run(
            [path, *_SANDBOX_BASE, "--", "/bin/true"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"{path} cannot run ({type(exc).__name__}: {exc})"
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"{path} cannot create a sandbox here ({reason})"
    return path, version or "bubblewrap"


_SANDBOX_BASE = (
    "--ro-bind", "/", "/",
    "--dev", "/dev",
    "--proc", "/proc",
    "--unshare-all",
    "--uid", str(UNPRIVILEGED_ID),
    "--gid", str(UNPRIVILEGED_ID),
    "--die-with-parent",
    "--new-session",
)  # fmt: skip


def _readable_by_others(path: Path) -> bool:
    """Whether a user with no rights but "other"'s can read ``path`` (and reach it)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return True  # what does not exist cannot be denied; Python skips it
    wanted = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    if mode & wanted != wanted:
        return False
    return all(
        parent.stat().st_mode & stat.S_IXOTH for parent in path.resolve().parents if parent.exists()
    )


def first_path_hidden_from_others(paths: Iterable[str]) -> str | None:
    """The first of ``paths`` (with the interpreter) that uid 65534 could not read."""
    for raw in [os.path.realpath(sys.executable), *paths]:
        if raw and not _readable_by_others(Path(raw)):
            return raw
    return None


@dataclasses.dataclass(frozen=True)
class Isolation:
    """How implementations run in this session (see the module docstring)."""

    mode: str
    """``"sandbox"``, ``"process"`` or ``"in-process"``."""
    description: str
    bwrap: str | None = None
    uid: int | None = None
    memory_limit: int = 0
    """Bytes of address space a host may map (a JAX process needs about 1.5 GiB); 0: any."""
    hidden: tuple[str, ...] = ()
    """Paths the host must not see: report, corpus, JAX cache, JUnit file."""
    device: str = "cpu"
    """Where hosts run JAX: ``"cpu"`` (``JAX_PLATFORMS=cpu``) or ``"accelerator"`` (JAX's
    default platform, memory not preallocated, so that the hosts share the device)."""

    @property
    def trusts_the_code(self) -> bool:
        return self.mode == "in-process"


def _size(limit: int) -> str:
    return "no memory limit" if limit <= 0 else f"memory limit {limit / 2**30:g} GiB"


ACCELERATOR_DEVICES = ("/dev/nvidia*", "/dev/dri", "/dev/accel*", "/dev/vfio")
"""Device nodes a sandboxed host on an accelerator needs: NVIDIA GPUs, AMD GPUs, TPUs."""


def choose(
    sandbox: str,
    *,
    in_process: bool,
    memory_limit: int,
    hidden: Iterable[str],
    readable_paths: Iterable[str],
    device: str = "cpu",
) -> Isolation:
    """The isolation for this session, from ``--sandbox``, ``--in-process``, ``--device`` and
    the machine."""
    if device == "accelerator":
        if in_process:
            raise IsolationError(
                "--trainstate-device accelerator: the implementations run in the judging "
                "processes under --trainstate-in-process, and those stay on the CPU"
            )
        # A CUDA or TPU runtime reserves far more address space than it uses.
        memory_limit = 0
    chosen = _choose(sandbox, in_process, memory_limit, hidden, readable_paths)
    where = "the CPU" if device == "cpu" else "the accelerator, memory not preallocated"
    return dataclasses.replace(
        chosen, device=device, description=f"{chosen.description}; hosts on {where}"
    )


def _choose(
    sandbox: str,
    in_process: bool,
    memory_limit: int,
    hidden: Iterable[str],
    readable_paths: Iterable[str],
) -> Isolation:
    if in_process:
        return Isolation(
            "in-process",
            "in-process (--in-process): the implementations run in the judging processes, "
            "which trust their code",
            memory_limit=0,
        )
    hidden = tuple(sorted({str(Path(p).resolve()) for p in hidden}))
    if sandbox in ("auto", "bwrap"):
        path, version = bubblewrap()
        if path is not None:
            return Isolation(
                "sandbox",
                f"sandbox ({version}): read-only file system but a private directory, no "
                f"network, own PID namespace, uid {UNPRIVILEGED_ID}; {_size(memory_limit)}",
                bwrap=path,
                uid=UNPRIVILEGED_ID,
                memory_limit=memory_limit,
                hidden=hidden,
            )
        if sandbox == "bwrap":
            raise IsolationError(f"--trainstate-sandbox bwrap: {version}")
    if os.geteuid() != 0:
        user = f"uid {os.geteuid()}"
        return Isolation(
            "process",
            f"separate process as the current user ({user}), no sandbox; {_size(memory_limit)}",
            memory_limit=memory_limit,
            hidden=hidden,
        )
    blocked = first_path_hidden_from_others(readable_paths)
    if blocked is None:
        return Isolation(
            "process",
            f"separate process as uid {UNPRIVILEGED_ID} (the suite runs as root), no sandbox; "
            f"{_size(memory_limit)}",
            uid=UNPRIVILEGED_ID,
            memory_limit=memory_limit,
            hidden=hidden,
        )
    return Isolation(
        "process",
        f"separate process AS ROOT, no sandbox: uid {UNPRIVILEGED_ID} cannot read {blocked} "
        f"(install bubblewrap for a sandbox); {_size(memory_limit)}",
        memory_limit=memory_limit,
        hidden=hidden,
    )


def host_sys_path() -> list[str]:
    """This process's ``sys.path`` with every entry absolute: the host works elsewhere."""
    return [os.path.abspath(entry) if entry else os.getcwd() for entry in sys.path]


def host_environment(private: Path, device: str = "cpu") -> dict[str, str]:
    """The host's environment: the passed variables, its private directory, its device."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name in PASSED_ENVIRONMENT or name.startswith("LC_")
    }
    env.update(HOME=str(private), TMPDIR=str(private))
    if device == "cpu":
        env["JAX_PLATFORMS"] = "cpu"
    else:
        # JAX preallocates most of a GPU's memory in every process that touches it.
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    return env


def _copy_caches(sources: Iterable[Path], target: Path) -> None:
    """Copy the trusted JAX caches into the host's own (what it writes there is thrown away)."""
    target.mkdir()
    for source in sources:
        if not source.is_dir():
            continue
        for entry in os.scandir(source):
            if entry.is_file(follow_symlinks=False):
                # A file another process is replacing is skipped: the host compiles it itself.
                with contextlib.suppress(OSError):
                    shutil.copyfile(entry.path, target / entry.name)


@dataclasses.dataclass
class Spawned:
    """A started host: the process, the two ends of its wire, its directory, its output."""

    process: subprocess.Popen[bytes]
    request_fd: int
    response_fd: int
    private: Path
    tail: OutputTail

    def close(self) -> None:
        """Release what is left once the process has ended: descriptors, output, directory."""
        for fd in (self.request_fd, self.response_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.tail.thread.join(1.0)
        if self.process.stdout is not None:
            self.process.stdout.close()
        shutil.rmtree(self.private, ignore_errors=True)


class OutputTail:
    """Drains a host's stdout/stderr in a thread and keeps the last :data:`OUTPUT_TAIL` bytes."""

    def __init__(self, stream: object) -> None:
        self.stream = stream
        self.data = bytearray()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        read = self.stream.read1  # type: ignore[attr-defined]
        with contextlib.suppress(OSError, ValueError):  # closed under it: the host is gone
            while chunk := read(1 << 16):
                self.data += chunk
                del self.data[:-OUTPUT_TAIL]

    def text(self, wait: float = 0.5) -> str:
        self.thread.join(wait)
        return self.data.decode(errors="replace").strip()


def spawn(
    spec: str,
    isolation: Isolation,
    *,
    jax_caches: Iterable[Path] = (),
    writable_jax_cache: Path | None = None,
) -> tuple[Spawned, dict[str, object]]:
    """Start a host for ``spec``; returns it and the setup message to send it first.

    ``jax_caches`` are copied into the host's private directory;
    ``writable_jax_cache`` (the built-in reference's own cache) is used as is.
    """
    private = Path(tempfile.mkdtemp(prefix="trainstate-host-"))
    cache: Path | None = writable_jax_cache
    if cache is None and jax_caches:
        cache = private / "jax-cache"
        _copy_caches(jax_caches, cache)
    if isolation.uid is not None and isolation.bwrap is None:
        for path in [private, *private.rglob("*")]:
            os.chown(path, isolation.uid, isolation.uid)
    request_read, request_write = os.pipe()
    response_read, response_write = os.pipe()
    for fd in (request_write, response_write):
        _widen(fd)
    command = [
        sys.executable,
        "-I",
        "-c",
        BOOTSTRAP,
        json.dumps(host_sys_path()),
        str(request_read),
        str(response_write),
        "0" if isolation.bwrap else str(os.getpid()),
        str(isolation.memory_limit),
    ]
    drop_user = isolation.uid is not None and isolation.bwrap is None
    if isolation.bwrap is not None:
        command = [*_sandbox_arguments(isolation, private, writable_jax_cache), "--", *command]
    try:
        process = subprocess.Popen(
            command,
            cwd=private,
            env=host_environment(private, isolation.device),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(request_read, response_write),
            start_new_session=True,
            user=isolation.uid if drop_user else None,
            group=isolation.uid if drop_user else None,
            extra_groups=[] if drop_user else None,
        )
    finally:
        os.close(request_read)
        os.close(response_write)
    spawned = Spawned(process, request_write, response_read, private, OutputTail(process.stdout))
    setup: dict[str, object] = {
        "spec": spec,
        "target": str(Path(spec).expanduser().resolve()) if is_file_spec(spec) else spec,
        "jax_cache": None if cache is None else str(cache),
    }
    return spawned, setup


PIPE_BYTES = 1 << 20
"""Pipe capacity asked for: a problem with N=1025 and D=8 in float64 is 66 KB, more than the
default 64 KiB, and a writer blocked on a full pipe costs both processes a switch."""
_F_SETPIPE_SZ = 1031


def _widen(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_BYTES)


def _sandbox_arguments(
    isolation: Isolation, private: Path, writable_jax_cache: Path | None
) -> list[str]:
    arguments = [str(isolation.bwrap), *_SANDBOX_BASE]
    for path in isolation.hidden:
        if Path(path).is_dir():
            arguments += ["--tmpfs", path]
        elif Path(path).exists():
            arguments += ["--ro-bind", "/dev/null", path]
    arguments += ["--bind", str(private), str(private)]
    if isolation.device == "accelerator":
        for pattern in ACCELERATOR_DEVICES:
            for node in sorted(glob.glob(pattern)):
                arguments += ["--dev-bind", node, node]
    if writable_jax_cache is not None:
        arguments += ["--bind", str(writable_jax_cache), str(writable_jax_cache)]
    return [*arguments, "--chdir", str(private)]
