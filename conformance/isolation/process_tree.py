"""Ending a host and everything it started, so that no process of an implementation outlives it.

A host runs in a session of its own.  The judging process makes itself a
*child subreaper* (``PR_SET_CHILD_SUBREAPER``), so that a process the
implementation detaches (fork, ``setsid``, fork again, exit) is adopted by
the judge instead of by ``init``, where it could outlive the run.  Ending a
host then means: stop and kill every process of its session and every
descendant of it (read from ``/proc``), kill the host, and reap them.
Whenever a host ends, and at the end of a session, :func:`sweep_adopted`
kills whatever the judge adopted.  Under bubblewrap the PID namespace does all of
this by itself: when the host's ``bwrap`` dies, the kernel kills everything
inside.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from collections.abc import Iterable

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Adopt the orphans of this process's descendants (Linux; elsewhere a no-op)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _processes() -> dict[int, tuple[int, int]]:
    """``pid -> (ppid, session)`` of every process this one can see."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name is in parentheses and may contain anything, spaces included.
        fields = stat[stat.rfind(b")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), int(fields[3]))
    return table


def _descendants(root: int, table: dict[int, tuple[int, int]]) -> set[int]:
    found = {root}
    grew = True
    while grew:
        grew = False
        for pid, (ppid, session) in table.items():
            if pid not in found and (ppid in found or session == root):
                found.add(pid)
                grew = True
    return found


def _signal(pids: Iterable[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)


def kill_tree(root: int) -> None:
    """Kill ``root``'s session (it is a session leader) and all its descendants, then ``root``.

    They are stopped first, so that none of them can start another process
    while the others are being killed.  ``root`` itself is killed but not
    reaped: its owner (a ``subprocess.Popen``) reads its exit status.
    """
    killed: set[int] = set()
    if os.path.isdir("/proc"):
        for _ in range(3):
            pids = _descendants(root, _processes()) - killed
            if not pids - {root}:
                break
            _signal(pids, signal.SIGSTOP)
            _signal(pids, signal.SIGKILL)
            killed |= pids
    with contextlib.suppress(OSError):
        os.killpg(root, signal.SIGKILL)
    _signal([root], signal.SIGKILL)
    _reap(killed - {root})


def _reap(pids: set[int], wait: float = 2.0) -> None:
    """Collect the exit status of those of ``pids`` that are (or become) children of this one."""
    deadline = time.monotonic() + wait
    pending = set(pids)
    while pending:
        for pid in list(pending):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pending.discard(pid)
                continue
            if done:
                pending.discard(pid)
        if not pending or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def sweep_adopted(known: Iterable[int]) -> None:
    """Kill every child of this process that was adopted: not in ``known`` (the live hosts)
    and not in this process's own session.

    A host runs in a session of its own, and so does anything it detaches;
    what this process starts otherwise (xdist's workers, a fixture's server)
    stays in its session and is left alone.
    """
    if not os.path.isdir("/proc"):
        return
    me, mine = os.getpid(), os.getsid(0)
    keep = set(known)
    for pid, (ppid, session) in _processes().items():
        if ppid == me and pid not in keep and session != mine:
            kill_tree(pid)
            _reap({pid})
