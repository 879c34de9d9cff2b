"""How a host process is started: its sandbox or user, its directory, its environment.

Three ways, chosen once per run (:func:`choose`) and named in the report
header (:attr:`Isolation.description`):

- **sandbox**: under bubblewrap (``bwrap``), where it is installed and works:
  the whole file system read-only except the host's private directory, the
  paths of the report, corpus, JAX cache and JUnit file hidden, no network,
  its own PID namespace (everything in it dies with the host), uid 65534
  inside, killed when the judging process dies;
- **process**: a plain child process in a session of its own;
- **in-process** (``--trainstate-in-process``): no host at all, the implementation is
  imported into the judging process (for debugging; it trusts the code).

When the suite runs as root, no submission runs as root, inside the sandbox or
out: each host process gets an unprivileged uid and gid of its own
(:func:`host_uid`), outside the sandbox too (bubblewrap maps the sandbox's
uid 65534 to the uid that starts it), so no host can signal, trace or read
another's.  In order (:func:`_choose_as_root`): bubblewrap started by root
without a user namespace, the host dropping to its uid first
(:data:`DROP_PRIVILEGES`), with what only root can reach bound in
(:func:`reachable_mounts`); else bubblewrap started as the host's uid; else a
plain process as that uid, which needs a Python installation and
implementation files that any user can read.  Where none of these can run, the
run stops with one line naming the ways out, unless
``--trainstate-trust-submissions`` says the code is trusted.  The built-in
reference is the suite's own code and runs as the current user, which lets it
write the judge's JAX cache.

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
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from conformance.isolation.service import is_file_spec
from conformance.isolation.uid_leftovers import remove_what_uid_left
from conformance.isolation.untrusted_text import escape

UNPRIVILEGED_ID = 65534
"""``nobody``/``nogroup`` on Debian and most Linux distributions: the uid inside the sandbox."""

HOST_UIDS = range(1_000_000_000, 1_000_000_000 + (1 << 30))
"""Where a host's own uid (and gid) is drawn when the suite runs as root: far above the ids of
real users and of the usual subordinate-id ranges, and below ``2**31`` (some tools read ids as
signed)."""

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


def host_uid() -> int:
    """A fresh unprivileged uid for one host (random: two live hosts share one with odds of
    about one in a billion, and none is reused between runs on purpose)."""
    return HOST_UIDS[secrets.randbelow(len(HOST_UIDS))]


@functools.cache
def bubblewrap(how: str = "user namespace") -> tuple[str | None, str]:
    """``(path, version)`` of a ``bwrap`` that can start a sandbox here, or ``(None, reason)``.

    ``how``: ``"user namespace"`` (as the current user, the usual way), ``"unprivileged"`` (as
    an unprivileged uid, in a user namespace of its own) or ``"privileged"`` (as root, without
    a user namespace: the sandbox's process then drops to its uid itself).
    """
    path = shutil.which("bwrap")
    if path is None:
        return None, "bwrap is not installed"
    base = _PRIVILEGED_BASE if how == "privileged" else _SANDBOX_BASE
    try:
        version = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        probe = subprocess.run(
            [path, *base, "--", "/bin/true"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd="/",
            user=(uid := host_uid() if how == "unprivileged" else None),
            group=uid,
            extra_groups=None if uid is None else [],
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"{path} cannot run ({type(exc).__name__}: {exc})"
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        who = {"unprivileged": " as an unprivileged user", "privileged": " as root"}.get(how, "")
        return None, f"{path} cannot create a sandbox here{who} ({reason})"
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

_PRIVILEGED_BASE = (
    "--ro-bind", "/", "/",
    "--dev", "/dev",
    "--proc", "/proc",
    "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
    "--die-with-parent",
    "--new-session",
)  # fmt: skip
"""bubblewrap started by root, without a user namespace (so that a uid of the host's own is its
uid outside too, and paths only root can reach can be bound in for it)."""

DROP_PRIVILEGES = (
    "import os, sys; uid = int(sys.argv[1]); os.setgroups([]); os.setresgid(uid, uid, uid); "
    "os.setresuid(uid, uid, uid); os.execv(sys.argv[2], sys.argv[2:])"
)
"""The first thing a host runs in a privileged sandbox, as root, with ``-I -S`` (nothing but
the standard library, no ``.pth`` file): it becomes its own uid and gid, with every
capability gone, and only then starts the host's Python."""


def _readable_by_others(path: Path, reach: bool = True) -> bool:
    """Whether a user with no rights but "other"'s can read ``path`` (and, with ``reach``,
    reach it)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return True  # what does not exist cannot be denied; Python skips it
    wanted = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    if mode & wanted != wanted:
        return False
    return not reach or all(
        parent.stat().st_mode & stat.S_IXOTH for parent in path.resolve().parents if parent.exists()
    )


def _closed_ancestor(path: Path) -> Path | None:
    """The outermost directory above ``path`` that others cannot enter, if any."""
    for parent in reversed(path.parents):
        if parent != Path("/") and not parent.stat().st_mode & stat.S_IXOTH:
            return parent
    return None


def reachable_mounts(paths: Iterable[str]) -> tuple[str, ...]:
    """bubblewrap arguments that let an unprivileged uid reach ``paths`` (which it may read)
    where a directory above them is closed to others (``/root``, pytest's ``/tmp/pytest-of-root``):
    the closed directory is replaced by an empty one, and only the paths are bound back in,
    read-only. Everything else in it stays out of the sandbox's sight."""
    closed: dict[Path, set[Path]] = {}
    for raw in paths:
        path = Path(os.path.abspath(raw))
        if not path.exists():
            continue
        ancestor = _closed_ancestor(path)
        if ancestor is not None:
            closed.setdefault(ancestor, set()).add(path)
    arguments: list[str] = []
    for ancestor in sorted(closed):
        if any(other in ancestor.parents for other in closed):
            continue  # inside another closed directory, whose binds come with it
        arguments += ["--tmpfs", str(ancestor)]
        kept = sorted(closed[ancestor])
        made: set[Path] = set()
        for path in kept:
            if any(other in path.parents for other in kept):
                continue
            for parent in reversed(path.parents):
                if ancestor in parent.parents and parent not in made:
                    made.add(parent)
                    arguments += ["--perms", "0755", "--dir", str(parent)]
            arguments += ["--ro-bind", str(path), str(path)]
    return tuple(arguments)


def first_path_hidden_from_others(paths: Iterable[str], reach: bool = True) -> str | None:
    """The first of ``paths`` (with the interpreter) that an unprivileged uid could not read
    (``reach``: or reach)."""
    for raw in [os.path.realpath(sys.executable), *paths]:
        if raw and not _readable_by_others(Path(raw), reach):
            return raw
    return None


@dataclasses.dataclass(frozen=True)
class Isolation:
    """How implementations run in this session (see the module docstring)."""

    mode: str
    """``"sandbox"``, ``"process"`` or ``"in-process"``."""
    description: str
    bwrap: str | None = None
    own_uids: bool = False
    """Each host runs as an unprivileged uid of its own (:func:`host_uid`): the suite is root."""
    privileged: bool = False
    """bubblewrap is started by root, without a user namespace (:data:`_PRIVILEGED_BASE`)."""
    mounts: tuple[str, ...] = ()
    """bubblewrap arguments that make what a host needs reachable (:func:`reachable_mounts`)."""
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

    @property
    def contained(self) -> bool:
        """Whether a host can neither write the suite's files nor signal another host's process:
        in the sandbox, or as a uid of its own."""
        return self.bwrap is not None or self.own_uids


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
    trust_submissions: bool = False,
) -> Isolation:
    """The isolation for this session, from ``--sandbox``, ``--in-process``, ``--device``,
    ``--trust-submissions`` and the machine."""
    if device == "accelerator":
        if in_process:
            raise IsolationError(
                "--trainstate-device accelerator: the implementations run in the judging "
                "processes under --trainstate-in-process, and those stay on the CPU"
            )
        # A CUDA or TPU runtime reserves far more address space than it uses.
        memory_limit = 0
    chosen = _choose(
        sandbox, in_process, memory_limit, hidden, list(readable_paths), trust_submissions
    )
    where = "the CPU" if device == "cpu" else "the accelerator, memory not preallocated"
    if device == "accelerator" and chosen.own_uids and (closed := devices_closed_to_others()):
        where += (
            f" (warning: the hosts' uids cannot open {', '.join(closed)}; a host that needs "
            "one runs on the CPU or fails)"
        )
    return dataclasses.replace(
        chosen, device=device, description=f"{chosen.description}; hosts on {where}"
    )


def devices_closed_to_others() -> list[str]:
    """The accelerator device nodes a host running as a uid of its own cannot open, with
    their modes: only nodes that anyone may read and write are open to it (NVIDIA's driver
    makes ``/dev/nvidia*`` so; ``/dev/dri`` and TPU nodes are often group-only)."""
    closed = []
    for pattern in ACCELERATOR_DEVICES:
        for node in sorted(glob.glob(pattern)):
            for path in [Path(node), *sorted(Path(node).rglob("*"))]:
                if path.is_symlink() or not path.exists():
                    continue  # /dev/dri/by-path links to the nodes themselves
                mode = path.stat().st_mode
                shown = f"{path} ({stat.filemode(mode)})"
                if stat.S_ISCHR(mode) and mode & 0o006 != 0o006 and shown not in closed:
                    closed.append(shown)
    return closed


def _choose(
    sandbox: str,
    in_process: bool,
    memory_limit: int,
    hidden: Iterable[str],
    readable_paths: list[str],
    trust_submissions: bool,
) -> Isolation:
    if in_process:
        return Isolation(
            "in-process",
            "in-process (--in-process): the implementations run in the judging processes, "
            "which trust their code",
            memory_limit=0,
        )
    hidden = tuple(sorted({str(Path(p).resolve()) for p in hidden}))
    if os.geteuid() == 0:
        return _choose_as_root(sandbox, memory_limit, hidden, readable_paths, trust_submissions)
    sandbox_problem = ""
    if sandbox in ("auto", "bwrap"):
        path, version = bubblewrap()
        if path is not None:
            return Isolation(
                "sandbox",
                f"sandbox ({version}): read-only file system but a private directory, no "
                f"network, own PID namespace, uid {UNPRIVILEGED_ID} inside (uid "
                f"{os.geteuid()} outside); {_size(memory_limit)}",
                bwrap=path,
                memory_limit=memory_limit,
                hidden=hidden,
            )
        if sandbox == "bwrap":
            raise IsolationError(f"--trainstate-sandbox bwrap: {version}")
        sandbox_problem = f" ({version})"
    return Isolation(
        "process",
        f"separate process as the current user (uid {os.geteuid()}), no sandbox"
        f"{sandbox_problem}; {_size(memory_limit)}",
        memory_limit=memory_limit,
        hidden=hidden,
    )


SUITE_ROOT = Path(__file__).resolve().parents[2]
"""The directory that holds the suite's package (a checkout, or site-packages)."""


def _needed_paths(readable_paths: list[str]) -> list[str]:
    """What a host cannot run without: the interpreter, the standard library, installed
    packages, the suite, the implementation files; and the other ``sys.path`` entries that
    others may read (one they may not, a private working directory say, is left out: Python
    skips what it cannot read)."""
    # The interpreter as the host is started (a virtual environment's bin/python, whose
    # pyvenv.cfg makes it one) and as it really is.
    needed = [sys.executable, os.path.realpath(sys.executable), sys.base_prefix, str(SUITE_ROOT)]
    config = Path(sys.prefix) / "pyvenv.cfg"
    if config.is_file():
        needed.append(str(config))
    for raw in readable_paths:
        path = Path(raw)
        essential = path.is_file() or path.name in ("site-packages", "dist-packages")
        if essential or _readable_by_others(path, reach=False):
            needed.append(raw)
    return needed


def _choose_as_root(
    sandbox: str,
    memory_limit: int,
    hidden: tuple[str, ...],
    readable_paths: list[str],
    trust_submissions: bool,
) -> Isolation:
    """Root never runs a submission as root: each host gets a uid of its own, in the sandbox
    (bubblewrap started by root, else by that uid) or out of it; or the run stops."""
    needed = _needed_paths(readable_paths)
    unreadable = first_path_hidden_from_others(needed, reach=False)
    unreachable = first_path_hidden_from_others(needed)
    problems = []
    if sandbox in ("auto", "bwrap") and unreadable is None:
        path, version = bubblewrap("privileged")
        if path is not None:
            return Isolation(
                "sandbox",
                f"sandbox ({version}): read-only file system but a private directory, no "
                "network, own PID namespace, each host as an unprivileged uid of its own (the "
                f"suite runs as root); {_size(memory_limit)}",
                bwrap=path,
                own_uids=True,
                privileged=True,
                mounts=reachable_mounts(needed),
                memory_limit=memory_limit,
                hidden=hidden,
            )
        problems.append(version)
        if unreachable is None:
            path, version = bubblewrap("unprivileged")
            if path is not None:
                return Isolation(
                    "sandbox",
                    f"sandbox ({version}): read-only file system but a private directory, no "
                    f"network, own PID namespace, uid {UNPRIVILEGED_ID} inside, each host as an "
                    f"unprivileged uid of its own outside; {_size(memory_limit)}",
                    bwrap=path,
                    own_uids=True,
                    memory_limit=memory_limit,
                    hidden=hidden,
                )
            problems.append(version)
    elif sandbox in ("auto", "bwrap"):
        problems.append(f"an unprivileged user cannot read {unreadable}")
    if sandbox == "bwrap":
        raise IsolationError(f"--trainstate-sandbox bwrap: {'; '.join(problems)}")
    without = f" ({'; '.join(problems)})" if problems else ""
    if unreachable is None:
        return Isolation(
            "process",
            "separate process, no sandbox, each host as an unprivileged uid of its own (the "
            f"suite runs as root){without}; {_size(memory_limit)}",
            own_uids=True,
            memory_limit=memory_limit,
            hidden=hidden,
        )
    if trust_submissions:
        return Isolation(
            "process",
            f"separate process AS ROOT, no sandbox (trusted code; an unprivileged user "
            f"cannot read {unreachable}){without}; {_size(memory_limit)}",
            memory_limit=memory_limit,
            hidden=hidden,
        )
    raise IsolationError(
        f"the suite runs as root and will not run submissions as root, but an unprivileged "
        f"user cannot read {unreachable}{without}: install bubblewrap, make it readable by "
        "others (chmod o+rX), or pass --trainstate-trust-submissions (--trust-submissions) "
        "if the code is trusted"
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
    channel: socket.socket
    """The socket that carries the descriptors of shared inputs (:mod:`shared_inputs`)."""
    unsandboxed_uid: int | None = None
    """The host's own uid where no sandbox kept it out of the shared directories."""

    def close(self) -> None:
        """Release what is left once the process has ended: descriptors, output, directory,
        and what its uid wrote in the shared directories."""
        for fd in (self.request_fd, self.response_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.channel.close()
        self.tail.thread.join(1.0)
        if self.process.stdout is not None:
            self.process.stdout.close()
        shutil.rmtree(self.private, ignore_errors=True)
        if self.unsandboxed_uid is not None:
            remove_what_uid_left(self.unsandboxed_uid)


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
        """The tail, every control character and line break escaped (it is the host's)."""
        self.thread.join(wait)
        return escape(self.data.decode(errors="replace").strip())


def spawn(
    spec: str,
    isolation: Isolation,
    *,
    jax_caches: Iterable[Path] = (),
    writable_jax_cache: Path | None = None,
    trusted: bool = False,
) -> tuple[Spawned, dict[str, object]]:
    """Start a host for ``spec``; returns it and the setup message to send it first.

    ``jax_caches`` are copied into the host's private directory;
    ``writable_jax_cache`` (the built-in reference's own cache) is used as is.
    ``trusted``: the suite's own reference, which keeps the current user.
    """
    private = Path(tempfile.mkdtemp(prefix="trainstate-host-"))
    cache: Path | None = writable_jax_cache
    if cache is None and jax_caches:
        cache = private / "jax-cache"
        _copy_caches(jax_caches, cache)
    uid = host_uid() if isolation.own_uids and not trusted else None
    if uid is not None:
        for path in [private, *private.rglob("*")]:
            os.chown(path, uid, uid)
    request_read, request_write = os.pipe()
    response_read, response_write = os.pipe()
    channel, host_channel = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
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
        str(host_channel.fileno()),
    ]
    starts_as = uid
    if isolation.bwrap is not None:
        sandbox = _sandbox_arguments(isolation, private, writable_jax_cache)
        if isolation.privileged:
            # bubblewrap runs as root; the host's first act, as root, is to become its uid.
            starts_as = None
            if uid is None:
                sandbox += ["--cap-drop", "ALL"]
            else:
                python = os.path.realpath(sys.executable)
                command = [python, "-I", "-S", "-c", DROP_PRIVILEGES, str(uid), *command]
        command = [*sandbox, "--", *command]
    try:
        process = subprocess.Popen(
            command,
            cwd=private,
            env=host_environment(private, isolation.device),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(request_read, response_write, host_channel.fileno()),
            start_new_session=True,
            # The uid and gid of its own, and no other group.
            user=starts_as,
            group=starts_as,
            extra_groups=None if starts_as is None else [],
        )
    except BaseException:
        channel.close()
        raise
    finally:
        os.close(request_read)
        os.close(response_write)
        host_channel.close()
    spawned = Spawned(
        process,
        request_write,
        response_read,
        private,
        OutputTail(process.stdout),
        channel,
        unsandboxed_uid=uid if isolation.bwrap is None else None,
    )
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
    base = _PRIVILEGED_BASE if isolation.privileged else _SANDBOX_BASE
    arguments = [str(isolation.bwrap), *base, *isolation.mounts]
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
