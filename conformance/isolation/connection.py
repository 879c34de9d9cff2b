"""The judge's side of a host: start it, ask it, time it, kill it, start another.

One :class:`Host` per implementation in each judging process (an xdist worker,
or the only process), reused across calls and properties.  A request that
does not come back within ``--trainstate-call-timeout`` kills the host's whole process
tree and fails with :class:`~conformance.isolation.failures.ImplementationHung`; a host
that dies fails the request with the signal or exit status named
(:class:`~conformance.isolation.failures.ImplementationCrashed`).  Either way the next
request starts a fresh host.

:class:`InProcessHost` is ``--trainstate-in-process``: the same requests answered by the
same :class:`~conformance.isolation.service.Service`, in this process.
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from conformance.isolation import process_tree, protocol, shared_inputs
from conformance.isolation.failures import (
    CallAborted,
    HostMisbehaved,
    ImplementationCrashed,
    ImplementationHung,
    ImplementationUnavailable,
)
from conformance.isolation.launcher import Isolation, Spawned, spawn
from conformance.isolation.service import ImportFailed, Service
from conformance.isolation.untrusted_text import sanitize

STOP_GRACE = 1.0
"""Seconds a host may take to exit after being told to stop, before it is killed."""

IMPORT_TIMEOUT = 120.0
"""Seconds a host may take to import its implementation (JAX and Flax alone take ~2.5 s of
CPU on the project's 2-core machine, more under load); a longer ``--trainstate-call-timeout``
wins."""

_LIVE: set[int] = set()
"""Process ids of the hosts this process is running (left alone when orphans are swept)."""


class Connection(Protocol):
    name: str
    spec: str

    def start(self) -> None: ...
    def capabilities(self) -> dict[str, Any]: ...
    def reported(self) -> dict[str, Any] | None: ...
    def request(self, message: dict[str, Any], what: str) -> dict[str, Any]: ...
    def stop(self) -> None: ...


def exit_status(returncode: int | None, sandboxed: bool) -> str:
    """``returncode`` in words: the signal that killed the process, or its exit status."""
    if returncode is None:
        return "it closed its end of the connection"
    signum = -returncode if returncode < 0 else None
    if sandboxed and returncode > 128:
        signum = returncode - 128  # bwrap reports its child's death by signal N as 128 + N
    if signum is not None:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        cause = signal.strsignal(signum) or name
        text = f"killed by {name} ({cause})"
        if signum == signal.SIGKILL:
            text += " -- the kernel's OOM killer, or another process"
        return text
    return f"exited with status {returncode}"


class Host:
    """An implementation's own process, as seen from a judging process."""

    def __init__(
        self,
        name: str,
        spec: str,
        isolation: Isolation,
        call_timeout: float,
        *,
        jax_caches: tuple[Path, ...] = (),
        writable_jax_cache: Path | None = None,
        trusted: bool = False,
    ) -> None:
        self.name = name
        self.spec = spec
        self.isolation = isolation
        self.call_timeout = call_timeout
        self.jax_caches = jax_caches
        self.writable_jax_cache = writable_jax_cache
        self.trusted = trusted
        """The suite's own reference: it keeps the current user (:func:`spawn`)."""
        self._spawned: Spawned | None = None
        self._capabilities: dict[str, Any] | None = None
        self._unavailable: str | None = None
        self._last_tail = ""
        self.started = 0
        """How many processes this host has started (1 + restarts)."""

    @property
    def pid(self) -> int | None:
        return None if self._spawned is None else self._spawned.process.pid

    def start(self) -> None:
        """Start the process if none is running; does not wait for it to be ready."""
        if self._spawned is not None or self._unavailable is not None:
            return
        spawned, setup = spawn(
            self.spec,
            self.isolation,
            jax_caches=self.jax_caches,
            writable_jax_cache=self.writable_jax_cache,
            trusted=self.trusted,
        )
        self._spawned = spawned
        _LIVE.add(spawned.process.pid)
        self.started += 1
        # If it died at once, waiting for its greeting says how.
        with contextlib.suppress(OSError):
            protocol.send(spawned.request_fd, setup)

    def _limit(self, at_least: float = 0.0) -> float | None:
        """Seconds a request may take (``None``: no limit, with ``--trainstate-call-timeout 0``)."""
        return max(self.call_timeout, at_least) if self.call_timeout > 0 else None

    def _ready(self) -> Spawned:
        if self._unavailable is not None:
            raise ImplementationUnavailable(self._unavailable)
        fresh = self._spawned is None
        self.start()
        assert self._spawned is not None
        spawned = self._spawned
        if self._capabilities is None or fresh:
            what = f"importing {self.spec} in its own process"
            hello = self._receive(spawned, self._limit(IMPORT_TIMEOUT), what)
            if not hello.get("ready"):
                error = hello.get("error", f"--trainstate-impl {self.spec}: cannot be loaded")
                self._unavailable = f"{self.name}: {error}"
                self._end()
                raise ImplementationUnavailable(self._unavailable)
            capabilities = hello.get("capabilities")
            if not isinstance(capabilities, dict):
                self._end()
                raise HostMisbehaved(f"{self.name}: its process sent no capabilities")
            self._capabilities = capabilities
        return spawned

    def reported(self) -> dict[str, Any] | None:
        """The capabilities, if its process has reported them already (nothing is started)."""
        return self._capabilities

    def capabilities(self) -> dict[str, Any]:
        """What the module defines (``one_step``, ``TrainState``), as its process reported it."""
        if self._capabilities is None:
            self._ready()
        assert self._capabilities is not None
        return self._capabilities

    def _receive(
        self,
        spawned: Spawned,
        seconds: float | None,
        what: str,
        limit: int = protocol.MAX_FRAME_BYTES,
    ) -> dict[str, Any]:
        deadline = None if seconds is None else time.monotonic() + seconds
        try:
            return sanitize(protocol.receive(spawned.response_fd, deadline, limit))  # type: ignore[no-any-return]
        except protocol.TimedOut:
            self._end()
            which = (
                "--trainstate-call-timeout"
                if seconds == self.call_timeout
                else "the import time limit"
            )
            raise ImplementationHung(
                f"{what} did not return within {seconds:g} s ({which}); "
                f"the process hosting {self.name} was killed"
            ) from None
        except (protocol.PeerClosed, OSError):
            status = self._end(grace=1.0)
            raise ImplementationCrashed(
                f"{what}: the process hosting {self.name} died: {status}{self._last_output()}"
            ) from None
        except protocol.ProtocolError as exc:
            self._end()
            raise ImplementationCrashed(
                f"{what}: the process hosting {self.name} sent a malformed answer ({exc}); "
                "it was killed"
            ) from None

    def request(self, message: dict[str, Any], what: str) -> dict[str, Any]:
        """Send ``message`` and return the answer; ``what`` names the call in messages."""
        spawned = self._ready()
        # Not a counter: an answer written ahead for the next request cannot know its id.
        request_id = secrets.token_hex(16)
        shared: list[shared_inputs.SharedArray] = []
        if message.get("op") == "one_step" and shared_inputs.can_share(message):
            message, shared = shared_inputs.prepare(message)
        try:
            return self._exchange(spawned, message, request_id, shared, what)
        finally:
            for array in shared:
                array.close()

    def _exchange(
        self,
        spawned: Spawned,
        message: dict[str, Any],
        request_id: str,
        shared: list[shared_inputs.SharedArray],
        what: str,
    ) -> dict[str, Any]:
        frame = protocol.pack({**message, "id": request_id})
        try:
            if shared:
                shared_inputs.send(spawned.channel, shared)
            protocol.write_frame(spawned.request_fd, frame)
        except OSError:
            status = self._end(grace=1.0)
            raise ImplementationCrashed(
                f"{what}: the process hosting {self.name} died: {status}{self._last_output()}"
            ) from None
        limit = protocol.answer_limit(str(message.get("op")), len(frame))
        answer = self._receive(spawned, self._limit(), what, limit)
        if answer.get("id") != request_id:
            self._end()
            raise ImplementationCrashed(
                f"{what}: the process hosting {self.name} sent an answer to a request it was "
                "not asked (something in it writes to the suite's pipe); it was killed"
            )
        if "error" in answer:
            detail = str(answer["error"]).strip().splitlines() or ["no detail"]
            raise HostMisbehaved(
                f"{what}: the process hosting {self.name} could not answer: {detail[-1]}"
            )
        if shared:
            # The inputs as they are now, read by the judge from its own memory.
            answer["inputs_after"] = dict(
                zip(shared_inputs.NAMES, (array.read() for array in shared), strict=True)
            )
        return answer

    def _last_output(self) -> str:
        tail = self._last_tail
        return f"; its last output: {tail[-1500:]}" if tail else ""

    def _end(self, grace: float = 0.0) -> str:
        """Kill the process and everything it started; returns how it ended.

        ``grace`` is how long a process that is already dying may take to die of
        its own cause (a segfault), which a kill would otherwise overwrite.
        """
        spawned, self._spawned = self._spawned, None
        if spawned is None:
            return "it was not running"
        process = spawned.process
        with contextlib.suppress(Exception):
            process.wait(grace)
        process_tree.kill_tree(process.pid)
        process.wait()
        _LIVE.discard(process.pid)
        process_tree.sweep_adopted(known=_LIVE)
        self._last_tail = spawned.tail.text()
        spawned.close()
        return exit_status(process.returncode, self.isolation.bwrap is not None)

    def stop(self) -> None:
        """Ask the process to exit, and kill it and all it started if it does not."""
        spawned = self._spawned
        if spawned is None:
            return
        with contextlib.suppress(OSError):
            protocol.send(spawned.request_fd, {"op": "stop"})
        self._end(grace=STOP_GRACE)


class InProcessHost:
    """``--trainstate-in-process``: the implementation imported here, answering the requests."""

    def __init__(self, name: str, spec: str, call_timeout: float) -> None:
        self.name = name
        self.spec = spec
        self.call_timeout = call_timeout
        self._service: Service | None = None
        self._unavailable: str | None = None

    def start(self) -> None:
        pass

    def _loaded(self) -> Service:
        if self._unavailable is not None:
            raise ImplementationUnavailable(self._unavailable)
        if self._service is None:
            try:
                self._service = Service.load(
                    self.spec, let_through=(KeyboardInterrupt, CallAborted)
                )
            except ImportFailed as exc:
                self._unavailable = f"{self.name}: {exc}"
                raise ImplementationUnavailable(self._unavailable) from None
        return self._service

    def capabilities(self) -> dict[str, Any]:
        return sanitize(self._loaded().capabilities())  # type: ignore[no-any-return]

    def reported(self) -> dict[str, Any] | None:
        return None if self._service is None else self.capabilities()

    def request(self, message: dict[str, Any], what: str) -> dict[str, Any]:
        service = self._loaded()
        with _time_limit(self.call_timeout, what):
            answer: dict[str, Any] = sanitize(service.handle(message))
        if "error" in answer:
            raise HostMisbehaved(f"{what}: {answer['error']}")
        return answer

    def stop(self) -> None:
        pass


@contextlib.contextmanager
def _time_limit(seconds: float, what: str) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (main thread only; a hang in C code is not)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise ImplementationHung(
            f"{what} did not return within {seconds:g} s (--trainstate-call-timeout)"
        )

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
