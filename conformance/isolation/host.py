"""The process that hosts one implementation: it imports it, then answers the judge.

Started by :mod:`conformance.isolation.launcher` as::

    python -I -c BOOTSTRAP SYS_PATH REQUEST_FD RESPONSE_FD PARENT_PID MEMORY_LIMIT CHANNEL_FD

Before anything of the implementation runs it puts its own limits in place:
no core files, the address-space limit (``--trainstate-memory-limit``), first in line
for the OOM killer, killed when the judging process dies, and no bytecode
written next to anybody's sources.  Then it reads one setup message (the
spec, the JAX cache to use), imports the implementation and answers with its
capabilities or the reason it cannot be tested, and serves requests until
the judge says stop or goes away.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import socket
import sys
import traceback
from typing import Any

from conformance.isolation import protocol, shared_inputs

_PR_SET_PDEATHSIG = 1


def _limit_self(parent_pid: int, memory_limit: int) -> None:
    sys.dont_write_bytecode = True
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The judge may have died between the fork and the prctl; then nobody would kill us.
    if parent_pid and os.getppid() != parent_pid:
        os._exit(1)


def _configure_jax(setup: dict[str, Any]) -> None:
    """Point JAX at the host's own compilation cache, through the environment JAX reads when
    it is imported: an implementation that never imports JAX does not pay for it."""
    cache = setup.get("jax_cache")
    if cache:
        os.environ["JAX_COMPILATION_CACHE_DIR"] = str(cache)
        os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
        os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"


def serve(request_fd: int, response_fd: int, channel: socket.socket) -> None:
    from conformance.isolation.service import ImportFailed, Service, arm_pending_alarm

    setup = protocol.receive(request_fd)
    _configure_jax(setup)
    # A caller's pending timer, which a call must not cancel (service.ProcessFacts).
    arm_pending_alarm()
    try:
        service = Service.load(str(setup["spec"]), str(setup["target"]))
    except ImportFailed as exc:
        protocol.send(response_fd, {"ready": False, "error": str(exc)})
        return
    protocol.send(response_fd, {"ready": True, "capabilities": service.capabilities()})
    while True:
        request = protocol.receive(request_fd)
        if request.get("op") == "stop":
            return
        try:
            if "shared" in request:
                request = shared_inputs.attach(channel, request)
            answer = service.handle(request)
            answer["id"] = request.get("id")
            frame = protocol.pack(answer)
        except BaseException as exc:
            # The suite's own code failed here, or the implementation broke the host: either way
            # the judge gets the traceback and fails the call.
            failure = "".join(traceback.format_exception(exc))[-4000:]
            frame = protocol.pack({"id": request.get("id"), "error": failure})
        protocol.write_frame(response_fd, frame)


def main(argv: list[str]) -> None:
    request_fd, response_fd, parent_pid, memory_limit, channel_fd = (int(arg) for arg in argv)
    _limit_self(parent_pid, memory_limit)
    channel = socket.socket(fileno=channel_fd)
    with contextlib.suppress(protocol.PeerClosed):
        serve(request_fd, response_fd, channel)
    # Skip interpreter shutdown: nothing of the implementation may run after the judge is done.
    os._exit(0)
